#!/usr/bin/env bash
# Installs what gosnoop needs to build, run and test on Debian 12 or Ubuntu
# 22.04+: libbcc, a C compiler for cgo, the kernel's UAPI headers, Go, and a
# mounted tracefs. Safe to run again; installs only what is missing.
set -euo pipefail

# Go: gosnoop's go.mod asks for 1.22 or newer.
GO_MIN=1.22

say() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY "$0" "$@"
fi

need=()
[ -e /usr/include/bcc/libbpf.h ] || need+=(libbpfcc-dev)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
[ -e /usr/include/linux/types.h ] || need+=(linux-libc-dev)
command -v make >/dev/null || need+=(make)
command -v mount >/dev/null || need+=(mount)

go_ok() {
	command -v go >/dev/null || return 1
	local v
	v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
	[ "$(printf '%s\n%s\n' "$GO_MIN" "$v" | sort -V | head -n1)" = "$GO_MIN" ]
}
if ! go_ok && [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi
if ! go_ok; then
	# Debian 12's golang is 1.19; bookworm-backports carries newer ones.
	need+=(golang-go)
fi

if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if ! go_ok; then
	say "Go $GO_MIN or newer is needed (found: $(go version 2>/dev/null || echo none));"
	say "on Debian 12: apt-get install -t bookworm-backports golang-1.22-go && export PATH=/usr/lib/go-1.22/bin:\$PATH"
	exit 1
fi

# Real kernel headers make kernel structs available; without them gosnoop uses
# its own minimal tree. Install them when the distribution has a package for
# the running kernel, and carry on quietly when it does not.
release=$(uname -r)
if [ ! -e "/lib/modules/$release/build" ] && apt-cache show "linux-headers-$release" >/dev/null 2>&1; then
	say "installing linux-headers-$release"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "linux-headers-$release" || say "kernel headers not installed; gosnoop will use its minimal header tree"
fi

if [ ! -e /sys/kernel/tracing/trace_pipe ] && [ ! -e /sys/kernel/debug/tracing/trace_pipe ]; then
	say "mounting tracefs at /sys/kernel/tracing"
	mkdir -p /sys/kernel/tracing 2>/dev/null || true
	mount -t tracefs tracefs /sys/kernel/tracing
fi
say "ready"
