package cmd

import (
	"strings"
	"testing"
	"time"
)

// TestProbeSpecsShareTracepoint: several specs on one tracepoint run in one
// program, attached once; each probe keeps its own predicate and format, and
// one probe's false predicate does not stop the ones after it.
func TestProbeSpecsShareTracepoint(t *testing.T) {
	needRootAndTracefs(t)
	present, _ := markerPaths(t)
	tr := startTracer(t, "probe", "--json", "--string-size", "256",
		`t:syscalls:sys_enter_openat (args->flags == 12345) "never %s", args->filename`,
		`t:syscalls:sys_enter_openat ((int)args->dfd == -100) "at cwd: %s", args->filename`,
		`t:syscalls:sys_enter_openat ($pid != 1) "%s opens %s", $comm, args->filename`)
	pid := catFile(t, present)

	want := map[string]bool{"at cwd: " + present: false, "cat opens " + present: false}
	seen := func() bool {
		for _, l := range tr.probeLines(t) {
			if _, ok := want[l.Message]; ok && l.PID == pid && l.Probe == "t:syscalls:sys_enter_openat" {
				want[l.Message] = true
			}
		}
		return want["at cwd: "+present] && want["cat opens "+present]
	}
	deadline := time.Now().Add(10 * time.Second)
	for !seen() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	tr.stop(t)
	if !seen() {
		t.Fatalf("lines seen for cat's open of the marker: %v; stdout ends:\n%s\nstderr:\n%s", want, tail(tr.stdout.String(), 2000), tr.stderr.String())
	}
	for _, l := range tr.probeLines(t) {
		if strings.HasPrefix(l.Message, "never ") {
			t.Errorf("a false predicate let through %+v", l)
		}
	}
}
