package probe

import (
	"fmt"
	"strconv"
	"strings"
)

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

// formatVerb applies one C verb with Go's fmt, which shares their meaning
// for these conversions.
func formatVerb(v Verb, val Value) string {
	spec := "%" + v.Flags
	if v.Width > 0 {
		spec += strconv.Itoa(v.Width)
	}
	switch v.Conv {
	case 's':
		return fmt.Sprintf(spec+"s", val.Str)
	case 'c':
		return fmt.Sprintf(spec+"c", rune(byte(val.Int)))
	case 'p':
		return fmt.Sprintf(spec+"s", "0x"+strconv.FormatUint(val.Int, 16))
	}
	n := val.Int
	if !v.Long {
		n &= 0xffffffff
	}
	switch v.Conv {
	case 'd', 'i':
		if v.Long {
			return fmt.Sprintf(spec+"d", int64(n))
		}
		return fmt.Sprintf(spec+"d", int32(uint32(n)))
	case 'u':
		return fmt.Sprintf(spec+"d", n)
	case 'x':
		return fmt.Sprintf(spec+"x", n)
	default: // 'X'
		return fmt.Sprintf(spec+"X", n)
	}
}
