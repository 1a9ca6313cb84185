package tracefs

import (
	"errors"
	"os"
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
	got, err := dirFrom([]string{first, second}, noMount(t))
	if err != nil || got != first {
		t.Fatalf("dirFrom = %q, %v; want %q", got, err, first)
	}
}

func TestDirFromSecond(t *testing.T) {
	empty, second := t.TempDir(), fakeTracefs(t)
	got, err := dirFrom([]string{empty, filepath.Join(empty, "missing"), second}, noMount(t))
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
	got, err := dirFrom([]string{first, second}, mount)
	if err != nil || got != first {
		t.Fatalf("dirFrom = %q, %v; want %q", got, err, first)
	}
}

func TestDirFromUnavailable(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	mount := func(string) error { return syscall.EPERM }
	got, err := dirFrom([]string{first, second}, mount)
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
	_, err := dirFrom([]string{t.TempDir()}, func(string) error { return nil })
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
