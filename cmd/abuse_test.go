package cmd

// What a hostile user can do to a gosnoop run by root: name processes and
// files to forge rows, retitle the terminal or hide from a trace_pipe mode;
// stall the reader of stdout; send signals at awkward moments.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/output"
)

// The test binary doubles as the hostile process: with hostileChildEnv set,
// TestMain calls hostileChild, which names its thread, opens a path, clones
// once, and says its thread id.
const hostileChildEnv = "GOSNOOP_HOSTILE_CHILD"

func hostileChild() {
	comm, _ := hex.DecodeString(os.Getenv(hostileChildEnv))
	path, _ := hex.DecodeString(os.Getenv("GOSNOOP_HOSTILE_PATH"))
	// A comm is per thread: name this one, and open and clone from it.
	runtime.LockOSThread()
	name := append(comm, 0)
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0)
	if fd, err := syscall.Open(string(path), syscall.O_RDONLY, 0); err == nil {
		syscall.Close(fd)
	}
	if marker := os.Getenv("GOSNOOP_HOSTILE_MARKER"); marker != "" {
		// trace_pipe's task column comes from a cache the kernel fills at
		// context switches: sleep on this thread so the new comm is in it.
		syscall.Nanosleep(&syscall.Timespec{Nsec: 100_000_000}, nil)
		os.WriteFile(marker, []byte("gosnoop-hostile-marker\n"), 0)
	}
	if os.Getenv("GOSNOOP_HOSTILE_CLONE") != "" {
		syscall.Nanosleep(&syscall.Timespec{Nsec: 100_000_000}, nil)
		pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
		if err == nil {
			var ws syscall.WaitStatus
			syscall.Wait4(pid, &ws, 0, nil)
		}
	}
	fmt.Println(syscall.Gettid())
	os.Exit(0)
}

// runHostile runs the hostile child and returns its pid and the tid of the
// thread that carried the comm.
func runHostile(t *testing.T, comm, path string, clone bool, env ...string) (pid, tid int) {
	t.Helper()
	c := exec.Command(os.Args[0])
	c.Env = append(os.Environ(), hostileChildEnv+"="+hex.EncodeToString([]byte(comm)),
		"GOSNOOP_HOSTILE_PATH="+hex.EncodeToString([]byte(path)))
	c.Env = append(c.Env, env...)
	if clone {
		c.Env = append(c.Env, "GOSNOOP_HOSTILE_CLONE=1")
	}
	out, err := c.Output()
	if err != nil {
		t.Fatalf("hostile child: %v", err)
	}
	tid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("hostile child said %q", out)
	}
	return c.Process.Pid, tid
}

type hostileName struct{ name, comm, file string }

// hostileNames are comms (at most 15 bytes) and file names from the review.
var hostileNames = []hostileName{
	{"forged row", "\x1b]0;pwned\a", "x\n99999  fakecomm  3 0 /etc/shadow"},
	{"trace_pipe split", "z-1 [0] 1: x: ", "plain"},
	{"tab in comm", "X\t/etc/shadow", "tab\there"},
	{"c1 and bidi", "a\u009b2Jb", "evil\u202etxt.exe"},
	{"csi and cr", "\x1b[2J\r", "ok\rEVIL"},
	{"invalid utf8", "bad\xff\xfe", "bad\xff\xfename"},
}

// checkInert fails if out holds anything that acts on a terminal: control
// bytes other than the line breaks, invalid UTF-8, C1 or format characters.
func checkInert(t *testing.T, out string) {
	t.Helper()
	for i, r := range out {
		if r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r == utf8.RuneError && !strings.HasPrefix(out[i:], "\ufffd")) ||
			(r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("output holds %U at byte %d: %q", r, i, tail(out[:i+1], 80))
			return
		}
	}
}

func escaped(s string) string { return output.EscapedString(s) }

