package bcc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/programs/open"
)

// BenchmarkCompileTrees compiles open's program against each header tree
// this machine has: gosnoop's minimal tree, its BTF tree, and installed
// headers; and a program reading kernel structs against those that declare
// them. GOSNOOP_BENCH_HOST_HEADERS names a kernel source tree to time as
// installed headers where the machine has none (any kernel's will do for
// timing). scripts/bench-headers.sh prints the ratios. As root: libbcc
// reads tracepoint formats from tracefs.
func BenchmarkCompileTrees(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root: libbcc reads tracepoint formats from tracefs")
	}
	src, err := open.Render(open.Options{UID: -1, Output: open.OutputPerf, Tracepoints: open.Syscalls{Open: true, Openat: true, Openat2: true}})
	if err != nil {
		b.Fatal(err)
	}
	structs := `
#ifndef GOSNOOP_BTF_HEADERS
#include <linux/sched.h>
#endif
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bpf_trace_printk("%d\n", task->real_parent->tgid);
	return 0;
}
`
	roots := []btfheader.Root{"struct task_struct"}
	trees := map[string]kheaders.Source{}
	if t, err := kheaders.PrepareMinimal(""); err == nil {
		defer t.Cleanup()
		trees["minimal"] = t
	}
	if t, err := kheaders.PrepareBTF("", roots); err == nil {
		defer t.Cleanup()
		trees["btf"] = t
	}
	if build := filepath.Join("/lib/modules", kheaders.Release(), "build"); dirExists(build) {
		trees["host"] = kheaders.Source{Kind: kheaders.Host, Dir: build}
	} else if dir := os.Getenv("GOSNOOP_BENCH_HOST_HEADERS"); dir != "" {
		trees["host"] = kheaders.Source{Kind: kheaders.FromEnv, Dir: dir}
	}
	for _, name := range []string{"minimal", "btf", "host"} {
		tree, ok := trees[name]
		if !ok {
			continue
		}
		programs := map[string]string{"open": src}
		if name != "minimal" {
			programs["structs"] = structs
		}
		for _, prog := range []string{"open", "structs"} {
			text, ok := programs[prog]
			if !ok {
				continue
			}
			b.Run(fmt.Sprintf("%s/%s", prog, name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					m, err := bcc.CompileWith(text, tree)
					if err != nil {
						b.Fatal(err)
					}
					m.Close()
				}
			})
		}
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
