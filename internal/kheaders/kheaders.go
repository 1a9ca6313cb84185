// Package kheaders decides which kernel headers libbcc compiles against and,
// where the running kernel has none installed, writes a header tree of
// gosnoop's own for it: generated from the kernel's BTF where it has BTF
// (kernel structs included), or the minimal tree (syscall arguments only).
package kheaders

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
)

// Kind says where the headers come from.
type Kind string

const (
	FromEnv  Kind = "BCC_KERNEL_SOURCE" // the user's choice, passed to libbcc untouched
	Host     Kind = "host"              // /lib/modules/<release>/build
	Kheaders Kind = "kheaders"          // the kernel's own /sys/kernel/kheaders.tar.xz
	BTF      Kind = "btf"               // gosnoop's tree, its kernel types generated from the kernel's BTF
	Minimal  Kind = "minimal"           // gosnoop's tree: no kernel structs
)

// Source is the header tree libbcc will use.
type Source struct {
	Kind Kind
	Dir  string
	// Note says in one line why gosnoop's tree is not the usual cached
	// one (a private temporary tree, a damaged cache rebuilt, BTF that
	// could not be used); for -v.
	Note string
	// Generated says how the BTF header was made this run: its size and
	// the time it took; empty when a cached one was used.
	Generated string
	temp      string // a private tree for this process only, removed by Cleanup
}

// Cleanup removes the minimal tree when Prepare had to write a private
// temporary one; otherwise it does nothing. Call it once libbcc is done
// compiling.
func (s Source) Cleanup() error {
	if s.temp == "" {
		return nil
	}
	return os.RemoveAll(s.temp)
}

// EnvVar is the variable through which libbcc takes a kernel source tree.
const EnvVar = "BCC_KERNEL_SOURCE"

//go:embed tree
var tree embed.FS

// Paths read by Find and Prepare; tests point them elsewhere.
var (
	modulesDir   = "/lib/modules"
	kheadersFile = "/sys/kernel/kheaders.tar.xz"
	uapiDir      = "/usr/include"
	vmlinuxBTF   = btfheader.VmlinuxPath
	kernelNotes  = "/sys/kernel/notes" // the kernel's ELF notes: its GNU build id
)

// Release returns the running kernel's release, as uname -r prints it.
func Release() string { return kernel.Release() }

// InstallHint is the command that installs real headers on Debian and Ubuntu.
func InstallHint() string {
	return "apt-get install linux-headers-" + Release()
}

// Find reports which headers libbcc would find on its own, in libbcc's order.
// It returns Minimal with an empty Dir when there are none.
func Find() Source {
	if dir := os.Getenv(EnvVar); dir != "" {
		return Source{Kind: FromEnv, Dir: dir}
	}
	build := filepath.Join(modulesDir, Release(), "build")
	if isDir(build) {
		return Source{Kind: Host, Dir: build}
	}
	if _, err := os.Stat(kheadersFile); err == nil {
		return Source{Kind: Kheaders, Dir: kheadersFile}
	}
	return Source{Kind: Minimal}
}

// Choose reports what Prepare would use, writing nothing: Find's answer, or
// BTF (Dir: the kernel's BTF file) where Find has none and the kernel has
// BTF.
func Choose() Source {
	src := Find()
	if src.Kind == Minimal {
		if _, err := os.Stat(vmlinuxBTF); err == nil {
			return Source{Kind: BTF, Dir: vmlinuxBTF}
		}
	}
	return src
}

// Prepare returns the headers to compile against. Installed headers come
// first; without them, a tree whose kernel types are generated from the
// kernel's BTF (see PrepareBTF), declaring roots (the kernel types the
// program names) and the types syscall tracepoints name; without BTF, the
// minimal tree (see PrepareMinimal), which cannot serve a program with
// roots. The caller passes Dir to libbcc through EnvVar when gosnoop wrote
// the tree (BTF, Minimal), and calls Cleanup when done.
func Prepare(cacheDir string, roots []btfheader.Root) (Source, error) {
	src := Find()
	if src.Kind != Minimal {
		return src, nil
	}
	if _, err := os.Stat(vmlinuxBTF); err != nil {
		if len(roots) > 0 {
			return src, fmt.Errorf("this program reads kernel structs (%s), and this kernel has neither headers nor BTF (%v): install its headers: %s",
				rootList(roots), err, InstallHint())
		}
		return PrepareMinimal(cacheDir)
	}
	btf, err := PrepareBTF(cacheDir, roots)
	if err == nil {
		return btf, nil
	}
	if len(roots) > 0 {
		return src, fmt.Errorf("no kernel headers for %s: %w (install real ones: %s)", Release(), err, InstallHint())
	}
	minimal, merr := PrepareMinimal(cacheDir)
	minimal.Note = strings.TrimSuffix("headers from BTF failed ("+err.Error()+"); "+minimal.Note, "; ")
	return minimal, merr
}

