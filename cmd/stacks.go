package cmd

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

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
	// Lost counts the stacks the kernel could not keep (a full table, or
	// another stack with its id); a missing user stack (a kernel thread's)
	// is no loss.
	Lost uint64
	// started is each process's start time, as last checked: a pid the
	// kernel gave to a new process has its memory map read again.
	started map[uint32]procStart
	// Stack ids stay in the table for the whole run: the kernel gives the
	// same stack the same id, so an event still in the buffer, or a key of
	// an aggregation, may name an id an earlier event named.
}

func newStackNamer(o probe.Options) *stackNamer {
	return &stackNamer{opts: o, kernel: symbols.NewKernel(), user: symbols.NewUser(), started: map[uint32]procStart{}}
}

type procStart struct {
	ticks   uint64 // /proc/PID/stat's starttime
	checked time.Time
}

// maxStarts bounds started; past it, it starts over.
const maxStarts = 4096

// sameProcess makes sure what is kept of pid's memory map is this
// process's, checking its start time at most once a second (no pid comes
// round again that fast): a new process under an old pid is forgotten.
func (n *stackNamer) sameProcess(pid uint32) {
	now := time.Now()
	old, seen := n.started[pid]
	if seen && now.Sub(old.checked) < time.Second {
		return
	}
	ticks := startTime(pid)
	if ticks == 0 { // gone: what is kept of it is still its own
		return
	}
	if seen && ticks != old.ticks {
		n.user.Forget(pid)
	}
	if len(n.started) >= maxStarts {
		clear(n.started)
	}
	n.started[pid] = procStart{ticks: ticks, checked: now}
}

// startTime is field 22 of /proc/PID/stat, after the comm in parentheses
// (which may hold anything, so the last ')' ends it); 0 once the process is
// gone.
func startTime(pid uint32) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(fields[19], 10, 64)
	return v
}

// note reads pid's memory map now, while it runs: its user stacks are
// keys, named only when the interval ends.
func (n *stackNamer) note(pid uint32) {
	n.sameProcess(pid)
	n.user.Note(pid)
}

// event symbolizes the stacks of an event, with -K and -U.
func (n *stackNamer) event(m *bcc.Module, ev *probe.Event) {
	if n.opts.Stacks.Kernel {
		ev.KFrames = n.frames(m, ev.KStack, false, 0)
	}
	if n.opts.Stacks.User {
		n.sameProcess(ev.Header.PID)
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
		pid := uint32(r.Key[pidKey].Int)
		n.sameProcess(pid)
		r.Frames[k] = n.frames(m, int32(r.Key[k].Int), true, pid)
	}
}

// frames reads stack id and names its frames, innermost first; an id the
// kernel could not give, or a table that no longer has it, is one
// bracketed line saying why.
func (n *stackNamer) frames(m *bcc.Module, id int32, user bool, pid uint32) []string {
	if id < 0 {
		if syscall.Errno(-id) != syscall.EFAULT {
			n.Lost++
		}
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
