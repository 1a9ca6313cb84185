package tracefs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeTracefs makes a directory that looks like tracefs to dirFrom.
func fakeTracefs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "trace_pipe"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func noMount(t *testing.T) func(string) error {
	return func(dir string) error {
		t.Errorf("mount(%s) called, want no mount", dir)
		return nil
	}
}

func TestDirFromFirst(t *testing.T) {
	first, second := fakeTracefs(t), fakeTracefs(t)
	got, err := dirFrom([]string{first, second}, os.Stat, noMount(t))
	if err != nil || got != first {
		t.Fatalf("dirFrom = %q, %v; want %q", got, err, first)
	}
}

func TestDirFromSecond(t *testing.T) {
	empty, second := t.TempDir(), fakeTracefs(t)
	got, err := dirFrom([]string{empty, filepath.Join(empty, "missing"), second}, os.Stat, noMount(t))
	if err != nil || got != second {
		t.Fatalf("dirFrom = %q, %v; want %q", got, err, second)
	}
}

func TestDirFromMounts(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	mount := func(dir string) error {
		if dir != first {
			t.Errorf("mounted %s, want %s", dir, first)
		}
		return os.WriteFile(filepath.Join(dir, "trace_pipe"), nil, 0o600)
	}
	got, err := dirFrom([]string{first, second}, os.Stat, mount)
	if err != nil || got != first {
		t.Fatalf("dirFrom = %q, %v; want %q", got, err, first)
	}
}

func TestDirFromUnavailable(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	mount := func(string) error { return syscall.EPERM }
	got, err := dirFrom([]string{first, second}, os.Stat, mount)
	if err == nil {
		t.Fatalf("dirFrom = %q, want an error", got)
	}
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.EPERM) {
		t.Errorf("error %q does not wrap ErrUnavailable and EPERM", err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, want := range []string{first, second, "operation not permitted", "try: sudo mount -t tracefs tracefs " + first} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestDirFromMountWithoutPipe(t *testing.T) {
	_, err := dirFrom([]string{t.TempDir()}, os.Stat, func(string) error { return nil })
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("dirFrom error = %v, want ErrUnavailable", err)
	}
}

func TestHasEvent(t *testing.T) {
	dir := t.TempDir()
	format := filepath.Join(dir, "events", "syscalls", "sys_enter_openat", "format")
	if err := os.MkdirAll(filepath.Dir(format), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(format, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A format file outside events/ that a bad name could reach.
	if err := os.WriteFile(filepath.Join(dir, "format"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		category, name string
		want           bool
	}{
		{"syscalls", "sys_enter_openat", true},
		{"syscalls", "sys_enter_openat2", false},
		{"sched", "sys_enter_openat", false},
		{"..", "..", false},
		{"syscalls", "../syscalls/sys_enter_openat", false},
		{"syscalls/sys_enter_openat", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := HasEvent(dir, tc.category, tc.name); got != tc.want {
			t.Errorf("HasEvent(%q, %q) = %v, want %v", tc.category, tc.name, got, tc.want)
		}
	}
}

func TestHasEventReal(t *testing.T) {
	dir := realDir(t)
	if !HasEvent(dir, "ftrace", "print") {
		t.Errorf("HasEvent(%s, ftrace, print) = false; trace_marker's event should exist", dir)
	}
	if HasEvent(dir, "syscalls", "sys_enter_no_such_call") {
		t.Errorf("HasEvent reports a made-up event")
	}
}

// realDir returns the live tracefs directory, skipping when the test cannot use it.
func realDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: tracefs is readable only by root")
	}
	dir, err := Dir()
	if err != nil {
		t.Skipf("needs tracefs: %v", err)
	}
	return dir
}

func TestDirFromPermissionDenied(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	// What a user who is not root sees: /sys/kernel/tracing is mode 0700,
	// and the old debugfs place does not exist.
	stat := func(path string) (os.FileInfo, error) {
		if strings.HasPrefix(path, first) {
			return nil, &os.PathError{Op: "stat", Path: path, Err: syscall.EACCES}
		}
		return os.Stat(path)
	}
	_, err := dirFrom([]string{first, second}, stat, noMount(t))
	if !errors.Is(err, os.ErrPermission) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("dirFrom = %v, want a permission error, not ErrUnavailable", err)
	}
	if want := "tracefs at " + first + " is readable by root only: permission denied"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	// Where another candidate works, it is used.
	ok := fakeTracefs(t)
	if got, err := dirFrom([]string{first, ok}, stat, noMount(t)); err != nil || got != ok {
		t.Errorf("dirFrom = %q, %v; want %q", got, err, ok)
	}
}

// TestDirAsNobody runs Dir in a child process as uid 65534, which may not
// look inside the real tracefs.
func TestDirAsNobody(t *testing.T) {
	if os.Getenv("GOSNOOP_TRACEFS_CHILD") == "1" {
		_, err := Dir()
		fmt.Printf("permission=%v unavailable=%v err=%v\n", errors.Is(err, os.ErrPermission), errors.Is(err, ErrUnavailable), err)
		return
	}
	dir := realDir(t)
	// The test binary sits in a directory only root may enter; nobody runs a copy.
	tmp, err := os.MkdirTemp("", "gosnoop-tracefs-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "tracefs.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil || os.Chmod(tmp, 0o755) != nil {
		t.Fatalf("copying the test binary: %v", err)
	}
	cmd := exec.Command(bin, "-test.run=^TestDirAsNobody$")
	cmd.Env = append(os.Environ(), "GOSNOOP_TRACEFS_CHILD=1")
	cmd.Dir = tmp
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as uid 65534: %v\n%s", err, out)
	}
	want := fmt.Sprintf("permission=true unavailable=false err=tracefs at %s is readable by root only: permission denied\n", dir)
	if !strings.HasPrefix(string(out), want) {
		t.Errorf("child said\n%s\nwant\n%s", out, want)
	}
}
