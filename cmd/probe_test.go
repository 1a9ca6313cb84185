package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

func TestProbeUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "probe needs at least one SPEC"},
		{[]string{`p:do_sys_open "%s, arg2`}, "probe: unbalanced quote at 15"},
		{[]string{`q:do_sys_open`}, "probe: unknown probe type 'q'"},
		{[]string{`t:syscalls:sys_enter_openat "%s", args->filename`, `p:f "%d %d", arg1`}, "probe: format has 2 verbs but 1 argument (spec 2)"},
		{[]string{`p:f "%d", arg7`}, "probe: arg7: at most 6 arguments"},
		{[]string{`p:f (x); system("id")`}, `probe: unexpected ";"`},
		{[]string{"-p", "0", "p:f"}, "--pid must be a number"},
		{[]string{"-u", "x", "p:f"}, "--uid must be a number"},
		{[]string{"-M", "0", "p:f"}, "--max-events must be a positive number"},
		{[]string{"-M", "many", "p:f"}, "--max-events must be a positive number"},
		{[]string{"--string-size", "4", "p:f"}, "--string-size must be a number from 8 to 256"},
		{[]string{"-b", "6", "p:f"}, "--buffer-pages must be a power of two"},
		{[]string{"-d", "0", "p:f"}, "--duration must be a positive number"},
		// Options after the specs are options, not specs.
		{[]string{"p:f", "-d", "0"}, "--duration must be a positive number"},
		{[]string{"p:f", "--bogus"}, "flag provided but not defined: --bogus"},
		{[]string{"p:f", "-M"}, "flag needs an argument: -M"},
		// count() and hist()
		{[]string{`t:syscalls:sys_enter_read count(args->fd)`}, "count() takes nothing"},
		{[]string{`t:syscalls:sys_enter_read hist()`}, "hist needs the value to bucket"},
		{[]string{`t:syscalls:sys_enter_read count() by`}, "empty key"},
		{[]string{`t:syscalls:sys_enter_read count() per $comm`}, `expected "by KEY, ..."`},
		{[]string{`t:syscalls:sys_enter_read count() by $nope`}, "unknown key $nope"},
		{[]string{`t:syscalls:sys_enter_read hist($comm)`}, "hist: $comm is not a number"},
		{[]string{`t:syscalls:sys_enter_read count() by args->fd = 1`}, "not allowed"},
		{[]string{`t:syscalls:sys_enter_read count() by $pid, $tid, $uid, $cpu, $comm, $kstack, $ustack`}, "at most 6 keys"},
		{[]string{`t:syscalls:sys_enter_read sum(args->count)`}, `expected a format ("..."), count() or hist(EXPR)`},
		{[]string{"--string-size", "256", `t:syscalls:sys_enter_openat count() by str(args->filename), str(args->filename)`}, "its keys take 520 bytes"},
		{[]string{"-i", "1", `t:syscalls:sys_enter_read "%d", args->fd`}, "--interval is for count() and hist()"},
		{[]string{"-i", "0", `t:syscalls:sys_enter_read count()`}, "--interval must be a positive number"},
		{[]string{"-n", "cat", `t:syscalls:sys_enter_read count()`}, "--name is about printed events"},
		{[]string{"-K", `t:syscalls:sys_enter_read hist(args->count)`}, "--kernel-stack is about printed events"},
		{[]string{"--max-keys", "0", `t:syscalls:sys_enter_read count()`}, "--max-keys must be a number from 1"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"probe"}, c.args...)...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", code, stdout, stderr, c.want)
			}
		})
	}
}

func TestProbeOptionsAfterSpecs(t *testing.T) {
	code, stdout, stderr := run(t, "probe", `t:syscalls:sys_enter_openat "%s", args->filename`, "--ebpf", "-p", "77", "--string-size=16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "// gosnoop_pid[0]: 77 (written before attaching)") || !strings.Contains(stdout, "[16];") {
		t.Errorf("options after the spec were not applied:\n%s", stdout)
	}
	code, stdout, _ = run(t, "probe", "--ebpf", "--", `t:syscalls:sys_enter_openat "%s", args->filename`)
	if code != 0 || !strings.Contains(stdout, "TRACEPOINT_PROBE(syscalls, sys_enter_openat)") {
		t.Errorf("-- before the specs: exit %d\n%s", code, stdout)
	}
}

func TestProbeEBPF(t *testing.T) {
	code, stdout, stderr := run(t, "probe", "--ebpf", "-p", "77",
		`t:syscalls:sys_enter_openat "%s", args->filename`, `r:do_sys_openat2 (retval < 0) "failed: %d", retval`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"TRACEPOINT_PROBE(syscalls, sys_enter_openat)", "bpf_probe_read_user_str(gosnoop_ev->v0", "int gosnoop_probe1(struct pt_regs *ctx)",
		"long retval = PT_REGS_RC(ctx);", "if (!(retval < 0))", "if (!gosnoop_pid_wanted())", "// gosnoop_pid[0]: 77 (written before attaching)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--ebpf output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "failed: %d") {
		t.Error("the format string reached the C text")
	}
}

