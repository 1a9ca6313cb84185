/* The C side of package btfheader: libbpf calls, wrapped so the Go side
 * needs no variadic callbacks, static inlines or version differences. */
#ifndef GOSNOOP_BTFHEADER_DUMP_H
#define GOSNOOP_BTFHEADER_DUMP_H

#include <stddef.h>
#include <bpf/btf.h>

/* gs_buf collects btf_dump's output; while mute is set it is dropped. */
struct gs_buf {
	char *p;
	size_t len, cap;
	int mute, failed;
};

/* Kinds as the Go side switches on them; GS_KIND_ENUM64 never matches
 * before libbpf 1.0, whose BTF has no 64-bit enums. */
enum {
	GS_KIND_INT = BTF_KIND_INT,
	GS_KIND_PTR = BTF_KIND_PTR,
	GS_KIND_FUNC = BTF_KIND_FUNC,
	GS_KIND_FUNC_PROTO = BTF_KIND_FUNC_PROTO,
	GS_KIND_TYPEDEF = BTF_KIND_TYPEDEF,
	GS_KIND_CONST = BTF_KIND_CONST,
	GS_KIND_VOLATILE = BTF_KIND_VOLATILE,
	GS_KIND_RESTRICT = BTF_KIND_RESTRICT,
	GS_KIND_STRUCT = BTF_KIND_STRUCT,
	GS_KIND_UNION = BTF_KIND_UNION,
	GS_KIND_ENUM = BTF_KIND_ENUM,
	GS_KIND_FLOAT = BTF_KIND_FLOAT,
	GS_KIND_TYPE_TAG = 18,
	GS_KIND_ENUM64 = 19,
};

/* gs_parse reads BTF from path; on failure it returns NULL and *err. */
struct btf *gs_parse(const char *path, int *err);
struct btf_dump *gs_dump_new(const struct btf *btf, struct gs_buf *b);
__u32 gs_type_cnt(const struct btf *btf);
int gs_kind(const struct btf *btf, __u32 id);
__u32 gs_type(const struct btf *btf, __u32 id);
const char *gs_name(const struct btf *btf, __u32 id);
/* gs_first_enumerator is the name of an enum's first value, or "". */
const char *gs_first_enumerator(const struct btf *btf, __u32 id);
/* gs_find looks a type up by name and kind; negative when absent. */
int gs_find(const struct btf *btf, const char *name, int kind);
/* gs_vlen is a type's member, value or parameter count. */
int gs_vlen(const struct btf *btf, __u32 id);
/* gs_param_name and gs_param_type describe parameter i of func_proto id. */
const char *gs_param_name(const struct btf *btf, __u32 id, int i);
__u32 gs_param_type(const struct btf *btf, __u32 id, int i);

#endif
