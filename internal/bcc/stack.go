package bcc

/*
#include <bcc/libbpf.h>
*/
import "C"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// mapStackTrace is BPF_MAP_TYPE_STACK_TRACE, what BPF_STACK_TRACE declares:
// int keys (the ids bpf_get_stackid returns), values of
// BPF_MAX_STACK_DEPTH (127) u64 addresses, innermost first, zero-padded.
const mapStackTrace = 7

// Stack returns the addresses of the stack trace id of the BPF_STACK_TRACE
// table, innermost first, without the zero padding. A negative id is
// bpf_get_stackid's error, explained by StackIDError.
func (m *Module) Stack(table string, id int32) ([]uint64, error) {
	t, err := m.stackTable(table)
	if err != nil {
		return nil, err
	}
	if id < 0 {
		return nil, fmt.Errorf("reading %s: no stack: %s", table, StackIDError(id))
	}
	value := make([]byte, t.spec.LeafSize)
	if rc, err := C.bpf_lookup_elem(C.int(t.fd), unsafe.Pointer(&id), unsafe.Pointer(&value[0])); rc != 0 {
		if errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("reading %s: no stack %d (deleted, or not yet stored)", table, id)
		}
		return nil, fmt.Errorf("reading %s[%d]: %w", table, id, err)
	}
	addrs := make([]uint64, 0, 16)
	for off := 0; off+8 <= len(value); off += 8 {
		a := binary.NativeEndian.Uint64(value[off:])
		if a == 0 {
			break
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func (m *Module) stackTable(name string) (*table, error) {
	t, err := m.table(name)
	if err != nil {
		return nil, err
	}
	if t.spec.Type != mapStackTrace {
		return nil, fmt.Errorf("table %s is no BPF_STACK_TRACE (map type %d)", name, t.spec.Type)
	}
	// BPF_STACK_TRACE_BUILDID holds build ids and file offsets instead.
	if t.spec.KeySize != 4 || t.spec.LeafSize <= 0 || t.spec.LeafSize%8 != 0 || t.spec.Flags&bpfFStackBuildID != 0 {
		return nil, fmt.Errorf("table %s holds no addresses (key %d bytes, value %d bytes, flags %#x)",
			name, t.spec.KeySize, t.spec.LeafSize, t.spec.Flags)
	}
	return t, nil
}

// bpfFStackBuildID is BPF_F_STACK_BUILD_ID, the flag of BPF_STACK_TRACE_BUILDID.
const bpfFStackBuildID = 1 << 5

// StackIDError explains a negative id from bpf_get_stackid in a few words.
func StackIDError(id int32) string {
	switch errno := syscall.Errno(-id); {
	case id >= 0:
		return "no error"
	case errno == syscall.EFAULT:
		return "no stack (EFAULT: no user stack, e.g. a kernel thread)"
	case errno == syscall.EEXIST:
		return "lost: another stack has its id (EEXIST: stack table collision)"
	case errno == syscall.ENOMEM:
		return "lost: stack table full (ENOMEM)"
	case errno == syscall.EINVAL:
		return "invalid flags (EINVAL)"
	case errno == syscall.ENOENT:
		return "no stack (ENOENT)"
	default:
		return fmt.Sprintf("error %d (%v)", -id, errno)
	}
}
