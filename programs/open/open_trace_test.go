package open

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// traceEntry prints what the trace-pipe variant's printk makes the kernel
// write to trace_pipe for one call, as this machine's 6.18 prints it:
// "%16s-%-7d [%03d] flags %5lu.%06lu: bpf_trace_printk: " and the message,
// which ends with the format's "\n", then the event's own "\n".
func traceEntry(tag, comm string, pid, tid uint32, ret int32, path string, truncated bool) string {
	var c [16]byte
	copy(c[:15], comm)
	flag := "0"
	if truncated {
		flag = "1"
	}
	// "%16s" pads the whole comm, a newline in it included.
	return fmt.Sprintf("%16s-%-7d [001] ...1. 10721.259736: bpf_trace_printk: %s %d %s%03x%s %s\n\n",
		comm, tid, tag, uint64(pid)<<32|uint64(uint32(ret)), hex.EncodeToString(c[:]), len(path), flag, path)
}

// feedLines splits what the kernel wrote into physical lines and feeds them
// the way tracefs.Pipe.Read does: blank lines and lost markers between
// entries are the reader's, everything after tracefs.LineMore the decoder's.
func feedLines(t *testing.T, d *TraceDecoder, text string) (events []Event, bad []error) {
	t.Helper()
	more := false
	for _, raw := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !more {
			if _, lost := tracefs.ParseLost(raw); lost || strings.TrimSpace(raw) == "" {
				continue
			}
		}
		var ev Event
		res, err := d.Feed(raw, &ev)
		more = res == tracefs.LineMore
		switch res {
		case tracefs.LineEvent:
			events = append(events, ev)
		case tracefs.LineBad:
			bad = append(bad, err)
		}
		if (err != nil) != (res == tracefs.LineBad) {
			t.Errorf("Feed(%q) = %v, %v", raw, res, err)
		}
	}
	return events, bad
}

var nastyPaths = []string{
	"/etc/passwd",
	"",
	"/no such/file\twith tab",
	"/tmp/line\nbreak",
	"/tmp/ends with newline\n",
	"\n",
	"\n\n\n",
	"/x\n\n",
	"/x\nCPU:1 [LOST 42 EVENTS]\n",
	"/x\n            evil-1       [000] ...1.    1.000000: bpf_trace_printk: 5eed 4294967296 00000000000000000000000000000000000 /fake",
	"/x\n" + strings.Repeat(" ", 16),
	"/esc\x1b[31m/red\x9b",
	"a " + strings.Repeat("\n", 200),
	strings.Repeat("p", 255),
	strings.Repeat("\n", 255),
}

var nastyComms = []string{"cat", "z-1 [0] 1: x: ", "X\t/etc/shadow", "a\nb", "\n", "comm\n", "-1 [000] 1: x:", "esc\x1b]0;t\x07", "123456789012345", ""}

func TestOpenTraceDecoder(t *testing.T) {
	for _, comm := range nastyComms {
		for _, path := range nastyPaths {
			d := NewTraceDecoder("5eed")
			text := traceEntry("5eed", comm, 42, 43, -2, path, false) + traceEntry("5eed", "next", 7, 7, 3, "/after", true)
			events, bad := feedLines(t, d, text)
			if len(bad) != 0 || len(events) != 2 {
				t.Errorf("comm %q path %q: %d events, bad %v\n%s", comm, path, len(events), bad, text)
				continue
			}
			ev := events[0]
			if ev.PID != 42 || ev.TID != 43 || ev.Ret != -2 || ev.CommString() != comm || ev.PathString() != path ||
				ev.Truncated() || ev.TsNs != 10721259736000 {
				t.Errorf("comm %q path %q: got pid %d tid %d ret %d comm %q path %q truncated %v ts %d",
					comm, path, ev.PID, ev.TID, ev.Ret, ev.CommString(), ev.PathString(), ev.Truncated(), ev.TsNs)
			}
			if next := events[1]; next.PathString() != "/after" || !next.Truncated() || next.Ret != 3 {
				t.Errorf("comm %q path %q: next event %+v", comm, path, next)
			}
			if err := d.Finish(); err != nil {
				t.Errorf("comm %q path %q: decoder left an entry: %v", comm, path, err)
			}
		}
	}
}

func TestOpenTraceDecoderOthers(t *testing.T) {
	d := NewTraceDecoder("5eed")
	others := []string{
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: Hello, World!",
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: 5eedf 1 x",
		"            bash-744     [003] d..3. 2068.001262: tracing_mark_write: 5eed 1 x",
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: beef 4294967296 00000000000000000000000000000000001 /",
		"   a", // the first part of a comm holding a newline
	}
	for _, raw := range others {
		var ev Event
		if res, err := d.Feed(raw, &ev); res != tracefs.LineOther || err != nil {
			t.Errorf("Feed(%q) = %v, %v; want tracefs.LineOther", raw, res, err)
		}
	}
}

