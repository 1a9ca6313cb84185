package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/caps"
	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// want checks a line's mark and that found and fix contain the given texts.
func want(t *testing.T, c Check, mark, found, fix string) {
	t.Helper()
	if c.Mark() != mark || !strings.Contains(c.Found, found) || !strings.Contains(c.Fix, fix) {
		t.Errorf("%s: got %s %q fix %q; want %s, found containing %q, fix containing %q",
			c.Name, c.Mark(), c.Found, c.Fix, mark, found, fix)
	}
	if c.OK && c.Info {
		t.Errorf("%s: both ok and informational", c.Name)
	}
}

func TestCapabilities(t *testing.T) {
	all := caps.Set(1<<caps.SysAdmin | 1<<caps.BPF | 1<<caps.Perfmon | 1<<caps.IPCLock)
	want(t, Capabilities(0, all, nil), "✓", "uid 0: CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK", "")
	want(t, Capabilities(65534, 0, nil), "✗", "uid 65534: none of CAP_SYS_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK", "run as root")
	// CAP_BPF and CAP_PERFMON are enough to trace; CAP_IPC_LOCK is still wanted.
	want(t, Capabilities(1000, 1<<caps.BPF|1<<caps.Perfmon, nil), "✗", "CAP_BPF CAP_PERFMON; missing CAP_SYS_ADMIN CAP_IPC_LOCK", "CAP_IPC_LOCK")
	want(t, Capabilities(1000, 1<<caps.BPF|1<<caps.Perfmon|1<<caps.IPCLock, nil), "✓", "missing CAP_SYS_ADMIN", "")
	want(t, Capabilities(1000, 1<<caps.BPF|1<<caps.IPCLock, nil), "✗", "missing CAP_SYS_ADMIN CAP_PERFMON", "CAP_BPF with CAP_PERFMON")
	want(t, Capabilities(0, 0, errors.New("no CapEff line")), "✗", "unknown: no CapEff line", "run as root")
}

func TestLibBCCCheck(t *testing.T) {
	path := "/usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0"
	want(t, LibBCCCheck(LibBCC{Header: "0.26.0", Path: path, Loaded: "0.26.0", Min: "0.25", Supported: true}),
		"✓", "0.26.0 ("+path+")", "")
	want(t, LibBCCCheck(LibBCC{Header: "0.26.0", Path: "/opt/libbcc.so.0.24.0", Loaded: "0.24.0", Min: "0.25"}),
		"✗", "0.24.0 loaded (/opt/libbcc.so.0.24.0), built against 0.26.0; older than 0.25", "libbpfcc-dev")
	want(t, LibBCCCheck(LibBCC{Header: "0.26.0", LoadErr: errors.New("no libbcc.so mapped"), Min: "0.25", Supported: true}),
		"✓", "0.26.0 (built against; loaded library not found: no libbcc.so mapped)", "")
}

func TestHeaders(t *testing.T) {
	hint := "apt-get install linux-headers-6.1.0-27-cloud-amd64"
	want(t, Headers(kheaders.Source{Kind: kheaders.Host, Dir: "/lib/modules/6.1.0-27-cloud-amd64/build"}, "6.1.0-27-cloud-amd64", hint),
		"✓", "host: /lib/modules/6.1.0-27-cloud-amd64/build", "")
	want(t, Headers(kheaders.Source{Kind: kheaders.Kheaders, Dir: "/sys/kernel/kheaders.tar.xz"}, "6.1", hint),
		"✓", "kheaders: /sys/kernel/kheaders.tar.xz", "")
	want(t, Headers(kheaders.Source{Kind: kheaders.Minimal}, "6.1.0-27-cloud-amd64", hint),
		"✗", "none for 6.1.0-27-cloud-amd64 and no kernel BTF; gosnoop's minimal tree in use", hint)
	want(t, Headers(kheaders.Source{Kind: kheaders.BTF, Dir: "/sys/kernel/btf/vmlinux"}, "6.18", hint),
		"✓", "none installed for 6.18; gosnoop generates them from the kernel's BTF (/sys/kernel/btf/vmlinux), kernel structs included", "")
	dir := t.TempDir()
	want(t, Headers(kheaders.Source{Kind: kheaders.FromEnv, Dir: dir}, "6.1", hint), "✓", "BCC_KERNEL_SOURCE: "+dir, "")
	missing := filepath.Join(dir, "missing")
	want(t, Headers(kheaders.Source{Kind: kheaders.FromEnv, Dir: missing}, "6.1", hint),
		"✗", "BCC_KERNEL_SOURCE="+missing+" is not a directory", "unset it")
}

