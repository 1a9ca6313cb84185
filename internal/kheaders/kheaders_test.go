package kheaders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fakeSystem(t *testing.T) {
	t.Helper()
	root := t.TempDir()
	oldModules, oldKheaders := modulesDir, kheadersFile
	modulesDir = filepath.Join(root, "modules")
	kheadersFile = filepath.Join(root, "kheaders.tar.xz")
	t.Cleanup(func() { modulesDir, kheadersFile = oldModules, oldKheaders })
	t.Setenv(EnvVar, "")
}

func TestFindOrder(t *testing.T) {
	fakeSystem(t)
	if got := Find(); got.Kind != Minimal {
		t.Fatalf("nothing installed: got %+v, want minimal", got)
	}
	if err := os.WriteFile(kheadersFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Find(); got.Kind != Kheaders {
		t.Fatalf("kheaders present: got %+v", got)
	}
	build := filepath.Join(modulesDir, Release(), "build")
	if err := os.MkdirAll(build, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Find(); got.Kind != Host || got.Dir != build {
		t.Fatalf("host headers present: got %+v", got)
	}
	t.Setenv(EnvVar, "/my/tree")
	if got := Find(); got.Kind != FromEnv || got.Dir != "/my/tree" {
		t.Fatalf("%s set: got %+v", EnvVar, got)
	}
}

func TestPrepareWritesMinimalTree(t *testing.T) {
	if _, _, err := archDir(); err != nil {
		t.Skip(err)
	}
	if !isFile(filepath.Join(uapiDir, "linux", "types.h")) {
		t.Skip("kernel UAPI headers (linux-libc-dev) not installed")
	}
	fakeSystem(t)
	cache := t.TempDir()
	src, err := Prepare(cache)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != Minimal || !strings.HasPrefix(src.Dir, cache) {
		t.Fatalf("got %+v", src)
	}
	for _, f := range []string{"include/linux/kconfig.h", "include/linux/log2.h", "arch/x86/include/asm/page.h",
		"arch/x86/include/uapi/linux/bpf.h", "include/uapi/linux/types.h", "include/uapi/asm/types.h",
		"include/uapi/asm-generic/int-ll64.h"} {
		if !isFile(filepath.Join(src.Dir, f)) {
			t.Errorf("tree lacks %s", f)
		}
	}
	again, err := Prepare(cache)
	if err != nil || again.Dir != src.Dir {
		t.Fatalf("second Prepare: %+v, %v; want the same tree", again, err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want 1 (no temp dirs left behind)", len(entries))
	}
}

func TestPrepareWithoutUAPIHeaders(t *testing.T) {
	if _, _, err := archDir(); err != nil {
		t.Skip(err)
	}
	fakeSystem(t)
	old := uapiDir
	uapiDir = t.TempDir()
	t.Cleanup(func() { uapiDir = old })
	_, err := Prepare(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "linux-libc-dev") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line error naming linux-libc-dev", err)
	}
}
