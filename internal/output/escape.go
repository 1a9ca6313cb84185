// Package output holds what every printer shares: escaping text that other
// users control before it reaches a terminal, JSON strings, padded columns,
// and a writer that never lets a stalled stdout block the tracing loop.
package output

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendEscaped appends s for a terminal, as `ls -b` and strace do: printable
// text stays, and every byte or character that could move the cursor, change
// the terminal's state or reorder what is shown becomes a visible escape.
// Comms and paths are chosen by other users, so a file named
// "x\n99999 fakecomm 3 0 /etc/shadow" must not print a second row, and
// "\x1b]0;pwned\a" must not retitle the terminal.
//
//   - '\\' becomes `\\`, so every escape below is unambiguous;
//   - '\n', '\t' and '\r' become `\n`, `\t`, `\r`;
//   - other C0 controls, DEL and bytes that are not UTF-8 become `\xNN`;
//   - C1 controls (U+0080-U+009F, e.g. U+009B, the one-character CSI),
//     format characters such as the bidi overrides U+202A-U+202E and
//     U+2066-U+2069, and the line and paragraph separators become `\uNNNN`.
func AppendEscaped(b, s []byte) []byte {
	return appendEscaped(b, s, false)
}

// AppendMessage is AppendEscaped for one line of a message of our own that
// quotes text we do not control (a compile error echoing a spec, a path):
// backslashes and tabs stay as they are, everything else is escaped alike.
func AppendMessage(b, s []byte) []byte {
	return appendEscaped(b, s, true)
}

// EscapeLines escapes each line of a message for the terminal with
// AppendMessage, keeping the line breaks, and ends it with one.
func EscapeLines(msg string) string {
	var b []byte
	for i, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		if i > 0 {
			b = append(b, '\n')
		}
		b = AppendMessage(b, []byte(line))
	}
	return string(append(b, '\n'))
}

func appendEscaped(b, s []byte, message bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case message && (c == '\\' || c == '\t'):
				b = append(b, c)
			case c == '\\':
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		case unsafeRune(r):
			b = appendUnicodeEscape(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// EscapedString is AppendEscaped for a string.
func EscapedString(s string) string {
	return string(AppendEscaped(make([]byte, 0, len(s)), []byte(s)))
}

// unsafeRune reports whether a valid non-ASCII character must not reach a
// terminal as it is: C1 controls, format characters (bidi controls,
// zero-width characters) and the Unicode line and paragraph separators.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// appendUnicodeEscape writes r as \uNNNN, or \UNNNNNNNN above the BMP.
func appendUnicodeEscape(b []byte, r rune) []byte {
	digits := 4
	b = append(b, '\\', 'u')
	if r > 0xffff {
		digits = 8
		b[len(b)-1] = 'U'
	}
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(r>>uint(shift))&0xf])
	}
	return b
}
