package life

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/gosnoop/gosnoop/internal/render"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/golden"
	"github.com/gosnoop/gosnoop/internal/kernel"
)

func kprobeOptions() Options {
	return Options{Ring: true, RingPages: 64, Kprobe: true, OpenPathArg: 1, OpenFileArg: 2, UnlinkArg: 3, RenameData: true,
		Creates: []Probe{{"vfs_create", 3}, {"security_inode_create", 2}}, MaxBirths: DefaultMaxBirths}
}

func TestRenderLife(t *testing.T) {
	both := kprobeOptions()
	both.Opens, both.Removals = OpenSyscalls, RemovalSyscalls
	cases := map[string]Options{
		"kprobes":     kprobeOptions(),
		"tracepoints": {Ring: true, RingPages: 64, Opens: OpenSyscalls, Removals: RemovalSyscalls},
		"both":        both,
		"exec":        {Tasks: render.Tasks{Exec: true}, Opens: OpenSyscalls[1:2], Removals: RemovalSyscalls[1:]},
		"perf-pid":    {PID: 42, Opens: OpenSyscalls[1:2], Removals: RemovalSyscalls[1:]},
		"old-kernel":  {Kprobe: true, OpenPathArg: 1, OpenFileArg: 2, UnlinkArg: 2, Creates: []Probe{{"vfs_create", 2}}, MaxBirths: 100},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := Render(o)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, src)
		})
	}
}

func TestRenderLifeRejects(t *testing.T) {
	bad := func(change func(*Options)) Options {
		o := kprobeOptions()
		change(&o)
		return o
	}
	for name, o := range map[string]Options{
		"nothing":          {},
		"opens only":       {Opens: OpenSyscalls},
		"argument 0":       bad(func(o *Options) { o.UnlinkArg = 0 }),
		"argument 6":       bad(func(o *Options) { o.OpenFileArg = 6 }),
		"create function":  bad(func(o *Options) { o.Creates = []Probe{{"vfs_mkdir", 3}} }),
		"births":           bad(func(o *Options) { o.MaxBirths = 0 }),
		"ring pages":       bad(func(o *Options) { o.RingPages = 3 }),
		"open syscall":     {Opens: []string{"execve"}, Removals: RemovalSyscalls},
		"unlink syscall":   {Opens: OpenSyscalls, Removals: []string{"rmdir"}},
		"injected syscall": {Opens: []string{"openat) { } int x("}, Removals: RemovalSyscalls},
	} {
		if _, err := Render(o); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// The names the command reads and attaches are the program's, and the
// sizes and constants Go uses are the ones the C states and asserts.
func TestContract(t *testing.T) {
	o := kprobeOptions()
	o.Opens, o.Removals = OpenSyscalls, RemovalSyscalls
	src, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"BPF_RINGBUF_OUTPUT(" + EventsTable + ", 64);",
		"BPF_ARRAY(" + LostTable + ", u64, 1);",
		"int " + OpenProgram + "(struct pt_regs *ctx)",
		"int " + UnlinkEntry + "(struct pt_regs *ctx)",
		"int " + UnlinkReturn + "(struct pt_regs *ctx)",
		"int " + RenameEntry + "(struct pt_regs *ctx)",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the program does not define %q", want)
		}
	}
	for _, fn := range CreateFunctions {
		if !strings.Contains(src, "int life_"+fn+"(struct pt_regs *ctx)") {
			t.Errorf("no program for %s", fn)
		}
	}
	for _, sc := range append(append([]string{}, OpenSyscalls...), RemovalSyscalls...) {
		if !strings.Contains(src, "TRACEPOINT_PROBE(syscalls, sys_enter_"+sc+")") || !strings.Contains(src, "TRACEPOINT_PROBE(syscalls, sys_exit_"+sc+")") {
			t.Errorf("no tracepoints for %s", sc)
		}
	}
	for name, want := range map[string]int{
		"LIFE_HEADER_SIZE": HeaderSize, "LIFE_PATHNAME_LEN": PathnameLen, "LIFE_PATH_LEN": PathLen,
		"GOSNOOP_WALK_NAME": NameMax, "GOSNOOP_WALK_DEPTH": MaxDepth, "LIFE_FMODE_CREATED": FmodeCreated,
		"LIFE_DEATH": int(Death), "LIFE_BIRTH": int(Birth), "LIFE_UNLINK": int(Unlink),
		"LIFE_RENAME_FROM": int(RenameFrom), "LIFE_RENAME_TO": int(RenameTo),
	} {
		m := regexp.MustCompile(`#define ` + name + ` (0x[0-9a-f]+|\d+)`).FindStringSubmatch(src)
		if m == nil {
			t.Errorf("%s: not defined", name)
			continue
		}
		if got, _ := strconv.ParseInt(m[1], 0, 64); int(got) != want {
			t.Errorf("%s: C says %s, Go %d", name, m[1], want)
		}
	}
	// The header's fields, in order, as struct life_event declares them.
	m := regexp.MustCompile(`(?s)struct life_event \{(.*?)\};`).FindStringSubmatch(src)
	if m == nil {
		t.Fatal("no struct life_event")
	}
	var fields []string
	for _, line := range strings.Split(m[1], "\n") {
		if f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(strings.SplitN(line, "//", 2)[0]), ";")); len(f) == 2 {
			fields = append(fields, f[0]+" "+f[1])
		}
	}
	want := "u64 ts|u64 age_ns|u32 pid|u32 dev|u16 name_len|u16 path_len|u8 kind|u8 depth|u8 cut|u8 flags|char comm[LIFE_COMM_LEN]|char data[LIFE_DATA_LEN]"
	if got := strings.Join(fields, "|"); got != want {
		t.Errorf("struct life_event is\n%s\nDecodeEvent reads\n%s", got, want)
	}
}

