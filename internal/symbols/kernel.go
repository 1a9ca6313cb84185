package symbols

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
)

// ErrHiddenAddresses says /proc/kallsyms shows every address as zero: the
// kernel hides them from this user (kernel.kptr_restrict, or no
// CAP_SYSLOG), so kernel stacks cannot be named.
var ErrHiddenAddresses = errors.New("/proc/kallsyms shows zero addresses (kernel.kptr_restrict, or not root)")

// Kernel resolves kernel addresses with /proc/kallsyms, read on first use.
// It is safe for concurrent use.
type Kernel struct {
	path string
	once sync.Once
	tab  *kernelTable
	err  error
}

// NewKernel returns a Kernel that reads /proc/kallsyms when first asked.
func NewKernel() *Kernel { return &Kernel{path: "/proc/kallsyms"} }

// Load reads kallsyms now, if not yet done, and reports why kernel
// addresses cannot be resolved, if they cannot: a caller may call it before
// tracing to fail early, or never, and find unknown frames instead.
func (k *Kernel) Load() error {
	k.once.Do(func() {
		f, err := os.Open(k.path)
		if err != nil {
			k.err = fmt.Errorf("reading kernel symbols: %w", err)
			return
		}
		defer f.Close()
		k.tab, k.err = parseKallsyms(f)
		if k.err != nil {
			k.err = fmt.Errorf("reading kernel symbols from %s: %w", k.path, k.err)
		}
	})
	return k.err
}

// Resolve names the kernel function holding addr, or returns a frame that
// is not Known when kallsyms could not be read or lists no function there.
func (k *Kernel) Resolve(addr uint64) Frame {
	if k.Load() != nil {
		return Frame{Addr: addr}
	}
	return k.tab.resolve(addr)
}

// kernelTable is kallsyms sorted by address, one entry per address, in 16
// bytes an entry plus the names: 5 MB for this machine's 122,000 symbols.
type kernelTable struct {
	syms    []ksym
	names   string   // every name, back to back: frames share it
	modules []string // module names; index 0 is the kernel proper
}

type ksym struct {
	addr    uint64
	name    uint32 // offset in names
	nameLen uint16
	module  uint16 // index in modules
}

// ksym.nameLen's high bit: the symbol is no function (data, or an end
// marker such as _etext), so addresses after it belong to no function.
const notText = 1 << 15

// maxKernelSymbols bounds the table against a kallsyms that never ends.
const maxKernelSymbols = 4 << 20

func parseKallsyms(r io.Reader) (*kernelTable, error) {
	t := &kernelTable{modules: []string{""}}
	var names []byte
	modIndex := map[string]uint16{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	nonZero := false
	for sc.Scan() {
		line := sc.Bytes()
		// "ffffffff81000080 T entry_SYSCALL_64", then "\t[module]" for modules.
		addr, typ, name, mod, ok := splitKallsymsLine(line)
		if !ok {
			return nil, fmt.Errorf("line %q is no symbol", line)
		}
		if addr != 0 {
			nonZero = true
		}
		if len(t.syms) >= maxKernelSymbols {
			return nil, fmt.Errorf("more than %d symbols", maxKernelSymbols)
		}
		if len(name) >= notText {
			name = name[:notText-1]
		}
		s := ksym{addr: addr, name: uint32(len(names)), nameLen: uint16(len(name))}
		if !isText(typ) || string(name) == "_etext" {
			s.nameLen |= notText
		}
		if len(mod) > 0 {
			i, seen := modIndex[string(mod)]
			if !seen {
				if len(t.modules) > 0xffff {
					return nil, errors.New("too many modules")
				}
				i = uint16(len(t.modules))
				modIndex[string(mod)] = i
				t.modules = append(t.modules, string(mod))
			}
			s.module = i
		}
		names = append(names, name...)
		t.syms = append(t.syms, s)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(t.syms) == 0 {
		return nil, errors.New("no symbols")
	}
	if !nonZero {
		return nil, ErrHiddenAddresses
	}
	t.sort()
	t.names = string(names)
	return t, nil
}

// sort orders the symbols by address and keeps one per address: the first
// function listed there (aliases such as _text and _stext share one).
func (t *kernelTable) sort() {
	sort.SliceStable(t.syms, func(i, j int) bool { return t.syms[i].addr < t.syms[j].addr })
	out := t.syms[:0]
	for _, s := range t.syms {
		if n := len(out); n > 0 && out[n-1].addr == s.addr {
			if out[n-1].nameLen&notText != 0 && s.nameLen&notText == 0 {
				out[n-1] = s // a function wins over data at the same place
			}
			continue
		}
		out = append(out, s)
	}
	t.syms = append([]ksym(nil), out...) // drop the duplicates' room
}

func (t *kernelTable) resolve(addr uint64) Frame {
	// The last symbol at or below addr.
	i := sort.Search(len(t.syms), func(i int) bool { return t.syms[i].addr > addr }) - 1
	// Past the last symbol, nothing says where its function ends.
	if i < 0 || i == len(t.syms)-1 || t.syms[i].nameLen&notText != 0 {
		return Frame{Addr: addr}
	}
	s := t.syms[i]
	return Frame{
		Addr:   addr,
		Symbol: t.names[s.name : s.name+uint32(s.nameLen)],
		Offset: addr - s.addr,
		Module: t.modules[s.module],
		Known:  true,
	}
}

func isText(typ byte) bool {
	switch typ {
	case 't', 'T', 'w', 'W':
		return true
	}
	return false
}

// splitKallsymsLine splits "addr type name\t[module]" without allocating.
func splitKallsymsLine(line []byte) (addr uint64, typ byte, name, mod []byte, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > 16 || len(line) < sp+4 || line[sp+2] != ' ' {
		return 0, 0, nil, nil, false
	}
	for _, c := range line[:sp] {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, 0, nil, nil, false
		}
		addr = addr<<4 | uint64(d)
	}
	typ = line[sp+1]
	name = line[sp+3:]
	if tab := bytes.IndexByte(name, '\t'); tab >= 0 {
		mod = bytes.TrimSpace(name[tab+1:])
		name = name[:tab]
		if len(mod) >= 2 && mod[0] == '[' && mod[len(mod)-1] == ']' {
			mod = mod[1 : len(mod)-1]
		}
	}
	if len(name) == 0 {
		return 0, 0, nil, nil, false
	}
	return addr, typ, name, mod, true
}
