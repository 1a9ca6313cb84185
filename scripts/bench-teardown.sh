#!/usr/bin/env bash
# bench-teardown.sh: how long a tracer takes from SIGINT to its exit, which
# is mostly the kernel detaching its tracepoints: gosnoop open in each output
# mode, side by side with bpftrace's opensnoop.bt and the python-bcc
# opensnoop on the same tracepoints (scripts/bench/opensnoop_tp.py).
#
# Each tracer is started, left to trace for a second after it says it is
# tracing, sent SIGINT, and timed until its exit; RUNS times, median and
# range shown, with the ratio of each median to bpftrace's. Prints a
# markdown table on stdout and exits 0: it is a benchmark, not a test.
#
# Usage: scripts/bench-teardown.sh [-n RUNS]
set -euo pipefail

runs=${BENCH_TEARDOWN_RUNS:-7}
usage() { sed -n '/^# Usage:/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts n:h opt; do
	case $opt in
	n) runs=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-teardown: -n wants a count, not $runs" >&2; exit 2; }

say() { printf 'bench-teardown: %s\n' "$*" >&2; }
if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY,BENCH_TEARDOWN_RUNS "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
export PATH=$PATH:/usr/local/go/bin

"$here/setup.sh" >&2
# The other tracers.
. "$here/bench/peers.sh"
bench_peers || exit 1

tmp=$(mktemp -d /tmp/gosnoop-teardown.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
	rm -rf "$tmp" "${XDG_CACHE_HOME:-}"
}
trap cleanup EXIT
(cd "$repo" && go build -o "$tmp/gosnoop" .)
# python-bcc gets gosnoop's minimal header tree where the kernel has none.
. "$here/bench/headers.sh"
bench_headers "$tmp/gosnoop" || exit 1

# measure READY-PATTERN CMD...: prints one SIGINT-to-exit time in ms.
measure() {
	local ready=$1; shift
	local err=$tmp/stderr out=$tmp/stdout
	: >"$err"
	"$@" >"$out" 2>"$err" &
	pid=$!
	local i
	for i in $(seq 600); do
		grep -q -- "$ready" "$err" "$out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { say "$* exited early: $(tail -3 "$err")"; pid=; echo NaN; return; }
		sleep 0.05
	done
	sleep 1
	local t0 t1
	t0=$(date +%s%N)
	kill -INT "$pid"
	wait "$pid" || true
	t1=$(date +%s%N)
	pid=
	echo $(( (t1 - t0) / 1000000 ))
}

# row NAME READY CMD...: runs measure RUNS times; prints "median min max".
row() {
	local name=$1 ready=$2; shift 2
	local times=() i
	for i in $(seq "$runs"); do
		times+=("$(measure "$ready" "$@")")
	done
	say "$name: ${times[*]} ms"
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}

declare -A med lo hi
order=()
add() {
	local name=$1; shift
	read -r m l h < <(row "$name" "$@")
	med[$name]=$m lo[$name]=$l hi[$name]=$h
	order+=("$name")
}
add "gosnoop open (ringbuf)" "Hit Ctrl-C" "$tmp/gosnoop" open --output ringbuf
add "gosnoop open (perf)" "Hit Ctrl-C" "$tmp/gosnoop" open --output perf
add "gosnoop open (trace-pipe)" "Hit Ctrl-C" "$tmp/gosnoop" open --output trace-pipe
add "bpftrace opensnoop.bt" "Tracing open" bpftrace "$opensnoop_bt"
add "python-bcc opensnoop_tp.py" "Hit Ctrl-C" env "${python_env[@]}" "$python" "$here/bench/opensnoop_tp.py"

peer=${med["bpftrace opensnoop.bt"]}
echo "$(uname -r), $(nproc) CPUs; SIGINT to exit, $runs runs each."
echo
echo "| tracer | median ms | range ms | ratio to bpftrace |"
echo "|---|---|---|---|"
for name in "${order[@]}"; do
	ratio=$(awk -v a="${med[$name]}" -v b="$peer" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }')
	echo "| $name | ${med[$name]} | ${lo[$name]}–${hi[$name]} | $ratio |"
done
