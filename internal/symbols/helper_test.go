package symbols

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// go test strips its binaries of their symbol tables, so the tests build
// a small program with them: once as a plain executable, once as a PIE.
var helpers struct {
	sync.Mutex
	dir   string
	built map[string]string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "symbols-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	helpers.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// helperBinary returns the path of pcprinter built with -buildmode=mode.
func helperBinary(t testing.TB, mode string) string {
	t.Helper()
	helpers.Lock()
	defer helpers.Unlock()
	if p, ok := helpers.built[mode]; ok {
		return p
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("needs the go tool to build a binary with symbols")
	}
	out := filepath.Join(helpers.dir, "pcprinter-"+mode)
	cmd := exec.Command(goTool, "build", "-buildmode="+mode, "-o", out, "./testdata/pcprinter")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building pcprinter (%s): %v\n%s", mode, err, b)
	}
	if helpers.built == nil {
		helpers.built = map[string]string{}
	}
	helpers.built[mode] = out
	return out
}

// startHelper runs pcprinter and returns its pid and the addresses of its
// functions by name; it ends when the test does.
func startHelper(t *testing.T, mode string) (uint32, map[string]uint64) {
	return startHelperTB(t, mode)
}

func startHelperB(b *testing.B) (uint32, map[string]uint64) { return startHelperTB(b, "pie") }

func startHelperTB(t testing.TB, mode string) (uint32, map[string]uint64) {
	t.Helper()
	cmd := exec.Command(helperBinary(t, mode))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	funcs := map[string]uint64{}
	sc := bufio.NewScanner(stdout)
	for len(funcs) < 2 && sc.Scan() {
		addr, name, _ := strings.Cut(sc.Text(), " ")
		a, err := strconv.ParseUint(addr, 16, 64)
		if err != nil {
			t.Fatalf("pcprinter printed %q", sc.Text())
		}
		funcs[name] = a
	}
	if len(funcs) < 2 {
		t.Fatalf("pcprinter printed %d functions", len(funcs))
	}
	return uint32(cmd.Process.Pid), funcs
}
