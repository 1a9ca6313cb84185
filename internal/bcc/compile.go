// Package bcc is gosnoop's glue to libbcc: compiling C through gobpf with
// libbcc's diagnostics captured, attaching probes, and reading perf buffers.
// It is the only package that imports gobpf or cgo.
package bcc

/*
#cgo LDFLAGS: -lbcc
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	gobpf "github.com/iovisor/gobpf/bcc"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// CompileError carries libbcc's own diagnostics, verbatim, and a hint when
// they show the program needs what the minimal header tree lacks.
type CompileError struct {
	Diagnostics string
	Hint        string
}

func (e *CompileError) Error() string {
	d := strings.TrimSpace(e.Diagnostics)
	if d == "" {
		d = "libbcc printed no diagnostics"
	}
	msg := "compiling BPF program failed; libbcc said:\n" + d
	if e.Hint != "" {
		msg += "\n" + e.Hint
	}
	return msg
}

// treeHint explains diagnostics about missing types under gosnoop's own
// trees: the minimal tree has syscall arguments but no kernel structs; the
// BTF tree has the kernel types the program named, what they hold, and
// forward declarations of what they point to.
func treeHint(headers kheaders.Source, diag string) string {
	missing := false
	for _, sign := range []string{"unknown type name", "incomplete type", "incomplete definition", "undeclared identifier"} {
		missing = missing || strings.Contains(diag, sign)
	}
	switch {
	case !missing:
		return ""
	case headers.Kind == kheaders.Minimal:
		return fmt.Sprintf("gosnoop's minimal header tree has syscall argument types but no kernel structs; this needs real headers (%s)", kheaders.InstallHint())
	case headers.Kind == kheaders.BTF:
		return "the header gosnoop generated from the kernel's BTF declares the kernel types the program names and what they hold; a type reached only through a pointer is declared but incomplete: name it too"
	}
	return ""
}

// pickedHeaders holds the trees picked so far, by their roots.
var pickedHeaders struct {
	sync.Mutex
	picked map[string]picked
}

type picked struct {
	src kheaders.Source
	err error
}

// Headers picks the kernel headers for a program naming roots (the kernel
// types it reads), once per process and set of roots: installed headers,
// else a tree generated from the kernel's BTF, else the minimal tree (see
// kheaders.Prepare).
func Headers(roots []btfheader.Root) (kheaders.Source, error) {
	roots = btfheader.SortedRoots(roots)
	key := fmt.Sprint(roots)
	pickedHeaders.Lock()
	defer pickedHeaders.Unlock()
	if p, ok := pickedHeaders.picked[key]; ok {
		return p.src, p.err
	}
	src, err := kheaders.Prepare(kheaders.CacheDir(), roots)
	if pickedHeaders.picked == nil {
		pickedHeaders.picked = map[string]picked{}
	}
	pickedHeaders.picked[key] = picked{src, err}
	return src, err
}

// ReleaseHeaders removes the private temporary header trees Headers wrote
// when the cache directory could not be trusted; it does nothing otherwise.
// Call it once the process compiles nothing more.
func ReleaseHeaders() error {
	pickedHeaders.Lock()
	defer pickedHeaders.Unlock()
	var first error
	for _, p := range pickedHeaders.picked {
		if err := p.src.Cleanup(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Compile compiles C source with libbcc; roots are the kernel types it
// names (see Headers).
func Compile(src string, roots ...btfheader.Root) (*Module, error) {
	headers, err := Headers(roots)
	if err != nil {
		return nil, err
	}
	return CompileWith(src, headers)
}

// CompileOnce compiles C source with libbcc, neither reading nor writing
// the compile cache: for a program that holds a value of this run only
// (a trace_pipe tag), which no later run could use.
func CompileOnce(src string, roots ...btfheader.Root) (*Module, error) {
	headers, err := Headers(roots)
	if err != nil {
		return nil, err
	}
	return compileAndLoad(src, headers, false)
}

// CompileWith compiles C source with libbcc against the given headers, or
// takes what an earlier compile of it made from the compile cache, and
// loads it.
func CompileWith(src string, headers kheaders.Source) (*Module, error) {
	return compileAndLoad(src, headers, true)
}

func compileAndLoad(src string, headers kheaders.Source, cache bool) (*Module, error) {
	var img *image
	var diag, note string
	var err error
	if cache {
		img, diag, note, err = cachedImage(src, headers)
	} else {
		img, diag, err = compileImage(src, headers)
		note = "compile cache not used: the program holds this run's trace_pipe tag"
	}
	if err != nil {
		return nil, err
	}
	m, err := newModule(img)
	if err != nil {
		return nil, err
	}
	m.Headers, m.Warnings, m.src, m.Cache = headers, diag, src, note
	return m, nil
}

// compileImage compiles src with libbcc and takes the image of what it
// made, then lets libbcc's module go: the Module is loaded from the image.
func compileImage(src string, headers kheaders.Source) (*image, string, error) {
	m, diag, err := compileLibbcc(src, headers)
	if err != nil {
		return nil, "", err
	}
	defer m.Close()
	img, err := extract(m)
	if err != nil {
		return nil, "", fmt.Errorf("taking the compiled program from libbcc: %w", err)
	}
	return img, diag, nil
}

// compileLibbcc compiles src through gobpf, with libbcc's output captured.
func compileLibbcc(src string, headers kheaders.Source) (*gobpf.Module, string, error) {
	var m *gobpf.Module
	var envErr error
	diag, err := captureStdio(func() {
		// libbcc reads the variable as it compiles; captureStdio's lock
		// keeps another compile from changing it meanwhile, and it is put
		// back after, so kheaders.Find still sees only the user's choice.
		if headers.Kind == kheaders.Minimal || headers.Kind == kheaders.BTF || headers.Kind == kheaders.FromEnv {
			old, was := os.LookupEnv(kheaders.EnvVar)
			if envErr = os.Setenv(kheaders.EnvVar, headers.Dir); envErr != nil {
				return
			}
			defer func() {
				if was {
					os.Setenv(kheaders.EnvVar, old)
				} else {
					os.Unsetenv(kheaders.EnvVar)
				}
			}()
		}
		m = gobpf.NewModule(src, nil)
	})
	if err == nil {
		err = envErr
	}
	if err != nil {
		return nil, "", fmt.Errorf("capturing libbcc output: %w", err)
	}
	if m == nil {
		return nil, "", &CompileError{Diagnostics: diag, Hint: treeHint(headers, diag)}
	}
	return m, diag, nil
}

// explainRejection loads prog through libbcc's own module, compiled again
// from src, for the verifier's log with the C source lines libbcc's BTF
// adds (a load from an image has no BTF, so its log has none). It is the
// error path only; nil when that load does not fail the same way.
func explainRejection(src string, headers kheaders.Source, prog string, progType int) *VerifierError {
	m, _, err := compileLibbcc(src, headers)
	if err != nil {
		return nil
	}
	defer m.Close()
	var loadErr error
	diag, cerr := captureStdio(func() {
		if progType == progKprobe {
			_, loadErr = m.LoadKprobe(prog)
		} else {
			_, loadErr = m.LoadTracepoint(prog)
		}
	})
	if cerr != nil || loadErr == nil {
		return nil
	}
	return verifierError(prog, diag, loadErr)
}

// stdioMu serialises redirections of the process's stdout and stderr.
var stdioMu sync.Mutex

// captureStdio runs f with file descriptors 1 and 2 sent to an anonymous
// memory file and returns what was written there. libbcc reports compile
// and attach problems on stderr and on C++'s stdout, which is buffered and
// would otherwise be lost or printed long after the error it explains.
//
// The file has no name (memfd, or a temporary file unlinked at once), so a
// SIGKILL leaves nothing behind. A SIGQUIT while the descriptors point there
// would send Go's goroutine dump into the file, so it first puts them back
// and then lets the signal do what it does.
func captureStdio(f func()) (string, error) {
	stdioMu.Lock()
	defer stdioMu.Unlock()

	tmp, err := anonymousFile("gosnoop-libbcc")
	if err != nil {
		return "", err
	}
	defer tmp.Close()

	C.fflush(nil)
	saved := [2]int{-1, -1}
	for i, fd := range []int{1, 2} {
		if saved[i], err = syscall.Dup(fd); err != nil {
			return "", err
		}
		defer syscall.Close(saved[i])
	}

	quit := make(chan os.Signal, 1)
	signal.Notify(quit, syscall.SIGQUIT)
	done := make(chan struct{})
	var restoreOnce sync.Once
	restore := func() (err error) {
		restoreOnce.Do(func() { err = restoreStdio(saved) })
		return err
	}
	go func() {
		select {
		case <-quit:
			restore()
			signal.Reset(syscall.SIGQUIT)
			syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(quit)
		close(done)
	}()

	for _, fd := range []int{1, 2} {
		if err := syscall.Dup3(int(tmp.Fd()), fd, 0); err != nil {
			restore()
			return "", err
		}
	}
	// Restore even if f panics, so the panic message is not lost.
	defer restore()
	f()
	C.fflush(nil)
	if err := restore(); err != nil {
		return "", err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	out, err := io.ReadAll(tmp)
	return string(out), err
}

// anonymousFile returns a read-write file with no name in any directory.
func anonymousFile(name string) (*os.File, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if fd, _ := C.memfd_create(cname, C.MFD_CLOEXEC); fd >= 0 {
		return os.NewFile(uintptr(fd), "memfd:"+name), nil
	}
	// Kernels before 3.17: a temporary file, unlinked before anything runs.
	f, err := os.CreateTemp("", name+"-")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func restoreStdio(saved [2]int) error {
	var errs []error
	for i, fd := range []int{1, 2} {
		if saved[i] >= 0 {
			errs = append(errs, syscall.Dup3(saved[i], fd, 0))
		}
	}
	return errors.Join(errs...)
}
