#!/usr/bin/env bash
# bench-headers.sh: what gosnoop's header trees cost. Compiles open's program
# against each tree this machine has (gosnoop's minimal tree, its BTF tree,
# installed headers) and a program reading task_struct against those that
# declare it, RUNS times each in one go test run, and times generating the
# BTF header; prints a markdown table with each compile's ratio to the
# minimal tree's. Exits 0: it is a benchmark, not a test.
#
# Usage: scripts/bench-headers.sh [-n RUNS]
#   GOSNOOP_BENCH_HOST_HEADERS=DIR  time a kernel source tree as installed
#                                   headers where the machine has none
set -euo pipefail

runs=${BENCH_HEADERS_RUNS:-7}
usage() { sed -n '/^# Usage:/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts n:h opt; do
	case $opt in
	n) runs=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-headers: -n wants a count, not $runs" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY,BENCH_HEADERS_RUNS,GOSNOOP_BENCH_HOST_HEADERS "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
cd "$(dirname "$here")"
export PATH=$PATH:/usr/local/go/bin
"$here/setup.sh" >&2

out=$(go test -run XXX -bench 'BenchmarkCompileTrees|BenchmarkGenerateVmlinux' -benchtime "${runs}x" \
	./internal/bcc ./internal/btfheader)
printf '%s\n' "$out" >&2
printf '%s\n' "$out" | awk '
	/^BenchmarkCompileTrees\// {
		split($1, part, "/"); prog = part[2]; tree = part[3]; sub(/-[0-9]+$/, "", tree)
		ms[prog "/" tree] = $3 / 1e6; order[++n] = prog "/" tree
	}
	/^BenchmarkGenerateVmlinux/ { gen = $3 / 1e6; bytes = $5 }
	END {
		print "| program | tree | compile (ms) | ratio to minimal |"
		print "|---|---|---|---|"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(k, p, "/")
			base = ms["open/minimal"]
			ratio = (p[1] == "open" && base > 0) ? sprintf("%.2f", ms[k] / base) : "–"
			printf "| %s | %s | %.0f | %s |\n", p[1], p[2], ms[k], ratio
		}
		if (gen > 0) printf "\nGenerating the BTF header (task_struct, file): %.1f ms, %d bytes.\n", gen, bytes
	}'
