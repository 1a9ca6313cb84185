package hello

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/golden"
)

func TestRenderHello(t *testing.T) {
	cases := map[string]Options{
		"kprobe":      {Kprobe: true, Tag: "5eed"},
		"tracepoints": {Tracepoints: []string{"clone", "clone3"}, Tag: "5eed"},
		"both":        {Kprobe: true, Tracepoints: []string{"clone", "clone3"}, Tag: "5eed"},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, src)
		})
	}
}

func TestRenderHelloRejects(t *testing.T) {
	for name, o := range map[string]Options{
		"bad tag":           {Kprobe: true, Tag: `"); bad("`},
		"unknown syscall":   {Tracepoints: []string{"fork) { evil(); }"}, Tag: "5eed"},
		"nothing to attach": {Tag: "5eed"},
	} {
		if src, err := Render(o); err == nil {
			t.Errorf("%s: rendered without error:\n%s", name, src)
		}
	}
}

// nastyComms are comms shaped like trace_pipe's columns or holding the
// bytes that end them.
var nastyComms = []string{"cat", "z-1 [0] 1: x: ", "X\t/etc/shadow", "a\nb", "\n", "comm\n", "-1 [000] 1: x:", "esc\x1b]0;t\x07", "123456789012345", ""}

func TestParseHelloLine(t *testing.T) {
	// A comm can be anything but NUL; none may hide a line or change its pid.
	for _, comm := range append(nastyComms, "<...>") {
		raw := fmt.Sprintf("%16s-%-7d [001] ...1. 10721.259736: bpf_trace_printk: 5eed Hello, World!", comm, 5355)
		physical := strings.Split(raw, "\n")
		last := physical[len(physical)-1] // a newline in the comm starts the line earlier
		for _, head := range physical[:len(physical)-1] {
			if _, ours, _ := ParseLine("5eed", head); ours {
				t.Errorf("comm %q: head %q taken as ours", comm, head)
			}
		}
		ln, ours, err := ParseLine("5eed", last)
		wantTask := strings.TrimLeft(comm[strings.LastIndexByte(comm, '\n')+1:], " ")
		if !ours || err != nil || ln.PID != 5355 || ln.Task != wantTask || ln.Message != Message {
			t.Errorf("comm %q: ParseHelloLine(%q) = %+v, %v, %v", comm, last, ln, ours, err)
		}
	}
	for _, other := range []string{
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: Hello, World!",
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: beef Hello, World!",
		"            bash-744     [003] d..3. 2068.001262: tracing_mark_write: 5eed Hello, World!",
	} {
		if _, ours, _ := ParseLine("5eed", other); ours {
			t.Errorf("%q taken as ours", other)
		}
	}
	for _, bad := range []string{
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: 5eed Hello, World!!",
		"            bash-744     [003] d..3. 2068.001262: bpf_trace_printk: 5eed ",
		"bash-744 [3] 2068.001262: bpf_trace_printk: 5eed Hello, World!",
	} {
		if _, ours, err := ParseLine("5eed", bad); !ours || err == nil {
			t.Errorf("%q: ours %v err %v, want ours with an error", bad, ours, err)
		}
	}
}
