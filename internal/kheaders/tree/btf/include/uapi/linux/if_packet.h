/* gosnoop's BTF tree: libbcc's helpers.h includes this; the UAPI one
 * redefines structs the header generated from BTF has already declared. */
