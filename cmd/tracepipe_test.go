package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/tracefs"
)

func TestTracePipeDecodesMarkerLines(t *testing.T) {
	needRootAndTracefs(t)
	dir, _ := tracefs.Dir()
	marker := fmt.Sprintf("gosnoop-test-%d", time.Now().UnixNano())
	tr := startTracer(t, "trace-pipe", "--json", "--grep", marker)

	type line struct {
		Timestamp float64 `json:"timestamp"`
		Task      string  `json:"task"`
		PID       int     `json:"pid"`
		CPU       int     `json:"cpu"`
		Event     string  `json:"event"`
		Message   string  `json:"message"`
	}
	var got []line
	deadline := time.Now().Add(10 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		os.WriteFile(filepath.Join(dir, "trace_marker"), []byte("unrelated line\n"), 0)
		os.WriteFile(filepath.Join(dir, "trace_marker"), []byte(marker+" says: hi\n"), 0)
		time.Sleep(100 * time.Millisecond)
		got = got[:0]
		for _, s := range tr.lines() {
			var l line
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				t.Fatalf("%q is not JSON: %v", s, err)
			}
			got = append(got, l)
		}
	}
	tr.stop(t)
	if len(got) == 0 {
		t.Fatalf("no line for the marker:\n%s", tr.stderr.String())
	}
	for _, l := range got {
		if l.Event != "tracing_mark_write" || l.Message != marker+" says: hi" || l.PID <= 0 || l.Timestamp <= 0 {
			t.Errorf("decoded %+v", l)
		}
	}
}

func TestTracePipeUsage(t *testing.T) {
	if code, _, stderr := run(t, "trace-pipe", "foo"); code != 2 || !strings.Contains(stderr, "takes no arguments") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	if code, _, stderr := run(t, "trace-pipe", "-d", "never"); code != 2 || !strings.Contains(stderr, "--duration") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// A comm holding a newline leaves the next physical line entirely in its
// writer's hands, so every text column of a parsed line can hold escapes.
func TestTracePipeRowEscapesEveryTextColumn(t *testing.T) {
	raw := "x\x1b[2J-12 [001] 5.000000: ev\x1b]0;t\a: m\x1b[31m"
	l, err := tracefs.ParseLine(raw)
	if err != nil {
		t.Fatal(err)
	}
	if l.Function == "" || !strings.Contains(l.Function, "\x1b") {
		t.Fatalf("the example no longer puts an escape in the event column: %+v", l)
	}
	row := string(appendTraceLineRow(nil, l))
	if strings.ContainsAny(row, "\x1b\a") {
		t.Errorf("raw control bytes in the row: %q", row)
	}
	if !strings.Contains(row, `ev\x1b]0;t\x07: m\x1b[31m`) {
		t.Errorf("row %q", row)
	}
}