func mountList(t *testing.T, lines ...string) []Mount {
	t.Helper()
	m, err := parseMounts(strings.NewReader(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTracefs(t *testing.T) {
	const (
		tracefs    = "tracefs /sys/kernel/tracing tracefs rw 0 0"
		debugfs    = "debugfs /sys/kernel/debug debugfs rw 0 0"
		oldTracefs = "tracefs /sys/kernel/debug/tracing tracefs rw 0 0"
		elsewhere  = "tracefs /mnt/t tracefs rw 0 0"
	)
	cases := []struct {
		mounts           []string
		mark, found, dir string
	}{
		{[]string{tracefs}, "✓", "/sys/kernel/tracing (debugfs not mounted)", "/sys/kernel/tracing"},
		{[]string{debugfs, oldTracefs, tracefs}, "✓", "/sys/kernel/tracing (debugfs at /sys/kernel/debug)", "/sys/kernel/tracing"},
		{[]string{debugfs, oldTracefs}, "✓", "/sys/kernel/debug/tracing (debugfs at", "/sys/kernel/debug/tracing"},
		{[]string{debugfs}, "✓", "/sys/kernel/debug/tracing (debugfs mounts tracefs there on first access)", "/sys/kernel/debug/tracing"},
		{nil, "✗", "not mounted at /sys/kernel/tracing or /sys/kernel/debug/tracing; debugfs not mounted", ""},
		{[]string{elsewhere}, "✗", "tracefs is at /mnt/t, where gosnoop does not look", ""},
	}
	for _, c := range cases {
		check, dir := Tracefs(mountList(t, c.mounts...))
		fix := ""
		if c.mark == "✗" {
			fix = "mount -t tracefs tracefs /sys/kernel/tracing"
		}
		want(t, check, c.mark, c.found, fix)
		if dir != c.dir {
			t.Errorf("%q: dir %q, want %q", c.mounts, dir, c.dir)
		}
	}
}

func TestTracefsAccess(t *testing.T) {
	dir := t.TempDir()
	if err := TracefsAccess(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no events: %v", err)
	}
	os.Mkdir(filepath.Join(dir, "events"), 0o755)
	if err := TracefsAccess(dir); err != nil {
		t.Errorf("events present: %v", err)
	}
}

func TestKprobes(t *testing.T) {
	reason := "no kprobe PMU and no kprobe_events in tracefs (kernel built without CONFIG_KPROBES?)"
	want(t, Kprobes(true, "kprobe PMU present", "/sys/kernel/tracing", nil), "✓", "kprobe PMU present", "")
	want(t, Kprobes(false, reason, "/sys/kernel/tracing", nil), "✗", "CONFIG_KPROBES", "CONFIG_KPROBES=y")
	want(t, Kprobes(false, reason, "", nil), "–", "unknown", "")
	denied := &fs.PathError{Op: "stat", Path: "/sys/kernel/tracing/events", Err: syscall.EACCES}
	want(t, Kprobes(false, reason, "/sys/kernel/tracing", denied), "–", "not readable by this user", "")
}

func TestLockdown(t *testing.T) {
	secfs := mountList(t, "securityfs /sys/kernel/security securityfs rw 0 0")
	want(t, Lockdown(nil, "", fs.ErrNotExist), "–", "unknown (securityfs not mounted", "")
	want(t, Lockdown(secfs, "", fmt.Errorf("open: %w", fs.ErrNotExist)), "✓", "no lockdown LSM", "")
	want(t, Lockdown(secfs, "none", nil), "✓", "none", "")
	want(t, Lockdown(secfs, "integrity", nil), "✓", "integrity", "")
	want(t, Lockdown(secfs, "confidentiality", nil), "✗", "blocks kprobes", "lockdown=none")
	want(t, Lockdown(secfs, "", errors.New("bad")), "–", "unknown: bad", "")
}

func TestBTF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vmlinux")
	os.WriteFile(path, make([]byte, 3<<19), 0o644)
	st, err := os.Stat(path)
	want(t, BTF(path, st, err), "✓", path+" (1.5 MiB)", "")
	st, err = os.Stat(path + ".missing")
	want(t, BTF(path+".missing", st, err), "✗", "no "+path+".missing", "CONFIG_DEBUG_INFO_BTF=y")
}

func TestPerfEvents(t *testing.T) {
	const path = "/proc/sys/kernel/perf_event_paranoid"
	want(t, PerfEvents(path, 2, nil), "✓", "perf_event_paranoid=2 (unprivileged users: user-space profiling only", "")
	want(t, PerfEvents(path, 4, nil), "✓", "perf_event_paranoid=4 (unprivileged users: none", "")
	want(t, PerfEvents(path, 0, &fs.PathError{Op: "open", Path: path, Err: syscall.ENOENT}), "✗", "CONFIG_PERF_EVENTS?", "CONFIG_PERF_EVENTS=y")
}

func TestRingBuffer(t *testing.T) {
	want(t, RingBuffer(nil, true, "6.1.0"), "✓", "RINGBUF map created", "")
	want(t, RingBuffer(fmt.Errorf("creating: %w", syscall.EPERM), false, "6.1.0"), "–", "not probed", "")
	want(t, RingBuffer(fmt.Errorf("creating: %w", syscall.EPERM), true, "6.1.0"), "✗", "operation not permitted", "lockdown")
	want(t, RingBuffer(fmt.Errorf("creating: %w", syscall.EINVAL), true, "5.4.0"), "✗", "does not know BPF_MAP_TYPE_RINGBUF", "5.8 or newer")
}

func TestUnprivilegedBPF(t *testing.T) {
	want(t, UnprivilegedBPF(0, nil), "–", "0: unprivileged users may call bpf()", "")
	want(t, UnprivilegedBPF(1, nil), "–", "until reboot", "")
	want(t, UnprivilegedBPF(2, nil), "–", "re-enable", "")
	want(t, UnprivilegedBPF(0, fs.ErrNotExist), "–", "unknown", "")
}
