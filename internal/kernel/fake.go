package kernel

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gosnoop/gosnoop/internal/btfheader"
)

// Fake is a View for planners' tests: a kernel with the kprobe support,
// functions and "category:event" tracepoints given.
type Fake struct {
	KprobesOK bool
	Functions []string
	Events    []string // "syscalls:sys_enter_openat"
	// Prototypes are the functions' parameters; a function not in it has
	// no BTF.
	Prototypes map[string][]btfheader.Param
	Regs       bool // TaskPtRegs
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
func (k Fake) Params(fns ...string) (map[string][]btfheader.Param, error) {
	if k.Prototypes == nil {
		return nil, fmt.Errorf("the fake kernel has no BTF")
	}
	out := map[string][]btfheader.Param{}
	for _, fn := range fns {
		if p, ok := k.Prototypes[fn]; ok {
			out[fn] = p
		}
	}
	return out, nil
}
func (k Fake) HasFunctions(fns []string) (map[string]bool, error) {
	found := map[string]bool{}
	for _, fn := range fns {
		found[fn] = slices.Contains(k.Functions, fn)
	}
	return found, nil
}
func (k Fake) TaskPtRegs() bool { return k.Regs }