// sample builds a raw event as the program sends it.
func sample(kind Kind, ts, age uint64, pid, dev uint32, comm, pathname string, walk []string, cut bool) []byte {
	b := make([]byte, HeaderSize)
	le := binary.LittleEndian
	le.PutUint64(b, ts)
	le.PutUint64(b[8:], age)
	le.PutUint32(b[16:], pid)
	le.PutUint32(b[20:], dev)
	var data []byte
	if pathname != "" {
		data = append([]byte(pathname), 0)
	}
	nameLen := len(data)
	for _, c := range walk { // leaf first
		data = append(append(data, c...), 0)
	}
	le.PutUint16(b[24:], uint16(nameLen))
	le.PutUint16(b[26:], uint16(len(data)-nameLen))
	b[28], b[29] = byte(kind), byte(len(walk))
	if cut {
		b[30] = 1
	}
	copy(b[32:48], comm)
	return append(b, data...)
}

func TestDecodeEvent(t *testing.T) {
	var ev Event
	raw := sample(Unlink, 7, 0, 42, 8<<20|1, "rm", "../x", []string{"c", "b", "a"}, false)
	if err := DecodeEvent(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Ts != 7 || ev.PID != 42 || ev.Dev != 8<<20|1 || ev.Kind != Unlink || ev.Depth != 3 || ev.Cut || string(ev.Pathname) != "../x" || string(bytes.TrimRight(ev.Comm[:], "\x00")) != "rm" {
		t.Errorf("decoded %+v", ev)
	}
	if got := ev.FSPath(); got != "/a/b/c" {
		t.Errorf("FSPath %q", got)
	}
	raw = sample(Birth, 1, 0, 1, 1, "x", "", nil, false)
	if err := DecodeEvent(raw, &ev); err != nil || ev.FSPath() != "/" || len(ev.Pathname) != 0 {
		t.Errorf("root: %q %q %v", ev.FSPath(), ev.Pathname, err)
	}
	raw = sample(Birth, 1, 0, 1, 1, "x", "", []string{"deep"}, true)
	if err := DecodeEvent(raw, &ev); err != nil || ev.FSPath() != "…/deep" {
		t.Errorf("cut: %q %v", ev.FSPath(), err)
	}
	for name, b := range map[string][]byte{
		"short":         make([]byte, HeaderSize-1),
		"kind":          sample(9, 1, 0, 1, 1, "x", "", nil, false),
		"lengths":       sample(Birth, 1, 0, 1, 1, "x", "", []string{"a"}, false)[:HeaderSize+1],
		"name too long": func() []byte { b := sample(Unlink, 1, 0, 1, 1, "x", "ab", nil, false); b[24] = 200; return b }(),
	} {
		if DecodeEvent(b, &ev) == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

type fakeMounts map[uint32]string // dev -> mount point of its root

func (m fakeMounts) Locate(dev uint32, p string) string {
	point, ok := m[dev]
	switch {
	case !ok:
		return fmt.Sprintf("dev %d:%d:%s", dev>>20, dev&(1<<20-1), p)
	case p == "/":
		return point
	}
	return strings.TrimSuffix(point, "/") + p
}

const rootDev, tmpDev = 254 << 20, 45

func TestTrackerMatchesUnlinksToBirths(t *testing.T) {
	tr := NewTracker(fakeMounts{rootDev: "/", tmpDev: "/tmp"})
	event := func(raw []byte) (Life, bool) {
		t.Helper()
		var ev Event
		if err := DecodeEvent(raw, &ev); err != nil {
			t.Fatal(err)
		}
		return tr.Event(&ev)
	}
	second := uint64(time.Second)
	// Born on the tmpfs mounted at /tmp: /tmp/d/f.
	if _, ok := event(sample(Birth, 1*second, 0, 10, tmpDev, "cc", "", []string{"f", "d"}, false)); ok {
		t.Fatal("a birth ended a life")
	}
	if tr.Tracked() != 1 {
		t.Fatalf("%d tracked", tr.Tracked())
	}
	// rm /tmp/d/x: not the file.
	if _, ok := event(sample(Unlink, 2*second, 0, 11, rootDev, "rm", "/tmp/d/x", nil, false)); ok {
		t.Error("another file's unlink ended the life")
	}
	// cd /tmp/d/sub && rm ../f: the pathname crosses from / into /tmp's filesystem
	// lexically, its base being on the tmpfs.
	l, ok := event(sample(Unlink, 3*second+second/2, 0, 12, tmpDev, "rm", "../f", []string{"sub", "d"}, false))
	if !ok || l.Path != "/tmp/d/f" || l.Name != "f" || l.PID != 12 || l.Age != 2500*time.Millisecond {
		t.Fatalf("life %+v, %v", l, ok)
	}
	if tr.Tracked() != 0 {
		t.Errorf("%d still tracked after the unlink", tr.Tracked())
	}
	// Absolute, from the root filesystem's root, crossing into /tmp.
	event(sample(Birth, 4*second, 0, 10, tmpDev, "cc", "", []string{"g"}, false))
	if l, ok := event(sample(Unlink, 5*second, 0, 13, rootDev, "rm", "/tmp/./g", nil, false)); !ok || l.Path != "/tmp/g" || l.Age != time.Second {
		t.Errorf("absolute: %+v, %v", l, ok)
	}
	// A filesystem no mount of ours shows: matched within it.
	event(sample(Birth, 6*second, 0, 10, 99, "cc", "", []string{"h", "c"}, false))
	if l, ok := event(sample(Unlink, 7*second, 0, 13, 99, "rm", "h", []string{"c"}, false)); !ok || l.Path != "dev 0:99:/c/h" || l.Name != "h" {
		t.Errorf("unmounted: %+v, %v", l, ok)
	}
	// Walks cut short are counted, not matched.
	event(sample(Birth, 8*second, 0, 10, tmpDev, "cc", "", []string{"deep"}, true))
	if tr.Unplaced != 1 || tr.Tracked() != 0 {
		t.Errorf("unplaced %d, tracked %d", tr.Unplaced, tr.Tracked())
	}
	// A death the kernel measured passes through.
	if l, ok := event(sample(Death, 9*second, 7, 14, tmpDev, "rm", "", []string{"k", "d"}, false)); !ok || l.Age != 7 || l.Path != "/tmp/d/k" || l.Name != "k" {
		t.Errorf("death: %+v, %v", l, ok)
	}
}

func TestTrackerFollowsRenames(t *testing.T) {
	tr := NewTracker(fakeMounts{tmpDev: "/tmp"})
	event := func(raw []byte) (Life, bool) {
		t.Helper()
		var ev Event
		if err := DecodeEvent(raw, &ev); err != nil {
			t.Fatal(err)
		}
		return tr.Event(&ev)
	}
	rename := func(ts uint64, pid uint32, from, to string, flags byte) (Life, bool) {
		t.Helper()
		if l, ok := event(sample(RenameFrom, ts, 0, pid, tmpDev, "mv", from, nil, false)); ok {
			t.Fatalf("the first half of a rename ended %+v", l)
		}
		raw := sample(RenameTo, ts, 0, pid, tmpDev, "mv", to, nil, false)
		raw[31] = flags
		return event(raw)
	}
	born := func(ts uint64, name string) {
		event(sample(Birth, ts, 0, 1, tmpDev, "cc", "", []string{name}, false))
	}
	born(10, "a")
	if l, ok := rename(20, 5, "/a", "/b", 0); ok {
		t.Errorf("a rename to a free name ended %+v", l)
	}
	if l, ok := event(sample(Unlink, 30, 0, 6, tmpDev, "rm", "/b", nil, false)); !ok || l.Path != "/tmp/b" || l.Age != 20 {
		t.Errorf("the renamed file's unlink: %+v, %v", l, ok)
	}
	// Renamed over: the file replaced ends, the one moved lives on.
	born(40, "victim")
	born(50, "new")
	if l, ok := rename(60, 7, "new", "victim", 0); !ok || l.Path != "/tmp/victim" || l.Age != 20 || l.PID != 7 {
		t.Errorf("the replaced file: %+v, %v", l, ok)
	}
	if l, ok := event(sample(Unlink, 70, 0, 6, tmpDev, "rm", "victim", nil, false)); !ok || l.Age != 20 {
		t.Errorf("the file that replaced it, born at 50: %+v, %v", l, ok)
	}
	// Exchanged: both live on under each other's names.
	born(80, "x")
	born(90, "y")
	if l, ok := rename(100, 7, "x", "y", RenameExchange); ok {
		t.Errorf("an exchange ended %+v", l)
	}
	if l, _ := event(sample(Unlink, 110, 0, 6, tmpDev, "rm", "x", nil, false)); l.Age != 20 {
		t.Errorf("x after the exchange is y's file, born at 90: %+v", l)
	}
	if l, _ := event(sample(Unlink, 120, 0, 6, tmpDev, "rm", "y", nil, false)); l.Age != 40 {
		t.Errorf("y after the exchange is x's file, born at 80: %+v", l)
	}
	// A file not born while tracing, renamed over one that was.
	born(120, "z")
	if l, ok := rename(130, 7, "old", "z", 0); !ok || l.Age != 10 {
		t.Errorf("z replaced: %+v, %v", l, ok)
	}
	if _, ok := event(sample(Unlink, 140, 0, 6, tmpDev, "rm", "z", nil, false)); ok {
		t.Error("the old file that replaced z was taken for one born while tracing")
	}
	// A second half with no first shows nothing.
	if l, ok := event(sample(RenameTo, 150, 0, 9, tmpDev, "mv", "/q", nil, false)); ok {
		t.Errorf("%+v", l)
	}
	if tr.Tracked() != 0 || len(tr.renames) != 0 {
		t.Errorf("%d births, %d renames left", tr.Tracked(), len(tr.renames))
	}
}

func TestTrackerForgetsTheOldest(t *testing.T) {
	tr := NewTracker(fakeMounts{tmpDev: "/tmp"})
	tr.Max = 3
	for i := 0; i < 5; i++ {
		var ev Event
		DecodeEvent(sample(Birth, uint64(i), 0, 1, tmpDev, "c", "", []string{strconv.Itoa(i)}, false), &ev)
		tr.Event(&ev)
	}
	if tr.Tracked() != 3 || tr.Forgotten != 2 {
		t.Fatalf("tracked %d, forgotten %d", tr.Tracked(), tr.Forgotten)
	}
	for i, want := range []bool{false, false, true, true, true} {
		var ev Event
		DecodeEvent(sample(Unlink, 10, 0, 1, tmpDev, "c", strconv.Itoa(i), nil, false), &ev)
		if _, ok := tr.Event(&ev); ok != want {
			t.Errorf("birth %d remembered: %v, want %v", i, ok, want)
		}
	}
	// The queue does not grow without bound when lives end.
	tr.Max = 1 << 20
	for i := 0; i < 10000; i++ {
		var ev Event
		DecodeEvent(sample(Birth, uint64(i), 0, 1, tmpDev, "c", "", []string{"x"}, false), &ev)
		tr.Event(&ev)
		DecodeEvent(sample(Unlink, uint64(i), 0, 1, tmpDev, "c", "x", nil, false), &ev)
		tr.Event(&ev)
	}
	if len(tr.queue) > 2048 {
		t.Errorf("queue of %d for %d births", len(tr.queue), tr.Tracked())
	}
}

func TestPlan(t *testing.T) {
	var tps []string
	for _, sc := range append(append([]string{}, OpenSyscalls...), RemovalSyscalls...) {
		tps = append(tps, "syscalls:sys_enter_"+sc, "syscalls:sys_exit_"+sc)
	}
	fns := []string{"vfs_open", "vfs_unlink", "vfs_create", "security_inode_create", "vfs_rename"}
	p := func(specs ...string) []btfheader.Param {
		var out []btfheader.Param
		for _, s := range specs {
			out = append(out, btfheader.Param{Name: "x", Type: s})
		}
		return out
	}
	v618 := map[string][]btfheader.Param{
		"vfs_open":              p("struct path *", "struct file *"),
		"vfs_unlink":            p("struct mnt_idmap *", "struct inode *", "struct dentry *", "struct inode **"),
		"vfs_create":            p("struct mnt_idmap *", "struct inode *", "struct dentry *", "umode_t", "bool"),
		"security_inode_create": p("struct inode *", "struct dentry *", "umode_t"),
		"vfs_rename":            p("struct renamedata *"),
	}
	v510 := map[string][]btfheader.Param{
		"vfs_open":   p("struct path *", "struct file *"),
		"vfs_unlink": p("struct inode *", "struct dentry *", "struct inode **"),
		"vfs_create": p("struct inode *", "struct dentry *", "umode_t", "bool"),
		"vfs_rename": p("struct inode *", "struct dentry *", "struct inode *", "struct dentry *", "struct inode **", "unsigned int"),
	}
	for _, c := range []struct {
		name        string
		mode        attach.Mode
		k           kernel.Fake
		unlink      int
		creates     []Probe
		rename      bool
		tracepoints int
		err, logged string
	}{
		{"6.18 prototypes", attach.Auto, kernel.Fake{KprobesOK: true, Functions: fns, Events: tps, Prototypes: v618}, 3, []Probe{{"vfs_create", 3}, {"security_inode_create", 2}}, true, 18, "", ""},
		{"5.10 prototypes", attach.Auto, kernel.Fake{KprobesOK: true, Functions: []string{"vfs_open", "vfs_unlink", "vfs_create", "vfs_rename"}, Events: tps, Prototypes: v510}, 2, []Probe{{"vfs_create", 2}}, false, 18, "", "not probing vfs_rename"},
		{"no BTF: the 5.12+ layout", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: fns}, 3, []Probe{{"vfs_create", 3}, {"security_inode_create", 2}}, false, 0, "", "assuming struct dentry * is argument 3 of vfs_unlink"},
		{"no kprobes", attach.Auto, kernel.Fake{Functions: fns, Events: tps, Prototypes: v618}, 0, nil, false, 18, "", ""},
		{"--attach kprobe without vfs_open", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: fns[1:], Events: tps}, 0, nil, false, 0, "--attach kprobe", ""},
		{"a prototype without a dentry", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: fns, Prototypes: map[string][]btfheader.Param{"vfs_open": v618["vfs_open"], "vfs_unlink": p("int")}}, 0, nil, false, 0, "vfs_unlink(int x) has no struct dentry * argument", ""},
		{"no unlink tracepoints", attach.Tracepoints, kernel.Fake{Events: tps[:8]}, 0, nil, false, 0, "no way to trace file creation and deletion", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o Options
			var log strings.Builder
			plan, err := Plan(&o, c.mode, c.k, func(f string, a ...any) { log.WriteString(strings.TrimSpace(fmt.Sprintf(f, a...)) + "\n") })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.Kprobe != (c.unlink > 0) || o.UnlinkArg != c.unlink || !equalProbes(o.Creates, c.creates) || len(plan.Tracepoints) != c.tracepoints {
				t.Errorf("kprobe %v, unlink arg %d, creates %v, %d tracepoints; want %d, %v, %d", o.Kprobe, o.UnlinkArg, o.Creates, len(plan.Tracepoints), c.unlink, c.creates, c.tracepoints)
			}
			renames := 0
			if c.rename {
				renames = 2
			}
			if o.Kprobe && (len(plan.Kprobes) != 3+renames+len(c.creates) || o.RenameData != c.rename) {
				t.Errorf("%d kprobes, renamedata %v", len(plan.Kprobes), o.RenameData)
			}
			if !strings.Contains(log.String(), c.logged) {
				t.Errorf("log does not say %q:\n%s", c.logged, log.String())
			}
			if _, err := Render(o); err != nil {
				t.Errorf("the plan does not render: %v", err)
			}
			if o.Kprobe && c.tracepoints > 0 {
				src, err := plan.WithoutKprobes()
				if err != nil || strings.Contains(src, UnlinkEntry) {
					t.Errorf("the fallback still has kprobes (%v)", err)
				}
			}
		})
	}
}

