package probe

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
)

// Printer writes probe events as columns or JSON lines. Comms and
// string values are other users' text: the table escapes them.
type Printer struct {
	w      io.Writer
	cfg    PrintOptions
	first  uint64
	events uint64
	buf    []byte
}

// PrintOptions are the columns and filters of gosnoop probe's output.
type PrintOptions struct {
	JSON      bool
	Timestamp bool   // TIME(s): seconds since the first event printed
	CPU       bool   // CPU column
	Name      string // only comms containing it, filtered here rather than in C
	Filter    string // only messages containing it (-f)
}

// NewPrinter prints to w.
func NewPrinter(w io.Writer, cfg PrintOptions) *Printer {
	return &Printer{w: w, cfg: cfg}
}

// Header prints the column header; JSON has none.
func (p *Printer) Header() {
	if p.cfg.JSON {
		return
	}
	if p.cfg.Timestamp {
		fmt.Fprintf(p.w, "%-14s ", "TIME(s)")
	}
	if p.cfg.CPU {
		fmt.Fprintf(p.w, "%-3s ", "CPU")
	}
	fmt.Fprintf(p.w, "%-7s %-7s %-16s %-16s %s\n", "PID", "TID", "COMM", "FUNC", "MESSAGE")
}

// Print writes one event and reports whether it passed the --name filter.
func (p *Printer) Print(spec *Spec, ev *Event) bool {
	comm := output.CString(ev.Header.Comm[:])
	if p.cfg.Name != "" && !strings.Contains(string(comm), p.cfg.Name) {
		return false
	}
	msg := spec.Message(ev)
	if p.cfg.Filter != "" && !strings.Contains(msg, p.cfg.Filter) {
		return false
	}
	if p.events == 0 {
		p.first = ev.Header.TsNs
	}
	p.events++
	b := p.buf[:0]
	if p.cfg.JSON {
		b = fmt.Appendf(b, `{"ts_ns":%d,"pid":%d,"tid":%d,"uid":%d,"cpu":%d,"comm":`, ev.Header.TsNs, ev.Header.PID, ev.Header.TID, ev.Header.UID, ev.Header.CPU)
		b = output.AppendJSONString(b, comm)
		b = append(b, `,"probe":`...)
		b = output.AppendJSONString(b, []byte(spec.Name()))
		b = append(b, `,"message":`...)
		b = output.AppendJSONString(b, []byte(msg))
		b = append(b, `,"values":[`...)
		for i, a := range spec.Args {
			if i > 0 {
				b = append(b, ',')
			}
			v := spec.Value(ev, i)
			switch {
			case a.Verb.IsString():
				b = output.AppendJSONString(b, []byte(v.Str))
			case a.Verb.Signed() && a.Verb.Long:
				b = strconv.AppendInt(b, int64(v.Int), 10)
			case a.Verb.Signed():
				b = strconv.AppendInt(b, int64(int32(uint32(v.Int))), 10)
			default:
				b = strconv.AppendUint(b, v.Int, 10)
			}
		}
		b = append(b, ']')
		b = appendFramesJSON(b, "kstack", ev.KFrames)
		b = appendFramesJSON(b, "ustack", ev.UFrames)
		b = append(b, "}\n"...)
	} else {
		if p.cfg.Timestamp {
			b = append(output.AppendLeft(b, output.AppendSeconds(nil, ev.Header.TsNs, p.first), 14), ' ')
		}
		if p.cfg.CPU {
			b = fmt.Appendf(b, "%-3d ", ev.Header.CPU)
		}
		b = fmt.Appendf(b, "%-7d %-7d ", ev.Header.PID, ev.Header.TID)
		b = append(output.AppendEscapedLeft(b, comm, 16), ' ')
		b = append(output.AppendEscapedLeft(b, []byte(spec.Function), 16), ' ')
		b = output.AppendEscaped(b, []byte(msg))
		b = append(b, '\n')
		for _, frames := range [][]string{ev.KFrames, ev.UFrames} {
			for _, f := range frames {
				b = append(b, "        "...)
				b = output.AppendEscaped(b, []byte(f))
				b = append(b, '\n')
			}
		}
	}
	p.w.Write(b)
	p.buf = b
	return true
}

// Events is how many events were printed.
func (p *Printer) Events() uint64 { return p.events }

// MaxLayoutSize is the largest event any of layouts describes.
func MaxLayoutSize(layouts []Layout) int {
	n := 0
	for _, l := range layouts {
		n = max(n, l.Size)
	}
	return n
}

// appendFramesJSON appends ,"name":[frames...] when there are frames.
func appendFramesJSON(b []byte, name string, frames []string) []byte {
	if frames == nil {
		return b
	}
	b = fmt.Appendf(b, `,%q:[`, name)
	for i, f := range frames {
		if i > 0 {
			b = append(b, ',')
		}
		b = output.AppendJSONString(b, []byte(f))
	}
	return append(b, ']')
}
