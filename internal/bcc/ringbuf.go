package bcc

/*
#include <stdint.h>
#include <stdlib.h>
#include <bcc/libbpf.h>

int gosnoopRingSample(void *ctx, void *data, size_t size);

static void *gosnoop_new_ringbuf(int map_fd, uintptr_t cookie)
{
	return bpf_new_ringbuf(map_fd, (ring_buffer_sample_fn)gosnoopRingSample, (void *)cookie);
}
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"sync/atomic"
	"time"
	"unsafe"
)

// RingReader reads one BPF_RINGBUF_OUTPUT table. One buffer serves all
// CPUs, in order. The kernel does not count records that found it full, so
// programs count their failed outputs in a map of their own.
//
// As with PerfReader, samples go to the callback on the polling goroutine
// as a slice valid only during the call.
type RingReader struct {
	rb       *C.struct_ring_buffer
	handle   cgo.Handle
	onSample func([]byte)
	samples  atomic.Uint64
	budget   int // records this Poll may still hand over
}

// ringPollBudget bounds the records one Poll hands over. libbpf consumes
// until it finds the ring empty: against a producer as fast as the reader,
// a poll would never return, and the caller could neither see its output
// backlogged (and stop reading, so the program counts its drops) nor a
// signal.
const ringPollBudget = 4096

// OpenRing opens a reader on table, calling onSample for every record.
func (m *Module) OpenRing(table string, onSample func([]byte)) (*RingReader, error) {
	mapFD, err := m.TableFD(table)
	if err != nil {
		return nil, err
	}
	r := &RingReader{onSample: onSample}
	r.handle = cgo.NewHandle(r)
	p, err := C.gosnoop_new_ringbuf(C.int(mapFD), C.uintptr_t(r.handle))
	if p == nil {
		r.handle.Delete()
		return nil, fmt.Errorf("opening ring buffer %s: %w", table, err)
	}
	r.rb = (*C.struct_ring_buffer)(p)
	return r, nil
}

// Poll waits up to timeout for a wakeup, then hands over every record that
// is there: programs that batch their wakeups (BPF_RB_NO_WAKEUP) leave
// records that no wakeup announced.
func (r *RingReader) Poll(timeout time.Duration) {
	if r.rb != nil {
		r.budget = ringPollBudget
		C.bpf_poll_ringbuf(r.rb, C.int(timeout.Milliseconds()))
		if r.budget > 0 {
			C.bpf_consume_ringbuf(r.rb)
		}
	}
}

// Samples returns how many records were delivered.
func (r *RingReader) Samples() uint64 { return r.samples.Load() }

// Close frees the reader. It must not run concurrently with Poll.
func (r *RingReader) Close() {
	if r.rb != nil {
		C.bpf_free_ringbuf(r.rb)
		r.rb = nil
	}
	if r.handle != 0 {
		r.handle.Delete()
		r.handle = 0
	}
}

//export gosnoopRingSample
func gosnoopRingSample(ctx unsafe.Pointer, data unsafe.Pointer, size C.size_t) C.int {
	r := cgo.Handle(uintptr(ctx)).Value().(*RingReader)
	r.samples.Add(1)
	r.onSample(unsafe.Slice((*byte)(data), int(size)))
	// A negative return stops libbpf after this record, which it has
	// consumed; the rest wait for the next Poll.
	if r.budget--; r.budget <= 0 {
		return -1
	}
	return 0
}
