package cmd

import (
	"io"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// The flags the tracing commands share, parsed and checked before anything
// touches the kernel.

// parseID parses a decimal id in [lo, hi].
func parseID(flag, s string, lo, hi uint64) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, usageErrorf("%s must be a number from %d to %d, not %q", flag, lo, hi, s)
	}
	return uint32(v), nil
}

// parseDuration takes whole seconds, as bcc's -d does, or a Go duration.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if secs, serr := strconv.ParseUint(s, 10, 32); serr == nil {
		d, err = time.Duration(secs)*time.Second, nil
	}
	if err != nil || d <= 0 {
		return 0, usageErrorf("--duration must be a positive number of seconds or a duration such as 1m30s, not %q", s)
	}
	return d, nil
}

// idFilters are the in-kernel filters the tracing commands share; a zero
// pid or tid and a uid of render.AnyUID trace everything.
type idFilters struct {
	pid, tid uint32
	uid      int64
}

// parseIDFlags parses whichever of --pid, --tid and --uid the command has.
func parseIDFlags(c *cli.Context) (idFilters, error) {
	f := idFilters{uid: render.AnyUID}
	var err error
	if c.IsSet("pid") {
		if f.pid, err = parseID("--pid", c.String("pid"), 1, maxPID); err != nil {
			return f, err
		}
	}
	if c.IsSet("tid") {
		if f.tid, err = parseID("--tid", c.String("tid"), 1, maxPID); err != nil {
			return f, err
		}
	}
	if c.IsSet("uid") {
		uid, err := parseID("--uid", c.String("uid"), 0, render.MaxUID)
		if err != nil {
			return f, err
		}
		f.uid = int64(uid)
	}
	return f, nil
}

// parseBufferPages checks --buffer-pages: decimal only, like --pid (cli's
// IntFlag would take 010 as octal 8 and 0x40 as 64).
func parseBufferPages(c *cli.Context) (int, error) {
	s := c.String("buffer-pages")
	p, err := strconv.ParseUint(s, 10, 16)
	if err != nil || p < 1 || p > 16384 || p&(p-1) != 0 {
		return 0, usageErrorf("--buffer-pages must be a power of two from 1 to 16384, not %q", s)
	}
	return int(p), nil
}

// optionalDuration parses the --duration flag; 0 when it is not given.
func optionalDuration(c *cli.Context) (time.Duration, error) {
	if !c.IsSet("duration") {
		return 0, nil
	}
	return parseDuration(c.String("duration"))
}

// parseAttachMode checks an --attach value.
func parseAttachMode(s string) (attach.Mode, error) {
	switch m := attach.Mode(s); m {
	case attach.Auto, attach.Kprobes, attach.Tracepoints:
		return m, nil
	}
	return "", usageErrorf("--attach must be auto, kprobe or tracepoint, not %q", s)
}

// printProgram is --ebpf: it plans on the kernel --ebpf may look at (see
// ebpfView), saying nothing, renders, and prints the C text a run would
// compile.
func printProgram(w io.Writer, plan func(kernel.View, func(string, ...any)) error, render func() (string, error)) error {
	if err := plan(ebpfView(), func(string, ...any) {}); err != nil {
		return err
	}
	src, err := render()
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, src)
	return err
}

// ebpfView is the kernel --ebpf plans for: the running one as root, so
// --ebpf prints what a run would compile; without root, what it can read,
// assuming the rest.
func ebpfView() kernel.View {
	if os.Geteuid() != 0 {
		return kernel.Assumed{} // and tracefs.Dir would try to mount tracefs
	}
	if dir, err := tracefs.Dir(); err == nil {
		return kernel.Live{Dir: dir}
	}
	return kernel.Assumed{}
}

// tracePID has s write the process to trace into the program's PIDTable
// after every load (render's "pid_filter"); 0 traces every process.
func tracePID(s *session.Session, pid uint32) {
	if pid != 0 {
		addInit(s, func(m *bcc.Module) error { return m.WriteU32(render.PIDTable, 0, pid) })
	}
}

// addInit has s run init after every load too, after what it ran before.
func addInit(s *session.Session, init func(*bcc.Module) error) {
	before := s.Init
	s.Init = func(m *bcc.Module) error {
		if before != nil {
			if err := before(m); err != nil {
				return err
			}
		}
		return init(m)
	}
}

// takeEpoch ends an interval of a program that counts into table keys
// tagged with an epoch (top, probe's aggregations): it moves the program on
// to the next epoch, waits a millisecond for counts in progress, then hands
// take every entry of the tables from an earlier epoch and deletes it.
// take returns the entry's epoch. Only a program preempted for longer
// between reading the epoch and counting can miss: it re-creates an
// old-epoch entry, taken next time, or, if the entry it found was deleted
// meanwhile, its count is lost.
func takeEpoch(m *bcc.Module, epochTable string, epoch *uint32, tables []string, take func(table int, key, value []byte) (uint32, error)) error {
	*epoch++
	if err := m.WriteU32(epochTable, 0, *epoch); err != nil {
		return err
	}
	time.Sleep(time.Millisecond) // a count in progress takes microseconds
	for i, name := range tables {
		h, err := m.Hash(name)
		if err != nil {
			return err
		}
		var done [][]byte
		var takeErr error
		err = h.Each(func(key, value []byte) {
			e, err := take(i, key, value)
			if err != nil {
				takeErr = err
				return
			}
			if e != *epoch {
				done = append(done, append([]byte(nil), key...))
			}
		})
		if err == nil {
			err = takeErr
		}
		if err != nil {
			return err
		}
		for _, key := range done {
			if err := h.Delete(key); err != nil {
				return err
			}
		}
	}
	return nil
}
