// Package top is filetop's program: reads and writes per file and thread,
// counted in a BPF hash and read from Go once per interval. Where kprobes
// attach it probes vfs_read and vfs_write (entry for the struct file,
// return for the bytes); elsewhere the read and write syscall tracepoints,
// finding the struct file behind the fd through the task's file table, so
// it needs kernel structs (installed headers, or the tree gosnoop generates
// from BTF).
package top

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/render"
)

//go:embed top.c.tmpl
var topSource string

var topTemplate = render.Parse("top.c.tmpl", topSource)

// Names in the program, for attaching and reading.
const (
	CountsTable = "top_counts"
	PathsTable  = "top_paths"
	EpochTable  = "top_epoch"
	LostTable   = "top_lost"
	KprobeRead  = "top_vfs_read"
	KprobeWrite = "top_vfs_write"
	KprobeRet   = "top_vfs_return"
)

// KprobeFunctions are the kernel functions the kprobe variant probes.
var KprobeFunctions = []string{"vfs_read", "vfs_write"}

// Syscall is one syscall the tracepoint variant probes.
type Syscall struct {
	Name  string
	Write bool
}

// Syscalls are the read and write syscalls that take an fd, each probed
// where the kernel has its tracepoints.
var Syscalls = []Syscall{
	{"read", false}, {"pread64", false}, {"readv", false}, {"preadv", false}, {"preadv2", false},
	{"write", true}, {"pwrite64", true}, {"writev", true}, {"pwritev", true}, {"pwritev2", true},
}

// KernelTypes are the kernel structs the program reads.
var KernelTypes = []btfheader.Root{
	"struct task_struct", "struct files_struct", "struct fdtable", "struct file",
	"struct inode", "struct super_block", "struct dentry",
}

// DefaultMaxEntries bounds the files × threads one interval can count;
// DefaultMaxPaths the paths -F keeps (1.3 KB each).
const (
	DefaultMaxEntries = 10240
	DefaultMaxPaths   = 4096
)

// Options fills top.c.tmpl.
type Options struct {
	PID         uint32 // 0: every process
	Tasks       render.Tasks
	AllFiles    bool // count sockets and other files too, not only regular files
	Reads       bool // count reads
	Writes      bool // count writes
	Kprobe      bool // probe vfs_read/vfs_write
	Tracepoints []Syscall
	MaxEntries  int
	FullPath    bool // keep each file's path in top_paths (-F)
	MaxPaths    int  // paths kept, least recently used dropped first
}

// Validate checks what Render pastes into C.
func (o Options) Validate() error {
	if !o.Reads && !o.Writes {
		return fmt.Errorf("top: neither reads nor writes to count")
	}
	if o.MaxEntries < 1 || o.MaxEntries > 1<<20 {
		return fmt.Errorf("top: %d map entries out of range", o.MaxEntries)
	}
	if o.FullPath && (o.MaxPaths < 1 || o.MaxPaths > 1<<16) {
		return fmt.Errorf("top: %d paths out of range", o.MaxPaths)
	}
	for _, sc := range o.Tracepoints {
		if !slices.Contains(Syscalls, sc) {
			return fmt.Errorf("top: syscall %q is not one of the read and write syscalls", sc.Name)
		}
	}
	if !o.Kprobe && len(o.Tracepoints) == 0 {
		return fmt.Errorf("top: nothing to attach")
	}
	return nil
}

// Render returns the C text of the program for o.
func Render(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	return render.Execute(topTemplate, o)
}

