package cmd

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/open"
)

// Tests of the kprobe path. Machines without CONFIG_KPROBES skip them;
// scripts/guest-test.sh runs them in a kprobe-enabled guest kernel with
// GOSNOOP_REQUIRE_KPROBES=1, which turns every skip into a failure so the
// guest run cannot pass by skipping.

// requireKprobes is set by the guest runner.
var requireKprobes = os.Getenv("GOSNOOP_REQUIRE_KPROBES") == "1"

// tracerStartWait is how long a tracer may take to compile and attach before
// startTracer gives up: 30 s, or $GOSNOOP_TEST_START_WAIT (a Go duration),
// which the guest runner raises because libbcc compiles there under TCG.
var tracerStartWait = func() time.Duration {
	s := os.Getenv("GOSNOOP_TEST_START_WAIT")
	if s == "" {
		return 30 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		panic("GOSNOOP_TEST_START_WAIT must be a positive Go duration, not " + strconv.Quote(s))
	}
	return d
}()

// skipUnlessRequired skips the test, or fails it when kprobes are required.
func skipUnlessRequired(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireKprobes {
		t.Fatalf(format+" (and GOSNOOP_REQUIRE_KPROBES=1)", args...)
	}
	t.Skipf(format, args...)
}

// needKprobes returns the tracefs directory and the kernel function the open
// program puts its kprobes on.
func needKprobes(t *testing.T) (traceDir, fn string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipUnlessRequired(t, "needs root to load BPF programs")
	}
	traceDir, err := tracefs.Dir()
	if err != nil {
		skipUnlessRequired(t, "needs tracefs: %v", err)
	}
	if ok, reason := kernel.Kprobes(traceDir); !ok {
		skipUnlessRequired(t, "needs kprobes (CONFIG_KPROBES): %s", reason)
	}
	fn, err = kernel.FirstFunction(open.KprobeFunctions)
	if err != nil {
		skipUnlessRequired(t, "needs a kprobe target: %v", err)
	}
	return traceDir, fn
}

func TestKprobeOpenEndToEnd(t *testing.T) {
	traceDir, fn := needKprobes(t)
	for _, output := range []string{"perf", "trace-pipe"} {
		t.Run(output, func(t *testing.T) {
			before := readKprobeState(t, traceDir, fn)
			present, missing := markerPaths(t)
			tr := startTracer(t, "open", "--json", "--attach", "kprobe", "--output", output, "-v")
			if want := "attached [kretprobe:" + fn + " kprobe:" + fn + "]"; !strings.Contains(tr.stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, tr.stderr.String())
			}
			presentPID := catFile(t, present)
			missingPID := catFile(t, missing)

			got := tr.waitFor(t, present, presentPID)
			if got.Comm != "cat" || got.FD < 3 || got.Errno != 0 || got.TID != got.PID {
				t.Errorf("%s: got %+v, want comm cat, fd>=3, errno 0, tid = pid", present, got)
			}
			if output == "perf" && got.Flags&syscall.O_ACCMODE != syscall.O_RDONLY {
				t.Errorf("%s: flags %#o, want cat's O_RDONLY", present, got.Flags)
			}
			got = tr.waitFor(t, missing, missingPID)
			if got.Comm != "cat" || got.FD != -1 || got.Errno != int(syscall.ENOENT) || got.TID != got.PID {
				t.Errorf("%s: got %+v, want comm cat, fd -1, errno %d, tid = pid", missing, got, syscall.ENOENT)
			}

			during := readKprobeState(t, traceDir, fn)
			pid := tr.cmd.Process.Pid
			if code := tr.stop(t); code != 0 {
				t.Errorf("exit %d after SIGINT:\n%s", code, tr.stderr.String())
			}
			if !strings.Contains(tr.stderr.String(), " events, 0 lost") {
				t.Errorf("no summary line on stderr:\n%s", tr.stderr.String())
			}
			checkKprobesRemoved(t, fn, pid, before, during, readKprobeState(t, traceDir, fn))
		})
	}
}

