package tracefs

import (
	"fmt"
	"strings"
	"testing"
)

var goodLines = []struct {
	name string
	in   string
	want Line
}{
	{
		name: "6.x flags, unknown comm",
		in:   "           <...>-27110   [001] ...21   422.608326: bpf_trace_printk: Hello, World!\n",
		want: Line{Task: "<...>", PID: 27110, TGID: -1, CPU: 1, Flags: "...21", Timestamp: 422.608326, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "4-char flags",
		in:   "              cat-1234    [000] d..2  1234.567890: bpf_trace_printk: hi there",
		want: Line{Task: "cat", PID: 1234, TGID: -1, CPU: 0, Flags: "d..2", Timestamp: 1234.567890, Function: "bpf_trace_printk", Message: "hi there"},
	},
	{
		name: "dashes in task",
		in:   " kworker/u8:2-events-99   [003] ....     5.000001: tracing_mark_write: hello world",
		want: Line{Task: "kworker/u8:2-events", PID: 99, TGID: -1, CPU: 3, Flags: "....", Timestamp: 5.000001, Function: "tracing_mark_write", Message: "hello world"},
	},
	{
		name: "tgid column",
		in:   "           bash-5   (      5) [001] ...1.  10.000000: tracing_mark_write: x",
		want: Line{Task: "bash", PID: 5, TGID: 5, CPU: 1, Flags: "...1.", Timestamp: 10, Function: "tracing_mark_write", Message: "x"},
	},
	{
		name: "tgid unknown, colon in message",
		in:   "           <idle>-0     (-------) [000] d.h2. 99.5: bpf_trace_printk: msg: with colon",
		want: Line{Task: "<idle>", PID: 0, TGID: -1, CPU: 0, Flags: "d.h2.", Timestamp: 99.5, Function: "bpf_trace_printk", Message: "msg: with colon"},
	},
	// Lines below were printed by real kernels (bcc examples, blog posts, this machine's 6.18).
	{
		name: "5.x 4-char flags, 7-digit pid",
		in:   "   <...>-3658431 [048] d... 5362570.510814: bpf_trace_printk: Hello, world!",
		want: Line{Task: "<...>", PID: 3658431, TGID: -1, CPU: 48, Flags: "d...", Timestamp: 5362570.510814, Function: "bpf_trace_printk", Message: "Hello, world!"},
	},
	{
		name: "4.x trace_printk address as function",
		in:   "            bash-20113 [000] ....   377.602655: 0x00000001: Hello, World!",
		want: Line{Task: "bash", PID: 20113, TGID: -1, CPU: 0, Flags: "....", Timestamp: 377.602655, Function: "0x00000001", Message: "Hello, World!"},
	},
	{
		name: "4.x preempt depth",
		in:   "            bash-744     [003] d..3  2068.001262: bpf_trace_printk: Hello, World!",
		want: Line{Task: "bash", PID: 744, TGID: -1, CPU: 3, Flags: "d..3", Timestamp: 2068.001262, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "long comm",
		in:   "  NetworkManager-781     [000] d...  2016.754075: bpf_trace_printk: Hello, World!",
		want: Line{Task: "NetworkManager", PID: 781, TGID: -1, CPU: 0, Flags: "d...", Timestamp: 2016.754075, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "6.x flags, dash in comm",
		in:   "      k3s-server-2795005 [000] d...1 265039.419072: bpf_trace_printk: Hello, World!",
		want: Line{Task: "k3s-server", PID: 2795005, TGID: -1, CPU: 0, Flags: "d...1", Timestamp: 265039.419072, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "slashes in comm",
		in:   " /usr/local/clou-1583    [000] d...1  3129.167824: bpf_trace_printk: Hello, World!",
		want: Line{Task: "/usr/local/clou", PID: 1583, TGID: -1, CPU: 0, Flags: "d...1", Timestamp: 3129.167824, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "6.x no flags",
		in:   " ThreadPoolForeg-9994    [008] ...21  6450.583254: bpf_trace_printk: Hello, World!",
		want: Line{Task: "ThreadPoolForeg", PID: 9994, TGID: -1, CPU: 8, Flags: "...21", Timestamp: 6450.583254, Function: "bpf_trace_printk", Message: "Hello, World!"},
	},
	{
		name: "6.18 record-tgid unknown",
		in:   "           <...>-3386    (-------) [001] ...1.   211.555984: tracing_mark_write: tgid: probe two",
		want: Line{Task: "<...>", PID: 3386, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 211.555984, Function: "tracing_mark_write", Message: "tgid: probe two"},
	},
	{
		name: "6.18 record-tgid known",
		in:   "            bash-4870    (   4870) [000] ...1.   294.666242: tracing_mark_write: tgid-inst2",
		want: Line{Task: "bash", PID: 4870, TGID: 4870, CPU: 0, Flags: "...1.", Timestamp: 294.666242, Function: "tracing_mark_write", Message: "tgid-inst2"},
	},
	{
		name: "6.18 irq-info off",
		in:   `            bash-4888    [001]    296.677218: tracing_mark_write: with "quotes" and [brackets]: ok`,
		want: Line{Task: "bash", PID: 4888, TGID: -1, CPU: 1, Timestamp: 296.677218, Function: "tracing_mark_write", Message: `with "quotes" and [brackets]: ok`},
	},
	{
		name: "spaces in task",
		in:   "     Web Content-4242    [002] ...1.  7.250000: bpf_trace_printk: a: b: c",
		want: Line{Task: "Web Content", PID: 4242, TGID: -1, CPU: 2, Flags: "...1.", Timestamp: 7.25, Function: "bpf_trace_printk", Message: "a: b: c"},
	},
	{
		name: "brackets and parens in task",
		in:   "    a [9] (b)-77    [002] ....     3.000000: bpf_trace_printk: m",
		want: Line{Task: "a [9] (b)", PID: 77, TGID: -1, CPU: 2, Flags: "....", Timestamp: 3, Function: "bpf_trace_printk", Message: "m"},
	},
	{
		name: "cpu column inside message",
		in:   "cat-1 [000] .... 1.000000: bpf_trace_printk: see [002] ....  2.000000: x: y",
		want: Line{Task: "cat", PID: 1, TGID: -1, CPU: 0, Flags: "....", Timestamp: 1, Function: "bpf_trace_printk", Message: "see [002] ....  2.000000: x: y"},
	},
	{
		name: "empty message",
		in:   "cat-1 [000] .... 1.000000: bpf_trace_printk: ",
		want: Line{Task: "cat", PID: 1, TGID: -1, CPU: 0, Flags: "....", Timestamp: 1, Function: "bpf_trace_printk"},
	},
	{
		name: "empty message, no space",
		in:   "cat-1 [000] .... 1.000000: bpf_trace_printk:",
		want: Line{Task: "cat", PID: 1, TGID: -1, CPU: 0, Flags: "....", Timestamp: 1, Function: "bpf_trace_printk"},
	},
	{
		name: "counter clock timestamp",
		in:   "cat-1 [000] ....   1234567890: bpf_trace_printk: tsc",
		want: Line{Task: "cat", PID: 1, TGID: -1, CPU: 0, Flags: "....", Timestamp: 1234567890, Function: "bpf_trace_printk", Message: "tsc"},
	},
}

var badLines = []string{
	"",
	"\n",
	"   ",
	"CPU:1 [LOST 42 EVENTS]",
	"CPU:0 [LOST EVENTS]",
	"# tracer: nop",
	"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
	// bcc once split lines at the wrong place and lost the task.
	"322350  [010] ...21 223559.264003: bpf_trace_printk: Hello, World!",
	// function tracer lines have no "name: message" part.
	"             cat-2212    [000] d.h..   369.060000: arch_local_irq_restore <-generic_atomic64_read",
	" => __x64_sys_write",
	"Hello, World!",
	"cat-12x [000] .... 1.000000: a: b",
	"cat- [000] .... 1.000000: a: b",
	"cat-1 [000] .... abc: a: b",
	"cat-1 [000] .... -1.0: a: b",
	"cat-1 [-01] .... 1.000000: a: b",
	"cat-1 [] .... 1.000000: a: b",
	"cat-1 [000] ....... 1.000000: a: b",
	"cat-1 [000] .... 1.000000 a: b",
	"cat-1 [000] .... 1.000000: : b",
	"cat-1 [000] .... 1.000000:",
	"cat-1 (abc) [000] .... 1.000000: a: b",
	"cat-1 () [000] .... 1.000000: a: b",
	"cat-1 (-1) [000] .... 1.000000: a: b",
	"cat-1 5) [000] .... 1.000000: a: b",
	"cat-99999999999999999999 [000] .... 1.000000: a: b",
	"cat-1[000] .... 1.000000: a: b",
	" [",
	" [0] ",
}

func TestParseLine(t *testing.T) {
	for _, tc := range goodLines {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLine(tc.in)
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Errorf("ParseLine(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseLineBad(t *testing.T) {
	for _, in := range badLines {
		got, err := ParseLine(in)
		if err == nil {
			t.Errorf("ParseLine(%q) = %+v, want an error", in, got)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseLine(%q) error has a newline: %q", in, err)
		}
	}
}

func TestParseLost(t *testing.T) {
	tests := []struct {
		in     string
		n      int
		wantOK bool
	}{
		{"CPU:1 [LOST 42 EVENTS]", 42, true},
		{"CPU:12 [LOST 1 EVENTS]\n", 1, true},
		{"CPU:4 [LOST EVENTS]", 0, true},
		{"CPU:1 [LOST 99999999999999999999 EVENTS]", 0, true},
		{"CPU:1 [LOST -3 EVENTS]", 0, false},
		{"CPU:1 [LOST 42 EVENT]", 0, false},
		{"CPU: [LOST 42 EVENTS]", 0, false},
		{"CPU:1 [LOST 42 EVENTS] and more", 0, false},
		{"cat-1 [000] .... 1.000000: bpf_trace_printk: CPU:1 [LOST 42 EVENTS]", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		n, ok := ParseLost(tc.in)
		if n != tc.n || ok != tc.wantOK {
			t.Errorf("ParseLost(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.wantOK)
		}
	}
}

func FuzzParseLine(f *testing.F) {
	for _, tc := range goodLines {
		f.Add(tc.in)
	}
	for _, in := range badLines {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ln, err := ParseLine(s)
		if err != nil {
			return
		}
		if ln.CPU < 0 || ln.PID < 0 {
			t.Errorf("ParseLine(%q) = %+v: negative cpu or pid", s, ln)
		}
		ParseLost(s)
	})
}

// kernelLine prints a line the way this machine's 6.18 kernel does:
// "%16s-%-7d [%03d] %s %5lu.%06lu: event: message".
func kernelLine(comm string, pid int, event, msg string) string {
	return fmt.Sprintf("%16s-%-7d [%03d] %s %5d.%06d: %s: %s", comm, pid, 1, "...1.", 10721, 259736, event, msg)
}

// Comms a process can choose with prctl(PR_SET_NAME): anything but NUL, at
// most 15 bytes.
var nastyComms = []string{
	"z-1 [0] 1: x: ", // measured: hid lines from the first-split parser
	"x-1 [000] 1: y:",
	"a [9] (b)",
	"-123",
	"-1 [000] .... 1",
	"   leading",
	"trailing   ",
	"tab\there",
	"esc\x1b[31mred",
	"(  42) [003] ",
	": bpf_trace_pri",
	"CPU:1 [LOST 9 E",
	"123456789012345",
	"[001] ...1. 1.0",
}

func TestParseLineNastyComms(t *testing.T) {
	for _, comm := range nastyComms {
		in := kernelLine(comm, 5355, "tracing_mark_write", "hi [002] ....  2.0: x: y")
		got, err := ParseLine(in)
		want := Line{Task: strings.TrimLeft(comm, " "), PID: 5355, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 10721.259736,
			Function: "tracing_mark_write", Message: "hi [002] ....  2.0: x: y"}
		if err != nil || got != want {
			t.Errorf("comm %q: ParseLine(%q)\n got %+v, %v\nwant %+v", comm, in, got, err, want)
		}
	}
}

func TestParseLineFixedWidth(t *testing.T) {
	tests := []struct {
		in   string
		want Line
	}{
		// Printed by this machine's kernel for a process that named itself "z-1 [0] 1: x: ".
		{"  z-1 [0] 1: x: -5355    [001] ...1. 10721.259736: tracing_mark_write: hi there",
			Line{Task: "z-1 [0] 1: x: ", PID: 5355, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 10721.259736, Function: "tracing_mark_write", Message: "hi there"}},
		{"        b\tc\x1b[31m-13153    [001] ...1. 11361.968988: tracing_mark_write: nl comm",
			Line{Task: "b\tc\x1b[31m", PID: 13153, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 11361.968988, Function: "tracing_mark_write", Message: "nl comm"}},
		{" 0123456789abcde-12933    [001] ...1. 11350.344719: tracing_mark_write: long comm",
			Line{Task: "0123456789abcde", PID: 12933, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 11350.344719, Function: "tracing_mark_write", Message: "long comm"}},
		{" CPU:1 [LOST 9 E-13155    [001] ...1. 11361.972123: tracing_mark_write: lost",
			Line{Task: "CPU:1 [LOST 9 E", PID: 13155, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 11361.972123, Function: "tracing_mark_write", Message: "lost"}},
		{"     a-1 (    2)-77      (     77) [002] ....     3.000000: bpf_trace_printk: m",
			Line{Task: "a-1 (    2)", PID: 77, TGID: 77, CPU: 2, Flags: "....", Timestamp: 3, Function: "bpf_trace_printk", Message: "m"}},
		{"     x [001] 1.0-77      (-------) [002]    1234567890: bpf_trace_printk: m",
			Line{Task: "x [001] 1.0", PID: 77, TGID: -1, CPU: 2, Timestamp: 1234567890, Function: "bpf_trace_printk", Message: "m"}},
	}
	for _, tc := range tests {
		if _, ok := parseFixed(tc.in); !ok {
			t.Errorf("%q is not taken as a fixed-width line", tc.in)
		}
		got, err := ParseLine(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseLine(%q)\n got %+v, %v\nwant %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTagged(t *testing.T) {
	const tag = "5eed"
	msg := "42 data: [001] ....  2.0: x: y\ttab"
	for _, comm := range append(nastyComms, "cat", "<...>", "") {
		in := kernelLine(comm, 5355, "bpf_trace_printk", tag+" "+msg)
		got, ours, err := ParseTagged(in, "bpf_trace_printk", tag)
		want := Line{Task: strings.TrimLeft(comm, " "), PID: 5355, TGID: -1, CPU: 1, Flags: "...1.", Timestamp: 10721.259736,
			Function: "bpf_trace_printk", Message: msg}
		if !ours || err != nil || got != want {
			t.Errorf("comm %q: ParseTagged(%q)\n got %+v, %v, %v\nwant %+v", comm, in, got, ours, err, want)
		}
	}
}

func TestParseTaggedPartialComm(t *testing.T) {
	// A comm of "a\n-1 [000] 1: x" is printed on two physical lines; the
	// second carries the event and the comm's tail.
	in := "-1 [000] 1: x-13154    [000] ...1. 11361.970552: bpf_trace_printk: 5eed Hello, World!"
	got, ours, err := ParseTagged(in, "bpf_trace_printk", "5eed")
	want := Line{Task: "-1 [000] 1: x", PID: 13154, TGID: -1, CPU: 0, Flags: "...1.", Timestamp: 11361.970552, Function: "bpf_trace_printk", Message: "Hello, World!"}
	if !ours || err != nil || got != want {
		t.Errorf("ParseTagged(%q)\n got %+v, %v, %v\nwant %+v", in, got, ours, err, want)
	}
	for _, in := range []string{"   a", "", "-1 [000] 1: x"} {
		if _, ours, _ := ParseTagged(in, "bpf_trace_printk", "5eed"); ours {
			t.Errorf("ParseTagged(%q) took the head of a split comm as ours", in)
		}
	}
}

func TestParseTaggedOthers(t *testing.T) {
	const tag = "5eed"
	notOurs := []string{
		kernelLine("cat", 1, "bpf_trace_printk", "Hello, World!"),
		kernelLine("cat", 1, "bpf_trace_printk", "5eedf Hello"),
		kernelLine("cat", 1, "bpf_trace_printk", "x 5eed Hello"),
		kernelLine("cat", 1, "tracing_mark_write", "5eed Hello"),
		kernelLine("cat", 1, "bpf_trace_printk", "5eed"),
	}
	for _, in := range notOurs {
		if ln, ours, err := ParseTagged(in, "bpf_trace_printk", tag); ours {
			t.Errorf("ParseTagged(%q) = %+v, %v: another writer's line taken as ours", in, ln, err)
		}
	}
	bad := []string{
		// Not the kernel's columns left of the anchor.
		"garbage: bpf_trace_printk: 5eed x",
		": bpf_trace_printk: 5eed x",
		"cat-1 [0] .... 1.0: bpf_trace_printk: 5eed x",
		"cat-1 [000] .... 1.0 : bpf_trace_printk: 5eed x",
		// A comm column wider than the kernel's.
		"   a comm that is too wide-1 [000] .... 1.000000: bpf_trace_printk: 5eed x",
		"cat-99999999999 [000] .... 1.000000: bpf_trace_printk: 5eed x",
	}
	for _, in := range bad {
		ln, ours, err := ParseTagged(in, "bpf_trace_printk", tag)
		if !ours || err == nil {
			t.Errorf("ParseTagged(%q) = %+v, %v, %v; want ours with an error", in, ln, ours, err)
		}
	}
}

func TestLineTimestampNs(t *testing.T) {
	for _, tc := range []struct {
		ts   float64
		want uint64
	}{{10721.259736, 10721259736000}, {0.000001, 1000}, {99999999.999999, 99999999999999000}} {
		if got := (Line{Timestamp: tc.ts}).TimestampNs(); got != tc.want {
			t.Errorf("TimestampNs(%v) = %d, want %d", tc.ts, got, tc.want)
		}
	}
}

func FuzzParseTagged(f *testing.F) {
	for _, comm := range nastyComms {
		f.Add(kernelLine(comm, 1, "bpf_trace_printk", "5eed x"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		ln, ours, err := ParseTagged(s, "bpf_trace_printk", "5eed")
		if !ours || err != nil {
			return
		}
		if ln.CPU < 0 || ln.PID < 0 || len(ln.Task) > commWidth {
			t.Errorf("ParseTagged(%q) = %+v", s, ln)
		}
	})
}

func BenchmarkParseLineFixed(b *testing.B) {
	in := kernelLine("z-1 [0] 1: x: ", 5355, "bpf_trace_printk", "5eed 180388626430 /usr/lib/x86_64-linux-gnu/libc.so.6")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseLine(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTagged(b *testing.B) {
	in := kernelLine("z-1 [0] 1: x: ", 5355, "bpf_trace_printk", "5eed 180388626430 /usr/lib/x86_64-linux-gnu/libc.so.6")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, ours, err := ParseTagged(in, "bpf_trace_printk", "5eed"); !ours || err != nil {
			b.Fatal(err)
		}
	}
}
