package programs

import "testing"

func TestRenderHello(t *testing.T) {
	cases := map[string]HelloOptions{
		"kprobe":      {Kprobe: true, Tag: "5eed"},
		"tracepoints": {Tracepoints: []string{"clone", "clone3"}, Tag: "5eed"},
		"both":        {Kprobe: true, Tracepoints: []string{"clone", "clone3"}, Tag: "5eed"},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := RenderHello(o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, src)
		})
	}
}

func TestRenderHelloRejects(t *testing.T) {
	for name, o := range map[string]HelloOptions{
		"bad tag":           {Kprobe: true, Tag: `"); bad("`},
		"unknown syscall":   {Tracepoints: []string{"fork) { evil(); }"}, Tag: "5eed"},
		"nothing to attach": {Tag: "5eed"},
	} {
		if src, err := RenderHello(o); err == nil {
			t.Errorf("%s: rendered without error:\n%s", name, src)
		}
	}
}

func TestParseHelloMessage(t *testing.T) {
	if !ParseHelloMessage("5eed", "5eed Hello, World!") {
		t.Error("our line not recognised")
	}
	for _, other := range []string{"Hello, World!", "beef Hello, World!", "5eed Hello, World!!", "5eed hello"} {
		if ParseHelloMessage("5eed", other) {
			t.Errorf("%q taken as ours", other)
		}
	}
}
