/*
 * gosnoop's BTF kernel header tree, for kernels without installed headers
 * but with BTF (/sys/kernel/btf/vmlinux): the kernel types programs need
 * are declared in gosnoop_btf_vmlinux.h, generated from the running
 * kernel's BTF next to this file. libbcc force-includes this file first,
 * then its own copy of the BPF UAPI header, whose types the generated one
 * leaves out. The generated header is included by its own quoted name:
 * libbcc searches the caller's working directory first, where a stray
 * vmlinux.h could otherwise win.
 */
#ifndef __GOSNOOP_BTF_KCONFIG_H
#define __GOSNOOP_BTF_KCONFIG_H

#include "gosnoop_btf_vmlinux.h"

/* Macros of the UAPI <linux/types.h>, which libbcc's bpf.h uses. */
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#define __aligned_be64 __be64 __attribute__((aligned(8)))
#define __aligned_le64 __le64 __attribute__((aligned(8)))
#define __bitwise

/* After the types: in BTF some of these names are enum values or fields. */
enum { false = 0, true = 1 };

#ifndef NULL
#define NULL ((void *)0)
#endif

#define CONFIG_BPF_SYSCALL 1
#define TASK_COMM_LEN 16
#define NAME_MAX 255

#define __user
#define __kernel
#define __force
#define __rcu
#define __percpu
#define __iomem
#define __always_inline inline __attribute__((always_inline))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define GOSNOOP_BTF_HEADERS 1

#endif
