package doctor

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gosnoop/gosnoop/internal/mounts"
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
	var list []Mount
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// "tracefs /sys/kernel/tracing tracefs rw,relatime 0 0"
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		list = append(list, Mount{Source: mounts.Unescape(f[0]), Dir: mounts.Unescape(f[1]), Type: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	return list, nil
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
