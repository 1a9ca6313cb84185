package symbols

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFrameString(t *testing.T) {
	for _, c := range []struct {
		f    Frame
		want string
	}{
		{Frame{Addr: 1, Symbol: "do_syscall_64", Offset: 0x81, Known: true}, "do_syscall_64+0x81"},
		{Frame{Symbol: "nft_do_chain", Offset: 0x10, Module: "nf_tables", Known: true}, "nft_do_chain+0x10 [nf_tables]"},
		{Frame{Symbol: "main", Offset: 0x1d, Module: "/usr/bin/prog", Known: true}, "main+0x1d [prog]"},
		{Frame{Addr: 0x7f0000001234, Offset: 0x1234, Module: "/usr/lib/libfoo.so"}, "[unknown] (libfoo.so+0x1234)"},
		{Frame{Addr: 0x7f0000001234, Offset: 0x234, Module: "[vdso]"}, "[unknown] ([vdso]+0x234)"},
		{Frame{Addr: 0x7f0000001234, Offset: 0x34, Module: "/tmp/x (deleted)"}, "[unknown] (x (deleted)+0x34)"},
		{Frame{Addr: 0x7f0000001234}, "0x7f0000001234 [unknown]"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

func TestParseMaps(t *testing.T) {
	in := `55d0c1a00000-55d0c1a02000 r--p 00000000 fd:01 1835019                    /usr/bin/cat
55d0c1a02000-55d0c1a22000 r-xp 00002000 fd:01 1835019                    /usr/bin/cat
7f0000000000-7f0000001000 r-xp 00001000 fd:01 42                         /opt/my app/lib x.so
7f0000002000-7f0000003000 r-xp 00000000 fd:01 43                         /tmp/gone (deleted)
7f0000004000-7f0000005000 rwxp 00000000 00:00 0 
7ffd1c7f0000-7ffd1c7f2000 r-xp 00000000 00:00 0                          [vdso]
7f0000006000-7f0000007000 r-xp 00000000 00:01 7                          /memfd:jit (deleted)
`
	maps, err := parseMaps(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{start: 0x55d0c1a02000, end: 0x55d0c1a22000, off: 0x2000, inode: 1835019, dev: "fd:01", path: "/usr/bin/cat", file: "/usr/bin/cat"},
		{start: 0x7f0000000000, end: 0x7f0000001000, off: 0x1000, inode: 42, dev: "fd:01", path: "/opt/my app/lib x.so", file: "/opt/my app/lib x.so"},
		{start: 0x7f0000002000, end: 0x7f0000003000, inode: 43, dev: "fd:01", path: "/tmp/gone (deleted)", file: "/tmp/gone", deleted: true},
		{start: 0x7f0000004000, end: 0x7f0000005000, dev: "00:00", marker: "[anon]"},
		{start: 0x7f0000006000, end: 0x7f0000007000, inode: 7, dev: "00:01", path: "/memfd:jit (deleted)", file: "/memfd:jit", deleted: true},
		{start: 0x7ffd1c7f0000, end: 0x7ffd1c7f2000, dev: "00:00", path: "[vdso]", file: "[vdso]", marker: "[vdso]"},
	}
	if !reflect.DeepEqual(maps, want) {
		t.Errorf("got\n%+v\nwant\n%+v", maps, want)
	}
	for _, bad := range []string{"nonsense\n", "1000-0 r-xp 0 00:00 0\n", "zz-1000 r-xp 0 00:00 0 x\n", "1000-2000 r-xp\n"} {
		if _, err := parseMaps(strings.NewReader(bad)); err == nil {
			t.Errorf("parsing %q worked", bad)
		}
	}
}

// fakeProc builds a /proc with pid's maps mapping the text segment of the
// file exe at a base other than its link address, as a PIE or a shared
// object is, and the file in pid's root; it returns the offset to add to
// an ELF address to get the address in the process.
func fakeProc(t *testing.T, pid uint32, exe string) (proc string, bias uint64) {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var text *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			text = p
			break
		}
	}
	if text == nil {
		t.Fatalf("%s has no executable segment", exe)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	proc = t.TempDir()
	root := filepath.Join(proc, fmt.Sprint(pid), "root")
	if err := os.MkdirAll(filepath.Join(root, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(root, "app", "prog")
	if err := os.WriteFile(copyPath, data, 0o755); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(copyPath, &st); err != nil {
		t.Fatal(err)
	}
	const page = 4096
	off := text.Off &^ (page - 1)
	start := uint64(0x7f1200000000) + off
	end := start + (text.Off-off+text.Filesz+page-1)&^(page-1)
	major, minor := st.Dev>>8&0xfff|st.Dev>>32&^0xfff, st.Dev&0xff|st.Dev>>12&^0xff
	maps := fmt.Sprintf("%x-%x r-xp %08x %02x:%02x %d /app/prog\n", start, end, off, major, minor, st.Ino)
	if err := os.WriteFile(filepath.Join(proc, fmt.Sprint(pid), "maps"), []byte(maps), 0o644); err != nil {
		t.Fatal(err)
	}
	// ELF address v is at file offset v - Vaddr + Off, mapped at start + that - off.
	return proc, start - off + text.Off - text.Vaddr
}

// A function of this test binary, loaded elsewhere, is still named.
func TestUserResolveLoadBias(t *testing.T) {
	exe := helperBinary(t, "exe")
	const pid = 4242
	proc, bias := fakeProc(t, pid, exe)
	u := newUser(proc, 4, 4)
	const name = "main.gosnoopMarkerInner"
	elfAddr := symbolValue(t, exe, name)
	f := u.Resolve(pid, elfAddr+bias+3)
	if !f.Known || f.Symbol != name || f.Offset != 3 || f.Module != "/app/prog" {
		t.Errorf("Resolve = %+v (%v), want %s+0x3 in /app/prog", f, u.FileError(pid, elfAddr+bias), name)
	}
	if f := u.Resolve(pid, 0x1000); f.Known || f.Module != "" {
		t.Errorf("an unmapped address gave %+v", f)
	}
	if f := u.Resolve(pid+1, 0x7f1200001000); f.Known || f.String() != "0x7f1200001000 [unknown]" {
		t.Errorf("a process without maps gave %+v", f)
	}
}

// symbolValue is name's address in exe's symbol table.
func symbolValue(t *testing.T, exe, name string) uint64 {
	t.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range syms {
		if s.Name == name {
			return s.Value
		}
	}
	t.Fatalf("%s has no symbol %s", exe, name)
	return 0
}

// Another process, through its real /proc: its functions resolve to their
// names, loaded where it was linked (exe) or anywhere (pie).
func TestUserResolveProcess(t *testing.T) {
	for _, mode := range []string{"exe", "pie"} {
		pid, funcs := startHelper(t, mode)
		u := NewUser()
		u.Note(pid)
		for name, addr := range funcs {
			f := u.Resolve(pid, addr+1)
			if !f.Known || f.Symbol != name || f.Offset != 1 || !strings.HasSuffix(f.Module, "pcprinter-"+mode) {
				t.Errorf("%s: Resolve(%s+1) = %v, %v", mode, name, f, u.FileError(pid, addr))
			}
		}
	}
}

// The caches keep at most their bounds, dropping the least recently used.
func TestUserCacheBounds(t *testing.T) {
	exe := helperBinary(t, "exe")
	proc, _ := fakeProc(t, 1, exe)
	for pid := 2; pid <= 5; pid++ {
		if err := os.Symlink(filepath.Join(proc, "1"), filepath.Join(proc, fmt.Sprint(pid))); err != nil {
			t.Fatal(err)
		}
	}
	u := newUser(proc, 2, 1)
	for pid := uint32(1); pid <= 5; pid++ {
		u.Note(pid)
	}
	if len(u.procs) != 2 || u.procs[4] == nil || u.procs[5] == nil {
		t.Errorf("after 5 processes with room for 2, kept %v", u.procs)
	}
	u.Forget(5)
	if len(u.procs) != 1 || u.procs[5] != nil {
		t.Errorf("Forget(5) left %v", u.procs)
	}
	u.Resolve(4, 0x7f1200001000)
	if len(u.files) > 1 {
		t.Errorf("%d files kept, room for 1", len(u.files))
	}
}

// A malformed ELF file is an error, never a panic or a huge allocation.
func TestReadELFMalformed(t *testing.T) {
	exe := helperBinary(t, "exe")
	good, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readELF(strings.NewReader(string(good))); err != nil {
		t.Fatalf("the test binary itself: %v", err)
	}
	rng := rand.New(rand.NewSource(1))
	var inputs [][]byte
	for _, n := range []int{0, 4, 16, 63, 64, 65, 200, 4096, len(good) / 2, len(good) - 1} {
		inputs = append(inputs, good[:n]) // truncated
	}
	for i := 0; i < 200; i++ { // a few bytes of the headers changed
		b := append([]byte(nil), good[:min(len(good), 1<<20)]...)
		for j := 0; j < 1+rng.Intn(8); j++ {
			b[rng.Intn(256)] = byte(rng.Intn(256))
		}
		inputs = append(inputs, b)
	}
	garbage := make([]byte, 8192)
	rng.Read(garbage)
	inputs = append(inputs, garbage, append([]byte("\x7fELF\x02\x01\x01"), garbage...))
	for i, in := range inputs {
		es, err := readELF(strings.NewReader(string(in)))
		if err == nil && es == nil {
			t.Errorf("input %d: no symbols and no error", i)
		}
	}
}

// A symbol table claiming more than the bound is refused before it is read.
func TestReadELFHugeSymbolTable(t *testing.T) {
	exe := helperBinary(t, "exe")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	idx := -1
	for i, s := range f.Sections {
		if s.Type == elf.SHT_SYMTAB {
			idx = i
		}
	}
	if f.Class != elf.ELFCLASS64 || idx < 0 {
		t.Skip("the test binary is no 64-bit ELF with a .symtab")
	}
	shoff := binary.LittleEndian.Uint64(b[0x28:])
	shentsize := uint64(binary.LittleEndian.Uint16(b[0x3a:]))
	binary.LittleEndian.PutUint64(b[shoff+uint64(idx)*shentsize+32:], 1<<40) // sh_size
	_, err = readELF(strings.NewReader(string(b)))
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a 1 TB symbol table: %v", err)
	}
}

func FuzzReadELF(f *testing.F) {
	if b, err := os.ReadFile(helperBinary(f, "exe")); err == nil {
		f.Add(b[:min(len(b), 64<<10)])
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > time.Second {
				t.Errorf("reading took %v", d)
			}
		}()
		es, err := readELF(strings.NewReader(string(b)))
		if err == nil {
			es.function(0x401000)
			es.address(0x1000)
		}
	})
}

// Lookups on a synthetic table: a symbol covers [value, value+size).
func TestELFFunctionLookup(t *testing.T) {
	es := &elfSymbols{
		loads: []segment{{off: 0x1000, filesz: 0x2000, vaddr: 0x401000}},
		funcs: []funcSym{{0x401000, 0x10, "a"}, {0x401020, 0, "sizeless"}, {0x401030, 0x100, "b"}},
	}
	for _, c := range []struct {
		addr uint64
		want string
	}{{0x400fff, ""}, {0x401000, "a"}, {0x40100f, "a"}, {0x401010, ""}, {0x401020, ""}, {0x401030, "b"}, {0x40112f, "b"}, {0x401130, ""}} {
		s, ok := es.function(c.addr)
		if ok != (c.want != "") || s.name != c.want {
			t.Errorf("function(%#x) = %q %v, want %q", c.addr, s.name, ok, c.want)
		}
	}
	if a, ok := es.address(0x1010); !ok || a != 0x401010 {
		t.Errorf("address(0x1010) = %#x %v", a, ok)
	}
	if _, ok := es.address(0x3000); ok {
		t.Error("an offset past the segment has an address")
	}
}

// A mapped path that is no regular file (a FIFO, here) is not opened:
// opening it would block.
func TestUserSkipsNonRegularFiles(t *testing.T) {
	proc := t.TempDir()
	root := filepath.Join(proc, "7", "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	maps := "7f0000000000-7f0000001000 r-xp 00000000 fd:01 99 /fifo\n"
	if err := os.WriteFile(filepath.Join(proc, "7", "maps"), []byte(maps), 0o644); err != nil {
		t.Fatal(err)
	}
	u := newUser(proc, 4, 4)
	if f := u.Resolve(7, 0x7f0000000010); f.Known || f.String() != "[unknown] (fifo+0x10)" {
		t.Errorf("Resolve = %v", f)
	}
	if err := u.FileError(7, 0x7f0000000010); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FileError = %v", err)
	}
}
