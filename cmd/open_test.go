package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

func TestOpenUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--pid", "0"}, "--pid must be a number from 1 to 4194304"},
		{[]string{"-p", "-5"}, "--pid must be a number"},
		{[]string{"-p", "abc"}, `not "abc"`},
		{[]string{"-p", "99999999"}, "--pid must be a number"},
		{[]string{"--tid", "0"}, "--tid must be a number"},
		{[]string{"-u", "-1"}, "--uid must be a number from 0 to 4294967294"},
		{[]string{"-u", "4294967295"}, "--uid must be a number"},
		{[]string{"--attach", "uprobe"}, "--attach must be auto, kprobe or tracepoint"},
		{[]string{"--output", "ringbuf2"}, "--output must be auto, perf, ringbuf or trace-pipe"},
		{[]string{"-b", "3"}, "--buffer-pages must be a power of two"},
		{[]string{"-b", "0"}, "--buffer-pages must be a power of two"},
		{[]string{"-b", "x"}, "--buffer-pages must be a power of two"},
		{[]string{"-b", "010"}, "--buffer-pages must be a power of two from 1 to 16384, not \"010\""},
		{[]string{"-b", "0x40"}, "--buffer-pages must be a power of two"},
		{[]string{"-d", "0"}, "--duration must be a positive number"},
		{[]string{"-d", "-1s"}, "--duration must be a positive number"},
		{[]string{"-d", "soon"}, "--duration must be a positive number"},
		{[]string{"--output", "trace-pipe", "-U"}, "need --output perf"},
		{[]string{"--output", "trace-pipe", "-e"}, "need --output perf"},
		{[]string{"--output", "trace-pipe", "-F"}, "--full-path need --output perf"},
		{[]string{"-f", "O_WRITE"}, `--flag-filter: unknown open flag "O_WRITE": want one or more of O_RDONLY,O_WRONLY,O_RDWR,O_CREAT`},
		{[]string{"-f", "O_WRONLY,"}, `unknown open flag ""`},
		{[]string{"--flag-filter", "0100"}, `unknown open flag "0100"`},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
		{[]string{"extra-arg"}, "open takes no arguments"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"open"}, c.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want it to contain %q", stderr, c.want)
			}
			if n := strings.Count(stderr, "\n"); n != 1 {
				t.Errorf("stderr has %d lines, want one: %q", n, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

func TestOpenEBPFRendersFilters(t *testing.T) {
	code, stdout, stderr := run(t, "open", "--ebpf", "-p", "4242", "-u", "0", "-x", "--attach", "tracepoint", "--output", "perf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The values live in open_config, not in the C; --ebpf says what is written there.
	for _, want := range []string{"if (cfg->pid && (u32)(id >> 32) != cfg->pid)", "cfg->failed_only && ret >= 0", "TRACEPOINT_PROBE(syscalls, sys_exit_openat)", "BPF_PERF_OUTPUT",
		"// open_config[0]: pid 4242, tid 0 (any), uid 0, failed only"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--ebpf output lacks %q", want)
		}
	}
	if strings.Contains(stdout, "open_kprobe_entry") {
		t.Error("--attach tracepoint rendered the kprobe functions")
	}
	// -f's mask is in open_config too; -F renders the walk.
	code, stdout, stderr = run(t, "open", "--ebpf", "-f", "wronly,O_CREAT", "-F", "--output", "perf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"open_flags_wanted(", "gosnoop_dentry_walk(", "gosnoop_path_base(", "flags O_WRONLY|O_CREAT (flags_any 0100, accmodes 0b10)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--ebpf -f -F output lacks %q", want)
		}
	}
	if strings.Contains(stdout, "0100;") || strings.Contains(stdout, "& 0100") {
		t.Error("-f's mask was pasted into the C")
	}
	code, stdout, _ = run(t, "open", "--ebpf", "--output", "ringbuf", "-b", "4")
	if code != 0 || !strings.Contains(stdout, "BPF_RINGBUF_OUTPUT(open_events, ") || !strings.Contains(stdout, "ringbuf_output(ev") {
		t.Errorf("--output ringbuf rendered:\n%s", stdout)
	}
	code, stdout, _ = run(t, "open", "--ebpf", "--attach", "kprobe", "--output", "trace-pipe")
	if code != 0 || !strings.Contains(stdout, "open_kprobe_entry") || !strings.Contains(stdout, "bpf_trace_printk") || strings.Contains(stdout, "TRACEPOINT_PROBE") {
		t.Errorf("--attach kprobe --output trace-pipe rendered:\n%s", stdout)
	}
}

// asNobody runs the binary with the nobody user's credentials.
func asNobody(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to the nobody user")
	}
	var out, errOut syncBuffer
	c := exec.Command(gosnoopBinary, args...)
	c.Stdout, c.Stderr = &out, &errOut
	c.Env = append(os.Environ(), "HOME=/nonexistent")
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	err := c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

func TestOpenEBPFWithoutRoot(t *testing.T) {
	code, stdout, stderr := asNobody(t, "open", "--ebpf")
	if code != 0 || !strings.Contains(stdout, "struct open_event") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Creating a ring buffer to find out takes privileges a user lacks:
	// --ebpf assumes one, as it assumes kprobes, rather than show perf.
	if !strings.Contains(stdout, "BPF_RINGBUF_OUTPUT(open_events") {
		t.Errorf("auto output without root did not assume a ring buffer:\n%s", stdout)
	}
}

func TestOpenWithoutPrivileges(t *testing.T) {
	code, stdout, stderr := asNobody(t, "open")
	if code != 1 || !strings.Contains(stderr, "needs root, or CAP_BPF and CAP_PERFMON") || strings.Count(stderr, "\n") != 1 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// tracer is a gosnoop open process under test.
type tracer struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
}

func needRootAndTracefs(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	if _, err := tracefs.Dir(); err != nil {
		t.Skipf("needs tracefs: %v", err)
	}
}

// startTracer starts gosnoop and waits for its start line.
func startTracer(t *testing.T, args ...string) *tracer {
	t.Helper()
	return startTracerEnv(t, nil, args...)
}

// startTracerEnv is startTracer with the environment env (nil: ours).
func startTracerEnv(t *testing.T, env []string, args ...string) *tracer {
	t.Helper()
	tr := &tracer{cmd: exec.Command(gosnoopBinary, args...)}
	tr.cmd.Env = env
	tr.cmd.Stdout, tr.cmd.Stderr = &tr.stdout, &tr.stderr
	if err := tr.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.cmd.Process.Kill(); tr.cmd.Wait() })
	deadline := time.Now().Add(tracerStartWait)
	for !strings.Contains(tr.stderr.String(), "Hit Ctrl-C to end.") {
		if tr.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("gosnoop %v did not start:\n%s", args, tr.stderr.String())
		}
		if strings.HasPrefix(tr.stderr.String(), "gosnoop: ") && strings.Contains(tr.stderr.String(), "failed") {
			t.Fatalf("gosnoop %v failed:\n%s", args, tr.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return tr
}

// stop sends SIGINT and returns the exit code.
func (tr *tracer) stop(t *testing.T) int {
	t.Helper()
	tr.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- tr.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatalf("gosnoop did not exit within 10s of SIGINT:\n%s", tr.stderr.String())
		return -1
	}
}

// openEvent is the --json form of one event.
type openEvent struct {
	TsNs  uint64 `json:"ts_ns"`
	PID   int    `json:"pid"`
	TID   int    `json:"tid"`
	UID   int    `json:"uid"`
	Comm  string `json:"comm"`
	FD    int    `json:"fd"`
	Errno int    `json:"errno"`
	Name  string `json:"errno_name"`
	Flags int    `json:"flags"`
	Mode  int    `json:"mode"`
	Path  string `json:"path"`
}

func (tr *tracer) events(t *testing.T) []openEvent {
	t.Helper()
	var evs []openEvent
	for _, line := range tr.lines() {
		var ev openEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// lines returns the complete lines of stdout so far: the tracer may be in
// the middle of writing the last one.
func (tr *tracer) lines() []string {
	out := tr.stdout.String()
	out = out[:strings.LastIndexByte(out, '\n')+1]
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// waitFor waits until pid's event for path appears and returns it.
func (tr *tracer) waitFor(t *testing.T, path string, pid int) openEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, ev := range tr.events(t) {
			if ev.Path == path && ev.PID == pid {
				return ev
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no event for %s within 10s; stdout ends:\n%s\nstderr:\n%s", path, tail(tr.stdout.String(), 2000), tr.stderr.String())
	return openEvent{}
}

// tail keeps the end of a long output for a failure message.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// catFile runs cat on path and returns its pid; cat opens path with openat.
func catFile(t *testing.T, path string) int {
	t.Helper()
	c := exec.Command("cat", path)
	c.Run() // a missing file makes cat fail, which is the point
	return c.Process.Pid
}

func markerPaths(t *testing.T) (present, missing string) {
	dir := t.TempDir()
	present = filepath.Join(dir, fmt.Sprintf("gosnoop-marker-%d", time.Now().UnixNano()))
	if err := os.WriteFile(present, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return present, present + "-missing"
}

func TestOpenEndToEnd(t *testing.T) {
	needRootAndTracefs(t)
	for _, output := range []string{"perf", "ringbuf", "trace-pipe"} {
		t.Run(output, func(t *testing.T) {
			present, missing := markerPaths(t)
			tr := startTracer(t, "open", "--json", "--output", output)
			presentPID := catFile(t, present)
			missingPID := catFile(t, missing)

			got := tr.waitFor(t, present, presentPID)
			if got.Comm != "cat" || got.FD < 3 || got.Errno != 0 {
				t.Errorf("%s: got %+v, want comm cat fd>=3 errno 0", present, got)
			}
			got = tr.waitFor(t, missing, missingPID)
			if got.Comm != "cat" || got.FD != -1 || got.Errno != int(syscall.ENOENT) || got.Name != "ENOENT" {
				t.Errorf("%s: got %+v, want comm cat fd -1 errno %d", missing, got, syscall.ENOENT)
			}
			if got.TID != got.PID {
				t.Errorf("cat is single-threaded, but tid %d != pid %d", got.TID, got.PID)
			}
			if code := tr.stop(t); code != 0 {
				t.Errorf("exit %d after SIGINT:\n%s", code, tr.stderr.String())
			}
			if !strings.Contains(tr.stderr.String(), " events, 0 lost") {
				t.Errorf("no summary line on stderr:\n%s", tr.stderr.String())
			}
		})
	}
}

func TestOpenPIDFilter(t *testing.T) {
	needRootAndTracefs(t)
	present, _ := markerPaths(t)
	other := present + "-other"
	os.WriteFile(other, nil, 0o644)

	// The target waits on stdin so the tracer can start first; exec keeps its pid.
	target := exec.Command("sh", "-c", `read line; exec cat "$1"`, "sh", present)
	stdin, err := target.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Process.Kill(); target.Wait() })

	tr := startTracer(t, "open", "--json", "--pid", fmt.Sprint(target.Process.Pid))
	catFile(t, other)
	stdin.Write([]byte("go\n"))
	target.Wait()
	tr.waitFor(t, present, target.Process.Pid)
	time.Sleep(300 * time.Millisecond) // let any stray event arrive
	tr.stop(t)

	for _, ev := range tr.events(t) {
		if ev.PID != target.Process.Pid {
			t.Errorf("event from pid %d passed the --pid %d filter: %+v", ev.PID, target.Process.Pid, ev)
		}
	}
}

func TestOpenFailedOnlyAndTable(t *testing.T) {
	needRootAndTracefs(t)
	present, missing := markerPaths(t)
	tr := startTracer(t, "open", "-x", "-T", "-U", "-e")
	catFile(t, present)
	pid := catFile(t, missing)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tr.stdout.String(), missing) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	tr.stop(t)
	out := tr.stdout.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || lines[0] != "TIME(s)        UID    PID    COMM               FD ERR FLAGS    MODE PATH" {
		t.Fatalf("unexpected header or no events:\n%s", out)
	}
	var row string
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, " "+missing) {
			row = l
		}
		if strings.HasSuffix(l, " "+present) {
			t.Errorf("-x printed a successful open: %q", l)
		}
	}
	fields := strings.Fields(row)
	if len(fields) != 9 || fields[1] != "0" || fields[2] != fmt.Sprint(pid) || fields[3] != "cat" || fields[4] != "-1" || fields[5] != "2" {
		t.Errorf("row %q, want TIME UID=0 PID=%d COMM=cat FD=-1 ERR=2 FLAGS MODE PATH", row, pid)
	}
}

func TestOpenAttachChoice(t *testing.T) {
	needRootAndTracefs(t)
	dir, _ := tracefs.Dir()
	kprobesOK, reason := kernel.Kprobes(dir)
	tr := startTracer(t, "open", "-v")
	tr.stop(t)
	stderr := tr.stderr.String()
	if kprobesOK {
		if !strings.Contains(stderr, "attached [kretprobe:do_sys_open") {
			t.Errorf("kprobes available (%s) but auto did not use them:\n%s", reason, stderr)
		}
		return
	}
	if !strings.Contains(stderr, "not using kprobes") || !strings.Contains(stderr, "attached [tracepoint:") || !strings.Contains(stderr, "tracepoint:syscalls:sys_exit_openat") {
		t.Errorf("auto did not explain its fallback to tracepoints:\n%s", stderr)
	}

	// --attach kprobe must fail in one line naming the kprobe, not fall back.
	var errOut syncBuffer
	c := exec.Command(gosnoopBinary, "open", "--attach", "kprobe")
	c.Stderr = &errOut
	err := c.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("--attach kprobe without kprobes: %v\n%s", err, errOut.String())
	}
	last := strings.TrimSpace(errOut.String())
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	if !strings.HasPrefix(last, "gosnoop: attaching kretprobe to do_sys_open") {
		t.Errorf("last stderr line %q, want the attach error", last)
	}
}

// TestOpenBurstAccounted: every open of a burst is printed or counted lost,
// in both buffer kinds, with buffers small enough that some may be lost.
func TestOpenBurstAccounted(t *testing.T) {
	needRootAndTracefs(t)
	const n = 3000
	for _, output := range []string{"perf", "ringbuf"} {
		t.Run(output, func(t *testing.T) {
			present, _ := markerPaths(t)
			// dash opens the file itself for a redirected builtin: one pid, n opens.
			target := exec.Command("sh", "-c", fmt.Sprintf(`read line; i=0; while [ $i -lt %d ]; do : < "$1"; i=$((i+1)); done`, n), "sh", present)
			stdin, _ := target.StdinPipe()
			if err := target.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { target.Process.Kill(); target.Wait() })
			tr := startTracer(t, "open", "--json", "-b", "1", "--output", output, "--pid", fmt.Sprint(target.Process.Pid))
			stdin.Write([]byte("go\n"))
			if err := target.Wait(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			tr.stop(t)

			delivered := 0
			for _, ev := range tr.events(t) {
				if ev.Path == present {
					delivered++
				}
			}
			var events, lost int
			summary := tr.stderr.String()[strings.LastIndex(tr.stderr.String(), "gosnoop: "):]
			if _, err := fmt.Sscanf(summary, "gosnoop: %d events, %d lost", &events, &lost); err != nil {
				t.Fatalf("no summary in %q", summary)
			}
			t.Logf("%d opens: %d printed, %d lost", n, delivered, lost)
			if delivered+lost < n || delivered > n {
				t.Errorf("%d opens: %d printed + %d lost; events went missing silently", n, delivered, lost)
			}
			if events != delivered {
				t.Errorf("summary says %d events, %d printed", events, delivered)
			}
		})
	}
}

// The flags and mode decoded are the call's: touch creates with
// O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK and 0666 (read from the entry's
// arguments, or at the exit from the task's saved registers).
func TestOpenDecodesFlagsAndMode(t *testing.T) {
	needRootAndTracefs(t)
	path := filepath.Join(t.TempDir(), "touched")
	tr := startTracer(t, "open", "--json")
	c := exec.Command("touch", path)
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("touch: %v %s", err, out)
	}
	got := tr.waitFor(t, path, c.Process.Pid)
	// The kprobe sees the flags after the kernel adds O_LARGEFILE (0100000).
	const want = syscall.O_WRONLY | syscall.O_CREAT | syscall.O_NOCTTY | syscall.O_NONBLOCK
	if got.Flags&^0o100000 != want || got.Mode != 0o666 || got.FD < 0 {
		t.Errorf("touch's open: flags %#o mode %#o fd %d; want flags %#o mode 0666", got.Flags, got.Mode, got.FD, want)
	}
}
