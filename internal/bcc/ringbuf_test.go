package bcc

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// ringMarkerProgram is markerProgram sending through a one-page ring buffer
// and counting, as gosnoop's programs do, the records that found it full.
var ringMarkerProgram = strings.NewReplacer(
	"BPF_PERF_OUTPUT(marker_events);",
	"BPF_RINGBUF_OUTPUT(marker_events, 1);\nBPF_ARRAY(marker_lost, u64, 1);",
	"marker_events.perf_submit(args, &ev, sizeof(ev));",
	"if (marker_events.ringbuf_output(&ev, sizeof(ev), 0) < 0)\n\t\tmarker_lost.atomic_increment(0);",
).Replace(markerProgram)

func attachRingMarkerProgram(t *testing.T) *Module { return attachRingMarkerPages(t, 1) }

// attachRingMarkerPages is attachRingMarkerProgram with a ring of pages.
func attachRingMarkerPages(t *testing.T, pages int) *Module {
	t.Helper()
	requireRoot(t)
	if !strings.Contains(ringMarkerProgram, "BPF_RINGBUF_OUTPUT") || !strings.Contains(ringMarkerProgram, "ringbuf_output") {
		t.Fatal("markerProgram changed: ringMarkerProgram no longer replaces its output")
	}
	src := strings.Replace(ringMarkerProgram, "BPF_RINGBUF_OUTPUT(marker_events, 1);", fmt.Sprintf("BPF_RINGBUF_OUTPUT(marker_events, %d);", pages), 1)
	m, err := Compile(src)
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	t.Cleanup(m.Close)
	if err := m.WriteU32("marker_tgid", 0, uint32(os.Getpid())); err != nil {
		t.Fatalf("setting marker_tgid: %v", err)
	}
	if err := m.AttachTracepoint("syscalls", "sys_enter_openat"); err != nil {
		t.Fatalf("attaching: %v", err)
	}
	return m
}

func TestRingDeliversSingleEvent(t *testing.T) {
	m := attachRingMarkerProgram(t)
	marker := markerPath(t)
	c := &markerCounter{path: marker}
	r, err := m.OpenRing("marker_events", c.onSample)
	if err != nil {
		t.Skipf("needs BPF ring buffers (Linux 5.8): %v", err)
	}
	defer r.Close()
	openMarker(marker)
	deadline := time.Now().Add(time.Second)
	for c.delivered.Load() == 0 && time.Now().Before(deadline) {
		r.Poll(100 * time.Millisecond)
	}
	if c.delivered.Load() != 1 || c.short.Load() != 0 {
		t.Fatalf("delivered %d, short %d; want the one open within 1s", c.delivered.Load(), c.short.Load())
	}
}

func TestRingBurstIsDeliveredOrCountedLost(t *testing.T) {
	const n = 500
	m := attachRingMarkerProgram(t)
	marker := markerPath(t)
	c := &markerCounter{path: marker}
	r, err := m.OpenRing("marker_events", c.onSample)
	if err != nil {
		t.Skipf("needs BPF ring buffers (Linux 5.8): %v", err)
	}
	defer r.Close()
	for i := 0; i < n; i++ { // one page holds ~15 records: most must be lost
		openMarker(marker)
	}
	for i := 0; i < 5; i++ {
		r.Poll(50 * time.Millisecond)
	}
	lost, err := m.ReadCounter("marker_lost", 0)
	if err != nil {
		t.Fatal(err)
	}
	delivered := uint64(c.delivered.Load())
	t.Logf("%d opens: %d delivered, %d counted lost", n, delivered, lost)
	if delivered == 0 || lost == 0 {
		t.Errorf("delivered %d, lost %d: a one-page ring must deliver some and drop some of %d", delivered, lost, n)
	}
	if delivered+lost != n {
		t.Errorf("%d delivered + %d lost != %d opens: events went missing silently", delivered, lost, n)
	}
	if r.Samples() != delivered {
		t.Errorf("Samples() %d, delivered %d", r.Samples(), delivered)
	}
}

// One Poll hands over at most ringPollBudget records, however many wait:
// libbpf would consume for as long as the producer keeps up. The rest come
// with the next polls, none lost.
func TestRingPollIsBounded(t *testing.T) {
	const n = ringPollBudget + 1500
	m := attachRingMarkerPages(t, 2048)
	marker := markerPath(t)
	c := &markerCounter{path: marker}
	r, err := m.OpenRing("marker_events", c.onSample)
	if err != nil {
		t.Skipf("needs BPF ring buffers (Linux 5.8): %v", err)
	}
	defer r.Close()
	for i := 0; i < n; i++ {
		openMarker(marker)
	}
	r.Poll(0)
	if got := c.delivered.Load(); got != ringPollBudget {
		t.Errorf("one poll handed over %d of %d records, want %d", got, n, ringPollBudget)
	}
	for i := 0; i < 5 && c.delivered.Load() < n; i++ {
		r.Poll(0)
	}
	lost, _ := m.ReadCounter("marker_lost", 0)
	if c.delivered.Load() != n || lost != 0 {
		t.Errorf("delivered %d of %d, %d lost", c.delivered.Load(), n, lost)
	}
}
