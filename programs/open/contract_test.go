package open

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// The Go side names the C side's functions and tables; each name must be
// what the rendered program defines.
func TestNamesDefinedInTheProgram(t *testing.T) {
	o := defaultOpenOptions()
	o.Kprobe = "do_sys_openat2"
	for _, out := range []Output{OutputPerf, OutputRingbuf} {
		o.Output, o.RingPages, o.RingWakeup = out, 64, 16
		src, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"int " + KprobeEntry + "(struct pt_regs *ctx",
			"int " + KprobeReturn + "(struct pt_regs *ctx)",
			"BPF_ARRAY(" + LostTable + ", u64, 1);",
		} {
			if !strings.Contains(src, want) {
				t.Errorf("%s: the program does not define %q", out, want)
			}
		}
		table := map[Output]string{OutputPerf: "BPF_PERF_OUTPUT(" + EventsTable + ");", OutputRingbuf: "BPF_RINGBUF_OUTPUT(" + EventsTable + ", 64);"}[out]
		if !strings.Contains(src, table) {
			t.Errorf("%s: the program does not define %q", out, table)
		}
	}
}

// The trace-pipe variant's printk and its decoder agree: a message made
// with the rendered format and the values the C puts in it decodes back.
func TestTracePrintkMatchesDecoder(t *testing.T) {
	o := defaultOpenOptions()
	o.Output, o.Tag = OutputTracePipe, "5eed"
	src, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`bpf_trace_printk\("([^"]*)\\n", pid_ret, meta, ev->path\);`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("no printk of pid_ret, meta and path in:\n%s", src)
	}
	format := strings.ReplaceAll(m[1], "%llu", "%d")
	var comm [16]byte
	copy(comm[:], "cat")
	path := "/etc/a b\tc"
	meta := fmt.Sprintf("%x%03x%d", comm, len(path), 0)
	msg := fmt.Sprintf(format, uint64(4242)<<32|uint64(uint32(3)), meta, path)
	raw := fmt.Sprintf("%16s-%-7d [001] ...1. 10721.259736: bpf_trace_printk: %s", "cat", 4242, msg)
	var ev Event
	if res, err := NewTraceDecoder("5eed").Feed(raw, &ev); res != tracefs.LineEvent || err != nil {
		t.Fatalf("the decoder took %q as %v, %v", raw, res, err)
	}
	if ev.PID != 4242 || ev.Ret != 3 || ev.CommString() != "cat" || ev.PathString() != path {
		t.Errorf("decoded %+v", ev)
	}
}

// The filters Config encodes are where struct open_config has them, and
// every filter renders the same program.
func TestConfigMatchesTheProgram(t *testing.T) {
	o := defaultOpenOptions()
	o.PID = 7
	src, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)struct open_config \{(.*?)\};`).FindStringSubmatch(src)
	if m == nil {
		t.Fatalf("no struct open_config in:\n%s", src)
	}
	var fields []string
	for _, line := range strings.Split(m[1], "\n") {
		line, _, _ = strings.Cut(line, "//")
		if f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(line), ";")); len(f) == 2 {
			fields = append(fields, f[0]+" "+f[1])
		}
	}
	// Config writes: pid at 0, tid at 4, uid at 8, any_uid at 12,
	// failed_only at 13, accmodes at 14, flags_any at 16.
	if got := strings.Join(fields, "|"); got != "u32 pid|u32 tid|u32 uid|u8 any_uid|u8 failed_only|u8 accmodes|u8 _pad|u32 flags_any" {
		t.Errorf("struct open_config is %s", got)
	}
	if !strings.Contains(src, fmt.Sprintf("#define OPEN_CONFIG_SIZE %d", ConfigSize)) || !strings.Contains(src, "BPF_ARRAY("+ConfigTable+", struct open_config, 1);") {
		t.Error("the config table or its size differ from Go's")
	}
	c := Options{PID: 1, TID: 2, UID: 3, FailedOnly: true, Flags: FlagFilter{Any: 0x01020304, AccModes: 5}}.Config()
	if len(c) != ConfigSize || c[0] != 1 || c[4] != 2 || c[8] != 3 || c[12] != 0 || c[13] != 1 || c[14] != 5 || c[16] != 4 || c[19] != 1 {
		t.Errorf("config % x", c)
	}
	if c := (Options{UID: -1}).Config(); c[12] != 1 || c[13] != 0 {
		t.Errorf("any uid: % x", c)
	}
	for _, filtered := range []Options{{TID: 9}, {UID: 0}, {FailedOnly: true}} {
		f := defaultOpenOptions()
		f.PID, f.TID, f.UID, f.FailedOnly = filtered.PID, filtered.TID, filtered.UID, filtered.FailedOnly
		other, err := Render(f)
		if err != nil || other != src {
			t.Errorf("%+v renders another program than -p 7 (%v)", filtered, err)
		}
	}
	if plain, _ := Render(defaultOpenOptions()); strings.Contains(plain, "open_config") {
		t.Error("a program without filters reads the config table")
	}
}
