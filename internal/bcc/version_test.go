package bcc

import (
	"os/exec"
	"strings"
	"testing"
)

func TestLibbccFromMaps(t *testing.T) {
	maps := `55d0c0a00000-55d0c0a01000 r--p 00000000 fe:00 123   /usr/local/bin/gosnoop
7f3a10000000-7f3a10021000 rw-p 00000000 00:00 0 
7f3a12000000-7f3a12100000 r-xp 00010000 fe:00 456   /usr/lib/x86_64-linux-gnu/libbcc_bpf.so.0.26.0
7f3a12200000-7f3a12300000 r-xp 00020000 fe:00 789   /usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0
7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0     [stack]
`
	got, err := libbccFromMaps(strings.NewReader(maps))
	if want := "/usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0"; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	if got, err := libbccFromMaps(strings.NewReader("7f3a-7f3b r-xp 0 fe:00 1 /lib/libc.so.6\n")); err == nil {
		t.Fatalf("found %q in maps without libbcc", got)
	}
}

func TestLibraryVersion(t *testing.T) {
	cases := map[string]string{
		"/usr/lib/x86_64-linux-gnu/libbcc.so.0.26.0": "0.26.0",
		"/opt/bcc/lib/libbcc.so.0.30.0":              "0.30.0",
		"/usr/lib/libbcc.so.0":                       "",
		"/usr/lib/libbcc.so":                         "",
	}
	for in, want := range cases {
		if got := LibraryVersion(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestAtLeast(t *testing.T) {
	cases := []struct {
		v    string
		want bool
	}{
		{"0.26.0", true}, {"0.25.0", true}, {"0.25", true}, {"1.0.0", true},
		{"0.24.0", false}, {"0.18.0", false}, {"0.9.0", false},
	}
	for _, c := range cases {
		if got, err := AtLeast(c.v, MinVersion); err != nil || got != c.want {
			t.Errorf("AtLeast(%q, %q) = %v, %v; want %v", c.v, MinVersion, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "0", "x.y", "0.-1"} {
		if _, err := AtLeast(bad, MinVersion); err == nil {
			t.Errorf("AtLeast(%q) took a malformed version", bad)
		}
	}
}

// The header and the loaded library agree with the installed package.
func TestVersionOfThisMachine(t *testing.T) {
	path, loaded, err := LoadedLibrary()
	if err != nil {
		t.Fatal(err)
	}
	if loaded == "" {
		t.Skipf("loaded %s carries no version in its name", path)
	}
	if HeaderVersion() != loaded {
		t.Errorf("built against libbcc %s, loaded %s (%s)", HeaderVersion(), loaded, path)
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "libbpfcc").Output()
	if err != nil {
		t.Skipf("no dpkg package libbpfcc: %v", err)
	}
	// "0.26.0+ds-1" → "0.26.0"
	upstream, _, _ := strings.Cut(string(out), "+")
	upstream, _, _ = strings.Cut(upstream, "-")
	if upstream != loaded {
		t.Errorf("dpkg says libbpfcc %s (%q), loaded library says %s", upstream, out, loaded)
	}
}
