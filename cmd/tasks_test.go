package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/cgroup"
)

func TestTaskFlagUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"open", "--cgroup", "/etc"}, `--cgroup "/etc": `},
		{[]string{"open", "--cgroup", "no-such-gosnoop-cgroup"}, "no-such-gosnoop-cgroup"},
		{[]string{"top", "--cgroup", "/proc"}, `--cgroup "/proc"`},
		{[]string{"life", "--cgroup", ""}, "--cgroup needs a cgroup's path"},
		{[]string{"open", "-c", ""}, "--exec \"\": no command"},
		{[]string{"open", "--exec", "echo 'a"}, "unterminated ' quote"},
		{[]string{"life", "-c", "true", "-p", "1"}, "--exec and --pid exclude each other"},
		{[]string{"top", "-p", "1", "--exec", "true"}, "--exec and --pid exclude each other"},
		{[]string{"probe", "-c", "no-such-gosnoop-command", "t:syscalls:sys_enter_openat"}, `"no-such-gosnoop-command": executable file not found`},
		{[]string{"probe", "t:syscalls:sys_enter_openat", "--exec", "true", "-p", "2"}, "--exec and --pid exclude each other"},
		{[]string{"probe", "-c", "true", `t:sched:sched_process_exec "%d", args->pid`}, "--exec follows the command with t:sched:sched_process_exec itself"},
		{[]string{"open", "--cgroup", "no-such-gosnoop-cgroup"}, "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line with %q", code, stdout, stderr, c.want)
			}
		})
	}
}

func TestTaskFlagsEBPF(t *testing.T) {
	mount := cgroup2Mount(t)
	for _, args := range [][]string{
		{"open", "--attach", "tracepoint"},
		{"top", "--attach", "tracepoint"},
		{"life", "--attach", "tracepoint"},
		{"probe", "t:syscalls:sys_enter_openat"},
	} {
		code, stdout, stderr := run(t, append(args, "--ebpf", "-c", "true", "--cgroup", mount)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		for _, want := range []string{"int gosnoop_task_fork(struct tracepoint__sched__sched_process_fork *args)", "if (!gosnoop_task_wanted())",
			"bpf_get_current_ancestor_cgroup_id(gosnoop_cg->level) != gosnoop_cg->id", "// gosnoop_cgroup[0]: id ", ", level 0 (written before attaching)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%v --ebpf lacks %q", args, want)
			}
		}
		if strings.Contains(stdout, mount) {
			t.Errorf("%v --ebpf pasted the cgroup's path into the C", args)
		}
	}
}

// cgroup2Mount is where the cgroup v2 hierarchy is mounted.
func cgroup2Mount(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	ms, err := cgroup.Mounts(f)
	if err != nil || len(ms) == 0 {
		t.Skipf("needs cgroup v2 mounted (%v)", err)
	}
	return ms[0].Point
}

// runExec runs gosnoop to the end (--exec ends it) and returns its exit code.
func runExec(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	c := exec.Command(gosnoopBinary, args...)
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String(), errOut.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errOut.String()
	case <-time.After(60 * time.Second):
		c.Process.Kill()
		t.Fatalf("gosnoop %v did not end with its command:\n%s", args, errOut.String())
		return -1, "", ""
	}
}

// openOutside opens path every 20 ms until stop is closed: a process
// that no filter here should let through.
func openOutside(t *testing.T, path string) (stop func()) {
	c := exec.Command("sh", "-c", `while :; do cat "$1" >/dev/null; sleep 0.02; done`, "sh", path)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return func() { c.Process.Kill(); c.Wait() }
}

// execScript opens m1 in a child of the command and m2 in a grandchild
// (a subshell's child), and exits 3.
func execScript(m1, m2 string) string {
	return fmt.Sprintf(`sh -c 'cat %s >/dev/null; (cat %s >/dev/null; true); exit 3'`, m1, m2)
}