// Plan decides what top probes, in o: kprobes on vfs_read and vfs_write
// where they attach, with the syscall tracepoints as the fallback, or only
// one kind as mode asks.
func Plan(o *Options, mode attach.Mode, k kernel.View, logf func(string, ...any)) (attach.Plan, error) {
	plan := attach.Plan{Fallback: true}
	if mode.UseKprobes(k, logf) {
		var fns []string
		for _, fn := range KprobeFunctions {
			if (fn == "vfs_read" && o.Reads) || (fn == "vfs_write" && o.Writes) {
				fns = append(fns, fn)
			}
		}
		have, err := k.HasFunctions(fns) // one read of kallsyms
		for _, fn := range fns {
			if err == nil && !have[fn] {
				err = fmt.Errorf("%s is not in /proc/kallsyms", fn)
			}
		}
		if err != nil {
			fns = nil
			logf("not using kprobes: %v", err)
			if mode == attach.Kprobes {
				return plan, fmt.Errorf("--attach kprobe: %w", err)
			}
		}
		for _, fn := range fns {
			program := KprobeRead
			if fn == "vfs_write" {
				program = KprobeWrite
			}
			// The return first, so no entry waits for a return not traced.
			plan.Kprobes = append(plan.Kprobes,
				attach.Kprobe{Function: fn, Program: KprobeRet, Return: true},
				attach.Kprobe{Function: fn, Program: program})
		}
		o.Kprobe = len(plan.Kprobes) > 0
		if o.Kprobe {
			logf("will try kprobes on %v first", fns)
		}
	}
	if mode != attach.Kprobes {
		for _, sc := range Syscalls {
			if (sc.Write && !o.Writes) || (!sc.Write && !o.Reads) {
				continue
			}
			if k.HasEvent("syscalls", "sys_enter_"+sc.Name) && k.HasEvent("syscalls", "sys_exit_"+sc.Name) {
				o.Tracepoints = append(o.Tracepoints, sc)
				plan.Tracepoints = append(plan.Tracepoints,
					attach.Tracepoint{Category: "syscalls", Event: "sys_enter_" + sc.Name},
					attach.Tracepoint{Category: "syscalls", Event: "sys_exit_" + sc.Name})
			}
		}
	}
	if !o.Kprobe && len(o.Tracepoints) == 0 {
		return plan, fmt.Errorf("no way to trace reads and writes: kprobes unavailable and no read or write tracepoints in %s/events/syscalls", k.TraceDir())
	}
	plan.WithoutKprobes = func() (string, error) {
		o.Kprobe = false
		return Render(*o)
	}
	return plan, nil
}

// KeySize and ValueSize are the sizes top.c.tmpl states and asserts.
const (
	KeySize   = 24
	ValueSize = 88
)

// Key mirrors struct top_key.
type Key struct {
	Ino   uint64
	Dev   uint32 // the kernel's encoding: major << 20 | minor
	TID   uint32
	Epoch uint32
	_     uint32
}

// Value mirrors struct top_value.
type Value struct {
	Reads, Writes, RBytes, WBytes uint64
	Comm                          [16]byte
	Name                          [32]byte
	Type                          byte
	_                             [7]byte
}

// DecodeKey and DecodeValue read the map's raw bytes.
func DecodeKey(b []byte, k *Key) error {
	if len(b) < KeySize {
		return fmt.Errorf("top key: %d bytes, want %d", len(b), KeySize)
	}
	le := binary.LittleEndian
	k.Ino, k.Dev, k.TID, k.Epoch = le.Uint64(b), le.Uint32(b[8:]), le.Uint32(b[12:]), le.Uint32(b[16:])
	return nil
}

func DecodeValue(b []byte, v *Value) error {
	if len(b) < ValueSize {
		return fmt.Errorf("top value: %d bytes, want %d", len(b), ValueSize)
	}
	le := binary.LittleEndian
	v.Reads, v.Writes, v.RBytes, v.WBytes = le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])
	copy(v.Comm[:], b[32:48])
	copy(v.Name[:], b[48:80])
	v.Type = b[80]
	return nil
}

// PathKey is the key of top_paths for a file; PathSize the size of its
// value, which DecodePath reads.
const (
	PathLen  = 1024
	PathSize = 8 + PathLen + 256
)

func PathKey(dev uint32, ino uint64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, ino)
	binary.LittleEndian.PutUint32(b[8:], dev)
	return b
}

// Path is a file's dentry walk: its names from the file up, each ended by
// a NUL, to the root of filesystem Dev, or cut short.
type Path struct {
	Dev   uint32
	Depth uint8
	Cut   bool
	Names []byte
}

// DecodePath reads a top_paths value.
func DecodePath(b []byte, p *Path) error {
	if len(b) < PathSize {
		return fmt.Errorf("top path: %d bytes, want %d", len(b), PathSize)
	}
	le := binary.LittleEndian
	n := int(le.Uint16(b[4:]))
	if n > PathLen {
		return fmt.Errorf("top path: %d bytes of names in %d", n, PathLen)
	}
	p.Dev, p.Depth, p.Cut = le.Uint32(b), b[6], b[7] != 0
	p.Names = b[8 : 8+n]
	return nil
}

// String is the path from the root of the filesystem, "…/" first when cut.
func (p *Path) String() string { return render.WalkPath(p.Names, p.Cut) }
