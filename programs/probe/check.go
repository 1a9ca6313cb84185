package probe

import (
	"strings"
)

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
