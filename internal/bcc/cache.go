package bcc

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// The compile cache keeps the image of each program libbcc compiled, so a
// later run of the same program loads it without clang. An entry holds code
// that root loads into the kernel, so it lives in the user's private cache
// directory (see kheaders.PrivateDir), is written whole (a temporary file
// renamed into place, mode 0600) and is read back only when it is a regular
// file of ours that no one else can write, whose hash and key match and
// whose image passes image.check. Anything else is a miss: the program is
// compiled and the entry replaced. The key covers everything the
// instructions depend on (cacheKey); the tracepoint format files libbcc
// read are stored with their hashes and compared on every hit.

// cacheFormat changes whenever an entry's layout or meaning does.
const cacheFormat = "gosnoop-bpf-cache 1"

// cacheUnused is how long an entry may go unused before a store removes it.
const cacheUnused = 30 * 24 * time.Hour

var cacheOff atomic.Bool

// DisableCache makes every later compile go through libbcc, neither
// reading nor writing the cache (--no-cache).
func DisableCache() { cacheOff.Store(true) }

// CacheDir is where the compile cache lives, "" when there is no private
// per-user directory.
func CacheDir() string {
	if kheaders.CacheDir() == "" {
		return ""
	}
	return filepath.Join(kheaders.CacheDir(), "programs")
}

type cacheEntry struct {
	Key     string
	Formats []formatDep
	Image   *image
}

// formatDep is a tracepoint format file libbcc read to lay out args.
type formatDep struct{ Path, Sum string }

// cacheKey names what src compiles to here: the source, libbcc's flags,
// the libbcc, LLVM and clang libraries mapped into this process, the
// running kernel, the architecture, the header tree and libbcc's BCC_*
// variables.
func cacheKey(src string, headers kheaders.Source) (string, error) {
	h := sha256.New()
	field := func(name, value string) { fmt.Fprintf(h, "%s=%d:%s\n", name, len(value), value) }
	field("format", cacheFormat)
	field("source", src)
	field("cflags", fmt.Sprintf("-DNUMCPUS=%d", runtime.NumCPU())) // gobpf's, from the affinity mask
	libs, err := compilerLibraries()
	if err != nil {
		return "", err
	}
	field("libraries", libs)
	notes, err := os.ReadFile("/sys/kernel/notes")
	if err != nil {
		return "", fmt.Errorf("reading the kernel's build id: %w", err)
	}
	field("kernel", kheaders.Release()+" "+hex.EncodeToString(notes))
	field("arch", runtime.GOARCH)
	field("headers", string(headers.Kind)+" "+headers.Dir+" "+treeStamp(headers))
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BCC_") {
			env = append(env, kv)
		}
	}
	sort.Strings(env)
	field("env", strings.Join(env, "\x00"))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// compilerLibraries identifies the libbcc, LLVM and clang shared objects
// mapped into this process: path, inode, size and modification time.
func compilerLibraries() (string, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return "", fmt.Errorf("reading mapped libraries: %w", err)
	}
	defer f.Close()
	paths, err := mappedFiles(f, func(base string) bool {
		return strings.HasPrefix(base, "libbcc") || strings.HasPrefix(base, "libLLVM") || strings.HasPrefix(base, "libclang")
	})
	if err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return "", errors.New("no libbcc mapped into this process")
	}
	var ids []string
	for _, path := range paths {
		st, err := os.Stat(path)
		if err != nil {
			return "", err
		}
		ids = append(ids, fmt.Sprintf("%s %d %d %d", path, st.Sys().(*syscall.Stat_t).Ino, st.Size(), st.ModTime().UnixNano()))
	}
	sort.Strings(ids)
	return strings.Join(ids, "\n"), nil
}

// treeStamp tells installed header trees apart when their path stays:
// gosnoop's own trees are named by their content, a kernel's are stamped
// by the files its build writes last.
func treeStamp(headers kheaders.Source) string {
	if headers.Kind == kheaders.Minimal || headers.Kind == kheaders.BTF {
		return ""
	}
	var stamp []string
	for _, f := range []string{"include/generated/autoconf.h", "include/generated/uapi/linux/version.h", "include/config/kernel.release", "Makefile"} {
		if st, err := os.Stat(filepath.Join(headers.Dir, f)); err == nil {
			stamp = append(stamp, fmt.Sprintf("%s %d %d", f, st.Size(), st.ModTime().UnixNano()))
		}
	}
	return strings.Join(stamp, ";")
}

// formatsOf lists the tracepoint format files img's programs were laid out
// from, with their hashes now.
func formatsOf(img *image) ([]formatDep, error) {
	dir, err := tracefs.Dir()
	if err != nil {
		return nil, err
	}
	var deps []formatDep
	for _, f := range img.Funcs {
		rest, ok := strings.CutPrefix(f.Name, "tracepoint__")
		if !ok {
			continue
		}
		category, event, ok := strings.Cut(rest, "__")
		if !ok {
			continue
		}
		path := filepath.Join(dir, "events", category, event, "format")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		deps = append(deps, formatDep{Path: path, Sum: hex.EncodeToString(sum[:])})
	}
	return deps, nil
}

