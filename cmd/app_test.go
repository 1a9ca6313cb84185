package cmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gosnoop/gosnoop/internal/launch"
	"github.com/gosnoop/gosnoop/internal/session"
)

// run runs the app in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := NewApp(&out, &errOut)
	err := app.RunContext(context.Background(), append([]string{"gosnoop"}, args...))
	code = ExitCode(err, &errOut)
	return code, out.String(), errOut.String()
}

// gosnoopBinary is built once by TestMain for tests that need a process of
// its own: signals, credentials, exit codes.
var gosnoopBinary string

func TestMain(m *testing.M) {
	if launch.IsGate(os.Args) { // --exec run in-process re-runs the test binary
		launch.RunGate(os.Args)
	}
	if os.Getenv(hostileChildEnv) != "" {
		hostileChild()
		return
	}
	if os.Getenv(readerChildEnv) != "" {
		readerChild()
		return
	}
	// GOSNOOP_BINARY runs the tests against a binary built elsewhere, as the
	// guest-VM test does where there is no Go toolchain.
	if gosnoopBinary = os.Getenv("GOSNOOP_BINARY"); gosnoopBinary != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "gosnoop-test-")
	if err != nil {
		panic(err)
	}
	os.Chmod(dir, 0o755) // tests run the binary as nobody too
	gosnoopBinary = filepath.Join(dir, "gosnoop")
	build := exec.Command("go", "build", "-o", gosnoopBinary, "..")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.Stderr.WriteString("building gosnoop for the tests failed\n")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a process writing while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestUnknownCommand(t *testing.T) {
	code, _, stderr := run(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestHelpListsOpen(t *testing.T) {
	code, stdout, _ := run(t, "--help")
	if code != 0 || !strings.Contains(stdout, "open") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

func TestExitCodeEscapesMessages(t *testing.T) {
	var errOut bytes.Buffer
	code := ExitCode(errors.New("libbcc said:\nheader \x1b]0;pwned\a line\nnext\tline \u202e"), &errOut)
	want := "gosnoop: libbcc said:\nheader \\x1b]0;pwned\\x07 line\nnext\tline \\u202e\n"
	if code != 1 || errOut.String() != want {
		t.Errorf("exit %d, printed %q, want %q", code, errOut.String(), want)
	}
}

func TestCountSummary(t *testing.T) {
	for _, c := range []struct {
		n, lost uint64
		want    string
	}{{0, 0, "0 events, 0 lost"}, {1, 0, "1 event, 0 lost"}, {2, 1, "2 events, 1 lost"}} {
		if got := session.CountSummary(c.n, "event", c.lost); got != c.want {
			t.Errorf("session.CountSummary(%d, %d) = %q, want %q", c.n, c.lost, got, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := run(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "gosnoop ") || !strings.Contains(stdout, "libbcc") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
