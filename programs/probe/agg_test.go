package probe

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func TestParseAggregation(t *testing.T) {
	s := mustParse(t, `t:syscalls:sys_exit_read (args->ret > 0) hist(args->ret) by $comm, str(args->buf), (args->ret & 1), $ustack`)
	a := s.Agg
	if a == nil || a.Kind != Hist || a.Expr != "args->ret" || s.Predicate != "args->ret > 0" || len(s.Args) != 0 {
		t.Fatalf("parsed %+v, agg %+v", s, a)
	}
	if a.Text != "hist(args->ret) by $comm, str(args->buf), (args->ret & 1), $ustack" {
		t.Errorf("text %q", a.Text)
	}
	want := []Key{
		{Text: "$comm", Special: "comm"},
		{Text: "str(args->buf)", Expr: "args->buf", String: true, User: true},
		{Text: "(args->ret & 1)", Expr: "(args->ret & 1)"},
		{Text: "$ustack", Special: "ustack"},
		// A user stack means something only in its process.
		{Text: "$pid", Special: "pid", Expr: specials["pid"], Hidden: true},
	}
	if len(a.Keys) != len(want) {
		t.Fatalf("keys %+v", a.Keys)
	}
	for i := range want {
		if a.Keys[i] != want[i] {
			t.Errorf("key %d: %+v, want %+v", i, a.Keys[i], want[i])
		}
	}
	if k := mustParse(t, `t:syscalls:sys_enter_openat count() by str (args->filename)`).Agg.Keys[0]; !k.String || k.Expr != "args->filename" {
		t.Errorf("str with a blank before its parenthesis: %+v", k)
	}
	c := mustParse(t, `p:vfs_read count()`)
	if c.Agg == nil || c.Agg.Kind != Count || len(c.Agg.Keys) != 0 {
		t.Errorf("count(): %+v", c.Agg)
	}
	// A $task member is kernel memory, and names a kernel type.
	k := mustParse(t, `t:syscalls:sys_enter_read count() by str($task->comm), $task->real_parent->tgid`)
	if k.Agg.Keys[0].User || k.Agg.Keys[1].Expr != taskExpr+"->real_parent->tgid" || len(k.KernelTypes()) != 1 {
		t.Errorf("keys %+v, types %v", k.Agg.Keys, k.KernelTypes())
	}
}

func TestAggregationErrors(t *testing.T) {
	for _, c := range []struct{ spec, want string }{
		{`p:f count`, "count needs parentheses: count()"},
		{`p:f count(arg1)`, "count() takes nothing"},
		{`p:f hist( )`, "hist needs the value"},
		{`p:f hist(arg1) by`, "empty key"},
		{`p:f hist(arg1) by $comm,`, "empty key"},
		{`p:f count() "x"`, `expected "by KEY, ..."`},
		{`p:f count() by $task`, "unknown key $task"},
		{`p:f count() by str()`, "str() needs the string's address"},
		{`p:f count() by str(arg1) + str(arg2)`, "unbalanced"},
		{`p:f count() by arg1@user`, "@user reads a string; write str(EXPR@user)"},
		{`p:f hist(gosnoop_k->epoch)`, "gosnoop"},
		{`p:f count() by bpf_map_update_elem(0, 0, 0, 0)`, "not allowed"},
		{`r:f count() by arg1`, "arguments are gone"},
		{`t:a:b count() by arg1`, "args->NAME"},
	} {
		_, err := ParseSpec(c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.spec, err, c.want)
		}
	}
}