func TestExecOpen(t *testing.T) {
	needRootAndTracefs(t)
	m1, _ := markerPaths(t)
	m2, m3 := m1+"-forked", m1+"-outside"
	for _, p := range []string{m2, m3} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stop := openOutside(t, m3)
	defer stop()
	code, stdout, stderr := runExec(t, "open", "--json", "-c", execScript(m1, m2))
	if code != 3 {
		t.Fatalf("exit %d, want the command's 3; stderr:\n%s", code, stderr)
	}
	var evs []openEvent
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev openEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		evs = append(evs, ev)
	}
	seen := map[string]openEvent{}
	pids := map[int]bool{}
	for _, ev := range evs {
		seen[ev.Path] = ev
		pids[ev.PID] = true
	}
	if _, ok := seen[m1]; !ok {
		t.Errorf("the command's child opening %s was not traced:\n%s", m1, stdout)
	}
	if _, ok := seen[m2]; !ok {
		t.Errorf("the grandchild opening %s was not traced:\n%s", m2, stdout)
	}
	if _, ok := seen[m3]; ok {
		t.Errorf("a process outside the command opening %s was traced", m3)
	}
	if seen[m1].PID == seen[m2].PID || len(pids) < 3 {
		t.Errorf("want the command, its child and its grandchild, got pids %v", pids)
	}
	// Gated before its first instruction: the dynamic loader's first open
	// of the command itself (sh) is there.
	if first := evs[0]; first.Comm != "sh" || !strings.HasPrefix(first.Path, "/etc/ld.so") {
		t.Errorf("first event %+v: want sh's loader opening /etc/ld.so.*", first)
	}
	if !strings.Contains(stderr, fmt.Sprintf("gosnoop: %d events, 0 lost", len(evs))) {
		t.Errorf("summary missing or wrong for %d events:\n%s", len(evs), stderr)
	}
}

func TestExecProbe(t *testing.T) {
	needRootAndTracefs(t)
	m1, _ := markerPaths(t)
	m2, m3 := m1+"-forked", m1+"-outside"
	stop := openOutside(t, m3)
	defer stop()
	code, stdout, stderr := runExec(t, "probe", "--json", "-c", execScript(m1, m2), `t:syscalls:sys_enter_openat "%s %s", $comm, args->filename`)
	if code != 3 {
		t.Fatalf("exit %d, want the command's 3; stderr:\n%s", code, stderr)
	}
	for want, ok := range map[string]bool{"cat " + m1: true, "cat " + m2: true, "cat " + m3: false} {
		if strings.Contains(stdout, strconv.Quote(want)) != ok {
			t.Errorf("message %q traced: %v, want %v; stdout:\n%s", want, !ok, ok, tail(stdout, 2000))
		}
	}
}

func TestExecStopsItsCommand(t *testing.T) {
	needRootAndTracefs(t)
	// A pipeline under a shell: ending the shell alone would leave the
	// sleeps running. The odd durations name them for pgrep.
	tr := startTracer(t, "open", "-c", "sh -c 'sleep 30.31 | sleep 30.32'")
	// The sleeps' pids, from /proc (the guest has no pgrep).
	running := func() []string {
		var pids []string
		dirs, _ := filepath.Glob("/proc/[0-9]*")
		for _, d := range dirs {
			if b, err := os.ReadFile(d + "/cmdline"); err == nil && (string(b) == "sleep\x0030.31\x00" || string(b) == "sleep\x0030.32\x00") {
				pids = append(pids, filepath.Base(d))
			}
		}
		return pids
	}
	for deadline := time.Now().Add(10 * time.Second); len(running()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the command did not start:\n%s", tr.stderr.String())
		}
	}
	start := time.Now()
	tr.cmd.Process.Signal(syscall.SIGTERM)
	if err := tr.cmd.Wait(); err == nil || tr.cmd.ProcessState.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Fatalf("exit %v, want the command's 143 (SIGTERM); stderr:\n%s", err, tr.stderr.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to end", d)
	}
	time.Sleep(100 * time.Millisecond) // SIGTERM is delivered, not waited for
	if left := running(); len(left) > 0 {
		t.Errorf("the command's processes are still running: %v", left)
	}
}

// testCgroup makes a cgroup two levels deep, gosnoop-test-N/inner, and
// removes both at the end.
func testCgroup(t *testing.T) (outer, inner string) {
	t.Helper()
	mount := cgroup2Mount(t)
	outer = filepath.Join(mount, fmt.Sprintf("gosnoop-test-%d", os.Getpid()))
	inner = filepath.Join(outer, "inner")
	if err := os.MkdirAll(inner, 0o755); err != nil {
		t.Skipf("needs to create a cgroup v2: %v", err)
	}
	t.Cleanup(func() {
		for _, d := range []string{inner, outer} {
			for i := 0; os.Remove(d) != nil && i < 50; i++ {
				time.Sleep(20 * time.Millisecond) // its last process is being reaped
			}
		}
	})
	return outer, inner
}

