// Package life is filelife's program: how long files created while tracing
// live before they are unlinked. Where kprobes attach, the kernel keeps each
// new file's birth time by dentry (vfs_open of a file an open created,
// vfs_create and security_inode_create) and measures the age at a
// successful vfs_unlink. Elsewhere the syscall tracepoints report creations
// (an open-family call whose file has FMODE_CREATED) and successful unlinks
// as paths, which Tracker matches in Go: see Tracker for what that can miss.
package life

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/render"
)

//go:embed life.c.tmpl
var lifeSource string

var lifeTemplate = render.Parse("life.c.tmpl", lifeSource)

// Names in the program, for attaching and reading.
const (
	EventsTable  = "life_events"
	LostTable    = "life_lost"
	OpenProgram  = "life_vfs_open"
	UnlinkEntry  = "life_vfs_unlink"
	UnlinkReturn = "life_vfs_unlink_return"
	RenameEntry  = "life_vfs_rename"
)

// CreateFunctions are the kernel functions, besides vfs_open, where a file
// is created with its dentry as an argument; each is probed where present.
var CreateFunctions = []string{"vfs_create", "security_inode_create"}

// OpenSyscalls and RemovalSyscalls (unlinks, and renames, which move a
// file or replace one) are what the tracepoint variant probes, each where
// the kernel has its tracepoints.
var (
	OpenSyscalls    = []string{"open", "openat", "openat2", "creat"}
	RemovalSyscalls = []string{"unlink", "unlinkat", "rename", "renameat", "renameat2"}
)

// KernelTypes are the kernel structs the program for o reads.
func (o Options) KernelTypes() []btfheader.Root {
	roots := []btfheader.Root{
		"struct task_struct", "struct files_struct", "struct fdtable", "struct file",
		"struct path", "struct fs_struct", "struct dentry", "struct super_block",
	}
	if o.Kprobe && o.RenameData {
		roots = append(roots, "struct renamedata")
	}
	return roots
}

// DefaultMaxBirths bounds the files the kprobe variant remembers; the least
// recently used go first.
const DefaultMaxBirths = 65536

// Probe is a kernel function and the position (1-based) of the argument
// the program reads.
type Probe struct {
	Function string
	Arg      int
}

// Options fills life.c.tmpl.
type Options struct {
	PID       uint32 // 0: every process
	Tasks     render.Tasks
	Ring      bool // BPF_RINGBUF_OUTPUT, else BPF_PERF_OUTPUT
	RingPages int
	// The kprobe variant: argument positions from the kernel's prototypes.
	Kprobe                   bool
	OpenPathArg, OpenFileArg int
	Creates                  []Probe
	UnlinkArg                int
	RenameData               bool // vfs_rename(struct renamedata *), 5.12 on
	MaxBirths                int
	// The tracepoint variant.
	Opens, Removals []string
}

// Validate checks what Render pastes into C.
func (o Options) Validate() error {
	if o.Ring && (o.RingPages < 1 || o.RingPages&(o.RingPages-1) != 0 || o.RingPages > 1<<16) {
		return fmt.Errorf("life: ring buffer of %d pages: want a power of two up to 65536", o.RingPages)
	}
	if o.Kprobe {
		for _, arg := range []int{o.OpenPathArg, o.OpenFileArg, o.UnlinkArg} {
			if arg < 1 || arg > 5 {
				return fmt.Errorf("life: argument %d out of range", arg)
			}
		}
		for _, p := range o.Creates {
			if !slices.Contains(CreateFunctions, p.Function) || p.Arg < 1 || p.Arg > 5 {
				return fmt.Errorf("life: %s argument %d is not a creation probe", p.Function, p.Arg)
			}
		}
		if o.MaxBirths < 1 || o.MaxBirths > 1<<22 {
			return fmt.Errorf("life: %d births out of range", o.MaxBirths)
		}
	}
	for _, sc := range o.Opens {
		if !slices.Contains(OpenSyscalls, sc) {
			return fmt.Errorf("life: %q is not an open syscall", sc)
		}
	}
	for _, sc := range o.Removals {
		if !slices.Contains(RemovalSyscalls, sc) {
			return fmt.Errorf("life: %q is not an unlink or rename syscall", sc)
		}
	}
	if !o.Kprobe && (len(o.Opens) == 0 || len(o.Removals) == 0) {
		return fmt.Errorf("life: nothing to attach")
	}
	return nil
}

// Render returns the C text of the program for o.
func Render(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	return render.Execute(lifeTemplate, o)
}

