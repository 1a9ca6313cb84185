package caps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCanTrace(t *testing.T) {
	cases := []struct {
		set  Set
		want bool
	}{
		{0, false},
		{1 << SysAdmin, true},
		{1<<BPF | 1<<Perfmon, true},
		{1 << BPF, false},
		{1 << Perfmon, false},
		{0x1ffffffffff, true},
	}
	for _, c := range cases {
		if got := c.set.CanTrace(); got != c.want {
			t.Errorf("%#x: CanTrace %v, want %v", uint64(c.set), got, c.want)
		}
	}
}

func TestParseCapEff(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	os.WriteFile(path, []byte("Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n"), 0o644)
	f, _ := os.Open(path)
	defer f.Close()
	s, err := parseCapEff(f)
	if err != nil || !s.Has(BPF) || !s.Has(SysAdmin) {
		t.Fatalf("got %#x, %v", uint64(s), err)
	}
	os.WriteFile(path, []byte("Name:\tx\n"), 0o644)
	f2, _ := os.Open(path)
	defer f2.Close()
	if _, err := parseCapEff(f2); err == nil {
		t.Fatal("missing CapEff parsed without error")
	}
}
