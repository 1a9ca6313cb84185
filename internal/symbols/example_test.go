package symbols_test

import (
	"fmt"
	"os"

	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/symbols"
)

// How a printer resolves the two stacks of an event: the addresses come
// from bcc's Module.Stack, innermost first.
func Example() {
	kernel, user := symbols.NewKernel(), symbols.NewUser()
	if err := kernel.Load(); err != nil { // optional: fail early, e.g. kptr_restrict
		fmt.Fprintln(os.Stderr, "gosnoop: kernel stacks unnamed:", err)
	}
	var pid uint32 = 1234                  // the event's tgid
	user.Note(pid)                         // on the first event of a process, before it can exit
	kstack := []uint64{0xffffffff81e2c0fa} // m.Stack("stacks", ev.KernelStackID)
	ustack := []uint64{0x55d0c1a0215f}     // m.Stack("stacks", ev.UserStackID)
	var line []byte
	for _, a := range kstack {
		line = append(append(line[:0], "        "...), kernel.Resolve(a).String()...)
		fmt.Printf("%s\n", output.AppendEscaped(nil, line))
	}
	for _, a := range ustack {
		line = append(append(line[:0], "        "...), user.Resolve(pid, a).String()...)
		fmt.Printf("%s\n", output.AppendEscaped(nil, line))
	}
}
