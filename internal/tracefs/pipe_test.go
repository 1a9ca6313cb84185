package tracefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakePipe feeds a Pipe from an os.Pipe, which the runtime poller handles
// like trace_pipe, so Read can be tested without root.
func fakePipe(t *testing.T) (*Pipe, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := newPipe(r)
	t.Cleanup(func() { p.Close(); w.Close() })
	return p, w
}

// readParsed reads p like the trace-pipe command: fn gets each line that
// ParseLine parses; the others are collected in bad.
func readParsed(ctx context.Context, p *Pipe, fn func(Line) error) (bad []string, err error) {
	err = p.Read(ctx, func(raw string) (bool, error) {
		ln, err := ParseLine(raw)
		if err != nil {
			bad = append(bad, raw)
			return false, nil
		}
		return false, fn(ln)
	})
	return bad, err
}

func TestPipeReadsLines(t *testing.T) {
	p, w := fakePipe(t)
	input := []string{
		"            bash-744     [003] d..3  2068.001262: bpf_trace_printk: one",
		"",
		"   ",
		"CPU:1 [LOST 42 EVENTS]",
		"CPU:2 [LOST EVENTS]",
		"garbage",
		"           <...>-27110   [001] ...21   422.608326: bpf_trace_printk: two",
	}
	// Split one line across writes to check partial reads are joined.
	all := strings.Join(input, "\n") + "\n"
	go func() {
		w.WriteString(all[:30])
		time.Sleep(20 * time.Millisecond)
		w.WriteString(all[30:])
		w.Close()
	}()
	var got []string
	bad, err := readParsed(context.Background(), p, func(ln Line) error {
		got = append(got, ln.Message)
		return nil
	})
	if !errors.Is(err, io.EOF) {
		t.Errorf("Read error = %v, want EOF", err)
	}
	if strings.Join(got, ",") != "one,two" {
		t.Errorf("messages = %q, want one, two", got)
	}
	if len(bad) != 1 || bad[0] != "garbage" {
		t.Errorf("bad lines = %q, want [garbage]", bad)
	}
	if p.Lost() != 43 {
		t.Errorf("Lost() = %d, want 43", p.Lost())
	}
}

func TestPipeStopsOnCallbackError(t *testing.T) {
	p, w := fakePipe(t)
	stop := errors.New("stop")
	go fmt.Fprint(w, "cat-1 [000] .... 1.000000: bpf_trace_printk: a\ncat-1 [000] .... 1.000000: bpf_trace_printk: b\n")
	n := 0
	_, err := readParsed(context.Background(), p, func(Line) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Read = %v after %d lines, want stop after 1", err, n)
	}
	// The next Read picks up where the first stopped.
	_, err = readParsed(context.Background(), p, func(ln Line) error {
		if ln.Message != "b" {
			t.Errorf("second Read got %q, want b", ln.Message)
		}
		return stop
	})
	if err != stop {
		t.Errorf("second Read = %v, want stop", err)
	}
}

// readReturnsWithin runs Read with nothing to read, calls stop, and fails
// unless Read returns nil within limit.
func readReturnsWithin(t *testing.T, p *Pipe, limit time.Duration, stop func(cancel context.CancelFunc)) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { _, err := readParsed(ctx, p, func(Line) error { return nil }); done <- err }()
	time.Sleep(100 * time.Millisecond) // let Read block
	start := time.Now()
	stop(cancel)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Read = %v, want nil", err)
		}
		return time.Since(start)
	case <-time.After(limit):
		t.Fatalf("Read still blocked %v after stopping", limit)
		return 0
	}
}

func TestPipeCancel(t *testing.T) {
	p, w := fakePipe(t)
	fmt.Fprint(w, "cat-1 [000] .... 1.000000: bpf_trace_printk: a\ncat-1 [000] .... 1.000000: bpf_trace_printk: partial")
	took := readReturnsWithin(t, p, time.Second, func(cancel context.CancelFunc) { cancel() })
	t.Logf("Read returned %v after cancel", took)
	// The cut line is completed by the next Read, whose fresh context must
	// not inherit the old deadline.
	go fmt.Fprint(w, " line\n")
	_, err := readParsed(context.Background(), p, func(ln Line) error {
		if ln.Message != "partial line" {
			t.Errorf("got %q, want the joined partial line", ln.Message)
		}
		return io.ErrUnexpectedEOF
	})
	if err != io.ErrUnexpectedEOF {
		t.Errorf("Read after cancel = %v", err)
	}
}

