// Package programs holds gosnoop's BPF programs: C templates, the typed options
// that fill them, and the Go mirror of each event struct with its decoder.
// It is pure Go, so its tests run anywhere, without libbcc or root.
package programs

import (
	"fmt"
	"strings"
	"text/template"
)

// parse parses an embedded template. Our own templates are fixed at build
// time, so a parse error is a programming error caught by every test.
func parse(name, text string) *template.Template {
	return template.Must(template.New(name).Option("missingkey=error").Parse(text))
}

// render executes t with opts and tidies blank lines left by options that
// rendered to nothing.
func render(t *template.Template, opts any) (string, error) {
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

// cString returns b up to its first NUL byte.
func cString(b []byte) string {
	if i := indexNUL(b); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}
