package bcc

import (
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	good := []struct {
		in   string
		want []int
	}{
		{"0", []int{0}},
		{"0-3", []int{0, 1, 2, 3}},
		{"0-1,3", []int{0, 1, 3}},
		{"0,2-3,5", []int{0, 2, 3, 5}},
		{"7-7", []int{7}},
	}
	for _, c := range good {
		got, err := parseCPUList(c.in)
		if err != nil {
			t.Errorf("parseCPUList(%q): %v", c.in, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("parseCPUList(%q) = %v, want %v", c.in, got, c.want)
		}
	}

	for _, in := range []string{"", "a", "3-1", "1-", "-1", "0,", "0-a", "0-1-2"} {
		if got, err := parseCPUList(in); err == nil {
			t.Errorf("parseCPUList(%q) = %v, want an error", in, got)
		}
	}
}
