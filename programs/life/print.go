package life

import (
	"io"
	"strconv"
	"time"

	"github.com/gosnoop/gosnoop/internal/output"
)

// PrintOptions are the columns of gosnoop life's output.
type PrintOptions struct {
	JSON      bool
	Timestamp bool // TIME(s): seconds since the first life printed, for the wall clock
	FullPath  bool // FILE is the path, not the name
}

// Printer writes lives as filelife's columns or as JSON lines. Comms and
// paths are other users' text: the table escapes them, JSON quotes them.
type Printer struct {
	w     io.Writer
	cfg   PrintOptions
	buf   []byte
	first uint64
	lives uint64
	now   func() time.Time
}

// NewPrinter prints to w.
func NewPrinter(w io.Writer, cfg PrintOptions) *Printer {
	return &Printer{w: w, cfg: cfg, buf: make([]byte, 0, 512), now: time.Now}
}

// Lives is how many lives were printed.
func (p *Printer) Lives() uint64 { return p.lives }

// Header prints the column header; JSON has none.
func (p *Printer) Header() {
	if p.cfg.JSON {
		return
	}
	b := p.buf[:0]
	if p.cfg.Timestamp {
		b = append(output.AppendLeft(b, []byte("TIME(s)"), 14), ' ')
	} else {
		b = append(b, "TIME     "...)
	}
	b = append(output.AppendLeft(b, []byte("PID"), 7), ' ')
	b = append(output.AppendLeft(b, []byte("COMM"), 16), ' ')
	b = append(b, " AGE(s) FILE\n"...)
	p.w.Write(b)
	p.buf = b
}

// Print prints one life.
func (p *Printer) Print(l *Life) {
	if p.lives == 0 {
		p.first = l.Ts
	}
	p.lives++
	file := l.Name
	if p.cfg.FullPath {
		file = l.Path
	}
	if p.cfg.JSON {
		p.buf = p.appendJSON(p.buf[:0], l)
	} else {
		p.buf = p.appendRow(p.buf[:0], l, file)
	}
	p.w.Write(p.buf)
}

func (p *Printer) appendRow(b []byte, l *Life, file string) []byte {
	var num [24]byte
	if p.cfg.Timestamp {
		b = append(output.AppendLeft(b, output.AppendSeconds(num[:0], l.Ts, p.first), 14), ' ')
	} else {
		b = append(p.now().AppendFormat(b, "15:04:05"), ' ')
	}
	b = append(output.AppendLeft(b, strconv.AppendUint(num[:0], uint64(l.PID), 10), 7), ' ')
	b = append(output.AppendEscapedLeft(b, output.CString(l.Comm[:]), 16), ' ')
	b = append(output.AppendRight(b, strconv.AppendFloat(num[:0], l.Age.Seconds(), 'f', 2, 64), 7, ' '), ' ')
	b = output.AppendEscaped(b, []byte(file))
	return append(b, '\n')
}

// appendJSON writes the stable JSON form: every field, always, in order.
func (p *Printer) appendJSON(b []byte, l *Life) []byte {
	b = append(b, `{"ts_ns":`...)
	b = strconv.AppendUint(b, l.Ts, 10)
	b = append(b, `,"time":`...)
	b = output.AppendJSONString(b, p.now().AppendFormat(nil, "15:04:05"))
	b = append(b, `,"pid":`...)
	b = strconv.AppendUint(b, uint64(l.PID), 10)
	b = append(b, `,"comm":`...)
	b = output.AppendJSONString(b, output.CString(l.Comm[:]))
	b = append(b, `,"age_s":`...)
	b = strconv.AppendFloat(b, l.Age.Seconds(), 'f', 6, 64)
	b = append(b, `,"file":`...)
	b = output.AppendJSONString(b, []byte(l.Name))
	b = append(b, `,"path":`...)
	b = output.AppendJSONString(b, []byte(l.Path))
	return append(b, "}\n"...)
}
