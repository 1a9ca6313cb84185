package bcc

import (
	"encoding/binary"
	"os"
	"syscall"
	"testing"
)

// A hash the program counts in is read, and cleared, from Go.
func TestHashTake(t *testing.T) {
	requireRoot(t)
	m, err := Compile(`
BPF_HASH(calls, u32, u64, 1024);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	calls.atomic_increment(tgid);
	return 0;
}
`)

	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	if err := m.AttachTracepoint("syscalls", "sys_enter_getppid"); err != nil {
		t.Fatal(err)
	}
	h, err := m.Hash("calls")
	if err != nil {
		t.Fatal(err)
	}
	ours := func() (n uint64, found bool) {
		err := h.Take(func(k, v []byte) {
			if binary.LittleEndian.Uint32(k) == uint32(os.Getpid()) {
				n, found = binary.LittleEndian.Uint64(v), true
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, found
	}
	for i := 0; i < 3; i++ {
		syscall.Getppid()
	}
	if n, found := ours(); n != 3 {
		t.Errorf("first take: %d calls (found %v), want 3", n, found)
	}
	if n, found := ours(); found {
		t.Errorf("second take found %d calls: the first did not clear", n)
	}
	syscall.Getppid()
	if n, _ := ours(); n != 1 {
		t.Errorf("after one more call: %d, want 1", n)
	}
	if _, err := m.Hash("nope"); err == nil {
		t.Error("a missing table was found")
	}
}

// A setting written from Go is what the program reads.
func TestWriteU32(t *testing.T) {
	requireRoot(t)
	m, err := Compile(`
BPF_ARRAY(setting, u32, 1);
BPF_HASH(seen, u32, u32, 16);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	u32 *v = setting.lookup(&zero);
	if (v)
		seen.update(&tgid, v);
	return 0;
}
`)
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	if err := m.AttachTracepoint("syscalls", "sys_enter_getppid"); err != nil {
		t.Fatal(err)
	}
	h, err := m.Hash("seen")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []uint32{7, 0xfffffffe} {
		if err := m.WriteU32("setting", 0, want); err != nil {
			t.Fatal(err)
		}
		syscall.Getppid()
		var got uint32
		found := false
		h.Each(func(k, v []byte) {
			if binary.LittleEndian.Uint32(k) == uint32(os.Getpid()) {
				got, found = binary.LittleEndian.Uint32(v), true
			}
		})
		if !found || got != want {
			t.Errorf("program read %d (found %v), want %d", got, found, want)
		}
	}
	if err := m.WriteU32("nope", 0, 1); err == nil {
		t.Errorf("writing a table the program lacks worked")
	}
}