// jsonText is s as it reads back from gosnoop's JSON: each byte that is not
// UTF-8 becomes U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// TestHostileNamesTable: every output mode's table shows each hostile
// process on one line, its comm and path escaped, and nothing raw.
func TestHostileNamesTable(t *testing.T) {
	needRootAndTracefs(t)
	for _, mode := range []string{"perf", "ringbuf", "trace-pipe"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			tr := startTracer(t, "open", "--output", mode)
			type want struct {
				pid  int
				row  string
				name string
			}
			var wants []want
			for _, h := range hostileNames {
				path := filepath.Join(dir, h.file)
				pid, _ := runHostile(t, h.comm, path, false)
				row := fmt.Sprintf("%-6d %s", pid, output.AppendEscapedLeft(nil, []byte(h.comm), 16))
				wants = append(wants, want{pid, row + "   -1   2 " + escaped(path), h.name})
			}
			deadline := time.Now().Add(10 * time.Second)
			missing := wants
			for len(missing) > 0 && time.Now().Before(deadline) {
				lines := tr.lines()
				missing = missing[:0]
				for _, w := range wants {
					found := false
					for _, l := range lines {
						if l == w.row {
							found = true
						}
					}
					if !found {
						missing = append(missing, w)
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			tr.stop(t)
			for _, w := range missing {
				t.Errorf("%s: no row %q; stdout ends:\n%s", w.name, w.row, tail(tr.stdout.String(), 1500))
			}
			checkInert(t, tr.stdout.String())
			for _, l := range tr.lines() {
				if strings.HasPrefix(l, "99999 ") {
					t.Errorf("forged row printed: %q", l)
				}
			}
		})
	}
}

// TestHostileNamesJSON: JSON carries the exact bytes (invalid UTF-8 as
// U+FFFD), in every output mode, trace-pipe included.
func TestHostileNamesJSON(t *testing.T) {
	needRootAndTracefs(t)
	for _, mode := range []string{"perf", "trace-pipe"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			tr := startTracer(t, "open", "--json", "--output", mode)
			for _, h := range hostileNames {
				path := filepath.Join(dir, h.file)
				pid, _ := runHostile(t, h.comm, path, false)
				got := tr.waitFor(t, jsonText(path), pid)
				if want := jsonText(h.comm); got.Comm != want {
					t.Errorf("%s: comm %q, want %q", h.name, got.Comm, want)
				}
				if got.Errno != int(syscall.ENOENT) {
					t.Errorf("%s: errno %d, want ENOENT", h.name, got.Errno)
				}
			}
			tr.stop(t)
			checkInert(t, tr.stdout.String())
		})
	}
}

// TestHostileProbeAndTracePipe: probe's message and trace-pipe's task and
// message are escaped too.
func TestHostileProbeAndTracePipe(t *testing.T) {
	needRootAndTracefs(t)
	dir := t.TempDir()
	h := hostileNames[0]
	path := filepath.Join(dir, h.file)
	tr := startTracer(t, "probe", "--string-size", "256", `t:syscalls:sys_enter_openat "%s", args->filename`)
	pid, _ := runHostile(t, h.comm, path, false)
	want := fmt.Sprintf("%-7d %-7d %s sys_enter_openat %s", pid, pid, output.AppendEscapedLeft(nil, []byte(h.comm), 16), escaped(path))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tr.stdout.String(), want) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tr.stop(t)
	if !strings.Contains(tr.stdout.String(), want+"\n") {
		t.Errorf("probe: no line %q in:\n%s", want, tail(tr.stdout.String(), 1500))
	}
	checkInert(t, tr.stdout.String())

	traceDir := tracefsMounted(t)
	marker := fmt.Sprintf("gosnoop-hostile-%d", time.Now().UnixNano())
	tr = startTracer(t, "trace-pipe", "--grep", marker)
	msg := marker + " \x1b]0;pwned\a \u202e"
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(tr.stdout.String(), escaped(msg)) && time.Now().Before(deadline) {
		os.WriteFile(filepath.Join(traceDir, "trace_marker"), []byte(msg), 0)
		time.Sleep(100 * time.Millisecond)
	}
	tr.stop(t)
	if !strings.Contains(tr.stdout.String(), escaped(msg)) {
		t.Errorf("trace-pipe: no escaped message %q in:\n%s", escaped(msg), tail(tr.stdout.String(), 1500))
	}
	checkInert(t, tr.stdout.String())
}

