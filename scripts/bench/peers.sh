# Sourced by the bench scripts: installs the tracers gosnoop is compared
# with, bpftrace and python-bcc. python3-bpfcc installs for Debian's
# /usr/bin/python3, whatever python3 comes first in PATH.
# Sets: python, opensnoop_bt. Returns 1 when opensnoop.bt cannot be found.
bench_peers() {
	python=/usr/bin/python3
	local need=() f
	command -v bpftrace >/dev/null || need+=(bpftrace)
	[ -x "$python" ] && "$python" -c 'import bcc' 2>/dev/null || need+=(python3-bpfcc)
	if [ ${#need[@]} -gt 0 ]; then
		echo "bench: installing ${need[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >&2
	fi
	opensnoop_bt=
	for f in /usr/sbin/opensnoop.bt /usr/share/bpftrace/tools/opensnoop.bt /usr/share/doc/bpftrace/tools/opensnoop.bt; do
		[ -e "$f" ] && { opensnoop_bt=$f; return 0; }
	done
	echo "bench: no opensnoop.bt found (package bpftrace)" >&2
	return 1
}
