package tracefs

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
)

// Line is one event line of trace_pipe, such as (the comm right-aligned in
// 16 columns)
//
//	"             cat-1234    [000] d..2.  1234.567890: bpf_trace_printk: hi there"
type Line struct {
	Task      string  // comm as printed: "cat", "<idle>", "<...>", "kworker/u8:2"; see ParseTagged for a partial one
	PID       int     // thread id
	TGID      int     // process id from options/record-tgid; -1 when not printed
	CPU       int     // cpu the event was recorded on
	Flags     string  // irqs-off/need-resched/... column: "d..2", "...21"; "" when options/irq-info is off
	Timestamp float64 // seconds, as printed
	Function  string  // event name: "bpf_trace_printk", "tracing_mark_write"
	Message   string  // the rest of the line after "Function: "
}

// TimestampNs returns Timestamp in nanoseconds. The kernel prints
// microseconds, which a float64 holds exactly for centuries of uptime.
func (l Line) TimestampNs() uint64 {
	return uint64(math.Round(l.Timestamp*1e6)) * 1000
}

// The kernel prints the context of a line as "%16s-%-7d " (comm, pid), then
// "(%7d) " or "(-------) " with options/record-tgid, "[%03d] " (cpu), the
// flags with options/irq-info (4 chars before 5.15, 5 after), and the
// timestamp: "%5lu.%06lu" seconds, or an integer under counter clocks such
// as x86-tsc. Only the comm is chosen by the traced process, and it may hold
// any byte but NUL.
const (
	commWidth = 16
	// columns is everything the kernel prints between the pid and the ": ".
	columns = ` +(?:\((?: *(\d{1,10})|-------)\) )?\[(\d{3,9})\] (?:([.0-9A-Za-z]{4,5}) )? *(\d{1,20}(?:\.\d{1,9})?)`
	// event is the event name and its message.
	event = `: ([^\s:]+):(?: (.*))?$`
)

var (
	// fixedRE parses what follows the fixed-width comm column and its '-'.
	fixedRE = regexp.MustCompile(`(?s)^(\d{1,10})` + columns + event)
	// taggedRE parses what precedes ": event: tag " right to left; the
	// greedy comm takes every '-' but the pid's.
	taggedRE = regexp.MustCompile(`(?s)^(.*)-(\d{1,10})` + columns + `$`)
	// tailRE is the fallback's: everything right of the task-pid column.
	tailRE = regexp.MustCompile(`(?s)^\[(\d{1,9})\] +(?:([.0-9A-Za-z]{4,5}) +)?(\d{1,20}(?:\.\d{1,9})?)` + event)
)

var errNoColumns = errors.New("no task-pid [cpu] timestamp: columns")

// ParseLine parses one trace_pipe line. The kernel pads the comm to exactly
// 16 columns and everything right of it up to the message is its own, so a
// line in that shape is split there whatever the comm holds. Lines not in
// that shape (hand-written ones, copies that lost their leading blanks, the
// rest of a comm holding a newline) are split at the first " [cpu] " whose
// left side ends in -pid: there a comm like "x-1 [000] 1: y: " can still
// move the split, so callers that need certainty use ParseTagged.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSuffix(s, "\n")
	if ln, ok := parseFixed(s); ok {
		return ln, nil
	}
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], " [")
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		// The head check is cheap; it keeps the regex off most false splits.
		ln, ok := parseHead(s[:i])
		if !ok {
			continue
		}
		m := tailRE.FindStringSubmatch(s[i+1:])
		if m == nil {
			continue
		}
		cpu, err := strconv.Atoi(m[1])
		if err != nil {
			continue
		}
		ts, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		ln.CPU = cpu
		ln.Flags = m[2]
		ln.Timestamp = ts
		ln.Function = m[4]
		ln.Message = m[5]
		return ln, nil
	}
	return Line{}, fmt.Errorf("parsing trace line %q: %w", output.Clip(s), errNoColumns)
}

// parseFixed parses a line in the kernel's fixed width: a comm of at most 15
// bytes right-aligned in 16 columns, so s[0] is padding and s[16] the '-'.
func parseFixed(s string) (Line, bool) {
	if len(s) <= commWidth || s[0] != ' ' || s[commWidth] != '-' {
		return Line{}, false
	}
	m := fixedRE.FindStringSubmatch(s[commWidth+1:])
	if m == nil {
		return Line{}, false
	}
	ln, ok := fromColumns(m[1], m[2], m[3], m[4], m[5])
	if !ok {
		return Line{}, false
	}
	ln.Task = strings.TrimLeft(s[:commWidth], " ")
	ln.Function = m[6]
	ln.Message = m[7]
	return ln, true
}

