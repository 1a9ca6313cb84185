#!/usr/bin/env bash
# Checks the Vagrantfile (the tutorial lab) without booting anything: CI cannot
# download boxes, so `vagrant up` is not run here. Installs Debian's vagrant
# and vagrant-libvirt when missing, then validates twice:
#   vagrant validate --ignore-provider            everything but provider blocks
#   VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate   the libvirt block too
# (VirtualBox is not in Debian, so its block is only checked as Ruby.)
# Vagrant's state goes to a temporary directory, not .vagrant/ or ~/.vagrant.d.
set -euo pipefail

say() { printf 'vagrant-validate: %s\n' "$*" >&2; }

cd "$(dirname "$0")/.."

if ! command -v vagrant >/dev/null || ! dpkg -s vagrant-libvirt >/dev/null 2>&1; then
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	say "installing vagrant vagrant-libvirt"
	t0=$SECONDS
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends vagrant vagrant-libvirt
	say "installed in $((SECONDS - t0))s"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VAGRANT_HOME=$tmp/home VAGRANT_DOTFILE_PATH=$tmp/dotfile VAGRANT_CHECKPOINT_DISABLE=1
vagrant --version
vagrant validate --ignore-provider
VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate
