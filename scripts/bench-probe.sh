#!/usr/bin/env bash
# bench-probe.sh: what an in-kernel count() costs per event beside streaming
# the same events to gosnoop, on the same tracepoint and workload.
#
# The workload is dd copying /dev/zero to /dev/null one byte at a time: one
# read(2) of 1 byte per byte. Each round runs, one after another: dd
# untraced, then under gosnoop probe on t:syscalls:sys_enter_read with the
# predicate (args->count == 1) and each of
#   count    count()
#   by-comm  count() by $comm
#   hist     hist(args->fd) by $pid
#   stream   "%d", args->fd        (every event sent to gosnoop and printed)
# For each it reports, as medians over the rounds: dd's time as a ratio to
# the untraced run of the same round, the BPF program's own time per run
# (kernel.bpf_stats_enabled; one run per read(2) of anyone on the machine),
# gosnoop's CPU time per million events, and the events gosnoop lost.
# Prints a markdown table on stdout and progress on stderr; exits 0 whatever
# the numbers: it is a benchmark, not a test.
#
# Usage: scripts/bench-probe.sh [-n BYTES] [-r ROUNDS]
#   -n BYTES   dd's reads per run (default 1000000; env BENCH_READS)
#   -r ROUNDS  rounds, medians shown (default 5; env BENCH_ROUNDS)
# Env GOSNOOP: the binary to run (default: built from this tree).
set -euo pipefail

reads=${BENCH_READS:-1000000}
rounds=${BENCH_ROUNDS:-5}
usage() { sed -n '/^# Usage:/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts n:r:h opt; do
	case $opt in
	n) reads=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $reads =~ ^[1-9][0-9]*$ ]] || { echo "bench: -n wants a number of reads, not $reads" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench: -r wants a number of rounds, not $rounds" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (it loads BPF programs)" >&2; exit 1; }

say() { printf 'bench: %s\n' "$*" >&2; }
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
stats_file=/proc/sys/kernel/bpf_stats_enabled
stats_before=$(cat "$stats_file")
tracer=
cleanup() {
	[ -z "$tracer" ] || kill -INT "$tracer" 2>/dev/null || true
	echo "$stats_before" >"$stats_file"
	rm -rf "$work"
}
trap cleanup EXIT
echo 1 >"$stats_file"

gosnoop=${GOSNOOP:-}
if [ -z "$gosnoop" ]; then
	gosnoop=$work/gosnoop
	(cd "$root" && go build -o "$gosnoop" .)
fi

spec_head='t:syscalls:sys_enter_read (args->count == 1)'
declare -A specs=(
	[count]="$spec_head count()"
	[by-comm]="$spec_head count() by \$comm"
	[hist]="$spec_head hist(args->fd) by \$pid"
	[stream]="$spec_head \"%d\", args->fd"
)
modes=(count by-comm hist stream)

now() { date +%s%N; }
# workload: dd's run time in ns.
workload() {
	local t0 t1
	t0=$(now)
	dd if=/dev/zero of=/dev/null bs=1 count="$reads" status=none
	t1=$(now)
	echo $((t1 - t0))
}
# bpf_stats PID: run time (ns) and runs of the BPF programs PID holds.
bpf_stats() {
	awk '/^run_time_ns:/ { t += $2 } /^run_cnt:/ { c += $2 } END { printf "%d %d\n", t, c }' \
		$(grep -lE '^prog_type:' "/proc/$1"/fdinfo/* 2>/dev/null) /dev/null
}
# cpu_ns PID: the user and system time PID has used, in ns.
cpu_ns() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"; }

# traced MODE: runs the workload under gosnoop; prints "ratio-input ns
# bpf_ns_per_run cpu_ns events lost".
traced() {
	local mode=$1 err=$work/err out=$work/out
	: >"$err"
	"$gosnoop" probe "${specs[$mode]}" >"$out" 2>"$err" &
	tracer=$!
	for _ in $(seq 1 300); do
		grep -q '^Tracing' "$err" && break
		kill -0 "$tracer" 2>/dev/null || { say "gosnoop ended: $(cat "$err")"; exit 1; }
		sleep 0.1
	done
	read -r bt0 bc0 < <(bpf_stats "$tracer")
	local c0 ns bt1 bc1 c1
	c0=$(cpu_ns "$tracer")
	ns=$(workload)
	read -r bt1 bc1 < <(bpf_stats "$tracer")
	c1=$(cpu_ns "$tracer")
	kill -INT "$tracer"
	wait "$tracer" || true
	tracer=
	local summary events lost
	summary=$(grep -E '^gosnoop: [0-9]+ events?, [0-9]+ lost' "$err" | tail -1)
	events=$(sed -E 's/^gosnoop: ([0-9]+) .*/\1/' <<<"$summary")
	lost=$(sed -E 's/.*, ([0-9]+) lost.*/\1/' <<<"$summary")
	local runs=$((bc1 - bc0))
	((runs > 0)) || runs=1
	echo "$ns $(((bt1 - bt0) / runs)) $((c1 - c0)) ${events:-0} ${lost:-0}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for r in $(seq 1 "$rounds"); do
	base=$(workload)
	echo "$base" >>"$work/untraced"
	for mode in "${modes[@]}"; do
		read -r ns bpf cpu events lost < <(traced "$mode")
		awk -v a="$ns" -v b="$base" 'BEGIN { printf "%.3f\n", a / b }' >>"$work/$mode.ratio"
		echo "$bpf" >>"$work/$mode.bpf"
		awk -v c="$cpu" -v e="$events" -v l="$lost" 'BEGIN { n = e + l; printf "%.0f\n", n ? c / n : 0 }' >>"$work/$mode.cpu"
		echo "$lost" >>"$work/$mode.lost"
		echo "$events" >>"$work/$mode.events"
	done
	say "round $r of $rounds done"
done

echo "| probe ($reads 1-byte reads, median of $rounds) | dd time vs untraced | BPF ns per run | gosnoop CPU ns per event | events | lost |"
echo "|---|---|---|---|---|---|"
echo "| untraced: $(median <"$work/untraced") ns | 1 | - | - | - | - |"
for mode in "${modes[@]}"; do
	echo "| \`${specs[$mode]}\` | $(median <"$work/$mode.ratio") | $(median <"$work/$mode.bpf") | $(median <"$work/$mode.cpu") | $(median <"$work/$mode.events") | $(median <"$work/$mode.lost") |"
done
