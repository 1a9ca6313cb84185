package kheaders

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/btfheader"
)

// needBTF points the package at the running kernel's BTF, or skips.
func needBTF(t *testing.T) {
	t.Helper()
	needMinimalTree(t)
	if _, err := os.Stat(btfheader.VmlinuxPath); err != nil {
		t.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF): %v", err)
	}
	vmlinuxBTF = btfheader.VmlinuxPath
}

func TestPrepareBTFGeneratesOnceThenReuses(t *testing.T) {
	needBTF(t)
	cache := filepath.Join(privateBase(t), "cache")
	roots := []btfheader.Root{"struct task_struct", "struct file"}
	first, err := Prepare(cache, roots)
	if err != nil {
		t.Fatal(err)
	}
	if first.Kind != BTF || first.Generated == "" || first.Note != "" || !strings.HasPrefix(first.Dir, cache) {
		t.Fatalf("first Prepare = %+v", first)
	}
	t.Logf("generated %s", first.Generated)
	hdr, err := os.ReadFile(filepath.Join(first.Dir, btfHeader))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"struct task_struct {", "struct file {", "struct pt_regs {", "typedef __u32 u32;"} {
		if !strings.Contains(string(hdr), want) {
			t.Errorf("generated header lacks %q", want)
		}
	}
	// libbcc's bpf.h declares these; a second declaration would not compile.
	for _, owned := range []string{"struct bpf_attr {", "enum bpf_func_id {", "struct __sk_buff {"} {
		if strings.Contains(string(hdr), owned) {
			t.Errorf("generated header declares %q, which libbcc's bpf.h has", owned)
		}
	}

	again, err := Prepare(cache, []btfheader.Root{"struct file", "struct task_struct", "struct file"})
	if err != nil || again.Dir != first.Dir || again.Generated != "" {
		t.Errorf("same roots again: %+v, %v; want the cached tree, nothing generated", again, err)
	}
	other, err := Prepare(cache, []btfheader.Root{"struct dentry"})
	if err != nil || other.Dir == first.Dir || other.Generated == "" {
		t.Errorf("other roots: %+v, %v; want a tree of their own", other, err)
	}

	// A damaged header (or sum) is noticed and rebuilt.
	if err := os.WriteFile(filepath.Join(first.Dir, btfHeader), []byte("#define pwned 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fixed, err := Prepare(cache, roots)
	if err != nil || fixed.Dir != first.Dir || !strings.Contains(fixed.Note, "does not match its sum") {
		t.Fatalf("after damage: %+v, %v", fixed, err)
	}
	if again, _ := os.ReadFile(filepath.Join(first.Dir, btfHeader)); string(again) != string(hdr) {
		t.Errorf("the rebuilt header differs from the first")
	}
}

func TestPrepareBTFUnknownRoot(t *testing.T) {
	needBTF(t)
	_, err := Prepare(filepath.Join(privateBase(t), "cache"), []btfheader.Root{"struct gosnoop_no_such_type"})
	if err == nil || !strings.Contains(err.Error(), "struct gosnoop_no_such_type") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one line naming the type", err)
	}
}

func TestPrepareWithoutBTF(t *testing.T) {
	needMinimalTree(t) // vmlinuxBTF points nowhere
	cache := filepath.Join(privateBase(t), "cache")
	src, err := Prepare(cache, nil)
	if err != nil || src.Kind != Minimal {
		t.Errorf("no roots, no BTF: %+v, %v; want the minimal tree", src, err)
	}
	_, err = Prepare(cache, []btfheader.Root{"struct task_struct"})
	if err == nil || !strings.Contains(err.Error(), "neither headers nor BTF") || !strings.Contains(err.Error(), "struct task_struct") {
		t.Errorf("roots, no BTF: %v; want one line saying the kernel has neither", err)
	}
}

// The generated header and the tree's stubs compile as C on their own (the
// host's compiler, no libbcc), with the BPF types libbcc would add missing.
func TestBTFTreeCompilesAsC(t *testing.T) {
	needBTF(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	src, err := Prepare(filepath.Join(privateBase(t), "cache"), []btfheader.Root{"struct task_struct", "struct file", "struct dentry", "struct inode"})
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "p.c")
	os.WriteFile(prog, []byte("int parent(struct task_struct *t) { return t->real_parent->tgid; }\n"+
		"unsigned long ino(struct file *f) { return f->f_inode->i_ino; }\n"), 0o644)
	out, err := exec.Command(cc, "-fsyntax-only", "-w", "-include", filepath.Join(src.Dir, "include/linux/kconfig.h"), prog).CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
}

// The BTF tree has nothing x86-only: on arm64 its stubs sit under
// arch/arm64, and the minimal tree (x86-64's pt_regs) refuses.
func TestBTFTreeForArm64(t *testing.T) {
	needMinimalTree(t)
	old := goarch
	goarch = "arm64"
	t.Cleanup(func() { goarch = old })
	want, err := btfTree()
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"arch/arm64/include/asm/page.h", "arch/arm64/include/asm/ptrace.h", "arch/arm64/include/uapi/linux/bpf.h", "include/linux/kconfig.h"} {
		if _, ok := want[rel]; !ok {
			t.Errorf("no %s", rel)
		}
	}
	for rel := range want {
		if strings.Contains(rel, "x86") {
			t.Errorf("x86 entry %s in the arm64 tree", rel)
		}
	}
	if _, err := minimalTree(); err == nil || !strings.Contains(err.Error(), "amd64 only") {
		t.Errorf("minimal tree on arm64: %v", err)
	}
	goarch = "riscv64"
	if _, err := btfTree(); err == nil || !strings.Contains(err.Error(), "riscv64") {
		t.Errorf("BTF tree on riscv64: %v", err)
	}
}

// Trees unused for a month go when a run uses another; recent ones, the one
// in use and anything not gosnoop's stay.
func TestOldTreesArePruned(t *testing.T) {
	needMinimalTree(t)
	cache := filepath.Join(privateBase(t), "cache")
	src, err := Prepare(cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(src.Dir)
	old := time.Now().Add(-treeUnusedFor - time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "include"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk("btf-headers-000000000000", old)
	staleMinimal := mk("minimal-headers-000000000000", old)
	recent := mk("btf-headers-111111111111", time.Now().Add(-time.Hour))
	other := mk("not-gosnoop", old)
	// The tree in use is kept and marked as used, whatever its mtime said.
	if err := os.Chtimes(src.Dir, old, old); err != nil {
		t.Fatal(err)
	}
	again, err := Prepare(cache, nil) // every run prunes
	if err != nil || again.Dir != src.Dir {
		t.Fatalf("%+v, %v", again, err)
	}
	for _, gone := range []string{stale, staleMinimal} {
		if _, err := os.Stat(gone); err == nil {
			t.Errorf("%s was kept", gone)
		}
	}
	for _, kept := range []string{recent, other, src.Dir} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s went: %v", kept, err)
		}
	}
	if st, err := os.Stat(src.Dir); err != nil || time.Since(st.ModTime()) > time.Minute {
		t.Errorf("the tree in use was not marked as used: %v", err)
	}
}
