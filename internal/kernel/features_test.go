package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestParseLockdown(t *testing.T) {
	cases := map[string]string{
		"[none] integrity confidentiality\n": "none",
		"none [integrity] confidentiality\n": "integrity",
		"none integrity [confidentiality]":   "confidentiality",
	}
	for in, want := range cases {
		if got, err := parseLockdown(in); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "none integrity", "[]"} {
		if got, err := parseLockdown(in); !errors.Is(err, errNoLockdownMode) {
			t.Errorf("%q: got %q, %v; want errNoLockdownMode", in, got, err)
		}
	}
}

func TestParseRelease(t *testing.T) {
	cases := map[string][2]int{
		"6.18.44-fc-v657":      {6, 18},
		"6.1.0-27-cloud-amd64": {6, 1},
		"5.8":                  {5, 8},
		"4.19rc1":              {4, 19},
		"5.15.0-1051-azure":    {5, 15},
	}
	for in, want := range cases {
		major, minor, err := ParseRelease(in)
		if err != nil || major != want[0] || minor != want[1] {
			t.Errorf("%q: got %d.%d, %v; want %d.%d", in, major, minor, err, want[0], want[1])
		}
	}
	for _, in := range []string{"", "6", "x.1", "6.x", "unknown"} {
		if major, minor, err := ParseRelease(in); err == nil {
			t.Errorf("%q: got %d.%d, want an error", in, major, minor)
		}
	}
}

func TestLockdownFile(t *testing.T) {
	dir := t.TempDir()
	old := lockdownPath
	lockdownPath = filepath.Join(dir, "lockdown")
	t.Cleanup(func() { lockdownPath = old })
	if _, err := Lockdown(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(lockdownPath, []byte("none [integrity] confidentiality\n"), 0o644)
	if mode, err := Lockdown(); err != nil || mode != "integrity" {
		t.Errorf("got %q, %v", mode, err)
	}
}

func TestReadIntFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sysctl")
	for in, want := range map[string]int{"2\n": 2, "-1\n": -1, "0": 0} {
		os.WriteFile(path, []byte(in), 0o644)
		if got, err := readIntFile(path); err != nil || got != want {
			t.Errorf("%q: got %d, %v; want %d", in, got, err, want)
		}
	}
	os.WriteFile(path, []byte("two\n"), 0o644)
	if _, err := readIntFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("garbage: %v", err)
	}
}

func TestSysctlsOnThisKernel(t *testing.T) {
	if _, err := os.Stat(perfParanoidPath); err != nil {
		t.Skip("no perf events on this kernel")
	}
	if v, err := PerfEventParanoid(); err != nil || v < -1 {
		t.Errorf("perf_event_paranoid %d, %v", v, err)
	}
}

func TestRingBufferOnThisKernel(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a BPF map needs root")
	}
	major, minor := releaseVersion(t)
	err := RingBuffer()
	switch {
	case major > 5 || major == 5 && minor >= 8:
		if err != nil {
			t.Fatalf("kernel %d.%d should have ring buffers: %v", major, minor, err)
		}
	case !errors.Is(err, syscall.EINVAL):
		t.Fatalf("kernel %d.%d has no ring buffers, want EINVAL, got %v", major, minor, err)
	}
}

func TestRingBufferWithoutPrivileges(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs as an unprivileged user only")
	}
	if err := RingBuffer(); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("want EPERM, got %v", err)
	}
}

func releaseVersion(t *testing.T) (major, minor int) {
	t.Helper()
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	major, minor, err := ParseRelease(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return major, minor
}
