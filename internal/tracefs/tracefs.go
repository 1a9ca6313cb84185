// Package tracefs finds the kernel's tracing file system and reads and parses
// the lines of its trace_pipe, where bpf_trace_printk output lands.
package tracefs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrUnavailable is wrapped by Dir's error when no tracefs can be found or mounted.
var ErrUnavailable = errors.New("tracefs not found")

// candidates are checked in order; the first is where modern kernels mount
// tracefs, the second is the old location under debugfs.
var candidates = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// Dir returns the tracefs directory, mounting tracefs at /sys/kernel/tracing
// when it is not mounted anywhere yet.
func Dir() (string, error) {
	return dirFrom(candidates, mountTracefs)
}

func mountTracefs(dir string) error {
	return syscall.Mount("tracefs", dir, "tracefs", 0, "")
}

func dirFrom(candidates []string, mount func(string) error) (string, error) {
	if len(candidates) == 0 {
		return "", fmt.Errorf("%w: no candidate directories", ErrUnavailable)
	}
	for _, dir := range candidates {
		if hasPipe(dir) {
			return dir, nil
		}
	}
	dir := candidates[0]
	err := mount(dir)
	if err == nil {
		if hasPipe(dir) {
			return dir, nil
		}
		err = errors.New("no trace_pipe after mounting")
	}
	return "", fmt.Errorf("%w at %s and mounting it failed: %w (try: sudo mount -t tracefs tracefs %s)",
		ErrUnavailable, strings.Join(candidates, " or "), err, dir)
}

func hasPipe(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "trace_pipe"))
	return err == nil
}

// HasEvent reports whether the kernel offers the trace event category/name,
// e.g. ("syscalls", "sys_enter_openat2"), under the tracefs directory dir.
func HasEvent(dir, category, name string) bool {
	if !safeElem(category) || !safeElem(name) {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "events", category, name, "format"))
	return err == nil
}

// safeElem keeps a caller's name from walking out of the events directory.
func safeElem(s string) bool {
	return s != "" && !strings.Contains(s, "/") && !strings.Contains(s, "..")
}
