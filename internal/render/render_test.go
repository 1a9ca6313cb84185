package render

import "testing"

func TestCheckUID(t *testing.T) {
	for uid, ok := range map[int64]bool{AnyUID: true, 0: true, 1000: true, MaxUID: true, MaxUID + 1: false, -2: false} {
		if err := CheckUID(uid); (err == nil) != ok {
			t.Errorf("CheckUID(%d) = %v", uid, err)
		}
	}
}

func TestCheckTag(t *testing.T) {
	for tag, ok := range map[string]bool{"5eed": true, "0123456789abcdef": true, "": false, "5EED": false, "5eed\\n": false, "0123456789abcdef0": false, `a"b`: false} {
		if err := CheckTag(tag); (err == nil) != ok {
			t.Errorf("CheckTag(%q) = %v", tag, err)
		}
	}
}

func TestExecuteSqueezesBlankLines(t *testing.T) {
	got, err := Execute(Parse("t", "\n\na\n\n\n{{.}}\n\n\nb \n"), "")
	if err != nil || got != "a\n\nb\n" {
		t.Errorf("Execute = %q, %v", got, err)
	}
}