func TestProbeMissingTargets(t *testing.T) {
	needRootAndTracefs(t)
	code, _, stderr := run(t, "probe", "t:syscalls:nope")
	if code != 2 || !strings.Contains(stderr, "tracepoint syscalls:nope does not exist") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, "probe", "p:gosnoop_no_such_function")
	if code != 2 || !strings.Contains(stderr, "kernel function gosnoop_no_such_function not found") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

type probeLine struct {
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Probe   string `json:"probe"`
	Message string `json:"message"`
	Values  []any  `json:"values"`
}

func (tr *tracer) probeLines(t *testing.T) []probeLine {
	t.Helper()
	var out []probeLine
	for _, s := range tr.lines() {
		var l probeLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("%q is not JSON: %v", s, err)
		}
		out = append(out, l)
	}
	return out
}

func TestProbeTracepointCatchesMarker(t *testing.T) {
	needRootAndTracefs(t)
	present, missing := markerPaths(t)
	tr := startTracer(t, "probe", "--json", "--string-size", "256",
		`t:syscalls:sys_enter_openat "%s by %s", args->filename, $comm`,
		`t:syscalls:sys_exit_openat (args->ret == -2) "failed: %ld", args->ret`)
	pid := catFile(t, present)
	missingPID := catFile(t, missing)

	var gotEnter, gotExit bool
	deadline := time.Now().Add(10 * time.Second)
	for !(gotEnter && gotExit) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		for _, l := range tr.probeLines(t) {
			if l.Probe == "t:syscalls:sys_enter_openat" && l.PID == pid && l.Message == present+" by cat" {
				gotEnter = true
			}
			if l.Probe == "t:syscalls:sys_exit_openat" && l.PID == missingPID && l.Message == "failed: -2" {
				gotExit = true
			}
		}
	}
	tr.stop(t)
	if !gotEnter || !gotExit {
		t.Fatalf("enter seen %v, ENOENT exit seen %v; stdout ends:\n%s\nstderr:\n%s", gotEnter, gotExit, tail(tr.stdout.String(), 2000), tr.stderr.String())
	}
	// The predicate keeps only ENOENT in the kernel: no successful exit may show.
	for _, l := range tr.probeLines(t) {
		if l.Probe == "t:syscalls:sys_exit_openat" && l.Message != "failed: -2" {
			t.Errorf("predicate let through %+v", l)
		}
	}
}

func TestProbePIDFilterAndMaxEvents(t *testing.T) {
	needRootAndTracefs(t)
	present, _ := markerPaths(t)
	target := exec.Command("sh", "-c", `read line; exec cat "$1" "$1" "$1"`, "sh", present)
	stdin, _ := target.StdinPipe()
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Process.Kill(); target.Wait() })
	tr := startTracer(t, "probe", "--json", "-p", fmt.Sprint(target.Process.Pid), "-M", "2",
		`t:syscalls:sys_enter_openat "%s", args->filename`)
	catFile(t, present)
	stdin.Write([]byte("go\n"))
	target.Wait()

	done := make(chan error, 1)
	go func() { done <- tr.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("-M 2 exit: %v\n%s", err, tr.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("-M 2 did not end the run:\n%s", tail(tr.stdout.String(), 2000))
	}
	lines := tr.probeLines(t)
	if len(lines) != 2 {
		t.Errorf("-M 2 printed %d events:\n%s", len(lines), tail(tr.stdout.String(), 2000))
	}
	for _, l := range lines {
		if l.PID != target.Process.Pid {
			t.Errorf("event of pid %d passed --pid %d", l.PID, target.Process.Pid)
		}
	}
}

func TestProbeKprobeWithoutKprobes(t *testing.T) {
	needRootAndTracefs(t)
	dir, _ := tracefs.Dir()
	if ok, _ := kernel.Kprobes(dir); ok {
		t.Skip("kprobes work here; the guest test attaches p: and r: specs")
	}
	code, _, stderr := run(t, "probe", `p:do_sys_openat2 "%s", arg2@user`)
	last := strings.TrimSpace(stderr)
	last = last[strings.LastIndex(last, "\n")+1:]
	if code != 1 || !strings.HasPrefix(last, "gosnoop: attaching kprobe to do_sys_openat2") || !strings.Contains(last, "try t:syscalls:sys_enter_openat instead") {
		t.Errorf("exit %d, last line %q", code, last)
	}
}

