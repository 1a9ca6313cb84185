package probe

import (
	"fmt"
	"strconv"
	"strings"
)

// A probe spec, as gosnoop probe takes it on the command line:
//
//	[p|r|t:][category:]function[(signature)] [(predicate)] ["format"[, arg]...]
//
// The signature, the predicate and the arguments are C by design (the user
// is root and writing a probe); the parser makes sure each can only ever be
// one parameter list or one expression in the template. The format, names
// and filters never reach C: the format is applied in Go.

// ProbeKind is the kind of a probe: kprobe, kretprobe or tracepoint.
type ProbeKind byte

const (
	Kprobe     ProbeKind = 'p'
	Kretprobe  ProbeKind = 'r'
	Tracepoint ProbeKind = 't'
)

// MaxProbeArgs is how many values one probe can carry.
const MaxProbeArgs = 6

// ProbeSpec is one parsed probe.
type ProbeSpec struct {
	Text      string
	Kind      ProbeKind
	Category  string // tracepoints only
	Function  string // kernel function, or tracepoint event
	Signature string // C parameter list of a kprobe; "" for none
	Predicate string // C expression; "" for none
	Format    []FormatPart
	Args      []ProbeArg
}

// Name is the probe as the output shows it: p:do_sys_openat2, t:syscalls:sys_enter_openat.
func (s *ProbeSpec) Name() string {
	if s.Kind == Tracepoint {
		return "t:" + s.Category + ":" + s.Function
	}
	return string(s.Kind) + ":" + s.Function
}

// ProbeArg is one value a probe sends.
type ProbeArg struct {
	Expr    string // C expression; "" for a special
	Special string // "pid", "tid", "uid", "cpu" or "comm": filled in Go from the event header
	User    bool   // strings are read from user memory
	Verb    Verb
}

// FormatPart is literal text or one verb of a format.
type FormatPart struct {
	Text string
	Verb *Verb
}

// Verb is a printf conversion: %[flags][width][l|ll]conv.
type Verb struct {
	Flags string // any of "-0"
	Width int
	Long  bool // l or ll: 64-bit
	Conv  byte // d i u x X c p s
}

// IsString reports whether the verb takes a string.
func (v Verb) IsString() bool { return v.Conv == 's' }

// Size is the number of bytes the verb's value takes in the event, strings aside.
func (v Verb) Size() int {
	if v.Long || v.Conv == 'p' {
		return 8
	}
	return 4
}

// Signed reports whether the verb prints a signed integer.
func (v Verb) Signed() bool { return v.Conv == 'd' || v.Conv == 'i' || v.Conv == 'c' }

// SpecError is a parse error at a 1-based column of the spec.
type SpecError struct {
	Col int
	Msg string
}

func (e *SpecError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("probe: %s at %d", e.Msg, e.Col)
	}
	return "probe: " + e.Msg
}

func specErr(col int, format string, args ...any) error {
	return &SpecError{Col: col, Msg: fmt.Sprintf(format, args...)}
}

// specials are the $names an argument or a predicate may use.
var specials = map[string]string{
	"pid":  "((u32)(bpf_get_current_pid_tgid() >> 32))",
	"tid":  "((u32)bpf_get_current_pid_tgid())",
	"uid":  "((u32)bpf_get_current_uid_gid())",
	"cpu":  "((u32)bpf_get_smp_processor_id())",
	"comm": "", // a string: arguments only
}

// ParseProbeSpec parses one spec.
func ParseProbeSpec(text string) (*ProbeSpec, error) {
	p := &specParser{s: text}
	spec, err := p.parse()
	if err != nil {
		return nil, err
	}
	spec.Text = text
	return spec, nil
}

type specParser struct {
	s string
	i int
}

func (p *specParser) col() int { return p.i + 1 }

