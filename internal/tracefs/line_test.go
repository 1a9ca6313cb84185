package tracefs

import (
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
