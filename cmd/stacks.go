package cmd

import (
	"fmt"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/symbols"
	"github.com/gosnoop/gosnoop/programs/probe"
)

// stackNamer turns the stack ids of a probe run into frames: kernel
// addresses through /proc/kallsyms, user ones through the process's memory
// map and ELF symbols, both read on first use.
type stackNamer struct {
	opts   probe.Options
	kernel *symbols.Kernel
	user   *symbols.User
	// Stack ids stay in the table for the whole run: the kernel gives the
	// same stack the same id, so an event still in the buffer, or a key of
	// an aggregation, may name an id an earlier event named.
}

func newStackNamer(o probe.Options) *stackNamer {
	return &stackNamer{opts: o, kernel: symbols.NewKernel(), user: symbols.NewUser()}
}

// event symbolizes the stacks of an event, with -K and -U.
func (n *stackNamer) event(m *bcc.Module, ev *probe.Event) {
	if n.opts.Stacks.Kernel {
		ev.KFrames = n.frames(m, ev.KStack, false, 0)
	}
	if n.opts.Stacks.User {
		ev.UFrames = n.frames(m, ev.UStack, true, ev.Header.PID)
	}
}

// row symbolizes the stack keys of an aggregation's row; a user stack's
// process is the row's $pid key (added for it where the spec has none).
func (n *stackNamer) row(m *bcc.Module, a *probe.Agg, r *probe.AggRow) {
	kernel, user, pidKey := a.StackKeys()
	for _, k := range kernel {
		r.Frames[k] = n.frames(m, int32(r.Key[k].Int), false, 0)
	}
	for _, k := range user {
		r.Frames[k] = n.frames(m, int32(r.Key[k].Int), true, uint32(r.Key[pidKey].Int))
	}
}

// frames reads stack id and names its frames, innermost first; an id the
// kernel could not give, or a table that no longer has it, is one
// bracketed line saying why.
func (n *stackNamer) frames(m *bcc.Module, id int32, user bool, pid uint32) []string {
	if id < 0 {
		return []string{"[" + bcc.StackIDError(id) + "]"}
	}
	addrs, err := m.Stack(probe.StacksTable, id)
	if err != nil {
		return []string{fmt.Sprintf("[stack %d unreadable: %v]", id, err)}
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		var f symbols.Frame
		if user {
			f = n.user.Resolve(pid, a)
		} else {
			f = n.kernel.Resolve(a)
		}
		out = append(out, f.String())
	}
	return out
}