// A probe reads kernel structs through $task: the parent of a cat is this
// test process, so its tgid and comm are known. Here, without kernel
// headers, through the tree generated from BTF; in the guest, through the
// installed headers.
func TestProbeReadsKernelStructs(t *testing.T) {
	needRootAndTracefs(t)
	tr := startTracer(t, "probe", "--json",
		`t:syscalls:sys_enter_read "%d %s", $task->real_parent->tgid, $task->real_parent->comm`)
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%d %s", os.Getpid(), strings.TrimSpace(string(comm)))
	present, _ := markerPaths(t)
	var pid int
	found := false
	deadline := time.Now().Add(10 * time.Second)
	for !found && time.Now().Before(deadline) {
		pid = catFile(t, present)
		time.Sleep(100 * time.Millisecond)
		for _, l := range tr.probeLines(t) {
			if l.PID == pid {
				if l.Message != want {
					t.Fatalf("cat %d's read says %q, want %q", pid, l.Message, want)
				}
				found = true
			}
		}
	}
	tr.stop(t)
	if !found {
		t.Fatalf("no read by cat %d; stderr:\n%s", pid, tr.stderr.String())
	}
}

// A spec naming a kernel type the kernel does not have fails in one line
// that names it, before anything is compiled.
func TestProbeUnknownKernelType(t *testing.T) {
	needRootAndTracefs(t)
	if _, err := os.Stat(btfheader.VmlinuxPath); err != nil {
		t.Skipf("kernel BTF: %v", err)
	}
	if _, err := os.Stat(filepath.Join("/lib/modules", kheaders.Release(), "build")); err == nil {
		t.Skip("installed kernel headers: libbcc reports the unknown type itself")
	}
	code, stdout, stderr := run(t, "probe", "-d", "1", `t:syscalls:sys_enter_read "%d", ((struct no_such_kernel_type *)0)->x`)
	if code != 1 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "the kernel's BTF has no struct no_such_kernel_type") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// -l lists what a spec can name, as the spec names it; -v adds a single
// tracepoint's fields; without tracefs access it says so in one line.
func TestProbeList(t *testing.T) {
	needRootAndTracefs(t)
	out, err := exec.Command(gosnoopBinary, "probe", "-l", "syscalls:sys_enter_open*").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, want := range []string{"t:syscalls:sys_enter_open", "t:syscalls:sys_enter_openat", "t:syscalls:sys_enter_openat2"} {
		if !slices.Contains(lines, want) {
			t.Errorf("no %s in:\n%s", want, out)
		}
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "t:syscalls:sys_enter_open") {
			t.Errorf("%q does not match the glob", l)
		}
	}
	out, err = exec.Command(gosnoopBinary, "probe", "-v", "-l", "t:syscalls:sys_enter_openat").Output()
	if err != nil || !strings.HasPrefix(string(out), "t:syscalls:sys_enter_openat\n") || !strings.Contains(string(out), "    args->filename  const char *\n") || strings.Contains(string(out), "common_") {
		t.Errorf("-v -l one tracepoint: %v\n%s", err, out)
	}
	code, _, stderr := asNobody(t, "probe", "-l", "syscalls:*")
	if st, err := os.Stat("/sys/kernel/tracing"); err == nil && st.Mode().Perm()&0o005 == 0o005 && code == 0 {
		return // a tracefs open to all: nothing to refuse
	}
	if code != 1 || !strings.Contains(stderr, "no readable tracefs") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("as nobody: exit %d, %q", code, stderr)
	}
}

func TestProbeListUsage(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "-l", "["},
		{"probe", "-l", "syscalls:*", `t:syscalls:sys_enter_openat "%s", args->filename`},
	} {
		code, _, stderr := run(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}

// gosnoop's own events are dropped in the kernel unless --include-self:
// its perf reader polls every 20 ms, so sys_enter_poll sees it at once.
func TestProbeExcludesItself(t *testing.T) {
	needRootAndTracefs(t)
	for _, include := range []bool{false, true} {
		args := []string{"probe", "--json", "-C", "-d", "1", `t:syscalls:sys_enter_poll "%d", args->nfds`}
		if include {
			args = append(args, "--include-self")
		}
		c := exec.Command(gosnoopBinary, args...)
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		self := 0
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var ev struct {
				PID int  `json:"pid"`
				CPU *int `json:"cpu"`
			}
			if line == "" {
				continue
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.CPU == nil {
				t.Fatalf("%q: %v", line, err)
			}
			if ev.PID == c.Process.Pid {
				self++
			}
		}
		if include && self == 0 {
			t.Errorf("--include-self: none of gosnoop's own polls in a second:\n%s", tail(string(out), 1000))
		}
		if !include && self > 0 {
			t.Errorf("%d of gosnoop's own events without --include-self", self)
		}
	}
}

func TestProbeCPUColumn(t *testing.T) {
	needRootAndTracefs(t)
	out, err := exec.Command(gosnoopBinary, "probe", "-C", "--include-self", "-M", "1", `t:syscalls:sys_enter_poll`).Output()
	if err != nil || !strings.HasPrefix(string(out), "CPU PID     TID     COMM") {
		t.Errorf("%v\n%s", err, out)
	}
}
