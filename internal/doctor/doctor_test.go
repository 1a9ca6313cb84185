package doctor

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var sample = Report{
	Checks: []Check{
		Pass("capabilities", "uid 0: CAP_SYS_ADMIN"),
		Fail("kprobes", "no kprobe PMU", "use a kernel with CONFIG_KPROBES=y"),
		Note("kernel", "6.1.0"),
		Fail("kernel headers", "none", ""),
	},
	Attach: AttachTracepoint,
}

func TestWriteText(t *testing.T) {
	var b strings.Builder
	if err := sample.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `✓ capabilities    uid 0: CAP_SYS_ADMIN
✗ kprobes         no kprobe PMU  fix: use a kernel with CONFIG_KPROBES=y
– kernel          6.1.0
✗ kernel headers  none
1 ok, 2 failed, 1 informational; gosnoop open will use tracepoints
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteJSON(t *testing.T) {
	var b strings.Builder
	if err := sample.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Count(b.String(), "\n") != 1 {
		t.Errorf("not one line: %q", b.String())
	}
	var got struct {
		Checks []map[string]any `json:"checks"`
		Attach string           `json:"attach"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Attach != "tracepoint" || len(got.Checks) != 4 {
		t.Fatalf("got %+v", got)
	}
	// Every field is always there, so consumers need not guess.
	for _, c := range got.Checks {
		for _, k := range []string{"name", "ok", "info", "found", "fix"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check %v has no %q", c, k)
			}
		}
	}
	if k := got.Checks[1]; k["ok"] != false || k["info"] != false || k["fix"] != "use a kernel with CONFIG_KPROBES=y" {
		t.Errorf("failed check: %v", k)
	}
	if n := got.Checks[2]; n["ok"] != false || n["info"] != true {
		t.Errorf("informational check: %v", n)
	}

	b.Reset()
	if err := (Report{Attach: AttachUnknown}).WriteJSON(&b); err != nil || !strings.Contains(b.String(), `"checks":[]`) {
		t.Errorf("empty report: %q, %v", b.String(), err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsReachTheCaller(t *testing.T) {
	if err := sample.WriteText(failingWriter{}); err == nil {
		t.Error("text: no error")
	}
	if err := sample.WriteJSON(failingWriter{}); err == nil {
		t.Error("json: no error")
	}
}

func TestSummaryNamesAttachPath(t *testing.T) {
	for attach, want := range map[string]string{
		AttachKprobe:     "will try kprobes, then tracepoints",
		AttachTracepoint: "will use tracepoints",
		AttachNone:       "no way to attach",
		AttachUnknown:    "unknown",
	} {
		if got := (Report{Attach: attach}).Summary(); !strings.Contains(got, want) {
			t.Errorf("%s: %q", attach, got)
		}
	}
}
