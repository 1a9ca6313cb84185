package bcc

import (
	"fmt"

	gobpf "github.com/iovisor/gobpf/bcc"
)

// Hash is a BPF_HASH table read from Go: what programs that count in the
// kernel, rather than send events, hand over at each interval.
type Hash struct {
	name string
	t    *gobpf.Table
}

// Hash returns the program's hash table name.
func (m *Module) Hash(name string) (*Hash, error) {
	if m.m == nil {
		return nil, errClosed
	}
	t := gobpf.NewTable(m.m.TableId(name), m.m)
	if fd, ok := t.Config()["fd"].(int); !ok || fd < 0 {
		return nil, fmt.Errorf("program has no table %q", name)
	}
	return &Hash{name: name, t: t}, nil
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

// Take calls fn with every entry and deletes the entries it saw, so the
// next Take sees only what the kernel counted since. An entry the kernel
// updates between the read and the delete loses that update, as in bcc's
// filetop, which reads and clears the same way.
func (h *Hash) Take(fn func(key, value []byte)) error {
	var keys [][]byte
	err := h.Each(func(k, v []byte) {
		fn(k, v)
		keys = append(keys, append([]byte(nil), k...))
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := h.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
