package hello

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// The kprobe function cmd attaches is the one the program defines, and the
// line its printk writes is the line ParseLine takes as ours.
func TestProgramAndParserAgree(t *testing.T) {
	src, err := Render(Options{Kprobe: true, Tracepoints: Syscalls, Tag: "5eed"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src, "int "+KprobeFunction+"(struct pt_regs *ctx)") {
		t.Errorf("the program does not define %s", KprobeFunction)
	}
	formats := regexp.MustCompile(`bpf_trace_printk\("([^"]*)\\n"\);`).FindAllStringSubmatch(src, -1)
	if len(formats) != 1+len(Syscalls) {
		t.Fatalf("%d printks, want %d:\n%s", len(formats), 1+len(Syscalls), src)
	}
	for _, f := range formats {
		raw := fmt.Sprintf("%16s-%-7d [001] ...1. 10721.259736: bpf_trace_printk: %s", "bash", 744, f[1])
		if l, ours, err := ParseLine("5eed", raw); !ours || err != nil || l.PID != 744 {
			t.Errorf("printk %q: ParseLine = %+v, %v, %v", f[1], l, ours, err)
		}
	}
}
