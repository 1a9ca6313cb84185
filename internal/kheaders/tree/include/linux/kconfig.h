/*
 * gosnoop's minimal kernel header tree: just enough for libbcc to compile
 * tracepoint programs, perf output and pt_regs argument access when the
 * running kernel's headers are not installed. It has no kernel structs
 * (task_struct, file, dentry): programs that need them need real headers.
 * libbcc force-includes this file first.
 */
#ifndef __GOSNOOP_MINIMAL_KCONFIG_H
#define __GOSNOOP_MINIMAL_KCONFIG_H

#include <linux/types.h>

typedef __u8 u8;
typedef __s8 s8;
typedef __u16 u16;
typedef __s16 s16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long uintptr_t;
typedef unsigned short umode_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef long long loff_t;

#define CONFIG_BPF_SYSCALL 1
#define TASK_COMM_LEN 16
#define NAME_MAX 255

#define __user
#define __kernel
#define __force

#define GOSNOOP_MINIMAL_HEADERS 1

/* x86-64 register frame with the kernel's field names: libbcc's PT_REGS_PARMx
 * and its rewrite of kprobe arguments use them. The UAPI header hides this
 * struct when __KERNEL__ is defined, as it is under libbcc. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx;
	unsigned long r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax, ip, cs, flags, sp, ss;
};

#endif
