package cmd

import (
	"fmt"
	"io"
	"time"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs"
)

// planOpen decides what the open program probes: a kprobe pair on the
// do_sys_open family, the syscall tracepoints, or (auto) both, the
// tracepoints serving as the fallback when the kprobes do not attach.
func planOpen(cfg *openConfig, traceDir string, logf func(string, ...any)) error {
	if cfg.attach != "tracepoint" {
		ok, reason := kernel.Kprobes(traceDir)
		fn, ferr := kernel.FirstFunction(programs.OpenKprobeFunctions)
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
		cfg.prog.Tracepoints = programs.OpenSyscalls{
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
		fn, err := kernel.FirstFunction(programs.OpenKprobeFunctions)
		if err != nil {
			fn = programs.OpenKprobeFunctions[0]
		}
		cfg.prog.Kprobe = fn
	}
	if cfg.attach != "kprobe" {
		all := programs.OpenSyscalls{Open: true, Openat: true, Openat2: true}
		if dir, err := tracefs.Dir(); err == nil && tracefs.HasEvent(dir, "syscalls", "sys_enter_openat") {
			all.Open = tracefs.HasEvent(dir, "syscalls", "sys_enter_open")
			all.Openat2 = tracefs.HasEvent(dir, "syscalls", "sys_enter_openat2")
		}
		cfg.prog.Tracepoints = all
	}
}

func compileOpen(cfg openConfig, stderr io.Writer, logf func(string, ...any)) (*bcc.Module, error) {
	src, err := programs.RenderOpen(cfg.prog)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	m, err := bcc.Compile(src, bcc.CompileOptions{})
	if err != nil {
		return nil, err
	}
	noteHeaders(m.Headers, stderr, logf)
	logf("compiled in %v", time.Since(start).Round(time.Millisecond))
	if m.Warnings != "" {
		logf("libbcc said while compiling:\n%s", m.Warnings)
	}
	return m, nil
}

// noteHeaders says once on stderr when the minimal header tree is in use.
func noteHeaders(h kheaders.Source, stderr io.Writer, logf func(string, ...any)) {
	if h.Kind == kheaders.Minimal {
		fmt.Fprintf(stderr, "gosnoop: no kernel headers for %s; using gosnoop's minimal header tree (for real ones: %s)\n",
			kheaders.Release(), kheaders.InstallHint())
		return
	}
	logf("kernel headers: %s (%s)", h.Dir, h.Kind)
}

// attachOpen attaches the planned probes. Under auto, a kprobe that does not
// attach falls back to the tracepoints; should the kretprobe have attached
// before the kprobe failed, the module is rebuilt without kprobes so no
// half-attached pair is left behind.
func attachOpen(m *bcc.Module, cfg *openConfig, logf func(string, ...any)) (*bcc.Module, error) {
	if fn := cfg.prog.Kprobe; fn != "" {
		err := m.AttachKretprobe(fn, programs.OpenKprobeReturn)
		if err == nil {
			err = m.AttachKprobe(fn, programs.OpenKprobeEntry)
		}
		if err == nil {
			logf("attached kprobe and kretprobe to %s", fn)
			return m, nil
		}
		if cfg.attach == "kprobe" || len(cfg.prog.Tracepoints.Names()) == 0 {
			return m, err
		}
		logf("falling back to tracepoints: %v", err)
		if len(m.Attached()) > 0 {
			m.Close()
			cfg.prog.Kprobe = ""
			var cerr error
			if m, cerr = compileOpen(*cfg, io.Discard, logf); cerr != nil {
				return m, cerr
			}
		}
	}
	for _, name := range cfg.prog.Tracepoints.Names() {
		for _, ev := range []string{"sys_enter_" + name, "sys_exit_" + name} {
			if err := m.AttachTracepoint("syscalls", ev); err != nil {
				return m, err
			}
		}
	}
	logf("attached tracepoints %v", m.Attached())
	return m, nil
}
