package bcc

/*
#include <bcc/libbpf.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// Hash is a BPF_HASH table read from Go: what programs that count in the
// kernel, rather than send events, hand over at each interval.
type Hash struct {
	name               string
	fd                 int
	keySize, valueSize int
}

// Hash returns the program's hash table name.
func (m *Module) Hash(name string) (*Hash, error) {
	t, err := m.table(name)
	if err != nil {
		return nil, err
	}
	if t.spec.KeySize <= 0 || t.spec.LeafSize <= 0 {
		return nil, fmt.Errorf("table %s has no keys and values to read", name)
	}
	return &Hash{name: name, fd: t.fd, keySize: t.spec.KeySize, valueSize: t.spec.LeafSize}, nil
}

// Each calls fn with every key and value, as bytes valid only during the
// call. The kernel may add and change entries meanwhile; an entry deleted
// between two steps ends the walk early, as for every BPF map walk.
func (h *Hash) Each(fn func(key, value []byte)) error {
	key, next := make([]byte, h.keySize), make([]byte, h.keySize)
	value := make([]byte, h.valueSize)
	var prev unsafe.Pointer // nil: the first key
	for {
		if rc, err := C.bpf_get_next_key(C.int(h.fd), prev, unsafe.Pointer(&next[0])); rc != 0 {
			if errors.Is(err, syscall.ENOENT) {
				return nil
			}
			return fmt.Errorf("reading %s: %w", h.name, err)
		}
		copy(key, next)
		prev = unsafe.Pointer(&key[0])
		if rc, err := C.bpf_lookup_elem(C.int(h.fd), unsafe.Pointer(&key[0]), unsafe.Pointer(&value[0])); rc != 0 {
			if errors.Is(err, syscall.ENOENT) {
				continue // deleted since
			}
			return fmt.Errorf("reading %s: %w", h.name, err)
		}
		fn(key, value)
	}
}

// Delete removes key.
func (h *Hash) Delete(key []byte) error {
	if len(key) != h.keySize {
		return fmt.Errorf("deleting from %s: key of %d bytes, want %d", h.name, len(key), h.keySize)
	}
	if rc, err := C.bpf_delete_elem(C.int(h.fd), unsafe.Pointer(&key[0])); rc != 0 {
		return fmt.Errorf("deleting from %s: %w", h.name, err)
	}
	return nil
}

// Get returns key's value, and false where the table has no such key.
func (h *Hash) Get(key []byte) ([]byte, bool, error) {
	if len(key) != h.keySize {
		return nil, false, fmt.Errorf("reading %s: key of %d bytes, want %d", h.name, len(key), h.keySize)
	}
	value := make([]byte, h.valueSize)
	r, err := C.bpf_lookup_elem(C.int(h.fd), unsafe.Pointer(&key[0]), unsafe.Pointer(&value[0]))
	switch {
	case r == 0:
		return value, true, nil
	case errors.Is(err, syscall.ENOENT):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("reading %s: %w", h.name, err)
	}
}