func (p *specParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *specParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

// ident reads an identifier; kernel function names may also hold dots
// (do_thing.isra.0), which never reach C.
func (p *specParser) ident(dots bool) string {
	start := p.i
	if p.i < len(p.s) && isIdentStart(p.s[p.i]) {
		p.i++
		for p.i < len(p.s) && (isIdentChar(p.s[p.i]) || (dots && p.s[p.i] == '.')) {
			p.i++
		}
	}
	return p.s[start:p.i]
}

func (p *specParser) parse() (*ProbeSpec, error) {
	spec := &ProbeSpec{Kind: Kprobe}
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, specErr(0, "empty spec")
	}
	if p.i+1 < len(p.s) && p.s[p.i+1] == ':' {
		switch k := ProbeKind(p.s[p.i]); k {
		case Kprobe, Kretprobe, Tracepoint:
			spec.Kind = k
		default:
			return nil, specErr(p.col(), "unknown probe type '%c' (want p, r or t)", p.s[p.i])
		}
		p.i += 2
	}

	if spec.Kind == Tracepoint {
		start := p.col()
		spec.Category = p.ident(false)
		if spec.Category == "" || p.peek() != ':' {
			return nil, specErr(start, "a tracepoint is category:event, e.g. t:syscalls:sys_enter_openat")
		}
		p.i++
		spec.Function = p.ident(false)
		if spec.Function == "" {
			return nil, specErr(p.col(), "expected a tracepoint event name")
		}
	} else {
		spec.Function = p.ident(true)
		if spec.Function == "" {
			return nil, specErr(p.col(), "expected a kernel function name")
		}
	}

	if p.peek() == '(' {
		start := p.col()
		body, err := p.parens()
		if err != nil {
			return nil, err
		}
		switch spec.Kind {
		case Tracepoint:
			return nil, specErr(start, "a tracepoint takes no signature; its fields are args->NAME")
		case Kretprobe:
			return nil, specErr(start, "an r: probe takes no signature; its value is retval")
		}
		if strings.TrimSpace(body) == "" {
			return nil, specErr(start, "empty signature")
		}
		if err := checkC(body, start+1, "signature", false); err != nil {
			return nil, err
		}
		spec.Signature = strings.TrimSpace(body)
	}

	p.skipSpace()
	if p.peek() == '(' {
		start := p.col()
		body, err := p.parens()
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(body) == "" {
			return nil, specErr(start, "empty predicate")
		}
		pred, err := p.expression(spec, body, start+1, "predicate")
		if err != nil {
			return nil, err
		}
		spec.Predicate = pred
	}

	p.skipSpace()
	if p.peek() == '"' {
		if err := p.format(spec); err != nil {
			return nil, err
		}
	}
	p.skipSpace()
	if p.i < len(p.s) {
		return nil, specErr(p.col(), "unexpected %q", p.s[p.i:p.i+1])
	}
	return spec, nil
}

// parens reads a balanced (...) group and returns what is inside.
func (p *specParser) parens() (string, error) {
	open := p.i
	depth := 0
	for ; p.i < len(p.s); p.i++ {
		switch p.s[p.i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				p.i++
				return p.s[open+1 : p.i-1], nil
			}
		case '"':
			return "", specErr(p.col(), "quote inside parentheses (opened at %d)", open+1)
		}
	}
	return "", specErr(open+1, "unbalanced parenthesis")
}

// format reads "format", arg, ... and checks verbs against arguments.
func (p *specParser) format(spec *ProbeSpec) error {
	open := p.i
	p.i++
	var raw strings.Builder
	closed := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			p.i++
			closed = true
			break
		}
		if c == '\\' && p.i+1 < len(p.s) {
			switch e := p.s[p.i+1]; e {
			case 'n':
				raw.WriteByte('\n')
			case 't':
				raw.WriteByte('\t')
			case '"', '\\':
				raw.WriteByte(e)
			default:
				return specErr(p.col(), "unknown escape \\%c", e)
			}
			p.i += 2
			continue
		}
		raw.WriteByte(c)
		p.i++
	}
	if !closed {
		return specErr(open+1, "unbalanced quote")
	}
	parts, verbs, err := parseFormat(raw.String(), open+2)
	if err != nil {
		return err
	}
	spec.Format = parts

	for {
		p.skipSpace()
		if p.peek() != ',' {
			break
		}
		p.i++
		p.skipSpace()
		start := p.col()
		text := p.argText()
		if strings.TrimSpace(text) == "" {
			return specErr(start, "empty argument")
		}
		if len(spec.Args) == MaxProbeArgs {
			return specErr(start, "at most %d arguments", MaxProbeArgs)
		}
		arg, err := p.argument(spec, strings.TrimSpace(text), start)
		if err != nil {
			return err
		}
		spec.Args = append(spec.Args, arg)
	}
	if len(verbs) != len(spec.Args) {
		return specErr(0, "format has %d %s but %d %s", len(verbs), plural(len(verbs), "verb"), len(spec.Args), plural(len(spec.Args), "argument"))
	}
	for i := range spec.Args {
		a := &spec.Args[i]
		a.Verb = verbs[i]
		name := fmt.Sprintf("arg %d", i+1)
		switch {
		case a.Special == "comm" && !a.Verb.IsString():
			return specErr(0, "%s: $comm is a string; use %%s", name)
		case a.Special != "" && a.Special != "comm" && a.Verb.IsString():
			return specErr(0, "%s: $%s is a number; %%s needs a string", name, a.Special)
		case a.User && !a.Verb.IsString():
			return specErr(0, "%s: @user reads a string; use %%s", name)
		}
		// Syscall tracepoint fields and __user parameters point into user memory.
		if a.Verb.IsString() && a.Expr != "" && !a.User {
			a.User = spec.Kind == Tracepoint && spec.Category == "syscalls" || spec.paramIsUser(a.Expr)
		}
	}
	return nil
}

