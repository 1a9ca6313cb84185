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
	// Keep, when set, sees every raw line before Read parses it; lines it
	// returns false for are dropped without parsing. Set it before reading.
	Keep func(raw string) bool
	// OnBad, when set, receives the lines Read could not parse, with the
	// parse error; Bad counts them either way. Set it before reading.
	OnBad func(raw string, err error)
	// OnLost, when set, is called from the reading goroutine for every
	// "[LOST n EVENTS]" marker as it is read, with n (1 when the kernel did
	// not count) and the total so far. Set it before reading.
	OnLost func(n, total uint64)

	f       *os.File
	r       *bufio.Reader
	partial string // start of a line whose read was cut short by a cancel
	more    bool   // the last line's entry continues on the next line
	lost    atomic.Uint64
	bad     atomic.Uint64
	closed  atomic.Bool
}

// BusyError is OpenPipe's error when another process reads trace_pipe: the
// kernel allows one reader at a time. errors.Is(err, syscall.EBUSY) holds.
type BusyError struct {
	Path    string
	Holders []Holder // who has it open; empty when none could be found
}

func (e *BusyError) Error() string {
	var pids []string
	for _, h := range e.Holders {
		pids = append(pids, fmt.Sprint(h.PID))
	}
	who := "another process"
	if len(pids) > 0 {
		who = "pid " + strings.Join(pids, ", ")
	}
	// Comms are left out: the holder chose its own, so the caller escapes them.
	return fmt.Sprintf("%s is busy: %s is reading it, and the kernel allows one reader", e.Path, who)
}

func (e *BusyError) Unwrap() error { return syscall.EBUSY }

// OpenPipe opens dir/trace_pipe. When another process reads it, the error is
// a *BusyError naming the readers.
func OpenPipe(dir string) (*Pipe, error) {
	path := filepath.Join(dir, "trace_pipe")
	// O_NONBLOCK lets the Go runtime poller wait for data, so a read can be
	// woken by a deadline or Close instead of blocking in the kernel.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.EBUSY) {
		holders, _ := PipeHolders(dir)
		return nil, fmt.Errorf("opening trace_pipe: %w", &BusyError{Path: path, Holders: holders})
	}
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

// Bad returns how many lines Read could not parse.
func (p *Pipe) Bad() uint64 {
	return p.bad.Load()
}

// Close closes the pipe; a read in progress returns nil.
func (p *Pipe) Close() error {
	p.closed.Store(true)
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("closing trace_pipe: %w", err)
	}
	return nil
}

// Read calls fn for every event line until ctx is done, fn returns an error,
// or reading fails. It returns nil when ctx is done or the pipe is closed and
// fn's error unchanged. Lines that do not parse go to OnBad and are counted
// in Bad; lost markers go to OnLost and Lost. Call Read from one goroutine at
// a time.
func (p *Pipe) Read(ctx context.Context, fn func(Line) error) error {
	return p.ReadRaw(ctx, func(raw string) (bool, error) {
		return false, p.handle(raw, fn)
	})
}

func (p *Pipe) handle(s string, fn func(Line) error) error {
	if p.Keep != nil && !p.Keep(s) {
		return nil
	}
	ln, err := ParseLine(s)
	if err != nil {
		p.bad.Add(1)
		if p.OnBad != nil {
			p.OnBad(s, err)
		}
		return nil
	}
	return fn(ln)
}

// ReadRaw is Read for callers that parse lines themselves: fn gets each
// physical line of trace_pipe without its '\n'. Blank lines (bpf_trace_printk
// ends each entry with one) are skipped and lost markers counted as in Read,
// except after fn returned more: a string the kernel printed held a newline,
// so fn's entry continues, and the next line goes to fn as is, blank or
// looking like a lost marker. It returns like Read.
func (p *Pipe) ReadRaw(ctx context.Context, fn func(raw string) (more bool, err error)) error {
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
		s = strings.TrimSuffix(s, "\n")
		if !p.more {
			if strings.TrimSpace(s) == "" {
				continue
			}
			if n, ok := ParseLost(s); ok {
				p.countLost(uint64(max(n, 1)))
				continue
			}
		}
		more, err := fn(s)
		p.more = more
		if err != nil {
			return err
		}
	}
}

func (p *Pipe) countLost(n uint64) {
	total := p.lost.Add(n)
	if p.OnLost != nil {
		p.OnLost(n, total)
	}
}
