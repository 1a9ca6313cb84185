package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTracefs is a tracefs with a few events and kernel functions.
func fakeTracefs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	format := `name: sys_enter_openat
ID: 647
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:char comm[16];	offset:32;	size:16;	signed:0;

print fmt: "dfd: 0x%08lx", ((unsigned long)(REC->dfd))
`
	for _, ev := range []string{"syscalls/sys_enter_openat", "syscalls/sys_enter_open", "syscalls/sys_exit_openat", "sched/sched_switch"} {
		d := filepath.Join(dir, "events", ev)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "format"), []byte(format), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "events", "enable"), []byte("0\n"), 0o644) // a file, not a category
	os.WriteFile(filepath.Join(dir, "available_filter_functions"), []byte("do_sys_openat2\nvfs_open\next4_file_open [ext4]\ndo_sys_openat2\n"), 0o644)
	return dir
}

func names(ts []Target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.String())
	}
	return strings.Join(s, " ")
}

func TestList(t *testing.T) {
	dir := fakeTracefs(t)
	for _, c := range []struct {
		glob      string
		functions bool
		want      string
	}{
		{"syscalls:sys_enter_open*", false, "t:syscalls:sys_enter_open t:syscalls:sys_enter_openat"},
		{"*open*", true, "t:syscalls:sys_enter_open t:syscalls:sys_enter_openat t:syscalls:sys_exit_openat p:do_sys_openat2 p:ext4_file_open p:vfs_open"},
		{"*open*", false, "t:syscalls:sys_enter_open t:syscalls:sys_enter_openat t:syscalls:sys_exit_openat"},
		{"p:*open*", true, "p:do_sys_openat2 p:ext4_file_open p:vfs_open"},
		{"t:sched:*", true, "t:sched:sched_switch"},
		{"nothing", true, ""},
	} {
		got, err := List(dir, c.glob, c.functions)
		if err != nil || names(got) != c.want {
			t.Errorf("List(%q, %v) = %q, %v; want %q", c.glob, c.functions, names(got), err, c.want)
		}
	}
	if _, err := List(dir, "[", true); err == nil {
		t.Error("a bad pattern listed")
	}
	if _, err := List(filepath.Join(dir, "missing"), "*", false); err == nil {
		t.Error("a missing tracefs listed")
	}
}

func TestFields(t *testing.T) {
	dir := fakeTracefs(t)
	fields, err := Fields(dir, Target{Kind: 't', Name: "syscalls:sys_enter_openat", Category: "syscalls", Event: "sys_enter_openat"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fields {
		got = append(got, f.Type+"|"+f.Name)
	}
	if strings.Join(got, " ") != "int|__syscall_nr int|dfd const char *|filename char [16]|comm" {
		t.Errorf("fields %q", got)
	}
	if _, err := Fields(dir, Target{Kind: 't', Category: "x", Event: "y"}); err == nil {
		t.Error("a missing format file gave fields")
	}
}
