package probe

import (
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/render"
)

// The names cmd reads and attaches are what the rendered program defines.
func TestNamesDefinedInTheProgram(t *testing.T) {
	var specs []*ProbeSpec
	for _, text := range []string{`t:syscalls:sys_enter_openat "%s", args->filename`, `p:do_sys_openat2 "%d", arg1`, `r:do_sys_openat2 "%d", retval`} {
		s, err := ParseProbeSpec(text)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	src, err := RenderProbes(ProbeOptions{Specs: specs, UID: render.AnyUID, StringSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BPF_PERF_OUTPUT(" + ProbeEventsTable + ");",
		"BPF_ARRAY(" + ProbeLostTable + ", u64, 1);",
		"TRACEPOINT_PROBE(syscalls, sys_enter_openat)",
		"int " + ProbeFunction(1) + "(struct pt_regs *ctx",
		"int " + ProbeFunction(2) + "(struct pt_regs *ctx",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the program does not define %q:\n%s", want, src)
		}
	}
}