// argText reads one argument up to a top-level comma.
func (p *specParser) argText() string {
	start := p.i
	depth := 0
	for ; p.i < len(p.s); p.i++ {
		switch p.s[p.i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth <= 0 {
				return p.s[start:p.i]
			}
		}
	}
	return p.s[start:p.i]
}

func (p *specParser) argument(spec *ProbeSpec, text string, col int) (ProbeArg, error) {
	var arg ProbeArg
	if name, ok := strings.CutPrefix(text, "$"); ok {
		if _, known := specials[name]; !known {
			return arg, specErr(col, "unknown $%s (want $pid, $tid, $uid, $cpu or $comm)", name)
		}
		arg.Special = name
		return arg, nil
	}
	if e, ok := strings.CutSuffix(text, "@user"); ok {
		text, arg.User = strings.TrimSpace(e), true
	}
	expr, err := p.expression(spec, text, col, "argument")
	if err != nil {
		return arg, err
	}
	arg.Expr = expr
	return arg, nil
}

// paramIsUser reports whether name is a signature parameter declared __user.
func (s *ProbeSpec) paramIsUser(name string) bool {
	for _, param := range strings.Split(s.Signature, ",") {
		words := strings.FieldsFunc(param, func(r rune) bool { return !isIdentChar(byte(r)) || r > 127 })
		if len(words) > 0 && words[len(words)-1] == name {
			for _, w := range words {
				if w == "__user" {
					return true
				}
			}
		}
	}
	return false
}

// expression checks a C expression and replaces $specials with our C.
func (p *specParser) expression(spec *ProbeSpec, text string, col int, what string) (string, error) {
	if err := checkC(text, col, what, true); err != nil {
		return "", err
	}
	var out strings.Builder
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '$':
			j := i + 1
			for j < len(text) && isIdentChar(text[j]) {
				j++
			}
			name := text[i+1 : j]
			repl, ok := specials[name]
			if !ok || repl == "" {
				return "", specErr(col+i, "%s: unknown or non-numeric $%s (%s %s may use $pid, $tid, $uid, $cpu)", what, name, article(what), what)
			}
			out.WriteString(repl)
			i = j
		case isIdentStart(c):
			j := i
			for j < len(text) && isIdentChar(text[j]) {
				j++
			}
			word := text[i:j]
			if afterMember(text, i) == "" {
				if err := spec.checkName(word, col+i, what); err != nil {
					return "", err
				}
			}
			out.WriteString(word)
			i = j
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), nil
}

// checkName rejects names that mean nothing in this kind of probe.
func (s *ProbeSpec) checkName(word string, col int, what string) error {
	if n, ok := positionalArg(word); ok {
		switch {
		case n < 1 || n > MaxProbeArgs:
			return specErr(col, "%s: at most %d arguments", word, MaxProbeArgs)
		case s.Kind == Kretprobe:
			return specErr(col, "%s: arguments are gone by the time a function returns; use a p: probe", word)
		case s.Kind == Tracepoint:
			return specErr(col, "%s: a tracepoint's fields are args->NAME", word)
		}
	}
	if word == "retval" && s.Kind != Kretprobe {
		return specErr(col, "retval exists only in r: probes")
	}
	if word == "args" && s.Kind != Tracepoint {
		return specErr(col, "args-> is for tracepoints; a kprobe has arg1..arg%d or its signature's names", MaxProbeArgs)
	}
	return nil
}

// positionalArg recognises arg1, arg2, ... (any number, to report arg7).
func positionalArg(word string) (int, bool) {
	digits, ok := strings.CutPrefix(word, "arg")
	if !ok || digits == "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return n, true
}

