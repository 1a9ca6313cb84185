package probe

import (
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/render"
)

// The names cmd reads and attaches are what the rendered program defines.
func TestNamesDefinedInTheProgram(t *testing.T) {
	var specs []*Spec
	for _, text := range []string{`t:syscalls:sys_enter_openat "%s", args->filename`, `p:do_sys_openat2 "%d", arg1`, `r:do_sys_openat2 "%d", retval`} {
		s, err := ParseSpec(text)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	src, err := Render(Options{Specs: specs, UID: render.AnyUID, StringSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BPF_PERF_OUTPUT(" + EventsTable + ");",
		"BPF_ARRAY(" + LostTable + ", u64, 1);",
		"TRACEPOINT_PROBE(syscalls, sys_enter_openat)",
		"int " + ProgramName(1) + "(struct pt_regs *ctx",
		"int " + ProgramName(2) + "(struct pt_regs *ctx",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the program does not define %q:\n%s", want, src)
		}
	}
}
