package probe

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/output"
)

// A probe spec, as gosnoop probe takes it on the command line:
//
//	[p|r|t:][category:]function[(signature)] [(predicate)] ["format"[, arg]...]
//	[p|r|t:][category:]function[(signature)] [(predicate)] count()|hist(EXPR) [by KEY[, KEY]...]
//
// The signature, the predicate and the arguments are C by design (the user
// is root and writing a probe); the parser makes sure each can only ever be
// one parameter list or one expression in the template. The format, names
// and filters never reach C: the format is applied in Go.

// Kind is the kind of a probe: kprobe, kretprobe or tracepoint.
type Kind byte

const (
	Kprobe     Kind = 'p'
	Kretprobe  Kind = 'r'
	Tracepoint Kind = 't'
)

// MaxArgs is how many values one probe can carry.
const MaxArgs = 6

// Spec is one parsed probe.
type Spec struct {
	Text      string
	Kind      Kind
	Category  string // tracepoints only
	Function  string // kernel function, or tracepoint event
	Signature string // C parameter list of a kprobe; "" for none
	Predicate string // C expression; "" for none
	Format    []FormatPart
	Args      []Arg
	Agg       *Agg // count() or hist(): counted in the kernel, no events
}

// Name is the probe as the output shows it: p:do_sys_openat2, t:syscalls:sys_enter_openat.
func (s *Spec) Name() string {
	if s.Kind == Tracepoint {
		return "t:" + s.Category + ":" + s.Function
	}
	return string(s.Kind) + ":" + s.Function
}

// Arg is one value a probe sends.
type Arg struct {
	Expr    string // C expression; "" for a special
	Special string // "pid", "tid", "uid", "cpu" or "comm": filled in Go from the event header
	User    bool   // strings are read from user memory
	Verb    Verb
}

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
	// The current task, for its members ($task->real_parent->tgid): a
	// pointer, in expressions only. Its type makes struct task_struct one
	// of the program's kernel types (Options.KernelTypes).
	"task": taskExpr,
}

const taskExpr = "((struct task_struct *)bpf_get_current_task())"

// ParseSpec parses one spec.
func ParseSpec(text string) (*Spec, error) {
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

func (p *specParser) parse() (*Spec, error) {
	spec := &Spec{Kind: Kprobe}
	p.skipSpace()
	if p.i >= len(p.s) {
		return nil, specErr(0, "empty spec")
	}
	if p.i+1 < len(p.s) && p.s[p.i+1] == ':' {
		switch k := Kind(p.s[p.i]); k {
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
	switch c := p.peek(); {
	case c == '"':
		if err := p.format(spec); err != nil {
			return nil, err
		}
	case isIdentStart(c):
		if err := p.aggregation(spec); err != nil {
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
func (p *specParser) format(spec *Spec) error {
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
		if len(spec.Args) == MaxArgs {
			return specErr(start, "at most %d arguments", MaxArgs)
		}
		arg, err := p.argument(spec, strings.TrimSpace(text), start)
		if err != nil {
			return err
		}
		spec.Args = append(spec.Args, arg)
	}
	if len(verbs) != len(spec.Args) {
		return specErr(0, "format has %d %s but %d %s", len(verbs), output.Plural(uint64(len(verbs)), "verb"), len(spec.Args), output.Plural(uint64(len(spec.Args)), "argument"))
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
		// Syscall tracepoint fields and __user parameters point into user
		// memory; what is read through the current task or another kernel
		// struct is the kernel's.
		if a.Verb.IsString() && a.Expr != "" && !a.User {
			kernelSide := strings.Contains(a.Expr, "bpf_get_current_task") || tagRE.MatchString(a.Expr)
			a.User = spec.Kind == Tracepoint && spec.Category == "syscalls" && !kernelSide || spec.paramIsUser(a.Expr)
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

func (p *specParser) argument(spec *Spec, text string, col int) (Arg, error) {
	var arg Arg
	if name, ok := strings.CutPrefix(text, "$"); ok && isIdent(name) {
		switch _, known := specials[name]; {
		case !known:
			return arg, specErr(col, "unknown $%s (want $pid, $tid, $uid, $cpu, $comm, or a member of $task)", name)
		case name == "task":
			return arg, specErr(col, "$task is a pointer to the current task_struct; print a member of it, such as $task->real_parent->tgid")
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

// KernelTypes returns the struct, union and enum types the spec's C names
// ("struct task_struct", also for $task): where gosnoop generates kernel
// headers from BTF, these are the roots it declares. Each name is an
// identifier after a keyword, so the list is safe to hand on.
func (s *Spec) KernelTypes() []btfheader.Root {
	var roots []btfheader.Root
	texts := append([]string{s.Signature, s.Predicate}, s.exprs()...)
	for _, text := range texts {
		for _, m := range tagRE.FindAllStringSubmatch(text, -1) {
			roots = append(roots, btfheader.Root(m[1]+" "+m[2]))
		}
	}
	return btfheader.SortedRoots(roots)
}

// exprs are the C expressions of the spec's arguments, or of its
// aggregation's value and keys.
func (s *Spec) exprs() []string {
	var out []string
	for _, a := range s.Args {
		out = append(out, a.Expr)
	}
	if s.Agg != nil {
		out = append(out, s.Agg.Expr)
		for _, k := range s.Agg.Keys {
			out = append(out, k.Expr)
		}
	}
	return out
}

// tagRE finds "struct NAME" and the like in C the parser has checked.
var tagRE = regexp.MustCompile(`\b(struct|union|enum)\s+([A-Za-z_][A-Za-z0-9_]*)\b`)

func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

// paramIsUser reports whether name is a signature parameter declared __user.
func (s *Spec) paramIsUser(name string) bool {
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
func (p *specParser) expression(spec *Spec, text string, col int, what string) (string, error) {
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
				return "", specErr(col+i, "%s: unknown or non-numeric $%s (%s %s may use $pid, $tid, $uid, $cpu and $task)", what, name, article(what), what)
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
func (s *Spec) checkName(word string, col int, what string) error {
	if n, ok := positionalArg(word); ok {
		switch {
		case n < 1 || n > MaxArgs:
			return specErr(col, "%s: at most %d arguments", word, MaxArgs)
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
		return specErr(col, "args-> is for tracepoints; a kprobe has arg1..arg%d or its signature's names", MaxArgs)
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

// SuggestTracepoint names the syscall tracepoint that sees what a kprobe on
// a syscall function would, for kernels where kprobes do not attach; "" when
// the function is not a syscall's.
func (s *Spec) SuggestTracepoint() string {
	if s.Kind == Tracepoint {
		return ""
	}
	name := ""
	switch s.Function {
	case "do_sys_openat2", "do_sys_open":
		name = "openat"
	default:
		// The entry points, and the functions they call.
		for _, prefix := range append([]string{"__do_sys_", "ksys_"}, kernel.SyscallPrefixes...) {
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
