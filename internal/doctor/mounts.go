package doctor

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Mount is one line of /proc/self/mounts.
type Mount struct {
	Source, Dir, Type string
}

// mountsPath is read by ReadMounts; tests point it elsewhere.
var mountsPath = "/proc/self/mounts"

// ReadMounts returns this process's mounts.
func ReadMounts() ([]Mount, error) {
	f, err := os.Open(mountsPath)
	if err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	defer f.Close()
	return parseMounts(f)
}

func parseMounts(r io.Reader) ([]Mount, error) {
	var mounts []Mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// "tracefs /sys/kernel/tracing tracefs rw,relatime 0 0"
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		mounts = append(mounts, Mount{Source: unescapeMount(f[0]), Dir: unescapeMount(f[1]), Type: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	return mounts, nil
}

// unescapeMount undoes the kernel's octal escapes of space, tab, newline and
// backslash in mount fields ("/mnt/my\040dir").
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1:i+4]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	for _, c := range s {
		if c < '0' || c > '7' {
			return false
		}
	}
	return len(s) == 3 && s[0] <= '3'
}

// MountedAt returns the type of the file system mounted at dir, the last
// one mounted there when several are; "" when none is.
func MountedAt(mounts []Mount, dir string) string {
	typ := ""
	for _, m := range mounts {
		if m.Dir == dir {
			typ = m.Type
		}
	}
	return typ
}

// MountsOf returns the directories where file systems of type typ are mounted.
func MountsOf(mounts []Mount, typ string) []string {
	var dirs []string
	for _, m := range mounts {
		if m.Type == typ {
			dirs = append(dirs, m.Dir)
		}
	}
	return dirs
}
