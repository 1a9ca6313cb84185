package programs

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unsafe"
)

func mustParse(t *testing.T, text string) *ProbeSpec {
	t.Helper()
	s, err := ParseProbeSpec(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return s
}

func TestRenderProbes(t *testing.T) {
	cases := map[string][]string{
		"kprobe-signature":  {`p:do_sys_openat2(int dfd, const char __user *filename) "%s", filename`},
		"kprobe-positional": {`p:do_sys_openat2 "%s", arg2@user`},
		"kretprobe":         {`r:do_sys_openat2 (retval < 0) "failed: %d", retval`},
		"tracepoint":        {`t:syscalls:sys_enter_openat "%s", args->filename`},
		"bare":              {`p:vfs_read`},
		"specials":          {`t:syscalls:sys_enter_openat ($pid != 1) "%s opened %s as %d (cpu %u, %lx)", $comm, args->filename, $uid, $cpu, args->flags`},
		"several":           {`t:syscalls:sys_enter_openat "%s", args->filename`, `t:syscalls:sys_exit_openat (args->ret < 0) "%d", args->ret`},
	}
	for name, specs := range cases {
		t.Run(name, func(t *testing.T) {
			o := ProbeOptions{UID: AnyUID, StringSize: DefaultProbeStringSize}
			for _, s := range specs {
				o.Specs = append(o.Specs, mustParse(t, s))
			}
			src, err := RenderProbes(o)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, src)
		})
	}
	t.Run("filters", func(t *testing.T) {
		o := ProbeOptions{PID: 42, UID: 1000, StringSize: 16, Specs: []*ProbeSpec{mustParse(t, `p:do_sys_openat2 "%s", arg2@user`)}}
		src, err := RenderProbes(o)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, src)
	})
}

func TestParseProbeSpec(t *testing.T) {
	s := mustParse(t, `p:do_sys_openat2(int dfd, const char __user *filename) (dfd != 3) "open %s (%d)", filename, dfd`)
	if s.Kind != Kprobe || s.Function != "do_sys_openat2" || s.Signature != "int dfd, const char __user *filename" || s.Predicate != "dfd != 3" {
		t.Fatalf("parsed %+v", s)
	}
	if len(s.Args) != 2 || !s.Args[0].User || s.Args[1].User || s.Args[0].Expr != "filename" || s.Args[1].Verb.Conv != 'd' {
		t.Fatalf("args %+v", s.Args)
	}
	if s.Name() != "p:do_sys_openat2" {
		t.Errorf("name %q", s.Name())
	}
	tp := mustParse(t, `t:syscalls:sys_enter_openat "%s", args->filename`)
	if tp.Kind != Tracepoint || tp.Category != "syscalls" || tp.Function != "sys_enter_openat" || !tp.Args[0].User {
		t.Fatalf("tracepoint %+v", tp)
	}
	if k := mustParse(t, `vfs_read.isra.0`); k.Kind != Kprobe || k.Function != "vfs_read.isra.0" {
		t.Errorf("default kind: %+v", k)
	}
	if k := mustParse(t, `t:sched:sched_switch "%s", args->prev_comm`); k.Args[0].User {
		t.Error("a non-syscall tracepoint's string was taken as user memory")
	}
	if s := mustParse(t, `p:f "%d", ($pid)`); !strings.Contains(s.Args[0].Expr, "bpf_get_current_pid_tgid") {
		t.Errorf("$pid in an expression: %q", s.Args[0].Expr)
	}
	if s := mustParse(t, `p:f "100%% %-5d|%08lx|%X|%c|%p|%u"`+`, arg1, arg2, arg3, arg4, arg5, arg6`); len(s.Format) != 12 {
		t.Errorf("format parts %d", len(s.Format))
	}
}

