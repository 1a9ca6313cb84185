package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// topRow is one row of top --json.
type topRow struct {
	TID    int    `json:"tid"`
	Comm   string `json:"comm"`
	Reads  uint64 `json:"reads"`
	Writes uint64 `json:"writes"`
	RBytes uint64 `json:"rbytes"`
	WBytes uint64 `json:"wbytes"`
	Type   string `json:"type"`
	File   string `json:"file"`
	Path   string `json:"path"`
}

// A child reads a marker file N times and another writes M bytes: top
// counts exactly those calls and bytes, summed over its intervals (kprobes
// on vfs_read/vfs_write where they attach, the syscall tracepoints here),
// and -F gives their paths.
func TestTopCountsExactly(t *testing.T) {
	needRootAndTracefs(t)
	const reads, wbytes = 17, 3000
	dir := t.TempDir()
	marker := filepath.Join(dir, fmt.Sprintf("gosnoop-top-read-%d", os.Getpid()))
	written := filepath.Join(dir, fmt.Sprintf("gosnoop-top-write-%d", os.Getpid()))
	if err := os.WriteFile(marker, []byte(strings.Repeat("x", 64)), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := startTracer(t, "top", "--json", "-v", "-F", "1", "3")
	reader := exec.Command("dd", "if="+marker, "of=/dev/null", "bs=1", fmt.Sprintf("count=%d", reads), "status=none")
	writer := exec.Command("dd", "if=/dev/zero", "of="+written, fmt.Sprintf("bs=%d", wbytes), "count=1", "status=none")
	for _, c := range []*exec.Cmd{reader, writer} {
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", c.Args, err, out)
		}
	}
	done := make(chan error, 1)
	go func() { done <- tr.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("top: %v\n%s", err, tr.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("top 1 3 still running after 30s:\n%s", tr.stderr.String())
	}

	sums := map[string]topRow{}
	screens := 0
	for _, line := range tr.lines() {
		var s struct {
			Time string   `json:"time"`
			Rows []topRow `json:"rows"`
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("%q is not JSON: %v", line, err)
		}
		screens++
		for _, r := range s.Rows {
			key := fmt.Sprintf("%s/%d", r.File, r.TID)
			sum := sums[key]
			sum.Reads, sum.Writes, sum.RBytes, sum.WBytes = sum.Reads+r.Reads, sum.Writes+r.Writes, sum.RBytes+r.RBytes, sum.WBytes+r.WBytes
			sum.Comm, sum.Type, sum.Path = r.Comm, r.Type, r.Path
			sums[key] = sum
		}
	}
	if screens != 3 || !strings.Contains(tr.stderr.String(), "3 intervals, 0 lost") {
		t.Errorf("%d screens; stderr:\n%s", screens, tr.stderr.String())
	}
	// The path this run took: kprobes where the kernel has them.
	traceDir, _ := tracefs.Dir()
	if ok, reason := kernel.Kprobes(traceDir); ok {
		if !strings.Contains(tr.stderr.String(), "attached [kretprobe:vfs_read kprobe:vfs_read kretprobe:vfs_write kprobe:vfs_write]") {
			t.Errorf("kprobes available (%s) but top did not use them:\n%s", reason, tr.stderr.String())
		}
	} else if !strings.Contains(tr.stderr.String(), "tracepoint:syscalls:sys_exit_pwritev2]") {
		t.Errorf("no kprobes, and not every read and write tracepoint attached:\n%s", tr.stderr.String())
	}
	got := sums[fmt.Sprintf("%s/%d", filepath.Base(marker), reader.Process.Pid)]
	if got.Reads != reads || got.RBytes != reads || got.Writes != 0 || got.Type != "R" || got.Comm != "dd" || got.Path != marker {
		t.Errorf("the reader's marker: %+v, want %d reads of 1 byte by dd, type R, path %s", got, reads, marker)
	}
	got = sums[fmt.Sprintf("%s/%d", filepath.Base(written), writer.Process.Pid)]
	if got.Writes != 1 || got.WBytes != wbytes || got.Reads != 0 || got.Type != "R" || got.Comm != "dd" || got.Path != written {
		t.Errorf("the writer's file: %+v, want 1 write of %d bytes by dd, type R, path %s", got, wbytes, written)
	}
	// /dev/null and /dev/zero are not regular files: left out without -a.
	for key, r := range sums {
		if r.Type != "R" {
			t.Errorf("%s: type %s without -a", key, r.Type)
		}
	}
}

func TestTopUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"top", "-s", "size"}, "--sort must be one of"},
		{[]string{"top", "-r", "0"}, "--rows must be"},
		{[]string{"top", "-r", "0x10"}, "--rows must be"},
		{[]string{"top", "0"}, "the interval must be"},
		{[]string{"top", "1.5"}, "the interval must be"},
		{[]string{"top", "1", "0"}, "the count must be"},
		{[]string{"top", "1", "2", "3"}, "at most an interval and a count"},
		{[]string{"top", "--read-only", "--write-only"}, "exclude each other"},
		{[]string{"top", "-p", "0"}, "--pid"},
	} {
		code, stdout, stderr := run(t, c.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

func TestTopEBPFWithoutRoot(t *testing.T) {
	code, stdout, stderr := asNobody(t, "top", "--ebpf")
	if code != 0 || !strings.Contains(stdout, "BPF_HASH(top_counts, struct top_key, struct top_value") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Without root it assumes kprobes, and the tracepoints as their fallback.
	if !strings.Contains(stdout, "int top_vfs_read(struct pt_regs *ctx, struct file *file)") || !strings.Contains(stdout, "TRACEPOINT_PROBE(syscalls, sys_enter_read)") {
		t.Errorf("not both variants:\n%s", stdout)
	}
}
