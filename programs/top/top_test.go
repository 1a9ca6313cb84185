package top

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/gosnoop/gosnoop/internal/render"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/golden"
	"github.com/gosnoop/gosnoop/internal/kernel"
)

func all() Options {
	return Options{Reads: true, Writes: true, Kprobe: true, Tracepoints: Syscalls, MaxEntries: DefaultMaxEntries}
}

func TestRenderTop(t *testing.T) {
	cases := map[string]Options{
		"kprobes":     {Reads: true, Writes: true, Kprobe: true, MaxEntries: DefaultMaxEntries},
		"tracepoints": {Reads: true, Writes: true, Tracepoints: Syscalls, MaxEntries: DefaultMaxEntries},
		"both":        all(),
		"tasks":       {Tasks: render.Tasks{Cgroup: true, Exec: true}, Reads: true, Writes: true, Tracepoints: Syscalls[:1], MaxEntries: 512},
		"filters":     {PID: 42, AllFiles: true, Reads: true, Tracepoints: Syscalls[:1], MaxEntries: 512},
		"full-path":   {Reads: true, Writes: true, Tracepoints: Syscalls, MaxEntries: DefaultMaxEntries, FullPath: true, MaxPaths: DefaultMaxPaths},
		"write-only":  {Writes: true, Kprobe: true, Tracepoints: Syscalls[5:6], MaxEntries: DefaultMaxEntries},
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

func TestRenderTopRejects(t *testing.T) {
	for name, o := range map[string]Options{
		"nothing counted":  {Kprobe: true, MaxEntries: 1},
		"nothing attached": {Reads: true, MaxEntries: 1},
		"entries":          {Reads: true, Kprobe: true, MaxEntries: 0},
		"syscall":          {Reads: true, Tracepoints: []Syscall{{"execve", false}}, MaxEntries: 1},
	} {
		if _, err := Render(o); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// The names the command reads and attaches are the program's, and the sizes
// Go decodes are the ones the C asserts.
func TestContract(t *testing.T) {
	src, err := Render(all())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{CountsTable, EpochTable, LostTable} {
		if !regexp.MustCompile(`BPF_(HASH|ARRAY)\(` + table + `,`).MatchString(src) {
			t.Errorf("no table %s", table)
		}
	}
	for _, fn := range []string{KprobeRead, KprobeWrite, KprobeRet} {
		if !strings.Contains(src, "int "+fn+"(struct pt_regs *ctx") {
			t.Errorf("no function %s", fn)
		}
	}
	full := all()
	full.FullPath, full.MaxPaths = true, 64
	fullSrc, err := Render(full)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fullSrc, `BPF_TABLE("lru_hash", struct top_file_id, struct top_path, `+PathsTable+", 64);") {
		t.Errorf("no table %s", PathsTable)
	}
	if m := regexp.MustCompile(`#define TOP_PATH_LEN (\d+)`).FindStringSubmatch(fullSrc); m == nil || m[1] != strconv.Itoa(PathLen) {
		t.Errorf("TOP_PATH_LEN: C says %v, Go %d", m, PathLen)
	}
	if !strings.Contains(fullSrc, "#define TOP_PATH_SIZE (8 + TOP_PATH_LEN + 256)") || PathSize != 8+PathLen+256 {
		t.Errorf("top_path's size: C and Go disagree")
	}
	if !strings.Contains(fullSrc, "struct top_path {\n\tstruct gosnoop_walk walk;\n\tchar data[TOP_PATH_LEN + 256];") {
		t.Errorf("struct top_path is not a walk header and its names, which DecodePath reads")
	}
	for name, want := range map[string]int{"TOP_KEY_SIZE": KeySize, "TOP_VALUE_SIZE": ValueSize} {
		m := regexp.MustCompile(`#define ` + name + ` (\d+)`).FindStringSubmatch(src)
		if m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("%s: C says %v, Go %d", name, m, want)
		}
	}
	if s := int(unsafe.Sizeof(Key{})); s != KeySize || binary.Size(Key{}) != KeySize {
		t.Errorf("Key is %d bytes, want %d", s, KeySize)
	}
	if s := int(unsafe.Sizeof(Value{})); s != ValueSize || binary.Size(Value{}) != ValueSize {
		t.Errorf("Value is %d bytes, want %d", s, ValueSize)
	}
	for _, sc := range Syscalls {
		if !strings.Contains(src, "TRACEPOINT_PROBE(syscalls, sys_enter_"+sc.Name+")") || !strings.Contains(src, "TRACEPOINT_PROBE(syscalls, sys_exit_"+sc.Name+")") {
			t.Errorf("no tracepoints for %s", sc.Name)
		}
	}
}

// The hand-written decoders read what binary.Read reads.
func TestDecodeMatchesBinaryRead(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 100; i++ {
		kb, vb := make([]byte, KeySize), make([]byte, ValueSize)
		r.Read(kb)
		r.Read(vb)
		var k, wantK Key
		var v, wantV Value
		if err := DecodeKey(kb, &k); err != nil {
			t.Fatal(err)
		}
		if err := DecodeValue(vb, &v); err != nil {
			t.Fatal(err)
		}
		binary.Read(bytes.NewReader(kb), binary.LittleEndian, &wantK)
		binary.Read(bytes.NewReader(vb), binary.LittleEndian, &wantV)
		wantK, wantV = Key{Ino: wantK.Ino, Dev: wantK.Dev, TID: wantK.TID, Epoch: wantK.Epoch}, Value{Reads: wantV.Reads, Writes: wantV.Writes, RBytes: wantV.RBytes, WBytes: wantV.WBytes, Comm: wantV.Comm, Name: wantV.Name, Type: wantV.Type}
		if k != wantK || v != wantV {
			t.Fatalf("decoded %+v %+v, binary.Read %+v %+v", k, v, wantK, wantV)
		}
	}
	if DecodeKey(make([]byte, KeySize-1), &Key{}) == nil || DecodeValue(make([]byte, ValueSize-1), &Value{}) == nil {
		t.Errorf("short input decoded")
	}
}

func row(file string, tid uint32, reads, writes, rbytes, wbytes uint64) Row {
	return Row{TID: tid, Comm: []byte("c"), File: []byte(file), Reads: reads, Writes: writes, RBytes: rbytes, WBytes: wbytes, Type: 'R'}
}

func TestSortAndLimit(t *testing.T) {
	rows := []Row{
		row("a", 1, 1, 0, 10, 0),
		row("b", 2, 5, 0, 1, 0),
		row("c", 3, 0, 7, 0, 2),
		row("d", 4, 0, 1, 0, 100),
		row("a", 0, 1, 0, 10, 0), // ties with the first: by file, then tid
	}
	for key, want := range map[string]string{
		"all":    "d/4 a/0 a/1 c/3 b/2",
		"reads":  "b/2 a/0 a/1 c/3 d/4",
		"writes": "c/3 d/4 a/0 a/1 b/2",
		"rbytes": "a/0 a/1 b/2 c/3 d/4",
		"wbytes": "d/4 c/3 a/0 a/1 b/2",
	} {
		got, err := Sort(append([]Row(nil), rows...), key, 0)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range got {
			names = append(names, fmt.Sprintf("%s/%d", r.File, r.TID))
		}
		if strings.Join(names, " ") != want {
			t.Errorf("-s %s: %s, want %s", key, strings.Join(names, " "), want)
		}
	}
	if got, _ := Sort(append([]Row(nil), rows...), "all", 2); len(got) != 2 || string(got[0].File) != "d" {
		t.Errorf("limit 2: %v", got)
	}
	if _, err := Sort(rows, "size", 0); err == nil {
		t.Errorf("sort by an unknown key worked")
	}
}

// Every row field, always, with names and comms escaped as JSON strings.
func TestJSONSchema(t *testing.T) {
	s := Screen{Time: "12:00:00", Loadavg: "0.00 0.01 0.05 1/99 42", Rows: []Row{
		{TID: 7, Comm: []byte("evil\x1b[2J"), File: []byte("a\nb\"c"), Path: "/tmp/a\nb\"c", Reads: 1, Writes: 2, RBytes: 3, WBytes: 4, Type: 'S', Dev: 0xfe00001, Ino: 99},
		{TID: 8, Comm: []byte{}, File: []byte{}, Type: 0},
	}}
	line := AppendJSON(nil, s)
	if bytes.Count(line, []byte("\n")) != 1 || bytes.Contains(line, []byte("\x1b")) {
		t.Fatalf("not one clean line: %q", line)
	}
	var got struct {
		Time    string                   `json:"time"`
		Loadavg string                   `json:"loadavg"`
		Rows    []map[string]interface{} `json:"rows"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	if got.Time != s.Time || got.Loadavg != s.Loadavg || len(got.Rows) != 2 {
		t.Fatalf("%+v", got)
	}
	want := []string{"comm", "dev", "file", "ino", "path", "rbytes", "reads", "tid", "type", "wbytes", "writes"}
	for _, r := range got.Rows {
		var keys []string
		for k := range r {
			keys = append(keys, k)
		}
		if fmt.Sprint(sortStrings(keys)) != fmt.Sprint(want) {
			t.Errorf("row fields %v, want %v", sortStrings(keys), want)
		}
	}
	r := got.Rows[0]
	if r["comm"] != "evil\x1b[2J" || r["file"] != "a\nb\"c" || r["path"] != "/tmp/a\nb\"c" || r["type"] != "S" || r["dev"] != float64(0xfe00001) || r["wbytes"] != float64(4) {
		t.Errorf("row 0: %v", r)
	}
	if got.Rows[1]["type"] != "?" {
		t.Errorf("an unknown type prints %v", got.Rows[1]["type"])
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func TestTable(t *testing.T) {
	s := Screen{Time: "12:00:00", Loadavg: "0.00 0.01 0.05 1/99 42", Rows: []Row{row("x\x1b]0;t\ay", 7, 1, 2, 2048, 4096)}}
	got := string(AppendTable(nil, s, false))
	want := "12:00:00 loadavg: 0.00 0.01 0.05 1/99 42\n\n" +
		"TID     COMM             READS  WRITES R_Kb    W_Kb    T FILE\n" +
		"7       c                1      2      2       4       R x\\x1b]0;t\\x07y\n"
	if got != want {
		t.Errorf("table\n%q\nwant\n%q", got, want)
	}
	if cleared := string(AppendTable(nil, s, true)); !strings.HasPrefix(cleared, "\x1b[H\x1b[2J") || cleared[len("\x1b[H\x1b[2J"):] != want {
		t.Errorf("cleared table %q", cleared)
	}
}

func TestPlanTop(t *testing.T) {
	var tps []string
	for _, sc := range Syscalls {
		tps = append(tps, "syscalls:sys_enter_"+sc.Name, "syscalls:sys_exit_"+sc.Name)
	}
	vfs := []string{"vfs_read", "vfs_write"}
	for _, c := range []struct {
		name              string
		mode              attach.Mode
		k                 kernel.Fake
		o                 Options
		kprobes, syscalls int
		err               string
	}{
		{"kprobes, tracepoints as the fallback", attach.Auto, kernel.Fake{KprobesOK: true, Functions: vfs, Events: tps}, Options{Reads: true, Writes: true}, 4, 10, ""},
		{"no kprobes", attach.Auto, kernel.Fake{Functions: vfs, Events: tps}, Options{Reads: true, Writes: true}, 0, 10, ""},
		{"no vfs_write", attach.Auto, kernel.Fake{KprobesOK: true, Functions: vfs[:1], Events: tps}, Options{Reads: true, Writes: true}, 0, 10, ""},
		{"reads only", attach.Auto, kernel.Fake{KprobesOK: true, Functions: vfs, Events: tps}, Options{Reads: true}, 2, 5, ""},
		{"old kernel: read and write only", attach.Tracepoints, kernel.Fake{Events: []string{"syscalls:sys_enter_read", "syscalls:sys_exit_read", "syscalls:sys_enter_write", "syscalls:sys_exit_write", "syscalls:sys_enter_readv"}}, Options{Reads: true, Writes: true}, 0, 2, ""},
		{"--attach kprobe without vfs_write", attach.Kprobes, kernel.Fake{KprobesOK: true, Functions: vfs[:1], Events: tps}, Options{Reads: true, Writes: true}, 0, 0, "--attach kprobe"},
		{"nothing", attach.Auto, kernel.Fake{}, Options{Reads: true, Writes: true}, 0, 0, "no way to trace reads and writes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.MaxEntries = DefaultMaxEntries
			plan, err := Plan(&o, c.mode, c.k, func(string, ...any) {})
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Kprobes) != c.kprobes || len(o.Tracepoints) != c.syscalls || len(plan.Tracepoints) != 2*c.syscalls || o.Kprobe != (c.kprobes > 0) {
				t.Errorf("%d kprobes, %d syscalls (%d tracepoints); want %d, %d", len(plan.Kprobes), len(o.Tracepoints), len(plan.Tracepoints), c.kprobes, c.syscalls)
			}
			if _, err := Render(o); err != nil {
				t.Errorf("the plan does not render: %v", err)
			}
		})
	}
}

func TestDecodePath(t *testing.T) {
	b := make([]byte, PathSize)
	binary.LittleEndian.PutUint32(b, 8<<20|1)
	names := "f\x00dir\x00home\x00"
	binary.LittleEndian.PutUint16(b[4:], uint16(len(names)))
	b[6] = 3
	copy(b[8:], names)
	var p Path
	if err := DecodePath(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Dev != 8<<20|1 || p.Depth != 3 || p.Cut || p.String() != "/home/dir/f" {
		t.Errorf("%+v %q", p, p.String())
	}
	b[7] = 1
	if DecodePath(b, &p); p.String() != "…/home/dir/f" {
		t.Errorf("cut: %q", p.String())
	}
	binary.LittleEndian.PutUint16(b[4:], PathLen+1)
	if DecodePath(b, &p) == nil || DecodePath(b[:PathSize-1], &p) == nil {
		t.Error("bad values decoded")
	}
	if k := PathKey(8<<20|1, 99); len(k) != 16 || binary.LittleEndian.Uint64(k) != 99 || binary.LittleEndian.Uint32(k[8:]) != 8<<20|1 {
		t.Errorf("key %x", k)
	}
}

func TestTableShowsEscapedPaths(t *testing.T) {
	s := Screen{Time: "12:00:00", Loadavg: "0", Rows: []Row{
		{TID: 7, Comm: []byte("c"), File: []byte("name"), Path: "/tmp/x\x1b[2Jy", Type: 'R'},
		{TID: 8, Comm: []byte("c"), File: []byte("pipe\n"), Type: 'O'},
	}}
	out := string(AppendTable(nil, s, false))
	if !strings.Contains(out, " R /tmp/x\\x1b[2Jy\n") || !strings.Contains(out, " O pipe\\n\n") {
		t.Errorf("table:\n%s", out)
	}
}
