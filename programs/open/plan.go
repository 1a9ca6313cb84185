package open

import (
	"fmt"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/kernel"
)

// Plan decides what the open program probes, in o: a kprobe pair on the
// do_sys_open family, the syscall tracepoints, or (auto) both, the
// tracepoints serving as the fallback when the kprobes do not attach. logf
// says why.
func Plan(o *Options, mode attach.Mode, k kernel.View, logf func(string, ...any)) error {
	if mode.UseKprobes(k, logf) { // reading kallsyms takes tens of milliseconds: only then
		fn, err := k.FirstFunction(KprobeFunctions)
		switch {
		case err != nil && mode == attach.Kprobes:
			return fmt.Errorf("--attach kprobe: %w", err)
		case err != nil:
			logf("not using kprobes: %v", err)
		default:
			o.Kprobe = fn
			logf("will try a kprobe on %s first", fn)
		}
	}
	if mode != attach.Kprobes {
		o.Tracepoints = Syscalls{
			Open:    k.HasEvent("syscalls", "sys_enter_open"),
			Openat:  k.HasEvent("syscalls", "sys_enter_openat"),
			Openat2: k.HasEvent("syscalls", "sys_enter_openat2"),
		}
		if o.OneProgram = k.TaskPtRegs(); o.OneProgram {
			logf("tracepoints: one program per syscall, at its exit (bpf_task_pt_regs)")
		}
		if len(o.Tracepoints.Names()) == 0 {
			if o.Kprobe == "" {
				return fmt.Errorf("no way to trace open(): kprobes unavailable and %s/events/syscalls has no open tracepoints (kernel built without CONFIG_FTRACE_SYSCALLS?)", k.TraceDir())
			}
			logf("no syscall open tracepoints in %s; kprobes only", k.TraceDir())
		}
	}
	return nil
}

// ChooseOutput resolves OutputAuto: the ring buffer where the kernel has one
// (one buffer for all CPUs, events in order), perf buffers otherwise. It
// sizes the ring buffer like the perf buffers of all cpus together, and its
// wakeups like the perf reader's.
func ChooseOutput(o *Options, k kernel.View, pages, cpus, wakeup int, logf func(string, ...any)) {
	if o.Output == OutputAuto {
		if err := k.RingBuffer(); err != nil {
			o.Output = OutputPerf
			logf("output: perf buffers (no ring buffer: %v)", err)
		} else {
			o.Output = OutputRingbuf
			logf("output: ring buffer")
		}
	}
	if o.Output == OutputRingbuf {
		n := 1
		for n < cpus {
			n *= 2
		}
		o.RingPages = pages * n
		o.RingWakeup = wakeup
	}
}

// AttachPlan lists what o attaches: the kretprobe before the kprobe, so an
// entry never waits in the map for a return that is not traced, and the
// syscall tracepoints that stand in for them where they do not attach.
// Should some kprobes attach before one fails, the program is rendered
// again without them.
func AttachPlan(o Options) attach.Plan {
	plan := attach.Plan{Fallback: true}
	if o.Kprobe != "" {
		plan.Kprobes = []attach.Kprobe{
			{Function: o.Kprobe, Program: KprobeReturn, Return: true},
			{Function: o.Kprobe, Program: KprobeEntry},
		}
	}
	for _, name := range o.Tracepoints.Names() {
		if !o.OneProgram {
			plan.Tracepoints = append(plan.Tracepoints, attach.Tracepoint{Category: "syscalls", Event: "sys_enter_" + name})
		}
		plan.Tracepoints = append(plan.Tracepoints, attach.Tracepoint{Category: "syscalls", Event: "sys_exit_" + name})
	}
	plan.WithoutKprobes = func() (string, error) {
		o.Kprobe = ""
		return Render(o)
	}
	return plan
}