func TestKprobeAutoChoosesKprobes(t *testing.T) {
	_, fn := needKprobes(t)
	tr := startTracer(t, "open", "-v")
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d after SIGINT", code)
	}
	stderr := tr.stderr.String()
	t.Logf("gosnoop open -v said:\n%s", stderr)
	for _, want := range []string{
		"kprobes available (",
		"attached [kretprobe:" + fn + " kprobe:" + fn + "]",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("auto: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "falling back to tracepoints") || strings.Contains(stderr, "tracepoint:") {
		t.Errorf("auto attached tracepoints where kprobes work:\n%s", stderr)
	}
	// The guest has its kernel's real headers (linux-headers-cloud-amd64), so
	// the host-header path is the one exercised there.
	if requireKprobes && !regexp.MustCompile(`(?m)^gosnoop: kernel headers: /\S+ \(host\)$`).MatchString(stderr) {
		t.Errorf("GOSNOOP_REQUIRE_KPROBES=1 runs expect the kernel's own headers, but -v said:\n%s", stderr)
	}
}

// kprobeState is what the kernel lists about kprobes on one function.
type kprobeState struct {
	events     []string // lines of <tracefs>/kprobe_events
	registered int      // entries for the function in <debugfs>/kprobes/list; -1 if unreadable
}

// readKprobeState reads the two places where a kprobe shows: kprobe_events
// lists the probes created through tracefs; debugfs's kprobes/list lists every
// registered kprobe and kretprobe, those made through the kprobe PMU too.
func readKprobeState(t *testing.T, traceDir, fn string) kprobeState {
	t.Helper()
	var s kprobeState
	if b, err := os.ReadFile(filepath.Join(traceDir, "kprobe_events")); err == nil {
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" {
				s.events = append(s.events, l)
			}
		}
	}
	s.registered = -1
	f, err := os.Open("/sys/kernel/debug/kprobes/list")
	if err != nil {
		return s
	}
	defer f.Close()
	s.registered = 0
	// "ffffffff8133e7a0  r  do_sys_openat2+0x0    [FTRACE]"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 3 && strings.HasPrefix(fields[2], fn+"+") {
			s.registered++
		}
	}
	return s
}

// checkKprobesRemoved checks that what gosnoop (pid) created was gone after it
// exited. libbcc 0.26 creates kprobes through the kprobe PMU where the kernel
// has one (perf_event_open with an event type from
// /sys/bus/event_source/devices/kprobe/type); such probes never appear in
// kprobe_events and go away when their perf fd is closed. Only without the PMU
// does libbcc write p_<fn>_bcc_<pid> / r_<fn>_bcc_<pid> to kprobe_events,
// which it must remove on detach. kprobes/list shows both kinds.
func checkKprobesRemoved(t *testing.T, fn string, pid int, before, during, after kprobeState) {
	t.Helper()
	ours := regexp.MustCompile(`_bcc_` + strconv.Itoa(pid) + `\b`)
	var created []string
	for _, l := range during.events {
		if ours.MatchString(l) {
			created = append(created, l)
		}
	}
	t.Logf("while tracing: %d kprobe_events lines of gosnoop's (%q), %d kprobes on %s registered (before: %d)",
		len(created), created, during.registered, fn, before.registered)
	for _, l := range after.events {
		if ours.MatchString(l) || (strings.Contains(l, fn) && !slices.Contains(before.events, l)) {
			t.Errorf("kprobe_events still lists %q after gosnoop (pid %d) exited", l, pid)
		}
	}
	if during.registered < 0 {
		t.Logf("no debugfs kprobes/list to check registered kprobes")
		return
	}
	if during.registered < before.registered+2 {
		t.Errorf("kprobes/list shows %d probes on %s while tracing, %d before: the kprobe and kretprobe should be there", during.registered, fn, before.registered)
	}
	if after.registered != before.registered {
		t.Errorf("kprobes/list shows %d probes on %s after gosnoop exited, %d before", after.registered, fn, before.registered)
	}
}

// oLargefile is the kernel's O_LARGEFILE on x86-64 (asm-generic/fcntl.h); Go's
// syscall package has 0 there, as user space never passes it.
const oLargefile = 0o100000

