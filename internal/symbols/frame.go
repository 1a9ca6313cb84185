// Package symbols turns the addresses of stack traces into function names:
// kernel addresses through /proc/kallsyms, user addresses through the
// process's memory map and the ELF symbol tables of the files it maps.
//
// Names and paths come from files other users control: they are returned
// as data, and the caller escapes them before printing (internal/output).
package symbols

import (
	"path/filepath"
	"strconv"
)

// Frame is one resolved address of a stack.
type Frame struct {
	Addr uint64
	// Symbol is the function holding Addr, when Known.
	Symbol string
	// Offset is Addr's distance from Symbol's start when Known; otherwise
	// its offset in Module (in the mapped file, for a file).
	Offset uint64
	// Module is the kernel module (empty for the kernel proper), or the
	// path of the mapped file as the process sees it (ending in
	// " (deleted)" for a file deleted since), or a marker for what has no
	// file: "[vdso]", "[anon]" (JIT code).
	Module string
	// Known is false when no symbol covers Addr: the frame says so rather
	// than name a neighbour.
	Known bool
}

// String formats the frame the way stack printers do:
//
//	do_syscall_64+0x81
//	nf_hook_slow+0x44 [nf_tables]
//	main+0x1d [prog]
//	[unknown] (libfoo.so+0x1234)
//	0x7f1234 [unknown]
//
// It holds names from files other users control: escape it for a terminal.
func (f Frame) String() string {
	return string(f.Append(nil))
}

// Append appends String's text to b.
func (f Frame) Append(b []byte) []byte {
	mod := f.Module
	if len(mod) > 0 && mod[0] == '/' {
		mod = filepath.Base(mod)
	}
	switch {
	case f.Known:
		b = append(b, f.Symbol...)
		b = append(b, "+0x"...)
		b = strconv.AppendUint(b, f.Offset, 16)
		if mod != "" {
			b = append(b, " ["...)
			b = append(b, mod...)
			b = append(b, ']')
		}
	case mod != "":
		b = append(b, "[unknown] ("...)
		b = append(b, mod...)
		b = append(b, "+0x"...)
		b = strconv.AppendUint(b, f.Offset, 16)
		b = append(b, ')')
	default:
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, f.Addr, 16)
		b = append(b, " [unknown]"...)
	}
	return b
}
