# Sourced by the bench scripts. python-bcc compiles through the same libbcc
# as gosnoop and, on a kernel without headers, needs a tree just as much: it
# gets the tree gosnoop used (generated from BTF, or the minimal one) through
# BCC_KERNEL_SOURCE, so both compile the same way. With real headers
# installed both use those instead.
#
# gosnoop trusts a cache dir only when no other user can write to it or any
# directory above it, so the cache goes under /var/cache, not /tmp.
# Needs: $1 the gosnoop binary. Sets: XDG_CACHE_HOME (exported), python_env;
# the caller removes $XDG_CACHE_HOME when done.
bench_headers() {
	local gosnoop=$1 headers
	XDG_CACHE_HOME=$(mktemp -d /var/cache/gosnoop-bench.XXXXXX)
	export XDG_CACHE_HOME
	python_env=()
	if [ -z "${BCC_KERNEL_SOURCE:-}" ] && [ ! -e "/lib/modules/$(uname -r)/build" ]; then
		"$gosnoop" open -d 100ms >/dev/null 2>"$XDG_CACHE_HOME/prepare.err" || { cat "$XDG_CACHE_HOME/prepare.err" >&2; return 1; }
		headers=$(find "$XDG_CACHE_HOME/gosnoop" -maxdepth 1 \( -name 'btf-headers-*' -o -name 'minimal-headers-*' \) -type d | sort | head -n1)
		[ -n "$headers" ] || { echo "bench: gosnoop wrote no header tree under $XDG_CACHE_HOME" >&2; return 1; }
		python_env=(BCC_KERNEL_SOURCE="$headers")
	fi
}
