package programs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

func defaultOpenOptions() OpenOptions {
	return OpenOptions{
		UID:         AnyUID,
		Kprobe:      "do_sys_openat2",
		Tracepoints: OpenSyscalls{Open: true, Openat: true, Openat2: true},
		Output:      OutputPerf,
	}
}

func TestRenderOpen(t *testing.T) {
	cases := map[string]func(o *OpenOptions){
		"default":     func(o *OpenOptions) {},
		"pid":         func(o *OpenOptions) { o.PID = 1234 },
		"tid":         func(o *OpenOptions) { o.TID = 4321 },
		"uid":         func(o *OpenOptions) { o.UID = 1000 },
		"uid-root":    func(o *OpenOptions) { o.UID = 0 },
		"failed":      func(o *OpenOptions) { o.FailedOnly = true },
		"kprobe-only": func(o *OpenOptions) { o.Tracepoints = OpenSyscalls{} },
		"do_sys_open": func(o *OpenOptions) { o.Kprobe = "do_sys_open"; o.Tracepoints = OpenSyscalls{} },
		"tracepoints": func(o *OpenOptions) { o.Kprobe = "" },
		"openat-only": func(o *OpenOptions) { o.Kprobe = ""; o.Tracepoints = OpenSyscalls{Openat: true} },
		"trace-pipe":  func(o *OpenOptions) { o.Output = OutputTracePipe; o.Tag = "5eed" },
		"ringbuf":     func(o *OpenOptions) { o.Output = OutputRingbuf; o.RingPages = 128; o.RingWakeup = 64 },
		"all-together": func(o *OpenOptions) {
			o.PID, o.TID, o.UID, o.FailedOnly = 1234, 4321, 1000, true
			o.Output, o.Tag = OutputTracePipe, "5eed"
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := defaultOpenOptions()
			change(&o)
			src, err := RenderOpen(o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, src)
		})
	}
}

func TestRenderOpenRejects(t *testing.T) {
	cases := map[string]func(o *OpenOptions){
		"uid below -1":     func(o *OpenOptions) { o.UID = -2 },
		"uid too large":    func(o *OpenOptions) { o.UID = 1 << 32 },
		"unknown function": func(o *OpenOptions) { o.Kprobe = "vfs_open); evil(" },
		"nothing attached": func(o *OpenOptions) { o.Kprobe = ""; o.Tracepoints = OpenSyscalls{} },
		"ring pages":       func(o *OpenOptions) { o.Output = OutputRingbuf; o.RingPages = 96; o.RingWakeup = 64 },
		"ring wakeup":      func(o *OpenOptions) { o.Output = OutputRingbuf; o.RingPages = 64 },
		"unknown output":   func(o *OpenOptions) { o.Output = "pipe" },
		"tag not hex":      func(o *OpenOptions) { o.Output = OutputTracePipe; o.Tag = `x" %s` },
		"tag empty":        func(o *OpenOptions) { o.Output = OutputTracePipe },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := defaultOpenOptions()
			change(&o)
			if src, err := RenderOpen(o); err == nil {
				t.Fatalf("rendered without error:\n%s", src)
			}
		})
	}
}

// The C side states its size and checks it with _Static_assert; the Go
// mirror must agree with that statement byte for byte.
func TestOpenEventSize(t *testing.T) {
	m := regexp.MustCompile(`#define OPEN_EVENT_SIZE (\d+)`).FindStringSubmatch(openSource)
	if m == nil {
		t.Fatal("open.c.tmpl does not define OPEN_EVENT_SIZE")
	}
	cSize, _ := strconv.Atoi(m[1])
	if cSize != OpenEventSize {
		t.Errorf("C size %d, OpenEventSize %d", cSize, OpenEventSize)
	}
	if s := int(unsafe.Sizeof(OpenEvent{})); s != cSize {
		t.Errorf("unsafe.Sizeof(OpenEvent{}) = %d, C size %d", s, cSize)
	}
	if s := binary.Size(OpenEvent{}); s != cSize {
		t.Errorf("binary.Size(OpenEvent{}) = %d, C size %d", s, cSize)
	}
	h := regexp.MustCompile(`#define OPEN_HEADER_SIZE (\d+)`).FindStringSubmatch(openSource)
	if h == nil {
		t.Fatal("open.c.tmpl does not define OPEN_HEADER_SIZE")
	}
	cHeader, _ := strconv.Atoi(h[1])
	if off := int(unsafe.Offsetof(OpenEvent{}.Path)); cHeader != OpenHeaderSize || off != cHeader {
		t.Errorf("C header %d, OpenHeaderSize %d, offset of Path %d", cHeader, OpenHeaderSize, off)
	}
}

