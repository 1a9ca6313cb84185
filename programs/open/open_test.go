package open

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/golden"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/render"
)

func defaultOpenOptions() Options {
	return Options{
		UID:         render.AnyUID,
		Kprobe:      "do_sys_openat2",
		Tracepoints: Syscalls{Open: true, Openat: true, Openat2: true},
		Output:      OutputPerf,
	}
}

func TestRenderOpen(t *testing.T) {
	cases := map[string]func(o *Options){
		"default":     func(o *Options) {},
		"pid":         func(o *Options) { o.PID = 1234 },
		"tid":         func(o *Options) { o.TID = 4321 },
		"uid":         func(o *Options) { o.UID = 1000 },
		"uid-root":    func(o *Options) { o.UID = 0 },
		"failed":      func(o *Options) { o.FailedOnly = true },
		"tasks":       func(o *Options) { o.Kprobe = ""; o.Tasks = render.Tasks{Cgroup: true, Exec: true} },
		"cgroup":      func(o *Options) { o.PID = 1234; o.Tasks = render.Tasks{Cgroup: true} },
		"kprobe-only": func(o *Options) { o.Tracepoints = Syscalls{} },
		"do_sys_open": func(o *Options) { o.Kprobe = "do_sys_open"; o.Tracepoints = Syscalls{} },
		"tracepoints": func(o *Options) { o.Kprobe = "" },
		"openat-only": func(o *Options) { o.Kprobe = ""; o.Tracepoints = Syscalls{Openat: true} },
		"trace-pipe":  func(o *Options) { o.Output = OutputTracePipe; o.Tag = "5eed" },
		"ringbuf":     func(o *Options) { o.Output = OutputRingbuf; o.RingPages = 128; o.RingWakeup = 64 },
		"one-program": func(o *Options) { o.Kprobe = ""; o.OneProgram = true },
		"one-program-kprobes-first": func(o *Options) {
			o.OneProgram, o.FailedOnly, o.Output, o.RingPages, o.RingWakeup = true, true, OutputRingbuf, 64, 16
		},
		"full-path": func(o *Options) { o.FullPath = true },
		"full-path-one-program": func(o *Options) {
			o.Kprobe = ""
			o.OneProgram = true
			o.FullPath = true
			o.Output, o.RingPages, o.RingWakeup = OutputRingbuf, 64, 16
		},
		"flag-filter": func(o *Options) { o.Flags = FlagFilter{Any: 0100, AccModes: 1 << 1} },
		"flag-filter-one-program": func(o *Options) {
			o.Kprobe = ""
			o.OneProgram = true
			o.Flags = FlagFilter{AccModes: 1}
		},
		"all-together": func(o *Options) {
			o.PID, o.TID, o.UID, o.FailedOnly = 1234, 4321, 1000, true
			o.Output, o.Tag = OutputTracePipe, "5eed"
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := defaultOpenOptions()
			change(&o)
			src, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, src)
		})
	}
}

