package cmd

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/gosnoop/gosnoop/internal/doctor"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/programs/open"
)

// doctorJSON runs gosnoop doctor --json in-process and returns its checks by name.
func doctorJSON(t *testing.T) (map[string]doctor.Check, doctor.Report) {
	t.Helper()
	code, stdout, stderr := run(t, "doctor", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	return parseDoctorJSON(t, stdout)
}

func parseDoctorJSON(t *testing.T, stdout string) (map[string]doctor.Check, doctor.Report) {
	t.Helper()
	var r doctor.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v in %q", err, stdout)
	}
	byName := make(map[string]doctor.Check)
	for _, c := range r.Checks {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("two checks named %q", c.Name)
		}
		if c.OK && c.Info {
			t.Errorf("%s: both ok and informational", c.Name)
		}
		if !c.OK && !c.Info && c.Fix == "" {
			t.Errorf("%s failed with no fix: %q", c.Name, c.Found)
		}
		byName[c.Name] = c
	}
	for _, name := range []string{"capabilities", "libbcc", "kernel", "kernel headers", "tracefs", "kprobes",
		"open attach", "lockdown", "BTF", "perf buffers", "ring buffers", "unprivileged bpf"} {
		if _, ok := byName[name]; !ok {
			t.Errorf("no %q check in %q", name, stdout)
		}
	}
	return byName, r
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to see everything doctor checks")
	}
}

// tracefsMounted is the tracefs directory doctor should find, without mounting.
func tracefsMounted(t *testing.T) string {
	t.Helper()
	mounts, err := doctor.ReadMounts()
	if err != nil {
		t.Fatal(err)
	}
	_, dir := doctor.Tracefs(mounts)
	if dir == "" {
		t.Skip("tracefs is not mounted")
	}
	return dir
}

func TestDoctorAsRoot(t *testing.T) {
	needRoot(t)
	checks, r := doctorJSON(t)

	if c := checks["capabilities"]; !c.OK {
		t.Errorf("capabilities as root: %+v", c)
	}

	dir := tracefsMounted(t)
	kprobesOK, reason := kernel.Kprobes(dir)
	switch c := checks["kprobes"]; {
	case kprobesOK && !c.OK:
		t.Errorf("kernel.Kprobes says yes (%s), doctor says %+v", reason, c)
	case !kprobesOK && (c.OK || c.Info || c.Found != reason || !strings.Contains(c.Found, "CONFIG_KPROBES")):
		t.Errorf("kernel.Kprobes says no (%s), doctor says %+v", reason, c)
	}

	wantAttach := doctor.AttachTracepoint
	if _, err := kernel.FirstFunction(open.KprobeFunctions); err == nil && kprobesOK {
		wantAttach = doctor.AttachKprobe
	}
	if r.Attach != wantAttach || !checks["open attach"].OK {
		t.Errorf("attach %q, want %q; %+v", r.Attach, wantAttach, checks["open attach"])
	}
	if wantAttach == doctor.AttachTracepoint && !strings.Contains(checks["open attach"].Found, "openat") {
		t.Errorf("open attach names no openat tracepoint: %+v", checks["open attach"])
	}

	_, err := os.Stat("/sys/kernel/btf/vmlinux")
	if c := checks["BTF"]; c.OK != (err == nil) {
		t.Errorf("stat says %v, doctor says %+v", err, c)
	}

	if c := checks["ring buffers"]; c.Info {
		t.Errorf("ring buffers not probed as root: %+v", c)
	}
}

func TestDoctorLibbccMatchesDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "libbpfcc").Output()
	if err != nil {
		t.Skipf("libbpfcc is not a dpkg package here: %v", err)
	}
	// "0.26.0+ds-1" → "0.26.0"
	version, _, _ := strings.Cut(string(out), "+")
	version, _, _ = strings.Cut(version, "-")
	checks, _ := doctorJSON(t)
	c := checks["libbcc"]
	if !c.OK || !strings.HasPrefix(c.Found, version+" (") {
		t.Errorf("dpkg says libbpfcc %s, doctor says %+v", out, c)
	}
}

