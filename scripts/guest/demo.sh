#!/bin/sh
# Sample output for the README, on the guest's kprobes: run by the guest's
# init before the tests when scripts/guest-test.sh has GOSNOOP_GUEST_DEMO=1.
G=/payload/gosnoop
mkdir -p /tmp/demo && cd /tmp/demo || exit 1
wait_started() { # the tracer's stderr file
	i=0
	until grep -q 'Hit Ctrl-C' "$1" 2>/dev/null || [ $i -ge 600 ]; do sleep 0.2; i=$((i + 1)); done
}

echo "# ./gosnoop open -v -d 2 >/dev/null"
$G open -v -d 2 >/dev/null

echo "# ./gosnoop life -v"
$G life -v >life.out 2>life.err &
pid=$!
wait_started life.err
(echo data >report.tmp; sleep 0.3; rm report.tmp)
(sort /etc/passwd -o sorted.txt; gzip -f sorted.txt; sleep 0.1; rm sorted.txt.gz)
(f=$(mktemp); sleep 1.2; mv "$f" "$f.done"; rm "$f.done")
(echo v1 >notes.txt; sleep 0.2; echo v2 >notes.txt.new; mv notes.txt.new notes.txt; sleep 0.1; rm notes.txt)
sleep 1
kill -INT $pid; wait $pid
cat life.err life.out

echo "# ./gosnoop top -C -F -r 6 2 1"
dd if=/dev/zero of=top-demo bs=4k count=256 status=none
$G top -C -F -r 6 2 1 >top.out 2>top.err &
pid=$!
wait_started top.err
for i in 1 2 3 4; do dd if=top-demo of=/dev/null bs=4k status=none; done
dd if=/dev/zero of=top-out bs=64k count=16 status=none
wait $pid
cat top.err top.out
