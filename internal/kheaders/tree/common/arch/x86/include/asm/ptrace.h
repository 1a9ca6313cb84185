/* gosnoop's header trees: struct pt_regs, with the kernel's field names,
 * comes from include/linux/kconfig.h (minimal tree) or from the header
 * generated from BTF. Without this file <asm/ptrace.h> would find the UAPI
 * one, whose struct pt_regs has other field names and clashes. */
