package kernel

import (
	"errors"
	"slices"
)

// Fake is a View for planners' tests: a kernel with the kprobe support,
// functions and "category:event" tracepoints given.
type Fake struct {
	KprobesOK bool
	Functions []string
	Events    []string // "syscalls:sys_enter_openat"
}

func (k Fake) Kprobes() (bool, string) { return k.KprobesOK, "fake kernel" }
func (k Fake) FirstFunction(fns []string) (string, error) {
	for _, fn := range fns {
		if slices.Contains(k.Functions, fn) {
			return fn, nil
		}
	}
	return "", errors.New("none of the functions in the fake kernel")
}
func (k Fake) HasEvent(category, event string) bool {
	return slices.Contains(k.Events, category+":"+event)
}
func (Fake) TraceDir() string  { return "/fake/tracing" }
func (Fake) RingBuffer() error { return nil }