func TestDoctorText(t *testing.T) {
	code, stdout, stderr := run(t, "doctor")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	_, r := parseDoctorJSON(t, mustRun(t, "doctor", "--json"))
	if len(lines) != len(r.Checks)+1 {
		t.Fatalf("%d lines for %d checks:\n%s", len(lines), len(r.Checks), stdout)
	}
	// Each line: mark, name, then what was found in one column for all lines.
	column := -1
	for i, c := range r.Checks {
		line := lines[i]
		if !strings.HasPrefix(line, c.Mark()+" "+c.Name+" ") {
			t.Errorf("line %d %q is not %s %s", i, line, c.Mark(), c.Name)
			continue
		}
		at := strings.Index(line, "  "+c.Found)
		if at < 0 {
			t.Errorf("line %q lacks %q", line, c.Found)
			continue
		}
		col := utf8.RuneCountInString(line[:at])
		if column >= 0 && col != column {
			t.Errorf("line %q: found at column %d, others at %d", line, col, column)
		}
		column = col
		if hasFix := strings.Contains(line, "  fix: "+c.Fix); hasFix != (!c.OK && !c.Info) {
			t.Errorf("line %q: fix shown %v for ok=%v info=%v", line, hasFix, c.OK, c.Info)
		}
	}
	if last := lines[len(lines)-1]; last != r.Summary() {
		t.Errorf("last line %q, want the summary %q", last, r.Summary())
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := run(t, args...)
	if code != 0 {
		t.Fatalf("gosnoop %v: exit %d, %s", args, code, stderr)
	}
	return stdout
}

func TestDoctorAsNobody(t *testing.T) {
	code, stdout, stderr := asNobody(t, "doctor", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	checks, r := parseDoctorJSON(t, stdout)
	if c := checks["capabilities"]; c.OK || c.Info || !strings.Contains(c.Found, "uid 65534") {
		t.Errorf("capabilities as nobody: %+v", c)
	}
	code, text, _ := asNobody(t, "doctor")
	if code != 0 || !strings.HasPrefix(text, "✗ capabilities ") {
		t.Errorf("text as nobody: exit %d\n%s", code, text)
	}

	// tracefs is root-only by default; where it is, doctor cannot tell the attach path.
	if dir := tracefsMounted(t); !othersCanStat(filepath.Join(dir, "events")) && r.Attach != doctor.AttachUnknown {
		t.Errorf("attach %q as nobody with an unreadable %s", r.Attach, dir)
	}
}

// othersCanStat tells whether a user who owns nothing on the way can stat
// path: every directory above it must be searchable by others.
func othersCanStat(path string) bool {
	for dir := filepath.Dir(path); dir != "/"; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
	}
	return true
}

func TestDoctorTakesNoArguments(t *testing.T) {
	code, _, stderr := run(t, "doctor", "extra")
	if code != 2 || !strings.Contains(stderr, `doctor takes no arguments, got "extra"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// fakeTracefs makes a tracefs-like directory with the given syscalls events.
func fakeTracefs(t *testing.T, events ...string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "events", "syscalls"), 0o755)
	for _, ev := range events {
		os.MkdirAll(filepath.Join(dir, "events", "syscalls", ev), 0o755)
		os.WriteFile(filepath.Join(dir, "events", "syscalls", ev, "format"), nil, 0o644)
	}
	return dir
}

func TestOpenAttachCheck(t *testing.T) {
	dir := fakeTracefs(t, "sys_enter_openat", "sys_exit_openat")
	kprobesOK, _ := kernel.Kprobes(dir) // the real PMU still counts
	_, ferr := kernel.FirstFunction(open.KprobeFunctions)
	attach, c := openAttachCheck(dir, nil, kprobesOK)
	switch {
	case kprobesOK && ferr == nil:
		if attach != doctor.AttachKprobe || !strings.Contains(c.Found, "falling back to the tracepoints of openat") {
			t.Errorf("kprobes here: %q %+v", attach, c)
		}
	default:
		if attach != doctor.AttachTracepoint || !c.OK || !strings.HasPrefix(c.Found, "tracepoints of openat ") {
			t.Errorf("no kprobes here: %q %+v", attach, c)
		}
		attach, c = openAttachCheck(fakeTracefs(t), nil, kprobesOK)
		if attach != doctor.AttachNone || c.OK || !strings.Contains(c.Found, "no way to trace open()") {
			t.Errorf("no kprobes and no tracepoints: %q %+v", attach, c)
		}
	}

	if attach, c := openAttachCheck("", nil, false); attach != doctor.AttachUnknown || !c.Info {
		t.Errorf("no tracefs: %q %+v", attach, c)
	}
	denied := &fs.PathError{Op: "stat", Path: dir + "/events", Err: syscall.EACCES}
	if attach, c := openAttachCheck(dir, denied, false); attach != doctor.AttachUnknown || !strings.Contains(c.Found, "not readable") {
		t.Errorf("unreadable tracefs: %q %+v", attach, c)
	}
}
