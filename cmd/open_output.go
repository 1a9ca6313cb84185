package cmd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs"
)

// pollInterval bounds how long an event may wait in a half-filled batch
// or in the stdout buffer.
const pollInterval = 20 * time.Millisecond

// lostCheckInterval is how often the readers look for new drops to report.
const lostCheckInterval = 100 * time.Millisecond

// perfWakeup is how many samples wake the reader: per-sample wakeups slow the
// traced workload many times over. The ring buffer program batches its
// wakeups the same way.
const perfWakeup = 128

// perfWakeupFor bounds the wakeup batch to half of a buffer of pages holding
// events of eventSize, so a small buffer is not lost waiting for a batch.
func perfWakeupFor(pages, eventSize int) int {
	return max(1, min(perfWakeup, pages*os.Getpagesize()/(eventSize+8)/2))
}

// chooseOpenOutput resolves --output auto: the ring buffer where the kernel
// has one (one buffer for all CPUs, events in order), perf buffers otherwise.
// It also sizes the ring buffer like the perf buffers of all CPUs together.
func chooseOpenOutput(cfg *openConfig, logf func(string, ...any)) {
	if cfg.prog.Output == "auto" {
		if err := kernel.RingBuffer(); err != nil {
			cfg.prog.Output = programs.OutputPerf
			logf("output: perf buffers (no ring buffer: %v)", err)
		} else {
			cfg.prog.Output = programs.OutputRingbuf
			logf("output: ring buffer")
		}
	}
	if cfg.prog.Output == programs.OutputRingbuf {
		cpus := 1
		for cpus < runtime.NumCPU() {
			cpus *= 2
		}
		cfg.prog.RingPages = cfg.pages * cpus
		cfg.prog.RingWakeup = perfWakeupFor(cfg.pages, programs.OpenEventSize)
	}
}

// openEventReader feeds the open program's perf or ring buffer events to a
// printer.
type openEventReader struct {
	m          *bcc.Module
	p          *openPrinter
	poll       func(time.Duration)
	kernelLost func() uint64 // drops the kernel reported to the reader; perf only
	close      func()
	badSamples uint64
}

func openOpenEvents(m *bcc.Module, cfg openConfig, p *openPrinter) (*openEventReader, error) {
	er := &openEventReader{m: m, p: p, kernelLost: func() uint64 { return 0 }}
	var ev programs.OpenEvent
	onSample := func(b []byte) {
		if err := programs.DecodeOpenEvent(b, &ev); err != nil {
			er.badSamples++
			return
		}
		p.print(&ev)
	}
	if cfg.prog.Output == programs.OutputRingbuf {
		r, err := m.OpenRing(programs.OpenEventsTable, onSample)
		if err != nil {
			return nil, err
		}
		er.poll, er.close = r.Poll, r.Close
		return er, nil
	}
	r, err := m.OpenPerf(programs.OpenEventsTable, bcc.PerfOptions{Pages: cfg.pages, Wakeup: perfWakeupFor(cfg.pages, programs.OpenEventSize)}, onSample)
	if err != nil {
		return nil, err
	}
	er.poll, er.close, er.kernelLost = r.Poll, r.Close, r.Lost
	return er, nil
}

// run polls until ctx ends, reporting drops as they are seen, and returns
// the number of events lost.
func (er *openEventReader) run(ctx context.Context, stderr io.Writer) (uint64, error) {
	var reported uint64
	var checked time.Time
	for ctx.Err() == nil {
		er.poll(pollInterval)
		if err := er.p.flush(); err != nil {
			return reported, err
		}
		// Wakeups can come thousands of times a second; drops are checked
		// no more often than output is flushed.
		if time.Since(checked) < lostCheckInterval {
			continue
		}
		checked = time.Now()
		lost, err := er.lost()
		if err != nil {
			return reported, err
		}
		if lost > reported {
			fmt.Fprintf(stderr, "gosnoop: lost %d events (total %d); try a larger --buffer-pages\n", lost-reported, lost)
			reported = lost
		}
	}
	if er.badSamples > 0 {
		fmt.Fprintf(stderr, "gosnoop: %d samples too short to decode\n", er.badSamples)
	}
	return er.lost()
}

// lost counts drops: the program's own count is exact, while the kernel
// tells a perf reader of a drop only once a later event fits.
func (er *openEventReader) lost() (uint64, error) {
	n, err := er.m.ReadCounter(programs.OpenLostTable, 0)
	return max(n, er.kernelLost()), err
}

func readOpenTracePipe(ctx context.Context, traceDir string, cfg openConfig, p *openPrinter, stderr io.Writer) (uint64, error) {
	pipe, err := tracefs.OpenPipe(traceDir)
	if err != nil {
		return 0, err
	}
	defer pipe.Close()
	var ev programs.OpenEvent
	err = pipe.Read(ctx, func(l tracefs.Line) error {
		if l.Function != "bpf_trace_printk" {
			return nil
		}
		ours, err := programs.ParseOpenMessage(cfg.prog.Tag, l.Message, &ev)
		if !ours {
			return nil
		}
		if err != nil {
			fmt.Fprintf(stderr, "gosnoop: %v\n", err)
			return nil
		}
		ev.TID = uint32(l.PID)
		ev.TsNs = uint64(l.Timestamp * 1e9)
		p.print(&ev)
		return p.flush()
	})
	return pipe.Lost(), err
}