func TestRenderOpenRejects(t *testing.T) {
	cases := map[string]func(o *Options){
		"uid below -1":     func(o *Options) { o.UID = -2 },
		"uid too large":    func(o *Options) { o.UID = 1 << 32 },
		"unknown function": func(o *Options) { o.Kprobe = "vfs_open); evil(" },
		"nothing attached": func(o *Options) { o.Kprobe = ""; o.Tracepoints = Syscalls{} },
		"ring pages":       func(o *Options) { o.Output = OutputRingbuf; o.RingPages = 96; o.RingWakeup = 64 },
		"ring wakeup":      func(o *Options) { o.Output = OutputRingbuf; o.RingPages = 64 },
		"unknown output":   func(o *Options) { o.Output = "pipe" },
		"tag not hex":      func(o *Options) { o.Output = OutputTracePipe; o.Tag = `x" %s` },
		"tag empty":        func(o *Options) { o.Output = OutputTracePipe },
		"full trace-pipe":  func(o *Options) { o.Output = OutputTracePipe; o.Tag = "5eed"; o.FullPath = true },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			o := defaultOpenOptions()
			change(&o)
			if src, err := Render(o); err == nil {
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
	if cSize != EventSize {
		t.Errorf("C size %d, EventSize %d", cSize, EventSize)
	}
	if s := int(unsafe.Sizeof(Event{})); s != cSize {
		t.Errorf("unsafe.Sizeof(Event{}) = %d, C size %d", s, cSize)
	}
	if s := binary.Size(Event{}); s != cSize {
		t.Errorf("binary.Size(Event{}) = %d, C size %d", s, cSize)
	}
	h := regexp.MustCompile(`#define OPEN_HEADER_SIZE (\d+)`).FindStringSubmatch(openSource)
	if h == nil {
		t.Fatal("open.c.tmpl does not define OPEN_HEADER_SIZE")
	}
	cHeader, _ := strconv.Atoi(h[1])
	if off := int(unsafe.Offsetof(Event{}.Path)); cHeader != HeaderSize || off != cHeader {
		t.Errorf("C header %d, HeaderSize %d, offset of Path %d", cHeader, HeaderSize, off)
	}
}

// cField is one member of a C struct as the template declares it.
type cField struct {
	name         string
	offset, size int
}

// parseCStruct reads the members of struct name from C source: lines of
// "type name;" or "type name[N];", N a number or a #define. Members are laid
// out as the C compiler does, each aligned to its scalar's size.
func parseCStruct(t *testing.T, src, name string) (fields []cField, size int) {
	t.Helper()
	body := regexp.MustCompile(`(?s)struct ` + name + ` \{\n(.*?)\n\};`).FindStringSubmatch(src)
	if body == nil {
		t.Fatalf("no struct %s in the template", name)
	}
	scalars := map[string]int{"u8": 1, "s8": 1, "char": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8}
	member := regexp.MustCompile(`^(\w+) (\w+)(?:\[(\w+)\])?;$`)
	align := 1
	for _, line := range strings.Split(body[1], "\n") {
		line, _, _ = strings.Cut(line, "//")
		line = strings.TrimSpace(line)
		m := member.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("struct %s: cannot parse member %q", name, line)
		}
		scalar, ok := scalars[m[1]]
		if !ok {
			t.Fatalf("struct %s: unknown type %q", name, m[1])
		}
		n := 1
		if m[3] != "" {
			if d := regexp.MustCompile(`#define ` + m[3] + ` (\d+)`).FindStringSubmatch(src); d != nil {
				m[3] = d[1]
			}
			var err error
			if n, err = strconv.Atoi(m[3]); err != nil {
				t.Fatalf("struct %s: array length %q", name, m[3])
			}
		}
		size = (size + scalar - 1) / scalar * scalar
		fields = append(fields, cField{m[2], size, scalar * n})
		size += scalar * n
		align = max(align, scalar)
	}
	return fields, (size + align - 1) / align * align
}

// Every member of struct open_event must sit where Event has it, with
// the same size and name (ts_ns is TsNs, _pad a blank field).
func TestOpenEventLayout(t *testing.T) {
	fields, size := parseCStruct(t, openSource, "open_event")
	typ := reflect.TypeOf(Event{})
	if typ.NumField() != len(fields) || int(typ.Size()) != size {
		t.Fatalf("C struct: %d members, %d bytes; Event: %d fields, %d bytes", len(fields), size, typ.NumField(), typ.Size())
	}
	for i, c := range fields {
		g := typ.Field(i)
		goName := strings.ToLower(g.Name)
		cName := strings.ReplaceAll(c.name, "_", "")
		if g.Name == "_" {
			goName = "pad"
		}
		if goName != cName || int(g.Offset) != c.offset || int(g.Type.Size()) != c.size {
			t.Errorf("C %s at %d (%d bytes), Go %s at %d (%d bytes)", c.name, c.offset, c.size, g.Name, g.Offset, g.Type.Size())
		}
	}
}

func TestDecodeEventTruncated(t *testing.T) {
	sample := append(make([]byte, HeaderSize), "/long\x00"...)
	var ev Event
	if err := DecodeEvent(sample, &ev); err != nil || ev.Truncated() {
		t.Fatalf("err %v, truncated %v; want a whole path", err, ev.Truncated())
	}
	sample[unsafe.Offsetof(ev.PathTruncated)] = 1
	if err := DecodeEvent(sample, &ev); err != nil || !ev.Truncated() || ev.PathString() != "/long" {
		t.Errorf("err %v, truncated %v, path %q; want a truncated /long", err, ev.Truncated(), ev.PathString())
	}
}

func TestDecodeEventMatchesBinaryRead(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	buf := make([]byte, EventSize+4) // perf pads raw samples
	for i := 0; i < 1000; i++ {
		rng.Read(buf)
		var want, got Event
		if err := binary.Read(bytes.NewReader(buf), binary.LittleEndian, &want); err != nil {
			t.Fatal(err)
		}
		if err := DecodeEvent(buf, &got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("decode differs from binary.Read:\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestDecodeEventShort(t *testing.T) {
	var ev Event
	if err := DecodeEvent(make([]byte, HeaderSize-1), &ev); err == nil {
		t.Fatal("sample shorter than the header decoded without error")
	}
	// Samples end after the path's NUL; what an earlier, longer path left
	// behind must not show through.
	copy(ev.Path[:], "/a/much/longer/path/from/before")
	sample := append(make([]byte, HeaderSize), "/etc\x00"...)
	sample[8] = 42
	if err := DecodeEvent(sample, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.PID != 42 || ev.PathString() != "/etc" || ev.Path[10] != 0 {
		t.Errorf("pid %d path %q, rest %q", ev.PID, ev.PathString(), ev.Path[:32])
	}
}

func TestOpenEventAccessors(t *testing.T) {
	ev := Event{Ret: -2}
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

func TestDecodeEventAllocatesNothing(t *testing.T) {
	buf := make([]byte, EventSize)
	var ev Event
	if n := testing.AllocsPerRun(100, func() { DecodeEvent(buf, &ev) }); n != 0 {
		t.Errorf("DecodeEvent allocates %.1f times per event", n)
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	buf := make([]byte, EventSize+4)
	rand.New(rand.NewSource(1)).Read(buf)
	var ev Event
	b.ReportAllocs()
	b.SetBytes(EventSize)
	for i := 0; i < b.N; i++ {
		if err := DecodeEvent(buf, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBinaryReadEvent is the reflection-based peer of the decoder.
func BenchmarkBinaryReadEvent(b *testing.B) {
	buf := make([]byte, EventSize+4)
	rand.New(rand.NewSource(1)).Read(buf)
	var ev Event
	b.ReportAllocs()
	b.SetBytes(EventSize)
	for i := 0; i < b.N; i++ {
		if err := binary.Read(bytes.NewReader(buf), binary.LittleEndian, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

// Where the kernel lets a program read the syscall's registers at its exit,
// the tracepoints need only their exit programs; elsewhere an entry program
// keeps the arguments. The kprobes always come in pairs.
func TestPlanOneProgram(t *testing.T) {
	events := []string{"syscalls:sys_enter_openat", "syscalls:sys_exit_openat", "syscalls:sys_enter_open", "syscalls:sys_exit_open"}
	for _, c := range []struct {
		name       string
		k          kernel.Fake
		one        bool
		tracepoint []string
	}{
		{"5.15 on x86-64", kernel.Fake{Events: events, Regs: true}, true, []string{"sys_exit_open", "sys_exit_openat"}},
		{"older", kernel.Fake{Events: events}, false, []string{"sys_enter_open", "sys_exit_open", "sys_enter_openat", "sys_exit_openat"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultOpenOptions()
			o.Kprobe, o.Tracepoints = "", Syscalls{}
			if err := Plan(&o, attach.Tracepoints, c.k, func(string, ...any) {}); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tp := range AttachPlan(o).Tracepoints {
				got = append(got, tp.Event)
			}
			if o.OneProgram != c.one || strings.Join(got, " ") != strings.Join(c.tracepoint, " ") {
				t.Errorf("one program %v, tracepoints %v", o.OneProgram, got)
			}
			src, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(src, "open_inflight") == c.one {
				t.Errorf("open_inflight in the program: %v, want %v", !c.one, !c.one)
			}
		})
	}
}