func TestDecodeOpenEventMatchesBinaryRead(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, OpenEventSize+4) // perf pads raw samples
	for i := 0; i < 1000; i++ {
		rng.Read(buf)
		var want, got OpenEvent
		if err := binary.Read(bytes.NewReader(buf), binary.LittleEndian, &want); err != nil {
			t.Fatal(err)
		}
		if err := DecodeOpenEvent(buf, &got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("decode differs from binary.Read:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestDecodeOpenEventShort(t *testing.T) {
	var ev OpenEvent
	if err := DecodeOpenEvent(make([]byte, OpenHeaderSize-1), &ev); err == nil {
		t.Fatal("sample shorter than the header decoded without error")
	}
	// Samples end after the path's NUL; what an earlier, longer path left
	// behind must not show through.
	copy(ev.Path[:], "/a/much/longer/path/from/before")
	sample := append(make([]byte, OpenHeaderSize), "/etc\x00"...)
	sample[8] = 42
	if err := DecodeOpenEvent(sample, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.PID != 42 || ev.PathString() != "/etc" || ev.Path[10] != 0 {
		t.Errorf("pid %d path %q, rest %q", ev.PID, ev.PathString(), ev.Path[:32])
	}
}

func TestOpenEventAccessors(t *testing.T) {
	ev := OpenEvent{Ret: -2}
	copy(ev.Comm[:], "cat\x00junk")
	copy(ev.Path[:], "/etc/passwd")
	if ev.CommString() != "cat" || ev.PathString() != "/etc/passwd" {
		t.Errorf("strings: %q %q", ev.CommString(), ev.PathString())
	}
	if ev.FD() != -1 || ev.Errno() != 2 {
		t.Errorf("failed call: fd %d errno %d", ev.FD(), ev.Errno())
	}
	ev.Ret = 3
	if ev.FD() != 3 || ev.Errno() != 0 {
		t.Errorf("good call: fd %d errno %d", ev.FD(), ev.Errno())
	}
}

func TestParseOpenMessage(t *testing.T) {
	var ev OpenEvent
	ret := int32(-2)
	packed := uint64(42)<<32 | uint64(uint32(ret))
	msg := fmt.Sprintf("5eed %d Web Content\t/no such/file", packed)
	ok, err := ParseOpenMessage("5eed", msg, &ev)
	if !ok || err != nil {
		t.Fatalf("ok %v err %v", ok, err)
	}
	if ev.PID != 42 || ev.Ret != -2 || ev.CommString() != "Web Content" || ev.PathString() != "/no such/file" {
		t.Errorf("got pid %d ret %d comm %q path %q", ev.PID, ev.Ret, ev.CommString(), ev.PathString())
	}
	if ok, _ := ParseOpenMessage("5eed", "Hello, World!", &ev); ok {
		t.Error("another writer's line was taken as ours")
	}
	if ok, _ := ParseOpenMessage("5eed", "5eedf 1 cat\t/x", &ev); ok {
		t.Error("a longer tag was taken as ours")
	}
	for _, bad := range []string{"5eed 42", "5eed 42 cat /no-tab", "5eed x cat\t/a", "5eed 99999999999999999999 cat\t/a"} {
		if ok, err := ParseOpenMessage("5eed", bad, &ev); !ok || err == nil {
			t.Errorf("%q: ok %v err %v, want ours with an error", bad, ok, err)
		}
	}
	long := strings.Repeat("a", 400)
	if _, err := ParseOpenMessage("5eed", "5eed 3 "+long+"\t"+long, &ev); err != nil || len(ev.PathString()) != 255 || len(ev.CommString()) != 15 {
		t.Errorf("long fields: err %v, kept %d and %d bytes", err, len(ev.CommString()), len(ev.PathString()))
	}
}

func TestDecodeOpenEventAllocatesNothing(t *testing.T) {
	buf := make([]byte, OpenEventSize)
	var ev OpenEvent
	if n := testing.AllocsPerRun(100, func() { DecodeOpenEvent(buf, &ev) }); n != 0 {
		t.Errorf("DecodeOpenEvent allocates %.1f times per event", n)
	}
}

func BenchmarkDecodeOpenEvent(b *testing.B) {
	buf := make([]byte, OpenEventSize+4)
	rand.New(rand.NewSource(1)).Read(buf)
	var ev OpenEvent
	b.ReportAllocs()
	b.SetBytes(OpenEventSize)
	for i := 0; i < b.N; i++ {
		if err := DecodeOpenEvent(buf, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBinaryReadOpenEvent is the reflection-based peer of the decoder.
func BenchmarkBinaryReadOpenEvent(b *testing.B) {
	buf := make([]byte, OpenEventSize+4)
	rand.New(rand.NewSource(1)).Read(buf)
	var ev OpenEvent
	b.ReportAllocs()
	b.SetBytes(OpenEventSize)
	for i := 0; i < b.N; i++ {
		if err := binary.Read(bytes.NewReader(buf), binary.LittleEndian, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
