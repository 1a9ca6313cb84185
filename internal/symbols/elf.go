package symbols

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Bounds on what one ELF file may make this package hold: the files are
// anyone's, and a symbol table can claim any size.
const (
	maxSymtabBytes = 64 << 20 // about 2.8 million 64-bit symbols
	maxStrtabBytes = 128 << 20
	maxFuncSymbols = 1 << 20
	maxNameLen     = 1024
	maxLoads       = 64
)

// elfSymbols is what resolving needs of one ELF file: its loaded segments,
// to turn a file offset into an address of the ELF, and its functions.
type elfSymbols struct {
	loads []segment
	funcs []funcSym // by address
	table string    // ".symtab" or ".dynsym": which one the names came from
}

type segment struct{ off, filesz, vaddr uint64 }

type funcSym struct {
	value, size uint64
	name        string
}

// readELF reads the function symbols of the ELF file in r: .symtab, or
// .dynsym where the file is stripped. A malformed file is an error, never
// a panic, and never makes it allocate more than the bounds above.
func readELF(r io.ReaderAt) (es *elfSymbols, err error) {
	defer func() {
		if p := recover(); p != nil { // debug/elf on hostile input, just in case
			es, err = nil, fmt.Errorf("malformed ELF: %v", p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	es = &elfSymbols{}
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Filesz == 0 {
			continue
		}
		if len(es.loads) == maxLoads {
			return nil, fmt.Errorf("more than %d loaded segments", maxLoads)
		}
		es.loads = append(es.loads, segment{off: p.Off, filesz: p.Filesz, vaddr: p.Vaddr})
	}
	if len(es.loads) == 0 {
		return nil, errors.New("no loaded segments")
	}
	syms, table, err := symbolsOf(f)
	if err != nil {
		return nil, err
	}
	es.table = table
	for _, s := range syms {
		typ := elf.ST_TYPE(s.Info)
		if typ != elf.STT_FUNC && typ != sttGNUIFunc || s.Section == elf.SHN_UNDEF || s.Value == 0 {
			continue
		}
		if len(es.funcs) == maxFuncSymbols {
			return nil, fmt.Errorf("more than %d functions", maxFuncSymbols)
		}
		name := s.Name
		if len(name) > maxNameLen {
			name = name[:maxNameLen]
		}
		es.funcs = append(es.funcs, funcSym{value: s.Value, size: s.Size, name: name})
	}
	// By address; of several names for one address, the one with a size,
	// then the first listed (glibc lists __openat64 and openat64 alike).
	sort.SliceStable(es.funcs, func(i, j int) bool { return es.funcs[i].value < es.funcs[j].value })
	out := es.funcs[:0]
	for _, s := range es.funcs {
		if n := len(out); n > 0 && out[n-1].value == s.value {
			if out[n-1].size == 0 && s.size > 0 {
				out[n-1] = s
			}
			continue
		}
		out = append(out, s)
	}
	es.funcs = append([]funcSym(nil), out...)
	return es, nil
}

// symbolsOf returns .symtab's symbols, or .dynsym's without a .symtab,
// after checking the tables' sizes.
func symbolsOf(f *elf.File) ([]elf.Symbol, string, error) {
	for _, typ := range []elf.SectionType{elf.SHT_SYMTAB, elf.SHT_DYNSYM} {
		s := sectionOfType(f, typ)
		if s == nil {
			continue
		}
		if s.Size > maxSymtabBytes {
			return nil, "", fmt.Errorf("symbol table %s of %d bytes, more than %d", s.Name, s.Size, maxSymtabBytes)
		}
		if int(s.Link) <= 0 || int(s.Link) >= len(f.Sections) {
			return nil, "", fmt.Errorf("symbol table %s has no string table", s.Name)
		}
		if strs := f.Sections[s.Link]; strs.Size > maxStrtabBytes {
			return nil, "", fmt.Errorf("string table %s of %d bytes, more than %d", strs.Name, strs.Size, maxStrtabBytes)
		}
		var syms []elf.Symbol
		var err error
		if typ == elf.SHT_SYMTAB {
			syms, err = f.Symbols()
		} else {
			syms, err = f.DynamicSymbols()
		}
		if err != nil {
			return nil, "", fmt.Errorf("reading %s: %w", s.Name, err)
		}
		return syms, s.Name, nil
	}
	return nil, "", errors.New("no symbol table")
}

func sectionOfType(f *elf.File, typ elf.SectionType) *elf.Section {
	for _, s := range f.Sections {
		if s.Type == typ {
			return s
		}
	}
	return nil
}

// address turns an offset in the file into the address the ELF's symbols
// use, through the loaded segment holding it: what a mapping's file offset
// says, whatever address the file was loaded at (PIE, shared objects).
func (es *elfSymbols) address(fileOff uint64) (uint64, bool) {
	for _, l := range es.loads {
		if l.off <= fileOff && fileOff-l.off < l.filesz {
			return fileOff - l.off + l.vaddr, true
		}
	}
	return 0, false
}

// function returns the function covering ELF address a. A symbol without
// a size covers nothing: a neighbour's name would be a guess.
func (es *elfSymbols) function(a uint64) (funcSym, bool) {
	i := sort.Search(len(es.funcs), func(i int) bool { return es.funcs[i].value > a }) - 1
	if i < 0 {
		return funcSym{}, false
	}
	s := es.funcs[i]
	if a-s.value >= s.size {
		return funcSym{}, false
	}
	return s, true
}

// sttGNUIFunc is STT_GNU_IFUNC, which debug/elf names from Go 1.23.
const sttGNUIFunc = elf.SymType(10)