func TestKeyLayout(t *testing.T) {
	a := mustParse(t, `p:f count() by $comm, arg1, $cpu, str(arg2), $kstack`).Agg
	l := a.KeyLayout(10)
	var got []string
	for _, f := range l.Fields {
		got = append(got, f.Name+":"+itoa(f.Offset)+"+"+itoa(f.Size))
	}
	// comm at 8; arg1 aligned to 24; cpu at 32; the string at 36; the
	// stack id aligned to 48; 52 rounded to 56.
	if want := "k0:8+16 k1:24+8 k2:32+4 k3:36+10 _pad46:46+2 k4:48+4 _pad52:52+4"; strings.Join(got, " ") != want || l.Size != 56 {
		t.Errorf("layout %s (size %d), want %s (56)", strings.Join(got, " "), l.Size, want)
	}
	key := make([]byte, l.Size)
	le := binary.LittleEndian
	le.PutUint32(key[0:], 7)
	le.PutUint32(key[4:], 3)
	copy(key[8:], "cat\x00")
	le.PutUint64(key[24:], uint64(0xfffffffffffffffe)) // -2
	le.PutUint32(key[32:], 1)
	copy(key[36:], "/etc/x\x00")
	le.PutUint32(key[48:], uint32(0xfffffff2)) // -14: -EFAULT
	var k AggKey
	if err := l.Decode(a, key, &k); err != nil {
		t.Fatal(err)
	}
	if k.Epoch != 7 || k.Bucket != 3 || k.Values[0].Str != "cat" || int64(k.Values[1].Int) != -2 || k.Values[2].Int != 1 || k.Values[3].Str != "/etc/x" || int64(k.Values[4].Int) != -14 {
		t.Errorf("decoded %+v", k)
	}
	if err := l.Decode(a, key[:8], &k); err == nil {
		t.Error("a short key decoded")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBuckets(t *testing.T) {
	for _, c := range []struct {
		v    int64
		b    uint32
		l, h int64
	}{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 3}, {3, 2, 2, 3}, {100, 7, 64, 127}, {5000, 13, 4096, 8191}, {1<<62 + 5, 63, 1 << 62, 1<<63 - 1}, {-1, NegativeBucket, -1 << 63, -1}} {
		b := BucketOf(c.v)
		l, h := BucketRange(b)
		if b != c.b || l != c.l || h != c.h || c.v < l || c.v > h {
			t.Errorf("%d: bucket %d [%d, %d], want %d [%d, %d]", c.v, b, l, h, c.b, c.l, c.h)
		}
	}
}

// collect builds a result from entries as the table would hold them.
func collect(t *testing.T, spec *Spec, entries map[string]uint64, keys func(string) []byte) AggResult {
	t.Helper()
	c := NewCollector(spec, 16)
	for k, n := range entries {
		v := make([]byte, 8)
		binary.LittleEndian.PutUint64(v, n)
		if _, err := c.Add(keys(k), v, 99); err != nil {
			t.Fatal(err)
		}
	}
	return c.Result(2)
}

// An entry of the current epoch is the next interval's: not taken now.
func TestCollectorLeavesTheCurrentEpoch(t *testing.T) {
	spec := mustParse(t, `p:f count() by $cpu`)
	c := NewCollector(spec, 16)
	for _, epoch := range []uint32{1, 2} {
		key := make([]byte, spec.Agg.KeyLayout(16).Size)
		binary.LittleEndian.PutUint32(key, epoch)
		v := make([]byte, 8)
		binary.LittleEndian.PutUint64(v, 5)
		if e, err := c.Add(key, v, 2); err != nil || e != epoch {
			t.Fatalf("epoch %d: %d, %v", epoch, e, err)
		}
	}
	if res := c.Result(0); len(res.Rows) != 1 || res.Rows[0].Count != 5 {
		t.Errorf("rows %+v, want one of 5 (epoch 1 only)", res.Rows)
	}
}

func TestPrintAggs(t *testing.T) {
	count := mustParse(t, `t:syscalls:sys_enter_openat count() by $comm`)
	l := count.Agg.KeyLayout(16)
	res := collect(t, count, map[string]uint64{"cat": 5, "a\x1b[2Jb": 2, "sh": 9}, func(comm string) []byte {
		b := make([]byte, l.Size)
		copy(b[8:], comm)
		return b
	})
	hist := mustParse(t, `t:syscalls:sys_exit_read hist(args->ret)`)
	hres := collect(t, hist, map[string]uint64{"0": 4, "3": 1, "64": 2}, func(bucket string) []byte {
		b := make([]byte, hist.Agg.KeyLayout(16).Size)
		n := map[string]uint32{"0": 0, "3": 3, "64": NegativeBucket}[bucket]
		binary.LittleEndian.PutUint32(b[4:], n)
		return b
	})
	var out bytes.Buffer
	PrintAggs(&out, "10:00:00", []AggResult{res, hres})
	want := "10:00:00\n\n" +
		"t:syscalls:sys_enter_openat count() by $comm\n" +
		"COMM       COUNT\n" +
		"a\\x1b[2Jb  2\n" + // escaped, and as wide as it prints
		"cat        5\n" +
		"sh         9\n\n" +
		"t:syscalls:sys_exit_read hist(args->ret)\n" +
		"                                       value : count    distribution\n" +
		"                                         < 0 : 2        |********************                    |\n" +
		"                   0 -> 0                    : 4        |****************************************|\n" +
		"                   1 -> 1                    : 0        |                                        |\n" +
		"                   2 -> 3                    : 0        |                                        |\n" +
		"                   4 -> 7                    : 1        |**********                              |\n"
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	PrintAggs(&out, "", []AggResult{{Spec: count}})
	if want := "t:syscalls:sys_enter_openat count() by $comm\n(no events)\n"; out.String() != want {
		t.Errorf("an empty interval printed:\n%s\nwant:\n%s", out.String(), want)
	}
	j := AppendAggsJSON(nil, "2026-11-23T10:00:00Z", []AggResult{res, hres})
	var v map[string]any
	if err := json.Unmarshal(j, &v); err != nil {
		t.Fatalf("%s: %v", j, err)
	}
	wantJSON := `{"time":"2026-11-23T10:00:00Z","aggregations":[{"probe":"t:syscalls:sys_enter_openat","aggregation":"count() by $comm","by":["$comm"],"lost":2,"rows":[{"key":["a\u001b[2Jb"],"count":2},{"key":["cat"],"count":5},{"key":["sh"],"count":9}]},` +
		`{"probe":"t:syscalls:sys_exit_read","aggregation":"hist(args->ret)","by":[],"lost":2,"rows":[{"key":[],"count":7,"buckets":[{"low":-9223372036854775808,"high":-1,"count":2},{"low":0,"high":0,"count":4},{"low":4,"high":7,"count":1}]}]}]}` + "\n"
	if string(j) != wantJSON {
		t.Errorf("JSON:\n%s\nwant:\n%s", j, wantJSON)
	}
}