// TestHelloSeesSpoofingComm: a comm shaped like trace_pipe's columns does
// not hide the process's clone from hello.
func TestHelloSeesSpoofingComm(t *testing.T) {
	needRootAndTracefs(t)
	comm := "z-1 [0] 1: x: "
	if !taskColumnShowsComm(t, comm) {
		t.Skip("this kernel's trace_pipe shows a thread's older comm, so a comm cannot spoof its columns here")
	}
	tr := startTracer(t, "hello")
	// The child writes a trace_marker line first: some kernels (6.1) save a
	// thread's comm for the task column only after it recorded an event.
	_, tid := runHostile(t, comm, "/nonexistent", true, "GOSNOOP_HOSTILE_MARKER="+filepath.Join(tracefsMounted(t), "trace_marker"))
	// The Go runtime's own clones from that thread, before it took the
	// comm, show as cmd.test: the line must carry the comm.
	want := fmt.Sprintf("%s %-6d Hello, World!", output.AppendEscapedLeft(nil, []byte(comm), 16), tid)
	deadline := time.Now().Add(10 * time.Second)
	found := func() bool {
		for _, l := range tr.lines() {
			if strings.HasSuffix(l, want) {
				return true
			}
		}
		return false
	}
	for !found() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tr.stop(t)
	if !found() {
		t.Errorf("no Hello line for thread %d:\n%s\nstderr:\n%s", tid, tail(tr.stdout.String(), 1500), tr.stderr.String())
	}
	checkInert(t, tr.stdout.String())
}

// taskColumnShowsComm reports whether trace_pipe's task column shows the
// comm a thread gave itself, by reading a trace_marker line it writes.
func taskColumnShowsComm(t *testing.T, comm string) bool {
	t.Helper()
	dir := tracefsMounted(t)
	f, err := os.OpenFile(filepath.Join(dir, "trace_pipe"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("trace_pipe: %v", err)
	}
	defer f.Close()
	runHostile(t, comm, "/nonexistent", false, "GOSNOOP_HOSTILE_MARKER="+filepath.Join(dir, "trace_marker"))
	var seen []byte
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !bytes.Contains(seen, []byte("gosnoop-hostile-marker")) {
		n, _ := f.Read(buf)
		seen = append(seen, buf[:max(n, 0)]...)
		if n <= 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, l := range strings.Split(string(seen), "\n") {
		if strings.Contains(l, "gosnoop-hostile-marker") {
			return strings.Contains(l, comm+"-")
		}
	}
	t.Skip("the hostile child's trace_marker line never came through")
	return false
}

// TestSignalsEndWithSummary: SIGINT, SIGTERM and SIGHUP all detach, print
// the summary and exit 0; a signal during the compile does too, without
// claiming to trace.
func TestSignalsEndWithSummary(t *testing.T) {
	needRootAndTracefs(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			tr := startTracer(t, "open")
			tr.cmd.Process.Signal(sig)
			if err := tr.cmd.Wait(); err != nil {
				t.Fatalf("%v after %v:\n%s", err, sig, tr.stderr.String())
			}
			if !strings.Contains(tr.stderr.String(), " lost\n") {
				t.Errorf("no summary after %v:\n%s", sig, tr.stderr.String())
			}
		})
	}
	t.Run("during the compile", func(t *testing.T) {
		var stdout, stderr syncBuffer
		// --no-cache: a compile-cache hit would leave no compile to interrupt.
		c := exec.Command(gosnoopBinary, "open", "-v", "--no-cache")
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		// -v's word on kprobes comes after the signals are caught and before
		// the compile, which takes a few hundred milliseconds.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(stderr.String(), "kprobes") && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		c.Process.Signal(syscall.SIGINT)
		if err := c.Wait(); err != nil {
			t.Fatalf("%v:\n%s", err, stderr.String())
		}
		if strings.Contains(stderr.String(), "Hit Ctrl-C") {
			t.Errorf("claimed to trace after an interrupt during the compile:\n%s", stderr.String())
		}
		if strings.Contains(stderr.String(), "attached") {
			t.Errorf("attached after an interrupt during the compile:\n%s", stderr.String())
		}
		if !strings.Contains(stderr.String(), "0 events, 0 lost\n") || stdout.String() != "" {
			t.Errorf("stdout %q, stderr:\n%s", stdout.String(), stderr.String())
		}
	})
}

