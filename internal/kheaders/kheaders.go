// Package kheaders decides which kernel headers libbcc compiles against and,
// where the running kernel has none installed, writes gosnoop's own minimal
// header tree for it.
package kheaders

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// Kind says where the headers come from.
type Kind string

const (
	FromEnv  Kind = "BCC_KERNEL_SOURCE" // the user's choice, passed to libbcc untouched
	Host     Kind = "host"              // /lib/modules/<release>/build
	Kheaders Kind = "kheaders"          // the kernel's own /sys/kernel/kheaders.tar.xz
	Minimal  Kind = "minimal"           // gosnoop's tree: no kernel structs
)

// Source is the header tree libbcc will use.
type Source struct {
	Kind Kind
	Dir  string
}

// EnvVar is the variable through which libbcc takes a kernel source tree.
const EnvVar = "BCC_KERNEL_SOURCE"

//go:embed tree
var tree embed.FS

// Paths read by Find; tests point them elsewhere.
var (
	modulesDir   = "/lib/modules"
	kheadersFile = "/sys/kernel/kheaders.tar.xz"
	uapiDir      = "/usr/include"
)

// Release returns the running kernel's release, as uname -r prints it.
func Release() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "unknown"
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// InstallHint is the command that installs real headers on Debian and Ubuntu.
func InstallHint() string {
	return "apt-get install linux-headers-" + Release()
}

// Find reports which headers libbcc would find on its own, in libbcc's order.
// It returns Minimal with an empty Dir when there are none.
func Find() Source {
	if dir := os.Getenv(EnvVar); dir != "" {
		return Source{FromEnv, dir}
	}
	build := filepath.Join(modulesDir, Release(), "build")
	if isDir(build) {
		return Source{Host, build}
	}
	if _, err := os.Stat(kheadersFile); err == nil {
		return Source{Kheaders, kheadersFile}
	}
	return Source{Kind: Minimal}
}

// Prepare returns the headers to compile against, writing the minimal tree
// under cacheDir when the kernel has none. The caller passes Dir to libbcc
// through EnvVar when Kind is Minimal.
func Prepare(cacheDir string) (Source, error) {
	src := Find()
	if src.Kind != Minimal {
		return src, nil
	}
	dir, err := writeMinimalTree(cacheDir)
	if err != nil {
		return src, fmt.Errorf("no kernel headers for %s and writing the minimal tree failed: %w (install real ones: %s)", Release(), err, InstallHint())
	}
	src.Dir = dir
	return src, nil
}

// archDir is the kernel's name for the architecture the tree is written for.
func archDir() (arch, triplet string, err error) {
	switch runtime.GOARCH {
	case "amd64":
		return "x86", "x86_64-linux-gnu", nil
	default:
		return "", "", fmt.Errorf("the minimal header tree supports amd64 only, not %s", runtime.GOARCH)
	}
}

func writeMinimalTree(cacheDir string) (string, error) {
	arch, triplet, err := archDir()
	if err != nil {
		return "", err
	}
	if !isFile(filepath.Join(uapiDir, "linux", "types.h")) {
		return "", fmt.Errorf("kernel UAPI headers missing from %s (apt-get install linux-libc-dev)", uapiDir)
	}
	asmDir := filepath.Join(uapiDir, triplet, "asm")
	if !isDir(asmDir) {
		asmDir = filepath.Join(uapiDir, "asm")
	}
	links := map[string]string{
		"include/uapi/linux":       filepath.Join(uapiDir, "linux"),
		"include/uapi/asm":         asmDir,
		"include/uapi/asm-generic": filepath.Join(uapiDir, "asm-generic"),
	}

	dir := filepath.Join(cacheDir, "minimal-headers-"+treeHash(links))
	if isDir(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".minimal-headers-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // left over only when the rename below did not happen

	err = fs.WalkDir(tree, "tree", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(path, "tree"), "/")
		rel = strings.Replace(rel, "arch/x86/", "arch/"+arch+"/", 1)
		target := filepath.Join(tmp, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := tree.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return "", err
	}
	for link, target := range links {
		path := filepath.Join(tmp, link)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.Symlink(target, path); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if isDir(dir) { // another gosnoop wrote it first
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}

// treeHash names a tree by its content and links, so a new gosnoop never
// reuses an older tree.
func treeHash(links map[string]string) string {
	h := sha256.New()
	_ = fs.WalkDir(tree, "tree", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := tree.ReadFile(path)
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	for _, k := range []string{"include/uapi/linux", "include/uapi/asm", "include/uapi/asm-generic"} {
		fmt.Fprintf(h, "%s\x00%s\x00", k, links[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// CacheDir is where gosnoop keeps the minimal tree.
func CacheDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "gosnoop")
	}
	return filepath.Join(os.TempDir(), "gosnoop-cache")
}

// ErrNeedsKernelStructs is returned for programs that need real headers when
// only the minimal tree is available.
var ErrNeedsKernelStructs = errors.New("needs kernel structs from real kernel headers")

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
