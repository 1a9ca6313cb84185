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

	gobpf "github.com/iovisor/gobpf/bcc"
)

// Hash is a BPF_HASH table read from Go: what programs that count in the
// kernel, rather than send events, hand over at each interval.
type Hash struct {
	name      string
	t         *gobpf.Table
	fd        int
	valueSize int
}

// Hash returns the program's hash table name.
func (m *Module) Hash(name string) (*Hash, error) {
	if m.m == nil {
		return nil, errClosed
	}
	t := gobpf.NewTable(m.m.TableId(name), m.m)
	cfg := t.Config()
	fd, ok := cfg["fd"].(int)
	if !ok || fd < 0 {
		return nil, fmt.Errorf("program has no table %q", name)
	}
	size, _ := cfg["leaf_size"].(uint64)
	return &Hash{name: name, t: t, fd: fd, valueSize: int(size)}, nil
}

// Each calls fn with every key and value, as bytes valid only during the
// call. The kernel may add and change entries meanwhile.
func (h *Hash) Each(fn func(key, value []byte)) error {
	it := h.t.Iter()
	for it.Next() {
		fn(it.Key(), it.Leaf())
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", h.name, err)
	}
	return nil
}

// Delete removes key.
func (h *Hash) Delete(key []byte) error {
	if err := h.t.Delete(key); err != nil {
		return fmt.Errorf("deleting from %s: %w", h.name, err)
	}
	return nil
}

// Get returns key's value, and false where the table has no such key.
func (h *Hash) Get(key []byte) ([]byte, bool, error) {
	if len(key) == 0 || h.valueSize == 0 {
		return nil, false, fmt.Errorf("reading %s: empty key or value", h.name)
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