// openFlood opens path in a loop until stop is closed.
func openFlood(path string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		if fd, err := syscall.Open(path, syscall.O_RDONLY, 0); err == nil {
			syscall.Close(fd)
		}
	}
}

// TestStalledStdout: with nobody reading stdout, gosnoop keeps polling the
// kernel's drop counter, reports losses as they happen, and a SIGINT still
// ends it promptly with the summary.
func TestStalledStdout(t *testing.T) {
	needRootAndTracefs(t)
	for _, mode := range []string{"ringbuf", "perf", "trace-pipe"} {
		t.Run(mode, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			// The smallest pipe the kernel allows, so stdout stalls at once
			// even where the flood is slow (a guest under emulation).
			syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, 4096)
			var stderr syncBuffer
			c := exec.Command(gosnoopBinary, "open", "--output", mode, "-b", "8")
			c.Stdout, c.Stderr = w, &stderr
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			t.Cleanup(func() { c.Process.Kill(); c.Wait() })
			deadline := time.Now().Add(tracerStartWait)
			for !strings.Contains(stderr.String(), "Hit Ctrl-C") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			stop := make(chan struct{})
			go openFlood(filepath.Join(t.TempDir(), "flood"), stop)
			deadline = time.Now().Add(15 * time.Second)
			for !strings.Contains(stderr.String(), "gosnoop: lost ") && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			close(stop)
			if !strings.Contains(stderr.String(), "gosnoop: lost ") {
				t.Errorf("no loss reported while stdout was stalled:\n%s", stderr.String())
			}
			c.Process.Signal(syscall.SIGINT)
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("still running 5s after SIGINT with stdout stalled:\n%s", stderr.String())
			}
			// "not written" is what stdout still held at the end; where the
			// kernel dropped so much (trace_pipe under emulation) that what
			// was printed fits the 4 KiB pipe, stdout never stalled.
			var printed, lost uint64
			if m := regexp.MustCompile(`gosnoop: (\d+) events?, (\d+) lost`).FindStringSubmatch(stderr.String()); m != nil {
				printed, _ = strconv.ParseUint(m[1], 10, 64)
				lost, _ = strconv.ParseUint(m[2], 10, 64)
			}
			const shortestLine = 30 // "PID COMM FD ERR " and a path
			if lost == 0 || printed*shortestLine > 4096 && !strings.Contains(stderr.String(), "not written") {
				t.Errorf("summary does not account for the stalled output:\n%s", tail(stderr.String(), 1000))
			}
		})
	}
}

