// Package hello is the "Hello, World!" program of the tutorial: one
// bpf_trace_printk line per clone or clone3 call, through kprobes on the
// syscall functions or their sys_enter tracepoints, read back from
// trace_pipe by its tag.
package hello

import (
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

//go:embed hello.c.tmpl
var helloSource string

var helloTemplate = render.Parse("hello.c.tmpl", helloSource)

// KprobeFunction is the BPF function attached to each clone syscall function.
const KprobeFunction = "hello_kprobe"

// Message is what every hello line says.
const Message = "Hello, World!"

// Syscalls are the syscalls hello probes: fork and threads go through clone,
// newer runtimes (glibc's pthread_create, Go's os/exec) through clone3.
var Syscalls = []string{"clone", "clone3"}

// Options fills hello.c.tmpl.
type Options struct {
	Kprobe      bool     // render the kprobe function (attached to each syscall function)
	Tracepoints []string // syscalls from Syscalls whose sys_enter tracepoint to probe
	Tag         string   // hex marker in front of every line
}

// Render returns the C text of the hello program for o.
func Render(o Options) (string, error) {
	if err := render.CheckTag(o.Tag); err != nil {
		return "", err
	}
	for _, tp := range o.Tracepoints {
		if !slices.Contains(Syscalls, tp) {
			return "", fmt.Errorf("hello: syscall %q is not one of %s", tp, strings.Join(Syscalls, ", "))
		}
	}
	if !o.Kprobe && len(o.Tracepoints) == 0 {
		return "", fmt.Errorf("hello: nothing to attach")
	}
	return render.Execute(helloTemplate, o)
}

// ParseLine parses one physical line of trace_pipe, anchored on the
// tag (tracefs.ParseTagged), so no comm can hide or fake a line. ours is
// false for other writers' lines; a line of ours that does not parse, or
// says something else, comes with an error and must be counted, not dropped.
// The line's Task is the comm's last part when the comm held a newline.
func ParseLine(tag, raw string) (ln tracefs.Line, ours bool, err error) {
	ln, ours, err = tracefs.ParseTagged(raw, "bpf_trace_printk", tag)
	if !ours || err != nil {
		return ln, ours, err
	}
	if ln.Message != Message {
		return ln, true, fmt.Errorf("hello trace line %q: want %q after the tag", output.Clip(raw), Message)
	}
	return ln, true, nil
}

// Plan decides what hello probes, in o: kprobes on the clone syscalls'
// functions where they attach, with their sys_enter tracepoints as the
// fallback, or only one kind as mode asks. In auto mode kprobes are not
// used when a syscall without a kprobe function has a tracepoint: a kprobe
// on clone alone would leave clone3 untraced where its tracepoint would not.
func Plan(o *Options, mode attach.Mode, k kernel.View, logf func(string, ...any)) (attach.Plan, error) {
	plan := attach.Plan{Fallback: true}
	if mode.UseKprobes(k, logf) {
		var uncovered []string // syscalls with no kprobe but a tracepoint
		for _, sc := range Syscalls {
			var candidates []string
			for _, prefix := range kernel.SyscallPrefixes {
				candidates = append(candidates, prefix+sc)
			}
			fn, err := k.FirstFunction(candidates)
			if err != nil {
				logf("no kprobe for %s: %v", sc, err)
				if k.HasEvent("syscalls", "sys_enter_"+sc) {
					uncovered = append(uncovered, sc)
				}
				continue
			}
			plan.Kprobes = append(plan.Kprobes, attach.Kprobe{Function: fn, Program: KprobeFunction})
		}
		switch {
		case mode == attach.Kprobes && len(plan.Kprobes) == 0:
			return plan, fmt.Errorf("--attach kprobe: no clone syscall function in /proc/kallsyms")
		case mode == attach.Auto && len(uncovered) > 0 && len(plan.Kprobes) > 0:
			logf("not using kprobes: they would miss %s, which its tracepoint catches", strings.Join(uncovered, ", "))
			plan.Kprobes = nil
		}
		o.Kprobe = len(plan.Kprobes) > 0
	}
	if mode != attach.Kprobes {
		for _, sc := range Syscalls {
			if k.HasEvent("syscalls", "sys_enter_"+sc) {
				o.Tracepoints = append(o.Tracepoints, sc)
				plan.Tracepoints = append(plan.Tracepoints, attach.Tracepoint{Category: "syscalls", Event: "sys_enter_" + sc})
			}
		}
	}
	if !o.Kprobe && len(o.Tracepoints) == 0 {
		return plan, fmt.Errorf("no way to trace clone(): kprobes unavailable and no clone tracepoints in %s/events/syscalls", k.TraceDir())
	}
	plan.WithoutKprobes = func() (string, error) {
		o.Kprobe = false
		return Render(*o)
	}
	return plan, nil
}

// Printer prints hello's lines: the time and task trace_pipe gave them.
type Printer struct {
	w     io.Writer
	buf   []byte
	lines uint64
}

// NewPrinter prints to w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Header prints the column header.
func (p *Printer) Header() {
	fmt.Fprintf(p.w, "%-18s %-16s %-6s %s\n", "TIME(s)", "COMM", "PID", "MESSAGE")
}

// Print prints one line; the task is the traced process's to choose, so
// it is escaped.
func (p *Printer) Print(l tracefs.Line) {
	p.lines++
	b := append(strconv.AppendFloat(p.buf[:0], l.Timestamp, 'f', 6, 64), ' ')
	for n := len(b); n < 19; n++ {
		b = append(b, ' ')
	}
	b = append(output.AppendEscapedLeft(b, []byte(l.Task), 16), ' ')
	b = append(output.AppendLeft(b, strconv.AppendInt(nil, int64(l.PID), 10), 6), ' ')
	b = append(append(b, Message...), '\n')
	p.w.Write(b)
	p.buf = b
}

// Lines is how many lines were printed.
func (p *Printer) Lines() uint64 { return p.lines }
