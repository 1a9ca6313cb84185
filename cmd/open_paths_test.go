package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/kernel"
)

// fullPathEvent is the --json -F form of an event.
type fullPathEvent struct {
	PID      int    `json:"pid"`
	Path     string `json:"path"`
	Pathname string `json:"pathname"`
	Cut      bool   `json:"cut"`
	FD       int    `json:"fd"`
}

// waitForFull waits until pid's event whose pathname is rel appears.
func (tr *tracer) waitForFull(t *testing.T, rel string, pid int) fullPathEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range tr.lines() {
			var ev fullPathEvent
			if json.Unmarshal([]byte(l), &ev) == nil && ev.PID == pid && ev.Pathname == rel {
				return ev
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no event of pid %d for %q within 10s; stdout ends:\n%s\nstderr:\n%s", pid, rel, tail(tr.stdout.String(), 2000), tr.stderr.String())
	return fullPathEvent{}
}

// checkFullPaths runs open -F with extra arguments and checks the path of
// a relative open from a working directory, of an openat relative to a
// directory fd, and of one from a directory deeper than the walk goes.
func checkFullPaths(t *testing.T, args ...string) {
	dir := t.TempDir()
	marker := fmt.Sprintf("gosnoop-rel-%d", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(dir, marker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	deep := dir
	for range 40 { // deeper than the 32 names the walk takes
		deep = filepath.Join(deep, "d")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(deep, marker), nil, 0o644)

	tr := startTracer(t, append([]string{"open", "--json", "-F"}, args...)...)
	// cat opens its argument with openat(AT_FDCWD, ...).
	cat := func(cwd string) int {
		name := marker
		if cwd == "/" {
			name = strings.TrimPrefix(filepath.Join(dir, marker), "/")
		}
		c := exec.Command("cat", name)
		c.Dir = cwd
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("cat in %s: %v %s", cwd, err, out)
		}
		return c.Process.Pid
	}
	pid := cat(dir)
	deepPID := cat(deep)
	// From a filesystem's root the walk has no names: the sample is the
	// event alone (once dropped as undecodable).
	rootMarker := strings.TrimPrefix(filepath.Join(dir, marker), "/")
	rootPID := cat("/")
	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dfd)
	atName := marker + "-at"
	if fd, err := syscall.Openat(dfd, atName, syscall.O_RDONLY|syscall.O_CREAT, 0o644); err != nil {
		t.Fatal(err)
	} else {
		syscall.Close(fd)
	}

	if got := tr.waitForFull(t, marker, pid); got.Path != filepath.Join(dir, marker) || got.Cut || got.FD < 0 {
		t.Errorf("cat %s in %s: %+v, want path %s", marker, dir, got, filepath.Join(dir, marker))
	}
	if got := tr.waitForFull(t, atName, os.Getpid()); got.Path != filepath.Join(dir, atName) || got.Cut {
		t.Errorf("openat(fd of %s, %s): %+v", dir, atName, got)
	}
	if got := tr.waitForFull(t, rootMarker, rootPID); got.Path != filepath.Join(dir, marker) || got.Cut {
		t.Errorf("cat %s in /: %+v, want path %s", rootMarker, got, filepath.Join(dir, marker))
	}
	want := "…/" + strings.Repeat("d/", 32) + marker
	if got := tr.waitForFull(t, marker, deepPID); got.Path != want || !got.Cut {
		t.Errorf("cat %s 40 directories down: %+v, want path %s, cut", marker, got, want)
	}
	if code := tr.stop(t); code != 0 {
		t.Errorf("exit %d:\n%s", code, tr.stderr.String())
	}
}

func TestOpenFullPathTracepoints(t *testing.T) {
	needRootAndTracefs(t)
	checkFullPaths(t, "--attach", "tracepoint", "-v")
}

func TestKprobeOpenFullPath(t *testing.T) {
	needKprobes(t)
	checkFullPaths(t, "--attach", "kprobe")
}

// -f O_WRONLY: in one run, a file opened for writing is seen and one
// opened read-only, just before it by the same thread, is not.
func TestOpenFlagFilter(t *testing.T) {
	needRootAndTracefs(t)
	present, _ := markerPaths(t)
	written := present + "-written"
	tr := startTracer(t, "open", "--json", "-f", "O_WRONLY", "-p", fmt.Sprint(os.Getpid()))
	f, err := os.Open(present)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if f, err = os.OpenFile(written, os.O_WRONLY|os.O_CREATE, 0o644); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := tr.waitFor(t, written, os.Getpid())
	if got.Flags&syscall.O_ACCMODE != syscall.O_WRONLY {
		t.Errorf("%s: flags %#o", written, got.Flags)
	}
	time.Sleep(300 * time.Millisecond) // let any stray event arrive
	tr.stop(t)
	for _, ev := range tr.events(t) {
		if ev.Flags&syscall.O_ACCMODE != syscall.O_WRONLY {
			t.Errorf("-f O_WRONLY let through %+v", ev)
		}
		if ev.Path == present {
			t.Errorf("the read-only open of %s was printed", present)
		}
	}
}

// Where the kernel has neither headers nor BTF, gosnoop compiles open
// against its minimal tree, which has no kernel structs: -F refuses in one
// line, and open without it still runs. The test hides the BTF under a
// tmpfs in a mount namespace of its own.
func TestOpenFullPathNeedsKernelStructs(t *testing.T) {
	needRootAndTracefs(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux) for a private mount namespace")
	}
	for _, p := range []string{"/lib/modules/" + kernel.Release() + "/build", "/sys/kernel/kheaders.tar.xz"} {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("the kernel's headers are installed (%s): -F has its structs", p)
		}
	}
	hidden := func(args ...string) (int, string) {
		script := `mount -t tmpfs gosnoop-test /sys/kernel/btf && exec "$@"`
		c := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", gosnoopBinary}, args...)...)
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	code, out := hidden("open", "-F", "-d", "1")
	if code != 1 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "reads kernel structs") || !strings.Contains(out, "neither headers nor BTF") {
		t.Errorf("open -F without kernel structs: exit %d, want 1 and one line:\n%s", code, out)
	}
	if code, out := hidden("open", "-d", "1"); code != 0 || !strings.Contains(out, "minimal header tree") {
		t.Errorf("open without -F on the minimal tree: exit %d:\n%s", code, out)
	}
}
