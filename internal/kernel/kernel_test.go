package kernel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const kallsyms = `ffffffff816b52b0 t do_sys_openat2
ffffffff816b5580 T do_sys_open
ffffffff81000000 D do_sys_data
ffffffffc0000000 t mod_fn	[some_module]
`

func TestFirstFunction(t *testing.T) {
	cases := []struct {
		names []string
		want  string
	}{
		{[]string{"do_sys_openat2", "do_sys_open"}, "do_sys_openat2"},
		{[]string{"nope", "do_sys_open"}, "do_sys_open"},
		{[]string{"mod_fn"}, "mod_fn"},
	}
	for _, c := range cases {
		got, err := firstFunction(strings.NewReader(kallsyms), c.names)
		if err != nil || got != c.want {
			t.Errorf("%v: got %q, %v; want %q", c.names, got, err, c.want)
		}
	}
	if _, err := firstFunction(strings.NewReader(kallsyms), []string{"do_sys_data"}); err == nil {
		t.Error("a data symbol was taken as a function")
	}
}

func TestKprobes(t *testing.T) {
	dir := t.TempDir()
	old := kprobePMU
	kprobePMU = filepath.Join(dir, "no-pmu")
	t.Cleanup(func() { kprobePMU = old })
	if ok, reason := Kprobes(dir); ok || !strings.Contains(reason, "CONFIG_KPROBES") {
		t.Errorf("nothing present: ok %v %q", ok, reason)
	}
	os.WriteFile(filepath.Join(dir, "kprobe_events"), nil, 0o644)
	if ok, _ := Kprobes(dir); !ok {
		t.Error("kprobe_events present but not seen")
	}
	os.WriteFile(kprobePMU, []byte("6\n"), 0o644)
	if ok, reason := Kprobes(""); !ok || !strings.Contains(reason, "PMU") {
		t.Errorf("PMU present: ok %v %q", ok, reason)
	}
}

func TestFirstFunctionOnThisKernel(t *testing.T) {
	if _, err := os.Stat(kallsymsPath); err != nil {
		t.Skip("no /proc/kallsyms")
	}
	if _, err := FirstFunction([]string{"do_sys_openat2", "do_sys_open"}); err != nil {
		t.Fatal(err)
	}
}

func TestFunctionsInOnePass(t *testing.T) {
	found, err := functions(strings.NewReader(kallsyms), []string{"do_sys_open", "do_sys_data", "mod_fn", "nope"})
	if err != nil || !found["do_sys_open"] || !found["mod_fn"] || found["do_sys_data"] || found["nope"] {
		t.Errorf("%v, %v", found, err)
	}
}
