package bcc

/*
#include <stdlib.h>
#include <bcc/bcc_common.h>
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"syscall"
	"unsafe"

	gobpf "github.com/iovisor/gobpf/bcc"
)

// image is a compiled program without its kernel objects: the tables to
// create and each function's instructions, with the table index where
// libbcc's compile left a map fd. It is what the compile cache stores and
// what every Module is loaded from, compiled this run or not.
type image struct {
	License     string
	KernVersion uint32
	Tables      []tableSpec
	Funcs       []funcSpec
}

type tableSpec struct {
	Name                                 string
	Type                                 int
	KeySize, LeafSize, MaxEntries, Flags int
}

type funcSpec struct {
	Name  string
	Insns []byte
	// MapRefs are the byte offsets of the ld_imm64 instructions whose
	// immediate is a table index, to become that table's fd.
	MapRefs []int
}

// Map types the loader treats specially, from the kernel's enum bpf_map_type.
const (
	mapPerfEventArray = 4
	mapArrayOfMaps    = 12
	mapHashOfMaps     = 13
	mapRingbuf        = 27
)

// errNotLoadable says a program holds what gosnoop's loader cannot create
// on its own. No gosnoop program does.
var errNotLoadable = errors.New("gosnoop's loader cannot load this program without libbcc")

// extract copies what m's compile made: tables, functions and license,
// with map fds replaced by table indexes.
func extract(m *gobpf.Module) (*image, error) {
	p := modulePointer(m)
	if p == nil {
		return nil, errors.New("gobpf's module has no libbcc module pointer (gobpf version changed?)")
	}
	img := &image{License: C.GoString(C.bpf_module_license(p)), KernVersion: uint32(C.bpf_module_kern_version(p))}
	byFD := map[int32]int{}
	for i := C.size_t(0); i < C.bpf_num_tables(p); i++ {
		t := tableSpec{
			Name:       C.GoString(C.bpf_table_name(p, i)),
			Type:       int(C.bpf_table_type_id(p, i)),
			KeySize:    int(C.bpf_table_key_size_id(p, i)),
			LeafSize:   int(C.bpf_table_leaf_size_id(p, i)),
			MaxEntries: int(C.bpf_table_max_entries_id(p, i)),
			Flags:      int(C.bpf_table_flags_id(p, i)),
		}
		if t.Type == mapArrayOfMaps || t.Type == mapHashOfMaps {
			return nil, fmt.Errorf("%w: table %s holds maps", errNotLoadable, t.Name)
		}
		byFD[int32(C.bpf_table_fd_id(p, i))] = len(img.Tables)
		img.Tables = append(img.Tables, t)
	}
	for i := C.size_t(0); i < C.bpf_num_functions(p); i++ {
		name := C.GoString(C.bpf_function_name(p, i))
		start, size := C.bpf_function_start_id(p, i), C.bpf_function_size_id(p, i)
		if start == nil || size == 0 || size%8 != 0 {
			continue // declared, not compiled to code
		}
		f := funcSpec{Name: name, Insns: C.GoBytes(start, C.int(size))}
		refs, err := normalise(f.Insns, byFD)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", name, err)
		}
		f.MapRefs = refs
		img.Funcs = append(img.Funcs, f)
	}
	return img, nil
}

// modulePointer is the libbcc module inside gobpf's Module, which gobpf
// keeps unexported; gosnoop pins gobpf's version (go.mod), and the tests
// fail if the field moves.
func modulePointer(m *gobpf.Module) unsafe.Pointer {
	f := reflect.ValueOf(m).Elem().FieldByName("p")
	if !f.IsValid() || f.Kind() != reflect.UnsafePointer {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(f.UnsafeAddr()))
}

// BPF instruction fields this file reads.
const (
	insnSize    = 8
	opLdImm64   = 0x18 // BPF_LD | BPF_IMM | BPF_DW: a 64-bit immediate over two instructions
	pseudoMapFD = 1    // src_reg of an ld_imm64 whose immediate is a map fd
)

// normalise replaces the map fds in insns' ld_imm64 instructions with the
// index of their table, returning where they are. Any other pseudo source
// (map values, BTF ids, function addresses) ties the code to objects the
// loader does not make.
func normalise(insns []byte, byFD map[int32]int) ([]int, error) {
	var refs []int
	for off := 0; off+insnSize <= len(insns); off += insnSize {
		if insns[off] != opLdImm64 {
			continue
		}
		if off+2*insnSize > len(insns) {
			return nil, errors.New("ld_imm64 cut short")
		}
		switch src := insns[off+1] >> 4; src {
		case 0:
		case pseudoMapFD:
			fd := int32(binary.LittleEndian.Uint32(insns[off+4:]))
			idx, ok := byFD[fd]
			if !ok {
				return nil, fmt.Errorf("ld_imm64 at %d names fd %d, which is no table of the program", off/insnSize, fd)
			}
			binary.LittleEndian.PutUint32(insns[off+4:], uint32(idx))
			refs = append(refs, off)
		default:
			return nil, fmt.Errorf("%w: ld_imm64 with pseudo source %d", errNotLoadable, src)
		}
		off += insnSize // the second half
	}
	return refs, nil
}

// check verifies an image read back: the references point at map loads of
// existing tables, and functions have whole instructions.
func (img *image) check() error {
	if len(img.Funcs) == 0 {
		return errors.New("no functions")
	}
	names := map[string]bool{}
	for _, t := range img.Tables {
		if t.Name == "" || names[t.Name] {
			return fmt.Errorf("table name %q empty or repeated", t.Name)
		}
		names[t.Name] = true
	}
	for _, f := range img.Funcs {
		if len(f.Insns) == 0 || len(f.Insns)%insnSize != 0 {
			return fmt.Errorf("function %s: %d bytes of instructions", f.Name, len(f.Insns))
		}
		// Every map load is a listed reference, and nothing else is pseudo.
		refs := map[int]bool{}
		for _, off := range f.MapRefs {
			refs[off] = true
		}
		for off := 0; off+2*insnSize <= len(f.Insns); off += insnSize {
			if f.Insns[off] != opLdImm64 {
				continue
			}
			if src := f.Insns[off+1] >> 4; (src == pseudoMapFD) != refs[off] || src > pseudoMapFD {
				return fmt.Errorf("function %s: ld_imm64 at %d (source %d) does not match its references", f.Name, off, src)
			}
			off += insnSize
		}
		for _, off := range f.MapRefs {
			if off < 0 || off%insnSize != 0 || off+2*insnSize > len(f.Insns) || f.Insns[off] != opLdImm64 || f.Insns[off+1]>>4 != pseudoMapFD {
				return fmt.Errorf("function %s: bad map reference at %d", f.Name, off)
			}
			if idx := binary.LittleEndian.Uint32(f.Insns[off+4:]); int(idx) >= len(img.Tables) {
				return fmt.Errorf("function %s: table %d of %d", f.Name, idx, len(img.Tables))
			}
		}
	}
	return nil
}

func (img *image) function(name string) (*funcSpec, bool) {
	for i := range img.Funcs {
		if img.Funcs[i].Name == name {
			return &img.Funcs[i], true
		}
	}
	return nil, false
}

func syscallClose(fd int) { syscall.Close(fd) }
