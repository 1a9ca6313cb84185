package open

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// The trace-pipe variant prints, through bpf_trace_printk,
//
//	<tag> <pid<<32|uint32(ret)> <meta> <path>
//
// where meta is the comm's 16 bytes as 32 hex digits, the path's length in
// bytes as 3 and '0' or '1' for truncated. The tag is a secret of the run,
// the comm cannot break hex, and the path comes last with its length known,
// so no byte the traced process chose can move a field boundary.
const (
	openMetaLen     = 2*len(Event{}.Comm) + 4
	openTraceEvent  = "bpf_trace_printk"
	openMaxPathText = len(Event{}.Path) - 1 // the rest is the NUL
)

// TraceDecoder turns the physical lines of trace_pipe back into the
// trace-pipe variant's events. A newline in a path makes the kernel print
// the rest of the entry on the following physical lines (one entry is
// always printed whole, with nothing in between); Feed joins them until the
// path has the length the program stated. Use one decoder per pipe, from
// one goroutine.
type TraceDecoder struct {
	tag     string
	pending bool // the entry in ev and path continues on the next line
	ev      Event
	want    int // path length the program stated
	path    []byte
}

// NewTraceDecoder returns a decoder for the lines printed by the open
// program rendered with Tag tag.
func NewTraceDecoder(tag string) *TraceDecoder {
	return &TraceDecoder{tag: tag, path: make([]byte, 0, openMaxPathText)}
}

// Feed takes one physical line of trace_pipe without its '\n' and says
// what it is: another writer's (LineOther), the start or middle of an entry
// that continues (LineMore: feed the next line as is), a malformed entry
// (LineBad, with an error) or a complete one (LineEvent). On LineEvent it
// fills *ev: PID, TID, TsNs, Ret, Comm, Path and PathTruncated; UID, Flags
// and Mode do not travel and are 0.
func (d *TraceDecoder) Feed(raw string, ev *Event) (tracefs.LineKind, error) {
	if d.pending {
		d.path = append(append(d.path, '\n'), raw...)
		return d.complete(ev)
	}
	ln, ours, err := tracefs.ParseTagged(raw, openTraceEvent, d.tag)
	if !ours {
		return tracefs.LineOther, nil
	}
	if err != nil {
		return d.fail(err)
	}
	d.ev = Event{TID: uint32(ln.PID), TsNs: ln.TimestampNs()}
	want, path, err := parseOpenFields(ln.Message, &d.ev)
	if err != nil {
		return d.fail(err)
	}
	d.want = want
	d.path = append(d.path[:0], path...)
	return d.complete(ev)
}

func (d *TraceDecoder) complete(ev *Event) (tracefs.LineKind, error) {
	if len(d.path) < d.want {
		d.pending = true
		return tracefs.LineMore, nil
	}
	d.pending = false
	if len(d.path) > d.want {
		return d.fail(fmt.Errorf("open trace entry: path of %d bytes or more, the program said %d", len(d.path), d.want))
	}
	*ev = d.ev
	setPath(ev, string(d.path))
	return tracefs.LineEvent, nil
}

func (d *TraceDecoder) fail(err error) (tracefs.LineKind, error) {
	return tracefs.LineBad, err
}

// Finish ends decoding: an entry still waiting for its continuation, as when
// reading stopped in the middle, is returned as an error.
func (d *TraceDecoder) Finish() error {
	if !d.pending {
		return nil
	}
	d.pending = false
	return fmt.Errorf("open trace entry cut short: %d of %d path bytes", len(d.path), d.want)
}

// parseOpenFields parses "<pid,ret> <meta> <path start>" into ev and returns
// the stated path length and the path's text on this line.
func parseOpenFields(msg string, ev *Event) (want int, path string, err error) {
	packed, rest, ok := strings.Cut(msg, " ")
	if !ok || len(rest) < openMetaLen+1 || rest[openMetaLen] != ' ' {
		return 0, "", fmt.Errorf("open trace line %q: want \"<pid,ret> <meta> <path>\"", output.Clip(msg))
	}
	pidRet, err := strconv.ParseUint(packed, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("open trace line %q: pid,ret: %w", output.Clip(msg), err)
	}
	meta := rest[:openMetaLen]
	comm := meta[:2*len(ev.Comm)]
	length, flag := meta[len(comm):len(comm)+3], meta[len(comm)+3]
	n, err := strconv.ParseUint(length, 16, 16)
	if _, herr := hex.Decode(ev.Comm[:], []byte(comm)); herr != nil || err != nil || n > uint64(openMaxPathText) || (flag != '0' && flag != '1') {
		return 0, "", fmt.Errorf("open trace line %q: bad meta %q", output.Clip(msg), meta)
	}
	ev.PID = uint32(pidRet >> 32)
	ev.Ret = int32(uint32(pidRet))
	ev.PathTruncated = flag - '0'
	return int(n), rest[openMetaLen+1:], nil
}

func setPath(ev *Event, path string) {
	ev.Path = [len(ev.Path)]byte{}
	copy(ev.Path[:openMaxPathText], path)
}
