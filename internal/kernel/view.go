package kernel

import (
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// View is what a program's planner asks of the running kernel. Live reads it;
// --ebpf without root uses what it can read and assumes the rest.
type View interface {
	Kprobes() (ok bool, reason string)
	FirstFunction(candidates []string) (string, error)
	// HasFunctions says which of names the kernel has, in one look.
	HasFunctions(names []string) (map[string]bool, error)
	HasEvent(category, event string) bool
	TraceDir() string
	RingBuffer() error
	// Params are the prototypes of fns from the kernel's BTF, read once;
	// a function the BTF lacks is left out.
	Params(fns ...string) (map[string][]btfheader.Param, error)
	// TaskPtRegs: programs can read the syscall's registers at its exit.
	TaskPtRegs() bool
}

// Live is the running kernel, as seen through tracefs at dir.
type Live struct{ Dir string }

func (l Live) Kprobes() (bool, string)                            { return Kprobes(l.Dir) }
func (l Live) FirstFunction(fns []string) (string, error)         { return FirstFunction(fns) }
func (l Live) HasFunctions(fns []string) (map[string]bool, error) { return Functions(fns) }
func (l Live) HasEvent(category, event string) bool               { return tracefs.HasEvent(l.Dir, category, event) }
func (l Live) TraceDir() string                                   { return l.Dir }
func (l Live) RingBuffer() error                                  { return RingBuffer() }
func (l Live) TaskPtRegs() bool                                   { return TaskPtRegs() }
func (l Live) Params(fns ...string) (map[string][]btfheader.Param, error) {
	return btfheader.Params(btfheader.VmlinuxPath, fns...)
}

// Assumed is the running kernel for a user who cannot look inside tracefs:
// it reads kallsyms (its names are readable by anyone) and assumes kprobes
// and every tracepoint and the ring buffer exist (creating a map to find out
// takes privileges), so --ebpf shows the most a real run renders. The
// kernel's BTF is readable by anyone, so prototypes are the real ones.
type Assumed struct{}

func (Assumed) Kprobes() (bool, string) { return true, "assumed by --ebpf" }
func (Assumed) FirstFunction(fns []string) (string, error) {
	if fn, err := FirstFunction(fns); err == nil {
		return fn, nil
	}
	return fns[0], nil
}
func (Assumed) HasFunctions(fns []string) (map[string]bool, error) {
	if found, err := Functions(fns); err == nil {
		return found, nil
	}
	all := map[string]bool{}
	for _, fn := range fns {
		all[fn] = true
	}
	return all, nil
}
func (Assumed) HasEvent(string, string) bool { return true }
func (Assumed) TraceDir() string             { return "tracefs" }
func (Assumed) RingBuffer() error            { return nil }
func (Assumed) TaskPtRegs() bool             { return TaskPtRegs() }
func (Assumed) Params(fns ...string) (map[string][]btfheader.Param, error) {
	return btfheader.Params(btfheader.VmlinuxPath, fns...)
}
