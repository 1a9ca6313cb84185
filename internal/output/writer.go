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
// answering a signal. Write and Flush never block: Flush only tells the
// writing goroutine there is output, and that goroutine takes all of it
// whenever it is free, so nothing waits for a later Flush. When the
// destination falls behind, what waits grows to a limit, and Backlogged
// says so: the caller stops reading events (the kernel's buffers fill, and
// the kernel or the program counts what no longer fits) or drops and counts
// them itself. Memory stays bounded by the limit and one batch in writing.
type Writer struct {
	dst   io.Writer
	limit int

	mu      sync.Mutex
	pending []byte // written and not yet taken by the writing goroutine
	spare   []byte // the last batch written, for reuse
	closing bool
	err     error

	kick     chan struct{} // there is output, or Close was called
	room     chan struct{} // a batch was taken
	done     chan struct{}
	inFlight atomic.Int64 // bytes taken and not yet written
}

// NewWriter starts a writer that reports Backlogged once limit bytes wait.
func NewWriter(dst io.Writer, limit int) *Writer {
	w := &Writer{
		dst:   dst,
		limit: max(limit, 1),
		kick:  make(chan struct{}, 1),
		room:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	go w.loop()
	return w
}

func (w *Writer) loop() {
	defer close(w.done)
	for {
		<-w.kick
		for {
			w.mu.Lock()
			b, closing := w.pending, w.closing
			w.pending, w.spare = w.spare[:0], nil
			failed := w.err != nil
			w.mu.Unlock()
			signal(w.room)
			if len(b) == 0 {
				if closing {
					return
				}
				break
			}
			if !failed {
				w.inFlight.Store(int64(len(b)))
				_, err := w.dst.Write(b)
				w.inFlight.Store(0)
				if err != nil {
					w.mu.Lock()
					w.err = err
					w.mu.Unlock()
				}
			}
			w.mu.Lock()
			w.spare = b[:0]
			w.mu.Unlock()
		}
	}
}

// signal wakes whoever waits on c, without waiting itself.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Write adds p to the output. It never blocks and never fails: write errors
// show up in Flush and Err.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.pending = append(w.pending, p...)
	w.mu.Unlock()
	return len(p), nil
}

// WriteString is Write for a string.
func (w *Writer) WriteString(s string) (int, error) {
	w.mu.Lock()
	w.pending = append(w.pending, s...)
	w.mu.Unlock()
	return len(s), nil
}

// Flush has the writing goroutine write what was written so far, and
// returns the first write error, if any.
func (w *Writer) Flush() error {
	signal(w.kick)
	return w.Err()
}

// Pending returns how many bytes wait for the writing goroutine.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending)
}

// Backlogged reports whether the destination has fallen behind by the limit.
func (w *Writer) Backlogged() bool {
	return w.Pending() >= w.limit
}

// WaitRoom waits up to d, or until stop is closed, for the writing
// goroutine to take what is waiting.
func (w *Writer) WaitRoom(stop <-chan struct{}, d time.Duration) error {
	if !w.Backlogged() {
		return w.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.room:
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
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	signal(w.kick)
	var expire <-chan time.Time
	for {
		select {
		case <-w.done:
			return w.Err()
		case <-stop:
			stop = nil
			t := time.NewTimer(grace)
			defer t.Stop()
			expire = t.C
		case <-expire:
			return fmt.Errorf("%d bytes of %w", int64(w.Pending())+w.inFlight.Load(), ErrStalled)
		}
	}
}
