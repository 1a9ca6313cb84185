// Package open is opensnoop's program: the C template that traces the
// open family (kprobes on do_sys_openat2/do_sys_open, or the open, openat
// and openat2 syscall tracepoints), its options, the event it sends and the
// Go decoders for it (perf and ring buffer records, or tagged trace_pipe
// lines), the attach plan, and the printers (table, JSON).
package open

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
)

//go:embed open.c.tmpl
var openSource string

var openTemplate = render.Parse("open.c.tmpl", openSource)

// Output selects how a program hands events to user space.
type Output string

const (
	OutputAuto      Output = "auto"       // ringbuf where the kernel has it, else perf: ChooseOutput resolves it
	OutputPerf      Output = "perf"       // BPF_PERF_OUTPUT, decoded from the C struct
	OutputRingbuf   Output = "ringbuf"    // BPF_RINGBUF_OUTPUT (kernel 5.8+), decoded from the C struct
	OutputTracePipe Output = "trace-pipe" // bpf_trace_printk lines read from trace_pipe
)

// Kernel functions the open program can probe, newest first.
var KprobeFunctions = []string{"do_sys_openat2", "do_sys_open"}

// Names of the open program's BPF functions, for loading and attaching.
const (
	KprobeEntry  = "open_kprobe_entry"
	KprobeReturn = "open_kprobe_return"
	EventsTable  = "open_events"
	LostTable    = "open_lost" // BPF_ARRAY: [0] counts events perf had no room for
)

// Syscalls says which syscalls tracepoint pairs (sys_enter_X/sys_exit_X) to render.
type Syscalls struct {
	Open, Openat, Openat2 bool
}

// Names returns the syscall names that are set, in a fixed order.
func (s Syscalls) Names() []string {
	var names []string
	for _, n := range []struct {
		on   bool
		name string
	}{{s.Open, "open"}, {s.Openat, "openat"}, {s.Openat2, "openat2"}} {
		if n.on {
			names = append(names, n.name)
		}
	}
	return names
}

// Options fills open.c.tmpl. Every field renders to code or to nothing.
// The filters (PID, TID, UID, FailedOnly, Flags) are not pasted into the
// C: a program with any filter reads them from its open_config table,
// which Go writes (Config), so runs that differ only in the values share
// one compile-cache entry.
type Options struct {
	PID        uint32       // tgid to trace; 0 traces all
	TID        uint32       // thread to trace; 0 traces all
	UID        int64        // uid to trace; render.AnyUID traces all
	FailedOnly bool         // only calls that returned an error
	Flags      FlagFilter   // only calls with one of these flags (-f)
	Tasks      render.Tasks // --cgroup, --exec: render's "task_filter"

	// FullPath (-F): a relative path's event carries the dentry walk of
	// the directory it is relative to (Resolver joins them). It reads
	// kernel structs: KernelTypes.
	FullPath bool

	Kprobe      string   // function for kprobe+kretprobe, one of KprobeFunctions, or ""
	Tracepoints Syscalls // syscall tracepoints to render
	// OneProgram: each syscall is traced by its exit tracepoint alone,
	// which reads the arguments from the task's saved registers
	// (kernel.TaskPtRegs); otherwise an entry program keeps them per thread.
	OneProgram bool

	Output     Output
	RingPages  int    // ringbuf output: size of the one buffer in pages, a power of two
	RingWakeup int    // ringbuf output: events per CPU between wakeups of the reader
	Tag        string // trace-pipe output: hex marker that starts every line we print
}

// Validate checks what Render would otherwise paste into C.
func (o Options) Validate() error {
	if err := render.CheckUID(o.UID); err != nil {
		return err
	}
	if o.Kprobe != "" && !slices.Contains(KprobeFunctions, o.Kprobe) {
		return fmt.Errorf("kprobe function %q is not one of %s", o.Kprobe, strings.Join(KprobeFunctions, ", "))
	}
	if o.Kprobe == "" && len(o.Tracepoints.Names()) == 0 {
		return fmt.Errorf("nothing to attach: no kprobe function and no tracepoints")
	}
	switch o.Output {
	case OutputPerf:
	case OutputRingbuf:
		if o.RingPages < 1 || o.RingPages&(o.RingPages-1) != 0 {
			return fmt.Errorf("ring buffer pages must be a power of two, got %d", o.RingPages)
		}
		if o.RingWakeup < 1 || o.RingWakeup > 65536 {
			return fmt.Errorf("ring buffer wakeup must be from 1 to 65536, got %d", o.RingWakeup)
		}
	case OutputTracePipe:
		if err := render.CheckTag(o.Tag); err != nil {
			return err
		}
		if o.FullPath {
			return fmt.Errorf("full paths need perf or ring buffer output: trace_pipe lines carry no dentry walk")
		}
	default:
		return fmt.Errorf("unknown output %q", o.Output)
	}
	return nil
}

// TwoPrograms says whether some call is traced by an entry and an exit
// program sharing open_inflight: the kprobes always, the tracepoints
// unless OneProgram.
func (o Options) TwoPrograms() bool { return o.Kprobe != "" || !o.OneProgram }

