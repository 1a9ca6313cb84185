package cmd

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/cgroup"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/launch"
	"github.com/gosnoop/gosnoop/internal/output"
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

// taskFilters are --cgroup and --exec, checked: the cgroup to trace and
// the command to start.
type taskFilters struct {
	cgroup cgroup.Group // Path "": every cgroup
	path   string       // --exec: the program, found on $PATH
	argv   []string     // --exec: its words; nil without --exec
}

// parseTaskFlags parses --cgroup and --exec, which every tracing command
// but hello has. --exec is split into words in Go (launch.Split), with no
// shell.
func parseTaskFlags(c *cli.Context) (taskFilters, error) {
	var f taskFilters
	if c.IsSet("cgroup") {
		if c.String("cgroup") == "" {
			return f, usageErrorf("--cgroup needs a cgroup's path, e.g. system.slice/docker-<id>.scope")
		}
		g, err := cgroup.Resolve(c.String("cgroup"))
		if err != nil {
			return f, usageErrorf("--cgroup %q: %v", c.String("cgroup"), err)
		}
		f.cgroup = g
	}
	if c.IsSet("exec") {
		if c.IsSet("pid") {
			return f, usageErrorf("--exec and --pid exclude each other: --exec traces the command it starts")
		}
		argv, err := launch.Split(c.String("exec"))
		if err != nil {
			return f, usageErrorf("--exec %q: %v", c.String("exec"), err)
		}
		path, err := exec.LookPath(argv[0])
		if err != nil {
			return f, usageErrorf("--exec: %v", err)
		}
		f.path, f.argv = path, argv
	}
	return f, nil
}

// render is what the program renders of render's "task_filter".
func (f taskFilters) render() render.Tasks {
	return render.Tasks{Cgroup: f.cgroup.Path != "", Exec: f.argv != nil}
}

// comment says, for --ebpf, what a run writes to the filters' tables.
func (f taskFilters) comment() string {
	return render.TasksComment(f.render(), f.cgroup.ID, f.cgroup.Level)
}

// tasks carries out --cgroup and --exec in a session.
type tasks struct {
	f        taskFilters
	s        *session.Session
	child    *launch.Child
	released bool
}

// commandGrace is how long a command still running when the tracing ends
// has between SIGTERM and SIGKILL.
const commandGrace = 2 * time.Second

// startTasks, after session.Start and before the first Load, has s write
// the filters' tables after every load, and starts --exec's command held
// at its gate, so its pid is known before anything attaches. The caller
// defers stop.
func startTasks(s *session.Session, f taskFilters) (*tasks, error) {
	t := &tasks{f: f, s: s}
	if g := f.cgroup; g.Path != "" {
		s.Logf("tracing cgroup %s: id %d, level %d", g.Path, g.ID, g.Level)
		addInit(s, func(m *bcc.Module) error {
			return m.WriteArray(render.CgroupTable, 0, render.CgroupValue(g.ID, g.Level))
		})
	}
	if f.argv == nil {
		return t, nil
	}
	cred, err := launch.SudoCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		s.Logf("running the command as uid %d, gid %d (SUDO_UID, SUDO_GID)", cred.UID, cred.GID)
	}
	if t.child, err = launch.Start(f.path, f.argv, cred); err != nil {
		return nil, err
	}
	pid := uint32(t.child.PID())
	addInit(s, func(m *bcc.Module) error { return m.WriteU32(render.CommandTable, 0, pid) })
	return t, nil
}

// attach attaches what --exec needs besides the program's plan, after it:
// the plan's fallback may load the program again.
func (t *tasks) attach() error {
	m := t.s.Module()
	if m == nil { // a signal ended the run
		return nil
	}
	for _, tp := range t.f.render().TaskTracepoints() {
		if err := m.AttachTracepointProgram(tp.Category, tp.Event, tp.Program); err != nil {
			return err
		}
	}
	return nil
}

// begin, once the tracing has begun (ctx is Begin's), lets the command
// run, and ends the tracing when it exits.
func (t *tasks) begin(ctx context.Context) error {
	if t.child == nil || ctx.Err() != nil {
		return nil
	}
	t.s.Out.Out.Flush() // the header, before the command's own output
	if err := t.child.Release(); err != nil {
		return err
	}
	t.released = true
	go func() {
		select {
		case <-t.child.Done():
			t.s.Stop()
		case <-ctx.Done():
		}
	}()
	return nil
}

// commandDone says whether the command ran and has exited.
func (t *tasks) commandDone() bool {
	if t.child == nil || !t.released {
		return false
	}
	select {
	case <-t.child.Done():
		return true
	default:
		return false
	}
}

// report, before the summary, reports forks whose children --exec could
// not follow.
func (t *tasks) report() {
	m := t.s.Module()
	if m == nil || t.child == nil {
		return
	}
	if n, err := m.ReadCounter(render.TasksFullTable, 0); err == nil && n > 0 {
		t.s.Out.Report("%d %s not traced: more than %d tasks to follow at once (--exec)", n, output.Plural(n, "forked task"), render.MaxTasks)
	}
}

// stop ends a command still held at its gate, or still running once the
// tracing ended (SIGTERM, then SIGKILL after commandGrace), and reaps it.
// The processes it forked that are still traced get SIGTERM too: a
// pipeline under `sh -c` outlives its shell otherwise.
func (t *tasks) stop() {
	if t == nil || t.child == nil {
		return
	}
	if t.released && !t.commandDone() {
		t.signalFollowed(syscall.SIGTERM)
	}
	t.child.Stop(commandGrace)
}

// signalFollowed sends sig to every process in the traced set but the
// command itself, which Child.Stop ends.
func (t *tasks) signalFollowed(sig syscall.Signal) {
	m := t.s.Module()
	if m == nil {
		return
	}
	h, err := m.Hash(render.TasksTable)
	if err != nil {
		return
	}
	var pids []int
	h.Each(func(key, _ []byte) {
		if pid := int(binary.LittleEndian.Uint32(key)); pid != t.child.PID() && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	})
	for _, pid := range pids {
		syscall.Kill(pid, sig) // a thread's id, or one gone since: ESRCH
	}
}

// end returns the run's error or, when there is none, the exit status of
// the command --exec ran, as gosnoop's own.
func (t *tasks) end(err error) error {
	if t == nil || t.child == nil || !t.released {
		return err
	}
	t.stop()
	if code := t.child.ExitCode(); err == nil && code != 0 {
		return exitStatus(code)
	}
	return err
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