// Plan decides what life probes, in o: kprobes where they attach, with the
// syscall tracepoints as the fallback, or one kind only as mode asks. It
// takes argument positions from the kernel's BTF prototypes (on 6.18
// vfs_unlink's dentry is its third argument; bcc's filelife guesses the
// layout from struct renamedata and gets it wrong there).
func Plan(o *Options, mode attach.Mode, k kernel.View, logf func(string, ...any)) (attach.Plan, error) {
	plan := attach.Plan{Fallback: true}
	if err := k.RingBuffer(); err == nil {
		o.Ring, o.RingPages = true, 64
	} else {
		logf("no BPF ring buffer (%v): using perf buffers", err)
	}
	if mode.UseKprobes(k, logf) {
		kprobes, err := planKprobes(o, k, logf)
		switch {
		case err != nil && mode == attach.Kprobes:
			return plan, fmt.Errorf("--attach kprobe: %w", err)
		case err != nil:
			logf("not using kprobes: %v", err)
		default:
			plan.Kprobes = kprobes
			o.Kprobe = true
			logf("will try kprobes first: %s", describe(kprobes))
		}
	}
	if mode != attach.Kprobes {
		has := func(sc string) bool {
			return k.HasEvent("syscalls", "sys_enter_"+sc) && k.HasEvent("syscalls", "sys_exit_"+sc)
		}
		for _, set := range []struct {
			all  []string
			into *[]string
		}{{OpenSyscalls, &o.Opens}, {RemovalSyscalls, &o.Removals}} {
			for _, sc := range set.all {
				if has(sc) {
					*set.into = append(*set.into, sc)
					plan.Tracepoints = append(plan.Tracepoints,
						attach.Tracepoint{Category: "syscalls", Event: "sys_enter_" + sc},
						attach.Tracepoint{Category: "syscalls", Event: "sys_exit_" + sc})
				}
			}
		}
		if len(o.Opens) == 0 || len(o.Removals) == 0 {
			o.Opens, o.Removals, plan.Tracepoints = nil, nil, nil
			if !o.Kprobe {
				return plan, fmt.Errorf("no way to trace file creation and deletion: kprobes unavailable and no open and unlink tracepoints in %s/events/syscalls", k.TraceDir())
			}
		}
	}
	plan.WithoutKprobes = func() (string, error) {
		o.Kprobe = false
		return Render(*o)
	}
	return plan, nil
}

func planKprobes(o *Options, k kernel.View, logf func(string, ...any)) ([]attach.Kprobe, error) {
	// Each of these reads the whole of kallsyms or the BTF: once each.
	fns := append([]string{"vfs_open", "vfs_unlink", "vfs_rename"}, CreateFunctions...)
	have, err := k.HasFunctions(fns)
	if err != nil {
		return nil, err
	}
	for _, fn := range []string{"vfs_open", "vfs_unlink"} {
		if !have[fn] {
			return nil, fmt.Errorf("%s is not in /proc/kallsyms", fn)
		}
	}
	protos, perr := k.Params(fns...)
	arg := func(fn, typ string, guess int) (int, error) { return argument(protos, perr, fn, typ, guess, logf) }
	if o.OpenPathArg, err = arg("vfs_open", "struct path *", 1); err != nil {
		return nil, err
	}
	if o.OpenFileArg, err = arg("vfs_open", "struct file *", 2); err != nil {
		return nil, err
	}
	// Since 5.12 a user namespace (now an idmap) comes first.
	if o.UnlinkArg, err = arg("vfs_unlink", "struct dentry *", 3); err != nil {
		return nil, err
	}
	kprobes := []attach.Kprobe{
		// The return first, so no entry waits for a return not traced.
		{Function: "vfs_unlink", Program: UnlinkReturn, Return: true},
		{Function: "vfs_unlink", Program: UnlinkEntry},
		{Function: "vfs_open", Program: OpenProgram},
	}
	// A rename over a file ends it too; the return is vfs_unlink's.
	o.RenameData = false
	switch rename := protos["vfs_rename"]; {
	case !have["vfs_rename"]:
		logf("not probing vfs_rename (a rename over a file will not end its life): it is not in /proc/kallsyms")
	case len(rename) == 0 || rename[0].Type != "struct renamedata *":
		logf("not probing vfs_rename (a rename over a file will not end its life): no vfs_rename(struct renamedata *) in the kernel's BTF (%v)", perr)
	default:
		o.RenameData = true
		kprobes = append(kprobes,
			attach.Kprobe{Function: "vfs_rename", Program: UnlinkReturn, Return: true},
			attach.Kprobe{Function: "vfs_rename", Program: RenameEntry})
	}
	o.Creates = nil
	for _, fn := range CreateFunctions {
		if !have[fn] {
			logf("not probing %s: it is not in /proc/kallsyms", fn)
			continue
		}
		guess := 3
		if fn == "security_inode_create" {
			guess = 2
		}
		n, err := arg(fn, "struct dentry *", guess)
		if err != nil {
			return nil, err
		}
		o.Creates = append(o.Creates, Probe{Function: fn, Arg: n})
		kprobes = append(kprobes, attach.Kprobe{Function: fn, Program: "life_" + fn})
	}
	if o.MaxBirths == 0 {
		o.MaxBirths = DefaultMaxBirths
	}
	return kprobes, nil
}