// checkC makes sure a fragment can be only one parameter list or one
// side-effect-free expression where the template pastes it. It refuses:
//
//   - what ends a statement, opens a block, starts a comment or a
//     preprocessor line, or hides text in a literal: ; { } " ' # \ ` and
//     control characters, // and /*, non-ASCII bytes, unbalanced brackets;
//   - digraphs (<: :> <% %> %:) and trigraphs (??=, ??<, ...), which spell
//     brackets, braces and '#': the byte pairs anywhere, and any "??";
//   - =, every compound assignment, ++ and --: the template's variables are
//     in scope, and an expression must not change anything;
//   - names that start with gosnoop (any case, after any underscores): the
//     template's own names, so that nothing reaches its event, maps, header
//     or locals, nor, through them, their members;
//   - helpers and builtins with effects outside the expression, which could
//     signal a process, write user memory, print, change maps or write the
//     probe's stack: every bpf_ name but the read-only helpers in
//     readOnlyHelpers, atomics and memory builtins (sideEffectNames);
//   - calls through "." or "->": bcc's map methods (.update, .perf_submit,
//     .atomic_increment, ...) change maps, and a kernel function pointer is
//     nothing a probe should call;
//   - calls through an expression: after "]", or after a parenthesised
//     group that is empty or more than a type or a name, such
//     as ((long (*)(u32))109)(9) or (bpf_ktime_get_ns + 104)(9), which call
//     a helper by number. A cast of a parenthesised operand, (u64)(x),
//     stays allowed. A $special counts as "(": it becomes "((u32)...)".
func checkC(text string, col int, what string, expr bool) error {
	fail := func(i int, format string, args ...any) error {
		return specErr(col+i, "%s: "+format, append([]any{what}, args...)...)
	}
	type group struct {
		c        byte
		start    int  // index after the bracket
		typeLike bool // only names, '*' and blanks inside: a cast's type, or a name
	}
	var stack []group
	// The token before the current one: 'a' for a name, '0' for a number,
	// else its first byte; for ')' whether the group may be followed by "(".
	var prev byte
	var prevWord, prevMember string
	prevAt := 0
	prevCallable := false
	// callShape checks a "(" at i, or a $special, which becomes "(...)" in C.
	callShape := func(i int) error {
		switch {
		case prev == 'a' && prevMember != "":
			return fail(prevAt, "calling %s through %q not allowed (map methods and function pointers change state)", prevWord, prevMember)
		case prev == ']' || prev == ')' && !prevCallable || prev == '0':
			return fail(i, "calling through an expression not allowed (write a cast's operand without parentheses)")
		}
		return nil
	}
	for i := 0; i+1 < len(text); i++ {
		if isDigraph(text[i : i+2]) {
			return fail(i, "digraph %q not allowed", text[i:i+2])
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		switch {
		case strings.IndexByte(";{}\"'#\\\n\r`", c) >= 0:
			return fail(i, "%q not allowed (%s %s is one C %s)", string(c), article(what), what, map[bool]string{true: "expression", false: "parameter list"}[expr])
		case c < 0x20 || c == 0x7f:
			return fail(i, "control character not allowed")
		case c >= 0x80:
			return fail(i, "non-ASCII character not allowed")
		case c == '/' && i+1 < len(text) && (text[i+1] == '/' || text[i+1] == '*'):
			return fail(i, "comments not allowed")
		case c == '?' && i+1 < len(text) && text[i+1] == '?':
			if i+2 < len(text) && strings.IndexByte("=/'()!<>-", text[i+2]) >= 0 {
				return fail(i, "trigraph %q not allowed", text[i:i+3])
			}
			return fail(i, "%q not allowed", "??")
		}

		if isIdentStart(c) || c == '$' && i+1 < len(text) && isIdentStart(text[i+1]) {
			j := i + 1
			for j < len(text) && isIdentChar(text[j]) {
				j++
			}
			word := text[i:j]
			member := afterMember(text, i)
			if c == '$' {
				if err := callShape(i); err != nil {
					return err
				}
			} else if member == "" {
				if err := checkWord(word, prevWord, i, fail); err != nil {
					return err
				}
			}
			prev, prevWord, prevMember, prevAt = 'a', word, member, i
			if c == '$' { // a value in parentheses, nothing to call
				prev, prevCallable = ')', false
			}
			i = j
			continue
		}
		if c >= '0' && c <= '9' {
			// A number, as C's preprocessor reads it: no name hides inside.
			j := i + 1
			for j < len(text) && (isIdentChar(text[j]) || text[j] == '.') {
				j++
			}
			prev, prevWord, prevMember = '0', "", ""
			i = j
			continue
		}

		op := punctuator(text[i:])
		switch op {
		case "=":
			return fail(i, "%q not allowed (%s %s cannot assign; for a comparison write ==)", op, article(what), what)
		case "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=":
			return fail(i, "%q not allowed (%s %s cannot assign)", op, article(what), what)
		case "(":
			if err := callShape(i); err != nil {
				return err
			}
			if len(stack) > 0 {
				stack[len(stack)-1].typeLike = false
			}
			stack = append(stack, group{c: '(', start: i + 1, typeLike: true})
		case "[":
			if len(stack) > 0 {
				stack[len(stack)-1].typeLike = false
			}
			stack = append(stack, group{c: '[', start: i + 1})
		case ")", "]":
			want := byte('(')
			if op == "]" {
				want = '['
			}
			if len(stack) == 0 || stack[len(stack)-1].c != want {
				return fail(i, "unbalanced %q", op)
			}
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			prevCallable = g.typeLike && strings.TrimSpace(text[g.start:i]) != ""
		case ",":
			if expr && len(stack) == 0 {
				return fail(i, "top-level comma not allowed")
			}
		}
		// Only names, '*' and blanks keep a group a possible type.
		if op != "*" && op != "(" && op != "[" && op != ")" && op != "]" && len(stack) > 0 {
			stack[len(stack)-1].typeLike = false
		}
		prev, prevWord, prevMember = op[0], "", ""
		i += len(op)
	}
	if len(stack) > 0 {
		return fail(len(text), "unbalanced %q", string(stack[len(stack)-1].c))
	}
	return nil
}

// punctuators are C's multi-byte punctuators, longest first, so that the
// scan splits tokens as the compiler does (a<<=b is <<=, not < and <=).
var punctuators = []string{
	"<<=", ">>=", "...",
	"->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
	"*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=",
}

// isDigraph reports whether two bytes spell a digraph. They are refused
// wherever they stand, even where C would split them (a<<%b is << and %):
// nothing useful needs them, and the rule does not hang on the lexer.
func isDigraph(pair string) bool {
	switch pair {
	case "<:", ":>", "<%", "%>", "%:":
		return true
	}
	return false
}

func punctuator(s string) string {
	for _, p := range punctuators {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return s[:1]
}

// afterMember returns "." or "->" when the name at i follows one, so names a
// struct member rather than anything in scope; "" otherwise.
func afterMember(text string, i int) string {
	j := i
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	switch {
	case j >= 2 && text[j-2:j] == "->":
		return "->"
	case j >= 1 && text[j-1] == '.':
		return "."
	}
	return ""
}

// ReservedPrefix starts every name the probe program's C defines; specs may
// not use such names (see checkC).
const ReservedPrefix = "gosnoop_"

// readOnlyHelpers are the bpf_ names an expression may use: helpers that
// only return a value (and byte-order macros).
var readOnlyHelpers = map[string]bool{
	"bpf_get_current_pid_tgid": true, "bpf_get_current_uid_gid": true,
	"bpf_get_current_task": true, "bpf_get_current_task_btf": true,
	"bpf_get_current_cgroup_id": true, "bpf_get_current_ancestor_cgroup_id": true,
	"bpf_get_smp_processor_id": true, "bpf_get_numa_node_id": true, "bpf_get_prandom_u32": true,
	"bpf_ktime_get_ns": true, "bpf_ktime_get_boot_ns": true, "bpf_ktime_get_coarse_ns": true,
	"bpf_ktime_get_tai_ns": true, "bpf_jiffies64": true,
	"bpf_get_func_ip": true, "bpf_get_attach_cookie": true,
	"bpf_ntohs": true, "bpf_ntohl": true, "bpf_htons": true, "bpf_htonl": true,
	"bpf_be64_to_cpu": true, "bpf_cpu_to_be64": true,
}

// sideEffectNames are names outside bpf_ that write memory: bcc's atomic add,
// the compiler's atomics and memory builtins, the kernel's WRITE_ONCE.
var sideEffectNames = map[string]bool{
	"lock_xadd": true, "memcpy": true, "memset": true, "memmove": true,
	"WRITE_ONCE": true, "asm": true, "__asm": true, "__asm__": true,
}

var readOnlyBuiltins = map[string]bool{
	"__builtin_expect": true, "__builtin_offsetof": true, "__builtin_constant_p": true,
	"__builtin_bswap16": true, "__builtin_bswap32": true, "__builtin_bswap64": true,
	"__builtin_preserve_access_index": true,
}

// checkWord applies checkC's rules on names to a name in scope (not a member).
// A name right after struct, union or enum is a tag, never a helper.
func checkWord(word, prevWord string, i int, fail func(int, string, ...any) error) error {
	bare := strings.TrimLeft(word, "_")
	if strings.HasPrefix(strings.ToLower(bare), strings.TrimSuffix(ReservedPrefix, "_")) {
		return fail(i, "%s: names starting with gosnoop are reserved for the program's own C", word)
	}
	if prevWord == "struct" || prevWord == "union" || prevWord == "enum" {
		return nil
	}
	refused := sideEffectNames[word] ||
		strings.HasPrefix(bare, "bpf_") && !readOnlyHelpers[bare] ||
		strings.HasPrefix(word, "__builtin_") && !readOnlyBuiltins[word] ||
		strings.HasPrefix(word, "__sync_") || strings.HasPrefix(word, "__atomic_") || strings.HasPrefix(word, "__c11_atomic_")
	if refused {
		return fail(i, "%s: not allowed (only read-only helpers such as bpf_get_current_task and bpf_ktime_get_ns may be used)", word)
	}
	return nil
}

// article returns "a" or "an" for word.
func article(word string) string {
	if word != "" && strings.IndexByte("aeiou", word[0]) >= 0 {
		return "an"
	}
	return "a"
}

// parseFormat splits a format into literal text and verbs. col is the
// column of the format's first character, for errors.
func parseFormat(f string, col int) ([]FormatPart, []Verb, error) {
	var parts []FormatPart
	var verbs []Verb
	var lit strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			lit.WriteByte(f[i])
			continue
		}
		start := i
		i++
		if i < len(f) && f[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		var v Verb
		for i < len(f) && (f[i] == '-' || f[i] == '0') {
			if !strings.ContainsRune(v.Flags, rune(f[i])) {
				v.Flags += string(f[i])
			}
			i++
		}
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			v.Width = v.Width*10 + int(f[i]-'0')
			if v.Width > 256 {
				return nil, nil, specErr(col+start, "format: width too large")
			}
			i++
		}
		if strings.HasPrefix(f[i:], "ll") {
			v.Long = true
			i += 2
		} else if strings.HasPrefix(f[i:], "l") {
			v.Long = true
			i++
		}
		if i >= len(f) {
			return nil, nil, specErr(col+start, "format: unfinished verb %q", f[start:])
		}
		switch c := f[i]; c {
		case 'd', 'i', 'u', 'x', 'X', 'c', 'p', 's':
			v.Conv = c
		default:
			return nil, nil, specErr(col+start, "format: unsupported verb %q (want %%d %%i %%u %%x %%X %%c %%p %%s)", f[start:i+1])
		}
		if v.Long && (v.Conv == 's' || v.Conv == 'c' || v.Conv == 'p') {
			return nil, nil, specErr(col+start, "format: %q: l applies to integers only", f[start:i+1])
		}
		if lit.Len() > 0 {
			parts = append(parts, FormatPart{Text: lit.String()})
			lit.Reset()
		}
		vv := v
		parts = append(parts, FormatPart{Verb: &vv})
		verbs = append(verbs, v)
	}
	if lit.Len() > 0 {
		parts = append(parts, FormatPart{Text: lit.String()})
	}
	return parts, verbs, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// SuggestTracepoint names the syscall tracepoint that sees what a kprobe on
// a syscall function would, for kernels where kprobes do not attach; "" when
// the function is not a syscall's.
func (s *ProbeSpec) SuggestTracepoint() string {
	if s.Kind == Tracepoint {
		return ""
	}
	name := ""
	switch s.Function {
	case "do_sys_openat2", "do_sys_open":
		name = "openat"
	default:
		for _, prefix := range []string{"__x64_sys_", "__arm64_sys_", "__s390x_sys_", "__se_sys_", "__do_sys_", "ksys_", "sys_"} {
			if rest, ok := strings.CutPrefix(s.Function, prefix); ok && rest != "" {
				name = rest
				break
			}
		}
	}
	if name == "" {
		return ""
	}
	if s.Kind == Kretprobe {
		return "t:syscalls:sys_exit_" + name
	}
	return "t:syscalls:sys_enter_" + name
}
