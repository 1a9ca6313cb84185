package output

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Writer collects output on the tracing goroutine and writes it to its
// destination on a goroutine of its own, so a stalled reader of stdout (a
// pager, `| sleep 25`, a slow terminal) never stops the tracing loop from
// answering a signal. Write and Flush never block. When the destination
// falls behind, Backlogged says so: the caller stops reading events, the
// kernel's buffers fill, and the kernel drops and counts what no longer fits,
// which the caller reports. Memory stays bounded by the queue depth times
// what one poll can deliver.
//
// Write, Flush, Backlogged, WaitRoom and Close belong to one goroutine.
type Writer struct {
	dst     io.Writer
	pending []byte
	queue   chan []byte
	free    chan []byte
	done    chan struct{}
	queued  atomic.Int64 // bytes handed over and not yet written

	mu  sync.Mutex
	err error
}

// NewWriter starts a writer with room for depth batches in flight.
func NewWriter(dst io.Writer, depth int) *Writer {
	w := &Writer{
		dst:   dst,
		queue: make(chan []byte, max(depth, 1)),
		free:  make(chan []byte, max(depth, 1)+1),
		done:  make(chan struct{}),
	}
	go w.loop()
	return w
}

func (w *Writer) loop() {
	defer close(w.done)
	for b := range w.queue {
		if w.Err() == nil {
			if _, err := w.dst.Write(b); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
			}
		}
		w.queued.Add(-int64(len(b)))
		select {
		case w.free <- b[:0]:
		default:
		}
	}
}

// Write appends p to the batch being built. It never fails: write errors
// show up in Flush and Err.
func (w *Writer) Write(p []byte) (int, error) {
	w.pending = append(w.pending, p...)
	return len(p), nil
}

// WriteString is Write for a string.
func (w *Writer) WriteString(s string) (int, error) {
	w.pending = append(w.pending, s...)
	return len(s), nil
}

// Flush hands the batch to the writing goroutine if it has room, and
// returns the first write error, if any.
func (w *Writer) Flush() error {
	if len(w.pending) > 0 {
		select {
		case w.queue <- w.pending:
			w.handedOver()
		default:
		}
	}
	return w.Err()
}

func (w *Writer) handedOver() {
	w.queued.Add(int64(len(w.pending)))
	select {
	case b := <-w.free:
		w.pending = b
	default:
		w.pending = nil
	}
}

// Backlogged reports whether output is waiting because the destination is
// not keeping up.
func (w *Writer) Backlogged() bool {
	return len(w.pending) > 0 && len(w.queue) == cap(w.queue)
}

// WaitRoom waits up to d, or until stop is closed, to hand the batch over.
func (w *Writer) WaitRoom(stop <-chan struct{}, d time.Duration) error {
	if len(w.pending) == 0 {
		return w.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case w.queue <- w.pending:
		w.handedOver()
	case <-stop:
	case <-t.C:
	}
	return w.Err()
}

// Err returns the first error writing to the destination.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// ErrStalled is returned by Close when output was still waiting for the
// destination after the grace period.
var ErrStalled = errors.New("output not written: its reader is not reading")

// Close writes out everything and stops the writing goroutine. It waits as
// long as it takes unless stop is closed (a signal asked to end the run);
// from then on it waits at most grace, and then gives up with an error
// wrapping ErrStalled that says how many bytes were not written.
func (w *Writer) Close(stop <-chan struct{}, grace time.Duration) error {
	var expire <-chan time.Time
	giveUp := func() {
		stop = nil
		t := time.NewTimer(grace)
		expire = t.C
	}
	stalled := func() error {
		return fmt.Errorf("%d bytes of %w", int64(len(w.pending))+w.queued.Load(), ErrStalled)
	}
	for len(w.pending) > 0 {
		select {
		case w.queue <- w.pending:
			w.queued.Add(int64(len(w.pending)))
			w.pending = nil
		case <-stop:
			giveUp()
		case <-expire:
			return stalled()
		}
	}
	close(w.queue)
	for {
		select {
		case <-w.done:
			return w.Err()
		case <-stop:
			giveUp()
		case <-expire:
			return stalled()
		}
	}
}
