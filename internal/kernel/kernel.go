// Package kernel answers questions about the running kernel that decide how
// gosnoop attaches: which functions exist, and whether kprobes can work.
package kernel

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
		return "", fmt.Errorf("reading kernel symbols: %w", err)
	}
	for _, n := range names {
		if found[n] {
			return n, nil
		}
	}
	return "", fmt.Errorf("none of %s is in %s", strings.Join(names, ", "), kallsymsPath)
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
