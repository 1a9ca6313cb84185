package output

import (
	"encoding/json"
	"strings"
	"testing"
)

// The names a hostile user can give a process or a file, from the review.
var hostile = []struct{ name, in, want string }{
	{"plain", "cat /etc/passwd", "cat /etc/passwd"},
	{"utf8 stays", "café 東京", "café 東京"},
	{"forged row", "x\n99999  fakecomm  3 0 /etc/shadow", `x\n99999  fakecomm  3 0 /etc/shadow`},
	{"osc title", "\x1b]0;pwned\a", `\x1b]0;pwned\x07`},
	{"csi clear", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
	{"carriage return", "ok\rEVIL", `ok\rEVIL`},
	{"tab", "X\t/etc/shadow", `X\t/etc/shadow`},
	{"bell and del", "\a\x7f", `\x07\x7f`},
	{"c1 csi", "a\u009b2Jb", `a\u009b2Jb`},
	{"bidi override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
	{"bidi isolate", "\u2066x\u2069", `\u2066x\u2069`},
	{"zero width", "a\u200bb", `a\u200bb`},
	{"line separator", "a\u2028b", `a\u2028b`},
	{"invalid utf8", "a\xff\xc3b", `a\xff\xc3b`},
	{"raw c1 byte", "a\x9bb", `a\x9bb`},
	{"backslash is escaped", `a\nb`, `a\\nb`},
	{"nul", "a\x00b", `a\x00b`},
	{"tag character", "a\U000E0041b", `a\U000e0041b`},
}

func TestAppendEscaped(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendEscaped(nil, []byte(c.in)))
			if got != c.want {
				t.Errorf("AppendEscaped(%q) = %q, want %q", c.in, got, c.want)
			}
			for _, r := range got {
				if r < 0x20 || r == 0x7f || unsafeRune(r) {
					t.Errorf("escaped %q still holds %U", c.in, r)
				}
			}
		})
	}
}

func TestAppendJSONStringRoundTrips(t *testing.T) {
	for _, c := range hostile {
		t.Run(c.name, func(t *testing.T) {
			out := AppendJSONString(nil, []byte(c.in))
			var back string
			if err := json.Unmarshal(out, &back); err != nil {
				t.Fatalf("%s is not JSON: %v", out, err)
			}
			want := strings.ToValidUTF8(c.in, "\ufffd")
			if c.name == "invalid utf8" {
				want = "a\ufffd\ufffdb"
			}
			if back != want {
				t.Errorf("round trip of %q gave %q, want %q", c.in, back, want)
			}
			for _, b := range out {
				if b < 0x20 || b == 0x7f {
					t.Errorf("JSON %q holds control byte %#x", out, b)
				}
			}
			if s := string(out); strings.ContainsAny(s, "\u009b\u202e\u2066\u2028\u200b") {
				t.Errorf("JSON %q holds an unsafe character raw", out)
			}
		})
	}
}

func TestColumnsCountCharacters(t *testing.T) {
	if got := string(AppendLeft(nil, []byte("café"), 6)); got != "café  " {
		t.Errorf("AppendLeft = %q", got)
	}
	if got := string(AppendRight(nil, []byte("7"), 3, '0')); got != "007" {
		t.Errorf("AppendRight = %q", got)
	}
	if got := string(AppendEscapedLeft(nil, []byte("a\nb"), 6)); got != `a\nb  ` {
		t.Errorf("AppendEscapedLeft = %q", got)
	}
}

func TestEscapeAllocatesNothing(t *testing.T) {
	buf := make([]byte, 0, 256)
	in := []byte("/home/u/\x1b[31mred\u202e")
	if n := testing.AllocsPerRun(100, func() { buf = AppendEscaped(buf[:0], in) }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}

func FuzzAppendEscaped(f *testing.F) {
	for _, c := range hostile {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := string(AppendEscaped(nil, in))
		for _, r := range out {
			if r < 0x20 || r == 0x7f || unsafeRune(r) || r == 0xfffd && !strings.ContainsRune(string(in), 0xfffd) {
				t.Fatalf("AppendEscaped(%q) = %q holds %U", in, out, r)
			}
		}
	})
}

func TestEscapeLines(t *testing.T) {
	got := EscapeLines("gosnoop: x.c:1: error\n  \x1b[2Jhere\t\\n\n\n")
	if want := "gosnoop: x.c:1: error\n  \\x1b[2Jhere\t\\n\n"; got != want {
		t.Errorf("EscapeLines = %q, want %q", got, want)
	}
}