func rootList(roots []btfheader.Root) string {
	var names []string
	for _, r := range roots {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// PrepareMinimal returns gosnoop's minimal tree, kept under cacheDir. gosnoop
// runs as root and compiles what it finds there, so the tree is reused only
// from a directory no other user can write to, and only if its content is
// exactly what this binary embeds; a damaged tree is rebuilt. Where cacheDir
// is unsafe or unusable ("" means there is none), the tree is written to a
// private temporary directory instead, Note says why, and Cleanup removes it.
func PrepareMinimal(cacheDir string) (Source, error) {
	return prepareMinimal(cacheDir, os.Geteuid())
}

func prepareMinimal(cacheDir string, euid int) (Source, error) {
	want, err := minimalTree()
	if err != nil {
		return Source{Kind: Minimal}, fmt.Errorf("no kernel headers for %s and the minimal tree cannot be used: %w (install real ones: %s)", Release(), err, InstallHint())
	}
	src, err := prepareTree(cacheDir, euid, Source{Kind: Minimal}, "minimal-headers-"+treeHash(want), want, nil)
	if err != nil {
		return src, fmt.Errorf("no kernel headers for %s and writing the minimal tree failed: %w (install real ones: %s)", Release(), err, InstallHint())
	}
	return src, nil
}

// prepareTree returns the tree want under cacheDir/name (see cachedTree),
// or in a private temporary directory when cacheDir cannot be trusted. fill,
// when set, completes want's generated entries; it is called only when the
// tree has to be written.
func prepareTree(cacheDir string, euid int, src Source, name string, want map[string]entry, fill func() error) (Source, error) {
	dir, err := privateDir(cacheDir, euid)
	if err == nil {
		var rebuilt error
		if src.Dir, rebuilt, err = cachedTree(dir, name, want, euid, fill); err == nil {
			if rebuilt != nil {
				src.Note = fmt.Sprintf("rebuilt the header tree %s: %v", src.Dir, rebuilt)
			}
			pruneTrees(dir, name, euid, time.Now().Add(-treeUnusedFor))
			return src, nil
		}
		if errors.Is(err, errGenerate) {
			return Source{Kind: src.Kind}, err
		}
	}
	src.Note = err.Error() + "; using a private temporary tree"
	if fill != nil {
		if err := fill(); err != nil {
			return Source{Kind: src.Kind}, err
		}
	}
	if src.temp, err = os.MkdirTemp("", "gosnoop-headers-"); err == nil {
		src.Dir = src.temp
		if err = writeTree(src.Dir, want); err != nil {
			src.Cleanup()
		}
	}
	if err != nil {
		return Source{Kind: src.Kind}, err
	}
	return src, nil
}

// treeUnusedFor is how long a cached tree may go unused before a run that
// uses another removes it: each gosnoop version, kernel and set of kernel
// types (a probe naming structs) gets a tree of its own, and nothing else
// would ever remove the old ones.
const treeUnusedFor = 30 * 24 * time.Hour

// pruneTrees removes gosnoop's trees in dir, other than keep, that are ours
// and were last used (their mtime, which each use sets) before cutoff.
// Anything else in dir is left alone, and failures only leave a tree behind.
func pruneTrees(dir, keep string, euid int, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if name == keep || !e.IsDir() || !(strings.HasPrefix(name, "minimal-headers-") || strings.HasPrefix(name, "btf-headers-")) {
			continue
		}
		info, err := e.Info()
		if err != nil || fileOwner(info) != euid || !info.ModTime().Before(cutoff) {
			continue
		}
		os.RemoveAll(filepath.Join(dir, name))
	}
}

// errGenerate marks a failure to generate a tree's content, which no other
// directory would cure.
var errGenerate = errors.New("generating kernel headers from BTF")

// goarch is the architecture the trees are written for; tests change it.
var goarch = runtime.GOARCH

// archDir is the kernel's name for the architecture the minimal tree is
// written for: its kconfig.h declares x86-64's struct pt_regs.
func archDir() (arch, triplet string, err error) {
	if goarch != "amd64" {
		return "", "", fmt.Errorf("the minimal header tree supports amd64 only, not %s", goarch)
	}
	return "x86", "x86_64-linux-gnu", nil
}

// btfArchDir is the kernel's name for the architecture of the BTF tree,
// whose struct pt_regs and every other type come from the kernel's BTF.
func btfArchDir() (string, error) {
	switch goarch {
	case "amd64":
		return "x86", nil
	case "arm64":
		return "arm64", nil
	}
	return "", fmt.Errorf("gosnoop's BTF header tree supports amd64 and arm64, not %s", goarch)
}

// entry is one file, directory or symlink of a tree.
type entry struct {
	dir  bool
	link string // symlink target
	data []byte // file content
	// generated: the content is made from the kernel's BTF, so a cached
	// tree is checked against the sha256 stored beside it (sumOf names the
	// file a sum entry covers) rather than against data.
	generated bool
	sumOf     string
}

// minimalTree lists every entry of the minimal tree, keyed by relative path:
// the embedded files plus links to this machine's UAPI headers.
func minimalTree() (map[string]entry, error) {
	arch, triplet, err := archDir()
	if err != nil {
		return nil, err
	}
	if !isFile(filepath.Join(uapiDir, "linux", "types.h")) {
		return nil, fmt.Errorf("kernel UAPI headers missing from %s (apt-get install linux-libc-dev)", uapiDir)
	}
	asmDir := filepath.Join(uapiDir, triplet, "asm")
	if !isDir(asmDir) {
		asmDir = filepath.Join(uapiDir, "asm")
	}
	want := map[string]entry{
		"include/uapi/linux":       {link: filepath.Join(uapiDir, "linux")},
		"include/uapi/asm":         {link: asmDir},
		"include/uapi/asm-generic": {link: filepath.Join(uapiDir, "asm-generic")},
	}
	return want, embedded(want, arch, "common", "minimal")
}

// embedded adds the embedded files of the given flavours of tree to want,
// and the directories above every entry.
func embedded(want map[string]entry, arch string, flavours ...string) error {
	for _, flavour := range flavours {
		root := "tree/" + flavour
		err := fs.WalkDir(tree, root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := tree.ReadFile(path)
			rel := strings.Replace(strings.TrimPrefix(path, root+"/"), "arch/x86/", "arch/"+arch+"/", 1)
			want[rel] = entry{data: data}
			return err
		})
		if err != nil {
			return err
		}
	}
	for rel := range want {
		for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
			want[d] = entry{dir: true}
		}
	}
	return nil
}