func TestParseProbeSpecErrors(t *testing.T) {
	cases := []struct{ spec, want string }{
		{``, "probe: empty spec"},
		{`q:do_sys_open`, "probe: unknown probe type 'q' (want p, r or t) at 1"},
		{`p:do_sys_open "%s, arg2`, "probe: unbalanced quote at 15"},
		{`t:syscalls:sys_enter_openat "%s`, "probe: unbalanced quote at 29"},
		{`p:f "%d %d", arg1`, "probe: format has 2 verbs but 1 argument"},
		{`p:f "%d", arg1, arg2`, "probe: format has 1 verb but 2 arguments"},
		{`p:f "%d", arg7`, "probe: arg7: at most 6 arguments at 11"},
		{`p:f "%d%d%d%d%d%d%d", arg1, arg2, arg3, arg4, arg5, arg6, arg1`, "at most 6 arguments at 59"},
		{`p:f(int a`, "probe: unbalanced parenthesis at 4"},
		{`p:f (x == 1`, "probe: unbalanced parenthesis at 5"},
		{`p:f (x); evil()`, `probe: unexpected ";" at 8`},
		{`p:f (x == 1; y)`, `probe: predicate: ";" not allowed (a predicate is one C expression) at 12`},
		{`p:f(int a) { bad(); }`, `probe: unexpected "{" at 12`},
		{`p:f(int a; int b)`, `probe: signature: ";" not allowed`},
		{`p:f (a /* c */)`, "probe: predicate: comments not allowed at 8"},
		{`p:f (a ? b : c[1)`, `probe: predicate: unbalanced "["`},
		{`p:f "%d", a; b`, `probe: argument: ";" not allowed`},
		{`p:f "%d", x}`, `probe: argument: "}" not allowed`},
		{`p:f ('a' == x)`, `probe: predicate: "'" not allowed`},
		{`p:f "%d", #x`, `probe: argument: "#" not allowed`},
		{`r:f (arg1 > 0)`, "probe: arg1: arguments are gone by the time a function returns; use a p: probe at 6"},
		{`r:f(int a)`, "probe: an r: probe takes no signature; its value is retval at 4"},
		{`p:f (retval < 0)`, "probe: retval exists only in r: probes at 6"},
		{`t:syscalls "%d", args->x`, "probe: a tracepoint is category:event, e.g. t:syscalls:sys_enter_openat at 3"},
		{`t:syscalls:sys_enter_openat(int x)`, "probe: a tracepoint takes no signature; its fields are args->NAME at 28"},
		{`t:syscalls:sys_enter_openat "%d", arg1`, "probe: arg1: a tracepoint's fields are args->NAME"},
		{`p:f "%d", args->x`, "probe: args-> is for tracepoints"},
		{`p:f "%f", arg1`, `probe: format: unsupported verb "%f"`},
		{`p:f "%ls", arg1`, `probe: format: "%ls": l applies to integers only`},
		{`p:f "%"`, `probe: format: unfinished verb "%" at 6`},
		{`p:f "%`, `probe: unbalanced quote at 5`},
		{`p:f "%s", $pid`, "probe: arg 1: $pid is a number; %s needs a string"},
		{`p:f "%d", $comm`, "probe: arg 1: $comm is a string; use %s"},
		{`p:f "%d", $nope`, "probe: unknown $nope"},
		{`p:f ($comm == 1)`, "probe: predicate: unknown or non-numeric $comm"},
		{`p:f "%d", arg1@user`, "probe: arg 1: @user reads a string; use %s"},
		{`p:f "%d",`, "probe: empty argument"},
		{`p: "%d", arg1`, "probe: expected a kernel function name at 3"},
		{`p:f "\q"`, `probe: unknown escape \q`},
		{`p:f "x" y`, `probe: unexpected "y" at 9`},
	}
	for _, c := range cases {
		_, err := ParseProbeSpec(c.spec)
		if err == nil {
			t.Errorf("%q parsed, want error %q", c.spec, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want %q", c.spec, err, c.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", c.spec, err)
		}
	}
}

func TestProbeHeaderSize(t *testing.T) {
	if s := int(unsafe.Sizeof(ProbeHeader{})); s != ProbeHeaderSize {
		t.Errorf("unsafe.Sizeof(ProbeHeader{}) = %d, want %d", s, ProbeHeaderSize)
	}
	if !strings.Contains(probeSource, "_Static_assert(sizeof(struct probe_header) == PROBE_HEADER_SIZE") {
		t.Error("probe.c.tmpl no longer asserts the header size")
	}
}

func TestProbeLayout(t *testing.T) {
	s := mustParse(t, `p:f "%d %s %ld %c %s %lu", arg1, arg2, arg3, arg4, $comm, arg6`)
	l := s.Layout(10)
	type want struct{ arg, off, size int }
	var got []want
	for _, f := range l.Fields {
		got = append(got, want{f.Arg, f.Offset, f.Size})
	}
	// int at 48; string 52..62; pad to 64; long at 64; char at 72; pad 76..80; $comm has no field; u64 at 80.
	exp := []want{{0, 48, 4}, {1, 52, 10}, {-1, 62, 2}, {2, 64, 8}, {3, 72, 4}, {-1, 76, 4}, {5, 80, 8}}
	if len(got) != len(exp) {
		t.Fatalf("fields %+v, want %+v", got, exp)
	}
	for i := range exp {
		if got[i] != exp[i] {
			t.Fatalf("fields %+v, want %+v", got, exp)
		}
	}
	if l.Size != 88 || l.NArgs != 6 {
		t.Errorf("size %d nargs %d", l.Size, l.NArgs)
	}
}

