// Package mounts turns a path inside a filesystem (as a BPF program finds
// it, walking dentries up to the filesystem's root) into the path a user
// sees, through the mount table of gosnoop's own mount namespace
// (/proc/self/mountinfo).
package mounts

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// Mount is one line of mountinfo: the filesystem's device, the directory
// of the filesystem mounted (its root, "/" unless a bind mount of a
// subdirectory) and where.
type Mount struct {
	Major, Minor uint32
	Root, Point  string
}

// Table finds where filesystems are mounted.
type Table struct {
	path   string
	byDev  map[[2]uint32][]Mount
	reread map[[2]uint32]bool // devices looked for after a reread, so each unknown one rereads once
}

// Load reads path (normally /proc/self/mountinfo).
func Load(path string) (*Table, error) {
	t := &Table{path: path, reread: map[[2]uint32]bool{}}
	return t, t.load()
}

func (t *Table) load() error {
	f, err := os.Open(t.path)
	if err != nil {
		return fmt.Errorf("reading the mount table: %w", err)
	}
	defer f.Close()
	mounts, err := Parse(f)
	if err != nil {
		return fmt.Errorf("reading the mount table %s: %w", t.path, err)
	}
	t.byDev = map[[2]uint32][]Mount{}
	for _, m := range mounts {
		dev := [2]uint32{m.Major, m.Minor}
		t.byDev[dev] = append(t.byDev[dev], m)
	}
	return nil
}

// Parse reads mountinfo lines: "id parent major:minor root point ...".
func Parse(r io.Reader) ([]Mount, error) {
	var out []Mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 {
			return nil, fmt.Errorf("short line %q", sc.Text())
		}
		major, minor, ok := strings.Cut(string(f[2]), ":")
		ma, err1 := strconv.ParseUint(major, 10, 32)
		mi, err2 := strconv.ParseUint(minor, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad device %q", f[2])
		}
		out = append(out, Mount{Major: uint32(ma), Minor: uint32(mi), Root: Unescape(string(f[3])), Point: Unescape(string(f[4]))})
	}
	return out, sc.Err()
}

// Unescape undoes the kernel's octal escapes of space, tab, newline and
// backslash in the paths of /proc/self/mounts and mountinfo
// ("/mnt/my\040dir").
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Path returns where fsPath, a path from the root of filesystem
// major:minor, is in this mount namespace. Of the mounts of that
// filesystem whose root holds fsPath, the one with the deepest root wins
// (a bind mount of the very directory), then the first mounted. ok is
// false when no mount shows fsPath: the filesystem is mounted only in
// another namespace, or not the part of it that holds fsPath.
func (t *Table) Path(major, minor uint32, fsPath string) (path string, ok bool) {
	dev := [2]uint32{major, minor}
	if _, known := t.byDev[dev]; !known && !t.reread[dev] {
		t.reread[dev] = true // mounted since the table was read?
		if t.load() != nil {
			return "", false
		}
	}
	best := -1
	for _, m := range t.byDev[dev] {
		rest, ok := within(fsPath, m.Root)
		if !ok || len(m.Root) <= best {
			continue
		}
		best, path = len(m.Root), joinPath(m.Point, rest)
	}
	return path, best >= 0
}

// within returns what of p is below dir, if p is dir or below it.
func within(p, dir string) (string, bool) {
	if dir == "/" {
		return p, true
	}
	if p == dir {
		return "/", true
	}
	if strings.HasPrefix(p, dir) && p[len(dir)] == '/' {
		return p[len(dir):], true
	}
	return "", false
}

func joinPath(point, rest string) string {
	if rest == "/" {
		return point
	}
	if point == "/" {
		return rest
	}
	return point + rest
}

// Locate is Path for a device in the kernel's encoding (major << 20 |
// minor, a super_block's s_dev), or, where no mount shows fsPath,
// "dev MAJOR:MINOR:" and fsPath: still one name per file, for matching.
func (t *Table) Locate(dev uint32, fsPath string) string {
	major, minor := dev>>20, dev&(1<<20-1)
	if p, ok := t.Path(major, minor, fsPath); ok {
		return p
	}
	return "dev " + strconv.FormatUint(uint64(major), 10) + ":" + strconv.FormatUint(uint64(minor), 10) + ":" + fsPath
}

// Join is where rel, a pathname relative to dir (a directory as Locate
// names it), leads: joined and cleaned lexically, so ".." climbs dir's
// names (not symbolic links) and stops at the root, of the namespace or,
// for a "dev MAJOR:MINOR:" name, of that filesystem. rel is taken from
// dir even when it starts with "/" (dir is then the process's root).
func Join(dir, rel string) string {
	if strings.HasPrefix(dir, "dev ") {
		// "dev 8:1:/a": the filesystem's path starts after the second colon.
		if i := strings.IndexByte(dir, ':'); i >= 0 {
			if j := strings.IndexByte(dir[i+1:], ':'); j >= 0 {
				cut := i + 1 + j + 1
				return dir[:cut] + path.Join("/", dir[cut:], rel)
			}
		}
	}
	return path.Join(dir, rel)
}
