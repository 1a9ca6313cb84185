package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain calls readerChild, which waits for its gate file to exist, then
// makes a known set of read(2) calls on its file: 3 of 100 bytes, 2 of 5000,
// and one of 7 at the end of the file, which returns 0.
const readerChildEnv = "GOSNOOP_READER_CHILD"

func readerChild() {
	path := os.Getenv(readerChildEnv)
	for {
		if _, err := os.Stat(path + ".go"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	f, err := os.Open(path)
	if err != nil {
		os.Exit(1)
	}
	for _, n := range []int{100, 100, 100, 5000, 5000, 7} {
		f.Read(make([]byte, n))
	}
	os.Exit(0)
}

// startReaderChild starts readerChild on a fresh file of 10300 bytes; the
// returned func opens its gate and waits for it to end.
func startReaderChild(t *testing.T) (pid int, gate func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reads")
	if err := os.WriteFile(path, make([]byte, 3*100+2*5000), 0o644); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), readerChildEnv+"="+path)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	return child.Process.Pid, func() {
		t.Helper()
		if err := os.WriteFile(path+".go", nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := child.Wait(); err != nil {
			t.Fatalf("reader child: %v", err)
		}
	}
}

type aggInterval struct {
	Time         string
	Aggregations []struct {
		Probe       string
		Aggregation string
		By          []string
		Lost        uint64
		Rows        []struct {
			Key     []json.RawMessage
			Count   uint64
			Buckets []struct {
				Low, High int64
				Count     uint64
			}
		}
	}
}

// A count and a histogram over a known number of reads: exact counts, the
// right buckets, summed over the intervals -i prints.
func TestProbeCountAndHist(t *testing.T) {
	needRootAndTracefs(t)
	pid, gate := startReaderChild(t)
	tr := startTracer(t, "probe", "--json", "-i", "300ms", "-p", fmt.Sprint(pid),
		`t:syscalls:sys_enter_read count() by args->count, $pid`,
		`t:syscalls:sys_exit_read hist(args->ret)`)
	gate()
	time.Sleep(700 * time.Millisecond) // at least one more interval
	tr.stop(t)

	counts := map[string]uint64{}
	buckets := map[[2]int64]uint64{}
	intervals := 0
	for _, line := range tr.lines() {
		var iv aggInterval
		if err := json.Unmarshal([]byte(line), &iv); err != nil {
			t.Fatalf("%q is not an interval: %v", line, err)
		}
		intervals++
		if len(iv.Aggregations) != 2 {
			t.Fatalf("interval with %d aggregations, want 2: %s", len(iv.Aggregations), line)
		}
		for _, r := range iv.Aggregations[0].Rows {
			if string(r.Key[1]) != fmt.Sprint(pid) {
				t.Errorf("count of pid %s passed -p %d", r.Key[1], pid)
			}
			counts[string(r.Key[0])] += r.Count
		}
		for _, r := range iv.Aggregations[1].Rows {
			var sum uint64
			for _, b := range r.Buckets {
				buckets[[2]int64{b.Low, b.High}] += b.Count
				sum += b.Count
			}
			if sum != r.Count {
				t.Errorf("hist row counts %d in its buckets, %d in all", sum, r.Count)
			}
		}
		if a := iv.Aggregations[0]; a.Probe != "t:syscalls:sys_enter_read" || a.Aggregation != "count() by args->count, $pid" || strings.Join(a.By, " ") != "args->count $pid" {
			t.Errorf("first aggregation is %+v", a)
		}
	}
	if intervals < 2 {
		t.Errorf("%d intervals printed in a second of -i 300ms", intervals)
	}
	wantCounts := map[string]uint64{"100": 3, "5000": 2, "7": 1}
	if fmt.Sprint(counts) != fmt.Sprint(wantCounts) {
		t.Errorf("count() by args->count: %v, want %v\n%s", counts, wantCounts, tr.stderr.String())
	}
	wantBuckets := map[[2]int64]uint64{{0, 0}: 1, {64, 127}: 3, {4096, 8191}: 2}
	if fmt.Sprint(buckets) != fmt.Sprint(wantBuckets) {
		t.Errorf("hist(args->ret): %v, want %v", buckets, wantBuckets)
	}
	if !strings.Contains(tr.stderr.String(), "gosnoop: 12 events, 0 lost") {
		t.Errorf("summary: %s", tr.stderr.String())
	}
}

// Without -i the tables print once, at the end, as a table and a bcc-style
// histogram.
func TestProbeAggregationText(t *testing.T) {
	needRootAndTracefs(t)
	pid, gate := startReaderChild(t)
	tr := startTracer(t, "probe", "-p", fmt.Sprint(pid),
		`t:syscalls:sys_enter_read count() by $comm, args->count`,
		`t:syscalls:sys_exit_read hist(args->ret)`)
	gate()
	time.Sleep(200 * time.Millisecond)
	tr.stop(t)
	comm := filepath.Base(os.Args[0])
	if len(comm) > 15 {
		comm = comm[:15]
	}
	w := max(len(comm), len("COMM")) // columns are as wide as what they hold
	want := fmt.Sprintf(`t:syscalls:sys_enter_read count() by $comm, args->count
%-*s  args->count  COUNT
%-*s  7            1
%-*s  5000         2
%-*s  100          3

t:syscalls:sys_exit_read hist(args->ret)
                   value : count    distribution
         0 -> 0          : 1        |*************                           |
         1 -> 1          : 0        |                                        |
`, w, "COMM", w, comm, w, comm, w, comm)
	if out := tr.stdout.String(); !strings.HasPrefix(out, want) || !strings.Contains(out, "      4096 -> 8191       : 2        |**************************              |\n") {
		t.Errorf("stdout:\n%s\nwant it to start:\n%s", out, want)
	}
}

// -f keeps the events whose formatted message contains its text: the
// missing marker's open shows, the present one's (same directory) does not.
func TestProbeMessageFilter(t *testing.T) {
	needRootAndTracefs(t)
	present, missing := markerPaths(t)
	tr := startTracer(t, "probe", "--json", "--string-size", "256", "-f", "-missing by", `t:syscalls:sys_enter_openat "%s by %s", args->filename, $comm`)
	presentPID := catFile(t, present)
	missingPID := catFile(t, missing)
	deadline := time.Now().Add(10 * time.Second)
	seen := false
	for !seen && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		for _, l := range tr.probeLines(t) {
			seen = seen || l.PID == missingPID && l.Message == missing+" by cat"
		}
	}
	tr.stop(t)
	if !seen {
		t.Fatalf("the matching event did not show:\n%s", tail(tr.stdout.String(), 2000))
	}
	for _, l := range tr.probeLines(t) {
		if !strings.Contains(l.Message, "-missing by") || l.PID == presentPID {
			t.Errorf("-f let through %+v", l)
		}
	}
}

