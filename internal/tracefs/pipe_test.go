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

func TestPipeReadsLines(t *testing.T) {
	p, w := fakePipe(t)
	var bad []string
	p.OnBad = func(raw string, err error) { bad = append(bad, raw) }
	p.Keep = func(raw string) bool { return !strings.Contains(raw, "skip-me") }
	input := []string{
		"            bash-744     [003] d..3  2068.001262: bpf_trace_printk: one",
		"",
		"CPU:1 [LOST 42 EVENTS]",
		"CPU:2 [LOST EVENTS]",
		"garbage",
		"            bash-744     [003] d..3  2068.001262: bpf_trace_printk: skip-me",
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
	err := p.Read(context.Background(), func(ln Line) error {
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
	err := p.Read(context.Background(), func(Line) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Read = %v after %d lines, want stop after 1", err, n)
	}
	// The next Read picks up where the first stopped.
	err = p.Read(context.Background(), func(ln Line) error {
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
	go func() { done <- p.Read(ctx, func(Line) error { return nil }) }()
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
	err := p.Read(context.Background(), func(ln Line) error {
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
	if err := p.Read(ctx, func(Line) error { return errors.New("called") }); err != nil {
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
	p.Keep = func(raw string) bool { return strings.Contains(raw, marker) }

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
	err = p.Read(ctx, func(ln Line) error {
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
