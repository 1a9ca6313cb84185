package symbols

import (
	"bufio"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

const fakeKallsyms = `ffffffff81000000 T _stext
ffffffff81000000 T _text
ffffffff81000080 T entry_SYSCALL_64
ffffffff81000100 t do_syscall_64
ffffffff81000400 D some_data
ffffffff81000500 T _etext
ffffffffc0001000 t nft_do_chain	[nf_tables]
ffffffffc0001200 t nft_lookup	[nf_tables]
ffffffffc0002000 t bpf_prog_1234_handler	[bpf]
ffffffffc0003000 T last_one
`

func TestKernelResolve(t *testing.T) {
	tab, err := parseKallsyms(strings.NewReader(fakeKallsyms))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr uint64
		want string
	}{
		{0xffffffff81000000, "_stext+0x0"}, // the first of two names at one address
		{0xffffffff81000090, "entry_SYSCALL_64+0x10"},
		{0xffffffff81000100, "do_syscall_64+0x0"},
		{0xffffffff810003ff, "do_syscall_64+0x2ff"},
		{0xffffffff81000400, "0xffffffff81000400 [unknown]"}, // data, not a function
		{0xffffffff81000600, "0xffffffff81000600 [unknown]"}, // past _etext
		{0xffffffff80ffffff, "0xffffffff80ffffff [unknown]"}, // before the first
		{0x7f0000001000, "0x7f0000001000 [unknown]"},         // a user address
		{0xffffffffc0001010, "nft_do_chain+0x10 [nf_tables]"},
		{0xffffffffc0001234, "nft_lookup+0x34 [nf_tables]"},
		{0xffffffffc0002008, "bpf_prog_1234_handler+0x8 [bpf]"},
		{0xffffffffc0003010, "0xffffffffc0003010 [unknown]"}, // past the last: no end known
	} {
		if got := tab.resolve(c.addr).String(); got != c.want {
			t.Errorf("resolve(%#x) = %q, want %q", c.addr, got, c.want)
		}
	}
}

func TestKernelHiddenAddresses(t *testing.T) {
	_, err := parseKallsyms(strings.NewReader("0000000000000000 T _stext\n0000000000000000 t do_syscall_64\n"))
	if !errors.Is(err, ErrHiddenAddresses) {
		t.Errorf("zero addresses: %v, want ErrHiddenAddresses", err)
	}
}

func TestKernelMalformed(t *testing.T) {
	for _, in := range []string{"", "garbage\n", "ffffffff81000000T x\n", "zzzz T x\n", "ffffffff81000000 T \n", "11111111111111111 T x\n"} {
		if _, err := parseKallsyms(strings.NewReader(in)); err == nil {
			t.Errorf("parsing %q worked", in)
		}
	}
	k := &Kernel{path: t.TempDir() + "/missing"}
	if err := k.Load(); err == nil || !strings.HasPrefix(err.Error(), "reading kernel symbols") {
		t.Errorf("Load of a missing file: %v", err)
	}
	if f := k.Resolve(0xffffffff81000000); f.Known {
		t.Errorf("resolved %v without symbols", f)
	}
}

// The real kallsyms: what loading it costs, and that a function's own
// address resolves to it.
func TestKernelRealKallsyms(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: /proc/kallsyms shows zero addresses to others")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	k := NewKernel()
	if err := k.Load(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("kallsyms: %d symbols kept, loaded in %v, %.1f MB held", len(k.tab.syms), took, float64(after.HeapAlloc-before.HeapAlloc)/1e6)

	want := map[string]uint64{"do_syscall_64": 0, "vfs_read": 0}
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 && (fields[1] == "T" || fields[1] == "t") {
			if _, ok := want[fields[2]]; ok {
				want[fields[2]], _ = strconv.ParseUint(fields[0], 16, 64)
			}
		}
	}
	for name, addr := range want {
		if addr == 0 {
			t.Errorf("%s is not in kallsyms", name)
			continue
		}
		if got := k.Resolve(addr + 4).String(); got != name+"+0x4" {
			t.Errorf("Resolve(%s+4) = %q", name, got)
		}
	}
}
