package bcc_test

import (
	"os"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/programs/open"
)

// Every variant of open's -F and -f program compiles against this kernel's
// structs and passes its verifier: the kprobes (loaded, not attached:
// loading needs no kprobe support), the tracepoints with an entry program
// (the planner picks them where bpf_task_pt_regs is missing) and with the
// exit program alone. The run tests see the events of what this kernel
// attaches.
func TestOpenFullPathProgramsLoad(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	all := open.Syscalls{Open: true, Openat: true, Openat2: true}
	for name, o := range map[string]open.Options{
		"kprobe do_sys_openat2": {Kprobe: "do_sys_openat2"},
		"kprobe do_sys_open":    {Kprobe: "do_sys_open"},
		"two programs":          {Tracepoints: all},
		"one program":           {Tracepoints: all, OneProgram: true},
	} {
		t.Run(name, func(t *testing.T) {
			o.UID, o.Output, o.RingPages, o.RingWakeup = render.AnyUID, open.OutputRingbuf, 64, 16
			o.FullPath, o.Flags = true, open.FlagFilter{Any: 0100, AccModes: 1}
			src, err := open.Render(o)
			if err != nil {
				t.Fatal(err)
			}
			m, err := bcc.Compile(src, o.KernelTypes()...)
			if err != nil {
				t.Skipf("no headers with kernel structs: %v", err)
			}
			defer m.Close()
			if o.Kprobe != "" {
				for _, p := range []string{open.KprobeEntry, open.KprobeReturn} {
					if err := m.LoadKprobe(p); err != nil {
						t.Errorf("%s: %v", p, err)
					}
				}
				return
			}
			for _, tp := range open.AttachPlan(o).Tracepoints {
				if err := m.AttachTracepoint(tp.Category, tp.Event); err != nil {
					t.Errorf("%s: %v", tp.Event, err)
				}
			}
		})
	}
}
