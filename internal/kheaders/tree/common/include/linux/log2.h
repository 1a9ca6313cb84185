/* libbcc includes it. Its one user here is helpers.h's BPF_STACK_TRACE,
 * which rounds the table's size up with roundup_pow_of_two in a static
 * initializer: a constant expression for 64-bit longs, unlike the kernel's. */
#ifndef _LINUX_LOG2_H
#define _LINUX_LOG2_H
#define roundup_pow_of_two(n) \
	((unsigned long)(n) <= 1 ? 1UL : 1UL << (64 - __builtin_clzl((unsigned long)(n) - 1)))
#endif
