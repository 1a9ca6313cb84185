package bcc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// structsProgram reads kernel structs at a read(2) of fd by process tgid:
// the parent's tgid and comm through task_struct, and the inode number and
// name of the fd's file through files_struct, fdtable, file, inode, path,
// dentry and qstr. With real headers it includes them; the BTF tree
// declares the same types.
const structsProgram = `
#ifndef GOSNOOP_BTF_HEADERS
#include <linux/sched.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#endif

struct result {
	u32 ppid;
	u32 pad;
	char pcomm[16];
	u64 ino;
	char name[32];
};
BPF_HASH(results, u32, struct result, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_read)
{
	if ((bpf_get_current_pid_tgid() >> 32) != %d || args->fd != %d)
		return 0;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent = task->real_parent;
	struct result r = {};
	r.ppid = parent->tgid;
	bpf_probe_read_kernel(&r.pcomm, sizeof(r.pcomm), parent->comm);
	struct file **fds = task->files->fdt->fd;
	// bcc rewrites dereferences only of pointers it knows came from the
	// kernel: past a pointer read by hand, read by hand.
	struct file *f;
	struct inode *inode;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[%d]);
	bpf_probe_read_kernel(&inode, sizeof(inode), &f->f_inode);
	bpf_probe_read_kernel(&r.ino, sizeof(r.ino), &inode->i_ino);
	struct dentry *dentry;
	const unsigned char *name;
	bpf_probe_read_kernel(&dentry, sizeof(dentry), &f->f_path.dentry);
	bpf_probe_read_kernel(&name, sizeof(name), &dentry->d_name.name);
	bpf_probe_read_kernel_str(&r.name, sizeof(r.name), name);
	u32 zero = 0;
	results.update(&zero, &r);
	return 0;
}
`

var structsRoots = []btfheader.Root{"struct task_struct", "struct files_struct", "struct fdtable", "struct file", "struct inode", "struct dentry"}

// A program that walks kernel structs compiles against the headers gosnoop
// picks (here, with no kernel headers, the tree generated from BTF),
// attaches, and reads what /proc and stat say.
func TestKernelStructsMatchProcAndStat(t *testing.T) {
	requireRoot(t)
	headers, err := Headers(structsRoots)
	if err != nil {
		t.Skipf("no headers with kernel structs: %v", err)
	}
	t.Logf("headers: %s %s", headers.Kind, headers.Dir)
	path := filepath.Join(t.TempDir(), "gosnoop-structs-marker")
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	m, err := Compile(fmt.Sprintf(structsProgram, os.Getpid(), fd, fd), structsRoots...)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.AttachTracepoint("syscalls", "sys_enter_read"); err != nil {
		t.Fatal(err)
	}
	syscall.Read(fd, make([]byte, 1))

	h, err := m.Hash("results")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	h.Each(func(_, v []byte) { got = append([]byte(nil), v...) })
	if len(got) < 64 {
		t.Fatalf("no result for the read of fd %d (%d bytes)", fd, len(got))
	}
	ppid := binary.LittleEndian.Uint32(got[0:])
	pcomm := string(bytes.TrimRight(got[8:24], "\x00"))
	ino := binary.LittleEndian.Uint64(got[24:])
	name := string(bytes.TrimRight(got[32:64], "\x00"))

	wantComm, _ := os.ReadFile(filepath.Join("/proc", fmt.Sprint(os.Getppid()), "comm"))
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	if int(ppid) != os.Getppid() || pcomm != strings.TrimSpace(string(wantComm)) || ino != st.Ino || name != filepath.Base(f.Name()) {
		t.Errorf("kernel structs said parent %d %q, file %q inode %d; /proc and stat say %d %q, %q %d",
			ppid, pcomm, name, ino, os.Getppid(), strings.TrimSpace(string(wantComm)), filepath.Base(f.Name()), st.Ino)
	}
	if headers.Kind != kheaders.BTF {
		t.Logf("checked against %s headers, not the BTF tree", headers.Kind)
	}
}
