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

// Candidates are checked in order; the first is where modern kernels mount
// tracefs, the second is the old location under debugfs.
var Candidates = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// Dir returns the tracefs directory, mounting tracefs at /sys/kernel/tracing
// when it is not mounted anywhere yet. When tracefs is there but this user
// may not look inside (it is root's only), the error wraps os.ErrPermission
// and reads "tracefs at DIR is readable by root only: permission denied";
// the caller adds how to run itself as root.
func Dir() (string, error) {
	return dirFrom(Candidates, os.Stat, mountTracefs)
}

func mountTracefs(dir string) error {
	return syscall.Mount("tracefs", dir, "tracefs", 0, "")
}

func dirFrom(candidates []string, stat func(string) (os.FileInfo, error), mount func(string) error) (string, error) {
	if len(candidates) == 0 {
		return "", fmt.Errorf("%w: no candidate directories", ErrUnavailable)
	}
	hasPipe := func(dir string) error {
		_, err := stat(filepath.Join(dir, "trace_pipe"))
		return err
	}
	denied := ""
	for _, dir := range candidates {
		err := hasPipe(dir)
		if err == nil {
			return dir, nil
		}
		if denied == "" && errors.Is(err, os.ErrPermission) {
			denied = dir
		}
	}
	// Mounting would fail too, and say the wrong thing: tracefs may well be there.
	if denied != "" {
		return "", fmt.Errorf("tracefs at %s is readable by root only: %w", denied, os.ErrPermission)
	}
	dir := candidates[0]
	err := mount(dir)
	if err == nil {
		if err = hasPipe(dir); err == nil {
			return dir, nil
		}
		err = errors.New("no trace_pipe after mounting")
	}
	return "", fmt.Errorf("%w at %s and mounting it failed: %w (try: sudo mount -t tracefs tracefs %s)",
		ErrUnavailable, strings.Join(candidates, " or "), err, dir)
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
