package btfheader

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/golden"
)

// testdata/kernel.btf is made from testdata/kernel.c by make-btf.sh.
const sampleBTF = "testdata/kernel.btf"

func TestGenerateGolden(t *testing.T) {
	hdr, err := Generate(sampleBTF, []Root{"struct task_struct", "struct dentry"},
		[]Root{"struct pt_regs", "struct not_in_this_kernel", "fd_set"})
	if err != nil {
		t.Fatal(err)
	}
	text := string(hdr)
	golden.Check(t, text)

	for _, want := range []string{
		"struct task_struct {", "struct dentry {", "struct qstr {", "struct list_head {", // roots and what they hold
		"struct pt_regs {",                   // an optional root the BTF has
		"struct bpf_run_ctx {",               // kernel-internal, held by value
		"struct inode;", "struct mm_struct;", // only pointed to
		"typedef short unsigned int umode_t;", "typedef __u32 u32;", // every scalar typedef
	} {
		if !strings.Contains(text, want) {
			t.Errorf("header lacks %q", want)
		}
	}
	for _, owned := range []string{"struct bpf_sock_tuple {", "enum bpf_map_type {", "BPF_ANY"} {
		if strings.Contains(text, owned) {
			t.Errorf("header declares %q, which libbcc's bpf.h does", owned)
		}
	}
	if strings.Contains(text, "struct file {") {
		t.Errorf("header defines struct file, which the roots only point to")
	}

	// It compiles as C once libbcc's declarations are there: the stub
	// stands for them.
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler")
	}
	dir := t.TempDir()
	src := "enum bpf_map_type { BPF_MAP_TYPE_UNSPEC };\nstruct bpf_sock_tuple { unsigned int saddr, daddr; };\n" +
		text + "\nint f(struct task_struct *t) { return t->real_parent->tgid + t->comm[0]; }\n"
	file := filepath.Join(dir, "h.c")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-fsyntax-only", "-Wall", "-Werror", file).CombinedOutput(); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
}

func TestGenerateMissingRoot(t *testing.T) {
	_, err := Generate(sampleBTF, []Root{"struct task_struct", "struct nope"}, nil)
	if err == nil || err.Error() != "the kernel's BTF has no struct nope" {
		t.Errorf("got %v", err)
	}
	_, err = Generate(filepath.Join(t.TempDir(), "missing"), []Root{"struct task_struct"}, nil)
	if err == nil || !strings.Contains(err.Error(), "reading BTF from") {
		t.Errorf("missing file: %v", err)
	}
}

func TestSortedRoots(t *testing.T) {
	got := SortedRoots([]Root{"struct b", "struct a", "struct b", "enum c"})
	if len(got) != 3 || got[0] != "enum c" || got[1] != "struct a" || got[2] != "struct b" {
		t.Errorf("SortedRoots = %v", got)
	}
}

// BenchmarkGenerateVmlinux is what a first run pays to generate the BTF
// tree's header for a program naming task_struct and file, on this kernel.
func BenchmarkGenerateVmlinux(b *testing.B) {
	if _, err := os.Stat(VmlinuxPath); err != nil {
		b.Skipf("kernel BTF: %v", err)
	}
	var size int
	for i := 0; i < b.N; i++ {
		hdr, err := Generate(VmlinuxPath, []Root{"struct task_struct", "struct file"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		size = len(hdr)
	}
	b.ReportMetric(float64(size), "header-bytes")
}

func TestParamsOfKernelFunctions(t *testing.T) {
	if _, err := os.Stat(VmlinuxPath); err != nil {
		t.Skipf("no kernel BTF (%s): %v", VmlinuxPath, err)
	}
	protos, err := Params(VmlinuxPath, "vfs_unlink", "gosnoop_no_such_function", "vfs_open")
	if err != nil {
		t.Fatal(err)
	}
	params := protos["vfs_unlink"]
	var got []string
	for _, p := range params {
		got = append(got, p.Type+" "+p.Name)
	}
	// vfs_unlink(idmap or userns, dir, dentry, delegated_inode) since 5.12.
	if len(params) != 4 || params[1].Type != "struct inode *" || params[2] != (Param{"dentry", "struct dentry *"}) || params[3].Type != "struct inode **" {
		t.Errorf("vfs_unlink parameters: %q", got)
	}
	if _, ok := protos["gosnoop_no_such_function"]; ok || len(protos["vfs_open"]) != 2 {
		t.Errorf("a missing function has a prototype, or vfs_open has none: %v", protos)
	}
	if _, err := Params(sampleBTF+".missing", "vfs_open"); err == nil {
		t.Error("no BTF file, no error")
	}
}
