package bcc

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/symbols"
)

// stackProgram stores the kernel and the user stack of the openat(2) calls
// of the process whose tgid is in stack_tgid.
const stackProgram = `
BPF_STACK_TRACE(stacks, 1000);
BPF_ARRAY(stack_tgid, u32, 1);
struct stack_ids {
	s32 kernel;
	s32 user;
};
BPF_HASH(stack_seen, u32, struct stack_ids, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	u32 zero = 0;
	u32 *tgid = stack_tgid.lookup(&zero);
	if (!tgid || *tgid != bpf_get_current_pid_tgid() >> 32)
		return 0;
	struct stack_ids ids = {
		.kernel = stacks.get_stackid(args, 0),
		.user = stacks.get_stackid(args, BPF_F_USER_STACK),
	};
	stack_seen.update(&zero, &ids);
	return 0;
}
`

// stackTarget calls openat(2) on its argument from gosnoop_test_inner,
// called by gosnoop_test_outer, until killed. The system call is made
// in inner itself: glibc's wrapper keeps no frame pointer, so a caller
// of it is missing from a frame-pointer walk.
const stackTarget = `
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((noinline)) long gosnoop_test_inner(const char *path)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path), "d"((long)O_RDONLY)
			 : "rcx", "r11", "memory");
	return ret;
}

__attribute__((noinline)) long gosnoop_test_outer(const char *path)
{
	return gosnoop_test_inner(path) + 1;
}

int main(int argc, char **argv)
{
	for (;;) {
		gosnoop_test_outer(argv[1]);
		usleep(1000);
	}
}
`

// The kernel makes the table BPF_STACK_TRACE declares: a stack trace map of
// 127 addresses a stack and a power of two of entries.
func TestStackTableCreated(t *testing.T) {
	requireRoot(t)
	m, err := Compile(stackProgram)
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	fd, err := m.TableFD("stacks")
	if err != nil {
		t.Fatal(err)
	}
	// struct bpf_map_info's first fields.
	var info struct{ Type, ID, KeySize, ValueSize, MaxEntries, Flags uint32 }
	attr := struct {
		fd, len uint32
		info    uint64
	}{uint32(fd), uint32(unsafe.Sizeof(info)), uint64(uintptr(unsafe.Pointer(&info)))}
	const bpfObjGetInfoByFD = 15
	if _, _, errno := syscall.Syscall(321 /* SYS_bpf */, bpfObjGetInfoByFD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr)); errno != 0 {
		t.Fatalf("BPF_OBJ_GET_INFO_BY_FD: %v", errno)
	}
	if info.Type != mapStackTrace || info.KeySize != 4 || info.ValueSize != 127*8 || info.MaxEntries != 1024 || info.Flags != 0 {
		t.Errorf("kernel's map: %+v, want type 7, key 4, value 1016, 1024 entries, no flags", info)
	}
	if _, err := m.Stack("stack_tgid", 0); err == nil || !strings.Contains(err.Error(), "no BPF_STACK_TRACE") {
		t.Errorf("Stack on an array: %v", err)
	}
}

// A real openat(2) of a C program: its kernel stack goes through the
// system call entry, its user stack through the program's two functions,
// whether the program is position independent or not.
func TestStackResolvesKernelAndUser(t *testing.T) {
	requireRoot(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("needs a C compiler (cc) to build the traced program")
	}
	src := filepath.Join(t.TempDir(), "target.c")
	if err := os.WriteFile(src, []byte(stackTarget), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Compile(stackProgram)
	if err != nil {
		t.Fatalf("compiling: %v", err)
	}
	defer m.Close()
	if err := m.AttachTracepoint("syscalls", "sys_enter_openat"); err != nil {
		t.Fatal(err)
	}
	seen, err := m.Hash("stack_seen")
	if err != nil {
		t.Fatal(err)
	}
	kernel, user := symbols.NewKernel(), symbols.NewUser()
	if err := kernel.Load(); err != nil {
		t.Fatal(err)
	}
	for _, pie := range []string{"-no-pie", "-pie"} {
		t.Run(pie, func(t *testing.T) {
			exe := filepath.Join(t.TempDir(), "target")
			out, err := exec.Command(cc, "-O0", "-fno-omit-frame-pointer", pie, "-o", exe, src).CombinedOutput()
			if err != nil {
				t.Fatalf("compiling the target: %v\n%s", err, out)
			}
			cmd := exec.Command(exe, markerPath(t))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			pid := uint32(cmd.Process.Pid)
			if err := seen.Delete(make([]byte, 4)); err != nil && !strings.Contains(err.Error(), "no such file") {
				t.Fatal(err)
			}
			if err := m.WriteU32("stack_tgid", 0, pid); err != nil {
				t.Fatal(err)
			}
			var ids []byte
			for deadline := time.Now().Add(5 * time.Second); ids == nil && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if ids, _, err = seen.Get(make([]byte, 4)); err != nil {
					t.Fatal(err)
				}
			}
			if ids == nil {
				t.Fatal("no openat of the target seen in 5 s")
			}
			user.Note(pid) // as on a first event
			kid, uid := int32(binary.NativeEndian.Uint32(ids)), int32(binary.NativeEndian.Uint32(ids[4:]))

			kstack, err := m.Stack("stacks", kid)
			if err != nil {
				t.Fatalf("kernel stack: %v", err)
			}
			var kframes []string
			for _, a := range kstack {
				kframes = append(kframes, kernel.Resolve(a).String())
			}
			if !hasFrame(kframes, "do_syscall_64+") && !hasFrame(kframes, "entry_SYSCALL_64") {
				t.Errorf("kernel stack without the system call entry:\n%s", strings.Join(kframes, "\n"))
			}

			ustack, err := m.Stack("stacks", uid)
			if err != nil {
				t.Fatalf("user stack: %v", err)
			}
			var uframes []string
			for _, a := range ustack {
				uframes = append(uframes, user.Resolve(pid, a).String())
			}
			inner, outer := frameIndex(uframes, "gosnoop_test_inner+"), frameIndex(uframes, "gosnoop_test_outer+")
			if inner != 0 || outer != 1 || frameIndex(uframes, "main+") != 2 {
				t.Errorf("user stack not inner, outer, main:\n%s", strings.Join(uframes, "\n"))
			}
			// main returns into the C library, a shared object, named
			// whether or not its stripped tables cover the address.
			if len(ustack) < 4 || !strings.Contains(user.Resolve(pid, ustack[3]).Module, "libc") {
				t.Errorf("main's caller is not in the C library:\n%s", strings.Join(uframes, "\n"))
			}
			t.Logf("kernel stack:\n\t%s\nuser stack:\n\t%s", strings.Join(kframes, "\n\t"), strings.Join(uframes, "\n\t"))

		})
	}
}

func hasFrame(frames []string, prefix string) bool { return frameIndex(frames, prefix) >= 0 }

func frameIndex(frames []string, prefix string) int {
	for i, f := range frames {
		if strings.HasPrefix(f, prefix) {
			return i
		}
	}
	return -1
}

func TestStackIDError(t *testing.T) {
	for id, want := range map[int32]string{
		-int32(syscall.EFAULT): "no user stack",
		-int32(syscall.EEXIST): "collision",
		-int32(syscall.ENOMEM): "full",
		-int32(syscall.E2BIG):  "error 7",
	} {
		if got := StackIDError(id); !strings.Contains(got, want) {
			t.Errorf("StackIDError(%d) = %q, want it to say %q", id, got, want)
		}
	}
}
