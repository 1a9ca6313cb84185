package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// freshCache gives the gosnoop binary a compile cache of its own, under the
// real per-user cache (under /tmp it would be refused).
func freshCache(t *testing.T) (env []string, programs string) {
	t.Helper()
	base := kheaders.CacheDir()
	if base == "" {
		t.Skip("no per-user cache dir")
	}
	os.MkdirAll(base, 0o700)
	dir, err := os.MkdirTemp(base, "test-cache-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return append(os.Environ(), "XDG_CACHE_HOME="+dir), filepath.Join(dir, "gosnoop", "programs")
}

// A second run of the same command loads the program from the compile
// cache and decodes the same events; options rendered into C miss, filter
// values (written to a table) do not; --no-cache neither reads nor writes
// it; "gosnoop cache" counts and cleans it.
func TestSecondRunHitsTheCompileCache(t *testing.T) {
	needRootAndTracefs(t)
	env, programs := freshCache(t)
	run := func(args ...string) (*tracer, openEvent, openEvent) {
		t.Helper()
		present, missing := markerPaths(t)
		tr := startTracerEnv(t, env, append([]string{"open", "--json", "-v"}, args...)...)
		var got openEvent
		if len(args) == 0 { // -x shows only the missing one
			got = tr.waitFor(t, present, catFile(t, present))
		}
		gotMissing := tr.waitFor(t, missing, catFile(t, missing))
		tr.stop(t)
		return tr, got, gotMissing
	}
	first, p1, m1 := run()
	second, p2, m2 := run()
	if !strings.Contains(first.stderr.String(), "not in the compile cache; compiled and stored") {
		t.Errorf("first run:\n%s", first.stderr.String())
	}
	if !strings.Contains(second.stderr.String(), "loaded from the compile cache") {
		t.Errorf("second run:\n%s", second.stderr.String())
	}
	for _, c := range []struct {
		name  string
		got   openEvent
		fd    bool
		errno int
	}{{"present, compiled", p1, true, 0}, {"present, cached", p2, true, 0}, {"missing, compiled", m1, false, int(syscall.ENOENT)}, {"missing, cached", m2, false, int(syscall.ENOENT)}} {
		if c.got.Comm != "cat" || (c.got.FD >= 3) != c.fd || c.got.Errno != c.errno {
			t.Errorf("%s: %+v", c.name, c.got)
		}
	}
	other, _, _ := run("-x")
	if !strings.Contains(other.stderr.String(), "not in the compile cache") {
		t.Errorf("-x renders another program, which should miss:\n%s", other.stderr.String())
	}
	// Filters live in a table the program reads: other values, same program.
	filtered, _, m3 := run("-x", "-u", "0")
	if !strings.Contains(filtered.stderr.String(), "loaded from the compile cache") || m3.Errno != int(syscall.ENOENT) {
		t.Errorf("-x -u 0 after -x should hit and still filter (%+v):\n%s", m3, filtered.stderr.String())
	}
	off, _, _ := run("--no-cache")
	if !strings.Contains(off.stderr.String(), "compile cache off (--no-cache)") {
		t.Errorf("--no-cache:\n%s", off.stderr.String())
	}
	entries, _ := filepath.Glob(filepath.Join(programs, "*"))
	if len(entries) != 2 {
		t.Errorf("%d entries after two programs: %v", len(entries), entries)
	}
	for _, e := range entries {
		if st, err := os.Stat(e); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", e, st.Mode(), err)
		}
	}
	out, err := gosnoopEnv(env, "cache")
	if err != nil || !strings.Contains(out, programs+": 2 programs") {
		t.Errorf("gosnoop cache: %q, %v", out, err)
	}
	out, err = gosnoopEnv(env, "cache", "clean")
	if err != nil || out != "removed 2 programs\n" {
		t.Errorf("gosnoop cache clean: %q, %v", out, err)
	}
	if entries, _ := filepath.Glob(filepath.Join(programs, "*")); len(entries) != 0 {
		t.Errorf("left after clean: %v", entries)
	}
}

func gosnoopEnv(env []string, args ...string) (string, error) {
	c := exec.Command(gosnoopBinary, args...)
	c.Env = env
	out, err := c.Output()
	return string(out), err
}

func TestCacheUsage(t *testing.T) {
	code, _, stderr := run(t, "cache", "purge")
	if code != 2 || !strings.HasPrefix(stderr, "gosnoop: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// A program whose C holds this run's trace_pipe tag is never stored: no
// later run could load it.
func TestTracePipeProgramsAreNotCached(t *testing.T) {
	needRootAndTracefs(t)
	env, programs := freshCache(t)
	for _, args := range [][]string{{"hello", "-v", "-d", "100ms"}, {"open", "--output", "trace-pipe", "-v", "-d", "100ms"}} {
		c := exec.Command(gosnoopBinary, args...)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "compile cache not used: the program holds this run's trace_pipe tag") {
			t.Errorf("%v: %v\n%s", args, err, out)
		}
	}
	if entries, _ := filepath.Glob(filepath.Join(programs, "*")); len(entries) != 0 {
		t.Errorf("stored: %v", entries)
	}
}

// probe, top and life take -p from a table too: other pids, same program.
func TestPIDValuesShareAnEntry(t *testing.T) {
	needRootAndTracefs(t)
	env, _ := freshCache(t)
	for _, args := range [][]string{
		{"probe", `t:syscalls:sys_enter_getppid "%d", args->__syscall_nr`},
		{"top", "--json"},
		{"life"},
	} {
		var notes []string
		for _, pid := range []string{"1", "2"} {
			c := exec.Command(gosnoopBinary, append([]string{args[0], "-v", "-d", "100ms", "-p", pid}, args[1:]...)...)
			if args[0] == "top" { // top has no -d: one 1 s interval
				c = exec.Command(gosnoopBinary, "top", "-v", "--json", "-p", pid, "1", "1")
			}
			c.Env = env
			out, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", c.Args, err, out)
			}
			notes = append(notes, string(out))
		}
		if !strings.Contains(notes[0], "compiled and stored") || !strings.Contains(notes[1], "loaded from the compile cache") {
			t.Errorf("%s -p 1 then -p 2:\n%s\n---\n%s", args[0], notes[0], notes[1])
		}
	}
}
