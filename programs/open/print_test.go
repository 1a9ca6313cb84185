package open

import (
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func sampleEvent() Event {
	ev := Event{TsNs: 1_500_000_000, PID: 4242, TID: 4243, UID: 1000, Ret: -2, Flags: 0o2000000, Mode: 0o644}
	copy(ev.Comm[:], "cat")
	copy(ev.Path[:], "/tmp/a \"quoted\"\tpath\xff")
	return ev
}

func TestOpenPrinterTable(t *testing.T) {
	var out strings.Builder
	p := NewPrinter(&out, PrintOptions{Timestamp: true, PrintUID: true, Extended: true})
	p.Header()
	ev := sampleEvent()
	p.Print(&ev)
	ev.TsNs += 250_000_000
	ev.Ret = 3
	p.Print(&ev)
	ev.TsNs -= 750_000_000 // entered before the first printed event
	p.Print(&ev)
	// The path's tab and invalid byte are escaped; -T goes negative rather
	// than wrapping around.
	want := "TIME(s)        UID    PID    COMM               FD ERR FLAGS    MODE PATH\n" +
		"0.000000000    1000   4242   cat                -1   2 02000000 0644 /tmp/a \"quoted\"\\tpath\\xff\n" +
		"0.250000000    1000   4242   cat                 3   0 02000000 0644 /tmp/a \"quoted\"\\tpath\\xff\n" +
		"-0.500000000   1000   4242   cat                 3   0 02000000 0644 /tmp/a \"quoted\"\\tpath\\xff\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}

func TestOpenPrinterJSON(t *testing.T) {
	var out strings.Builder
	p := NewPrinter(&out, PrintOptions{JSON: true, TIDColumn: true})
	p.Header()
	ev := sampleEvent()
	p.Print(&ev)
	var got map[string]any
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	want := map[string]any{"ts_ns": 1.5e9, "pid": 4242.0, "tid": 4243.0, "uid": 1000.0, "comm": "cat", "fd": -1.0, "errno": 2.0, "errno_name": "ENOENT",
		"flags": float64(0o2000000), "mode": float64(0o644), "path": "/tmp/a \"quoted\"\tpath\ufffd", "truncated": false}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
}

func TestOpenPrinterMarksTruncatedPaths(t *testing.T) {
	ev := sampleEvent()
	ev.PathTruncated = 1
	var table, js strings.Builder
	NewPrinter(&table, PrintOptions{}).Print(&ev)
	NewPrinter(&js, PrintOptions{JSON: true}).Print(&ev)
	if !strings.HasSuffix(table.String(), `path\xff...`+"\n") {
		t.Errorf("table row %q does not end in ...", table.String())
	}
	if !strings.Contains(js.String(), `"truncated":true}`) {
		t.Errorf("JSON %q lacks \"truncated\":true", js.String())
	}
}

func TestOpenPrinterNameFilter(t *testing.T) {
	var out strings.Builder
	p := NewPrinter(&out, PrintOptions{JSON: true, Name: "at"})
	ev := sampleEvent()
	p.Print(&ev)
	copy(ev.Comm[:], "bash")
	p.Print(&ev)
	if n := strings.Count(out.String(), "\n"); n != 1 || p.Events() != 1 {
		t.Errorf("-n at printed %d lines, counted %d events", n, p.Events())
	}
}

func TestOpenPrinterAllocatesNothing(t *testing.T) {
	for _, cfg := range []PrintOptions{{}, {Timestamp: true, PrintUID: true, Extended: true}, {JSON: true}} {
		p := NewPrinter(io.Discard, cfg)
		ev := sampleEvent()
		p.Print(&ev) // grows the line buffer once
		if n := testing.AllocsPerRun(200, func() { p.Print(&ev) }); n != 0 {
			t.Errorf("%+v: print allocates %.1f times per event", cfg, n)
		}
	}
}

func BenchmarkOpenPrinter(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  PrintOptions
	}{{"table", PrintOptions{}}, {"json", PrintOptions{JSON: true}}} {
		b.Run(c.name, func(b *testing.B) {
			p := NewPrinter(io.Discard, c.cfg)
			ev := sampleEvent()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p.Print(&ev)
			}
		})
	}
}

func TestOpenPrinterErrnoNames(t *testing.T) {
	var out strings.Builder
	p := NewPrinter(&out, PrintOptions{ErrnoNames: true})
	p.Header()
	ev := sampleEvent() // ENOENT
	p.Print(&ev)
	ev.Ret = -4095 // no name
	p.Print(&ev)
	ev.Ret = 3
	p.Print(&ev)
	want := "PID    COMM               FD ERR     PATH\n" +
		"4242   cat                -1 ENOENT  /tmp/a \"quoted\"\\tpath\\xff\n" +
		"4242   cat                -1 4095    /tmp/a \"quoted\"\\tpath\\xff\n" +
		"4242   cat                 3 0       /tmp/a \"quoted\"\\tpath\\xff\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// The errno names are the kernel's, number for number.
func TestErrnoNamesMatchTheHeaders(t *testing.T) {
	seen := 0
	for _, f := range []string{"/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("no kernel UAPI headers to check against: %v", err)
		}
		for _, m := range regexp.MustCompile(`(?m)^#define\s+(E[A-Z0-9]+)\s+(\d+)\s`).FindAllStringSubmatch(string(data), -1) {
			n, _ := strconv.Atoi(m[2])
			if got := ErrnoName(int32(n)); got != m[1] {
				t.Errorf("%d: %q, the header says %s", n, got, m[1])
			}
			seen++
		}
	}
	if seen != len(errnoNames) || ErrnoName(0) != "" {
		t.Errorf("%d names in the headers, %d in the table", seen, len(errnoNames))
	}
}