// TestReaderGoesAway: `gosnoop open | head -1` ends by itself, with the
// summary and exit 0, once its reader is gone.
func TestReaderGoesAway(t *testing.T) {
	needRootAndTracefs(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	c := exec.Command(gosnoopBinary, "open")
	c.Stdout, c.Stderr = w, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	first := make([]byte, 1)
	if _, err := io.ReadFull(r, first); err != nil {
		t.Fatal(err)
	}
	r.Close()
	present, _ := markerPaths(t)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		catFile(t, present)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("exit: %v\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), " lost\n") {
				t.Errorf("no summary:\n%s", stderr.String())
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("still running 10s after its reader went away:\n%s", stderr.String())
}

// TestPlantedHeaderTreeIsNotUsed: a header tree that another user planted
// in the cache dir is never compiled into root's program.
func TestPlantedHeaderTreeIsNotUsed(t *testing.T) {
	needRootAndTracefs(t)
	// Outside /tmp: a world-writable parent would be refused by itself.
	base, err := os.MkdirTemp("/run", "gosnoop-planted-")
	if err != nil {
		t.Skipf("needs a root-owned directory outside /tmp: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	os.Chmod(base, 0o755)
	honest, planted := filepath.Join(base, "honest"), filepath.Join(base, "planted")

	// A real tree, made by gosnoop itself in a cache dir it trusts.
	run := func(cache string, args ...string) (string, error) {
		c := exec.Command(gosnoopBinary, args...)
		c.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache)
		out, err := c.CombinedOutput()
		return string(out), err
	}
	if out, err := run(honest, "open", "-d", "200ms"); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	// The BTF tree where the kernel has BTF, else the minimal one.
	trees, _ := filepath.Glob(filepath.Join(honest, "gosnoop", "*-headers-*"))
	if len(trees) != 1 {
		t.Skipf("no header tree of gosnoop's was written (real headers on this machine?): %v", trees)
	}
	// The same tree under uid 65534's cache dir, with a poisoned header.
	if out, err := exec.Command("cp", "-a", filepath.Join(honest, "gosnoop"), filepath.Join(planted, "gosnoop")).CombinedOutput(); err != nil {
		os.MkdirAll(planted, 0o755)
		if out, err = exec.Command("cp", "-a", filepath.Join(honest, "gosnoop"), planted).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v\n%s", err, out)
		}
	}
	poisoned := filepath.Join(planted, "gosnoop", filepath.Base(trees[0]), "include", "linux", "kconfig.h")
	if err := os.WriteFile(poisoned, []byte("#error planted by uid 65534\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The BTF tree's generated header and its sum, changed together.
	generated := filepath.Join(filepath.Dir(poisoned), "gosnoop_btf_vmlinux.h")
	if _, err := os.Stat(generated); err == nil {
		evil := []byte("#error planted by uid 65534\n")
		sum := sha256.Sum256(evil)
		os.WriteFile(generated, evil, 0o644)
		os.WriteFile(generated+".sha256", []byte(hex.EncodeToString(sum[:])+"\n"), 0o644)
	}
	if out, err := exec.Command("chown", "-R", "65534:65534", planted).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v\n%s", err, out)
	}

	out, err := run(planted, "open", "-v", "-d", "200ms")
	if err != nil || strings.Contains(out, "planted") && !strings.Contains(out, "owned by uid 65534") {
		t.Fatalf("gosnoop compiled the planted tree or failed: %v\n%s", err, out)
	}
	if !strings.Contains(out, "owned by uid 65534") || !strings.Contains(out, "private temporary tree") {
		t.Errorf("-v does not say why the cache was refused:\n%s", out)
	}
	if data, _ := os.ReadFile(poisoned); string(data) != "#error planted by uid 65534\n" {
		t.Errorf("the planted file was changed: %q", data)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "gosnoop-headers-*")); len(left) > 0 {
		t.Errorf("private trees left behind: %v", left)
	}
}

// TestBusyTracePipeFailsFirst: with trace_pipe held by another reader, the
// trace_pipe modes fail in one line naming it, before compiling anything.
func TestBusyTracePipeFailsFirst(t *testing.T) {
	needRootAndTracefs(t)
	dir := tracefsMounted(t)
	f, err := os.OpenFile(filepath.Join(dir, "trace_pipe"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("trace_pipe: %v", err)
	}
	defer f.Close()
	for _, args := range [][]string{{"open", "--output", "trace-pipe"}, {"hello"}, {"trace-pipe"}} {
		c := exec.Command(gosnoopBinary, args...)
		var stderr bytes.Buffer
		c.Stderr = &stderr
		err := c.Run()
		msg := stderr.String()
		if err == nil || !strings.Contains(msg, "trace_pipe is busy") || !strings.Contains(msg, fmt.Sprintf("pid %d (", os.Getpid())) {
			t.Errorf("%v: %v\n%s", args, err, msg)
		}
		if strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: want one line, got:\n%s", args, msg)
		}
	}
}

// TestVerifierRejectionOneLine: a probe the verifier refuses fails with one
// line saying why; -v adds the log.
func TestVerifierRejectionOneLine(t *testing.T) {
	needRootAndTracefs(t)
	spec := `t:syscalls:sys_enter_getppid (*(int *)(long)$pid == 1)`
	c := exec.Command(gosnoopBinary, "probe", spec)
	out, err := c.CombinedOutput()
	if err == nil {
		t.Fatalf("the verifier accepted a wild pointer:\n%s", out)
	}
	var ours []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.Contains(l, "minimal header tree") {
			ours = append(ours, l)
		}
	}
	if len(ours) != 1 || !strings.Contains(ours[0], "verifier rejected") || !strings.Contains(ours[0], "invalid mem access") {
		t.Errorf("want one line saying why, got:\n%s", out)
	}
	out, _ = exec.Command(gosnoopBinary, "probe", "-v", spec).CombinedOutput()
	if !strings.Contains(string(out), "processed ") {
		t.Errorf("-v does not print the verifier log:\n%s", out)
	}
}

// TestMinimalTreeSyscallTypes: tracepoints whose fields have types the
// minimal tree once lacked (off_t, fd_set) compile and attach.
func TestMinimalTreeSyscallTypes(t *testing.T) {
	needRootAndTracefs(t)
	tr := startTracer(t, "probe", `t:syscalls:sys_enter_lseek "%ld", args->offset`, `t:syscalls:sys_enter_select "%d", args->n`)
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d:\n%s", code, tr.stderr.String())
	}
}

