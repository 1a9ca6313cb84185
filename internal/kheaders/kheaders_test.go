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
	oldModules, oldKheaders, oldBTF := modulesDir, kheadersFile, vmlinuxBTF
	modulesDir = filepath.Join(root, "modules")
	kheadersFile = filepath.Join(root, "kheaders.tar.xz")
	vmlinuxBTF = filepath.Join(root, "no-btf") // the BTF tree's tests set it
	t.Cleanup(func() { modulesDir, kheadersFile, vmlinuxBTF = oldModules, oldKheaders, oldBTF })
	t.Setenv(EnvVar, "")
}

// needMinimalTree skips where the minimal tree cannot be written at all.
func needMinimalTree(t *testing.T) {
	t.Helper()
	if _, _, err := archDir(); err != nil {
		t.Skip(err)
	}
	if !isFile(filepath.Join(uapiDir, "linux", "types.h")) {
		t.Skip("kernel UAPI headers (linux-libc-dev) not installed")
	}
	fakeSystem(t)
}

// privateBase returns a directory that only we can write to and makes it the
// top of the parents check: t.TempDir() is under the world-writable /tmp,
// which Prepare rightly refuses.
func privateBase(t *testing.T) string {
	t.Helper()
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o700); err != nil {
		t.Fatal(err)
	}
	old := trustedRoot
	trustedRoot = base
	t.Cleanup(func() { trustedRoot = old })
	return base
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode()
}

// requireIntact fails unless dir holds exactly the embedded tree.
func requireIntact(t *testing.T, dir string) {
	t.Helper()
	want, err := minimalTree()
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyTree(dir, want, os.Geteuid()); err != nil {
		t.Fatalf("tree %s: %v", dir, err)
	}
}

