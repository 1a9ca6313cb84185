package probe

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// An aggregating spec counts in the kernel instead of sending events:
//
//	SPEC-HEAD [(predicate)] count() [by KEY[, KEY]...]
//	SPEC-HEAD [(predicate)] hist(EXPR) [by KEY[, KEY]...]
//
// KEY is $pid, $tid, $uid, $cpu, $comm, $kstack, $ustack, str(EXPR) (a
// string, EXPR@user for user memory) or an integer C expression. hist
// takes EXPR as a signed 64-bit value into log2 buckets. Like a
// predicate, every EXPR is checked to be one side-effect-free expression.

// AggKind is count() or hist().
type AggKind string

const (
	Count AggKind = "count"
	Hist  AggKind = "hist"
)

// MaxKeys is how many keys one aggregation can group by.
const MaxKeys = 6

// MaxKeySize is the largest table key the kernel takes (MAX_BPF_STACK).
const MaxKeySize = 512

// Agg is what an aggregating spec keeps.
type Agg struct {
	Kind AggKind
	Text string // as written: "hist(args->ret) by $comm"
	Expr string // hist's C expression
	Keys []Key
}

// Key is one thing an aggregation groups by.
type Key struct {
	Text    string // as written
	Special string // "pid", "tid", "uid", "cpu", "comm", "kstack", "ustack"; "" for an expression
	Expr    string // C expression
	String  bool   // str(EXPR)
	User    bool   // str(EXPR@user), or a syscall tracepoint's string field
	Hidden  bool   // added by gosnoop ($pid for $ustack's symbols), not shown
}

// IsStack reports whether the key is a stack id.
func (k Key) IsStack() bool { return k.Special == "kstack" || k.Special == "ustack" }

// keySpecials are the $names a key may be.
var keySpecials = map[string]bool{"pid": true, "tid": true, "uid": true, "cpu": true, "comm": true, "kstack": true, "ustack": true}

// aggregation parses count() or hist(EXPR) and the keys after "by".
func (p *specParser) aggregation(spec *Spec) error {
	start := p.i
	col := p.col()
	kind := AggKind(p.ident(false))
	if kind != Count && kind != Hist {
		return specErr(col, "expected a format (\"...\"), count() or hist(EXPR)")
	}
	if p.peek() != '(' {
		return specErr(p.col(), "%s needs parentheses: %s()", kind, kind)
	}
	bodyCol := p.col() + 1
	body, err := p.parens()
	if err != nil {
		return err
	}
	agg := &Agg{Kind: kind}
	switch {
	case kind == Count && strings.TrimSpace(body) != "":
		return specErr(bodyCol, "count() takes nothing; to count by a value, write count() by EXPR")
	case kind == Hist && strings.TrimSpace(body) == "":
		return specErr(bodyCol, "hist needs the value to bucket, e.g. hist(args->ret)")
	case kind == Hist:
		if agg.Expr, err = p.numericExpr(spec, body, bodyCol, "hist"); err != nil {
			return err
		}
	}
	p.skipSpace()
	if p.i < len(p.s) {
		keyCol := p.col()
		if word := p.ident(false); word != "by" {
			return specErr(keyCol, "expected \"by KEY, ...\" after %s(), not %q", kind, p.s[keyCol-1:])
		}
		if err := p.keys(spec, agg); err != nil {
			return err
		}
	}
	agg.Text = strings.TrimSpace(p.s[start:p.i])
	for _, k := range agg.Keys {
		if k.Special == "ustack" && !agg.hasKey("pid") {
			// A user address means something only in its process.
			agg.Keys = append(agg.Keys, Key{Text: "$pid", Special: "pid", Expr: specials["pid"], Hidden: true})
			break
		}
	}
	spec.Agg = agg
	return nil
}

func (a *Agg) hasKey(special string) bool {
	for _, k := range a.Keys {
		if k.Special == special {
			return true
		}
	}
	return false
}

// keys reads KEY[, KEY]... to the end of the spec.
func (p *specParser) keys(spec *Spec, agg *Agg) error {
	for {
		p.skipSpace()
		col := p.col()
		text := strings.TrimSpace(p.argText())
		if text == "" {
			return specErr(col, "empty key")
		}
		if len(agg.Keys) == MaxKeys {
			return specErr(col, "at most %d keys", MaxKeys)
		}
		k, err := p.key(spec, text, col)
		if err != nil {
			return err
		}
		agg.Keys = append(agg.Keys, k)
		if p.peek() != ',' {
			return nil
		}
		p.i++
	}
}

