package bcc

/*
#include <stdint.h>
#include <stdlib.h>
#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>

void gosnoopPerfSample(void *cookie, void *data, int size);
void gosnoopPerfLost(void *cookie, uint64_t lost);

static void *gosnoop_open_perf_buffer(uintptr_t cookie, int cpu, int pages, int wakeup)
{
	struct bcc_perf_buffer_opts opts = { .pid = -1, .cpu = cpu, .wakeup_events = wakeup };
	return bpf_open_perf_buffer_opts((perf_reader_raw_cb)gosnoopPerfSample,
		(perf_reader_lost_cb)gosnoopPerfLost, (void *)cookie, pages, &opts);
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"
)

// PerfOptions tunes a perf buffer reader.
type PerfOptions struct {
	Pages  int // per-CPU buffer size in pages, a power of two
	Wakeup int // samples per wakeup; batches are flushed on every poll timeout
}

// PerfReader reads one BPF_PERF_OUTPUT table on every online CPU.
//
// Samples are handed to the callback on the polling goroutine, as a slice
// of the ring that is valid only during the call: a slow callback slows the
// reader, the kernel counts what no longer fits as lost, and nothing blocks.
type PerfReader struct {
	readers  []*C.struct_perf_reader
	handle   cgo.Handle
	onSample func([]byte)
	lost     atomic.Uint64
	samples  atomic.Uint64
}

// OpenPerf opens a reader on table, calling onSample for every sample.
func (m *Module) OpenPerf(table string, opts PerfOptions, onSample func([]byte)) (*PerfReader, error) {
	if opts.Pages <= 0 || opts.Pages&(opts.Pages-1) != 0 {
		return nil, fmt.Errorf("perf buffer pages must be a power of two, got %d", opts.Pages)
	}
	if opts.Wakeup < 1 {
		opts.Wakeup = 1
	}
	mapFD, err := m.TableFD(table)
	if err != nil {
		return nil, err
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	r := &PerfReader{onSample: onSample}
	r.handle = cgo.NewHandle(r)
	for _, cpu := range cpus {
		p, err := C.gosnoop_open_perf_buffer(C.uintptr_t(r.handle), C.int(cpu), C.int(opts.Pages), C.int(opts.Wakeup))
		if p == nil {
			r.Close()
			return nil, fmt.Errorf("opening perf buffer on cpu %d (%d pages): %w%s", cpu, opts.Pages, err, memlockHint(err))
		}
		reader := (*C.struct_perf_reader)(p)
		r.readers = append(r.readers, reader)
		key, fd := C.int(cpu), C.int(C.perf_reader_fd(reader))
		if rc, err := C.bpf_update_elem(C.int(mapFD), unsafe.Pointer(&key), unsafe.Pointer(&fd), 0); rc != 0 {
			r.Close()
			return nil, fmt.Errorf("registering perf buffer of cpu %d in %s: %w", cpu, table, err)
		}
	}
	return r, nil
}

// Poll waits up to timeout for samples, then drains every buffer, so a
// sample waiting for a batch to fill is delivered within one timeout.
func (r *PerfReader) Poll(timeout time.Duration) {
	if len(r.readers) == 0 {
		return
	}
	C.perf_reader_poll(C.int(len(r.readers)), &r.readers[0], C.int(timeout.Milliseconds()))
	C.perf_reader_consume(C.int(len(r.readers)), &r.readers[0])
}

// Lost returns how many samples the kernel dropped because a buffer was full.
func (r *PerfReader) Lost() uint64 { return r.lost.Load() }

// Samples returns how many samples were delivered.
func (r *PerfReader) Samples() uint64 { return r.samples.Load() }

// Close frees the buffers. It must not run concurrently with Poll.
func (r *PerfReader) Close() {
	for _, reader := range r.readers {
		C.perf_reader_free(unsafe.Pointer(reader))
	}
	r.readers = nil
	if r.handle != 0 {
		r.handle.Delete()
		r.handle = 0
	}
}

//export gosnoopPerfSample
func gosnoopPerfSample(cookie unsafe.Pointer, data unsafe.Pointer, size C.int) {
	r := cgo.Handle(uintptr(cookie)).Value().(*PerfReader)
	r.samples.Add(1)
	r.onSample(unsafe.Slice((*byte)(data), int(size)))
}

//export gosnoopPerfLost
func gosnoopPerfLost(cookie unsafe.Pointer, lost C.uint64_t) {
	r := cgo.Handle(uintptr(cookie)).Value().(*PerfReader)
	r.lost.Add(uint64(lost))
}

func memlockHint(err error) string {
	if err != nil && strings.Contains(err.Error(), "not permitted") {
		return " (fewer --buffer-pages, or CAP_IPC_LOCK)"
	}
	return ""
}

// onlineCPUs parses /sys/devices/system/cpu/online, e.g. "0-3,5".
func onlineCPUs() ([]int, error) {
	data, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		return nil, fmt.Errorf("reading online cpus: %w", err)
	}
	return parseCPUList(strings.TrimSpace(string(data)))
}

func parseCPUList(s string) ([]int, error) {
	var cpus []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("parsing cpu list %q: %w", s, err)
		}
		last := first
		if isRange {
			if last, err = strconv.Atoi(hi); err != nil || last < first {
				return nil, fmt.Errorf("parsing cpu list %q: bad range %q", s, part)
			}
		}
		for c := first; c <= last; c++ {
			cpus = append(cpus, c)
		}
	}
	return cpus, nil
}
