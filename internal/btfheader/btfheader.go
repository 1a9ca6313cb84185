// Package btfheader writes C declarations of kernel types from the kernel's
// own BTF (/sys/kernel/btf/vmlinux), for kernels that ship no headers. It
// asks libbpf's btf_dump for each root type: btf_dump emits what the root
// holds by value first, in order, and only forward-declares what it points
// to, so the header holds the roots and no more than they need.
package btfheader

/*
#cgo LDFLAGS: -lbpf
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

// gs_buf collects btf_dump's output; while mute is set it is dropped.
struct gs_buf {
	char *p;
	size_t len, cap;
	int mute, failed;
};

static void gs_printf(void *ctx, const char *fmt, va_list args)
{
	struct gs_buf *b = ctx;
	va_list copy;
	int n;

	if (b->mute || b->failed)
		return;
	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		char *p;

		while (b->len + (size_t)n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, args);
	b->len += (size_t)n;
}

static struct btf_dump *gs_dump_new(const struct btf *btf, struct gs_buf *b)
{
	return btf_dump__new(btf, gs_printf, b, NULL);
}

static int gs_kind(const struct btf *btf, __u32 id)
{
	return btf_kind(btf__type_by_id(btf, id));
}

static __u32 gs_type(const struct btf *btf, __u32 id)
{
	return btf__type_by_id(btf, id)->type;
}

static const char *gs_name(const struct btf *btf, __u32 id)
{
	return btf__name_by_offset(btf, btf__type_by_id(btf, id)->name_off);
}

// gs_first_enumerator is the name of an enum's first value, or "".
static const char *gs_first_enumerator(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (btf_vlen(t) == 0)
		return "";
	if (btf_kind(t) == BTF_KIND_ENUM64)
		return btf__name_by_offset(btf, btf_enum64(t)->name_off);
	return btf__name_by_offset(btf, btf_enum(t)->name_off);
}
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
	"unsafe"
)

// VmlinuxPath is where the kernel exposes its BTF.
const VmlinuxPath = "/sys/kernel/btf/vmlinux"

// source is this package's own code, whose hash is Version.
//
//go:embed btfheader.go uapi.go
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
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	btf, err := C.btf__parse(cpath, nil)
	if btf == nil {
		return nil, fmt.Errorf("reading BTF from %s: %w", path, errnoOr(err))
	}
	defer C.btf__free(btf)

	var buf C.struct_gs_buf
	defer C.free(unsafe.Pointer(buf.p))
	d, err := C.gs_dump_new(btf, &buf)
	if d == nil {
		return nil, fmt.Errorf("btf_dump: %w", errnoOr(err))
	}
	defer C.btf_dump__free(d)

	ids, err := rootIDs(btf, roots, false)
	if err != nil {
		return nil, err
	}
	more, _ := rootIDs(btf, optional, true)
	ids = append(ids, more...)
	n := uint32(C.btf__type_cnt(btf))
	dump := func(id uint32) error {
		if rc := C.btf_dump__dump_type(d, C.__u32(id)); rc < 0 {
			return fmt.Errorf("btf_dump of %s: %w", describe(btf, id), errnoOr(nil))
		}
		return nil
	}
	// The scalar typedefs first, as the muted types below use some.
	for id := uint32(1); id < n; id++ {
		if int(C.gs_kind(btf, C.__u32(id))) == C.BTF_KIND_TYPEDEF && scalar(btf, id) {
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

// rootIDs looks each root up by kind and name; with skipMissing, roots the
// BTF lacks are left out rather than an error.
func rootIDs(btf *C.struct_btf, roots []Root, skipMissing bool) ([]uint32, error) {
	var ids []uint32
	for _, r := range roots {
		kind, name := uint32(C.BTF_KIND_TYPEDEF), string(r)
		for prefix, k := range map[string]uint32{"struct ": C.BTF_KIND_STRUCT, "union ": C.BTF_KIND_UNION, "enum ": C.BTF_KIND_ENUM} {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				kind, name = k, rest
			}
		}
		cname := C.CString(name)
		id := C.btf__find_by_name_kind(btf, cname, C.__u32(kind))
		if id < 0 && kind == C.BTF_KIND_ENUM {
			id = C.btf__find_by_name_kind(btf, cname, C.BTF_KIND_ENUM64)
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
		case C.BTF_KIND_INT, C.BTF_KIND_ENUM, C.BTF_KIND_ENUM64, C.BTF_KIND_FLOAT:
			return true
		case C.BTF_KIND_TYPEDEF, C.BTF_KIND_CONST, C.BTF_KIND_VOLATILE, C.BTF_KIND_RESTRICT, C.BTF_KIND_TYPE_TAG:
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
	case C.BTF_KIND_STRUCT, C.BTF_KIND_UNION:
		return uapiRecords[name]
	case C.BTF_KIND_ENUM, C.BTF_KIND_ENUM64:
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

func errnoOr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("libbpf failed")
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