// fromColumns converts the kernel's columns; tgid is "" when not printed or unknown.
func fromColumns(pid, tgid, cpu, flags, ts string) (Line, bool) {
	ln := Line{TGID: -1, Flags: flags}
	var err1, err2, err3, err4 error
	ln.PID, err1 = strconv.Atoi(pid)
	if tgid != "" {
		ln.TGID, err2 = strconv.Atoi(tgid)
	}
	ln.CPU, err3 = strconv.Atoi(cpu)
	ln.Timestamp, err4 = strconv.ParseFloat(ts, 64)
	return ln, err1 == nil && err2 == nil && err3 == nil && err4 == nil
}

// ParseTagged parses a line that our own BPF program printed as
// "<tag> <message>" through the trace event named event (bpf_trace_printk).
// It finds ": event: tag " and parses the kernel's columns leftwards from
// there, so neither the comm nor the message can move a field boundary: the
// tag is a secret of the run, and the comm, at most 15 bytes, is too short
// to hold the anchor. Line.Message is the text after "<tag> ". When the comm
// holds a newline the kernel's line starts on an earlier physical line, and
// Task is only the comm's last part.
//
// ours is false for lines without the anchor: other writers' lines. A line
// that carries it but does not parse is ours with an error: count it, it is
// not to be dropped silently.
func ParseTagged(raw, event, tag string) (ln Line, ours bool, err error) {
	raw = strings.TrimSuffix(raw, "\n")
	anchor := ": " + event + ": " + tag + " "
	i := strings.Index(raw, anchor)
	if i < 0 {
		return Line{}, false, nil
	}
	m := taggedRE.FindStringSubmatch(raw[:i])
	if m == nil || len(m[1]) > commWidth {
		return Line{}, true, fmt.Errorf("parsing tagged trace line %q: %w", output.Clip(raw), errNoColumns)
	}
	ln, ok := fromColumns(m[2], m[3], m[4], m[5], m[6])
	if !ok {
		return Line{}, true, fmt.Errorf("parsing tagged trace line %q: %w", output.Clip(raw), errNoColumns)
	}
	ln.Task = strings.TrimLeft(m[1], " ")
	ln.Function = event
	ln.Message = raw[i+len(anchor):]
	return ln, true, nil
}

// parseHead parses "  task-pid" with an optional "(  tgid)" or "(-------)" after it.
func parseHead(head string) (Line, bool) {
	ln := Line{TGID: -1}
	head = strings.TrimRight(head, " ")
	if strings.HasSuffix(head, ")") {
		open := strings.LastIndexByte(head, '(')
		if open < 0 {
			return Line{}, false
		}
		inner := strings.TrimSpace(head[open+1 : len(head)-1])
		switch {
		case inner != "" && strings.Trim(inner, "-") == "":
			// The kernel had no tgid cached for this pid.
		case isDigits(inner):
			tgid, err := strconv.Atoi(inner)
			if err != nil {
				return Line{}, false
			}
			ln.TGID = tgid
		default:
			return Line{}, false
		}
		head = strings.TrimRight(head[:open], " ")
	}
	dash := strings.LastIndexByte(head, '-')
	if dash < 0 || !isDigits(head[dash+1:]) {
		return Line{}, false
	}
	pid, err := strconv.Atoi(head[dash+1:])
	if err != nil {
		return Line{}, false
	}
	ln.PID = pid
	// The kernel right-aligns comm in 16 columns; the padding is not part of it.
	ln.Task = strings.TrimLeft(head[:dash], " ")
	return ln, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var lostRE = regexp.MustCompile(`^CPU:\d{1,9} \[LOST (?:(\d{1,20}) )?EVENTS\]$`)

// ParseLost recognizes the marker the kernel writes into trace_pipe when its
// ring buffer overwrote lines before they were read, "CPU:1 [LOST 42 EVENTS]".
// n is 0 when the kernel could not count them ("CPU:1 [LOST EVENTS]").
func ParseLost(s string) (n int, ok bool) {
	m := lostRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	if m[1] == "" {
		return 0, true
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, true
	}
	return n, true
}
