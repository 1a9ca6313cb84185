package bcc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kheaders"
)

// formatField matches a tracepoint field line, capturing the field's name
// and its array suffix: "field:const char * filename;	offset:16;...".
var formatField = regexp.MustCompile(`^\s*field:[^;]*?(\w+)\s*(\[\d*\])?;`)

// syscallsProbes renders one TRACEPOINT_PROBE per syscalls tracepoint, each
// reading every field of its args struct, so that every field type libbcc
// copies from the format files must compile.
func syscallsProbes(t *testing.T, eventsDir string) (src string, n int) {
	t.Helper()
	formats, err := filepath.Glob(filepath.Join(eventsDir, "syscalls", "*", "format"))
	if err != nil || len(formats) == 0 {
		t.Skipf("no syscalls tracepoints under %s (CONFIG_FTRACE_SYSCALLS): %v", eventsDir, err)
	}
	var b strings.Builder
	// The UAPI headers that typedef the same names: the minimal tree's own
	// typedefs must agree with them.
	for _, h := range []string{"linux/types.h", "linux/posix_types.h", "linux/fs.h", "linux/aio_abi.h",
		"linux/capability.h", "linux/landlock.h", "asm/signal.h", "asm-generic/siginfo.h"} {
		fmt.Fprintf(&b, "#include <%s>\n", h)
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

// TestMinimalTreeCompilesEverySyscallsTracepoint: libbcc copies field types
// from the format files verbatim (off_t, fd_set, sigset_t, ...), so the
// minimal tree must define every one of them.
func TestMinimalTreeCompilesEverySyscallsTracepoint(t *testing.T) {
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
	// Pin the process-wide header choice first, as the other tests see it,
	// then point libbcc at a fresh minimal tree for this compile only, so the
	// test means the same on a machine with real headers.
	if _, err := bcc.Headers(); err != nil {
		t.Skipf("no kernel headers usable by libbcc: %v", err)
	}
	tree, err := kheaders.PrepareMinimal("") // a private tree, removed below
	if err != nil {
		t.Skipf("minimal header tree unavailable: %v", err)
	}
	defer tree.Cleanup()
	t.Setenv(kheaders.EnvVar, tree.Dir)

	src, n := syscallsProbes(t, eventsDir)
	m, err := bcc.Compile(src)
	if err != nil {
		t.Fatalf("%d syscalls tracepoints under the minimal tree: %v", n, err)
	}
	defer m.Close()
	t.Logf("%d syscalls tracepoints compiled", n)
	if strings.Contains(m.Warnings, "redefinition") {
		t.Errorf("the minimal tree redefines a UAPI type:\n%s", m.Warnings)
	}
}
