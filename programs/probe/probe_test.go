package probe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/golden"
	"github.com/gosnoop/gosnoop/internal/render"
)

func mustParse(t *testing.T, text string) *Spec {
	t.Helper()
	s, err := ParseSpec(text)
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
		// Aggregations: a key struct and a table per spec, no event.
		"count":         {`t:syscalls:sys_enter_read count() by $comm, args->fd`},
		"hist":          {`t:syscalls:sys_exit_read (args->ret >= 0) hist(args->ret)`},
		"agg-and-event": {`t:syscalls:sys_enter_openat count() by str(args->filename), $kstack`, `t:syscalls:sys_exit_openat "%d", args->ret`},
		"ustack-key":    {`r:do_sys_openat2 hist(retval) by $ustack`},
		// Kernel types: the installed headers that declare them, unless the tree is gosnoop's BTF one.
		"kernel-types": {`t:syscalls:sys_enter_read ($task->real_parent->tgid > 1) "%s %d %s", $task->real_parent->comm, ((struct file *)0)->f_flags, args->buf`},
		// One TRACEPOINT_PROBE runs both probes on sys_enter_openat; the two
		// kprobes on one function stay two functions.
		"same-target": {
			`t:syscalls:sys_enter_openat (args->flags & 0x40) "create %s", args->filename`,
			`p:do_sys_openat2 "%d", arg1`,
			`t:syscalls:sys_enter_openat ($uid == 0) "%s by root", args->filename`,
			`p:do_sys_openat2 "%s", arg2@user`,
		},
	}
	for name, specs := range cases {
		t.Run(name, func(t *testing.T) {
			o := Options{UID: render.AnyUID, StringSize: DefaultStringSize, IncludeSelf: name == "bare"}
			for _, s := range specs {
				o.Specs = append(o.Specs, mustParse(t, s))
			}
			src, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, src)
		})
	}
	t.Run("stacks", func(t *testing.T) {
		o := Options{UID: render.AnyUID, StringSize: 16, Stacks: Stacks{Kernel: true, User: true}, Specs: []*Spec{mustParse(t, `t:syscalls:sys_enter_openat "%s", args->filename`)}}
		src, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, src)
	})
	t.Run("tasks", func(t *testing.T) {
		o := Options{UID: render.AnyUID, StringSize: 16, Tasks: render.Tasks{Cgroup: true, Exec: true}, Specs: []*Spec{mustParse(t, `t:sched:sched_switch "%d", args->next_pid`)}}
		// A spec on a tracepoint --exec uses itself would not compile.
		fork := Options{UID: render.AnyUID, StringSize: 16, Tasks: render.Tasks{Exec: true}, Specs: []*Spec{mustParse(t, `t:sched:sched_process_fork "%d", args->child_pid`)}}
		if _, err := Render(fork); err == nil || !strings.Contains(err.Error(), "--exec follows the command with t:sched:sched_process_fork itself") {
			t.Errorf("a sched_process_fork spec with --exec: %v", err)
		}
		src, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, src)
	})
	t.Run("filters", func(t *testing.T) {
		o := Options{PID: 42, UID: 1000, StringSize: 16, Specs: []*Spec{mustParse(t, `p:do_sys_openat2 "%s", arg2@user`)}}
		src, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, src)
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

func TestProbeTask(t *testing.T) {
	s := mustParse(t, `t:syscalls:sys_enter_read ($task->tgid == 1) "%s %s %d", $task->comm, args->buf, (u32)((union bpf_attr *)0)->map_type`)
	if !strings.Contains(s.Predicate, "((struct task_struct *)bpf_get_current_task())->tgid") {
		t.Errorf("predicate %q", s.Predicate)
	}
	// A syscall tracepoint's string fields are user memory; the task's are the kernel's.
	if s.Args[0].User || !s.Args[1].User {
		t.Errorf("user memory: $task->comm %v, args->buf %v; want false, true", s.Args[0].User, s.Args[1].User)
	}
	if got := fmt.Sprint(s.KernelTypes()); got != "[struct task_struct union bpf_attr]" {
		t.Errorf("KernelTypes = %s", got)
	}
	o := Options{Specs: []*Spec{s, mustParse(t, `p:vfs_read(struct file *file) "%d", file->f_flags`), mustParse(t, `p:vfs_read "%d", arg1`)}}
	if got := fmt.Sprint(o.KernelTypes()); got != "[struct file struct task_struct union bpf_attr]" {
		t.Errorf("Options.KernelTypes = %s", got)
	}
	if len(mustParse(t, `t:syscalls:sys_enter_read "%d", args->fd`).KernelTypes()) != 0 {
		t.Errorf("a spec without kernel types has some")
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
		{`p:f "%d", $task`, "probe: $task is a pointer to the current task_struct; print a member of it, such as $task->real_parent->tgid"},
		{`p:f "%d", $nope`, "probe: unknown $nope (want $pid, $tid, $uid, $cpu, $comm, or a member of $task) at 11"},
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
		checkSpecError(t, c.spec, c.want)
	}
}

// TestParseProbeSpecRefusesSideEffects: a signature, predicate or argument
// is one parameter list or one side-effect-free expression; every way found
// to smuggle in a statement, a write or a call with effects is refused, with
// the column of the offending token.
func TestParseProbeSpecRefusesSideEffects(t *testing.T) {
	cases := []struct{ spec, want string }{
		// Digraphs and trigraphs would bring back the braces, brackets and '#'.
		{`p:f (x <% 1)`, `probe: predicate: digraph "<%" not allowed at 8`},
		{`p:f (x %> 1)`, `probe: predicate: digraph "%>" not allowed at 8`},
		{`p:f (a<:1:> == 2)`, `probe: predicate: digraph "<:" not allowed at 7`},
		{`p:f (a[1:> == 2)`, `probe: predicate: digraph ":>" not allowed at 9`},
		{`p:f "%d", x %: y`, `probe: argument: digraph "%:" not allowed at 13`},
		{`p:f "%d", x %:%: y`, `probe: argument: digraph "%:" not allowed at 13`},
		{`p:f (1) "%d", (arg1 > 0) ? 1 : (0 <% if (1) %> )`, `probe: argument: digraph "<%"`},
		{`p:f (x<<%0)`, `probe: predicate: digraph "<%" not allowed at 8`},
		{`p:f (x ??= 1)`, `probe: predicate: trigraph "??=" not allowed at 8`},
		{`p:f (x ??< 1 ??> )`, `probe: predicate: trigraph "??<" not allowed at 8`},
		{`p:f(int a ??- b) "%d", a`, `probe: signature: trigraph "??-" not allowed at 11`},
		{`p:f (x ?? y)`, `probe: predicate: "??" not allowed at 8`},
		// Assignment, compound assignment, increment and decrement.
		{`p:f "%d", ev->h.pid = 4242`, `probe: argument: "=" not allowed (an argument cannot assign; for a comparison write ==) at 21`},
		{`p:f (x = 1)`, `probe: predicate: "=" not allowed (a predicate cannot assign; for a comparison write ==) at 8`},
		{`p:f (x += 1)`, `probe: predicate: "+=" not allowed (a predicate cannot assign) at 8`},
		{`p:f (x -= 1)`, `probe: predicate: "-=" not allowed`},
		{`p:f (x *= 1)`, `probe: predicate: "*=" not allowed`},
		{`p:f (x /= 1)`, `probe: predicate: "/=" not allowed`},
		{`p:f (x %= 1)`, `probe: predicate: "%=" not allowed`},
		{`p:f (x &= 1)`, `probe: predicate: "&=" not allowed`},
		{`p:f (x |= 1)`, `probe: predicate: "|=" not allowed`},
		{`p:f (x ^= 1)`, `probe: predicate: "^=" not allowed`},
		{`p:f (x <<= 1)`, `probe: predicate: "<<=" not allowed (a predicate cannot assign) at 8`},
		{`p:f (x >>= 1)`, `probe: predicate: ">>=" not allowed (a predicate cannot assign) at 8`},
		{`p:f (x->y >>= 1)`, `probe: predicate: ">>=" not allowed (a predicate cannot assign) at 11`},
		{`p:f (x === 1)`, `probe: predicate: "=" not allowed`},
		{`p:f (x ++)`, `probe: predicate: "++" not allowed (a predicate cannot assign) at 8`},
		{`p:f "%d", --x`, `probe: argument: "--" not allowed (an argument cannot assign) at 11`},
		{`p:f "%d", a+++b`, `probe: argument: "++" not allowed (an argument cannot assign) at 12`},
		{`p:f(int a = 1)`, `probe: signature: "=" not allowed (a signature cannot assign; for a comparison write ==) at 11`},
		// The template's own names are out of reach.
		{`p:f "%d", gosnoop_ev->h.pid`, `probe: argument: gosnoop_ev: names starting with gosnoop are reserved for the program's own C at 11`},
		{`p:f ((struct gosnoop_header *)arg1)`, `probe: predicate: gosnoop_header: names starting with gosnoop are reserved`},
		{`p:f (__gosnoop_x)`, `probe: predicate: __gosnoop_x: names starting with gosnoop are reserved`},
		{`p:f (GOSNOOP_HEADER_SIZE)`, `probe: predicate: GOSNOOP_HEADER_SIZE: names starting with gosnoop are reserved`},
		{`p:f(struct gosnoop_header *h) "%d", h->pid`, `probe: signature: gosnoop_header: names starting with gosnoop are reserved`},
		// Helpers and map methods with side effects.
		{`p:f "%d", probe_lost.atomic_increment(0)`, `probe: argument: calling atomic_increment through "." not allowed (map methods and function pointers change state) at 22`},
		{`p:f "%d", probe_events.perf_submit(ctx, 0, 0)`, `probe: argument: calling perf_submit through "."`},
		{`p:f (m.update(&k, &v))`, `probe: predicate: calling update through "."`},
		{`p:f (m . insert (&k, &v))`, `probe: predicate: calling insert through "."`},
		{`p:f (m.delete(&k))`, `probe: predicate: calling delete through "."`},
		{`p:f (m1.update(&k, &v))`, `probe: predicate: calling update through "." not allowed (map methods and function pointers change state) at 9`},
		{`p:f (a[0].pop(&v))`, `probe: predicate: calling pop through "."`},
		{`p:f (m.increment(k))`, `probe: predicate: calling increment through "."`},
		{`p:f (m.ringbuf_output(&v, 8, 0))`, `probe: predicate: calling ringbuf_output through "."`},
		{`p:f (m.ringbuf_reserve(8))`, `probe: predicate: calling ringbuf_reserve through "."`},
		{`p:f (m.push(&v, 0))`, `probe: predicate: calling push through "."`},
		{`p:f (m.pop(&v))`, `probe: predicate: calling pop through "."`},
		{`p:f (m.call(ctx, 1))`, `probe: predicate: calling call through "."`},
		{`p:f (m.redirect_map(1, 0))`, `probe: predicate: calling redirect_map through "."`},
		{`p:f (arg1->f_op->read(0))`, `probe: predicate: calling read through "->"`},
		{`p:f (bpf_probe_write_user((void *)arg1, &arg2, 8))`, `probe: predicate: bpf_probe_write_user: not allowed (only read-only helpers such as bpf_get_current_task and bpf_ktime_get_ns may be used) at 6`},
		{`p:f (bpf_send_signal(9))`, `probe: predicate: bpf_send_signal: not allowed`},
		{`p:f (bpf_send_signal_thread(9))`, `probe: predicate: bpf_send_signal_thread: not allowed`},
		{`p:f ((bpf_send_signal)(9))`, `probe: predicate: bpf_send_signal: not allowed`},
		{`p:f (bpf_override_return(ctx, 0))`, `probe: predicate: bpf_override_return: not allowed`},
		{`p:f (bpf_map_update_elem(0, 0, 0, 0))`, `probe: predicate: bpf_map_update_elem: not allowed`},
		{`p:f (bpf_map_delete_elem(0, 0))`, `probe: predicate: bpf_map_delete_elem: not allowed`},
		{`p:f (bpf_map_push_elem(0, 0, 0))`, `probe: predicate: bpf_map_push_elem: not allowed`},
		{`p:f (bpf_map_pop_elem(0, 0))`, `probe: predicate: bpf_map_pop_elem: not allowed`},
		{`p:f (bpf_tail_call(ctx, 0, 0))`, `probe: predicate: bpf_tail_call: not allowed`},
		{`p:f (bpf_perf_event_output(ctx, 0, 0, 0, 0))`, `probe: predicate: bpf_perf_event_output: not allowed`},
		{`p:f (bpf_ringbuf_output(0, 0, 0, 0))`, `probe: predicate: bpf_ringbuf_output: not allowed`},
		{`p:f (bpf_ringbuf_submit(0, 0))`, `probe: predicate: bpf_ringbuf_submit: not allowed`},
		{`p:f (bpf_trace_printk(0, 0))`, `probe: predicate: bpf_trace_printk: not allowed`},
		{`p:f (bpf_trace_vprintk(0, 0, 0, 0))`, `probe: predicate: bpf_trace_vprintk: not allowed`},
		{`p:f (bpf_snprintf(0, 0, 0, 0, 0))`, `probe: predicate: bpf_snprintf: not allowed`},
		{`p:f (bpf_sys_bpf(0, 0, 0))`, `probe: predicate: bpf_sys_bpf: not allowed`},
		{`p:f (bpf_loop(1, 0, 0, 0))`, `probe: predicate: bpf_loop: not allowed`},
		{`p:f (bpf_for_each_map_elem(0, 0, 0, 0))`, `probe: predicate: bpf_for_each_map_elem: not allowed`},
		{`p:f (bpf_probe_read_kernel(&arg1, 8, arg2))`, `probe: predicate: bpf_probe_read_kernel: not allowed`},
		{`p:f (__sync_fetch_and_add(&arg1, 1))`, `probe: predicate: __sync_fetch_and_add: not allowed`},
		{`p:f (lock_xadd(&arg1, 1))`, `probe: predicate: lock_xadd: not allowed`},
		// Calls through an expression could call any helper by number.
		{`p:f (((long (*)(u32))109)(9))`, `probe: predicate: calling through an expression not allowed`},
		{`p:f (((typeof(bpf_ktime_get_ns))109)())`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 37`},
		{`p:f ((bpf_ktime_get_ns + 104)(9))`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 30`},
		{`p:f (bpf_get_current_task()(9))`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 28`},
		{`p:f(int n, char b[(bpf_ktime_get_ns+104)(9)])`, `probe: signature: calling through an expression not allowed`},
		{`p:f ((bpf_ktime_get_ns + 104)$pid)`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 30`},
		{`p:f (m.update$pid)`, `probe: predicate: calling update through "."`},
		{`p:f (.0$pid)`, `probe: predicate: calling through an expression not allowed`},
		{`p:f ($pid(9))`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 10`},
		{`p:f (a[0](1))`, `probe: predicate: calling through an expression not allowed (write a cast's operand without parentheses) at 10`},
	}
	for _, c := range cases {
		checkSpecError(t, c.spec, c.want)
	}
}

// TestParseProbeSpecAcceptsExpressions: the refusals leave ordinary
// comparisons, shifts, casts and read-only helpers alone.
func TestParseProbeSpecAcceptsExpressions(t *testing.T) {
	for _, text := range []string{
		`t:syscalls:sys_exit_openat (args->ret < 0) "%d", args->ret`,
		`p:f (arg1 >= 3 && arg2 != 0) "%d", arg1 <= arg2`,
		`p:f(struct x *x) ((x->a <= 2)) "%d", x->a == 1`,
		`p:f ((arg1 << 2) >> 1 > 3) "%lu %lu", arg1 >> 12, (arg2<<1)>=arg1`,
		`r:f (retval == -2) "%d", -retval`,
		`p:f "%s", ((struct file *)arg1)->f_path.dentry->d_name.name`,
		`p:f "%d %llu %llu", ((struct task_struct *)bpf_get_current_task())->pid, bpf_ktime_get_ns(), bpf_get_current_pid_tgid()`,
		`p:f ((u64)(arg1) != 0 && (s32)(arg2 - 1) > 0) "%d", (int)(arg3 & 0x40)`,
		`p:f (sizeof(struct file) > 8) "%d %d", -(-arg1), ~arg2`,
		`p:f(int (*cb)(int)) "%p", cb`,
		`p:f "%d", arg1 ? 1 : 0`,
		`p:f ((u64)$pid != 1) "%d", -$tid`,
		`t:syscalls:sys_enter_openat "%d", args->gosnoop_not_ours`,
	} {
		if _, err := ParseSpec(text); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
}

func TestProbeSpecErrorGrammar(t *testing.T) {
	for spec, want := range map[string]string{
		`p:f "%d", 1+$comm`: "(an argument may use $pid, $tid, $uid, $cpu and $task)",
		`p:f ($comm == 1)`:  "(a predicate may use $pid, $tid, $uid, $cpu and $task)",
		`p:f "%d", a; b`:    "(an argument is one C expression)",
		`p:f (a; b)`:        "(a predicate is one C expression)",
		`p:f(int a; int b)`: "(a signature is one C parameter list)",
	} {
		_, err := ParseSpec(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", spec, err, want)
		}
	}
}

func TestProbeHeaderSize(t *testing.T) {
	if s := int(unsafe.Sizeof(Header{})); s != HeaderSize {
		t.Errorf("unsafe.Sizeof(Header{}) = %d, want %d", s, HeaderSize)
	}
	if !strings.Contains(probeSource, "_Static_assert(sizeof(struct gosnoop_header) == GOSNOOP_HEADER_SIZE") {
		t.Error("probe.c.tmpl no longer asserts the header size")
	}
}

func TestProbeLayout(t *testing.T) {
	s := mustParse(t, `p:f "%d %s %ld %c %s %lu", arg1, arg2, arg3, arg4, $comm, arg6`)
	l := s.Layout(10, Stacks{})
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
	l := s.Layout(16, Stacks{})
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
	var ev Event
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
	ev = Event{Values: []Value{{Int: 0xffff888000001000}, {Int: 'A'}, {Int: uint64(1<<64 - 5)}}}
	if got, want := pc.Message(&ev), "0xffff888000001000 A -5"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	w := mustParse(t, `p:f "%-5d|%05u|%lx", arg1, arg2, arg3`)
	ev = Event{Values: []Value{{Int: 7}, {Int: 7}, {Int: 1 << 40}}}
	if got := w.Message(&ev); got != "7    |00007|10000000000" {
		t.Errorf("widths: %q", got)
	}
}

func TestProbeTracepoints(t *testing.T) {
	o := Options{UID: render.AnyUID, StringSize: 16}
	for _, text := range []string{
		`t:syscalls:sys_enter_openat`, `p:do_sys_openat2`, `t:syscalls:sys_exit_openat`,
		`t:syscalls:sys_enter_openat ($pid == 1)`, `r:do_sys_openat2`, `t:syscalls:sys_exit_openat`,
	} {
		o.Specs = append(o.Specs, mustParse(t, text))
	}
	got := o.Tracepoints()
	want := [][2]string{{"syscalls", "sys_enter_openat"}, {"syscalls", "sys_exit_openat"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Tracepoints() = %v, want %v", got, want)
	}
	src, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	for tp, n := range map[string]int{"TRACEPOINT_PROBE(syscalls, sys_enter_openat)": 1, "TRACEPOINT_PROBE(syscalls, sys_exit_openat)": 1,
		"int " + ProgramName(1) + "(": 1, "int " + ProgramName(4) + "(": 1} {
		if c := strings.Count(src, tp); c != n {
			t.Errorf("%q %d times, want %d", tp, c, n)
		}
	}
	// Each probe still sends its own index.
	for i := range o.Specs {
		if !strings.Contains(src, fmt.Sprintf("gosnoop_start(&gosnoop_ev->h, %d))", i)) {
			t.Errorf("probe %d sends no event", i)
		}
	}
}

func TestRenderProbesRejects(t *testing.T) {
	s := mustParse(t, `p:f`)
	for name, o := range map[string]Options{
		"no specs":      {UID: render.AnyUID, StringSize: 80},
		"string size":   {UID: render.AnyUID, StringSize: 4, Specs: []*Spec{s}},
		"uid too large": {UID: 1 << 32, StringSize: 80, Specs: []*Spec{s}},
	} {
		if _, err := Render(o); err == nil {
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
		s, err := ParseSpec(text)
		if err != nil {
			return
		}
		if len(s.Args) > MaxArgs {
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
			if tok := refusedToken(frag); tok != "" {
				t.Fatalf("fragment %q reached C with %q", frag, tok)
			}
		}
		// Twice: two probes on one target, as a user may write them.
		o := Options{Specs: []*Spec{s, s}, UID: render.AnyUID, StringSize: 16}
		src, err := Render(o)
		if err != nil {
			return
		}
		if !bytes.Contains([]byte(src), []byte("_Static_assert(sizeof(struct gosnoop_probe1_event)")) {
			t.Fatal("rendered without its size assertion")
		}
		if n := strings.Count(src, "TRACEPOINT_PROBE("); n != len(o.Tracepoints()) {
			t.Fatalf("%d TRACEPOINT_PROBEs for %d tracepoints", n, len(o.Tracepoints()))
		}
	})
}

// refusedToken finds what checkC must have refused, by other means than
// checkC: digraphs, trigraphs, assignments, our names, member calls and the
// helpers the review named. ->, shifts and comparisons go first, left to
// right as C reads them (a>>>=b is >> and >=), so that any "=" left assigns.
var (
	comparisons  = strings.NewReplacer("->", "->", "--", "--", "<<=", "<<=", ">>=", ">>=", "<<", "~", ">>", "~", "==", "~", "!=", "~", "<=", "~", ">=", "~")
	refusedRE    = regexp.MustCompile(`<:|:>|<%|%>|%:|\?\?|\+\+|--|=|(?:^|[^.>\s]\s*|[^-]>\s*)\b(?i:_*gosnoop)|(?:\.|->)\s*\w+\s*\(|\]\s*\(`)
	sideEffectRE = regexp.MustCompile(`\bbpf_(probe_write_user|send_signal|send_signal_thread|override_return|map_update_elem|map_delete_elem|map_push_elem|map_pop_elem|tail_call|perf_event_output|ringbuf_\w+|trace_printk|trace_vprintk|snprintf|sys_bpf|loop|for_each_map_elem)\b`)
)

func refusedToken(frag string) string {
	if m := refusedRE.FindString(comparisons.Replace(frag)); m != "" {
		return m
	}
	return sideEffectRE.FindString(frag)
}

func argExprs(s *Spec) []string {
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
	b := make([]byte, HeaderSize)
	binary.LittleEndian.PutUint32(b[24:], 3)
	if i, err := ProbeIndex(b); err != nil || i != 3 {
		t.Errorf("got %d, %v; want 3", i, err)
	}
	var h Header
	if err := DecodeHeader(b, &h); err != nil || h.Probe != 3 {
		t.Errorf("ProbeIndex and DecodeHeader disagree: %d", h.Probe)
	}
	if _, err := ProbeIndex(b[:HeaderSize-1]); err == nil {
		t.Error("short sample gave an index")
	}
}

// checkSpecError parses spec and wants a one-line *SpecError containing want.
func checkSpecError(t *testing.T, spec, want string) {
	t.Helper()
	_, err := ParseSpec(spec)
	if err == nil {
		t.Errorf("%q parsed, want error %q", spec, want)
		return
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%q: error %q, want %q", spec, err, want)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("%q: error is not one line: %q", spec, err)
	}
	if _, ok := err.(*SpecError); !ok {
		t.Errorf("%q: %T, want *SpecError", spec, err)
	}
}
