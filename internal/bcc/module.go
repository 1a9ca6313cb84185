package bcc

/*
#include <stdlib.h>
#include <bcc/libbpf.h>
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// Module is a BPF program loaded from an image: its tables created, its
// functions loaded as they are attached. libbcc's compile only makes the
// image; the kernel objects are made here, the same way whether the image
// was compiled this run or read from the compile cache.
type Module struct {
	Headers  kheaders.Source
	Warnings string // what libbcc printed while compiling successfully
	// Cache says, for -v, whether the program came from the compile
	// cache, was compiled and stored, or why the cache was not used.
	Cache string

	img      *image
	src      string // for explaining a verifier rejection
	tables   map[string]*table
	progs    map[string]int // loaded programs' fds, by function name
	attached []string
	perfFDs  []int    // attachments (tracepoints, kprobes), closed by Close
	kprobes  []string // kprobe event names, detached by Close
	closed   bool
}

type table struct {
	spec tableSpec
	fd   int
}

// Program types, from the kernel's enum bpf_prog_type.
const (
	progKprobe     = 2
	progTracepoint = 5
)

// errClosed is returned by every method called after Close.
var errClosed = errors.New("BPF module is closed")

// newModule creates img's tables; functions load when attached.
func newModule(img *image) (*Module, error) {
	m := &Module{img: img, tables: map[string]*table{}, progs: map[string]int{}}
	for _, spec := range img.Tables {
		fd, err := createMap(spec)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("creating table %s: %w%s", spec.Name, err, memlockHint(err))
		}
		m.tables[spec.Name] = &table{spec: spec, fd: fd}
	}
	return m, nil
}

func createMap(spec tableSpec) (int, error) {
	max, key, leaf := spec.MaxEntries, spec.KeySize, spec.LeafSize
	switch spec.Type {
	case mapPerfEventArray: // one slot per CPU this machine can have
		data, err := os.ReadFile("/sys/devices/system/cpu/possible")
		if err != nil {
			return -1, fmt.Errorf("reading possible cpus: %w", err)
		}
		cpus, err := parseCPUList(strings.TrimSpace(string(data)))
		if err != nil {
			return -1, err
		}
		max = cpus[len(cpus)-1] + 1
	case mapRingbuf:
		key, leaf = 0, 0
	}
	name := spec.Name
	if len(name) > 15 { // BPF_OBJ_NAME_LEN, with its NUL
		name = name[:15]
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	fd, err := C.bcc_create_map(uint32(spec.Type), cname, C.int(key), C.int(leaf), C.int(max), C.int(spec.Flags))
	if fd < 0 {
		return -1, err
	}
	return int(fd), nil
}

// AttachKprobe loads prog and attaches it at the entry of the kernel function fn.
func (m *Module) AttachKprobe(fn, prog string) error {
	return m.attachKprobe(fn, prog, false)
}

// AttachKretprobe loads prog and attaches it at the return of fn.
func (m *Module) AttachKretprobe(fn, prog string) error {
	return m.attachKprobe(fn, prog, true)
}

func (m *Module) attachKprobe(fn, prog string, ret bool) error {
	if m.closed {
		return errClosed
	}
	kind, ev, attachType := "kprobe", "p_"+strings.ReplaceAll(fn, "+", "_"), C.BPF_PROBE_ENTRY
	if ret {
		kind, ev, attachType = "kretprobe", "r_"+strings.ReplaceAll(fn, "+", "_"), C.BPF_PROBE_RETURN
	}
	fd, err := m.load(prog, progKprobe)
	if err != nil {
		return fmt.Errorf("loading %s %s: %w", kind, prog, err)
	}
	cev, cfn := C.CString(ev), C.CString(fn)
	defer C.free(unsafe.Pointer(cev))
	defer C.free(unsafe.Pointer(cfn))
	var perfFD C.int
	diag, cerr := captureStdio(func() {
		perfFD, err = C.bpf_attach_kprobe(C.int(fd), uint32(attachType), cev, cfn, 0, 0)
	})
	if cerr != nil {
		return fmt.Errorf("capturing libbcc output: %w", cerr)
	}
	if perfFD < 0 {
		return fmt.Errorf("attaching %s to %s: failed to attach BPF kprobe: %w%s", kind, fn, err, because(diag))
	}
	m.perfFDs = append(m.perfFDs, int(perfFD))
	m.kprobes = append(m.kprobes, ev)
	m.attached = append(m.attached, kind+":"+fn)
	return nil
}

// LoadKprobe loads prog as a kprobe program without attaching it; it shows
// the program passes the verifier where kprobes cannot attach.
func (m *Module) LoadKprobe(prog string) error {
	if m.closed {
		return errClosed
	}
	if _, err := m.load(prog, progKprobe); err != nil {
		return fmt.Errorf("loading kprobe program %s: %w", prog, err)
	}
	return nil
}

// load loads function prog as a program of type progType, its map
// references pointing at this module's tables, with libbcc's output
// captured: when the verifier rejects it, libbcc prints the whole verifier
// log, which becomes a VerifierError that says why in one line and keeps
// the log for -v.
func (m *Module) load(prog string, progType int) (int, error) {
	if fd, ok := m.progs[prog]; ok {
		return fd, nil
	}
	f, ok := m.img.function(prog)
	if !ok {
		return -1, fmt.Errorf("the program has no function %s", prog)
	}
	insns := append([]byte(nil), f.Insns...)
	for _, off := range f.MapRefs {
		idx := binary.LittleEndian.Uint32(insns[off+4:])
		binary.LittleEndian.PutUint32(insns[off+4:], uint32(m.tables[m.img.Tables[idx].Name].fd))
	}
	// libbcc drops a "tracepoint__" or "kprobe__" prefix and keeps what
	// fits the kernel's 15 characters.
	cname, clicense := C.CString(prog), C.CString(m.img.License)
	defer C.free(unsafe.Pointer(cname))
	defer C.free(unsafe.Pointer(clicense))
	var fd C.int
	var err error
	diag, cerr := captureStdio(func() {
		fd, err = C.bcc_prog_load(uint32(progType), cname, (*C.struct_bpf_insn)(unsafe.Pointer(&insns[0])), C.int(len(insns)),
			clicense, C.uint(m.img.KernVersion), 0, nil, 0)
	})
	if cerr != nil {
		return -1, fmt.Errorf("capturing libbcc output: %w", cerr)
	}
	if fd < 0 {
		if verr := verifierError(prog, diag, err); verr != nil {
			if detailed := explainRejection(m.src, m.Headers, prog, progType); detailed != nil {
				return -1, detailed
			}
			return -1, verr
		}
		return -1, fmt.Errorf("%w%s", err, because(diag))
	}
	m.progs[prog] = int(fd)
	return int(fd), nil
}

// AttachTracepoint loads the program TRACEPOINT_PROBE(category, event)
// defines and attaches it.
func (m *Module) AttachTracepoint(category, event string) error {
	return m.AttachTracepointProgram(category, event, "tracepoint__"+category+"__"+event)
}

// AttachTracepointProgram attaches the program prog, which takes a struct
// tracepoint__category__event *, to category:event: for a program that
// shares a tracepoint with one that TRACEPOINT_PROBE named.
func (m *Module) AttachTracepointProgram(category, event, prog string) error {
	if m.closed {
		return errClosed
	}
	fd, err := m.load(prog, progTracepoint)
	if err != nil {
		return fmt.Errorf("loading tracepoint program %s: %w", prog, err)
	}
	cat, ev := C.CString(category), C.CString(event)
	defer C.free(unsafe.Pointer(cat))
	defer C.free(unsafe.Pointer(ev))
	var perfFD C.int
	diag, cerr := captureStdio(func() { perfFD, err = C.bpf_attach_tracepoint(C.int(fd), cat, ev) })
	if cerr != nil {
		return fmt.Errorf("capturing libbcc output: %w", cerr)
	}
	if perfFD < 0 {
		return fmt.Errorf("attaching tracepoint %s:%s: %w%s", category, event, err, because(diag))
	}
	m.perfFDs = append(m.perfFDs, int(perfFD))
	m.attached = append(m.attached, "tracepoint:"+category+":"+event)
	return nil
}

// Attached lists what this module attached, as kind:target.
func (m *Module) Attached() []string { return append([]string(nil), m.attached...) }

// programTag returns the kernel's tag (a hash of the instructions it
// loaded) of a loaded function.
func (m *Module) programTag(prog string) (uint64, error) {
	fd, ok := m.progs[prog]
	if !ok {
		return 0, fmt.Errorf("%s is not loaded", prog)
	}
	var tag C.ulonglong
	if rc, err := C.bpf_prog_get_tag(C.int(fd), &tag); rc != 0 {
		return 0, fmt.Errorf("reading the tag of %s: %w", prog, err)
	}
	return uint64(tag), nil
}

// TableFD returns the file descriptor of the named BPF table.
func (m *Module) TableFD(name string) (int, error) {
	if m.closed {
		return -1, errClosed
	}
	t, ok := m.tables[name]
	if !ok {
		return -1, fmt.Errorf("program has no table %q", name)
	}
	return t.fd, nil
}

func (m *Module) table(name string) (*table, error) {
	if m.closed {
		return nil, errClosed
	}
	t, ok := m.tables[name]
	if !ok {
		return nil, fmt.Errorf("program has no table %q", name)
	}
	return t, nil
}

// ReadCounter returns the u64 value at index key of the BPF_ARRAY table name.
func (m *Module) ReadCounter(name string, key uint32) (uint64, error) {
	t, err := m.table(name)
	if err != nil {
		return 0, err
	}
	if t.spec.LeafSize < 8 {
		return 0, fmt.Errorf("reading %s[%d]: value of %d bytes, want 8", name, key, t.spec.LeafSize)
	}
	v := make([]byte, t.spec.LeafSize)
	if rc, err := C.bpf_lookup_elem(C.int(t.fd), unsafe.Pointer(&key), unsafe.Pointer(&v[0])); rc != 0 {
		return 0, fmt.Errorf("reading %s[%d]: %w", name, key, err)
	}
	return binary.LittleEndian.Uint64(v), nil
}

// WriteU32 sets name[key] of a BPF array of u32, such as a setting the
// program reads.
func (m *Module) WriteU32(name string, key, value uint32) error {
	t, err := m.table(name)
	if err != nil {
		return err
	}
	if t.spec.LeafSize != 4 {
		return fmt.Errorf("writing %s[%d]: value of %d bytes, want 4", name, key, t.spec.LeafSize)
	}
	if rc, err := C.bpf_update_elem(C.int(t.fd), unsafe.Pointer(&key), unsafe.Pointer(&value), 0); rc != 0 {
		return fmt.Errorf("writing %s[%d]: %w", name, key, err)
	}
	return nil
}

// WriteArray sets name[key] of a BPF array to value, which must be the
// array's value size: a program's settings, written before it attaches.
func (m *Module) WriteArray(name string, key uint32, value []byte) error {
	t, err := m.table(name)
	if err != nil {
		return err
	}
	if len(value) != t.spec.LeafSize || len(value) == 0 {
		return fmt.Errorf("writing %s[%d]: value of %d bytes, want %d", name, key, len(value), t.spec.LeafSize)
	}
	if rc, err := C.bpf_update_elem(C.int(t.fd), unsafe.Pointer(&key), unsafe.Pointer(&value[0]), 0); rc != 0 {
		return fmt.Errorf("writing %s[%d]: %w", name, key, err)
	}
	return nil
}

// Close detaches every probe and unloads the programs.
//
// Releasing a tracepoint's perf event waits for an RCU grace period in the
// kernel, so the events are closed concurrently and the waits overlap in
// part (the kernel still serialises some of the work under its event
// mutex): for open's six tracepoints, SIGINT to exit took a median of 267 ms
// here, against 395 ms closing them one after another (7 runs each).
func (m *Module) Close() {
	if m == nil || m.closed {
		return
	}
	m.closed = true
	var wg sync.WaitGroup
	for _, fd := range m.perfFDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			C.bpf_close_perf_event_fd(C.int(fd))
		}()
	}
	wg.Wait()
	m.perfFDs = nil
	for _, ev := range m.kprobes { // kprobe_events entries, where libbcc made them
		cev := C.CString(ev)
		captureStdio(func() { C.bpf_detach_kprobe(cev) })
		C.free(unsafe.Pointer(cev))
	}
	m.kprobes = nil
	for _, fd := range m.progs {
		syscallClose(fd)
	}
	for _, t := range m.tables {
		syscallClose(t.fd)
	}
	m.progs, m.tables = nil, nil
}

// because turns libbcc's captured lines into one clause of an error message.
func because(diag string) string {
	var lines []string
	for _, l := range strings.Split(diag, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return " (libbcc: " + strings.Join(lines, "; ") + ")"
}
