package launch

import (
	"slices"
	"testing"
)

func TestSplit(t *testing.T) {
	for in, want := range map[string][]string{
		"cat /etc/hostname":              {"cat", "/etc/hostname"},
		"  ls\t-l  ":                     {"ls", "-l"},
		`sh -c 'cat a; (cat b); exit 3'`: {"sh", "-c", "cat a; (cat b); exit 3"},
		`echo "a \"b\" \\ \n" x`:         {"echo", `a "b" \ \n`, "x"},
		`echo a\ b 'c'"d"e`:              {"echo", "a b", "cde"},
		`echo '' ""`:                     {"echo", "", ""},
		`printf '%s\n' $HOME ~ *`:        {"printf", `%s\n`, "$HOME", "~", "*"},
		"echo 'it''s'":                   {"echo", "its"},
		`sh -c "echo \"\$1\"" sh 'a b'`:  {"sh", "-c", `echo "\$1"`, "sh", "a b"},
	} {
		got, err := Split(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "   ", "echo 'a", `echo "a`, `echo "a\"`, `echo a\`} {
		if got, err := Split(in); err == nil {
			t.Errorf("Split(%q) = %q, want an error", in, got)
		}
	}
}

func TestCredentialRoundTrip(t *testing.T) {
	for _, c := range []Credential{{UID: 1000, GID: 1000}, {UID: 1, GID: 2, Groups: []uint32{3, 4, 27}}} {
		got, err := parseCredential(formatCredential(c))
		if err != nil || got.UID != c.UID || got.GID != c.GID || !slices.Equal(got.Groups, c.Groups) {
			t.Errorf("round trip of %+v = %+v, %v", c, got, err)
		}
	}
	if c, err := parseCredential("-"); c != nil || err != nil {
		t.Errorf(`parseCredential("-") = %+v, %v`, c, err)
	}
	for _, bad := range []string{"", "1:2", "a:2:", "1:2:x", "1:2:3:4"} {
		if _, err := parseCredential(bad); err == nil {
			t.Errorf("parseCredential(%q) took it", bad)
		}
	}
}
