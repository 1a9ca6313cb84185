package bcc

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// countProgram counts getppid calls of the process in target.
const countProgram = `
BPF_ARRAY(target, u32, 1);
BPF_HASH(calls, u32, u64, 16);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	u32 *want = target.lookup(&zero);
	if (!want || *want != tgid)
		return 0;
	calls.atomic_increment(tgid);
	return 0;
}
`

// privateCache points the compile cache at a new directory of its own under
// the real per-user cache (a test directory under /tmp is refused, as its
// parent is writable by all).
func privateCache(t *testing.T) string {
	t.Helper()
	requireRoot(t)
	base := kheaders.CacheDir()
	if base == "" {
		t.Skip("no per-user cache dir")
	}
	if err := os.MkdirAll(base, 0o700); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(base, "test-cache-")
	if err != nil {
		t.Fatal(err)
	}
	forgetHeaders := func() { // Headers keeps trees per process; these go with dir
		pickedHeaders.Lock()
		pickedHeaders.picked = nil
		pickedHeaders.Unlock()
	}
	forgetHeaders()
	t.Cleanup(func() { forgetHeaders(); os.RemoveAll(dir) })
	t.Setenv("XDG_CACHE_HOME", dir)
	return filepath.Join(dir, "gosnoop", "programs")
}

