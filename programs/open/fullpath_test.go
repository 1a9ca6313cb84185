package open

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
)

type fakeMounts map[uint32]string // dev -> where its root is mounted

func (m fakeMounts) Locate(dev uint32, p string) string {
	if point, ok := m[dev]; ok {
		return strings.TrimSuffix(point, "/") + p
	}
	return "dev 8:1:" + p
}

// fullSample is an -F sample as the program sends it: the event whole,
// then the walk.
func fullSample(rel string, base Base, dev uint32, walk string) []byte {
	b := make([]byte, EventSize, EventSize+len(walk))
	b[33] = byte(base)
	binary.LittleEndian.PutUint16(b[34:], uint16(len(walk)))
	binary.LittleEndian.PutUint32(b[36:], dev)
	copy(b[40:], "cat")
	copy(b[HeaderSize:], rel+"\x00")
	return append(b, walk...)
}

func TestFullPath(t *testing.T) {
	where := fakeMounts{1: "/", 2: "/mnt/data"}
	for _, c := range []struct {
		name, rel string
		base      Base
		dev       uint32
		walk      string
		want      string
		cut       bool
	}{
		{"cwd", "a.txt", BaseWalked, 1, "me\x00home\x00", "/home/me/a.txt", false},
		{"dot-dot", "../x/./y", BaseWalked, 1, "me\x00home\x00", "/home/x/y", false},
		{"above the mount", "../../up", BaseWalked, 2, "sub\x00", "/mnt/up", false},
		{"fs root", "f", BaseWalked, 2, "", "/mnt/data/f", false},
		{"not mounted here", "f", BaseWalked, 9, "d\x00", "dev 8:1:/d/f", false},
		{"cut", "f", BaseCut, 1, "c\x00b\x00", "…/b/c/f", true},
		{"cut climbs", "../../../f", BaseCut, 1, "c\x00b\x00", "…/f", true},
		{"absolute", "/etc/passwd", BaseNone, 0, "", "/etc/passwd", false},
		{"bad fd", "rel", BaseUnknown, 0, "", "rel", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := fullSample(c.rel, c.base, c.dev, c.walk)
			var ev Event
			if err := DecodeEvent(b, &ev); err != nil {
				t.Fatal(err)
			}
			walk, err := Walk(b, &ev)
			if err != nil {
				t.Fatal(err)
			}
			got, cut := FullPath(where, &ev, walk)
			if got != c.want || cut != c.cut {
				t.Errorf("%q, cut %v; want %q, cut %v", got, cut, c.want, c.cut)
			}
		})
	}
}

// From a filesystem's root the walk has no names, and the program sends
// the event alone.
func TestWalkOfNoNames(t *testing.T) {
	b := fullSample("f", BaseWalked, 2, "")
	var ev Event
	if err := DecodeEvent(b, &ev); err != nil {
		t.Fatal(err)
	}
	walk, err := Walk(b, &ev)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := FullPath(fakeMounts{2: "/mnt/data"}, &ev, walk); got != "/mnt/data/f" {
		t.Errorf("%q, want /mnt/data/f", got)
	}
}

func TestWalkRejectsShortSamples(t *testing.T) {
	b := fullSample("f", BaseWalked, 1, "dir\x00")
	var ev Event
	DecodeEvent(b, &ev)
	if _, err := Walk(b[:len(b)-1], &ev); err == nil {
		t.Error("a walk longer than the sample was read")
	}
}

func TestOpenPrinterFullPath(t *testing.T) {
	ev := sampleEvent()
	copy(ev.Path[:], "rel\x00")
	var out strings.Builder
	p := NewPrinter(&out, PrintOptions{FullPath: true})
	p.PrintFull(&ev, []byte("…/deep/rel\n"), true)
	if want := "4242   cat                -1   2 …/deep/rel\\n\n"; out.String() != want {
		t.Errorf("table: %q, want %q", out.String(), want)
	}
	out.Reset()
	p = NewPrinter(&out, PrintOptions{FullPath: true, JSON: true})
	p.PrintFull(&ev, []byte("/home/me/rel"), false)
	var got map[string]any
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatalf("%q: %v", out.String(), err)
	}
	if got["path"] != "/home/me/rel" || got["pathname"] != "rel" || got["cut"] != false {
		t.Errorf("JSON %v", got)
	}
}
