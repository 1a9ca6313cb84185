// Package doctor checks what gosnoop needs from the machine and, for each
// thing missing, says what fixes it. It only reads: it mounts, writes and
// loads nothing, except a one-page BPF ring buffer map created and closed to
// see whether the kernel has them.
package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Check is one line of the report.
type Check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`   // checked and fine
	Info  bool   `json:"info"` // informational: neither fine nor failed
	Found string `json:"found"`
	Fix   string `json:"fix"` // for failed checks: the command or hint that fixes it
}

// Pass is a check that found what gosnoop needs.
func Pass(name, found string) Check { return Check{Name: name, OK: true, Found: found} }

// Fail is a check that did not, with what fixes it.
func Fail(name, found, fix string) Check { return Check{Name: name, Found: found, Fix: fix} }

// Note is an informational line, or a check that could not be made.
func Note(name, found string) Check { return Check{Name: name, Info: true, Found: found} }

// Mark is the line's leading symbol.
func (c Check) Mark() string {
	switch {
	case c.Info:
		return "–"
	case c.OK:
		return "✓"
	}
	return "✗"
}

// Attach values of a report: how `gosnoop open --attach auto` would attach.
const (
	AttachKprobe     = "kprobe"     // kprobes first, the tracepoints as fallback
	AttachTracepoint = "tracepoint" // the syscalls tracepoints
	AttachNone       = "none"       // no way to trace open() here
	AttachUnknown    = "unknown"    // doctor could not tell (tracefs missing or unreadable)
)

// Report is every check and the attach path gosnoop open would take.
type Report struct {
	Checks []Check `json:"checks"`
	Attach string  `json:"attach"`
}

// WriteText writes one aligned line per check and a summary line.
func (r Report) WriteText(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%s %-*s  %s", c.Mark(), width, c.Name, c.Found)
		if !c.OK && !c.Info && c.Fix != "" {
			fmt.Fprintf(&b, "  fix: %s", c.Fix)
		}
		b.WriteByte('\n')
	}
	b.WriteString(r.Summary())
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as one JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	if r.Checks == nil {
		r.Checks = []Check{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Summary counts the lines and names the attach path.
func (r Report) Summary() string {
	var ok, failed, info int
	for _, c := range r.Checks {
		switch {
		case c.Info:
			info++
		case c.OK:
			ok++
		default:
			failed++
		}
	}
	s := fmt.Sprintf("%d ok, %d failed, %d informational", ok, failed, info)
	switch r.Attach {
	case AttachKprobe:
		s += "; gosnoop open will try kprobes, then tracepoints"
	case AttachTracepoint:
		s += "; gosnoop open will use tracepoints"
	case AttachNone:
		s += "; gosnoop open has no way to attach here"
	default:
		s += "; how gosnoop open attaches is unknown (see above)"
	}
	return s
}