// TestKprobeMatchesTracepoints traces one cat with both attach paths at once
// and compares what each decoded.
func TestKprobeMatchesTracepoints(t *testing.T) {
	_, fn := needKprobes(t)
	present, missing := markerPaths(t)
	kp := startTracer(t, "open", "--json", "--attach", "kprobe")
	tp := startTracer(t, "open", "--json", "--attach", "tracepoint")
	for _, path := range []string{present, missing} {
		pid := catFile(t, path)
		k, p := kp.waitFor(t, path, pid), tp.waitFor(t, path, pid)
		t.Logf("%s:\n  kprobe:     %+v\n  tracepoint: %+v", path, k, p)
		// do_sys_openat2 sees the flags after build_open_how, which adds
		// O_LARGEFILE on 64-bit kernels; the syscall tracepoint sees them as
		// the caller passed them.
		if fn == "do_sys_openat2" {
			k.Flags &^= oLargefile
		}
		k.TsNs, p.TsNs = 0, 0
		if k != p {
			t.Errorf("%s: kprobe decoded %+v, tracepoint %+v", path, k, p)
		}
	}
	if kcode, tcode := kp.stop(t), tp.stop(t); kcode != 0 || tcode != 0 {
		t.Errorf("exit %d (kprobe), %d (tracepoint) after SIGINT", kcode, tcode)
	}
}

// TestKprobeProbeSpecs attaches a p: spec (typed signature, user string) and
// an r: spec (predicate on retval) to the open program's kernel function and
// checks both catch marker opens by a child.
func TestKprobeProbeSpecs(t *testing.T) {
	_, fn := needKprobes(t)
	present, missing := markerPaths(t)
	pSpec := `p:` + fn + `(int dfd, const char __user *filename) "%s", filename`
	if fn == "do_sys_open" {
		pSpec = `p:do_sys_open "%s", arg2@user`
	}
	tr := startTracer(t, "probe", "--json", "--string-size", "256", pSpec,
		`r:`+fn+` (retval == -2) "failed: %ld", retval`)
	pid := catFile(t, present)
	missingPID := catFile(t, missing)

	var gotEntry, gotReturn bool
	deadline := time.Now().Add(tracerStartWait)
	for !(gotEntry && gotReturn) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		for _, l := range tr.probeLines(t) {
			if l.Probe == "p:"+fn && l.PID == pid && l.Message == present {
				gotEntry = true
			}
			if l.Probe == "r:"+fn && l.PID == missingPID && l.Message == "failed: -2" {
				gotReturn = true
			}
			if l.Probe == "r:"+fn && l.Message != "failed: -2" {
				t.Errorf("the r: predicate let through %+v", l)
			}
		}
	}
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d:\n%s", code, tr.stderr.String())
	}
	if !gotEntry || !gotReturn {
		t.Fatalf("p: caught the marker %v, r: caught the ENOENT %v; stdout ends:\n%s\nstderr:\n%s",
			gotEntry, gotReturn, tail(tr.stdout.String(), 2000), tr.stderr.String())
	}
}

// Stacks and aggregations on a kprobe, for a command --exec runs: the
// kernel stack of the open function's entry goes through the system call
// entry, and count() by $kstack groups the command's opens under it.
func TestKprobeProbeStacksAndCounts(t *testing.T) {
	_, fn := needKprobes(t)
	present, _ := markerPaths(t)
	code, stdout, stderr := runExec(t, "probe", "--json", "-K", "-c", "sh -c 'cat "+present+" >/dev/null'",
		`p:`+fn+` "%d", arg1`, `r:`+fn+` count() by $kstack`, `r:`+fn+` hist(retval)`)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var events, counted int
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var l struct {
			Probe        string
			KStack       []string
			Aggregations []struct {
				Rows []struct {
					Key   []json.RawMessage
					Count int
				}
			}
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if l.Probe != "" {
			events++
			if !hasFramePrefix(l.KStack, "do_syscall_64+") {
				t.Errorf("kernel stack of %s without do_syscall_64: %q", fn, l.KStack)
			}
			continue
		}
		if len(l.Aggregations) != 2 {
			t.Fatalf("aggregations: %s", line)
		}
		for _, r := range l.Aggregations[0].Rows {
			var frames []string
			json.Unmarshal(r.Key[0], &frames)
			if hasFramePrefix(frames, "do_syscall_64+") {
				counted += r.Count
			}
		}
		histCount := 0
		for _, r := range l.Aggregations[1].Rows {
			histCount += r.Count
		}
		if histCount != events {
			t.Errorf("hist(retval) counted %d returns, %d entries printed", histCount, events)
		}
	}
	// cat opens the loader's cache, libc, the locale files and the marker.
	if events < 3 || counted != events {
		t.Errorf("%d entries printed, %d returns counted by stack:\n%s", events, counted, stdout)
	}
}
