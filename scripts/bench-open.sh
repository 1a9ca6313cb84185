#!/usr/bin/env bash
# bench-open.sh: how much `gosnoop open` slows an open-heavy workload, how many
# events it delivers and loses, what it costs in CPU and memory, and how soon
# after exec it shows its first event; side by side with bpftrace's
# opensnoop.bt and a python-bcc opensnoop on the same tracepoints
# (scripts/bench/opensnoop_tp.py).
#
# The tracers run one after another, never together, each while the same
# single-threaded open/close loop (scripts/bench/openloop.c) runs for the same
# time. Prints a markdown table on stdout and progress on stderr, and exits 0
# whatever the numbers: it is a benchmark, not a test.
#
# Usage: scripts/bench-open.sh [-d SECONDS] [-f RUNS]
#   -d SECONDS  workload duration per tracer (default 5; env BENCH_SECONDS)
#   -p PAIRS    1 s untraced/traced pairs per tracer for the ratio, median of
#               each side (default 7; env BENCH_PAIRS)
#   -f RUNS     first-event measurements per tracer, median shown (default 3;
#               env BENCH_FIRST_RUNS)
# Env BENCH_QUIET_WAIT: seconds in all (default 1200) to spend waiting, before
# each measurement, for a quiet machine: no qemu-system guest, no other
# process holding tracing BPF programs (another tracer on the open
# tracepoints slows the workload directly), under a quarter of a CPU busy.
# Rows measured while something else ran anyway say so.
set -euo pipefail

duration=${BENCH_SECONDS:-5}
first_runs=${BENCH_FIRST_RUNS:-3}
pairs=${BENCH_PAIRS:-7}
quiet_wait=${BENCH_QUIET_WAIT:-1200}

usage() { sed -n '/^# Usage:/,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while getopts d:f:p:h opt; do
	case $opt in
	d) duration=$OPTARG ;;
	f) first_runs=$OPTARG ;;
	p) pairs=$OPTARG ;;
	*) usage ;;
	esac
