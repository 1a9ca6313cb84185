package bcc

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// While libbcc's output is captured, fds 1 and 2 point at a file with no
// name: a SIGKILL during the compile leaves nothing in the temp dir.
func TestCaptureStdioLeavesNoFile(t *testing.T) {
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "gosnoop-libbcc-*"))
	var target string
	var nlink uint64
	_, err := captureStdio(func() {
		target, _ = os.Readlink("/proc/self/fd/1")
		var st syscall.Stat_t
		if syscall.Fstat(1, &st) == nil {
			nlink = uint64(st.Nlink)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if nlink != 0 {
		t.Errorf("fd 1 pointed at %q with %d links while captured, want an unlinked file", target, nlink)
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "gosnoop-libbcc-*"))
	if len(after) > len(before) {
		t.Errorf("temp files appeared: %v", after)
	}
}

// TestHelperSIGQUITDuringCapture is run as a child by
// TestSIGQUITDuringCaptureReachesTheTerminal; alone it does nothing.
func TestHelperSIGQUITDuringCapture(t *testing.T) {
	if os.Getenv("GOSNOOP_HELPER_SIGQUIT") != "1" {
		return
	}
	captureStdio(func() {
		os.WriteFile(os.Getenv("GOSNOOP_HELPER_READY"), []byte("1"), 0o600)
		time.Sleep(10 * time.Second)
	})
}

// A SIGQUIT during the compile used to send Go's goroutine dump into the
// capture file, so the terminal saw nothing.
func TestSIGQUITDuringCaptureReachesTheTerminal(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSIGQUITDuringCapture$")
	cmd.Env = append(os.Environ(), "GOSNOOP_HELPER_SIGQUIT=1", "GOSNOOP_HELPER_READY="+ready)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("helper never started capturing")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGQUIT)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("helper ended with %v, want a SIGQUIT exit", err)
	}
	if out := stderr.String(); !strings.Contains(out, "SIGQUIT") || !strings.Contains(out, "goroutine") {
		t.Errorf("the goroutine dump did not reach stderr; it said %q", out)
	}
}

// A verifier rejection is one line that says why; the log is kept for -v.
func TestVerifierRejectionIsOneLine(t *testing.T) {
	requireRoot(t)
	m, err := Compile(`
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u64 addr = bpf_get_current_pid_tgid() >> 32;
	return *(int *)addr == 1;
}
`)

	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	err = m.AttachTracepoint("syscalls", "sys_enter_getppid")
	var verr *VerifierError
	if !errors.As(err, &verr) {
		t.Fatalf("attach error %v (%T), want a VerifierError", err, err)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error has several lines:\n%s", msg)
	}
	if !strings.Contains(msg, "verifier rejected") || !strings.Contains(verr.Reason, "invalid mem access") {
		t.Errorf("error %q does not say why (reason %q)", msg, verr.Reason)
	}
	if !strings.Contains(verr.Source, "return *(int *)addr == 1") {
		t.Errorf("source line %q, want the C line the verifier refused", verr.Source)
	}
	if !strings.Contains(verr.Log, "processed") {
		t.Errorf("log lacks the verifier's own lines:\n%s", verr.Log)
	}
}

func TestVerifierErrorParsing(t *testing.T) {
	diag := "bpf: Failed to load program: Permission denied\n0: R1=ctx() R10=fp0\n" +
		"; if (!(*(int *)(long)x == 1)) @ main.c:78\n3: (61) r1 = *(u32 *)(r0 +0)\n" +
		"R0 invalid mem access 'scalar'\nprocessed 4 insns (limit 1000000) max_states_per_insn 0\n\n" +
		"HINT: The invalid mem access 'scalar' error can happen if...\n"
	e := verifierError("p", diag, errors.New("permission denied"))
	if e == nil || e.Reason != "R0 invalid mem access 'scalar'" || e.Source != "if (!(*(int *)(long)x == 1))" {
		t.Fatalf("got %+v", e)
	}
	if verifierError("p", "something else", errors.New("x")) != nil {
		t.Error("a non-verifier failure was taken for one")
	}
}

// Close releases every tracepoint attachment; the kernel no longer runs the
// program afterwards.
func TestCloseDetachesTracepoints(t *testing.T) {
	requireRoot(t)
	m, err := Compile(`
BPF_ARRAY(hits, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { hits.atomic_increment(0); return 0; }
TRACEPOINT_PROBE(syscalls, sys_enter_getpgid) { hits.atomic_increment(0); return 0; }
`)

	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	for _, ev := range []string{"sys_enter_getppid", "sys_enter_getpgid"} {
		if err := m.AttachTracepoint("syscalls", ev); err != nil {
			t.Fatal(err)
		}
	}
	syscall.Getppid()
	syscall.Getpgid(0)
	if n, err := m.ReadCounter("hits", 0); err != nil || n < 2 {
		t.Fatalf("hits = %d, %v; want at least 2", n, err)
	}
	fds := len(m.perfFDs)
	m.Close()
	if fds != 2 {
		t.Errorf("module kept %d perf events, want 2", fds)
	}
	for _, fd := range openPerfEventFDs(t) {
		t.Errorf("perf event fd %d still open after Close", fd)
	}
}

func openPerfEventFDs(t *testing.T) []int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []int
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if target == "anon_inode:[perf_event]" {
			var fd int
			for _, c := range e.Name() {
				fd = fd*10 + int(c-'0')
			}
			fds = append(fds, fd)
		}
	}
	return fds
}