func TestPipeReadCancelledContext(t *testing.T) {
	p, _ := fakePipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readParsed(ctx, p, func(Line) error { return errors.New("called") }); err != nil {
		t.Errorf("Read with a done context = %v, want nil", err)
	}
}

func TestPipeClose(t *testing.T) {
	p, _ := fakePipe(t)
	took := readReturnsWithin(t, p, time.Second, func(context.CancelFunc) { p.Close() })
	t.Logf("Read returned %v after Close", took)
}

// testInstance makes a tracefs instance, a private ring buffer with its own
// trace_pipe and trace_marker, so other readers of the main trace_pipe
// cannot take the test's lines.
func testInstance(t *testing.T) string {
	t.Helper()
	dir := realDir(t)
	inst := filepath.Join(dir, "instances", fmt.Sprintf("gosnoop-tracefs-test-%d", os.Getpid()))
	if err := os.Mkdir(inst, 0o700); err != nil {
		t.Skipf("needs tracefs instances: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(inst); err != nil {
			t.Errorf("removing instance: %v", err)
		}
	})
	return inst
}

func TestPipeMarkerEndToEnd(t *testing.T) {
	dir := testInstance(t)
	p, err := OpenPipe(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	marker := fmt.Sprintf("gosnoop tracefs test %d: %d", os.Getpid(), time.Now().UnixNano())

	// Write from a locked thread so the line's pid is known.
	type write struct {
		tid int
		err error
	}
	wrote := make(chan write, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		time.Sleep(50 * time.Millisecond) // let Read start
		err := os.WriteFile(filepath.Join(dir, "trace_marker"), []byte(marker), 0)
		wrote <- write{syscall.Gettid(), err}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	found := errors.New("found")
	var got Line
	_, err = readParsed(ctx, p, func(ln Line) error {
		if ln.Message != marker {
			return nil
		}
		got = ln
		return found
	})
	w := <-wrote
	if w.err != nil {
		t.Fatalf("writing trace_marker: %v", w.err)
	}
	if err != found {
		t.Fatalf("no line with marker %q within 5s (Read = %v)", marker, err)
	}
	if got.Function != "tracing_mark_write" || got.Message != marker {
		t.Errorf("got %q: %q, want tracing_mark_write: %q", got.Function, got.Message, marker)
	}
	if got.Task == "" || got.PID != w.tid {
		t.Errorf("got task %q pid %d, want a task with pid %d", got.Task, got.PID, w.tid)
	}
	if got.CPU < 0 || got.CPU >= runtime.NumCPU()*4 || got.Timestamp <= 0 {
		t.Errorf("implausible cpu %d or timestamp %f", got.CPU, got.Timestamp)
	}
	t.Logf("line: %+v", got)
}

func TestPipeCancelEndToEnd(t *testing.T) {
	p, err := OpenPipe(testInstance(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	took := readReturnsWithin(t, p, time.Second, func(cancel context.CancelFunc) { cancel() })
	t.Logf("Read on trace_pipe returned %v after cancel", took)
}

func TestPipeCloseEndToEnd(t *testing.T) {
	p, err := OpenPipe(testInstance(t))
	if err != nil {
		t.Fatal(err)
	}
	took := readReturnsWithin(t, p, time.Second, func(context.CancelFunc) { p.Close() })
	t.Logf("Read on trace_pipe returned %v after Close", took)
}

func TestOpenPipeMissing(t *testing.T) {
	_, err := OpenPipe(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "opening trace_pipe: ") {
		t.Errorf("OpenPipe(empty dir) = %v, want a wrapped not-exist error", err)
	}
}

func TestPipeReportsLostAsSeen(t *testing.T) {
	p, w := fakePipe(t)
	var seen []uint64
	p.OnLost = func(n, total uint64) { seen = append(seen, n, total) }
	go func() {
		fmt.Fprint(w, "CPU:1 [LOST 42 EVENTS]\ncat-1 [000] .... 1.000000: bpf_trace_printk: a\nCPU:0 [LOST EVENTS]\n")
		w.Close()
	}()
	_, err := readParsed(context.Background(), p, func(ln Line) error {
		// The marker came first, so it must have been reported already.
		if fmt.Sprint(seen) != "[42 42]" {
			t.Errorf("at line %q lost reports are %v, want [42 42]", ln.Message, seen)
		}
		return nil
	})
	if !errors.Is(err, io.EOF) {
		t.Errorf("Read = %v, want EOF", err)
	}
	if fmt.Sprint(seen) != "[42 42 1 43]" || p.Lost() != 43 {
		t.Errorf("lost reports %v, Lost() %d; want [42 42 1 43], 43", seen, p.Lost())
	}
}

func TestPipeReadContinuation(t *testing.T) {
	p, w := fakePipe(t)
	lost := 0
	p.OnLost = func(n, total uint64) { lost++ }
	// An entry whose string held three newlines: its continuation lines are
	// blank, look like a lost marker and like another entry. "want N" says
	// how many continuation lines the entry has.
	input := "head want 3\n\nCPU:1 [LOST 42 EVENTS]\ncat-1 [000] .... 1.000000: x: y\n\nCPU:2 [LOST 1 EVENTS]\nnext want 0\n"
	go func() {
		w.WriteString(input)
		w.Close()
	}()
	var got []string
	left := 0
	err := p.Read(context.Background(), func(raw string) (bool, error) {
		got = append(got, raw)
		if left > 0 {
			left--
		} else if _, n, ok := strings.Cut(raw, "want "); ok {
			left = int(n[0] - '0')
		}
		return left > 0, nil
	})
	if !errors.Is(err, io.EOF) {
		t.Errorf("Read = %v, want EOF", err)
	}
	want := []string{"head want 3", "", "CPU:1 [LOST 42 EVENTS]", "cat-1 [000] .... 1.000000: x: y", "next want 0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Read lines\n got %q\nwant %q", got, want)
	}
	if lost != 1 || p.Lost() != 1 {
		t.Errorf("lost markers: %d reports, Lost() %d; want only the one between entries", lost, p.Lost())
	}
}

func TestPipeBusy(t *testing.T) {
	dir := testInstance(t)
	p, err := OpenPipe(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = OpenPipe(dir)
	var busy *BusyError
	if !errors.Is(err, syscall.EBUSY) || !errors.As(err, &busy) {
		t.Fatalf("second OpenPipe = %v, want a *BusyError wrapping EBUSY", err)
	}
	if len(busy.Holders) != 1 || busy.Holders[0].PID != os.Getpid() {
		t.Errorf("holders %+v, want only this process, %d", busy.Holders, os.Getpid())
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	if len(busy.Holders) > 0 && busy.Holders[0].Comm+"\n" != string(comm) {
		t.Errorf("holder comm %q, want %q", busy.Holders[0].Comm, comm)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(msg, filepath.Join(dir, "trace_pipe")) {
		t.Errorf("error %q does not name the reader's pid and the file", msg)
	}
	t.Logf("error: %v", err)
}

// A fake /proc: links to a trace_pipe, to another file named trace_pipe
// (another instance's), to something else, and a process that went away.
func TestPipeHoldersFakeProc(t *testing.T) {
	root := t.TempDir()
	pipe := filepath.Join(root, "tracing", "trace_pipe")
	other := filepath.Join(root, "tracing", "instances", "x", "trace_pipe")
	for _, f := range []string{pipe, other} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A second mount of the same file shows through a symlinked directory.
	alias := filepath.Join(root, "debug-tracing")
	if err := os.Symlink(filepath.Join(root, "tracing"), alias); err != nil {
		t.Fatal(err)
	}
	proc := filepath.Join(root, "proc")
	mk := func(pid, comm string, links ...string) {
		fd := filepath.Join(proc, pid, "fd")
		if err := os.MkdirAll(fd, 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(proc, pid, "comm"), []byte(comm+"\n"), 0o600)
		for i, l := range links {
			if err := os.Symlink(l, filepath.Join(fd, fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("10", "reader\n\x1b[31m", "/dev/null", pipe)
	mk("11", "other", other)
	mk("12", "alias", filepath.Join(alias, "trace_pipe"), pipe)
	mk("13", "gone", filepath.Join(root, "missing", "trace_pipe"))
	mk("self", "self", pipe)
	got, err := pipeHolders(proc, pipe)
	if err != nil {
		t.Fatal(err)
	}
	want := []Holder{{10, "reader\n\x1b[31m"}, {12, "alias"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pipeHolders = %q, want %q", got, want)
	}
}

func TestPipeHoldersReal(t *testing.T) {
	dir := testInstance(t)
	p, err := OpenPipe(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := PipeHolders(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PID != os.Getpid() {
		t.Errorf("PipeHolders = %+v, want this process %d only", got, os.Getpid())
	}
}
