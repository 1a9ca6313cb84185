package cmd

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strconv"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/open"
)

// chooseOpenOutput resolves --output auto: the ring buffer where the kernel
// has one (one buffer for all CPUs, events in order), perf buffers otherwise.
// It also sizes the ring buffer like the perf buffers of all CPUs together.
func chooseOpenOutput(cfg *openConfig, logf func(string, ...any)) {
	if cfg.prog.Output == "auto" {
		if err := kernel.RingBuffer(); err != nil {
			cfg.prog.Output = open.OutputPerf
			logf("output: perf buffers (no ring buffer: %v)", err)
		} else {
			cfg.prog.Output = open.OutputRingbuf
			logf("output: ring buffer")
		}
	}
	if cfg.prog.Output == open.OutputRingbuf {
		cpus := 1
		for cpus < runtime.NumCPU() {
			cpus *= 2
		}
		cfg.prog.RingPages = cfg.pages * cpus
		cfg.prog.RingWakeup = session.PerfWakeupFor(cfg.pages, open.OpenEventSize)
	}
}

// readOpenTracePipe decodes the trace-pipe variant's lines. Lines of ours
// that do not decode are counted with the lost ones, and said as they come.
func readOpenTracePipe(ctx context.Context, pipe *tracefs.Pipe, cfg openConfig, p *openPrinter, o *session.Output) (lost uint64, err error) {
	dec := open.NewOpenTraceDecoder(cfg.prog.Tag)
	lostTotal := func() uint64 { return pipe.Lost() + dec.Bad() + o.Dropped }
	pipe.OnLost = func(_, _ uint64) { o.ReportLost(lostTotal(), "event") }
	var ev open.OpenEvent
	err = pipe.ReadRaw(ctx, func(raw string) (bool, error) {
		switch res, err := dec.Feed(raw, &ev); res {
		case open.TraceMore:
			return true, nil
		case open.TraceBad:
			o.Report("%v", err)
		case open.TraceEvent:
			if !o.Backlogged() {
				p.print(&ev)
				o.Out.Flush()
			}
		default:
			return false, nil
		}
		o.ReportLost(lostTotal(), "event")
		return false, o.Out.Err()
	})
	if ferr := dec.Finish(); ferr != nil {
		o.Report("%v", ferr)
	}
	return lostTotal(), err
}

// openPrinter writes events as bcc's opensnoop columns or as JSON lines,
// appending into one reused buffer. Comms and paths are other users' text:
// the table escapes them (output.AppendEscaped), JSON quotes them.
type openPrinter struct {
	w      io.Writer
	cfg    openConfig
	name   []byte
	buf    []byte
	first  uint64
	events uint64
}

func newOpenPrinter(w io.Writer, cfg openConfig) *openPrinter {
	return &openPrinter{w: w, cfg: cfg, name: []byte(cfg.name), buf: make([]byte, 0, 512)}
}

func (p *openPrinter) header() {
	if p.cfg.json {
		return
	}
	b := p.buf[:0]
	if p.cfg.timestamp {
		b = append(output.AppendLeft(b, []byte("TIME(s)"), 14), ' ')
	}
	if p.cfg.printUID {
		b = append(output.AppendLeft(b, []byte("UID"), 6), ' ')
	}
	id := "PID"
	if p.cfg.tidColumn {
		id = "TID"
	}
	b = append(output.AppendLeft(b, []byte(id), 6), ' ')
	b = append(output.AppendLeft(b, []byte("COMM"), 16), ' ')
	b = append(b, "  FD ERR "...)
	if p.cfg.extended {
		b = append(b, "FLAGS    MODE "...)
	}
	b = append(b, "PATH\n"...)
	p.w.Write(b)
	p.buf = b
}

func (p *openPrinter) print(ev *open.OpenEvent) {
	comm := output.CString(ev.Comm[:])
	if len(p.name) > 0 && !bytes.Contains(comm, p.name) {
		return
	}
	path := output.CString(ev.Path[:])
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

// appendSeconds writes ns - first as seconds. The difference is signed: a
// call entered before the first printed event ended is earlier than it.
func appendSeconds(b []byte, ns, first uint64) []byte {
	return strconv.AppendFloat(b, float64(int64(ns-first))/1e9, 'f', 9, 64)
}

// appendRow writes bcc opensnoop's columns.
func (p *openPrinter) appendRow(b []byte, ev *open.OpenEvent, comm, path []byte) []byte {
	var num [24]byte
	if p.cfg.timestamp {
		b = append(output.AppendLeft(b, appendSeconds(num[:0], ev.TsNs, p.first), 14), ' ')
	}
	if p.cfg.printUID {
		b = append(output.AppendLeft(b, strconv.AppendUint(num[:0], uint64(ev.UID), 10), 6), ' ')
	}
	id := ev.PID
	if p.cfg.tidColumn {
		id = ev.TID
	}
	b = append(output.AppendLeft(b, strconv.AppendUint(num[:0], uint64(id), 10), 6), ' ')
	b = append(output.AppendEscapedLeft(b, comm, 16), ' ')
	b = append(output.AppendRight(b, strconv.AppendInt(num[:0], int64(ev.FD()), 10), 4, ' '), ' ')
	b = append(output.AppendRight(b, strconv.AppendInt(num[:0], int64(ev.Errno()), 10), 3, ' '), ' ')
	if p.cfg.extended {
		b = append(output.AppendRight(b, strconv.AppendUint(num[:0], uint64(uint32(ev.Flags)), 8), 8, '0'), ' ')
		b = append(output.AppendRight(b, strconv.AppendUint(num[:0], uint64(ev.Mode), 8), 4, '0'), ' ')
	}
	b = output.AppendEscaped(b, path)
	if ev.Truncated() {
		b = append(b, "..."...)
	}
	return append(b, '\n')
}

// appendJSON writes the stable JSON form: every field, always, in this order.
func (p *openPrinter) appendJSON(b []byte, ev *open.OpenEvent, comm, path []byte) []byte {
	b = append(b, `{"ts_ns":`...)
	b = strconv.AppendUint(b, ev.TsNs, 10)
	b = append(b, `,"pid":`...)
	b = strconv.AppendUint(b, uint64(ev.PID), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendUint(b, uint64(ev.TID), 10)
	b = append(b, `,"uid":`...)
	b = strconv.AppendUint(b, uint64(ev.UID), 10)
	b = append(b, `,"comm":`...)
	b = output.AppendJSONString(b, comm)
	b = append(b, `,"fd":`...)
	b = strconv.AppendInt(b, int64(ev.FD()), 10)
	b = append(b, `,"errno":`...)
	b = strconv.AppendInt(b, int64(ev.Errno()), 10)
	b = append(b, `,"flags":`...)
	b = strconv.AppendInt(b, int64(ev.Flags), 10)
	b = append(b, `,"mode":`...)
	b = strconv.AppendUint(b, uint64(ev.Mode), 10)
	b = append(b, `,"path":`...)
	b = output.AppendJSONString(b, path)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, ev.Truncated())
	return append(b, "}\n"...)
}