// sortedPaths puts every directory before what it holds.
func sortedPaths(want map[string]entry) []string {
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

func writeTree(root string, want map[string]entry) error {
	for _, rel := range sortedPaths(want) {
		e, path := want[rel], filepath.Join(root, rel)
		var err error
		switch {
		case e.dir:
			err = os.Mkdir(path, 0o755)
		case e.link != "":
			err = os.Symlink(e.link, path)
		default:
			err = os.WriteFile(path, e.data, 0o644)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// treeHash names a tree by its content and links, so a new gosnoop never
// reuses an older tree.
func treeHash(want map[string]entry) string {
	h := sha256.New()
	for _, rel := range sortedPaths(want) {
		e := want[rel]
		fmt.Fprintf(h, "%s\x00%t\x00%s\x00%d\x00", rel, e.dir, e.link, len(e.data))
		h.Write(e.data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// cachedTree returns dir/name once it holds exactly want, writing it when
// missing and rebuilding it when damaged; rebuilt says what was wrong.
func cachedTree(dir, name string, want map[string]entry, euid int, fill func() error) (path string, rebuilt, err error) {
	path = filepath.Join(dir, name)
	problem := verifyTree(path, want, euid)
	if problem == nil {
		now := time.Now()
		os.Chtimes(path, now, now) // in use: see pruneTrees
		return path, nil, nil
	}
	if fill != nil {
		if err := fill(); err != nil {
			return "", nil, err
		}
	}
	tmp, err := os.MkdirTemp(dir, ".headers-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(tmp) // left over only when the rename below did not happen
	if err := writeTree(tmp, want); err != nil {
		return "", nil, err
	}
	if !errors.Is(problem, fs.ErrNotExist) {
		rebuilt = problem
		// Move the bad tree aside rather than deleting it in place, so the
		// good one appears in a single rename.
		stale, err := os.MkdirTemp(dir, ".stale-")
		if err != nil {
			return "", nil, err
		}
		defer os.RemoveAll(stale)
		if err := os.Rename(path, filepath.Join(stale, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", nil, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		if verifyTree(path, want, euid) == nil { // another gosnoop wrote it first
			return path, rebuilt, nil
		}
		return "", nil, err
	}
	return path, rebuilt, nil
}

// verifyTree checks that root holds exactly want, all of it owned by euid and
// writable by no one else: an extra header anywhere could be picked up by an
// #include. The error names the first difference.
func verifyTree(root string, want map[string]entry, euid int) error {
	st, err := os.Lstat(root)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errors.New("not a directory")
	}
	if err := ownedBy("the tree", st, euid); err != nil {
		return err
	}
	seen := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err == nil {
			err = ownedBy(rel, info, euid)
		}
		if err != nil {
			return err
		}
		e, ok := want[rel]
		switch {
		case !ok:
			return fmt.Errorf("unexpected %s", rel)
		case e.dir:
			if !d.IsDir() {
				return fmt.Errorf("%s is not a directory", rel)
			}
		case e.link != "":
			if target, err := os.Readlink(path); err != nil || target != e.link {
				return fmt.Errorf("%s does not point to %s", rel, e.link)
			}
		default:
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s is not a regular file", rel)
			}
			if e.generated {
				break // checked against its sum below
			}
			if data, err := os.ReadFile(path); err != nil || !bytes.Equal(data, e.data) {
				return fmt.Errorf("%s differs from gosnoop's copy", rel)
			}
		}
		seen[rel] = true
		return nil
	})
	if err != nil {
		return err
	}
	for _, rel := range sortedPaths(want) {
		if !seen[rel] {
			return fmt.Errorf("%s is missing", rel)
		}
	}
	for _, rel := range sortedPaths(want) {
		if of := want[rel].sumOf; of != "" {
			sum, err := os.ReadFile(filepath.Join(root, rel))
			data, derr := os.ReadFile(filepath.Join(root, of))
			if err != nil || derr != nil || string(sum) != sha256Line(data) {
				return fmt.Errorf("%s does not match its sum", of)
			}
		}
	}
	return nil
}

func sha256Line(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + "\n"
}

// ownedBy refuses an entry that a user other than euid owns or may write.
// A symlink's own mode is always 0777 and means nothing.
func ownedBy(path string, info fs.FileInfo, euid int) error {
	if uid := fileOwner(info); uid != euid {
		return fmt.Errorf("%s is owned by uid %d", path, uid)
	}
	if info.Mode()&fs.ModeSymlink == 0 && info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by group or others (%v)", path, info.Mode())
	}
	return nil
}

func fileOwner(info fs.FileInfo) int {
	return int(info.Sys().(*syscall.Stat_t).Uid)
}

// trustedRoot ends the walk up a cache directory's parents; tests set it to
// a private directory, since their temporary directories are under /tmp.
var trustedRoot = "/"

// privateDir returns cacheDir with symlinks resolved, creating it 0700 when
// missing, once no user but euid (and root, for its parents) can write to it
// or to any directory above it. A cache dir of ours with a wider mode, as
// older gosnoops created it, is tightened to 0700.
func privateDir(cacheDir string, euid int) (string, error) {
	if cacheDir == "" {
		return "", errors.New("no per-user cache dir ($HOME and $XDG_CACHE_HOME unset or relative)")
	}
	if !filepath.IsAbs(cacheDir) {
		return "", fmt.Errorf("cache dir %s is not an absolute path", cacheDir)
	}
	// Check the part that exists; what is missing we create, and it is ours.
	existing, missing := filepath.Clean(cacheDir), ""
	for {
		resolved, err := filepath.EvalSymlinks(existing)
		if err == nil {
			existing = resolved
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || existing == "/" {
			return "", err
		}
		missing = filepath.Join(filepath.Base(existing), missing)
		existing = filepath.Dir(existing)
	}
	dir := filepath.Join(existing, missing)
	parents := existing
	if missing == "" {
		parents = filepath.Dir(dir)
	}
	if err := checkParents(parents, euid); err != nil {
		return "", err
	}
	if missing != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", fmt.Errorf("cache dir %s is not a directory", dir)
	}
	if uid := fileOwner(st); uid != euid {
		return "", fmt.Errorf("cache dir %s is owned by uid %d", dir, uid)
	}
	if st.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// PrivateDir is dir made (0700) or checked as a directory only the
// effective user can write to, through every parent: what a cache of code
// root loads needs. It returns the path with symlinks resolved.
func PrivateDir(dir string) (string, error) {
	return privateDir(dir, os.Geteuid())
}

// checkParents refuses dir when it or a directory above it is owned by a
// user other than root and euid, or writable by group or others. A sticky
// /tmp is refused too: its other users may not replace our files, but they
// can take a name first.
func checkParents(dir string, euid int) error {
	for {
		st, err := os.Lstat(dir)
		if err != nil {
			return err
		}
		if uid := fileOwner(st); uid != 0 && uid != euid {
			return fmt.Errorf("%s is owned by uid %d", dir, uid)
		}
		if st.Mode().Perm()&0o022 != 0 {
			return fmt.Errorf("%s is writable by group or others (%v)", dir, st.Mode())
		}
		if dir == trustedRoot || dir == "/" {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// CacheDir is the per-user directory for the minimal tree, or "" when there
// is none: then Prepare writes a private temporary tree, never one in a
// shared place such as /tmp.
func CacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil || !filepath.IsAbs(dir) { // $HOME may be relative too
		return ""
	}
	return filepath.Join(dir, "gosnoop")
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
