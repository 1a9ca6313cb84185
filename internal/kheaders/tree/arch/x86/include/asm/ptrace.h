/* gosnoop's minimal tree: struct pt_regs, with the kernel's field names, is in
 * include/linux/kconfig.h. Without this file <asm/ptrace.h> would find the
 * UAPI one, whose struct pt_regs has other field names and clashes. */