// cacheLookup returns the image stored for key, or why there is none.
func cacheLookup(dir, key string) (*image, error) {
	path := filepath.Join(dir, key)
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	euid := os.Geteuid()
	switch owner := int(st.Sys().(*syscall.Stat_t).Uid); {
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s is not a regular file", path)
	case owner != euid:
		return nil, fmt.Errorf("%s is owned by uid %d", path, owner)
	case st.Mode().Perm()&0o077 != 0:
		return nil, fmt.Errorf("%s is open to other users (%v)", path, st.Mode().Perm())
	case st.Size() > 64<<20:
		return nil, fmt.Errorf("%s is %d bytes", path, st.Size())
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	header, body, ok := bytes.Cut(data, []byte("\n"))
	sumLine, body, ok2 := bytes.Cut(body, []byte("\n"))
	sum := sha256.Sum256(body)
	switch {
	case !ok || !ok2 || string(header) != cacheFormat:
		return nil, fmt.Errorf("%s is not a cache entry of this gosnoop", path)
	case string(sumLine) != hex.EncodeToString(sum[:]):
		return nil, fmt.Errorf("%s is damaged (its hash does not match)", path)
	}
	var e cacheEntry
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if e.Key != key || e.Image == nil {
		return nil, fmt.Errorf("%s holds another program", path)
	}
	if err := e.Image.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	now, err := formatsOf(e.Image)
	if err != nil {
		return nil, err
	}
	if len(now) != len(e.Formats) {
		return nil, fmt.Errorf("%s was laid out from other tracepoints", path)
	}
	for i := range now {
		if now[i] != e.Formats[i] {
			return nil, fmt.Errorf("%s changed since the program was compiled", now[i].Path)
		}
	}
	t := time.Now()
	os.Chtimes(path, t, t) // in use: not pruned
	return e.Image, nil
}

// cacheStore writes img as key's entry, atomically, and removes entries
// unused for a month.
func cacheStore(dir, key string, img *image) error {
	formats, err := formatsOf(img)
	if err != nil {
		return err
	}
	body, err := json.Marshal(cacheEntry{Key: key, Formats: formats, Image: img})
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	tmp, err := os.CreateTemp(dir, ".entry-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	_, err = fmt.Fprintf(tmp, "%s\n%s\n%s", cacheFormat, hex.EncodeToString(sum[:]), body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, key)); err != nil {
		return err
	}
	pruneCache(dir, time.Now().Add(-cacheUnused))
	return nil
}

// pruneCache removes entries last used before cutoff, and temporary files
// a killed run left.
func pruneCache(dir string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		stale := strings.HasPrefix(e.Name(), ".entry-") && info.ModTime().Before(time.Now().Add(-time.Hour))
		if stale || info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// CacheUsage says how many entries the cache holds and their bytes.
func CacheUsage() (dir string, entries int, bytes int64, err error) {
	dir = CacheDir()
	if dir == "" {
		return "", 0, 0, errors.New("no per-user cache dir")
	}
	list, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return dir, 0, 0, nil
	}
	if err != nil {
		return dir, 0, 0, err
	}
	for _, e := range list {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			entries++
			bytes += info.Size()
		}
	}
	return dir, entries, bytes, nil
}

// CleanCache removes every entry.
func CleanCache() (removed int, err error) {
	dir := CacheDir()
	if dir == "" {
		return 0, nil
	}
	list, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, e := range list {
		if e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// cachedImage returns src's image: from the cache, or compiled through
// libbcc and stored. note says which, or why the cache was not used.
func cachedImage(src string, headers kheaders.Source) (img *image, diag, note string, err error) {
	if cacheOff.Load() {
		img, diag, err = compileImage(src, headers)
		return img, diag, "compile cache off (--no-cache)", err
	}
	dir, derr := kheaders.PrivateDir(CacheDir())
	key, kerr := "", derr
	if derr == nil {
		key, kerr = cacheKey(src, headers)
	}
	if kerr != nil {
		img, diag, err = compileImage(src, headers)
		return img, diag, "compile cache not used: " + kerr.Error(), err
	}
	start := time.Now()
	hit, lerr := cacheLookup(dir, key)
	if lerr == nil {
		return hit, "", fmt.Sprintf("loaded from the compile cache in %v (%s)", time.Since(start).Round(10*time.Microsecond), filepath.Join(dir, key[:16]+"…")), nil
	}
	img, diag, err = compileImage(src, headers)
	if err != nil {
		return nil, diag, "", err
	}
	why := "not in the compile cache"
	if !errors.Is(lerr, os.ErrNotExist) {
		why = "compile cache entry refused (" + lerr.Error() + ")"
	}
	if serr := cacheStore(dir, key, img); serr != nil {
		return img, diag, why + "; storing it failed: " + serr.Error(), nil
	}
	return img, diag, why + "; compiled and stored", nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
