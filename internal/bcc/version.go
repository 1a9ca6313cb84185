package bcc

/*
#include <bcc/bcc_version.h>

static const char *gosnoop_libbcc_version(void) { return LIBBCC_VERSION; }
*/
import "C"

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MinVersion is the oldest libbcc our gobpf pin works with: 0.25 added an
// argument to bcc_func_load.
const MinVersion = "0.25"

// HeaderVersion is LIBBCC_VERSION from the bcc_version.h gosnoop was built
// against. The library loaded at run time can differ: see LoadedLibrary.
func HeaderVersion() string {
	return C.GoString(C.gosnoop_libbcc_version())
}

// LoadedLibrary returns the path of the libbcc shared object mapped into
// this process, e.g. /usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0, and the
// version its name carries ("" when the name has none). libbcc has no
// run-time version call; its file name is what the dynamic linker chose.
func LoadedLibrary() (path, version string, err error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return "", "", fmt.Errorf("reading mapped libraries: %w", err)
	}
	defer f.Close()
	path, err = libbccFromMaps(f)
	if err != nil {
		return "", "", err
	}
	return path, LibraryVersion(path), nil
}

// libbccFromMaps finds libbcc.so* among the files of /proc/<pid>/maps lines
// like "7f..-7f.. r-xp 00000000 fe:00 1234  /usr/lib/.../libbcc.so.0.26.0".
func libbccFromMaps(r io.Reader) (string, error) {
	paths, err := mappedFiles(r, func(base string) bool { return strings.HasPrefix(base, "libbcc.so") })
	if err != nil {
		return "", err
	}
	if len(paths) == 0 {
		return "", fmt.Errorf("no libbcc.so mapped into this process")
	}
	return paths[0], nil
}

// mappedFiles lists, once each and in order, the files of /proc/<pid>/maps
// lines whose base name match accepts.
func mappedFiles(r io.Reader, match func(base string) bool) ([]string, error) {
	seen := map[string]bool{}
	var paths []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 6)
		if len(fields) < 6 {
			continue
		}
		path := strings.TrimSpace(fields[5])
		if !seen[path] && match(filepath.Base(path)) {
			seen[path] = true
			paths = append(paths, path)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mapped libraries: %w", err)
	}
	return paths, nil
}

// LibraryVersion returns the version in a shared object's name:
// "0.26.0" for libbcc.so.0.26.0, "" for libbcc.so or libbcc.so.0.
func LibraryVersion(path string) string {
	_, v, ok := strings.Cut(filepath.Base(path), ".so.")
	if !ok || !strings.Contains(v, ".") {
		return ""
	}
	return v
}

// AtLeast reports whether version v ("0.26.0") is min ("0.25") or newer.
func AtLeast(v, min string) (bool, error) {
	have, err := majorMinor(v)
	if err != nil {
		return false, err
	}
	want, err := majorMinor(min)
	if err != nil {
		return false, err
	}
	return have[0] > want[0] || have[0] == want[0] && have[1] >= want[1], nil
}

func majorMinor(v string) ([2]int, error) {
	var mm [2]int
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return mm, fmt.Errorf("version %q is not major.minor", v)
	}
	for i := range mm {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return mm, fmt.Errorf("version %q is not major.minor", v)
		}
		mm[i] = n
	}
	return mm, nil
}
