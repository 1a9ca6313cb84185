// Package cgroup finds a cgroup v2 by its path as a BPF program knows it:
// its id (on cgroup v2, the directory's inode number) and its level below
// the root of the hierarchy, the pair bpf_get_current_ancestor_cgroup_id
// compares.
package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gosnoop/gosnoop/internal/mounts"
)

// Group is a cgroup v2 directory.
type Group struct {
	Path  string // the directory
	ID    uint64 // its inode number, the kernel's cgroup id
	Level uint32 // its depth below the hierarchy's root (the root is 0)
}

// superMagic is CGROUP2_SUPER_MAGIC, statfs's f_type of a cgroup2 mount.
const superMagic = 0x63677270

// ErrNoHierarchy says no cgroup2 filesystem is mounted.
var ErrNoHierarchy = errors.New("no cgroup v2 hierarchy is mounted")

// Mount is a cgroup2 mount: where, and which directory of the hierarchy
// it shows ("/" unless a subtree is bind-mounted).
type Mount struct{ Root, Point string }

// Mounts lists the cgroup2 mounts of mountinfo.
func Mounts(mountinfo io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(mountinfo)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// "id parent major:minor root point options [optional...] - fstype source super"
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 1 {
			return nil, fmt.Errorf("reading mountinfo: bad line %q", sc.Text())
		}
		if g[0] == "cgroup2" {
			out = append(out, Mount{Root: mounts.Unescape(f[3]), Point: mounts.Unescape(f[4])})
		}
	}
	return out, sc.Err()
}

// Place says where path lies in one of ms: the mount and the level of the
// directory. An absolute path under a mount point is under the deepest
// one (a subtree may be mounted inside the hierarchy). A relative path, or
// an absolute one under no mount (the form /proc/PID/cgroup shows:
// "/system.slice/docker-....scope", from the hierarchy's root), is taken
// from the root of the hierarchy: under the mount of its root if there is
// one, else under the first mount whose root holds it. path must be clean
// and free of symbolic links where it is absolute and under a mount.
func Place(ms []Mount, path string) (dir string, level uint32, err error) {
	if len(ms) == 0 {
		return "", 0, ErrNoHierarchy
	}
	if filepath.IsAbs(path) {
		best, bestRel := -1, ""
		for i, c := range ms {
			if r, ok := within(path, c.Point); ok && (best < 0 || len(c.Point) > len(ms[best].Point)) {
				best, bestRel = i, r
			}
		}
		if best >= 0 {
			return path, depth(ms[best].Root) + depth(bestRel), nil
		}
	}
	full := filepath.Clean("/" + path) // from the hierarchy's root
	for _, c := range ms {
		if r, ok := within(full, c.Root); ok && c.Root == "/" {
			return filepath.Join(c.Point, r), depth(full), nil
		}
	}
	for _, c := range ms {
		if r, ok := within(full, c.Root); ok {
			return filepath.Join(c.Point, r), depth(full), nil
		}
	}
	return "", 0, fmt.Errorf("%s is in no cgroup2 mount of gosnoop's (their roots: %s)", full, roots(ms))
}

func roots(ms []Mount) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Root)
	}
	return strings.Join(out, ", ")
}

func within(path, dir string) (string, bool) {
	if path == dir {
		return "/", true
	}
	prefix := strings.TrimSuffix(dir, "/") + "/"
	if strings.HasPrefix(path, prefix) {
		return "/" + path[len(prefix):], true
	}
	return "", false
}

func depth(p string) uint32 {
	p = strings.Trim(filepath.Clean(p), "/")
	if p == "" {
		return 0
	}
	return uint32(strings.Count(p, "/") + 1)
}

// Resolve finds the cgroup v2 directory path names (see Place) through
// gosnoop's mount table, and reads its id.
func Resolve(path string) (Group, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Group{}, fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	ms, err := Mounts(f)
	if err != nil {
		return Group{}, err
	}
	if filepath.IsAbs(path) {
		if real, err := filepath.EvalSymlinks(path); err == nil {
			path = real
		}
	}
	dir, level, err := Place(ms, filepath.Clean(path))
	if err != nil {
		return Group{}, err
	}
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return Group{}, fmt.Errorf("%s: %w", dir, err)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return Group{}, fmt.Errorf("%s: %w", dir, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR || fs.Type != superMagic {
		return Group{}, fmt.Errorf("%s is not a cgroup v2 directory", dir)
	}
	return Group{Path: dir, ID: st.Ino, Level: level}, nil
}
