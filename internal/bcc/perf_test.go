package bcc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs and reads tracefs")
	}
}

// markerProgram reports openat(2) calls at entry with the caller's tgid, tid
// and the path it passed. Only the process whose tgid is in marker_tgid is
// reported, so a busy machine can neither fill the buffers nor wake the
// reader in the test's place.
const markerProgram = `
#define MARKER_PATH_LEN 256

struct marker_event {
	u32 pid;
	u32 tid;
	char path[MARKER_PATH_LEN];
};
_Static_assert(sizeof(struct marker_event) == 264, "marker_event changed: update decodeMarkerEvent");

BPF_ARRAY(marker_tgid, u32, 1);
BPF_PERF_OUTPUT(marker_events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	struct marker_event ev = {};
	u64 id = bpf_get_current_pid_tgid();
	u32 zero = 0;
	u32 *tgid = marker_tgid.lookup(&zero);
	if (!tgid || *tgid != id >> 32)
		return 0;
	ev.pid = id >> 32;
	ev.tid = id;
	bpf_probe_read_user_str(&ev.path, sizeof(ev.path), args->filename);
	marker_events.perf_submit(args, &ev, sizeof(ev));
	return 0;
}
`

const markerEventSize = 264

type markerEvent struct {
	pid, tid uint32
	path     string
}

// decodeMarkerEvent decodes a raw sample; ok is false for one too short.
// It reports rather than fails, since the reader may call it off the test
// goroutine, where t.Fatal is not allowed.
func decodeMarkerEvent(b []byte) (ev markerEvent, ok bool) {
	if len(b) < markerEventSize {
		return markerEvent{}, false
	}
	path := b[8:markerEventSize]
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	return markerEvent{
		pid:  binary.NativeEndian.Uint32(b[0:]),
		tid:  binary.NativeEndian.Uint32(b[4:]),
		path: string(path),
	}, true
}

// markerCounter counts the samples of one marker path, and short samples.
type markerCounter struct {
	path             string
	delivered, short atomic.Int64
}

func (c *markerCounter) onSample(b []byte) {
	ev, ok := decodeMarkerEvent(b)
	switch {
	case !ok:
		c.short.Add(1)
	case ev.path == c.path:
		c.delivered.Add(1)
	}
}

// attachMarkerProgram compiles markerProgram and attaches it to sys_enter_openat.
func attachMarkerProgram(t *testing.T) *Module {
	t.Helper()
	requireRoot(t)
	m, err := Compile(markerProgram)
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

// markerPath is a path that does not exist; opening it still calls openat.
func markerPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "gosnoop-marker-"+randomTag(t))
}

func openMarker(path string) {
	if f, err := os.Open(path); err == nil {
		f.Close()
	}
}

func TestPerfDeliversSingleEventWithoutFullBatch(t *testing.T) {
	m := attachMarkerProgram(t)
	marker := markerPath(t)

	var got []markerEvent // only touched on this goroutine: Poll runs the callback here
	r, err := m.OpenPerf("marker_events", PerfOptions{Pages: 8, Wakeup: 64}, func(b []byte) {
		ev, ok := decodeMarkerEvent(b)
		if !ok {
			t.Errorf("perf sample of %d bytes, want at least %d", len(b), markerEventSize)
		} else if ev.path == marker {
			got = append(got, ev)
		}
	})
	if err != nil {
		t.Fatalf("opening perf reader: %v", err)
	}
	defer r.Close()

	runtime.LockOSThread()
	tid := syscall.Gettid()
	openMarker(marker)
	runtime.UnlockOSThread()

	deadline := time.Now().Add(time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		r.Poll(100 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatalf("no sample for %s within 1s (Samples=%d Lost=%d): a lone event waited for a batch of 64",
			marker, r.Samples(), r.Lost())
	}
	if len(got) != 1 {
		t.Errorf("got %d samples for one open of %s", len(got), marker)
	}
	if ev := got[0]; ev.pid != uint32(os.Getpid()) || ev.tid != uint32(tid) {
		t.Errorf("sample pid/tid = %d/%d, want %d/%d", ev.pid, ev.tid, os.Getpid(), tid)
	}
}

// pollUntilQuiet polls until a whole round brings no new sample and no new
// loss, or 5s have passed.
func pollUntilQuiet(r *PerfReader) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		samples, lost := r.Samples(), r.Lost()
		r.Poll(100 * time.Millisecond)
		if r.Samples() == samples && r.Lost() == lost {
			return
		}
	}
}

