package output

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// blockingWriter blocks every Write until released, like stdout piped into
// a process that never reads.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	got     bytes.Buffer
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.got.Write(p)
}

func TestWriterNeverBlocksOnAStalledReader(t *testing.T) {
	dst := &blockingWriter{release: make(chan struct{})}
	w := NewWriter(dst, 4096)
	start := time.Now()
	for i := 0; i < 10000; i++ {
		w.WriteString("an event line of some length\n")
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if !w.Backlogged() {
		t.Error("not backlogged with the destination stalled")
	}
	stop := make(chan struct{})
	close(stop)
	err := w.Close(stop, 50*time.Millisecond)
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "bytes of output not written") {
		t.Errorf("Close = %v, want ErrStalled with a byte count", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a stalled destination", d)
	}
	close(dst.release)
}

func TestWriterWritesEverythingInOrder(t *testing.T) {
	dst := &blockingWriter{release: make(chan struct{})}
	close(dst.release)
	w := NewWriter(dst, 1<<20)
	var want strings.Builder
	for i := 0; i < 5000; i++ {
		line := strings.Repeat("x", i%50) + "\n"
		want.WriteString(line)
		w.WriteString(line)
		if i%7 == 0 {
			w.Flush()
		}
	}
	if err := w.Close(nil, 0); err != nil {
		t.Fatal(err)
	}
	if dst.got.String() != want.String() {
		t.Errorf("wrote %d bytes, want %d, in order", dst.got.Len(), want.Len())
	}
}

func TestWriterReportsWriteErrors(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w := NewWriter(pw, 1<<20)
	w.WriteString("to nobody\n")
	err = w.Close(nil, 0)
	if !errors.Is(err, syscall.EPIPE) {
		t.Errorf("Close = %v, want EPIPE", err)
	}
	pw.Close()
}

func TestWriterWaitRoomEndsOnStop(t *testing.T) {
	w := NewWriter(io.Discard, 1)
	stop := make(chan struct{})
	close(stop)
	start := time.Now()
	if err := w.WaitRoom(stop, time.Minute); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > time.Second {
		t.Error("WaitRoom ignored stop")
	}
	w.Close(nil, 0)
}

// Output flushed while the destination was busy is written once it is free,
// with no further Flush: a reader of trace_pipe may see no more events.
func TestWriterNeedsNoLaterFlush(t *testing.T) {
	dst := &blockingWriter{release: make(chan struct{})}
	w := NewWriter(dst, 1<<20)
	w.WriteString("first\n")
	w.Flush()
	time.Sleep(10 * time.Millisecond) // the writing goroutine now waits in Write
	w.WriteString("second\n")
	w.Flush()
	close(dst.release)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		dst.mu.Lock()
		got := dst.got.String()
		dst.mu.Unlock()
		if got == "first\nsecond\n" {
			w.Close(nil, 0)
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the second line waited for another Flush")
}
