package bcc

import (
	"fmt"
	"strings"
)

// VerifierError is the kernel's verifier refusing a program. Error says why
// in one line; Log is the whole verifier log, for -v.
type VerifierError struct {
	Program string
	Reason  string // the log's last meaningful line, e.g. "R0 invalid mem access 'scalar'"
	Source  string // the C line the verifier was checking, when the log names one
	Log     string
}

func (e *VerifierError) Error() string {
	msg := fmt.Sprintf("the kernel's verifier rejected %s: %s", e.Program, e.Reason)
	if e.Source != "" {
		msg += " (at: " + e.Source + ")"
	}
	return msg + "; -v prints the verifier log"
}

// verifierError recognises libbcc's report of a verifier rejection in what
// it printed while loading prog; nil when the load failed for another reason.
func verifierError(prog, diag string, err error) *VerifierError {
	if !strings.Contains(diag, "Failed to load program") {
		return nil
	}
	lines := strings.Split(diag, "\n")
	e := &VerifierError{Program: prog, Log: strings.TrimSpace(diag)}
	reasonAt := -1
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "processed ") || strings.HasPrefix(l, "HINT:") ||
			strings.HasPrefix(l, "bpf: Failed to load program") || strings.HasPrefix(l, "verification time") ||
			strings.HasPrefix(l, "stack depth") {
			continue
		}
		e.Reason, reasonAt = l, i
		break
	}
	if e.Reason == "" {
		e.Reason = err.Error()
	}
	for i := reasonAt - 1; i >= 0; i-- {
		if src, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "; "); ok {
			if at := strings.LastIndex(src, " @ "); at >= 0 {
				src = src[:at]
			}
			e.Source = strings.TrimSpace(src)
			break
		}
	}
	return e
}
