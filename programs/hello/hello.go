package hello

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

//go:embed hello.c.tmpl
var helloSource string

var helloTemplate = render.Parse("hello.c.tmpl", helloSource)

// HelloKprobe is the BPF function attached to each clone syscall function.
const HelloKprobe = "hello_kprobe"

// HelloMessage is what every hello line says.
const HelloMessage = "Hello, World!"

// HelloSyscalls are the syscalls hello probes: fork and threads go through clone,
// newer runtimes (glibc's pthread_create, Go's os/exec) through clone3.
var HelloSyscalls = []string{"clone", "clone3"}

// HelloOptions fills hello.c.tmpl.
type HelloOptions struct {
	Kprobe      bool     // render the kprobe function (attached to each syscall function)
	Tracepoints []string // syscalls from HelloSyscalls whose sys_enter tracepoint to probe
	Tag         string   // hex marker in front of every line
}

// RenderHello returns the C text of the hello program for o.
func RenderHello(o HelloOptions) (string, error) {
	if err := render.CheckTag(o.Tag); err != nil {
		return "", err
	}
	for _, tp := range o.Tracepoints {
		if !slices.Contains(HelloSyscalls, tp) {
			return "", fmt.Errorf("hello: syscall %q is not one of %s", tp, strings.Join(HelloSyscalls, ", "))
		}
	}
	if !o.Kprobe && len(o.Tracepoints) == 0 {
		return "", fmt.Errorf("hello: nothing to attach")
	}
	return render.Execute(helloTemplate, o)
}

// ParseHelloLine parses one physical line of trace_pipe, anchored on the
// tag (tracefs.ParseTagged), so no comm can hide or fake a line. ours is
// false for other writers' lines; a line of ours that does not parse, or
// says something else, comes with an error and must be counted, not dropped.
// The line's Task is the comm's last part when the comm held a newline.
func ParseHelloLine(tag, raw string) (ln tracefs.Line, ours bool, err error) {
	ln, ours, err = tracefs.ParseTagged(raw, "bpf_trace_printk", tag)
	if !ours || err != nil {
		return ln, ours, err
	}
	if ln.Message != HelloMessage {
		return ln, true, fmt.Errorf("hello trace line %q: want %q after the tag", output.Clip(raw), HelloMessage)
	}
	return ln, true, nil
}
