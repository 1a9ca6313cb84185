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
)

// stackTarget opens its argument from two named functions, with frame
// pointers, so the kernel can walk its user stack.
const stackTarget = `#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int gosnoop_e2e_inner(const char *path)
{
	int fd = openat(AT_FDCWD, path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return fd;
}

__attribute__((noinline)) int gosnoop_e2e_outer(const char *path)
{
	return gosnoop_e2e_inner(path) + 1;
}

int main(int argc, char **argv)
{
	// Forever, or argv[2] times.
	for (int i = 0; argc < 3 || i < atoi(argv[2]); i++) {
		gosnoop_e2e_outer(argv[1]);
		usleep(20000);
	}
	return 0;
}
`

// buildStackTarget builds stackTarget; its path.
func buildStackTarget(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("needs a C compiler (cc) to build the traced program")
	}
	dir := t.TempDir()
	src, exe := filepath.Join(dir, "target.c"), filepath.Join(dir, "target")
	if err := os.WriteFile(src, []byte(stackTarget), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-O0", "-fno-omit-frame-pointer", "-o", exe, src).CombinedOutput(); err != nil {
		t.Fatalf("compiling the target: %v\n%s", err, out)
	}
	return exe
}

// startStackTarget builds and starts stackTarget; its pid.
func startStackTarget(t *testing.T) int {
	t.Helper()
	target := exec.Command(buildStackTarget(t), "/etc/hostname")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Process.Kill(); target.Wait() })
	return target.Process.Pid
}

func hasFramePrefix(frames []string, prefix string) bool {
	for _, f := range frames {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// -K and -U: an openat's kernel stack goes through the system call entry,
// its user stack through libc and the C program's functions.
func TestProbeEventStacks(t *testing.T) {
	needRootAndTracefs(t)
	pid := startStackTarget(t)
	tr := startTracer(t, "probe", "--json", "-K", "-U", "-M", "2", "-p", fmt.Sprint(pid), `t:syscalls:sys_enter_openat "%s", args->filename`)
	done := make(chan error, 1)
	go func() { done <- tr.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		tr.stop(t)
		t.Fatalf("no 2 events in 10 s:\n%s", tr.stderr.String())
	}
	lines := tr.lines()
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s\n%s", len(lines), tr.stdout.String(), tr.stderr.String())
	}
	for _, line := range lines {
		var ev struct {
			PID            int
			KStack, UStack []string
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if ev.PID != pid || !hasFramePrefix(ev.KStack, "do_syscall_64+") {
			t.Errorf("pid %d (want %d), kernel stack without do_syscall_64: %q", ev.PID, pid, ev.KStack)
		}
		// libc's openat64 keeps no frame of its own, so a frame-pointer
		// walk goes from it to the caller of gosnoop_e2e_inner: the leaf
		// function is the one every such stack misses.
		if !strings.Contains(strings.Join(ev.UStack, "\n"), "openat") || !hasFramePrefix(ev.UStack, "gosnoop_e2e_outer+") || !hasFramePrefix(ev.UStack, "main+") {
			t.Errorf("user stack without the program's functions: %q", ev.UStack)
		}
	}
}

// Stacks as keys: count() by $ustack groups the program's opens under its
// one user stack, symbolized; by $kstack, under the system call entry.
func TestProbeStackKeys(t *testing.T) {
	needRootAndTracefs(t)
	pid := startStackTarget(t)
	tr := startTracer(t, "probe", "--json", "-p", fmt.Sprint(pid), `t:syscalls:sys_enter_openat count() by $ustack`, `t:syscalls:sys_enter_openat count() by $kstack`)
	time.Sleep(500 * time.Millisecond)
	tr.stop(t)
	lines := tr.lines()
	if len(lines) != 1 {
		t.Fatalf("%d lines, want one object:\n%s\n%s", len(lines), tr.stdout.String(), tr.stderr.String())
	}
	var iv struct {
		Aggregations []struct {
			By   []string
			Rows []struct {
				Key   []json.RawMessage
				Count uint64
			}
		}
	}
	if err := json.Unmarshal([]byte(lines[0]), &iv); err != nil {
		t.Fatal(err)
	}
	if len(iv.Aggregations) != 2 {
		t.Fatalf("aggregations: %s", lines[0])
	}
	if by := strings.Join(iv.Aggregations[0].By, " "); by != "$ustack $pid" {
		t.Errorf("keys %q: a user stack is keyed by its process too", by)
	}
	for i, want := range []string{"gosnoop_e2e_outer+", "do_syscall_64+"} {
		found := false
		for _, r := range iv.Aggregations[i].Rows {
			var frames []string
			if err := json.Unmarshal(r.Key[0], &frames); err != nil {
				t.Fatalf("stack key %s: %v", r.Key[0], err)
			}
			found = found || hasFramePrefix(frames, want) && r.Count > 0
		}
		if !found {
			t.Errorf("no %s row with %s:\n%s", iv.Aggregations[i].By[0], want, lines[0])
		}
	}
}

// A $ustack key of a process that has exited by the end: gosnoop read its
// memory map when it first counted, so its frames are still named.
func TestProbeUserStackKeyOutlivesItsProcess(t *testing.T) {
	needRootAndTracefs(t)
	exe := buildStackTarget(t)
	code, stdout, stderr := runExec(t, "probe", "--json", "-c", exe+" /etc/hostname 5", `t:syscalls:sys_enter_openat count() by $ustack`)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var iv struct {
		Aggregations []struct {
			Rows []struct {
				Key   []json.RawMessage
				Count uint64
			}
		}
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &iv); err != nil || len(iv.Aggregations) != 1 {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	for _, r := range iv.Aggregations[0].Rows {
		var frames []string
		json.Unmarshal(r.Key[0], &frames)
		if hasFramePrefix(frames, "gosnoop_e2e_outer+") && r.Count == 5 {
			return
		}
	}
	t.Errorf("no row of 5 opens through gosnoop_e2e_outer:\n%s", stdout)
}
