package symbols

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// kallsymsAddrs returns the addresses of names in /proc/kallsyms.
func kallsymsAddrs(b *testing.B, names ...string) []uint64 {
	b.Helper()
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	at := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 3 {
			if _, seen := at[fields[2]]; !seen {
				at[fields[2]], _ = strconv.ParseUint(fields[0], 16, 64)
			}
		}
	}
	var addrs []uint64
	for _, n := range names {
		if at[n] == 0 {
			b.Skipf("no address for %s in kallsyms (not root?)", n)
		}
		addrs = append(addrs, at[n]+0x10)
	}
	return addrs
}

// Symbolizing a stack, against looking the same addresses up in a Go map
// of frames already resolved (what a printer caching frames would pay).
func BenchmarkResolveStack(b *testing.B) {
	kstack := kallsymsAddrs(b, "perf_syscall_enter", "syscall_trace_enter", "do_syscall_64", "entry_SYSCALL_64_after_hwframe")
	k := NewKernel()
	if err := k.Load(); err != nil {
		b.Fatal(err)
	}
	pid, funcs := startHelperB(b)
	u := NewUser()
	var ustack []uint64
	for _, a := range funcs {
		ustack = append(ustack, a+1, a+2)
	}
	for _, a := range ustack {
		if f := u.Resolve(pid, a); !f.Known {
			b.Fatalf("%#x unresolved", a)
		}
	}
	cache := map[uint64]Frame{}
	for _, a := range kstack {
		cache[a] = k.Resolve(a)
	}
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, a := range kstack {
				k.Resolve(a)
			}
		}
	})
	b.Run("user", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, a := range ustack {
				u.Resolve(pid, a)
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for _, a := range kstack {
				_ = cache[a]
			}
		}
	})
}

// Reading a file's symbols, once per file: a Go binary's .symtab and the
// C library's .dynsym.
func BenchmarkReadELF(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"go-binary", helperBinary(b, "exe")},
		{"libc", "/lib/x86_64-linux-gnu/libc.so.6"},
		{"libLLVM", "/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1"}, // what libbcc links: a large .dynsym
	} {
		f, err := os.Open(c.path)
		if err != nil {
			b.Logf("skipping %s: %v", c.name, err)
			continue
		}
		defer f.Close()
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				es, err := readELF(f)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.ReportMetric(float64(len(es.funcs)), "functions")
				}
			}
		})
	}
}
