/* See dump.h. Builds against libbpf 0.5 (Ubuntu 22.04) and 0.6 to 1.x:
 * 0.6 brought libbpf_version.h, btf__type_cnt and the btf_dump__new that
 * takes the callback's context directly; 1.0 brought 64-bit enums and
 * NULL (not error pointers) on failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "dump.h"

#if defined(LIBBPF_MAJOR_VERSION) && LIBBPF_MAJOR_VERSION >= 1
#define GS_ENUM64 1
#endif

static void gs_printf(void *ctx, const char *fmt, va_list args)
{
	struct gs_buf *b = ctx;
	va_list copy;
	int n;

	if (b->mute || b->failed)
		return;
	va_copy(copy, args);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1 << 16;
		char *p;

		while (b->len + (size_t)n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, args);
	b->len += (size_t)n;
}

struct btf *gs_parse(const char *path, int *err)
{
	struct btf *btf = btf__parse(path, NULL);
	long e = libbpf_get_error(btf);

	if (e) {
		*err = (int)-e;
		return NULL;
	}
	return btf;
}

struct btf_dump *gs_dump_new(const struct btf *btf, struct gs_buf *b)
{
	struct btf_dump *d;

#ifdef LIBBPF_MAJOR_VERSION
	d = btf_dump__new(btf, gs_printf, b, NULL);
#else
	struct btf_dump_opts opts = { .ctx = b };

	d = btf_dump__new(btf, NULL, &opts, gs_printf);
#endif
	return libbpf_get_error(d) ? NULL : d;
}

__u32 gs_type_cnt(const struct btf *btf)
{
#ifdef LIBBPF_MAJOR_VERSION
	return btf__type_cnt(btf);
#else
	return btf__get_nr_types(btf) + 1;
#endif
}

int gs_kind(const struct btf *btf, __u32 id)
{
	return btf_kind(btf__type_by_id(btf, id));
}

__u32 gs_type(const struct btf *btf, __u32 id)
{
	return btf__type_by_id(btf, id)->type;
}

const char *gs_name(const struct btf *btf, __u32 id)
{
	return btf__name_by_offset(btf, btf__type_by_id(btf, id)->name_off);
}

const char *gs_first_enumerator(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (btf_vlen(t) == 0)
		return "";
#ifdef GS_ENUM64
	if (btf_kind(t) == BTF_KIND_ENUM64)
		return btf__name_by_offset(btf, btf_enum64(t)->name_off);
#endif
	return btf__name_by_offset(btf, btf_enum(t)->name_off);
}

int gs_find(const struct btf *btf, const char *name, int kind)
{
	return btf__find_by_name_kind(btf, name, kind);
}

int gs_vlen(const struct btf *btf, __u32 id)
{
	return btf_vlen(btf__type_by_id(btf, id));
}

const char *gs_param_name(const struct btf *btf, __u32 id, int i)
{
	return btf__name_by_offset(btf, btf_params(btf__type_by_id(btf, id))[i].name_off);
}

__u32 gs_param_type(const struct btf *btf, __u32 id, int i)
{
	return btf_params(btf__type_by_id(btf, id))[i].type;
}