// openInCgroup runs a shell that moves itself into dir, then becomes cat
// opening path; it returns their pid.
func openInCgroup(t *testing.T, dir, path string) int {
	t.Helper()
	c := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec cat "$2" >/dev/null`, "sh", dir, path)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("moving a shell into %s: %v: %s", dir, err, out)
	}
	return c.Process.Pid
}

func TestCgroupFilter(t *testing.T) {
	needRootAndTracefs(t)
	outer, inner := testCgroup(t)
	mount := cgroup2Mount(t)
	m1, _ := markerPaths(t)
	m3 := m1 + "-outside"
	for name, args := range map[string][]string{
		// The outer cgroup, named as /proc/PID/cgroup would; the shell is in the inner one.
		"open":  {"open", "--json", "--cgroup", strings.TrimPrefix(outer, mount)},
		"probe": {"probe", "--json", "--cgroup", outer, `t:syscalls:sys_enter_openat "%s", args->filename`},
	} {
		t.Run(name, func(t *testing.T) {
			stop := openOutside(t, m3)
			defer stop()
			tr := startTracer(t, args...)
			pid := openInCgroup(t, inner, m1)
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(tr.stdout.String(), m1) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // the outside process opens m3 every 20 ms meanwhile
			if code := tr.stop(t); code != 0 {
				t.Fatalf("exit %d: %s", code, tr.stderr.String())
			}
			out := tr.stdout.String()
			if !strings.Contains(out, m1) || !strings.Contains(out, fmt.Sprintf(`"pid":%d`, pid)) {
				t.Errorf("pid %d opening %s in %s was not traced:\n%s", pid, m1, inner, tail(out, 2000))
			}
			if strings.Contains(out, m3) {
				t.Errorf("a process outside the cgroup opening %s was traced", m3)
			}
			for _, l := range tr.lines() {
				if !strings.Contains(l, fmt.Sprintf(`"pid":%d`, pid)) {
					t.Errorf("an event of another process: %s", l)
				}
			}
		})
	}
}

func TestExecRunsAsTheSudoUser(t *testing.T) {
	needRootAndTracefs(t)
	m1, _ := markerPaths(t)
	var out, errOut syncBuffer
	c := exec.Command(gosnoopBinary, "probe", "-c", "cat "+m1, `t:syscalls:sys_enter_openat "%d %s", $uid, args->filename`)
	c.Env = append(os.Environ(), "SUDO_UID=65534", "SUDO_GID=65534")
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	// cat, as nobody, cannot read the marker in the test's private directory.
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want cat's 1; stderr:\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "65534 "+m1) {
		t.Errorf("the command did not run as uid 65534:\n%s", tail(out.String(), 1000))
	}
}

// The gate that holds the command is gosnoop's own code: nothing it does,
// reading its release included, is traced; the command is, from its exec.
func TestExecTracesNoneOfTheGate(t *testing.T) {
	needRootAndTracefs(t)
	code, stdout, stderr := runExec(t, "probe", "--json", "-c", "true", `t:raw_syscalls:sys_enter count() by $comm`)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	var iv aggInterval
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &iv); err != nil || len(iv.Aggregations) != 1 {
		t.Fatalf("stdout %q: %v", stdout, err)
	}
	rows := iv.Aggregations[0].Rows
	if len(rows) != 1 || string(rows[0].Key[0]) != `"true"` || rows[0].Count < 10 {
		t.Errorf("system calls by comm: %s; want only true's", stdout)
	}
}

// --exec on top and life: what the command's processes read, and the file
// they create and remove, and nothing of anyone else's.
func TestExecTopAndLife(t *testing.T) {
	needRootAndTracefs(t)
	marker, _ := markerPaths(t)
	if err := os.WriteFile(marker, make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := marker + "-outside"
	os.WriteFile(outside, make([]byte, 100), 0o644)
	stop := openOutside(t, outside)
	defer stop()

	code, stdout, stderr := runExec(t, "top", "--json", "-a", "-c", "sh -c 'head -c 3000 "+marker+" >/dev/null'", "1")
	if code != 0 {
		t.Fatalf("top: exit %d:\n%s", code, stderr)
	}
	var read uint64
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var screen struct {
			Rows []struct {
				Comm, File string
				RBytes     uint64
			}
		}
		if err := json.Unmarshal([]byte(line), &screen); err != nil {
			t.Fatalf("top: %q: %v", line, err)
		}
		for _, r := range screen.Rows {
			if r.Comm != "sh" && r.Comm != "head" {
				t.Errorf("top: a row of %s, not the command's: %+v", r.Comm, r)
			}
			// top keeps a file's first 31 bytes of name, as filetop does.
			if len(r.File) > 20 && strings.HasPrefix(filepath.Base(marker), r.File) {
				read += r.RBytes
			}
		}
	}
	if read != 3000 {
		t.Errorf("top: %d bytes of the marker read, want head's 3000:\n%s", read, stdout)
	}

	born := marker + "-born"
	code, stdout, stderr = runExec(t, "life", "--json", "-c", "sh -c 'touch "+born+"; sleep 0.3; rm "+born+"'")
	if code != 0 {
		t.Fatalf("life: exit %d:\n%s", code, stderr)
	}
	var rows []lifeRow
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var r lifeRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("life: %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 1 || rows[0].Comm != "rm" || rows[0].Path != born || rows[0].Age < 0.2 {
		t.Errorf("life: %+v, want the one file the command made and removed", rows)
	}
}
