package tracefs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Holder is a process that has a trace_pipe open.
type Holder struct {
	PID  int
	Comm string // from /proc/PID/comm, raw: the process chose it, so escape it before printing
}

// PipeHolders returns the processes that have dir/trace_pipe open, found
// through their /proc/PID/fd links. A link may name the file through another
// mount of tracefs, so a link to any trace_pipe is compared by inode.
// Processes that end or hide their fds during the scan are skipped.
func PipeHolders(dir string) ([]Holder, error) {
	return pipeHolders("/proc", filepath.Join(dir, "trace_pipe"))
}

func pipeHolders(proc, path string) ([]Holder, error) {
	want, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("finding readers of trace_pipe: %w", err)
	}
	procs, err := os.ReadDir(proc)
	if err != nil {
		return nil, fmt.Errorf("finding readers of trace_pipe: %w", err)
	}
	var holders []Holder
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if holds(filepath.Join(proc, e.Name(), "fd"), want) {
			comm, _ := os.ReadFile(filepath.Join(proc, e.Name(), "comm"))
			// The kernel ends comm with '\n'; a comm may end with its own.
			holders = append(holders, Holder{PID: pid, Comm: strings.TrimSuffix(string(comm), "\n")})
		}
	}
	return holders, nil
}

func holds(fdDir string, want os.FileInfo) bool {
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		link := filepath.Join(fdDir, fd.Name())
		target, err := os.Readlink(link)
		if err != nil || !strings.HasSuffix(target, "/trace_pipe") {
			continue
		}
		if st, err := os.Stat(link); err == nil && os.SameFile(st, want) {
			return true
		}
	}
	return false
}