// openOnEveryCPU opens path once from each online CPU, on a thread of its own
// that is thrown away afterwards (it exits while locked), so the pinning does
// not leak into the rest of the test binary.
func openOnEveryCPU(path string) error {
	cpus, err := onlineCPUs()
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		for _, cpu := range cpus {
			var mask [1024 / 64]uint64
			if cpu >= len(mask)*64 {
				errc <- fmt.Errorf("cpu %d beyond the affinity mask", cpu)
				return
			}
			mask[cpu/64] |= 1 << (cpu % 64)
			_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0,
				unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
			if e != 0 {
				errc <- fmt.Errorf("pinning to cpu %d: %w", cpu, e)
				return
			}
			openMarker(path)
		}
		errc <- nil
	}()
	return <-errc
}

func TestPerfBurstIsDeliveredOrCountedLost(t *testing.T) {
	const n = 2000
	m := attachMarkerProgram(t)
	marker := markerPath(t)

	c := &markerCounter{path: marker}
	r, err := m.OpenPerf("marker_events", PerfOptions{Pages: 1, Wakeup: 64}, c.onSample)
	if err != nil {
		t.Fatalf("opening perf reader: %v", err)
	}
	defer r.Close()

	for i := 0; i < n; i++ {
		openMarker(marker)
	}
	pollUntilQuiet(r)
	// The kernel writes a CPU's lost record only before the next sample that
	// fits in that CPU's buffer, so give every CPU one more sample: without it
	// Lost() stays 0 here however many samples were dropped.
	if err := openOnEveryCPU(marker + "-flush"); err != nil {
		t.Skipf("cannot pin to each cpu to flush perf lost records (sched_setaffinity): %v", err)
	}
	pollUntilQuiet(r)

	delivered := c.delivered.Load()
	t.Logf("%d opens: %d delivered, %d lost (%d samples in all)", n, delivered, r.Lost(), r.Samples())
	if short := c.short.Load(); short != 0 {
		t.Errorf("%d samples shorter than %d bytes", short, markerEventSize)
	}
	if r.Samples() == 0 {
		t.Errorf("Samples() = 0 after %d opens", n)
	}
	if r.Lost() == 0 {
		t.Errorf("Lost() = 0, but %d samples of 280 bytes cannot fit in one page per cpu", n)
	}
	if uint64(delivered)+r.Lost() < n {
		t.Errorf("%d opens but only %d delivered + %d counted lost: events went missing silently",
			n, delivered, r.Lost())
	}
}

func TestPerfLargeBufferLosesNothing(t *testing.T) {
	const n = 2000
	m := attachMarkerProgram(t)
	marker := markerPath(t)

	c := &markerCounter{path: marker}
	r, err := m.OpenPerf("marker_events", PerfOptions{Pages: 256, Wakeup: 64}, c.onSample)
	if err != nil {
		t.Fatalf("opening perf reader: %v", err)
	}
	defer r.Close()

	// 256 pages of one CPU hold 3744 samples of 280 bytes, more than the
	// burst, so nothing may be lost however the reader is scheduled (with 64
	// pages, 936 samples, a reader delayed 3-15 ms on this 2-CPU machine lost
	// some in a few runs of fifty). The reader drains while the burst runs,
	// as the tracer does.
	var stop atomic.Bool
	var wg sync.WaitGroup
	polling := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		close(polling)
		for !stop.Load() {
			r.Poll(100 * time.Millisecond)
		}
		pollUntilQuiet(r)
	}()
	<-polling
	for i := 0; i < n; i++ {
		openMarker(marker)
	}
	stop.Store(true)
	wg.Wait()
	if err := openOnEveryCPU(marker + "-flush"); err != nil {
		t.Skipf("cannot pin to each cpu to flush perf lost records (sched_setaffinity): %v", err)
	}
	pollUntilQuiet(r)

	delivered := c.delivered.Load()
	t.Logf("%d opens: %d delivered, %d lost", n, delivered, r.Lost())
	if short := c.short.Load(); short != 0 {
		t.Errorf("%d samples shorter than %d bytes", short, markerEventSize)
	}
	if r.Lost() != 0 {
		t.Errorf("Lost() = %d with 256 pages and a polling reader", r.Lost())
	}
	if delivered != n {
		t.Errorf("delivered %d of %d marker opens", delivered, n)
	}
}