// Filtered says whether o filters: its program then reads open_config.
func (o Options) Filtered() bool {
	return o.PID != 0 || o.TID != 0 || o.UID != render.AnyUID || o.FailedOnly || o.Flags.Set()
}

// FlagFilter says whether o's program applies -f (from open_config).
func (o Options) FlagFilter() bool { return o.Flags.Set() }

// KernelTypes are the kernel structs o's program reads: for -F, the task's
// working directory and files, and the dentries above them.
func (o Options) KernelTypes() []btfheader.Root {
	if !o.FullPath {
		return nil
	}
	return []btfheader.Root{
		"struct task_struct", "struct files_struct", "struct fdtable", "struct file",
		"struct path", "struct fs_struct", "struct dentry", "struct super_block",
	}
}

// ConfigTable is the table a filtered program reads its filters from, and
// ConfigSize the size of its one value, which Config encodes.
const (
	ConfigTable = "open_config"
	ConfigSize  = 20
)

// Config encodes o's filters as struct open_config.
func (o Options) Config() []byte {
	b := make([]byte, ConfigSize)
	le := binary.LittleEndian
	le.PutUint32(b, o.PID)
	le.PutUint32(b[4:], o.TID)
	if o.UID == render.AnyUID {
		b[12] = 1
	} else {
		le.PutUint32(b[8:], uint32(o.UID))
	}
	if o.FailedOnly {
		b[13] = 1
	}
	b[14] = o.Flags.AccModes
	le.PutUint32(b[16:], o.Flags.Any)
	return b
}

// ConfigComment says in a C comment what Go writes to open_config for o,
// for --ebpf: the values a bcc tool would have pasted into the C.
func (o Options) ConfigComment() string {
	if !o.Filtered() {
		return ""
	}
	uid := "any"
	if o.UID != render.AnyUID {
		uid = strconv.FormatInt(o.UID, 10)
	}
	tid := strconv.FormatUint(uint64(o.TID), 10)
	if o.TID == 0 {
		tid += " (any)"
	}
	pid := strconv.FormatUint(uint64(o.PID), 10)
	if o.PID == 0 {
		pid += " (any)"
	}
	failed := "every call"
	if o.FailedOnly {
		failed = "failed only"
	}
	flags := "any flags"
	if o.Flags.Set() {
		flags = "flags " + o.Flags.String()
	}
	return fmt.Sprintf("\n// open_config[0]: pid %s, tid %s, uid %s, %s, %s (written before attaching)\n", pid, tid, uid, failed, flags)
}

// Render returns the C text of the open program for o.
func Render(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	return render.Execute(openTemplate, o)
}

// EventSize is the size of struct open_event; open.c.tmpl states it too
// and the C compiler checks it there. Samples are shorter: HeaderSize
// bytes, then the path up to and including its NUL.
const (
	EventSize  = 312
	HeaderSize = 56
)

// Event mirrors struct open_event in open.c.tmpl.
type Event struct {
	TsNs          uint64
	PID           uint32
	TID           uint32
	UID           uint32
	Ret           int32 // fd, or -errno
	Flags         int32
	Mode          uint32
	PathTruncated uint8 // 1 when the path was longer than Path holds; see Truncated
	Base          Base  // -F: what follows Path in the sample
	WalkLen       uint16
	Dev           uint32 // -F: the walk's filesystem, major << 20 | minor
	Comm          [16]byte
	Path          [256]byte
}

// DecodeEvent fills ev from a raw sample without reflection or allocation.
func DecodeEvent(b []byte, ev *Event) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("open event: %d bytes, want at least %d", len(b), HeaderSize)
	}
	le := binary.LittleEndian
	ev.TsNs = le.Uint64(b[0:])
	ev.PID = le.Uint32(b[8:])
	ev.TID = le.Uint32(b[12:])
	ev.UID = le.Uint32(b[16:])
	ev.Ret = int32(le.Uint32(b[20:]))
	ev.Flags = int32(le.Uint32(b[24:]))
	ev.Mode = le.Uint32(b[28:])
	ev.PathTruncated = b[32]
	ev.Base = Base(b[33])
	ev.WalkLen = le.Uint16(b[34:])
	ev.Dev = le.Uint32(b[36:])
	copy(ev.Comm[:], b[40:HeaderSize])
	n := copy(ev.Path[:], b[HeaderSize:min(len(b), EventSize)])
	clear(ev.Path[n:])
	return nil
}

// CommString and PathString return the NUL-terminated strings.
func (ev *Event) CommString() string { return string(output.CString(ev.Comm[:])) }
func (ev *Event) PathString() string { return string(output.CString(ev.Path[:])) }

// Truncated reports whether the path was longer than the 255 bytes Path
// holds, so that PathString is only its start.
func (ev *Event) Truncated() bool { return ev.PathTruncated != 0 }

// FD returns the file descriptor, or -1 when the call failed.
func (ev *Event) FD() int32 {
	if ev.Ret < 0 {
		return -1
	}
	return ev.Ret
}

// Errno returns the error number, or 0 when the call succeeded.
func (ev *Event) Errno() int32 {
	if ev.Ret < 0 {
		return -ev.Ret
	}
	return 0
}
