package probe

import (
	"fmt"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/kernel"
)

// CheckTargets makes sure every probe names something that exists,
// before anything is compiled.
func CheckTargets(specs []*Spec, k kernel.View) error {
	var fns []string
	for _, s := range specs {
		if s.Kind == Tracepoint {
			if !k.HasEvent(s.Category, s.Function) {
				return fmt.Errorf("tracepoint %s:%s does not exist (see %s/available_events)", s.Category, s.Function, k.TraceDir())
			}
			continue
		}
		fns = append(fns, s.Function)
	}
	if len(fns) == 0 {
		return nil
	}
	have, err := k.HasFunctions(fns) // one read of kallsyms for every spec
	if err != nil {
		return err
	}
	for _, fn := range fns {
		if !have[fn] {
			return fmt.Errorf("kernel function %s not found in /proc/kallsyms (it may be inlined or named differently; grep it there)", fn)
		}
	}
	return nil
}

// AttachPlan attaches each tracepoint once, however many specs share it
// (their bodies run in one program), and each kprobe spec's own function. A
// kprobe that cannot attach says the kernel's reason and, for a syscall,
// the tracepoint that sees the same.
func AttachPlan(o Options, view kernel.View) attach.Plan {
	var plan attach.Plan
	for _, tp := range o.Tracepoints() {
		plan.Tracepoints = append(plan.Tracepoints, attach.Tracepoint{Category: tp[0], Event: tp[1]})
	}
	specOf := map[string]*Spec{}
	for i, spec := range o.Specs {
		if spec.Kind == Tracepoint {
			continue
		}
		k := attach.Kprobe{Function: spec.Function, Program: ProgramName(i), Return: spec.Kind == Kretprobe}
		plan.Kprobes = append(plan.Kprobes, k)
		specOf[k.Program] = spec
	}
	plan.KprobeError = func(k attach.Kprobe, err error) error {
		if ok, reason := view.Kprobes(); !ok {
			err = fmt.Errorf("%w; kprobes are unavailable here: %s", err, reason)
		}
		if tp := specOf[k.Program].SuggestTracepoint(); tp != "" {
			err = fmt.Errorf("%w; try %s instead", err, tp)
		}
		return err
	}
	return plan
}
