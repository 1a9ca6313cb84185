package output

import "unicode/utf8"

// AppendJSONString quotes s as a JSON string. Bytes that are not UTF-8
// become U+FFFD, as encoding/json does; control characters, DEL and the
// characters AppendEscaped treats as unsafe are written as \u escapes, so a
// JSON line shown on a terminal is as inert as a table row, and decodes to
// the same string.
func AppendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case unsafeRune(r) && r <= 0xffff:
			b = appendUnicodeEscape(b, r)
		default:
			// Unsafe characters above U+FFFF (tag characters) need a
			// surrogate pair in JSON; they are rare enough to pass as text.
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
