package bcc

import (
	"encoding/binary"
	"os"
	"syscall"
	"testing"
)

// A hash the program counts in is read, looked up and cleared from Go.
func TestHashEachGetDelete(t *testing.T) {
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
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], uint32(os.Getpid()))
	get := func() (uint64, bool) {
		v, ok, err := h.Get(key[:])
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return 0, false
		}
		return binary.LittleEndian.Uint64(v), true
	}
	if n, ok := get(); ok {
		t.Fatalf("%d calls before any", n)
	}
	for i := 0; i < 3; i++ {
		syscall.Getppid()
	}
	seen := uint64(0)
	if err := h.Each(func(k, v []byte) {
		if binary.LittleEndian.Uint32(k) == uint32(os.Getpid()) {
			seen = binary.LittleEndian.Uint64(v)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if n, ok := get(); n != 3 || !ok || seen != 3 {
		t.Errorf("Get: %d calls (found %v), Each: %d; want 3", n, ok, seen)
	}
	if err := h.Delete(key[:]); err != nil {
		t.Fatal(err)
	}
	if n, ok := get(); ok {
		t.Errorf("%d calls after the delete", n)
	}
	syscall.Getppid()
	if n, _ := get(); n != 1 {
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