// TestTracePipePermission: as a user who may not read tracefs, trace-pipe
// says so, not that tracefs is missing.
func TestTracePipePermission(t *testing.T) {
	code, _, stderr := asNobody(t, "trace-pipe")
	if code != 1 || !strings.Contains(stderr, "permission denied") || !strings.Contains(stderr, "sudo") || strings.Contains(stderr, "not found") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestLongPathsMarkedTruncated: a path longer than the 255 bytes an event
// carries is marked, in JSON and in the table; one of exactly 255 is not.
func TestLongPathsMarkedTruncated(t *testing.T) {
	needRootAndTracefs(t)
	base := t.TempDir()
	long := base + "/" + strings.Repeat("d", 100) + "/" + strings.Repeat("e", 100) + "/" + strings.Repeat("f", 100)
	exact := base + "/" + strings.Repeat("x", 255-len(base)-1)
	for _, mode := range []string{"ringbuf", "trace-pipe"} {
		t.Run(mode, func(t *testing.T) {
			tr := startTracer(t, "open", "--json", "--output", mode)
			longPID, exactPID := catFile(t, long), catFile(t, exact)
			var got map[string]bool
			deadline := time.Now().Add(10 * time.Second)
			for len(got) < 2 && time.Now().Before(deadline) {
				got = map[string]bool{}
				for _, l := range tr.lines() {
					var ev struct {
						PID       int    `json:"pid"`
						Path      string `json:"path"`
						Truncated bool   `json:"truncated"`
					}
					if json.Unmarshal([]byte(l), &ev) != nil {
						continue
					}
					switch {
					case ev.PID == longPID && strings.HasPrefix(long, ev.Path) && len(ev.Path) == 255:
						got["long"] = ev.Truncated
					case ev.PID == exactPID && ev.Path == exact:
						got["exact"] = ev.Truncated
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			tr.stop(t)
			if v, ok := got["long"]; !ok || !v {
				t.Errorf("the %d-byte path (cat %d): seen %v, truncated %v; stdout ends:\n%s\nstderr:\n%s", len(long), longPID, ok, v, tail(tr.stdout.String(), 1500), tr.stderr.String())
			}
			if v, ok := got["exact"]; !ok || v {
				t.Errorf("the 255-byte path (cat %d): seen %v, truncated %v; stdout ends:\n%s\nstderr:\n%s", exactPID, ok, v, tail(tr.stdout.String(), 1500), tr.stderr.String())
			}
		})
	}
	tr := startTracer(t, "open")
	pid := catFile(t, long)
	want := fmt.Sprintf("%-6d cat", pid)
	deadline := time.Now().Add(10 * time.Second)
	row := ""
	for row == "" && time.Now().Before(deadline) {
		for _, l := range tr.lines() {
			if strings.HasPrefix(l, want) && strings.Contains(l, base) {
				row = l
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tr.stop(t)
	if !strings.HasSuffix(row, long[:255]+"...") {
		t.Errorf("table row %q does not end in the first 255 bytes and ...", row)
	}
}
