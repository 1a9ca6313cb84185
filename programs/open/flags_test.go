package open

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestParseFlagFilter(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want FlagFilter
	}{
		{[]string{"O_WRONLY"}, FlagFilter{AccModes: 1 << 1}},
		{[]string{"O_RDONLY"}, FlagFilter{AccModes: 1 << 0}},
		{[]string{"rdwr,wronly"}, FlagFilter{AccModes: 1<<2 | 1<<1}},
		{[]string{"O_CREAT", "o_trunc"}, FlagFilter{Any: 0100 | 01000}},
		{[]string{" creat , O_WRONLY"}, FlagFilter{Any: 0100, AccModes: 1 << 1}},
		{[]string{"O_SYNC"}, FlagFilter{Any: 04000000}},
		{[]string{"O_TMPFILE"}, FlagFilter{Any: 020000000}},
	} {
		got, err := parseFlagFilter(c.in, "amd64")
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	if _, err := parseFlagFilter([]string{"wronly,largefile"}, "amd64"); err == nil || !strings.Contains(err.Error(), "adds it to every open") {
		t.Errorf("O_LARGEFILE: %v, want it refused", err)
	}
	if got, _ := parseFlagFilter([]string{"O_DIRECTORY"}, "arm64"); got.Any != 040000 {
		t.Errorf("arm64 O_DIRECTORY: %#o", got.Any)
	}
	for _, bad := range [][]string{{"O_WRITE"}, {""}, {"O_WRONLY,"}, {"0100"}, {"O_ACCMODE"}, {"O_"}} {
		_, err := parseFlagFilter(bad, "amd64")
		if err == nil || !strings.Contains(err.Error(), "O_WRONLY,O_RDWR,O_CREAT") {
			t.Errorf("%q: %v; want an error listing the names", bad, err)
		}
	}
}

// The filter matches as the program does: any listed flag, or the access
// mode compared (O_RDONLY is 0 and still matches).
func TestFlagFilterMatches(t *testing.T) {
	wr, _ := parseFlagFilter([]string{"O_WRONLY"}, "amd64")
	rd, _ := parseFlagFilter([]string{"O_RDONLY"}, "amd64")
	creat, _ := parseFlagFilter([]string{"O_CREAT,O_RDWR"}, "amd64")
	for _, c := range []struct {
		f     FlagFilter
		flags uint32
		want  bool
	}{
		{wr, 01 | 0100, true}, {wr, 0, false}, {wr, 02, false},
		{rd, 0, true}, {rd, 02000000, true}, {rd, 01, false}, {rd, 02, false},
		{creat, 01 | 0100, true}, {creat, 02, true}, {creat, 01, false},
	} {
		if got := c.f.Matches(c.flags); got != c.want {
			t.Errorf("%+v on %#o: %v", c.f, c.flags, got)
		}
	}
}

// The flag values are the kernel's UAPI ones, name for name.
func TestOpenFlagsMatchTheHeaders(t *testing.T) {
	data, err := os.ReadFile("/usr/include/asm-generic/fcntl.h")
	if err != nil {
		t.Skipf("no kernel UAPI headers to check against: %v", err)
	}
	header := map[string]uint32{}
	for _, m := range regexp.MustCompile(`(?m)^#define\s+(\w+)\s+(0[0-7]*)\b`).FindAllStringSubmatch(string(data), -1) {
		v, _ := strconv.ParseUint(m[2], 8, 32)
		header[m[1]] = uint32(v)
	}
	// The header spells these differently, or as the bit that tells them apart.
	spelled := map[string]string{"ASYNC": "FASYNC", "SYNC": "__O_SYNC", "TMPFILE": "__O_TMPFILE"}
	for _, f := range openFlags {
		name := "O_" + f.name
		if s, ok := spelled[f.name]; ok {
			name = s
		}
		v, ok := header[name]
		if !ok || v != f.value {
			t.Errorf("%s: %#o, the header says %#o (defined: %v)", f.name, f.value, v, ok)
		}
	}
	// And every O_ flag of the header is there.
	for name := range header {
		if n, ok := strings.CutPrefix(name, "O_"); ok && n != "ACCMODE" && n != "LARGEFILE" { // LARGEFILE: refused, see parseFlagFilter
			if _, err := parseFlagFilter([]string{n}, "amd64"); err != nil {
				t.Errorf("the header's %s is not a -f name", name)
			}
		}
	}
}
