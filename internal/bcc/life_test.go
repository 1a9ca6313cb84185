package bcc_test

import (
	"os"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/programs/life"
)

// Every program of life's, the kprobes' included, compiles against this
// kernel's structs and passes its verifier with the argument positions of
// its own prototypes, even where kprobes cannot attach: loading a kprobe
// program needs no kprobe support.
func TestLifeProgramsLoad(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	if _, err := os.Stat(btfheader.VmlinuxPath); err != nil {
		t.Skipf("no kernel BTF for the prototypes: %v", err)
	}
	o := life.Options{Opens: life.OpenSyscalls, Removals: life.RemovalSyscalls}
	view := kernel.Assumed{} // kprobes assumed, prototypes from the real BTF
	if _, err := life.Plan(&o, "kprobe", view, t.Logf); err != nil {
		t.Fatal(err)
	}
	if protos, err := btfheader.Params(btfheader.VmlinuxPath, "vfs_rename"); err == nil && len(protos["vfs_rename"]) > 0 && protos["vfs_rename"][0].Type == "struct renamedata *" && !o.RenameData {
		t.Error("vfs_rename takes a struct renamedata here, but the plan does not probe it")
	}
	o.Opens, o.Removals = life.OpenSyscalls, life.RemovalSyscalls
	src, err := life.Render(o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bcc.Compile(src, o.KernelTypes()...)
	if err != nil {
		t.Skipf("no headers with kernel structs: %v", err)
	}
	defer m.Close()
	progs := []string{life.OpenProgram, life.UnlinkEntry, life.UnlinkReturn}
	if o.RenameData {
		progs = append(progs, life.RenameEntry)
	}
	for _, p := range o.Creates {
		progs = append(progs, "life_"+p.Function)
	}
	for _, p := range progs {
		if err := m.LoadKprobe(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, sc := range append(append([]string{}, life.OpenSyscalls...), life.RemovalSyscalls...) {
		for _, ev := range []string{"sys_enter_" + sc, "sys_exit_" + sc} {
			if err := m.AttachTracepoint("syscalls", ev); err != nil {
				t.Errorf("%s: %v", ev, err)
			}
		}
	}
}
