#!/usr/bin/env bash
# Rebuilds kernel.btf from kernel.c: DWARF from gcc, BTF from pahole (the
# dwarves package, as kernel builds use), the raw .BTF section like
# /sys/kernel/btf/vmlinux. Needs gcc, pahole and objcopy.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -g -c -o "$tmp/kernel.o" kernel.c
pahole -J "$tmp/kernel.o"
objcopy --dump-section .BTF=kernel.btf "$tmp/kernel.o"