// requirePrivateTemp fails unless src is a fresh private tree outside
// cacheDir that Cleanup removes, with a one-line Note saying why.
func requirePrivateTemp(t *testing.T, src Source, cacheDir, why string) {
	t.Helper()
	if src.Dir == "" || (cacheDir != "" && strings.HasPrefix(src.Dir, cacheDir)) {
		t.Fatalf("got %+v, want a private tree outside %s", src, cacheDir)
	}
	if !strings.Contains(src.Note, why) || strings.Contains(src.Note, "\n") {
		t.Errorf("Note %q: want one line saying %q", src.Note, why)
	}
	if m := mode(t, src.Dir); m != os.ModeDir|0o700 {
		t.Errorf("private tree %s has mode %v, want drwx------", src.Dir, m)
	}
	t.Logf("Note: %s", src.Note)
	requireIntact(t, src.Dir)
	src.Cleanup()
	if _, err := os.Lstat(src.Dir); !os.IsNotExist(err) {
		t.Errorf("Cleanup left %s behind (%v)", src.Dir, err)
	}
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
	needMinimalTree(t)
	cache := filepath.Join(privateBase(t), "home", ".cache", "gosnoop")
	src, err := Prepare(cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != Minimal || filepath.Dir(src.Dir) != cache || src.Note != "" {
		t.Fatalf("got %+v, want a tree in %s", src, cache)
	}
	for _, d := range []string{cache, filepath.Dir(cache)} {
		if m := mode(t, d); m != os.ModeDir|0o700 {
			t.Errorf("%s created with mode %v, want drwx------", d, m)
		}
	}
	for _, f := range []string{"include/linux/kconfig.h", "include/linux/log2.h", "arch/x86/include/asm/page.h",
		"arch/x86/include/uapi/linux/bpf.h", "include/uapi/linux/types.h", "include/uapi/asm/types.h",
		"include/uapi/asm-generic/int-ll64.h"} {
		if !isFile(filepath.Join(src.Dir, f)) {
			t.Errorf("tree lacks %s", f)
		}
	}
	src.Cleanup() // the cached tree stays
	again, err := Prepare(cache, nil)
	if err != nil || again.Dir != src.Dir || again.Note != "" {
		t.Fatalf("second Prepare: %+v, %v; want the same tree", again, err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d entries, want 1 (no temp dirs left behind)", len(entries))
	}
}

func TestPrepareTightensOurCacheDir(t *testing.T) {
	needMinimalTree(t)
	cache := filepath.Join(privateBase(t), "gosnoop")
	if err := os.Mkdir(cache, 0o755); err != nil { // as older gosnoops made it
		t.Fatal(err)
	}
	src, err := Prepare(cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(src.Dir) != cache {
		t.Fatalf("got %+v, want the tree in %s", src, cache)
	}
	if m := mode(t, cache); m != os.ModeDir|0o700 {
		t.Errorf("cache dir has mode %v, want drwx------", m)
	}
}

func TestPrepareRefusesWritableParent(t *testing.T) {
	needMinimalTree(t)
	for _, perm := range []os.FileMode{0o777, 0o777 | os.ModeSticky, 0o775} {
		shared := filepath.Join(privateBase(t), "shared")
		if err := os.Mkdir(shared, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(shared, perm); err != nil {
			t.Fatal(err)
		}
		cache := filepath.Join(shared, "gosnoop")
		src, err := Prepare(cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		requirePrivateTemp(t, src, cache, "writable by group or others")
		if _, err := os.Lstat(cache); !os.IsNotExist(err) {
			t.Errorf("parent %v: cache dir created anyway (%v)", perm, err)
		}
	}
}

func TestPrepareRefusesCacheUnderTmp(t *testing.T) {
	needMinimalTree(t)
	if mode(t, os.TempDir()).Perm()&0o002 == 0 {
		t.Skipf("%s is not world-writable here", os.TempDir())
	}
	cache := filepath.Join(os.TempDir(), "gosnoop-cache")
	src, err := Prepare(cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	requirePrivateTemp(t, src, cache, "writable by group or others")
}

func TestNoCacheDirMeansPrivateTempTree(t *testing.T) {
	needMinimalTree(t)
	for _, env := range []struct{ home, xdg string }{
		{"", ""},
		{"", "relative/cache"},
		{"/root", "relative/cache"},
		{"relative/home", ""},
	} {
		for k, v := range map[string]string{"HOME": env.home, "XDG_CACHE_HOME": env.xdg} {
			t.Setenv(k, v)
			if v == "" {
				os.Unsetenv(k) // t.Setenv restores it
			}
		}
		dir := CacheDir()
		if dir != "" && (!filepath.IsAbs(dir) || strings.HasPrefix(dir, os.TempDir())) {
			t.Errorf("%+v: CacheDir() = %q, want a per-user path or none", env, dir)
		}
		first, err := Prepare(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := Prepare(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if first.Dir == second.Dir {
			t.Errorf("%+v: two runs share %s", env, first.Dir)
		}
		requirePrivateTemp(t, first, dir, "cache dir")
		requirePrivateTemp(t, second, dir, "cache dir")
	}
}

func TestPrepareRefusesCacheDirOfAnotherUser(t *testing.T) {
	needMinimalTree(t)
	cache := filepath.Join(privateBase(t), "gosnoop")
	if err := os.Mkdir(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	other := os.Geteuid() + 1 // the cache dir is ours, so not this user's
	src, err := prepareMinimal(cache, other)
	if err != nil {
		t.Fatal(err)
	}
	requirePrivateTemp(t, src, cache, "owned by uid")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("refused cache dir written to: %v", entries)
	}
}

// planted is what a hostile user would put in a tree under the expected
// name: kconfig.h is force-included by libbcc, so it can redefine a helper.
const planted = "#define bpf_get_current_comm(...) 0 /* planted */\n"

func TestPlantedTreeIsNeverUsed(t *testing.T) {
	needMinimalTree(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root: plants files owned by another user (uid 65534)")
	}
	const nobody = 65534
	want, err := minimalTree()
	if err != nil {
		t.Fatal(err)
	}
	name := "minimal-headers-" + treeHash(want)
	plantTree := func(t *testing.T, cache string) string {
		kconfig := filepath.Join(cache, name, "include", "linux", "kconfig.h")
		if err := os.MkdirAll(filepath.Dir(kconfig), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kconfig, []byte(planted), 0o644); err != nil {
			t.Fatal(err)
		}
		return kconfig
	}
	chownAll := func(t *testing.T, dir string) {
		err := filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, nobody, nobody)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	notPlanted := func(t *testing.T, dir string) {
		data, err := os.ReadFile(filepath.Join(dir, "include", "linux", "kconfig.h"))
		if err != nil || strings.Contains(string(data), "planted") {
			t.Fatalf("returned tree %s carries the planted kconfig.h (%v)", dir, err)
		}
		requireIntact(t, dir)
	}

	t.Run("cache dir owned by another user", func(t *testing.T) {
		cache := filepath.Join(privateBase(t), "gosnoop")
		if err := os.Mkdir(cache, 0o700); err != nil {
			t.Fatal(err)
		}
		kconfig := plantTree(t, cache)
		chownAll(t, cache)
		src, err := Prepare(cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		notPlanted(t, src.Dir)
		requirePrivateTemp(t, src, cache, "owned by uid 65534")
		if data, _ := os.ReadFile(kconfig); string(data) != planted {
			t.Errorf("another user's files were changed")
		}
	})
	t.Run("tree owned by another user in our cache dir", func(t *testing.T) {
		cache := filepath.Join(privateBase(t), "gosnoop")
		if err := os.Mkdir(cache, 0o700); err != nil {
			t.Fatal(err)
		}
		plantTree(t, cache)
		chownAll(t, filepath.Join(cache, name))
		src, err := Prepare(cache, nil)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(src.Dir) != cache || !strings.Contains(src.Note, "rebuilt") {
			t.Errorf("got %+v, want the tree in %s rebuilt", src, cache)
		}
		notPlanted(t, src.Dir)
	})
}

func TestDamagedTreeIsRebuilt(t *testing.T) {
	needMinimalTree(t)
	for _, tc := range []struct {
		name   string
		damage func(tree string) error
	}{
		{"emptied file", func(tree string) error {
			return os.Truncate(filepath.Join(tree, "include/linux/kconfig.h"), 0)
		}},
		{"modified file", func(tree string) error {
			return os.WriteFile(filepath.Join(tree, "arch/x86/include/asm/page.h"), []byte("#define PAGE_SIZE 1\n"), 0o644)
		}},
		{"extra file", func(tree string) error {
			return os.WriteFile(filepath.Join(tree, "include/linux/sched.h"), []byte("#error\n"), 0o644)
		}},
		{"extra dir", func(tree string) error {
			return os.Mkdir(filepath.Join(tree, "include/net"), 0o755)
		}},
		{"missing file", func(tree string) error {
			return os.Remove(filepath.Join(tree, "include/linux/log2.h"))
		}},
		{"re-pointed symlink", func(tree string) error {
			link := filepath.Join(tree, "include/uapi/linux")
			if err := os.Remove(link); err != nil {
				return err
			}
			return os.Symlink(filepath.Dir(tree), link)
		}},
		{"group-writable file", func(tree string) error {
			return os.Chmod(filepath.Join(tree, "include/linux/kconfig.h"), 0o664)
		}},
		{"tree is a symlink", func(tree string) error {
			moved := filepath.Join(filepath.Dir(filepath.Dir(tree)), "moved")
			if err := os.Rename(tree, moved); err != nil {
				return err
			}
			return os.Symlink(moved, tree)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := filepath.Join(privateBase(t), "gosnoop")
			src, err := Prepare(cache, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.damage(src.Dir); err != nil {
				t.Fatal(err)
			}
			again, err := Prepare(cache, nil)
			if err != nil {
				t.Fatal(err)
			}
			if again.Dir != src.Dir || !strings.Contains(again.Note, "rebuilt") || strings.Contains(again.Note, "\n") {
				t.Errorf("got %+v, want %s rebuilt with a one-line Note", again, src.Dir)
			}
			t.Logf("Note: %s", again.Note)
			requireIntact(t, again.Dir)
			if entries, _ := os.ReadDir(cache); len(entries) != 1 {
				t.Errorf("cache holds %d entries, want 1 (no stale or temp dirs)", len(entries))
			}
		})
	}
}

func TestVerifyTreeChecksOwner(t *testing.T) {
	needMinimalTree(t)
	cache := filepath.Join(privateBase(t), "gosnoop")
	src, err := Prepare(cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := minimalTree()
	err = verifyTree(src.Dir, want, os.Geteuid()+1)
	if err == nil || !strings.Contains(err.Error(), "owned by uid") {
		t.Errorf("tree of uid %d checked for uid %d: %v, want refused", os.Geteuid(), os.Geteuid()+1, err)
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
	_, err := Prepare(t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "linux-libc-dev") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want a one-line error naming linux-libc-dev", err)
	}
}

// BenchmarkPrepareReusesTree is what every run pays to check the cached tree.
func BenchmarkPrepareReusesTree(b *testing.B) {
	base, _ := filepath.EvalSymlinks(b.TempDir())
	os.Chmod(base, 0o700)
	old := trustedRoot
	trustedRoot = base
	defer func() { trustedRoot = old }()
	cache := filepath.Join(base, "gosnoop")
	if _, err := PrepareMinimal(cache); err != nil {
		b.Skip(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if src, err := PrepareMinimal(cache); err != nil || src.Note != "" {
			b.Fatal(src, err)
		}
	}
}
