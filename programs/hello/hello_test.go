package hello

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/golden"
	"github.com/gosnoop/gosnoop/internal/kernel"
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
			t.Errorf("comm %q: ParseLine(%q) = %+v, %v, %v", comm, last, ln, ours, err)
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

func TestPlanHello(t *testing.T) {
	both := []string{"syscalls:sys_enter_clone", "syscalls:sys_enter_clone3"}
	for _, c := range []struct {
		name        string
		mode        attach.Mode
		k           kernel.Fake
		kprobes     int
		tracepoints string
		err         string
	}{
		{"kprobes for both", attach.Auto, kernel.Fake{KprobesOK: true, Functions: []string{"__x64_sys_clone", "__x64_sys_clone3"}, Events: both}, 2, "[clone clone3]", ""},
		// A kprobe on clone alone would leave clone3 untraced.
		{"clone3 has only a tracepoint", attach.Auto, kernel.Fake{KprobesOK: true, Functions: []string{"__x64_sys_clone"}, Events: both}, 0, "[clone clone3]", ""},
		// A kernel older than clone3: nothing to miss.
		{"no clone3 at all", attach.Auto, kernel.Fake{KprobesOK: true, Functions: []string{"__x64_sys_clone"}, Events: both[:1]}, 1, "[clone]", ""},
		{"no kprobes", attach.Auto, kernel.Fake{KprobesOK: false, Functions: []string{"__x64_sys_clone"}, Events: both}, 0, "[clone clone3]", ""},
		{"--attach kprobe takes what there is", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: []string{"__x64_sys_clone"}, Events: both}, 1, "[]", ""},
		{"--attach kprobe, none", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: nil, Events: both}, 0, "[]", "no clone syscall function"},
		{"--attach tracepoint", attach.Tracepoints, kernel.Fake{KprobesOK: true, Functions: []string{"__x64_sys_clone"}, Events: both}, 0, "[clone clone3]", ""},
		{"nothing", attach.Auto, kernel.Fake{KprobesOK: false, Functions: nil, Events: nil}, 0, "[]", "no way to trace clone()"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o Options
			plan, err := Plan(&o, c.mode, c.k, func(string, ...any) {})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Kprobes) != c.kprobes || o.Kprobe != (c.kprobes > 0) || fmt.Sprint(o.Tracepoints) != c.tracepoints {
				t.Errorf("kprobes %v (Kprobe %v), tracepoints %v; want %d kprobes, %s", plan.Kprobes, o.Kprobe, o.Tracepoints, c.kprobes, c.tracepoints)
			}
		})
	}
}
