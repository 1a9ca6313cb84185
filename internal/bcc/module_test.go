package bcc

import (
	"os"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/programs/open"
)

// kernelHasKprobes reports whether this kernel can create kprobes at all
// (CONFIG_KPROBES): through the kprobe PMU or through kprobe_events.
func kernelHasKprobes() bool {
	for _, p := range []string{
		"/sys/bus/event_source/devices/kprobe",
		"/sys/kernel/tracing/kprobe_events",
		"/sys/kernel/debug/tracing/kprobe_events",
	} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

func TestKprobeOpenProgramLoads(t *testing.T) {
	requireRoot(t)
	src, err := open.Render(open.Options{
		UID:    render.AnyUID,
		Kprobe: "do_sys_openat2",
		Output: open.OutputPerf,
	})
	if err != nil {
		t.Fatalf("rendering: %v", err)
	}
	m, err := Compile(src)
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()

	for _, prog := range []string{open.KprobeEntry, open.KprobeReturn} {
		if err := m.LoadKprobe(prog); err != nil {
			t.Errorf("verifier rejected %s: %v", prog, err)
		}
	}
	if _, err := m.TableFD(open.EventsTable); err != nil {
		t.Errorf("TableFD(%s): %v", open.EventsTable, err)
	}

	err = m.AttachKprobe("do_sys_openat2", open.KprobeEntry)
	if err != nil && strings.Contains(err.Error(), "\n") {
		t.Errorf("attach error spans several lines: %q", err)
	}
	switch {
	case err == nil:
		if got := m.Attached(); len(got) != 1 || got[0] != "kprobe:do_sys_openat2" {
			t.Errorf("Attached() = %q after one kprobe", got)
		}
	case !kernelHasKprobes():
		t.Skipf("kernel lacks CONFIG_KPROBES (no kprobe PMU, no kprobe_events); attach failed: %v", err)
	default:
		t.Fatalf("kprobes are available but attaching failed: %v", err)
	}
}

func TestTableFDMissingTable(t *testing.T) {
	requireRoot(t)
	m, err := Compile("BPF_PERF_OUTPUT(present);\nint f(void *ctx) { return 0; }\n")
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()

	if fd, err := m.TableFD("present"); err != nil || fd < 0 {
		t.Errorf("TableFD(present) = %d, %v; want an fd", fd, err)
	}
	fd, err := m.TableFD("no_such_table")
	if err == nil {
		t.Fatalf("TableFD(no_such_table) = %d, nil; want an error", fd)
	}
	if !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("error does not name the table: %v", err)
	}
}

func TestModuleCloseNilAndTwice(t *testing.T) {
	var nilModule *Module
	nilModule.Close()
	(&Module{}).Close()

	requireRoot(t)
	m, err := Compile("int f(void *ctx) { return 0; }\n")
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	m.Close()
	m.Close()
}
