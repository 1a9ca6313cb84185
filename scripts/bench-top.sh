#!/usr/bin/env bash
# bench-top.sh: what `gosnoop top` costs a read-heavy workload. A paced loop
# (scripts/bench/readloop.c) reads one byte with pread(2) RATE times a second
# for SECONDS, untraced and under `gosnoop top --json 1`, alternately, RUNS
# times each. Shows the workload's CPU per read and its ratio to untraced,
# gosnoop's own CPU while it traced, and whether top counted every read
# (the rows of readloop's file summed over the intervals). Prints a markdown
# table on stdout and exits 0: it is a benchmark, not a test.
#
# Usage: scripts/bench-top.sh [-r RATE] [-d SECONDS] [-n RUNS]
set -euo pipefail

rate=${BENCH_TOP_RATE:-100000}
seconds=${BENCH_TOP_SECONDS:-5}
runs=${BENCH_TOP_RUNS:-3}
usage() { sed -n '/^# Usage:/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts r:d:n:h opt; do
	case $opt in
	r) rate=$OPTARG ;;
	d) seconds=$OPTARG ;;
	n) runs=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $rate =~ ^[1-9][0-9]{3,}$ ]] || { echo "bench-top: -r wants reads per second, 1000 or more, not $rate" >&2; exit 2; }
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "bench-top: -d wants whole seconds, not $seconds" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-top: -n wants a count, not $runs" >&2; exit 2; }

say() { printf 'bench-top: %s\n' "$*" >&2; }
if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY,BENCH_TOP_RATE,BENCH_TOP_SECONDS,BENCH_TOP_RUNS "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
export PATH=$PATH:/usr/local/go/bin
"$here/setup.sh" >&2

tmp=$(mktemp -d /tmp/gosnoop-bench-top.XXXXXX)
tracer=
cleanup() {
	[ -z "$tracer" ] || kill "$tracer" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
gcc -O2 -Wall -o "$tmp/readloop" "$here/bench/readloop.c"
(cd "$repo" && go build -o "$tmp/gosnoop" .)
printf 'x' >"$tmp/marker"

# cpu_ticks PID: user+system clock ticks of a process so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

for i in $(seq "$runs"); do
	say "run $i of $runs: untraced"
	"$tmp/readloop" "$tmp/marker" "$rate" "$seconds" >>"$tmp/untraced"
	say "run $i of $runs: gosnoop top"
	"$tmp/gosnoop" top --json 1 >"$tmp/top.$i.json" 2>"$tmp/top.$i.err" &
	tracer=$!
	until grep -q 'Hit Ctrl-C' "$tmp/top.$i.err"; do
		kill -0 "$tracer" 2>/dev/null || { cat "$tmp/top.$i.err" >&2; exit 1; }
		sleep 0.05
	done
	before=$(cpu_ticks "$tracer")
	"$tmp/readloop" "$tmp/marker" "$rate" "$seconds" >>"$tmp/traced"
	after=$(cpu_ticks "$tracer")
	sleep 1.5 # the interval holding the last reads ends
	kill -INT "$tracer"
	wait "$tracer" || true
	tracer=
	echo "$(((after - before)))" >>"$tmp/tracer-ticks"
	python3 - "$tmp/top.$i.json" "$tmp/marker" >>"$tmp/counted" <<'PY'
import json, os, sys
name = os.path.basename(sys.argv[2])
total = 0
for line in open(sys.argv[1]):
    for row in json.loads(line)["rows"]:
        if row["comm"] == "readloop" and row["file"] == name:
            total += row["reads"]
print(total)
PY
done

python3 - "$tmp" "$seconds" "$hz" <<'PY'
import statistics, sys
tmp, seconds, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def runs(name):
    out = []
    for line in open(f"{tmp}/{name}"):
        f = dict(kv.split("=") for kv in line.split()[1:])
        out.append((int(f["reads"]), float(f["cpu_seconds"]), float(f["reads_per_sec"])))
    return out
untraced, traced = runs("untraced"), runs("traced")
counted = [int(l) for l in open(f"{tmp}/counted")]
ticks = [int(l) for l in open(f"{tmp}/tracer-ticks")]
per = lambda rs: statistics.median(cpu / n * 1e6 for n, cpu, _ in rs)
# gosnoop's CPU while the workload ran, to the clock tick's resolution.
def cpu_share(t):
    tick = 100 / hz / seconds
    return f"under {tick:.1f}% of a CPU" if t == 0 else f"{t * tick:.1f}% of a CPU"
base = per(untraced)
print("| run | reads/s | workload CPU per read (µs) | ratio to untraced | gosnoop CPU | reads counted by top |")
print("|---|---|---|---|---|---|")
print(f"| untraced | {statistics.median(r for _, _, r in untraced):,.0f} | {base:.2f} | 1.00 | – | – |")
exact = sum(c == n for c, (n, _, _) in zip(counted, traced))
print(f"| gosnoop top | {statistics.median(r for _, _, r in traced):,.0f} | {per(traced):.2f} | {per(traced) / base:.2f} | "
      f"{cpu_share(statistics.median(ticks))} | {exact} of {len(traced)} runs exact |")
PY
