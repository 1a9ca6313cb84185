// Package kernel answers questions about the running kernel that decide how
// gosnoop attaches: which functions exist, and whether kprobes can work.
package kernel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Paths read here; tests point them elsewhere.
var (
	kallsymsPath = "/proc/kallsyms"
	kprobePMU    = "/sys/bus/event_source/devices/kprobe/type"
)

// FirstFunction returns the first of names that /proc/kallsyms lists as a
// function (text symbol).
func FirstFunction(names []string) (string, error) {
	f, err := os.Open(kallsymsPath)
	if err != nil {
		return "", fmt.Errorf("reading kernel symbols: %w", err)
	}
	defer f.Close()
	return firstFunction(f, names)
}

func firstFunction(r io.Reader, names []string) (string, error) {
	found, err := functions(r, names)
	if err != nil {
		return "", err
	}
	for _, n := range names {
		if found[n] {
			return n, nil
		}
	}
	return "", fmt.Errorf("none of %s is in %s", strings.Join(names, ", "), kallsymsPath)
}

// Functions returns which of names /proc/kallsyms lists as functions, in
// one pass over it (reading it takes tens of milliseconds): planners that
// probe several functions ask once.
func Functions(names []string) (map[string]bool, error) {
	f, err := os.Open(kallsymsPath)
	if err != nil {
		return nil, fmt.Errorf("reading kernel symbols: %w", err)
	}
	defer f.Close()
	return functions(f, names)
}

func functions(r io.Reader, names []string) (map[string]bool, error) {
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	found := make(map[string]bool)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// "ffffffff816b52b0 t do_sys_openat2" or "... t name\t[module]"
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || (fields[1] != "t" && fields[1] != "T") {
			continue
		}
		if want[fields[2]] {
			found[fields[2]] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading kernel symbols: %w", err)
	}
	return found, nil
}

// Kprobes reports whether kprobes can be created, and if not, why. libbcc
// uses the kprobe PMU where it exists and tracefs's kprobe_events otherwise.
func Kprobes(tracefsDir string) (ok bool, reason string) {
	if _, err := os.Stat(kprobePMU); err == nil {
		return true, "kprobe PMU present (" + filepath.Dir(kprobePMU) + ")"
	}
	if tracefsDir != "" {
		if _, err := os.Stat(filepath.Join(tracefsDir, "kprobe_events")); err == nil {
			return true, "kprobe_events present in " + tracefsDir
		}
	}
	return false, "no kprobe PMU and no kprobe_events in tracefs (kernel built without CONFIG_KPROBES?)"
}

// SyscallPrefixes are the names the kernel gives syscall entry points, by
// architecture and age; bcc's get_syscall_fnname tries the same ones.
var SyscallPrefixes = []string{"__x64_sys_", "__arm64_sys_", "__s390x_sys_", "__se_sys_", "sys_"}

// SyscallFunction returns the kernel function that implements syscall name.
func SyscallFunction(name string) (string, error) {
	names := make([]string, len(SyscallPrefixes))
	for i, p := range SyscallPrefixes {
		names[i] = p + name
	}
	return FirstFunction(names)
}

// Release returns the running kernel's release, as uname -r prints it.
func Release() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// AtLeast says whether a release such as "6.1.0-27-cloud-amd64" is major.minor
// or later.
func AtLeast(release string, major, minor int) bool {
	var v [2]int
	parts := strings.SplitN(release, ".", 3)
	for i, part := range parts[:min(2, len(parts))] {
		n := 0
		for _, c := range part {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		v[i] = n
	}
	return v[0] > major || (v[0] == major && v[1] >= minor)
}

// TaskPtRegs says whether a program can read a task's user registers
// through bpf_task_pt_regs (5.15 and later), where gosnoop knows the
// syscall registers (x86-64).
func TaskPtRegs() bool {
	return runtime.GOARCH == "amd64" && AtLeast(Release(), 5, 15)
}
