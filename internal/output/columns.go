package output

import (
	"strconv"
	"unicode/utf8"
)

// AppendLeft appends field left-justified in width columns, counting
// characters rather than bytes so UTF-8 names line up.
func AppendLeft(b, field []byte, width int) []byte {
	b = append(b, field...)
	for n := utf8.RuneCount(field); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// AppendRight appends field right-justified in width columns, filled with fill.
func AppendRight(b, field []byte, width int, fill byte) []byte {
	for n := utf8.RuneCount(field); n < width; n++ {
		b = append(b, fill)
	}
	return append(b, field...)
}

// AppendEscapedLeft escapes field (see AppendEscaped) and pads it to width.
func AppendEscapedLeft(b, field []byte, width int) []byte {
	start := len(b)
	b = AppendEscaped(b, field)
	for n := utf8.RuneCount(b[start:]); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// CString returns b up to its first NUL byte.
func CString(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// Plural returns word for one and word+"s" otherwise.
func Plural(n uint64, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Clip keeps an error message short when it quotes a huge line.
func Clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// AppendSeconds writes ns - first as seconds, for a TIME(s) column. The
// difference is signed: an event that began before the first one printed
// is earlier than it.
func AppendSeconds(b []byte, ns, first uint64) []byte {
	return strconv.AppendFloat(b, float64(int64(ns-first))/1e9, 'f', 9, 64)
}
