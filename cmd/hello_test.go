package cmd

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHelloEBPF(t *testing.T) {
	code, stdout, stderr := run(t, "hello", "--ebpf", "--attach", "tracepoint")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "TRACEPOINT_PROBE(syscalls, sys_enter_clone3)") || strings.Contains(stdout, "hello_kprobe") {
		t.Errorf("--attach tracepoint rendered:\n%s", stdout)
	}
	if code, _, stderr := run(t, "hello", "--attach", "x"); code != 2 || !strings.Contains(stderr, "--attach must be") {
		t.Errorf("bad --attach: exit %d, %q", code, stderr)
	}
}

func TestHelloPrintsOnClone(t *testing.T) {
	needRootAndTracefs(t)
	tr := startTracer(t, "hello")
	row := regexp.MustCompile(`(?m)^\d+\.\d{6} +\S.* +\d+ +Hello, World!$`)
	deadline := time.Now().Add(10 * time.Second)
	for !row.MatchString(tr.stdout.String()) && time.Now().Before(deadline) {
		if err := exec.Command("true").Run(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	out := tr.stdout.String()
	if !strings.HasPrefix(out, "TIME(s)            COMM             PID    MESSAGE\n") || !row.MatchString(out) {
		t.Fatalf("no Hello line after running true:\n%s\nstderr:\n%s", out, tr.stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		if !row.MatchString(l) {
			t.Errorf("line that is not ours: %q", l)
		}
	}
}
