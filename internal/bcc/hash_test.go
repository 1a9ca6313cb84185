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
