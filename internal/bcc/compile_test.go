package bcc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// fdIdentity is what fd points at, so a test can tell whether a redirection
// was undone.
type fdIdentity struct{ dev, ino uint64 }

func identify(t *testing.T, fd int) fdIdentity {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat fd %d: %v", fd, err)
	}
	return fdIdentity{uint64(st.Dev), st.Ino}
}

func randomTag(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// redirectStdio points fds 1 and 2 at a fresh file, so the test can see what
// leaked past captureStdio. The returned function undoes it and returns what
// was written. Nothing may call t.Log/t.Fatal in between: with -v they write
// to fd 1.
func redirectStdio(t *testing.T) (restore func() string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "outer-stdio-")
	if err != nil {
		t.Fatal(err)
	}
	var saved [2]int
	for i, fd := range []int{1, 2} {
		if saved[i], err = syscall.Dup(fd); err != nil {
			t.Fatal(err)
		}
	}
	for _, fd := range []int{1, 2} {
		if err := syscall.Dup3(int(f.Fd()), fd, 0); err != nil {
			t.Fatal(err)
		}
	}
	done := false
	undo := func() string {
		if done {
			return ""
		}
		done = true
		for i, fd := range []int{1, 2} {
			syscall.Dup3(saved[i], fd, 0)
			syscall.Close(saved[i])
		}
		out, _ := os.ReadFile(f.Name())
		f.Close()
		return string(out)
	}
	t.Cleanup(func() { undo() })
	return undo
}

func TestCompileErrorCarriesLibbccDiagnostics(t *testing.T) {
	const src = "int broken(void *ctx) { return undeclared_thing; }\n"

	outer := redirectStdio(t)
	outerIDs := [2]fdIdentity{identify(t, 1), identify(t, 2)}
	m, err := Compile(src)
	afterIDs := [2]fdIdentity{identify(t, 1), identify(t, 2)}
	leaked := outer()

	if m != nil {
		m.Close()
		t.Fatal("Compile of broken C returned a module")
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("Compile error is %T (%v), want *CompileError", err, err)
	}
	for _, want := range []string{"undeclared_thing", "error:"} {
		if !strings.Contains(ce.Diagnostics, want) {
			t.Errorf("diagnostics lack %q:\n%s", want, ce.Diagnostics)
		}
	}
	if !strings.Contains(err.Error(), "undeclared_thing") {
		t.Errorf("error message lacks libbcc's text: %v", err)
	}
	if afterIDs != outerIDs {
		t.Errorf("fds 1,2 after Compile point at %v, before at %v: not restored", afterIDs, outerIDs)
	}
	if strings.Contains(leaked, "undeclared_thing") {
		t.Errorf("libbcc's diagnostics reached the process's stdio instead of the capture:\n%s", leaked)
	}
}

func TestCaptureStdioCapturesFdWrites(t *testing.T) {
	before := [2]fdIdentity{identify(t, 1), identify(t, 2)}
	out1, err1 := "to-fd-1-"+randomTag(t), "to-fd-2-"+randomTag(t)

	got, err := captureStdio(func() {
		syscall.Write(1, []byte(out1+"\n"))
		syscall.Write(2, []byte(err1+"\n"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{out1, err1} {
		if !strings.Contains(got, want) {
			t.Errorf("capture %q lacks %q", got, want)
		}
	}
	if after := [2]fdIdentity{identify(t, 1), identify(t, 2)}; after != before {
		t.Errorf("fds 1,2 point at %v after captureStdio, at %v before", after, before)
	}
}

func TestCaptureStdioIsolatesCalls(t *testing.T) {
	first, between, second := "first-"+randomTag(t), "between-"+randomTag(t), "second-"+randomTag(t)

	outer := redirectStdio(t)
	got1, errA := captureStdio(func() { os.Stderr.WriteString(first + "\n") })
	_, errB := os.Stderr.WriteString(between + "\n")
	got2, errC := captureStdio(func() { os.Stderr.WriteString(second + "\n") })
	leaked := outer()

	for _, err := range []error{errA, errB, errC} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(got1, first) || strings.Contains(got1, second) || strings.Contains(got1, between) {
		t.Errorf("first capture = %q, want only %q", got1, first)
	}
	if !strings.Contains(got2, second) || strings.Contains(got2, first) || strings.Contains(got2, between) {
		t.Errorf("second capture = %q, want only %q", got2, second)
	}
	if !strings.Contains(leaked, between) {
		t.Errorf("a write to os.Stderr between captures did not reach stderr; stderr got %q", leaked)
	}
	if strings.Contains(leaked, first) || strings.Contains(leaked, second) {
		t.Errorf("captured text also reached stderr: %q", leaked)
	}
}
