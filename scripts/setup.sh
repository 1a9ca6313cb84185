#!/usr/bin/env bash
# Installs what gosnoop needs to build, run and test on Debian 12 or Ubuntu
# 22.04+: libbcc, libbpf, a C compiler for cgo, the kernel's UAPI headers, Go (from
# Debian backports where the release's own is too old), the running kernel's
# headers where the distribution has them, and a mounted tracefs. Safe to run
# again; installs only what is missing. It also provisions the Vagrant lab.
set -euo pipefail

# Go: gosnoop's go.mod asks for 1.22 or newer.
GO_MIN=1.22

say() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY "$0" "$@"
fi

need=()
[ -e /usr/include/bcc/libbpf.h ] || need+=(libbpfcc-dev)
# libbpf's btf_dump writes the kernel types of the header tree made from BTF.
[ -e /usr/include/bpf/btf.h ] || need+=(libbpf-dev)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
[ -e /usr/include/linux/types.h ] || need+=(linux-libc-dev)
command -v make >/dev/null || need+=(make)
command -v mount >/dev/null || need+=(mount)
# go build fetches modules over HTTPS.
[ -e /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)

go_ok() {
	command -v go >/dev/null || return 1
	version_ok "$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
}
version_ok() { [ "$(printf '%s\n%s\n' "$GO_MIN" "$1" | sort -V | head -n1)" = "$GO_MIN" ]; }
# candidate PACKAGE [RELEASE] prints the version apt would install, as a Go
# version: 2:1.23~2~bpo12+1 -> 1.23.
candidate() {
	apt-cache -o APT::Default-Release="${2:-}" policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }' |
		sed 's/^[0-9]*://; s/[~+-].*//'
}

# debian_uri SUITE: the URI of the host's apt source for SUITE main.
. "$(dirname "$0")/apt-source.sh"

export DEBIAN_FRONTEND=noninteractive
updated=
apt_update() { [ -n "$updated" ] || apt-get update -q; updated=1; }

if ! go_ok && [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi
if ! go_ok; then
	apt_update
	# shellcheck disable=SC1091
	. /etc/os-release
	target=() release=
	v=$(candidate golang-go)
	if [ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] && ! version_ok "${v:-0}"; then
		# Debian 12's golang-go is 1.19; bookworm-backports' is 1.23.
		backports=$VERSION_CODENAME-backports
		if ! grep -qsw -- "$backports" /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
			uri=$(debian_uri "$VERSION_CODENAME" | head -n1)
			if [ -z "$uri" ]; then
				say "Go $GO_MIN or newer is needed and golang-go here is ${v:-missing}; no apt source for $VERSION_CODENAME main to derive $backports from"
				exit 1
			fi
			say "adding $backports ($uri) for Go $GO_MIN+"
			echo "deb $uri $backports main" >/etc/apt/sources.list.d/gosnoop-backports.list
			updated=
			apt_update
		fi
		target=(-t "$backports") release=$backports
	fi
	say "installing golang-go $(candidate golang-go "$release") ${target[*]}"
	apt-get install -y -q --no-install-recommends "${target[@]}" golang-go || true
	hash -r
	if ! go_ok; then
		# Ubuntu 22.04's golang-go is 1.18; its updates carry versioned golang-1.NN-go.
		pkg=$(apt-cache pkgnames golang-1. | grep -E '^golang-1\.[0-9]+-go$' | sort -V | tail -n1)
		if [ -n "$pkg" ] && version_ok "$(candidate "$pkg")"; then
			say "installing $pkg"
			apt-get install -y -q --no-install-recommends "$pkg"
			dir=/usr/lib/go-${pkg#golang-}
			dir=${dir%-go}
			ln -sf "$dir/bin/go" /usr/local/bin/go
			ln -sf "$dir/bin/gofmt" /usr/local/bin/gofmt
			hash -r
		fi
	fi
fi
if ! go_ok; then
	say "Go $GO_MIN or newer is needed (found: $(go version 2>/dev/null || echo none)); install it and put it on PATH"
	exit 1
fi

if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	apt_update
	apt-get install -y -q --no-install-recommends "${need[@]}"
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
