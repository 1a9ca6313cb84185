/* gosnoop's BTF tree: struct open_how comes from the header generated from
 * BTF (kheaders.SyscallTypes); the UAPI one would declare it again. */
