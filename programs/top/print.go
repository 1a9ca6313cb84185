package top

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
)

// Row is one file and thread over one interval.
type Row struct {
	TID                           uint32
	Comm                          []byte
	Reads, Writes, RBytes, WBytes uint64
	Type                          byte
	File                          []byte // the dentry's name
	Path                          string // with -F: the file's path, where it could be had
	Dev                           uint32
	Ino                           uint64
}

// NewRow makes a row from a map entry.
func NewRow(k Key, v Value) Row {
	return Row{
		TID: k.TID, Comm: append([]byte(nil), output.CString(v.Comm[:])...),
		Reads: v.Reads, Writes: v.Writes, RBytes: v.RBytes, WBytes: v.WBytes,
		Type: v.Type, File: append([]byte(nil), output.CString(v.Name[:])...),
		Dev: k.Dev, Ino: k.Ino,
	}
}

// SortKeys are the orders -s takes. "all" adds calls and bytes together,
// as bcc's filetop does.
var SortKeys = []string{"all", "reads", "writes", "rbytes", "wbytes"}

// Sort orders rows by key, largest first, then by file and thread so equal
// rows keep a stable order; it keeps at most limit rows (0: all).
func Sort(rows []Row, key string, limit int) ([]Row, error) {
	var of func(Row) uint64
	switch key {
	case "all":
		of = func(r Row) uint64 { return r.Reads + r.Writes + r.RBytes + r.WBytes }
	case "reads":
		of = func(r Row) uint64 { return r.Reads }
	case "writes":
		of = func(r Row) uint64 { return r.Writes }
	case "rbytes":
		of = func(r Row) uint64 { return r.RBytes }
	case "wbytes":
		of = func(r Row) uint64 { return r.WBytes }
	default:
		return nil, fmt.Errorf("sort key %q is not one of %s", key, strings.Join(SortKeys, ", "))
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := of(rows[i]), of(rows[j])
		if a != b {
			return a > b
		}
		if c := strings.Compare(string(rows[i].File), string(rows[j].File)); c != 0 {
			return c < 0
		}
		return rows[i].TID < rows[j].TID
	})
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	return rows, nil
}

// Screen is what one interval prints: when, the load average line of
// /proc/loadavg, and the rows.
type Screen struct {
	Time    string // HH:MM:SS
	Loadavg string
	Rows    []Row
}

// clearScreen moves the cursor home and clears the terminal, as top does.
const clearScreen = "\x1b[H\x1b[2J"

// AppendTable writes the screen as filetop does; clear starts it with a
// clear-screen sequence. Names and comms are other users' and escaped.
func AppendTable(b []byte, s Screen, clear bool) []byte {
	if clear {
		b = append(b, clearScreen...)
	}
	b = append(output.AppendLeft(b, []byte(s.Time), 8), " loadavg: "...)
	b = append(b, s.Loadavg...)
	b = append(b, "\n\n"...)
	b = fmt.Appendf(b, "%-7s %-16s %-6s %-6s %-7s %-7s %1s %s\n", "TID", "COMM", "READS", "WRITES", "R_Kb", "W_Kb", "T", "FILE")
	for _, r := range s.Rows {
		b = append(output.AppendLeft(b, strconv.AppendUint(nil, uint64(r.TID), 10), 7), ' ')
		b = append(output.AppendEscapedLeft(b, r.Comm, 16), ' ')
		b = append(output.AppendLeft(b, strconv.AppendUint(nil, r.Reads, 10), 6), ' ')
		b = append(output.AppendLeft(b, strconv.AppendUint(nil, r.Writes, 10), 6), ' ')
		b = append(output.AppendLeft(b, strconv.AppendUint(nil, r.RBytes/1024, 10), 7), ' ')
		b = append(output.AppendLeft(b, strconv.AppendUint(nil, r.WBytes/1024, 10), 7), ' ')
		b = append(b, typeChar(r.Type), ' ')
		if r.Path != "" {
			b = output.AppendEscaped(b, []byte(r.Path))
		} else {
			b = output.AppendEscaped(b, r.File)
		}
		b = append(b, '\n')
	}
	return b
}

// AppendJSON writes the screen as one JSON object on one line, every field
// of every row always, bytes exact rather than in KiB.
func AppendJSON(b []byte, s Screen) []byte {
	b = append(b, `{"time":`...)
	b = output.AppendJSONString(b, []byte(s.Time))
	b = append(b, `,"loadavg":`...)
	b = output.AppendJSONString(b, []byte(s.Loadavg))
	b = append(b, `,"rows":[`...)
	for i, r := range s.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"tid":%d,"comm":`, r.TID)
		b = output.AppendJSONString(b, r.Comm)
		b = fmt.Appendf(b, `,"reads":%d,"writes":%d,"rbytes":%d,"wbytes":%d,"type":"%c","file":`, r.Reads, r.Writes, r.RBytes, r.WBytes, typeChar(r.Type))
		b = output.AppendJSONString(b, r.File)
		b = append(b, `,"path":`...)
		b = output.AppendJSONString(b, []byte(r.Path))
		b = fmt.Appendf(b, `,"dev":%d,"ino":%d}`, r.Dev, r.Ino)
	}
	return append(b, "]}\n"...)
}

// typeChar is the T column: what the program wrote, or '?' for anything else.
func typeChar(t byte) byte {
	switch t {
	case 'R', 'S', 'O':
		return t
	}
	return '?'
}

// Printer prints each interval's screen.
type Printer struct {
	w     io.Writer
	json  bool
	clear bool
	buf   []byte
}

// NewPrinter prints to w as a table (clearing the screen first when clear)
// or as JSON lines.
func NewPrinter(w io.Writer, json, clear bool) *Printer {
	return &Printer{w: w, json: json, clear: clear && !json}
}

// Print prints one screen.
func (p *Printer) Print(s Screen) {
	if p.json {
		p.buf = AppendJSON(p.buf[:0], s)
	} else {
		p.buf = AppendTable(p.buf[:0], s, p.clear)
	}
	p.w.Write(p.buf)
}