// A full table: what finds no room is counted, reported and in the
// summary's lost, never dropped silently.
func TestProbeFullAggregationTable(t *testing.T) {
	needRootAndTracefs(t)
	pid, gate := startReaderChild(t)
	tr := startTracer(t, "probe", "--json", "--max-keys", "1", "-p", fmt.Sprint(pid), `t:syscalls:sys_enter_read count() by args->count`)
	gate()
	time.Sleep(200 * time.Millisecond)
	tr.stop(t)
	var iv aggInterval
	if err := json.Unmarshal([]byte(strings.TrimSpace(tr.stdout.String())), &iv); err != nil {
		t.Fatalf("stdout %q: %v", tr.stdout.String(), err)
	}
	// The first key (3 reads of 100 bytes) fits; the 3 reads after it do not.
	rows := iv.Aggregations[0].Rows
	if len(rows) != 1 || string(rows[0].Key[0]) != "100" || rows[0].Count != 3 || iv.Aggregations[0].Lost != 3 {
		t.Errorf("aggregation %+v, want one row of 3 and 3 lost", iv.Aggregations[0])
	}
	for _, want := range []string{"gosnoop: 3 events not counted: a count() or hist() table was full (--max-keys 1)", "gosnoop: 3 events, 3 lost"} {
		if !strings.Contains(tr.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, tr.stderr.String())
		}
	}
}
