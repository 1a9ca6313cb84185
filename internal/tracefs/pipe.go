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

	"github.com/gosnoop/gosnoop/internal/output"
)

// Pipe reads trace_pipe. Reading consumes lines: each line goes to only one
// reader on the whole system.
type Pipe struct {
	// OnLost, when set, is called from the reading goroutine for every
	// "[LOST n EVENTS]" marker as it is read, with n (1 when the kernel did
	// not count) and the total so far. Set it before reading.
	OnLost func(n, total uint64)

	f       *os.File
	r       *bufio.Reader
	partial string // start of a line whose read was cut short by a cancel
	more    bool   // the last line's entry continues on the next line
	lost    atomic.Uint64
	closed  atomic.Bool
}

// LineKind is what a program's decoder made of one physical trace_pipe line.
type LineKind int

const (
	LineOther LineKind = iota // another writer's line
	LineMore                  // ours, continued on the next physical line: that one comes as is
	LineEvent                 // ours and complete
	LineBad                   // ours but malformed: counted as lost, and said
)

// BusyError is OpenPipe's error when another process reads trace_pipe: the
// kernel allows one reader at a time. errors.Is(err, syscall.EBUSY) holds.
type BusyError struct {
	Path    string
	Holders []Holder // who has it open; empty when none could be found
}

// Error names the holders by pid and comm, the comm escaped: the holder
// chose it.
func (e *BusyError) Error() string {
	var names []string
	for _, h := range e.Holders {
		names = append(names, fmt.Sprintf("pid %d (%s)", h.PID, output.EscapedString(h.Comm)))
	}
	who := "another process"
	if len(names) > 0 {
		who = strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s is busy: %s is reading it, and the kernel allows one reader at a time; stop that reader first", e.Path, who)
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
		return nil, &BusyError{Path: path, Holders: holders}
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

// Close closes the pipe; a read in progress returns nil.
func (p *Pipe) Close() error {
	p.closed.Store(true)
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("closing trace_pipe: %w", err)
	}
	return nil
}

// Read calls fn with each physical line of trace_pipe, without its '\n',
// until ctx is done, fn returns an error, or reading fails; fn parses the
// line (ParseLine, ParseTagged). Blank lines (bpf_trace_printk ends each
// entry with one) are skipped, and "[LOST n EVENTS]" markers are counted in
// Lost and passed to OnLost, except after fn returned more: a string the
// kernel printed held a newline, so fn's entry continues, and the next line
// goes to fn as is, blank or looking like a lost marker. Read returns nil
// when ctx is done or the pipe is closed, and fn's error unchanged. Call it
// from one goroutine at a time.
func (p *Pipe) Read(ctx context.Context, fn func(raw string) (more bool, err error)) error {
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
