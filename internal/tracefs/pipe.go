package tracefs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Pipe reads trace_pipe. Reading consumes lines: each line goes to only one
// reader on the whole system.
type Pipe struct {
	// Keep, when set, sees every raw line before it is parsed; lines it
	// returns false for are dropped without parsing. Set it before Read.
	Keep func(raw string) bool
	// OnBad, when set, receives lines that are neither events nor lost
	// markers, with the parse error. Set it before Read.
	OnBad func(raw string, err error)

	f       *os.File
	r       *bufio.Reader
	partial string // start of a line whose read was cut short by a cancel
	lost    atomic.Uint64
	closed  atomic.Bool
}

// OpenPipe opens dir/trace_pipe.
func OpenPipe(dir string) (*Pipe, error) {
	// O_NONBLOCK lets the Go runtime poller wait for data, so a read can be
	// woken by a deadline or Close instead of blocking in the kernel.
	f, err := os.OpenFile(filepath.Join(dir, "trace_pipe"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening trace_pipe: %w", err)
	}
	return newPipe(f), nil
}

func newPipe(f *os.File) *Pipe {
	return &Pipe{f: f, r: bufio.NewReaderSize(f, 64<<10)}
}

// Lost returns how many lines the kernel reported lost with "[LOST n EVENTS]"
// markers; a marker without a count adds 1.
func (p *Pipe) Lost() uint64 {
	return p.lost.Load()
}

// Close closes the pipe; a Read in progress returns nil.
func (p *Pipe) Close() error {
	p.closed.Store(true)
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("closing trace_pipe: %w", err)
	}
	return nil
}

// Read calls fn for every event line until ctx is done, fn returns an error,
// or reading fails. It returns nil when ctx is done or the pipe is closed and
// fn's error unchanged. Lines that do not parse go to OnBad and are skipped;
// lost markers are added to Lost. Call Read from one goroutine at a time.
func (p *Pipe) Read(ctx context.Context, fn func(Line) error) error {
	if ctx.Err() != nil {
		return nil
	}
	// A previous Read may have left its cancel deadline behind.
	deadlines := p.f.SetReadDeadline(time.Time{}) == nil

	stop := make(chan struct{})
	stopped := make(chan struct{})
	defer func() {
		close(stop)
		// Wait, so a late deadline cannot leak into the next Read.
		<-stopped
	}()
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			if deadlines {
				p.f.SetReadDeadline(time.Now()) // wakes the blocked read
			}
		case <-stop:
		}
	}()

	for {
		s, err := p.r.ReadString('\n')
		if err != nil {
			if ctx.Err() != nil || p.closed.Load() {
				p.partial += s
				return nil
			}
			if errors.Is(err, syscall.EAGAIN) {
				// The runtime poller refused the file, so poll by hand.
				p.partial += s
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("reading trace_pipe: %w", err)
		}
		if p.partial != "" {
			s, p.partial = p.partial+s, ""
		}
		if err := p.handle(s, fn); err != nil {
			return err
		}
	}
}

func (p *Pipe) handle(s string, fn func(Line) error) error {
	s = strings.TrimSuffix(s, "\n")
	// bpf_trace_printk("...\n") on kernels 5.9+ leaves an empty line after
	// each event; that is noise, not a bad line.
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if n, ok := ParseLost(s); ok {
		p.lost.Add(uint64(max(n, 1)))
		return nil
	}
	if p.Keep != nil && !p.Keep(s) {
		return nil
	}
	ln, err := ParseLine(s)
	if err != nil {
		if p.OnBad != nil {
			p.OnBad(s, err)
		}
		return nil
	}
	return fn(ln)
}
