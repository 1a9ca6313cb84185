package tracefs

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Line is one event line of trace_pipe, such as
//
//	cat-1234    [000] d..2  1234.567890: bpf_trace_printk: hi there
type Line struct {
	Task      string  // comm as printed: "cat", "<idle>", "<...>", "kworker/u8:2"
	PID       int     // thread id
	TGID      int     // process id from options/record-tgid; -1 when not printed
	CPU       int     // cpu the event was recorded on
	Flags     string  // irqs-off/need-resched/... column: "d..2", "...21"; "" when options/irq-info is off
	Timestamp float64 // seconds, as printed
	Function  string  // event name: "bpf_trace_printk", "tracing_mark_write"
	Message   string  // the rest of the line after "Function: "
}

// tailRE matches everything right of the task-pid column. Flags are 4 chars
// before kernel 5.15 (no migrate-disable column) and 5 after; timestamps are
// integers under counter clocks such as x86-tsc.
var tailRE = regexp.MustCompile(`(?s)^\[(\d{1,9})\] +(?:([.0-9A-Za-z]{4,5}) +)?(\d{1,20}(?:\.\d{1,9})?): ([^\s:]+):(?: (.*))?$`)

var errNoColumns = errors.New("no task-pid [cpu] timestamp: columns")

// ParseLine parses one trace_pipe line. The task name may itself contain
// spaces, '-' and brackets, so the line is split at the first " [cpu] " whose
// left side ends in -pid and whose right side has a timestamp and an event name.
func ParseLine(s string) (Line, error) {
	s = strings.TrimSuffix(s, "\n")
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
	return Line{}, fmt.Errorf("parsing trace line %q: %w", clip(s), errNoColumns)
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

// clip keeps error messages short when a bad line is huge.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
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
