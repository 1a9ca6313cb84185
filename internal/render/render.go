// Package render holds what the BPF program packages share to turn their C
// templates into program text: parsing and executing a template, and the
// checks on values that every template pastes the same way.
package render

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

// The C the programs share, as named templates: "dentry_walk", a dentry's
// path up to its filesystem's root; "path_base", the directory a pathname
// is looked up from (root, working directory or a directory fd) and the
// file behind an fd; "pid_filter", the process to trace, read from the
// table PIDTable; "task_filter", --cgroup and --exec, given a Tasks.
var (
	//go:embed walk.c.tmpl
	walkSource string
	//go:embed base.c.tmpl
	baseSource string
	//go:embed pid.c.tmpl
	pidSource string
	//go:embed tasks.c.tmpl
	tasksSource string
)

// PIDTable is the BPF array (one u32) "pid_filter" reads the process to
// trace from; a command writes it after loading, before attaching.
const PIDTable = "gosnoop_pid"

// Parse parses an embedded template, with the shared ones defined. Our
// own templates are fixed at build time, so a parse error is a programming
// error caught by every test.
func Parse(name, text string) *template.Template {
	t := template.Must(template.New(name).Option("missingkey=error").Parse(text))
	template.Must(t.New("walk.c.tmpl").Parse(walkSource))
	template.Must(t.New("base.c.tmpl").Parse(baseSource))
	template.Must(t.New("tasks.c.tmpl").Parse(tasksSource))
	return template.Must(t.New("pid.c.tmpl").Parse(pidSource)).Lookup(name)
}

// Execute runs t with opts and tidies blank lines left by options that
// rendered to nothing.
func Execute(t *template.Template, opts any) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, opts); err != nil {
		return "", fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	return squeezeBlankLines(b.String()), nil
}

func squeezeBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimLeft(strings.Join(out, "\n"), "\n")
}

// AnyUID disables a template's uid filter; MaxUID is the largest uid a
// filter can name (4294967295 is (uid_t)-1, which no process has).
const (
	AnyUID = -1
	MaxUID = 0xfffffffe
)

// CheckUID checks a uid filter before a template pastes it.
func CheckUID(uid int64) error {
	if uid < AnyUID || uid > MaxUID {
		return fmt.Errorf("uid %d out of range", uid)
	}
	return nil
}

var hexTag = regexp.MustCompile(`^[0-9a-f]{1,16}$`)

// CheckTag checks a trace_pipe tag before a template pastes it into a
// bpf_trace_printk format.
func CheckTag(tag string) error {
	if !hexTag.MatchString(tag) {
		return fmt.Errorf("trace-pipe tag %q must be 1-16 lowercase hex digits", tag)
	}
	return nil
}

// WalkPath is what "dentry_walk" wrote: names from a file up, each ended by
// a NUL, as a path from the root of the file's filesystem ("/a/b"); a walk
// cut short starts "…/".
func WalkPath(names []byte, cut bool) string {
	parts := strings.Split(strings.TrimSuffix(string(names), "\x00"), "\x00")
	if len(names) == 0 {
		parts = nil
	}
	slices.Reverse(parts)
	p := "/" + strings.Join(parts, "/")
	if cut {
		p = "…" + p
	}
	return p
}

// PIDComment says in a C comment, for --ebpf, what a command writes to
// PIDTable: the value a bcc tool would have pasted into the C.
func PIDComment(pid uint32) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf("\n// %s[0]: %d (written before attaching)\n", PIDTable, pid)
}
