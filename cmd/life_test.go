package cmd

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

type lifeRow struct {
	TsNs uint64  `json:"ts_ns"`
	Time string  `json:"time"`
	PID  int     `json:"pid"`
	Comm string  `json:"comm"`
	Age  float64 `json:"age_s"`
	File string  `json:"file"`
	Path string  `json:"path"`
}

// A file created while tracing and unlinked half a second later shows with
// its age, pid and comm; a file that existed before shows nothing; an
// unlink that fails shows nothing and the file's later unlink still finds
// its birth; an unlink relative to a directory fd counts; a renamed file is
// followed to its unlink; a rename over a file ends that file's life.
func TestLifeSeesShortLivedFiles(t *testing.T) {
	needRootAndTracefs(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	path := func(name string) string { return filepath.Join(dir, name) }
	if err := os.WriteFile(path("old"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	tr := startTracer(t, "life", "--json", "-v", "-F")
	kprobes := strings.Contains(tr.stderr.String(), "kprobe:vfs_unlink")

	create := func(name string) time.Time {
		t.Helper()
		if err := os.WriteFile(path(name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}
	remove := func(name string) time.Time {
		t.Helper()
		if err := os.Remove(path(name)); err != nil {
			t.Fatal(err)
		}
		return time.Now()
	}
	born := create("born")
	time.Sleep(500 * time.Millisecond)
	bornAge := remove("born").Sub(born).Seconds()
	remove("old")

	keptBorn := create("kept")
	if out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "rm", "-f", path("kept")).CombinedOutput(); err == nil {
		t.Fatalf("rm as nobody in a directory of root's removed the file: %s", out)
	}
	time.Sleep(200 * time.Millisecond)
	keptAge := remove("kept").Sub(keptBorn).Seconds()

	create("relative")
	dirfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = syscall.Unlinkat(dirfd, "relative")
	syscall.Close(dirfd)
	if err != nil {
		t.Fatal(err)
	}

	create("renamed")
	if err := os.Rename(path("renamed"), path("renamed-too")); err != nil {
		t.Fatal(err)
	}
	remove("renamed-too")

	victimBorn := create("victim")
	create("replacement")
	time.Sleep(100 * time.Millisecond)
	if err := os.Rename(path("replacement"), path("victim")); err != nil {
		t.Fatal(err)
	}
	victimAge := time.Since(victimBorn).Seconds()
	remove("victim") // the replacement, now under the victim's name

	want := map[string]float64{"born": bornAge, "kept": keptAge, "relative": 0, "renamed-too": 0, "victim": victimAge}
	deadline := time.Now().Add(10 * time.Second)
	var rows map[string]lifeRow
	for {
		rows = map[string]lifeRow{}
		victims := 0
		for _, line := range tr.lines() {
			var r lifeRow
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%q is not JSON: %v", line, err)
			}
			if filepath.Dir(r.Path) != dir {
				continue // another process's file
			}
			if r.File == "victim" {
				if victims++; victims == 2 {
					continue // the replacement's own end, checked below
				}
			}
			if _, dup := rows[r.File]; dup {
				t.Errorf("%s printed twice", r.File)
			}
			rows[r.File] = r
		}
		if (len(rows) >= len(want) && victims == 2) || time.Now().After(deadline) {
			if victims != 2 {
				t.Errorf("victim printed %d times, want twice: once replaced by a rename, once unlinked", victims)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d:\n%s", code, tr.stderr.String())
	}
	for name, age := range want {
		r, ok := rows[name]
		if !ok {
			t.Errorf("%s: no row; stdout:\n%s\nstderr:\n%s", name, tr.stdout.String(), tr.stderr.String())
			continue
		}
		if r.PID != os.Getpid() || r.Comm != strings.TrimSpace(string(comm)) || r.Path != path(name) {
			t.Errorf("%s: %+v, want pid %d, comm %q, path %s", name, r, os.Getpid(), strings.TrimSpace(string(comm)), path(name))
		}
		// The kernel's clock and ours differ by the time the syscalls take.
		if r.Age < age-0.05 || r.Age > age+0.05 {
			t.Errorf("%s: age %.3fs, measured %.3fs around its creation and removal", name, r.Age, age)
		}
	}
	if rows["born"].Age < 0.3 || rows["born"].Age > 0.7 {
		t.Errorf("born: age %.3fs, want 0.5 ± 0.2", rows["born"].Age)
	}
	for name := range rows {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: printed, but it was not born and unlinked while tracing: %+v", name, rows[name])
		}
	}
	// The path this run took: kprobes where the kernel has them.
	traceDir, _ := tracefs.Dir()
	if ok, reason := kernel.Kprobes(traceDir); ok && !kprobes {
		t.Errorf("kprobes available (%s) but life did not use them:\n%s", reason, tr.stderr.String())
	} else if !ok && !strings.Contains(tr.stderr.String(), "tracepoint:syscalls:sys_exit_renameat2]") {
		t.Errorf("no kprobes, and not every open, unlink and rename tracepoint attached:\n%s", tr.stderr.String())
	}
	if requireKprobes && !kprobes {
		t.Errorf("GOSNOOP_REQUIRE_KPROBES=1 but life used the tracepoints:\n%s", tr.stderr.String())
	}
}

func TestLifeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"life", "extra"},
		{"life", "-p", "x"},
		{"life", "-d", "0"},
		{"life", "--attach", "uprobe"},
		{"life", "--no-such-flag"},
	} {
		code, _, stderr := run(t, args...)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "gosnoop: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

func TestLifeEBPFWithoutRoot(t *testing.T) {
	code, stdout, stderr := asNobody(t, "life", "--ebpf", "-p", "42")
	if code != 0 || !strings.Contains(stdout, "TRACEPOINT_PROBE(syscalls, sys_exit_unlinkat)") || !strings.Contains(stdout, "if (!gosnoop_pid_wanted())") || !strings.Contains(stdout, "// gosnoop_pid[0]: 42") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
