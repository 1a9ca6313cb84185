package bcc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// formatField matches a tracepoint field line, capturing the field's name
// and its array suffix: "field:const char * filename;	offset:16;...".
var formatField = regexp.MustCompile(`^\s*field:[^;]*?(\w+)\s*(\[\d*\])?;`)

// syscallsProbes renders one TRACEPOINT_PROBE per syscalls tracepoint, each
// reading every field of its args struct, so that every field type libbcc
// copies from the format files must compile.
func syscallsProbes(t *testing.T, eventsDir string, kind kheaders.Kind) (src string, n int) {
	t.Helper()
	formats, err := filepath.Glob(filepath.Join(eventsDir, "syscalls", "*", "format"))
	if err != nil || len(formats) == 0 {
		t.Skipf("no syscalls tracepoints under %s (CONFIG_FTRACE_SYSCALLS): %v", eventsDir, err)
	}
	var b strings.Builder
	// The UAPI headers that typedef the same names: the minimal tree's own
	// typedefs must agree with them. The BTF tree has the kernel's own
	// types instead, and no UAPI header of types.
	for _, h := range []string{"linux/types.h", "linux/posix_types.h", "linux/fs.h", "linux/aio_abi.h",
		"linux/capability.h", "linux/landlock.h", "asm/signal.h", "asm-generic/siginfo.h"} {
		if kind == kheaders.Minimal {
			fmt.Fprintf(&b, "#include <%s>\n", h)
		}
	}
	for _, format := range formats {
		data, err := os.ReadFile(format)
		if err != nil {
			t.Fatal(err)
		}
		event := filepath.Base(filepath.Dir(format))
		fmt.Fprintf(&b, "TRACEPOINT_PROBE(syscalls, %s) {\n\tlong n = 0;\n", event)
		for _, line := range strings.Split(string(data), "\n") {
			m := formatField.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "common_") {
				continue
			}
			if m[2] != "" {
				fmt.Fprintf(&b, "\tn += args->%s[0] != 0;\n", m[1])
			} else {
				fmt.Fprintf(&b, "\tn += args->%s != 0;\n", m[1])
			}
		}
		b.WriteString("\treturn n;\n}\n")
	}
	return b.String(), len(formats)
}

// TestTreesCompileEverySyscallsTracepoint: libbcc copies field types from
// the format files verbatim (off_t, fd_set, sigset_t, ...), so gosnoop's
// trees, minimal and BTF, must define every one of them.
func TestTreesCompileEverySyscallsTracepoint(t *testing.T) {
	t.Run("minimal", func(t *testing.T) {
		testTreeCompilesEverySyscallsTracepoint(t, func() (kheaders.Source, error) { return kheaders.PrepareMinimal("") })
	})
	t.Run("btf", func(t *testing.T) {
		if _, err := os.Stat(btfheader.VmlinuxPath); err != nil {
			t.Skipf("kernel BTF (CONFIG_DEBUG_INFO_BTF): %v", err)
		}
		testTreeCompilesEverySyscallsTracepoint(t, func() (kheaders.Source, error) { return kheaders.PrepareBTF("", nil) })
	})
}

func testTreeCompilesEverySyscallsTracepoint(t *testing.T, prepare func() (kheaders.Source, error)) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: libbcc reads tracepoint formats from tracefs")
	}
	eventsDir := ""
	for _, d := range []string{"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"} {
		if _, err := os.Stat(d); err == nil {
			eventsDir = d
			break
		}
	}
	if eventsDir == "" {
		t.Skip("tracefs is not mounted at /sys/kernel/tracing")
	}
	// A fresh private tree for this compile only, so the test means the
	// same on a machine with real headers.
	tree, err := prepare()
	if err != nil {
		t.Skipf("header tree unavailable: %v", err)
	}
	defer tree.Cleanup()

	src, n := syscallsProbes(t, eventsDir, tree.Kind)
	m, err := bcc.CompileWith(src, tree)
	if err != nil {
		t.Fatalf("%d syscalls tracepoints under the %s tree: %v", n, tree.Kind, err)
	}
	defer m.Close()
	t.Logf("%d syscalls tracepoints compiled", n)
	if strings.Contains(m.Warnings, "redefinition") {
		t.Errorf("the %s tree redefines a type:\n%s", tree.Kind, m.Warnings)
	}
}