done
[[ $duration =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "bench: -d wants seconds, not $duration" >&2; exit 2; }
[[ $first_runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: -f wants a count, not $first_runs" >&2; exit 2; }
[[ $pairs =~ ^[1-9][0-9]*$ ]] || { echo "bench: -p wants a count, not $pairs" >&2; exit 2; }
[[ $quiet_wait =~ ^[0-9]+$ ]] || { echo "bench: BENCH_QUIET_WAIT wants seconds, not $quiet_wait" >&2; exit 2; }

say() { printf 'bench: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	exec sudo --preserve-env=PATH,GOFLAGS,GOPROXY,BENCH_SECONDS,BENCH_FIRST_RUNS,BENCH_QUIET_WAIT "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
export PATH=$PATH:/usr/local/go/bin

# gosnoop's own dependencies and a mounted tracefs.
"$here/setup.sh"

# The other tracers.
. "$here/bench/peers.sh"
bench_peers || exit 1

# The kernel counts each BPF program's runs and run time only while asked.
stats_file=/proc/sys/kernel/bpf_stats_enabled
old_stats=$(cat "$stats_file" 2>/dev/null || echo 0)
echo 1 >"$stats_file" 2>/dev/null || say "cannot enable $stats_file: no BPF ns/open"

tmp=$(mktemp -d /tmp/gosnoop-bench.XXXXXX)
tracer_pid=
reader_pid=
watch_pid=
cleanup() {
	# A tracer left running would keep tracing the whole machine.
	local p
	for p in $tracer_pid $reader_pid $watch_pid; do
		kill -INT "$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in $tracer_pid $reader_pid $watch_pid; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$tmp" "${XDG_CACHE_HOME:-}"
	echo "$old_stats" >"$stats_file" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

say "building gosnoop and the helpers in $tmp"
(cd "$repo" && go build -o "$tmp/gosnoop" .)
gcc -O2 -Wall -o "$tmp/openloop" "$here/bench/openloop.c"
gcc -O2 -Wall -o "$tmp/firstevent" "$here/bench/firstevent.c"
marker=$tmp/open-marker
first_marker=$tmp/first-marker
touch "$marker" "$first_marker"

# python-bcc gets gosnoop's minimal header tree where the kernel has none.
. "$here/bench/headers.sh"
bench_headers "$tmp/gosnoop" || exit 1
python_cmd=(env "${python_env[@]}" "$python" "$here/bench/opensnoop_tp.py")

now() { date +%s.%N; }

hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# cpu_ticks PID: utime+stime of the whole process.
cpu_ticks() {
	local stat rest
	stat=$(<"/proc/$1/stat") || return 1
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	echo $((${12} + ${13}))
}

# bpf_stats PID: the run time (ns) of every BPF program PID holds, summed,
# and the most runs of any one of them, from their fdinfo; the kernel counts
# these while kernel.bpf_stats_enabled is 1.
bpf_stats() {
	awk '/^run_time_ns:/ { t += $2 } /^run_cnt:/ { if ($2 > c) c = $2 } END { printf "%d %d\n", t, c }' \
		$(grep -lE '^prog_type:' "/proc/$1"/fdinfo/* 2>/dev/null) /dev/null
}

# busy_ticks: CPU time the whole machine spent not idle.
busy_ticks() {
	local cpu user nice system idle iowait irq softirq steal rest
	read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
	echo $((user + nice + system + irq + softirq + steal))
}

# others PID...: what, apart from PIDs, could skew a measurement: a
# qemu-system guest, or a holder of kprobe, tracepoint, raw tracepoint or
# tracing BPF programs (types 2, 5, 17, 26); one "comm(pid)" each.
others() {
	local pid skip
	{
		pgrep qemu-system || true
		# Files come and go while grep reads them: its status means nothing.
		{ grep -lE '^prog_type:[[:space:]]+(2|5|17|26)$' /proc/[0-9]*/fdinfo/* 2>/dev/null || true; } | cut -d/ -f3
	} | sort -u | while read -r pid; do
		for skip in "$@"; do
			[ "$pid" = "$skip" ] && continue 2
		done
		echo "$(cat "/proc/$pid/comm" 2>/dev/null)($pid)"
	done | tr '\n' ' '
}

# wait_quiet: until others names nobody and the machine is under 25% of a
# CPU busy over a second, while the quiet_wait budget lasts.
waited=0
wait_quiet() {
	local b0 b1 who
	while [ "$waited" -lt "$quiet_wait" ]; do
		b0=$(busy_ticks)
		sleep 1
		b1=$(busy_ticks)
		who=$(others)
		if [ -z "$who" ] && [ $((100 * (b1 - b0))) -lt $((25 * hz)) ]; then
			return
		fi
		if [ $((waited % 60)) -eq 0 ]; then
			say "waiting for a quiet machine: $((100 * (b1 - b0) / hz))% of a CPU busy${who:+; running: $who}"
		fi
		sleep 4
		waited=$((waited + 5))
		if [ "$waited" -ge "$quiet_wait" ]; then
			say "waited ${quiet_wait}s in all for a quiet machine; measuring without waiting from now on"
		fi
	done
}

# wait_for FILE REGEX PID SECONDS: until FILE has a line matching REGEX.
wait_for() {
	local deadline
	deadline=$(awk -v n="$(now)" -v s="$4" 'BEGIN { printf "%.0f", n + s }')
	until grep -Eq "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || return 1
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# stop PID: SIGINT, then SIGKILL after 30 s; returns once it is gone.
stop() {
	local i
	kill -INT "$1" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		say "pid $1 ignored SIGINT for 30 s; killing it"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

# workload PID...: runs openloop, watching for others apart from PIDs (the
# tracer and its reader). Sets opens, rate, other (the CPU share of all but
# the workload and PIDs) and intruders (what others named meanwhile).
workload() {
	local line b0 b1 p0=0 p1=0 p t0 t1 work
	for p in "$@"; do p0=$((p0 + $(cpu_ticks "$p"))); done
	(while :; do others "$@"; sleep 1; done) >"$tmp/others" &
	watch_pid=$!
	b0=$(busy_ticks)
	t0=$(now)
	line=$("$tmp/openloop" "$marker" "$duration")
	t1=$(now)
	b1=$(busy_ticks)
	for p in "$@"; do p1=$((p1 + $(cpu_ticks "$p"))); done
	kill "$watch_pid" 2>/dev/null || true
	wait "$watch_pid" 2>/dev/null || true
	watch_pid=
	opens=$(sed -n 's/.*opens=\([0-9]*\).*/\1/p' <<<"$line")
	rate=$(sed -n 's/.*opens_per_sec=\([0-9]*\).*/\1/p' <<<"$line")
	work=$(sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	other=$(awk -v b="$((b1 - b0 - (p1 - p0)))" -v hz="$hz" -v w="$work" -v t0="$t0" -v t1="$t1" \
		'BEGIN { o = (b / hz - w) / (t1 - t0); printf "%.0f%%", o < 0 ? 0 : 100 * o }')
	intruders=$(tr ' ' '\n' <"$tmp/others" | sed '/^$/d' | sort -u | tr '\n' ' ')
	intruders=${intruders% }
	if [ -n "$intruders" ]; then
		say "also running during the workload: $intruders"
	fi
}

# median_awk defines median(s) for awk: the median of the numbers in the
# space-separated string s.
median_awk='
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
		return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}'

# first_event cold|warm COMMAND...: median ms from exec to the first line
# naming the marker, over first_runs runs, with COMMAND's stdout on
# firstevent's pipe. cold: each run with an empty cache dir of its own (no
# compile cache entry, no header tree); warm: a cache dir one untimed run
# filled.
first_event() {
	local temp=$1 i ms all=() cache
	shift
	if [ "$temp" = warm ]; then
		cache=$(mktemp -d "$XDG_CACHE_HOME/warm.XXXXXX")
		XDG_CACHE_HOME=$cache "$tmp/firstevent" "$first_marker" 60 "$@" >/dev/null 2>>"$tmp/first.err"
	fi
	for ((i = 0; i < first_runs; i++)); do
		wait_quiet
		[ "$temp" = warm ] || cache=$(mktemp -d "$XDG_CACHE_HOME/cold.XXXXXX")
		ms=$(XDG_CACHE_HOME=$cache "$tmp/firstevent" "$first_marker" 60 "$@" 2>>"$tmp/first.err" | sed -n 's/^firstevent ms=//p')
		[ "$temp" = warm ] || rm -rf "$cache"
		all+=("${ms:-error}")
	done
	[ "$temp" = cold ] || rm -rf "$cache"
	say "first event, $temp (ms): ${all[*]}"
	printf '%s\n' "${all[@]}" | awk "$median_awk"'
		/^[0-9.]+$/ { v = v " " $1; next } { bad++ }
		END {
			if (v == "") { print "timeout"; exit }
			printf "%.0f ms", median(v)
			if (bad) printf " (%d timed out)", bad
			print ""
		}'
}

rows=()
notes=()
row_fields=()
untraced_rates=()
untraced_other=()

# untraced: the workload alone; its rate goes into untraced_rates.
untraced() {
	wait_quiet
	say "untraced workload, ${duration}s"
	workload
	untraced_rates+=("$rate")
	untraced_other+=("$other")
	note_intruders "untraced run ${#untraced_rates[@]}"
	say "untraced: $rate opens/s, others $other"
}

# note_intruders WHAT: a footnote naming the last workload's intruders, if
# any; prints its mark.
mark=
note_intruders() {
	mark=
	if [ -n "$intruders" ]; then
		notes+=("[$((${#notes[@]} + 1))] $1: also running: $intruders")
		mark=" [${#notes[@]}]"
	fi
}

# add_row BASE PAIR-RATIO TRACER OUTPUT STDOUT RATE DELIVERED LOST CPU BPFNS
# RSS COLD WARM OPENS OTHER: one table row; the 5 s ratio is RATE over BASE.
add_row() {
	rows+=("$(awk -v base="$1" -v pair="$2" -v tracer="$3" -v output="$4" -v out="$5" \
		-v rate="$6" -v delivered="$7" -v lost="$8" -v cpu="$9" -v bpfns="${10}" -v rss="${11}" -v first="${12}" \
		-v warm="${13}" -v opens="${14}" -v other="${15}" '
		function commas(n,   s) {
			if (n !~ /^[0-9]+$/) return n
			s = ""
			while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
			return n s
		}
		BEGIN {
			ratio = (base > 0 && rate ~ /^[0-9]+$/) ? sprintf("%.2f", rate / base) : "–"
			missing = "–"
			if (delivered ~ /^[0-9]+$/ && lost ~ /^[0-9]+$/)
				missing = commas(opens - delivered - lost < 0 ? 0 : opens - delivered - lost)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", tracer, output, out,
				commas(rate), pair, ratio, commas(delivered), commas(lost), missing, cpu, bpfns, rss, first, warm, other
		}')")
}

# trace NAME OUTPUT STDOUT-MODE READY-REGEX COMMAND...: one row. STDOUT-MODE
# is null (stdout to /dev/null; counts from the tracer's stderr summary) or
# count (stdout through a FIFO to an awk that counts lines and "Lost N
# events" lines). The tracer is ready when a line of its stderr (null) or
# stdout (count) matches READY-REGEX.
# launch MODE READY ERR COUNT COMMAND...: starts COMMAND in the background,
# stderr to ERR and stdout to /dev/null (MODE null) or through a FIFO to an
# awk that counts lines and "Lost N events" lines into COUNT (MODE count);
# sets tracer_pid (and reader_pid) and waits until a line of stderr (null)
# or stdout (count) matches READY: 1 if none does.
launch() {
	local mode=$1 ready=$2 err=$3 count=$4 fifo=$tmp/fifo ready_file=$3
	shift 4
	rm -f "$err" "$count" "$fifo" "$err.ready"
	if [ "$mode" = count ]; then
		ready_file=$err.ready
		mkfifo "$fifo"
		awk -v ready_re="$ready" -v ready_file="$ready_file" '
			!ready && $0 ~ ready_re { print > ready_file; close(ready_file); ready = 1; next }
			/^Lost [0-9]+ events/ { lost += $2; next }
			/^Attaching [0-9]+ probe|^Tracing open|^PID / { next }
			{ n++ }
			END { print n + 0, lost + 0 }' <"$fifo" >"$count" &
		reader_pid=$!
		"$@" >"$fifo" 2>"$err" &
	else
		"$@" >/dev/null 2>"$err" &
	fi
	tracer_pid=$!
	wait_for "$ready_file" "$ready" "$tracer_pid" 120
}

# drop_reader: once the tracer is stopped, waits up to 10 s for the count
# mode reader to end (the tracer's end closes the FIFO), then kills it.
drop_reader() {
	local i
	[ -n "$reader_pid" ] || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$reader_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$reader_pid" 2>/dev/null || true
	wait "$reader_pid" 2>/dev/null || true
	reader_pid=
}

trace() {
	local name=$1 output=$2 mode=$3 ready=$4
	shift 4
	local err=$tmp/tracer.err count=$tmp/count
	local delivered=– lost=– cpu=– rss=– bpfns=– c0 c1 t0 t1 bt0 bc0 bt1 bc1
	wait_quiet
	say "$name $output: tracing while the workload runs ${duration}s"
	if ! launch "$mode" "$ready" "$err" "$count" "$@"; then
		say "$name $output did not start: $(tail -n 3 "$err" | tr '\n' ' ')"
		stop "$tracer_pid"
		tracer_pid=
		drop_reader
		row_fields=("$name" "$output" "$mode" "did not start" – – – – – – – 0 –)
		return
	fi
	# Attaching goes on a moment after the start line for some tracers.
	sleep 1
	c0=$(cpu_ticks "$tracer_pid")
	t0=$(now)
	read -r bt0 bc0 < <(bpf_stats "$tracer_pid")
	# shellcheck disable=SC2086
	workload "$tracer_pid" $reader_pid
	# Time to drain what is still buffered.
	sleep 1
	read -r bt1 bc1 < <(bpf_stats "$tracer_pid")
	c1=$(cpu_ticks "$tracer_pid")
	t1=$(now)
	# Per event: every program's time over the runs of the busiest one (an
	# open runs each of an entry/exit pair once).
	bpfns=$(awk -v t="$((bt1 - bt0))" -v c="$((bc1 - bc0))" 'BEGIN { if (c > 0) printf "%.0f", t / c; else print "–" }')
	rss=$(awk '/^VmHWM:/ { printf "%.0f MB", $2 / 1024 }' "/proc/$tracer_pid/status")
	cpu=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f%%", 100 * c / hz / (t1 - t0) }')
	stop "$tracer_pid"
	tracer_pid=
	drop_reader
	if [ "$mode" = count ]; then
		read -r delivered lost <"$count" || true
		# bpftrace reports lost events on either stream, depending on version.
		lost=$((${lost:-0} + $(sed -n 's/.*Lost \([0-9]*\) events.*/\1/p' "$err" | awk '{ s += $1 } END { print s + 0 }')))
	else
		delivered=$(sed -En 's/^(gosnoop: )?([0-9]+) events, ([0-9]+) lost$/\2/p' "$err" | tail -n1)
		lost=$(sed -En 's/^(gosnoop: )?([0-9]+) events, ([0-9]+) lost$/\3/p' "$err" | tail -n1)
		: "${delivered:=no summary}" "${lost:=–}"
	fi
	say "$name $output: $rate opens/s, delivered $delivered, lost $lost, cpu $cpu, BPF $bpfns ns/open, rss $rss, others $other; timing the first event"
	note_intruders "$name $output"
	local cold warm=–
	cold=$(first_event cold "$@")
	if [ "$name" = gosnoop ]; then
		warm=$(first_event warm "$@")
	fi
	row_fields=("$name" "$output" "$mode" "$rate" "$delivered" "$lost" "$cpu" "$bpfns" "$rss" "$cold" "$warm" "$opens" "$other$mark")
}

# interleaved NAME MODE READY-REGEX COMMAND...: the traced/untraced rate
# ratio from $pairs pairs of 1 s runs, the workload alone and then under a
# freshly started tracer (stdout to /dev/null, or through the counting
# reader for count mode), as the median traced rate over the median
# untraced one: on this machine untraced rates swing by a third between
# runs, and pairs a second apart share the swing.
interleaved() {
	local name=$1 mode=$2 ready=$3 i u=() t=() saved=$duration
	shift 3
	duration=1
	for ((i = 0; i < pairs; i++)); do
		wait_quiet
		workload
		u+=("$rate")
		if launch "$mode" "$ready" "$tmp/pair.err" "$tmp/pair.count" "$@"; then
			sleep 0.5 # attaching goes on a moment after the start line for some
			workload "$tracer_pid" $reader_pid
			t+=("$rate")
		fi
		stop "$tracer_pid"
		tracer_pid=
		drop_reader
	done
	duration=$saved
	say "$name: untraced ${u[*]}; traced ${t[*]}"
	awk -v u="${u[*]}" -v t="${t[*]}" "$median_awk"'
		BEGIN { if (t == "" || u == "") print "–"; else printf "%.2f\n", median(t) / median(u) }'
}

# row TRACE-ARGS...: trace, then the workload alone again, and a table row
# with the ratio to the mean of the untraced runs just before and after, so
# that the machine's drift cancels out.
row() {
	local before=${untraced_rates[-1]} pair_ratio
	trace "$@"
	untraced
	pair_ratio=$(interleaved "$1 $2" "$3" "$4" "${@:5}")
	add_row "$(( (before + untraced_rates[-1]) / 2 ))" "$pair_ratio" "${row_fields[@]}"
}

untraced
gs=$tmp/gosnoop
for output in ringbuf perf trace-pipe; do
	row gosnoop "$output" null 'Tracing open' "$gs" open --output "$output"
	row gosnoop "$output --json" null 'Tracing open' "$gs" open --output "$output" --json
done
row bpftrace "opensnoop.bt" count '^Attaching [0-9]+ probe' bpftrace "$opensnoop_bt"
row python-bcc "perf, wakeup 64" null 'Tracing open' "${python_cmd[@]}"

# The untraced runs: median, and their spread around it.
untraced_row=$(printf '%s\n' "${untraced_rates[@]}" | sort -n | awk -v other="$(printf '%s\n' "${untraced_other[@]}" | sort -n | tail -n1)" '
	function commas(n,   s) {
		n = sprintf("%.0f", n)
		s = ""
		while (length(n) > 3) { s = "," substr(n, length(n) - 2) s; n = substr(n, 1, length(n) - 3) }
		return n s
	}
	{ v[NR] = $1 }
	END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "| none: median of %d | – | – | %s | – | %.2f–%.2f | – | – | – | – | – | – | – | – | ≤ %s |\n", NR, commas(m), v[1] / m, v[NR] / m, other
	}')

cat <<EOF

$(uname -r), $(nproc) CPUs; workload: one thread opening and closing a file, ${duration}s per row.

| tracer | output | stdout | opens/s | ratio, pairs | ratio, 5 s | delivered | lost | unaccounted | tracer CPU | BPF ns/open | peak RSS | first event, cold | first event, warm | other load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
EOF
echo "$untraced_row"
printf '%s\n' "${rows[@]}"
cat <<EOF

- ratio, pairs: $pairs pairs of 1 s runs, the workload alone then under a
  freshly started tracer, one pair after the other: the median traced rate
  over the median untraced one.
- ratio, 5 s: the 5 s traced opens/s over the mean of the untraced runs just
  before and after; for "none", the lowest and highest untraced run over
  their median.
- delivered and lost: every process's opens over the tracer's whole run.
  stdout null: to /dev/null, counts from the tracer's own summary on stderr;
  count: through a FIFO to an awk that counts lines (its CPU is not in the
  tracer's).
- unaccounted: workload opens not delivered and not reported lost (floor 0;
  other processes' opens make it an underestimate).
- tracer CPU: utime+stime from /proc/PID/stat from the workload's start to 1 s
  after its end, over that wall time; 100% is one CPU. peak RSS: VmHWM just
  before SIGINT.
- BPF ns/open: the run time the kernel counted (kernel.bpf_stats_enabled=1)
  for all the tracer's BPF programs during the workload, over the runs of
  its busiest program: for opens, the entry and exit programs together.
- first event: median of $first_runs runs, from exec to the first stdout line
  naming a file opened every 5 ms from exec on (compile and attach included).
  cold: with an empty cache dir each run (gosnoop compiles, and generates its
  header tree); warm: gosnoop's compile cache holds the program.
- other load: CPU used by everything but the workload, the tracer and its
  reader while the workload ran; 100% is one CPU.
EOF
if [ ${#notes[@]} -gt 0 ]; then
	echo
	printf '%s\n' "${notes[@]}"
fi