// runCount compiles countProgram, counts three getppid calls and returns
// the count, the kernel's tag of the program and the cache note.
func runCount(t *testing.T, src string) (calls uint64, tag uint64, note string) {
	t.Helper()
	m, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.WriteU32("target", 0, uint32(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	if err := m.AttachTracepoint("syscalls", "sys_enter_getppid"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		syscall.Getppid()
	}
	h, err := m.Hash("calls")
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := h.Get(binary.NativeEndian.AppendUint32(nil, uint32(os.Getpid())))
	if err != nil || len(v) != 8 {
		t.Fatalf("reading the count: %v", err)
	}
	if tag, err = m.programTag("tracepoint__syscalls__sys_enter_getppid"); err != nil {
		t.Fatal(err)
	}
	return binary.NativeEndian.Uint64(v), tag, m.Cache
}

// A hit loads the very program a compile loads: same kernel tag, same
// counts; and so does a compile with the cache off.
func TestCacheHitLoadsWhatTheCompileLoaded(t *testing.T) {
	privateCache(t)
	n1, tag1, note1 := runCount(t, countProgram)
	n2, tag2, note2 := runCount(t, countProgram)
	cacheOff.Store(true)
	n3, tag3, note3 := runCount(t, countProgram)
	cacheOff.Store(false)
	if !strings.Contains(note1, "compiled and stored") || !strings.Contains(note2, "loaded from the compile cache") || !strings.Contains(note3, "off") {
		t.Errorf("notes: %q, %q, %q", note1, note2, note3)
	}
	if n1 != 3 || n2 != 3 || n3 != 3 {
		t.Errorf("counts %d, %d, %d; want 3 each", n1, n2, n3)
	}
	if tag1 != tag2 || tag1 != tag3 {
		t.Errorf("kernel tags %x (compiled), %x (cached), %x (cache off) differ", tag1, tag2, tag3)
	}
}

// What changes the instructions changes the key, and what libbcc read
// besides is checked on every hit.
func TestCacheMisses(t *testing.T) {
	dir := privateCache(t)
	runCount(t, countProgram)
	if _, _, note := runCount(t, countProgram+"\n// another program\n"); !strings.Contains(note, "not in the compile cache") {
		t.Errorf("a changed source: %q", note)
	}
	// A format file that changed since: the stored hash no longer matches.
	entries, _ := filepath.Glob(filepath.Join(dir, "[0-9a-f]*"))
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2", len(entries))
	}
	for _, e := range entries {
		rewriteEntry(t, e, func(body string) string {
			return strings.Replace(body, `"Sum":"`, `"Sum":"0`, 1)
		})
	}
	if _, _, note := runCount(t, countProgram); !strings.Contains(note, "changed since the program was compiled") {
		t.Errorf("a changed format file: %q", note)
	}
	if _, _, note := runCount(t, countProgram); !strings.Contains(note, "loaded from the compile cache") {
		t.Errorf("the entry was not replaced: %q", note)
	}
	a, err := cacheKey(countProgram, kheaders.Source{Kind: kheaders.Minimal, Dir: "/x/minimal-headers-1"})
	if err != nil {
		t.Fatal(err)
	}
	for name, headers := range map[string]kheaders.Source{
		"another tree":      {Kind: kheaders.Minimal, Dir: "/x/minimal-headers-2"},
		"another tree kind": {Kind: kheaders.BTF, Dir: "/x/minimal-headers-1"},
	} {
		if b, _ := cacheKey(countProgram, headers); b == a {
			t.Errorf("%s: same key", name)
		}
	}
	t.Setenv("BCC_PROBE_LIMIT", "9")
	if b, _ := cacheKey(countProgram, kheaders.Source{Kind: kheaders.Minimal, Dir: "/x/minimal-headers-1"}); b == a {
		t.Error("a BCC_ variable: same key")
	}
	libs, err := compilerLibraries()
	if err != nil || !strings.Contains(libs, "libbcc") {
		t.Errorf("compiler libraries %q, %v", libs, err)
	}
}

// rewriteEntry edits an entry's JSON and fixes its hash, as an attacker
// with our uid could, or a changed kernel would look.
func rewriteEntry(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(data), "\n", 3)
	body := edit(parts[2])
	if err := os.WriteFile(path, []byte(parts[0]+"\n"+sha256Hex(body)+"\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// An entry that is not exactly what gosnoop wrote, or that another user
// could have written, is never loaded: the program is compiled and the
// entry replaced.
func TestCacheRefusesBadEntries(t *testing.T) {
	dir := privateCache(t)
	runCount(t, countProgram)
	entries, _ := filepath.Glob(filepath.Join(dir, "[0-9a-f]*"))
	if len(entries) != 1 {
		t.Fatalf("%d entries", len(entries))
	}
	entry := entries[0]
	good, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, refusal string
		spoil         func()
	}{
		{"truncated", "not a cache entry", func() { os.WriteFile(entry, good[:40], 0o600) }},
		{"a byte changed", "damaged", func() {
			bad := append([]byte(nil), good...)
			bad[len(bad)-10] ^= 1
			os.WriteFile(entry, bad, 0o600)
		}},
		{"another user's", "owned by uid 65534", func() { os.WriteFile(entry, good, 0o600); os.Chown(entry, 65534, 65534) }},
		{"open to others", "open to other users", func() { os.WriteFile(entry, good, 0o600); os.Chmod(entry, 0o644) }},
		{"a symlink", "", func() {
			other := filepath.Join(dir, "elsewhere")
			os.WriteFile(other, good, 0o600)
			os.Remove(entry)
			os.Symlink(other, entry)
		}},
		{"a map load not listed", "does not match its references", func() {
			os.WriteFile(entry, good, 0o600)
			rewriteEntry(t, entry, func(body string) string { return strings.Replace(body, `"MapRefs":[`, `"MapRefs":[],"X":[`, 1) })
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.spoil()
			n, _, note := runCount(t, countProgram)
			if n != 3 || !strings.Contains(note, "compile cache entry refused") || !strings.Contains(note, c.refusal) || !strings.Contains(note, "compiled and stored") {
				t.Errorf("count %d, note %q; want a refusal naming %q", n, note, c.refusal)
			}
			st, err := os.Lstat(entry)
			if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 || int(st.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
				t.Errorf("the entry was not replaced by one of ours: %v %v", st.Mode(), err)
			}
			if _, _, note := runCount(t, countProgram); !strings.Contains(note, "loaded from the compile cache") {
				t.Errorf("the replaced entry does not hit: %q", note)
			}
		})
	}
}

// The image check refuses instructions that load anything but a listed
// table; normalise takes fds out and check accepts its result.
func TestImageCheck(t *testing.T) {
	ld := func(src byte, imm uint32) []byte {
		b := make([]byte, 16)
		b[0], b[1] = opLdImm64, src<<4|1 // dst r1
		binary.LittleEndian.PutUint32(b[4:], imm)
		return b
	}
	exit := []byte{0x95, 0, 0, 0, 0, 0, 0, 0}
	insns := append(append(append(ld(pseudoMapFD, 42), ld(0, 7)...), ld(pseudoMapFD, 43)...), exit...)
	refs, err := normalise(insns, map[int32]int{42: 0, 43: 1})
	if err != nil || len(refs) != 2 || refs[0] != 0 || refs[1] != 32 {
		t.Fatalf("refs %v, %v", refs, err)
	}
	if binary.LittleEndian.Uint32(insns[4:]) != 0 || binary.LittleEndian.Uint32(insns[36:]) != 1 || binary.LittleEndian.Uint32(insns[20:]) != 7 {
		t.Errorf("immediates not replaced by table indexes (constants kept): % x", insns)
	}
	img := &image{Tables: []tableSpec{{Name: "a"}, {Name: "b"}}, Funcs: []funcSpec{{Name: "f", Insns: insns, MapRefs: refs}}}
	if err := img.check(); err != nil {
		t.Errorf("a normalised image: %v", err)
	}
	for name, spoil := range map[string]func(*image){
		"unlisted map load": func(i *image) { i.Funcs[0].MapRefs = refs[:1] },
		"listed constant":   func(i *image) { i.Funcs[0].MapRefs = append(refs, 16) },
		"table out of range": func(i *image) {
			binary.LittleEndian.PutUint32(i.Funcs[0].Insns[4:], 5)
		},
		"map value source": func(i *image) { i.Funcs[0].Insns[17] = 2<<4 | 1 },
		"cut instruction":  func(i *image) { i.Funcs[0].Insns = i.Funcs[0].Insns[:len(i.Funcs[0].Insns)-1] },
		"repeated table":   func(i *image) { i.Tables[1].Name = "a" },
	} {
		c := &image{Tables: append([]tableSpec(nil), img.Tables...), Funcs: []funcSpec{{Name: "f", Insns: append([]byte(nil), insns...), MapRefs: append([]int(nil), refs...)}}}
		spoil(c)
		if c.check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := normalise(ld(2, 42), map[int32]int{42: 0}); err == nil {
		t.Error("a map value load was normalised")
	}
	if _, err := normalise(ld(pseudoMapFD, 44), map[int32]int{42: 0}); err == nil {
		t.Error("an fd of no table was normalised")
	}
}
