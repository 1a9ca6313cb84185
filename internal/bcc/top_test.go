package bcc_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/programs/top"
)

// top's program counts reads per file until its table is full, then counts
// what it could not: the loss top reports.
func TestTopTableFullIsCounted(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to load BPF programs")
	}
	o := top.Options{PID: uint32(os.Getpid()), Reads: true, Tracepoints: []top.Syscall{{Name: "pread64"}}, MaxEntries: 2}
	src, err := top.Render(o)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bcc.Compile(src, top.KernelTypes...)
	if err != nil {
		t.Skipf("no headers with kernel structs: %v", err)
	}
	defer m.Close()
	if err := m.WriteU32(render.PIDTable, 0, o.PID); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []string{"sys_enter_pread64", "sys_exit_pread64"} {
		if err := m.AttachTracepoint("syscalls", ev); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for i := 0; i < 5; i++ {
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Open(p, syscall.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Pread(fd, make([]byte, 1), 0)
		syscall.Close(fd)
	}
	h, err := m.Hash(top.CountsTable)
	if err != nil {
		t.Fatal(err)
	}
	entries := 0
	h.Each(func(_, _ []byte) { entries++ })
	lost, err := m.ReadCounter(top.LostTable, 0)
	if err != nil {
		t.Fatal(err)
	}
	if entries != 2 || lost != 3 {
		t.Errorf("%d entries, %d lost; want 2 counted and 3 lost", entries, lost)
	}
}
