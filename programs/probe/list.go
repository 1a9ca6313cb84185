package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Target is one thing a spec can probe, as the spec names it:
// "t:syscalls:sys_enter_openat" or "p:do_sys_openat2".
type Target struct {
	Kind     byte   // 't' tracepoint, 'p' kernel function
	Name     string // "syscalls:sys_enter_openat", "do_sys_openat2"
	Category string // tracepoints: "syscalls"
	Event    string // tracepoints: "sys_enter_openat"
}

func (t Target) String() string { return string(t.Kind) + ":" + t.Name }

// TracepointField is a tracepoint's argument: args->NAME in a spec.
type TracepointField struct {
	Name, Type string
}

// List returns the targets matching glob (path.Match syntax, on the name;
// a "t:" or "p:" prefix keeps one kind): the tracepoints under traceDir's
// events, and, with functions, the kernel functions in
// available_filter_functions, which only kprobes can use.
func List(traceDir, glob string, functions bool) ([]Target, error) {
	kind := byte(0)
	if len(glob) > 2 && (glob[:2] == "t:" || glob[:2] == "p:") {
		kind, glob = glob[0], glob[2:]
	}
	if _, err := path.Match(glob, ""); err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", glob, err)
	}
	var out []Target
	if kind != 'p' {
		events := filepath.Join(traceDir, "events")
		cats, err := os.ReadDir(events)
		if err != nil {
			return nil, fmt.Errorf("listing tracepoints: %w", err)
		}
		for _, c := range cats {
			if !c.IsDir() {
				continue
			}
			evs, err := os.ReadDir(filepath.Join(events, c.Name()))
			if err != nil {
				return nil, fmt.Errorf("listing tracepoints: %w", err)
			}
			for _, e := range evs {
				name := c.Name() + ":" + e.Name()
				if ok, _ := path.Match(glob, name); ok && e.IsDir() {
					out = append(out, Target{Kind: 't', Name: name, Category: c.Name(), Event: e.Name()})
				}
			}
		}
	}
	if kind != 't' && functions {
		f, err := os.Open(filepath.Join(traceDir, "available_filter_functions"))
		if err != nil {
			return nil, fmt.Errorf("listing kernel functions: %w", err)
		}
		defer f.Close()
		seen := map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, _, _ := strings.Cut(sc.Text(), " ") // "vfs_read", "ext4_file_open [ext4]"
			if ok, _ := path.Match(glob, name); ok && !seen[name] {
				seen[name] = true
				out = append(out, Target{Kind: 'p', Name: name})
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("listing kernel functions: %w", err)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind > out[j].Kind // tracepoints first
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Fields returns a tracepoint's own fields from its format file, in order,
// without the common_ ones every event has.
func Fields(traceDir string, t Target) ([]TracepointField, error) {
	data, err := os.ReadFile(filepath.Join(traceDir, "events", t.Category, t.Event, "format"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no format file", t)
	}
	if err != nil {
		return nil, err
	}
	var fields []TracepointField
	for _, line := range strings.Split(string(data), "\n") {
		// "\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;"
		decl, ok := strings.CutPrefix(strings.TrimSpace(line), "field:")
		if !ok {
			continue
		}
		decl, _, _ = strings.Cut(decl, ";")
		i := strings.LastIndexAny(decl, " *")
		if i < 0 {
			continue
		}
		name, typ := decl[i+1:], strings.TrimSpace(decl[:i+1])
		if arr := strings.Index(name, "["); arr >= 0 { // "char comm[16]"
			typ, name = typ+" "+name[arr:], name[:arr]
		}
		if strings.HasPrefix(name, "common_") {
			continue
		}
		fields = append(fields, TracepointField{Name: name, Type: typ})
	}
	return fields, nil
}
