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

/* Types that syscalls tracepoint format files name, which libbcc copies
 * verbatim into the args struct it generates. Each is the kernel's x86-64
 * definition, written on the UAPI type where the UAPI has one; where a UAPI
 * header typedefs the same name, the typedef here denotes the same type, so
 * that header can still be included. */
typedef __kernel_off_t off_t;           /* include/linux/types.h */
typedef __kernel_loff_t loff_t;         /* include/linux/types.h */
typedef __kernel_fd_set fd_set;         /* include/linux/types.h */
typedef __kernel_clockid_t clockid_t;   /* include/linux/types.h */
typedef __kernel_timer_t timer_t;       /* include/linux/types.h */
typedef __kernel_mqd_t mqd_t;           /* include/linux/types.h */
typedef __kernel_key_t key_t;           /* include/linux/types.h */
typedef int rwf_t;                      /* include/linux/types.h: __kernel_rwf_t of UAPI <linux/fs.h> */
typedef __kernel_uid32_t qid_t;         /* include/linux/quota.h */
typedef __s32 key_serial_t;             /* include/linux/key.h */
typedef __kernel_ulong_t aio_context_t; /* UAPI <linux/aio_abi.h> */
/* UAPI <asm/signal.h> on x86: the kernel's own is a one-word struct of the
 * same size, but this one does not clash when that header is included. */
typedef unsigned long sigset_t;
typedef struct sigaltstack stack_t;     /* UAPI <asm/signal.h> */
typedef struct siginfo siginfo_t;       /* UAPI <asm-generic/siginfo.h> */
#include <linux/capability.h>           /* cap_user_header_t, cap_user_data_t */
#include <linux/landlock.h>             /* enum landlock_rule_type, used by value */

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
