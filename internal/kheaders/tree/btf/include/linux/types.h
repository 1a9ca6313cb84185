/* gosnoop's BTF tree: the kernel's own __u8 ... __u64, __be16 ... come from
 * the header generated from BTF; the UAPI <linux/types.h> would declare
 * them (and __kernel_fd_set, __kernel_fsid_t) a second time. */