func (p *specParser) key(spec *Spec, text string, col int) (Key, error) {
	k := Key{Text: text}
	if name, ok := strings.CutPrefix(text, "$"); ok && isIdent(name) {
		if !keySpecials[name] {
			return k, specErr(col, "unknown key $%s (want $pid, $tid, $uid, $cpu, $comm, $kstack, $ustack, str(EXPR) or an integer expression)", name)
		}
		k.Special = name
		k.Expr = specials[name] // "" for comm and the stacks
		return k, nil
	}
	if inner, ok := strings.CutPrefix(text, "str"); ok && strings.HasPrefix(strings.TrimLeft(inner, " \t"), "(") && strings.HasSuffix(inner, ")") {
		inner = strings.TrimLeft(inner, " \t")
		inner = strings.TrimSpace(inner[1 : len(inner)-1])
		if e, ok := strings.CutSuffix(inner, "@user"); ok {
			inner, k.User = strings.TrimSpace(e), true
		}
		if inner == "" {
			return k, specErr(col, "str() needs the string's address, e.g. str(args->filename)")
		}
		expr, err := p.expression(spec, inner, col+4, "key")
		if err != nil {
			return k, err
		}
		k.String, k.Expr = true, expr
		if !k.User {
			kernelSide := strings.Contains(expr, "bpf_get_current_task") || tagRE.MatchString(expr)
			k.User = spec.Kind == Tracepoint && spec.Category == "syscalls" && !kernelSide || spec.paramIsUser(expr)
		}
		return k, nil
	}
	expr, err := p.numericExpr(spec, text, col, "key")
	if err != nil {
		return k, err
	}
	k.Expr = expr
	return k, nil
}

// numericExpr is expression, refusing a lone $comm or $task, which are no numbers.
func (p *specParser) numericExpr(spec *Spec, text string, col int, what string) (string, error) {
	if name, ok := strings.CutPrefix(strings.TrimSpace(text), "$"); ok && (name == "comm" || name == "task") {
		return "", specErr(col, "%s: $%s is not a number", what, name)
	}
	if strings.Contains(text, "@user") {
		return "", specErr(col, "%s: @user reads a string; write str(EXPR@user)", what)
	}
	return p.expression(spec, text, col, what)
}

// AggHeaderSize is the part of every aggregation key gosnoop fills: the
// interval (epoch) and hist's bucket.
const AggHeaderSize = 8

// KeyLayout is an aggregation's table key, computed here and declared in
// the C text with a size assertion. A field's Arg is the index of its key
// in Agg.Keys; -1 for padding.
type KeyLayout struct {
	Fields []Field
	Size   int
}

// size is a key's size in the table key; strings take stringSize bytes.
func (k Key) size(stringSize int) int {
	switch {
	case k.String:
		return stringSize
	case k.Special == "comm":
		return 16
	case k.Special != "":
		return 4 // u32 ids, s32 stack ids
	}
	return 8
}

// KeyLayout places the keys after the epoch and bucket, each integer
// aligned to its size, padding written out, the whole rounded to 8 bytes.
func (a *Agg) KeyLayout(stringSize int) KeyLayout {
	fields := make([]Field, len(a.Keys))
	for i, k := range a.Keys {
		// Stack ids are signed (bpf_get_stackid's errors); expressions are
		// 8 bytes, taken as they are.
		fields[i] = Field{Arg: i, Name: fmt.Sprintf("k%d", i), Size: k.size(stringSize), String: k.String || k.Special == "comm", Signed: k.IsStack()}
	}
	var l KeyLayout
	l.Fields, l.Size = pack(AggHeaderSize, fields)
	return l
}

// AggKey is one decoded aggregation key.
type AggKey struct {
	Epoch  uint32
	Bucket uint32
	Values []Value // one per Agg.Keys; stack ids in Int as int32 bits
}

// Decode reads a table key laid out by l.
func (l KeyLayout) Decode(a *Agg, b []byte, k *AggKey) error {
	if len(b) != l.Size {
		return fmt.Errorf("aggregation key: %d bytes, want %d", len(b), l.Size)
	}
	le := binary.LittleEndian
	k.Epoch, k.Bucket = le.Uint32(b[0:]), le.Uint32(b[4:])
	k.Values = make([]Value, len(a.Keys))
	for _, f := range l.Fields {
		if f.Arg < 0 {
			continue
		}
		k.Values[f.Arg] = f.decode(b)
	}
	return nil
}

// Histogram buckets: 0 holds zero, b (1..63) holds [2^(b-1), 2^b), and
// NegativeBucket every value below zero.
const (
	Buckets        = 64
	NegativeBucket = 64
)

// BucketRange is what bucket b holds, for the printers.
func BucketRange(b uint32) (low, high int64) {
	switch {
	case b == 0:
		return 0, 0
	case b >= NegativeBucket:
		return -1 << 63, -1
	case b == 63:
		return 1 << 62, 1<<63 - 1
	}
	return 1 << (b - 1), 1<<b - 1
}

// BucketOf is the bucket the program puts v in, mirrored for tests.
func BucketOf(v int64) uint32 {
	if v < 0 {
		return NegativeBucket
	}
	b := uint32(0)
	for v > 0 {
		b++
		v >>= 1
	}
	return b
}
