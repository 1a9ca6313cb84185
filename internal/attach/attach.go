// Package attach describes what a BPF program attaches to, so each program
// can declare its plan in pure Go and the session carry it out.
package attach

import "github.com/gosnoop/gosnoop/internal/kernel"

// Mode says how a program may attach: the --attach flag.
type Mode string

const (
	Auto        Mode = "auto"       // kprobes where they work, else tracepoints
	Kprobes     Mode = "kprobe"     // kprobes only
	Tracepoints Mode = "tracepoint" // tracepoints only
)

// UseKprobes says whether a planner in mode m looks for kprobe functions:
// never with Tracepoints; with Auto where the kernel has kprobes; with
// Kprobes always, saying so when they look unavailable. logf says why.
func (m Mode) UseKprobes(k kernel.View, logf func(string, ...any)) bool {
	if m == Tracepoints {
		return false
	}
	ok, reason := k.Kprobes()
	switch {
	case ok:
		logf("kprobes available (%s)", reason)
		return true
	case m == Kprobes:
		logf("kprobes look unavailable (%s); trying anyway as --attach kprobe asks", reason)
		return true
	default:
		logf("not using kprobes: %s", reason)
		return false
	}
}

// Kprobe is one kprobe or kretprobe of a program.
type Kprobe struct {
	Function, Program string
	Return            bool
}

// Tracepoint is one tracepoint a program attaches to.
type Tracepoint struct{ Category, Event string }

// Plan is what a program attaches.
type Plan struct {
	Kprobes     []Kprobe
	Tracepoints []Tracepoint
	// Fallback: the tracepoints stand in for the kprobes and attach only
	// when a kprobe does not; otherwise both attach.
	Fallback bool
	// WithoutKprobes renders the program without its kprobes, for the
	// fallback after some kprobes attached and a later one failed, so no
	// half-attached set is left behind.
	WithoutKprobes func() (string, error)
	// KprobeError, when set, explains a kprobe that did not attach and
	// had no fallback.
	KprobeError func(Kprobe, error) error
}