// openPrinter writes events as bcc's opensnoop columns or as JSON lines,
// appending into one reused buffer.
type openPrinter struct {
	w      *bufio.Writer
	cfg    openConfig
	name   []byte
	buf    []byte
	first  uint64
	events uint64
}

func newOpenPrinter(w io.Writer, cfg openConfig) *openPrinter {
	return &openPrinter{w: bufio.NewWriterSize(w, 64<<10), cfg: cfg, name: []byte(cfg.name), buf: make([]byte, 0, 512)}
}

func (p *openPrinter) header() {
	if p.cfg.json {
		return
	}
	b := p.buf[:0]
	if p.cfg.timestamp {
		b = append(appendLeft(b, []byte("TIME(s)"), 14), ' ')
	}
	if p.cfg.printUID {
		b = append(appendLeft(b, []byte("UID"), 6), ' ')
	}
	id := "PID"
	if p.cfg.tidColumn {
		id = "TID"
	}
	b = append(appendLeft(b, []byte(id), 6), ' ')
	b = append(appendLeft(b, []byte("COMM"), 16), ' ')
	b = append(b, "  FD ERR "...)
	if p.cfg.extended {
		b = append(b, "FLAGS    MODE "...)
	}
	b = append(b, "PATH\n"...)
	p.w.Write(b)
	p.buf = b
}

func (p *openPrinter) print(ev *programs.OpenEvent) {
	comm := cStringBytes(ev.Comm[:])
	if len(p.name) > 0 && !bytes.Contains(comm, p.name) {
		return
	}
	path := cStringBytes(ev.Path[:])
	if p.events == 0 {
		p.first = ev.TsNs
	}
	p.events++
	if p.cfg.json {
		p.buf = p.appendJSON(p.buf[:0], ev, comm, path)
	} else {
		p.buf = p.appendRow(p.buf[:0], ev, comm, path)
	}
	p.w.Write(p.buf)
}

// appendRow writes bcc opensnoop's columns.
func (p *openPrinter) appendRow(b []byte, ev *programs.OpenEvent, comm, path []byte) []byte {
	var num [24]byte
	if p.cfg.timestamp {
		b = append(appendLeft(b, strconv.AppendFloat(num[:0], float64(ev.TsNs-p.first)/1e9, 'f', 9, 64), 14), ' ')
	}
	if p.cfg.printUID {
		b = append(appendLeft(b, strconv.AppendUint(num[:0], uint64(ev.UID), 10), 6), ' ')
	}
	id := ev.PID
	if p.cfg.tidColumn {
		id = ev.TID
	}
	b = append(appendLeft(b, strconv.AppendUint(num[:0], uint64(id), 10), 6), ' ')
	b = append(appendLeft(b, comm, 16), ' ')
	b = append(appendRight(b, strconv.AppendInt(num[:0], int64(ev.FD()), 10), 4, ' '), ' ')
	b = append(appendRight(b, strconv.AppendInt(num[:0], int64(ev.Errno()), 10), 3, ' '), ' ')
	if p.cfg.extended {
		b = append(appendRight(b, strconv.AppendUint(num[:0], uint64(uint32(ev.Flags)), 8), 8, '0'), ' ')
		b = append(appendRight(b, strconv.AppendUint(num[:0], uint64(ev.Mode), 8), 4, '0'), ' ')
	}
	b = append(b, path...)
	return append(b, '\n')
}

// appendJSON writes the stable JSON form: every field, always, in this order.
func (p *openPrinter) appendJSON(b []byte, ev *programs.OpenEvent, comm, path []byte) []byte {
	b = append(b, `{"ts_ns":`...)
	b = strconv.AppendUint(b, ev.TsNs, 10)
	b = append(b, `,"pid":`...)
	b = strconv.AppendUint(b, uint64(ev.PID), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendUint(b, uint64(ev.TID), 10)
	b = append(b, `,"uid":`...)
	b = strconv.AppendUint(b, uint64(ev.UID), 10)
	b = append(b, `,"comm":`...)
	b = appendJSONString(b, comm)
	b = append(b, `,"fd":`...)
	b = strconv.AppendInt(b, int64(ev.FD()), 10)
	b = append(b, `,"errno":`...)
	b = strconv.AppendInt(b, int64(ev.Errno()), 10)
	b = append(b, `,"flags":`...)
	b = strconv.AppendInt(b, int64(ev.Flags), 10)
	b = append(b, `,"mode":`...)
	b = strconv.AppendUint(b, uint64(ev.Mode), 10)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	return append(b, "}\n"...)
}

func (p *openPrinter) flush() error { return p.w.Flush() }

// appendJSONString quotes s as a JSON string; bytes that are not UTF-8
// become U+FFFD, as encoding/json does.
func appendJSONString(b, s []byte) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// appendLeft appends field left-justified in width columns.
func appendLeft(b, field []byte, width int) []byte {
	b = append(b, field...)
	for n := len(field); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendRight appends field right-justified in width columns, filled with fill.
func appendRight(b, field []byte, width int, fill byte) []byte {
	for n := len(field); n < width; n++ {
		b = append(b, fill)
	}
	return append(b, field...)
}
