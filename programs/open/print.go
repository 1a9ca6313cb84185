package open

import (
	"bytes"
	"io"
	"strconv"

	"github.com/gosnoop/gosnoop/internal/output"
)

// Printer writes events as bcc's opensnoop columns or as JSON lines,
// appending into one reused buffer. Comms and paths are other users' text:
// the table escapes them (output.AppendEscaped), JSON quotes them.
type Printer struct {
	w      io.Writer
	cfg    PrintOptions
	name   []byte
	buf    []byte
	first  uint64
	events uint64
}

// PrintOptions are the columns and filters of gosnoop open's output.
type PrintOptions struct {
	JSON       bool
	Timestamp  bool // TIME(s): seconds since the first event printed
	PrintUID   bool // UID column
	Extended   bool // FLAGS and MODE columns
	TIDColumn  bool // TID instead of PID
	ErrnoNames bool // ERR as ENOENT rather than 2
	// FullPath (-F): PATH is the path PrintFull is given; JSON adds the
	// pathname as the process gave it and whether the walk was cut.
	FullPath bool
	Name     string // only comms containing it, filtered here rather than in C
}

// NewPrinter prints to w.
func NewPrinter(w io.Writer, cfg PrintOptions) *Printer {
	return &Printer{w: w, cfg: cfg, name: []byte(cfg.Name), buf: make([]byte, 0, 512)}
}

// Events is how many events were printed.
func (p *Printer) Events() uint64 { return p.events }

// Header prints the column header; JSON has none.
func (p *Printer) Header() {
	if p.cfg.JSON {
		return
	}
	b := p.buf[:0]
	if p.cfg.Timestamp {
		b = append(output.AppendLeft(b, []byte("TIME(s)"), 14), ' ')
	}
	if p.cfg.PrintUID {
		b = append(output.AppendLeft(b, []byte("UID"), 6), ' ')
	}
	id := "PID"
	if p.cfg.TIDColumn {
		id = "TID"
	}
	b = append(output.AppendLeft(b, []byte(id), 6), ' ')
	b = append(output.AppendLeft(b, []byte("COMM"), 16), ' ')
	if p.cfg.ErrnoNames {
		b = append(b, "  FD ERR     "...)
	} else {
		b = append(b, "  FD ERR "...)
	}
	if p.cfg.Extended {
		b = append(b, "FLAGS    MODE "...)
	}
	b = append(b, "PATH\n"...)
	p.w.Write(b)
	p.buf = b
}

// Print prints one event, unless the name filter drops it.
func (p *Printer) Print(ev *Event) {
	p.PrintFull(ev, output.CString(ev.Path[:]), false)
}

// PrintFull prints one event with path as its path (-F: FullPath's), cut
// when its directory's walk was cut short, unless the name filter drops it.
func (p *Printer) PrintFull(ev *Event, path []byte, cut bool) {
	comm := output.CString(ev.Comm[:])
	if len(p.name) > 0 && !bytes.Contains(comm, p.name) {
		return
	}
	if p.events == 0 {
		p.first = ev.TsNs
	}
	p.events++
	if p.cfg.JSON {
		p.buf = p.appendJSON(p.buf[:0], ev, comm, path, cut)
	} else {
		p.buf = p.appendRow(p.buf[:0], ev, comm, path)
	}
	p.w.Write(p.buf)
}

// appendRow writes bcc opensnoop's columns.
func (p *Printer) appendRow(b []byte, ev *Event, comm, path []byte) []byte {
	var num [24]byte
	if p.cfg.Timestamp {
		b = append(output.AppendLeft(b, output.AppendSeconds(num[:0], ev.TsNs, p.first), 14), ' ')
	}
	if p.cfg.PrintUID {
		b = append(output.AppendLeft(b, strconv.AppendUint(num[:0], uint64(ev.UID), 10), 6), ' ')
	}
	id := ev.PID
	if p.cfg.TIDColumn {
		id = ev.TID
	}
	b = append(output.AppendLeft(b, strconv.AppendUint(num[:0], uint64(id), 10), 6), ' ')
	b = append(output.AppendEscapedLeft(b, comm, 16), ' ')
	b = append(output.AppendRight(b, strconv.AppendInt(num[:0], int64(ev.FD()), 10), 4, ' '), ' ')
	if name := ErrnoName(ev.Errno()); p.cfg.ErrnoNames && name != "" {
		b = append(output.AppendLeft(b, []byte(name), 7), ' ')
	} else if p.cfg.ErrnoNames {
		b = append(output.AppendLeft(b, strconv.AppendInt(num[:0], int64(ev.Errno()), 10), 7), ' ')
	} else {
		b = append(output.AppendRight(b, strconv.AppendInt(num[:0], int64(ev.Errno()), 10), 3, ' '), ' ')
	}
	if p.cfg.Extended {
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
// With -F it adds "pathname", the path as the process gave it, and "cut".
func (p *Printer) appendJSON(b []byte, ev *Event, comm, path []byte, cut bool) []byte {
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
	b = append(b, `,"errno_name":"`...)
	b = append(append(b, ErrnoName(ev.Errno())...), '"')
	b = append(b, `,"flags":`...)
	b = strconv.AppendInt(b, int64(ev.Flags), 10)
	b = append(b, `,"mode":`...)
	b = strconv.AppendUint(b, uint64(ev.Mode), 10)
	b = append(b, `,"path":`...)
	b = output.AppendJSONString(b, path)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, ev.Truncated())
	if p.cfg.FullPath {
		b = append(b, `,"pathname":`...)
		b = output.AppendJSONString(b, output.CString(ev.Path[:]))
		b = append(b, `,"cut":`...)
		b = strconv.AppendBool(b, cut)
	}
	return append(b, "}\n"...)
}
