package cmd

import (
	"fmt"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/open"
)

// planOpen decides what the open program probes: a kprobe pair on the
// do_sys_open family, the syscall tracepoints, or (auto) both, the
// tracepoints serving as the fallback when the kprobes do not attach.
func planOpen(cfg *openConfig, traceDir string, logf func(string, ...any)) error {
	if cfg.attach != "tracepoint" {
		ok, reason := kernel.Kprobes(traceDir)
		var fn string
		var ferr error
		if ok || cfg.attach == "kprobe" { // reading kallsyms takes tens of milliseconds
			fn, ferr = kernel.FirstFunction(open.OpenKprobeFunctions)
		}
		switch {
		case cfg.attach == "kprobe" && ferr != nil:
			return fmt.Errorf("--attach kprobe: %w", ferr)
		case cfg.attach == "kprobe":
			cfg.prog.Kprobe = fn
			if !ok {
				logf("kprobes look unavailable (%s); trying anyway as --attach kprobe asks", reason)
			}
		case !ok:
			logf("not using kprobes: %s", reason)
		case ferr != nil:
			logf("not using kprobes: %v", ferr)
		default:
			cfg.prog.Kprobe = fn
			logf("kprobes available (%s); will try %s first", reason, fn)
		}
	}
	if cfg.attach != "kprobe" {
		cfg.prog.Tracepoints = open.OpenSyscalls{
			Open:    tracefs.HasEvent(traceDir, "syscalls", "sys_enter_open"),
			Openat:  tracefs.HasEvent(traceDir, "syscalls", "sys_enter_openat"),
			Openat2: tracefs.HasEvent(traceDir, "syscalls", "sys_enter_openat2"),
		}
		if len(cfg.prog.Tracepoints.Names()) == 0 {
			if cfg.prog.Kprobe == "" {
				return fmt.Errorf("no way to trace open(): kprobes unavailable and %s/events/syscalls has no open tracepoints (kernel built without CONFIG_FTRACE_SYSCALLS?)", traceDir)
			}
			logf("no syscall open tracepoints in %s; kprobes only", traceDir)
		}
	}
	return nil
}

// planOpenForDisplay fills the attach plan for --ebpf, which needs no root:
// it uses what can be read and assumes the rest is present.
func planOpenForDisplay(cfg *openConfig) {
	if cfg.attach != "tracepoint" {
		fn, err := kernel.FirstFunction(open.OpenKprobeFunctions)
		if err != nil {
			fn = open.OpenKprobeFunctions[0]
		}
		cfg.prog.Kprobe = fn
	}
	if cfg.attach != "kprobe" {
		all := open.OpenSyscalls{Open: true, Openat: true, Openat2: true}
		if dir, err := tracefs.Dir(); err == nil && tracefs.HasEvent(dir, "syscalls", "sys_enter_openat") {
			all.Open = tracefs.HasEvent(dir, "syscalls", "sys_enter_open")
			all.Openat2 = tracefs.HasEvent(dir, "syscalls", "sys_enter_openat2")
		}
		cfg.prog.Tracepoints = all
	}
}

// openAttachPlan lists the open program's probes: the kretprobe before the
// kprobe, so an entry never waits in the map for a return that is not
// traced; the syscall tracepoints stand in for them where they do not attach.
func openAttachPlan(o open.OpenOptions) session.Plan {
	plan := session.Plan{Fallback: true}
	if o.Kprobe != "" {
		plan.Kprobes = []session.Kprobe{
			{Function: o.Kprobe, Program: open.OpenKprobeReturn, Return: true},
			{Function: o.Kprobe, Program: open.OpenKprobeEntry},
		}
	}
	for _, name := range o.Tracepoints.Names() {
		plan.Tracepoints = append(plan.Tracepoints,
			session.Tracepoint{Category: "syscalls", Event: "sys_enter_" + name},
			session.Tracepoint{Category: "syscalls", Event: "sys_exit_" + name})
	}
	return plan
}
