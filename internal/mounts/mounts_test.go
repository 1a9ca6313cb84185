package mounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:21 / /proc rw shared:2 - proc proc rw
40 22 0:45 / /tmp rw shared:20 - tmpfs tmpfs rw
41 22 254:0 /srv/data /data rw shared:1 - ext4 /dev/vda rw
42 22 254:0 /srv/data/deep /deep rw shared:1 - ext4 /dev/vda rw
43 22 0:46 / /mnt/with\040space\011tab rw shared:21 - tmpfs tmpfs rw
`

func TestPath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mountinfo")
	if err := os.WriteFile(file, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	tab, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		major, minor uint32
		fsPath, want string
		ok           bool
	}{
		{254, 0, "/etc/passwd", "/etc/passwd", true},
		{254, 0, "/", "/", true},
		{0, 45, "/x", "/tmp/x", true},
		{0, 45, "/", "/tmp", true},
		{254, 0, "/srv/data/f", "/data/f", true},         // the bind mount's root holds it
		{254, 0, "/srv/data/deep/g", "/deep/g", true},    // the deepest root wins
		{254, 0, "/srv/database", "/srv/database", true}, // not below /srv/data
		{0, 46, "/a", "/mnt/with space\ttab/a", true},
		{0, 99, "/a", "", false},
	} {
		got, ok := tab.Path(c.major, c.minor, c.fsPath)
		if got != c.want || ok != c.ok {
			t.Errorf("Path(%d:%d, %q) = %q, %v; want %q, %v", c.major, c.minor, c.fsPath, got, ok, c.want, c.ok)
		}
	}
	// A filesystem mounted after Load is found by one reread.
	if err := os.WriteFile(file, []byte(sample+"50 22 0:99 / /later rw - tmpfs tmpfs rw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, ok := tab.Path(0, 99, "/a"); ok || got != "" {
		t.Errorf("0:99 was looked for before and is not reread every time: got %q, %v", got, ok)
	}
	if got, ok := tab.Path(0, 98, "/a"); ok {
		t.Errorf("0:98: %q", got)
	}
	if got, ok := tab.Path(0, 99, "/a"); !ok || got != "/later/a" {
		t.Errorf("0:98's reread did not load /later: %q, %v", got, ok)
	}
}

func TestLocate(t *testing.T) {
	tab, err := Load(writeSample(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Locate(45, "/x"); got != "/tmp/x" {
		t.Errorf("0:45 /x: %q", got)
	}
	if got := tab.Locate(254<<20, "/etc"); got != "/etc" {
		t.Errorf("254:0 /etc: %q", got)
	}
	if got := tab.Locate(7<<20|3, "/x"); got != "dev 7:3:/x" {
		t.Errorf("unmounted: %q", got)
	}
}

func writeSample(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "mountinfo")
	if err := os.WriteFile(file, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestUnescape(t *testing.T) {
	cases := map[string]string{
		`/plain`:       "/plain",
		`/a\040b`:      "/a b",
		`/a\012b`:      "/a\nb",
		`/trailing\04`: `/trailing\04`, // too short to be an escape
		`/not\999`:     `/not\999`,
		`/big\777`:     `/big\777`, // over a byte
		`/end\`:        `/end\`,
	}
	for in, want := range cases {
		if got := Unescape(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, bad := range []string{"1 2 3\n", "1 2 x:y / /\n"} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct{ dir, rel, want string }{
		{"/home/me", "a/b", "/home/me/a/b"},
		{"/home/me", "./a//b/", "/home/me/a/b"},
		{"/mnt/x", "../y", "/mnt/y"},
		{"/", "../../etc", "/etc"},
		{"/srv/chroot", "/etc/passwd", "/srv/chroot/etc/passwd"},
		{"/home/me", "", "/home/me"},
		{"dev 8:1:/a/b", "c", "dev 8:1:/a/b/c"},
		{"dev 8:1:/a/b", "../../../c", "dev 8:1:/c"},
		{"dev 8:1:/", "x", "dev 8:1:/x"},
	} {
		if got := Join(c.dir, c.rel); got != c.want {
			t.Errorf("Join(%q, %q) = %q, want %q", c.dir, c.rel, got, c.want)
		}
	}
}
