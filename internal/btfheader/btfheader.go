// Package btfheader writes C declarations of kernel types from the kernel's
// own BTF (/sys/kernel/btf/vmlinux), for kernels that ship no headers. It
// asks libbpf's btf_dump for each root type: btf_dump emits what the root
// holds by value first, in order, and only forward-declares what it points
// to, so the header holds the roots and no more than they need.
package btfheader

/*
#cgo LDFLAGS: -lbpf
#include <stdlib.h>
#include "dump.h"
*/
import "C"

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"syscall"
	"unsafe"
)

// VmlinuxPath is where the kernel exposes its BTF.
const VmlinuxPath = "/sys/kernel/btf/vmlinux"

// source is this package's own code, whose hash is Version.
//
//go:embed btfheader.go uapi.go dump.c dump.h
var source embed.FS

// Version names the generator: a hash of its source, so a header cached by
// another gosnoop is never taken for this one's.
func Version() string {
	h := sha256.New()
	files, _ := fs.ReadDir(source, ".")
	for _, f := range files {
		data, _ := source.ReadFile(f.Name())
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name(), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Root is a kernel type a program needs: "struct task_struct",
// "union bpf_attr", "enum pid_type" or a typedef name.
type Root string

// Generate returns C declarations, in dependency order, of roots, of the
// optional roots the BTF has, and of every scalar typedef in the BTF at path
// (tracepoint format files name many, and libbcc copies them into the
// structs it writes). The types libbcc's own bpf.h declares are left out
// (see bccOwned). A root the BTF does not have is an error naming it.
func Generate(path string, roots, optional []Root) ([]byte, error) {
	btf, err := parse(path)
	if err != nil {
		return nil, err
	}
	defer C.btf__free(btf)

	var buf C.struct_gs_buf
	defer C.free(unsafe.Pointer(buf.p))
	d := C.gs_dump_new(btf, &buf)
	if d == nil {
		return nil, errors.New("btf_dump: libbpf could not start a dump")
	}
	defer C.btf_dump__free(d)

	ids, err := rootIDs(btf, roots, false)
	if err != nil {
		return nil, err
	}
	more, _ := rootIDs(btf, optional, true)
	ids = append(ids, more...)
	n := uint32(C.gs_type_cnt(btf))
	dump := func(id uint32) error {
		if rc := C.btf_dump__dump_type(d, C.__u32(id)); rc < 0 {
			return fmt.Errorf("btf_dump of %s: %w", describe(btf, id), syscall.Errno(-rc))
		}
		return nil
	}
	// The scalar typedefs first, as the muted types below use some.
	for id := uint32(1); id < n; id++ {
		if int(C.gs_kind(btf, C.__u32(id))) == C.GS_KIND_TYPEDEF && scalar(btf, id) {
			if err := dump(id); err != nil {
				return nil, err
			}
		}
	}
	// Then libbcc's own, muted: btf_dump counts them as emitted and never
	// writes them, even where a root holds one by value.
	buf.mute = 1
	for id := uint32(1); id < n; id++ {
		if bccOwned(btf, id) {
			if err := dump(id); err != nil {
				return nil, err
			}
		}
	}
	buf.mute = 0
	for _, id := range ids {
		if err := dump(id); err != nil {
			return nil, err
		}
	}
	if buf.failed != 0 {
		return nil, errors.New("btf_dump: out of memory")
	}
	return C.GoBytes(unsafe.Pointer(buf.p), C.int(buf.len)), nil
}

// parse reads the BTF at path; the caller frees it with btf__free.
func parse(path string) (*C.struct_btf, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr C.int
	btf := C.gs_parse(cpath, &cerr)
	if btf == nil {
		return nil, fmt.Errorf("reading BTF from %s: %w", path, syscall.Errno(cerr))
	}
	return btf, nil
}

// rootIDs looks each root up by kind and name; with skipMissing, roots the
// BTF lacks are left out rather than an error.
func rootIDs(btf *C.struct_btf, roots []Root, skipMissing bool) ([]uint32, error) {
	var ids []uint32
	for _, r := range roots {
		kind, name := uint32(C.GS_KIND_TYPEDEF), string(r)
		for prefix, k := range map[string]uint32{"struct ": C.GS_KIND_STRUCT, "union ": C.GS_KIND_UNION, "enum ": C.GS_KIND_ENUM} {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				kind, name = k, rest
			}
		}
		cname := C.CString(name)
		id := C.gs_find(btf, cname, C.int(kind))
		if id < 0 && kind == C.GS_KIND_ENUM {
			id = C.gs_find(btf, cname, C.GS_KIND_ENUM64)
		}
		C.free(unsafe.Pointer(cname))
		if id < 0 && skipMissing {
			continue
		}
		if id < 0 {
			return nil, fmt.Errorf("the kernel's BTF has no %s", r)
		}
		ids = append(ids, uint32(id))
	}
	return ids, nil
}

// scalar says whether typedef id names an integer, enum or float, through
// other typedefs and qualifiers.
func scalar(btf *C.struct_btf, id uint32) bool {
	for depth := 0; depth < 32; depth++ {
		id = uint32(C.gs_type(btf, C.__u32(id)))
		if id == 0 { // void
			return false
		}
		switch C.gs_kind(btf, C.__u32(id)) {
		case C.GS_KIND_INT, C.GS_KIND_ENUM, C.GS_KIND_ENUM64, C.GS_KIND_FLOAT:
			return true
		case C.GS_KIND_TYPEDEF, C.GS_KIND_CONST, C.GS_KIND_VOLATILE, C.GS_KIND_RESTRICT, C.GS_KIND_TYPE_TAG:
			continue
		default:
			return false
		}
	}
	return false
}

// bccOwned says whether libbcc's own copy of the BPF UAPI header (which it
// force-includes in every program) declares type id: the BPF structs and
// enums of the UAPI, which a kernel's BTF has too, possibly in another
// version. Kernel-internal bpf_ structs that libbcc does not declare are
// kept, since a root may hold one by value.
func bccOwned(btf *C.struct_btf, id uint32) bool {
	name := C.GoString(C.gs_name(btf, C.__u32(id)))
	switch C.gs_kind(btf, C.__u32(id)) {
	case C.GS_KIND_STRUCT, C.GS_KIND_UNION:
		return uapiRecords[name]
	case C.GS_KIND_ENUM, C.GS_KIND_ENUM64:
		if name != "" {
			return uapiEnums[name]
		}
		return uapiAnonEnums[C.GoString(C.gs_first_enumerator(btf, C.__u32(id)))]
	}
	return false
}

func describe(btf *C.struct_btf, id uint32) string {
	name := C.GoString(C.gs_name(btf, C.__u32(id)))
	if name == "" {
		return fmt.Sprintf("type %d", id)
	}
	return fmt.Sprintf("%s (type %d)", name, id)
}

// SortedRoots returns roots sorted and without repeats, the form a cache
// key is made from.
func SortedRoots(roots []Root) []Root {
	seen := map[Root]bool{}
	var out []Root
	for _, r := range roots {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Param is one parameter of a kernel function: its name and its C type as
// "struct dentry *", "int" or "umode_t".
type Param struct {
	Name, Type string
}

// Params returns the parameters of kernel functions fns as the BTF at path
// declares them, parsing it once: the prototypes the running kernel was
// built with, which a program probing their arguments must follow. A
// function the BTF does not have (or has without a prototype) is left out.
func Params(path string, fns ...string) (map[string][]Param, error) {
	btf, err := parse(path)
	if err != nil {
		return nil, err
	}
	defer C.btf__free(btf)
	out := map[string][]Param{}
	for _, fn := range fns {
		cname := C.CString(fn)
		id := C.gs_find(btf, cname, C.GS_KIND_FUNC)
		C.free(unsafe.Pointer(cname))
		if id < 0 {
			continue
		}
		proto := C.gs_type(btf, C.__u32(id))
		if C.gs_kind(btf, proto) != C.GS_KIND_FUNC_PROTO {
			continue
		}
		params := make([]Param, int(C.gs_vlen(btf, proto)))
		for i := range params {
			params[i] = Param{
				Name: C.GoString(C.gs_param_name(btf, proto, C.int(i))),
				Type: typeName(btf, uint32(C.gs_param_type(btf, proto, C.int(i)))),
			}
		}
		out[fn] = params
	}
	return out, nil
}

// typeName writes type id as C would spell it in a declaration, without
// qualifiers: enough to tell parameters apart.
func typeName(btf *C.struct_btf, id uint32) string {
	ptrs := 0
	spell := func(name string) string {
		if ptrs == 0 {
			return name
		}
		return name + " " + strings.Repeat("*", ptrs)
	}
	for depth := 0; depth < 32; depth++ {
		if id == 0 {
			return spell("void")
		}
		name := C.GoString(C.gs_name(btf, C.__u32(id)))
		switch C.gs_kind(btf, C.__u32(id)) {
		case C.GS_KIND_PTR:
			ptrs++
		case C.GS_KIND_CONST, C.GS_KIND_VOLATILE, C.GS_KIND_RESTRICT, C.GS_KIND_TYPE_TAG:
		case C.GS_KIND_STRUCT:
			return spell("struct " + name)
		case C.GS_KIND_UNION:
			return spell("union " + name)
		case C.GS_KIND_ENUM, C.GS_KIND_ENUM64:
			return spell("enum " + name)
		case C.GS_KIND_FUNC_PROTO:
			return spell("function")
		default:
			return spell(name)
		}
		id = uint32(C.gs_type(btf, C.__u32(id)))
	}
	return "?"
}