func TestProbeDecodeAndMessage(t *testing.T) {
	s := mustParse(t, `p:f "%s[%d] %d %u %x %s", $comm, $pid, arg1, arg2, arg3, arg4@user`)
	l := s.Layout(16)
	buf := make([]byte, l.Size)
	le := binary.LittleEndian
	le.PutUint64(buf[0:], 99)
	le.PutUint32(buf[8:], 42)
	le.PutUint32(buf[12:], 43)
	copy(buf[32:], "cat")
	for _, f := range l.Fields {
		switch f.Arg {
		case 2:
			le.PutUint32(buf[f.Offset:], uint32(0xfffffffe)) // -2
		case 3:
			le.PutUint32(buf[f.Offset:], 0xfffffffe)
		case 4:
			le.PutUint32(buf[f.Offset:], 255)
		case 5:
			copy(buf[f.Offset:f.Offset+f.Size], "/etc/passwd\x00junk")
		}
	}
	var ev ProbeEvent
	if err := l.Decode(buf, &ev); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Message(&ev), "cat[42] -2 4294967294 ff /etc/passwd"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if err := l.Decode(buf[:l.Size-1], &ev); err == nil {
		t.Error("short sample decoded")
	}
	pc := mustParse(t, `p:f "%p %c %ld", arg1, arg2, arg3`)
	ev = ProbeEvent{Values: []ProbeValue{{Int: 0xffff888000001000}, {Int: 'A'}, {Int: uint64(1<<64 - 5)}}}
	if got, want := pc.Message(&ev), "0xffff888000001000 A -5"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	w := mustParse(t, `p:f "%-5d|%05u|%lx", arg1, arg2, arg3`)
	ev = ProbeEvent{Values: []ProbeValue{{Int: 7}, {Int: 7}, {Int: 1 << 40}}}
	if got := w.Message(&ev); got != "7    |00007|10000000000" {
		t.Errorf("widths: %q", got)
	}
}

func TestRenderProbesRejects(t *testing.T) {
	s := mustParse(t, `p:f`)
	for name, o := range map[string]ProbeOptions{
		"no specs":      {UID: AnyUID, StringSize: 80},
		"string size":   {UID: AnyUID, StringSize: 4, Specs: []*ProbeSpec{s}},
		"uid too large": {UID: 1 << 32, StringSize: 80, Specs: []*ProbeSpec{s}},
	} {
		if _, err := RenderProbes(o); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// FuzzParseProbeSpec checks that no input panics and that whatever parses
// renders C whose user fragments passed the one-expression checks.
func FuzzParseProbeSpec(f *testing.F) {
	for _, s := range []string{
		`p:do_sys_openat2(int dfd, const char __user *filename) "%s", filename`,
		`p:do_sys_openat2 "%s", arg2@user`,
		`r:do_sys_openat2 (retval < 0) "failed: %d", retval`,
		`t:syscalls:sys_enter_openat "%s", args->filename`,
		`t:syscalls:sys_enter_openat ($pid != 1) "%s %lx %c %p", $comm, args->flags, args->mode, args->filename`,
		`p:f (a[1] == (b)) "%-5d|%05u", arg1, arg2`,
		`q:x`, `p:f "%d`, `p:f (x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseProbeSpec(text)
		if err != nil {
			return
		}
		if len(s.Args) > MaxProbeArgs {
			t.Fatalf("%d args", len(s.Args))
		}
		verbs := 0
		for _, p := range s.Format {
			if p.Verb != nil {
				verbs++
			}
		}
		if verbs != len(s.Args) {
			t.Fatalf("%d verbs, %d args", verbs, len(s.Args))
		}
		for _, frag := range append([]string{s.Signature, s.Predicate}, argExprs(s)...) {
			if strings.ContainsAny(frag, ";{}\"'#\\\n") || strings.Contains(frag, "/*") || strings.Contains(frag, "//") {
				t.Fatalf("fragment %q reached C", frag)
			}
		}
		src, err := RenderProbes(ProbeOptions{Specs: []*ProbeSpec{s}, UID: AnyUID, StringSize: 16})
		if err != nil {
			return
		}
		if !bytes.Contains([]byte(src), []byte("_Static_assert(sizeof(struct probe0_event)")) {
			t.Fatal("rendered without its size assertion")
		}
	})
}

func argExprs(s *ProbeSpec) []string {
	var out []string
	for _, a := range s.Args {
		out = append(out, a.Expr)
	}
	return out
}

func TestSuggestTracepoint(t *testing.T) {
	for spec, want := range map[string]string{
		`p:do_sys_openat2`:           "t:syscalls:sys_enter_openat",
		`r:do_sys_open`:              "t:syscalls:sys_exit_openat",
		`p:__x64_sys_clone`:          "t:syscalls:sys_enter_clone",
		`r:__arm64_sys_read`:         "t:syscalls:sys_exit_read",
		`p:vfs_read`:                 "",
		`t:syscalls:sys_enter_write`: "",
	} {
		if got := mustParse(t, spec).SuggestTracepoint(); got != want {
			t.Errorf("%s: %q, want %q", spec, got, want)
		}
	}
}

func TestProbeIndex(t *testing.T) {
	b := make([]byte, ProbeHeaderSize)
	binary.LittleEndian.PutUint32(b[24:], 3)
	if i, err := ProbeIndex(b); err != nil || i != 3 {
		t.Errorf("got %d, %v; want 3", i, err)
	}
	var h ProbeHeader
	if err := DecodeProbeHeader(b, &h); err != nil || h.Probe != 3 {
		t.Errorf("ProbeIndex and DecodeProbeHeader disagree: %d", h.Probe)
	}
	if _, err := ProbeIndex(b[:ProbeHeaderSize-1]); err == nil {
		t.Error("short sample gave an index")
	}
}