func equalProbes(a, b []Probe) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPrinter(t *testing.T) {
	var comm [16]byte
	copy(comm[:], "\x1b]0;pwned\a")
	l := Life{Ts: 5e9, Age: 1234 * time.Millisecond, PID: 42, Comm: comm, Path: "/tmp/x\ny", Name: "x\ny"}
	fixed := func() time.Time { return time.Date(2026, 11, 23, 7, 8, 9, 0, time.UTC) }

	var b bytes.Buffer
	p := NewPrinter(&b, PrintOptions{})
	p.now = fixed
	p.Header()
	p.Print(&l)
	want := "TIME     PID     COMM              AGE(s) FILE\n" +
		`07:08:09 42      \x1b]0;pwned\x07    1.23 x\ny` + "\n"
	if b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}

	b.Reset()
	p = NewPrinter(&b, PrintOptions{Timestamp: true, FullPath: true})
	p.Header()
	p.Print(&l)
	l2 := l
	l2.Ts += 1500000000
	p.Print(&l2)
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "TIME(s)        PID") || !strings.HasPrefix(lines[1], "0.000000000 ") || !strings.HasPrefix(lines[2], "1.500000000 ") || !strings.HasSuffix(lines[2], `/tmp/x\ny`) {
		t.Errorf("-T -F:\n%s", b.String())
	}

	b.Reset()
	p = NewPrinter(&b, PrintOptions{JSON: true})
	p.now = fixed
	p.Header()
	p.Print(&l)
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%q: %v", b.String(), err)
	}
	var keys []string
	for _, k := range regexp.MustCompile(`"([a-z_]+)":`).FindAllStringSubmatch(b.String(), -1) {
		keys = append(keys, k[1])
	}
	if strings.Join(keys, ",") != "ts_ns,time,pid,comm,age_s,file,path" {
		t.Errorf("JSON keys %v", keys)
	}
	if got["comm"] != "\x1b]0;pwned\a" || got["path"] != "/tmp/x\ny" || got["age_s"] != 1.234 || got["pid"] != 42.0 || got["time"] != "07:08:09" {
		t.Errorf("JSON %v", got)
	}
	if p.Lives() != 1 {
		t.Errorf("%d lives", p.Lives())
	}
}