func TestOpenTraceDecoderBad(t *testing.T) {
	prefix := "             cat-43      [001] ...1. 10721.259736: bpf_trace_printk: 5eed "
	comm := hex.EncodeToString([]byte("cat\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	bad := []string{
		prefix + "180388626430",
		prefix + "180388626430 " + comm + "004 /etc",                         // no flag
		prefix + "180388626430 " + comm + "0045 /etc",                        // flag not 0 or 1
		prefix + "180388626430 " + comm + "1000 /etc",                        // longer than a path can be
		prefix + "180388626430 " + comm + "0030 /etc",                        // longer than stated
		prefix + "x " + comm + "0040 /etc",                                   // pid,ret not a number
		prefix + "99999999999999999999 " + comm + "0040 /etc",                // pid,ret too large
		prefix + "180388626430 " + strings.Repeat("g", 32) + "0040 /etc",     // comm not hex
		prefix + "180388626430 " + comm + "0040/etc",                         // no space before the path
		"garbage: bpf_trace_printk: 5eed 180388626430 " + comm + "0040 /etc", // not the kernel's columns
	}
	d := NewTraceDecoder("5eed")
	for _, raw := range bad {
		var ev Event
		if res, err := d.Feed(raw, &ev); res != tracefs.LineBad || err == nil {
			t.Errorf("Feed(%q) = %v, %v; want tracefs.LineBad", raw, res, err)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("error has a newline: %q", err)
		}
	}
	// A continuation longer than the stated length.
	d = NewTraceDecoder("5eed")
	var ev Event
	if res, _ := d.Feed(prefix+"180388626430 "+comm+"0030 /a", &ev); res != tracefs.LineMore {
		t.Fatalf("want tracefs.LineMore for a path that continues")
	}
	if res, err := d.Feed("bc", &ev); res != tracefs.LineBad || err == nil || d.Finish() != nil {
		t.Errorf("overlong continuation: %v, %v, or still pending", res, err)
	}
	// An entry cut short by the end of reading.
	if res, _ := d.Feed(prefix+"180388626430 "+comm+"0030 /a", &ev); res != tracefs.LineMore {
		t.Fatalf("want tracefs.LineMore for a path that continues")
	}
	if err := d.Finish(); err == nil || !strings.Contains(err.Error(), "cut short: 2 of 3 path bytes") {
		t.Errorf("Finish with an entry pending = %v", err)
	}
	if err := d.Finish(); err != nil {
		t.Errorf("second Finish = %v, want nil: the entry was reported once", err)
	}
}

// A comm cannot hide a line from the decoder nor add a field to it: the
// first-split parse took "z-1 [0] 1: x: " for a line of task "z" and the
// tab of "X\t/etc/shadow" for the start of the path.
func TestOpenTraceDecoderSpoofs(t *testing.T) {
	d := NewTraceDecoder("5eed")
	events, bad := feedLines(t, d, traceEntry("5eed", "z-1 [0] 1: x: ", 1, 1, 3, "/real", false)+
		traceEntry("5eed", "X\t/etc/shadow", 2, 2, 4, "/real/path", false))
	if len(bad) != 0 || len(events) != 2 || events[0].PathString() != "/real" || events[1].PathString() != "/real/path" ||
		events[1].CommString() != "X\t/etc/shadow" {
		t.Errorf("events %+v bad %v", events, bad)
	}
}

// The decoder behind a real tracefs.Pipe, reading a FIFO named trace_pipe.
func TestOpenTraceDecoderThroughPipe(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "trace_pipe"), 0o600); err != nil {
		t.Skipf("needs a FIFO: %v", err)
	}
	pipe, err := tracefs.OpenPipe(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer pipe.Close()
	w, err := os.OpenFile(filepath.Join(dir, "trace_pipe"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for i, path := range nastyPaths {
		text.WriteString(traceEntry("5eed", nastyComms[i%len(nastyComms)], uint32(i), uint32(i), 0, path, false))
		if i == 3 {
			text.WriteString("CPU:1 [LOST 5 EVENTS]\n")
		}
	}
	go func() {
		io.WriteString(w, text.String())
		w.Close()
	}()
	var lost []uint64
	pipe.OnLost = func(n, total uint64) { lost = append(lost, n) }
	d := NewTraceDecoder("5eed")
	var got []string
	var ev Event
	err = pipe.Read(context.Background(), func(raw string) (bool, error) {
		res, err := d.Feed(raw, &ev)
		switch res {
		case tracefs.LineEvent:
			got = append(got, ev.PathString())
		case tracefs.LineBad:
			t.Errorf("bad line %q: %v", raw, err)
		}
		return res == tracefs.LineMore, nil
	})
	if !errors.Is(err, io.EOF) {
		t.Errorf("Read = %v, want EOF", err)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", nastyPaths) {
		t.Errorf("paths\n got %q\nwant %q", got, nastyPaths)
	}
	if fmt.Sprint(lost) != "[5]" {
		t.Errorf("lost reports %v, want [5]", lost)
	}
}

func BenchmarkOpenTraceDecoder(b *testing.B) {
	line := strings.Split(traceEntry("5eed", "cat", 42, 42, 3, "/usr/lib/x86_64-linux-gnu/libc.so.6", false), "\n")[0]
	d := NewTraceDecoder("5eed")
	var ev Event
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if res, err := d.Feed(line, &ev); res != tracefs.LineEvent {
			b.Fatal(res, err)
		}
	}
}

// Whatever the lines, the decoder neither panics nor returns a path longer
// than it stated, and an error comes exactly with LineBad.
func FuzzOpenTraceDecoder(f *testing.F) {
	f.Add(traceEntry("5eed", "cat", 1, 1, 3, "/a\nb", false), "x\n")
	f.Add(traceEntry("5eed", "a\nb", 1, 1, -2, "\n\n", true), "")
	f.Fuzz(func(t *testing.T, first, second string) {
		d := NewTraceDecoder("5eed")
		for _, raw := range strings.Split(first+second, "\n") {
			var ev Event
			res, err := d.Feed(raw, &ev)
			if (err != nil) != (res == tracefs.LineBad) || ev.Path[len(ev.Path)-1] != 0 {
				t.Fatalf("Feed(%q) = %v, %v, path %q", raw, res, err, ev.Path)
			}
		}
		d.Finish()
	})
}