// argument finds the position of fn's parameter of type typ in protos, the
// kernel's BTF prototypes; without them (perr, or fn missing) it assumes
// guess and says so.
func argument(protos map[string][]btfheader.Param, perr error, fn, typ string, guess int, logf func(string, ...any)) (int, error) {
	params, ok := protos[fn]
	if perr != nil || !ok {
		why := perr
		if why == nil {
			why = fmt.Errorf("the kernel's BTF has no function %s", fn)
		}
		logf("%v: assuming %s is argument %d of %s", why, typ, guess, fn)
		return guess, nil
	}
	for i, p := range params {
		if p.Type == typ {
			if i >= 5 {
				break
			}
			return i + 1, nil
		}
	}
	var have []string
	for _, p := range params {
		have = append(have, p.Type+" "+p.Name)
	}
	return 0, fmt.Errorf("%s(%s) has no %s argument among its first five", fn, strings.Join(have, ", "), typ)
}

func describe(kprobes []attach.Kprobe) string {
	var s []string
	for _, k := range kprobes {
		name := k.Function
		if k.Return {
			name += " (return)"
		}
		s = append(s, name)
	}
	return strings.Join(s, ", ")
}

// Kind says what an event reports.
type Kind uint8

const (
	Death  Kind = 1 // kprobes: a file born while tracing was unlinked; Age set
	Birth  Kind = 2 // tracepoints: an open created the file Path names
	Unlink Kind = 3 // tracepoints: unlink of Pathname, from directory Path, succeeded
	// RenameFrom and RenameTo: a rename of Pathname succeeded; the second
	// event follows the first and names the new path.
	RenameFrom Kind = 4
	RenameTo   Kind = 5
)

// RenameExchange is renameat2's flag for swapping two files.
const RenameExchange = 2

// HeaderSize and EventSize are the sizes life.c.tmpl states and asserts:
// a header, then at most a pathname and a dentry walk.
const (
	HeaderSize   = 48
	PathnameLen  = 4096
	PathLen      = 4096
	NameMax      = 256
	EventSize    = HeaderSize + PathnameLen + PathLen + NameMax
	MaxDepth     = 32
	FmodeCreated = 0x100000
)

// Event mirrors struct life_event: the header decoded, the strings as
// slices of the sample (valid as long as it is).
type Event struct {
	Ts, AgeNs uint64
	PID, Dev  uint32
	Kind      Kind
	Depth     uint8
	Cut       bool // the walk stopped before the filesystem's root
	Flags     uint8
	Comm      [16]byte
	Pathname  []byte // Unlink: the pathname the process gave, without its NUL
	walk      []byte
}

// DecodeEvent reads a raw sample into ev.
func DecodeEvent(b []byte, ev *Event) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("life event: %d bytes, want at least %d", len(b), HeaderSize)
	}
	le := binary.LittleEndian
	ev.Ts, ev.AgeNs = le.Uint64(b), le.Uint64(b[8:])
	ev.PID, ev.Dev = le.Uint32(b[16:]), le.Uint32(b[20:])
	nameLen, pathLen := int(le.Uint16(b[24:])), int(le.Uint16(b[26:]))
	ev.Kind, ev.Depth, ev.Cut, ev.Flags = Kind(b[28]), b[29], b[30] != 0, b[31]
	copy(ev.Comm[:], b[32:48])
	data := b[HeaderSize:]
	if nameLen > len(data) || pathLen > len(data)-nameLen {
		return fmt.Errorf("life event: %d + %d bytes of strings in %d", nameLen, pathLen, len(data))
	}
	if ev.Kind < Death || ev.Kind > RenameTo {
		return fmt.Errorf("life event: unknown kind %d", ev.Kind)
	}
	ev.Pathname = data[:nameLen]
	if i := slices.Index(ev.Pathname, 0); i >= 0 {
		ev.Pathname = ev.Pathname[:i]
	}
	ev.walk = data[nameLen : nameLen+pathLen]
	return nil
}

// FSPath is the walk as a path from the root of filesystem Dev: "/a/b".
// A cut walk starts with "…/" instead.
func (ev *Event) FSPath() string { return render.WalkPath(ev.walk, ev.Cut) }

// Name is the walk's first name: the file's own, for a death.
func (ev *Event) Name() string {
	name, _, _ := bytes.Cut(ev.walk, []byte{0})
	if len(name) == 0 {
		return "/"
	}
	return string(name)
}
