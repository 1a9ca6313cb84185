package cmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/caps"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// What the tracing commands share: a verbose logger, the context that ends a
// run, the trace_pipe tag, and attaching kprobes with a tracepoint fallback.

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
		uid, err := parseID("--uid", c.String("uid"), 0, 0xfffffffe)
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

// prepareTracing checks what every tracing command needs before it
// compiles: the privileges, and tracefs (mounted if it is not).
func prepareTracing(command string) (traceDir string, err error) {
	if err := caps.Check(command); err != nil {
		return "", err
	}
	return tracefs.Dir()
}

// optionalDuration parses the --duration flag; 0 when it is not given.
func optionalDuration(c *cli.Context) (time.Duration, error) {
	if !c.IsSet("duration") {
		return 0, nil
	}
	return parseDuration(c.String("duration"))
}

// parseAttachMode checks an --attach value.
func parseAttachMode(s string) (string, error) {
	switch s {
	case "auto", "kprobe", "tracepoint":
		return s, nil
	}
	return "", usageErrorf("--attach must be auto, kprobe or tracepoint, not %q", s)
}

// verboseLogger prints "gosnoop: ..." lines to w when on.
// What it prints can quote libbcc or the kernel quoting headers and
// programs, so each line is escaped like an error message.
func verboseLogger(w io.Writer, on bool) func(string, ...any) {
	return func(format string, args ...any) {
		if on {
			io.WriteString(w, escapeLines("gosnoop: "+fmt.Sprintf(format, args...)))
		}
	}
}

// escapeLines escapes each line of a message for the terminal, keeping the
// line breaks, and ends it with one.
func escapeLines(msg string) string {
	var b []byte
	for i, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		if i > 0 {
			b = append(b, '\n')
		}
		b = output.AppendMessage(b, []byte(line))
	}
	return string(append(b, '\n'))
}

// signalContext ends on SIGINT, SIGTERM or SIGHUP (a closed terminal), and
// on SIGPIPE, so a reader that goes away (`| head`) ends the run through the
// same path instead of killing the process. Commands take it before they
// compile, so a signal at any point ends the run through the deferred detach
// rather than killing the process.
func signalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
}

// traceContext is the tracing part of a run: it ends with parent, or after d
// when d > 0, counted from when tracing starts.
func traceContext(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(parent)
	}
	return context.WithTimeout(parent, d)
}

// printStartLine prints bcc's "Tracing ... Hit Ctrl-C to end." line, unless
// a signal already ended the run (Ctrl-C during the compile).
func printStartLine(ctx context.Context, w *output.Writer, what string, d time.Duration) {
	if ctx.Err() != nil {
		return
	}
	if d > 0 {
		fmt.Fprintf(w, "Tracing %s for %s... Hit Ctrl-C to end.\n", what, d)
	} else {
		fmt.Fprintf(w, "Tracing %s... Hit Ctrl-C to end.\n", what)
	}
	w.Flush()
}

// withVerifierLog prints the verifier's whole log under -v when the kernel
// refused a program; the error itself stays one line.
func withVerifierLog(err error, logf func(string, ...any)) error {
	var verr *bcc.VerifierError
	if errors.As(err, &verr) {
		logf("verifier log for %s:\n%s", verr.Program, verr.Log)
	}
	return err
}

// openTracePipe opens trace_pipe, saying who holds it when it is busy.
func openTracePipe(traceDir string) (*tracefs.Pipe, error) {
	pipe, err := tracefs.OpenPipe(traceDir)
	var busy *tracefs.BusyError
	if !errors.As(err, &busy) {
		return pipe, err
	}
	who := "another process"
	if len(busy.Holders) > 0 {
		var names []string
		for _, h := range busy.Holders {
			names = append(names, fmt.Sprintf("pid %d (%s)", h.PID, output.EscapedString(h.Comm)))
		}
		who = strings.Join(names, ", ")
	}
	return nil, fmt.Errorf("%s is busy: %s is reading it, and the kernel allows one reader at a time; stop that reader first", busy.Path, who)
}

// newTag returns the random marker that tells our trace_pipe lines from
// every other writer's, including another gosnoop's.
func newTag() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		// Only another gosnoop started in the same nanosecond could collide.
		return strconv.FormatInt(time.Now().UnixNano()&0xffffffff, 16)
	}
	return hex.EncodeToString(b[:])
}

// compileProgram compiles src, noting the headers in use and the compile time.
func compileProgram(src string, opts bcc.CompileOptions, stderr io.Writer, logf func(string, ...any)) (*bcc.Module, error) {
	start := time.Now()
	m, err := bcc.Compile(src, opts)
	if err != nil {
		return nil, err
	}
	if m.Headers.Note != "" {
		logf("%s", m.Headers.Note)
	}
	if m.Headers.Kind == kheaders.Minimal {
		fmt.Fprintf(stderr, "gosnoop: no kernel headers for %s; using gosnoop's minimal header tree (for real ones: %s)\n",
			kheaders.Release(), kheaders.InstallHint())
	} else {
		logf("kernel headers: %s (%s)", m.Headers.Dir, m.Headers.Kind)
	}
	logf("compiled in %v", time.Since(start).Round(time.Millisecond))
	if m.Warnings != "" {
		logf("libbcc said while compiling:\n%s", m.Warnings)
	}
	return m, nil
}

// kprobeSpec is one kprobe or kretprobe of a program.
type kprobeSpec struct {
	fn, prog string
	ret      bool
}

// attachPlan is what a program can attach: kprobes, and the syscall
// tracepoints that stand in for them where kprobes do not attach.
type attachPlan struct {
	kprobes     []kprobeSpec
	tracepoints []string // events of the syscalls category
}

// attachPlanned attaches the plan's kprobes, in order, and falls back to its
// tracepoints when one fails and there are tracepoints to fall back to.
// Should some kprobes have attached before one failed, the module is rebuilt
// by withoutKprobes so no half-attached set is left behind.
func attachPlanned(m *bcc.Module, plan attachPlan, withoutKprobes func() (*bcc.Module, error), logf func(string, ...any)) (*bcc.Module, error) {
	if len(plan.kprobes) > 0 {
		err := attachKprobes(m, plan.kprobes)
		if err == nil {
			logf("attached %v", m.Attached())
			return m, nil
		}
		if len(plan.tracepoints) == 0 {
			return m, err
		}
		logf("falling back to tracepoints: %v", err)
		if len(m.Attached()) > 0 {
			m.Close()
			if m, err = withoutKprobes(); err != nil {
				return m, err
			}
		}
	}
	for _, ev := range plan.tracepoints {
		if err := m.AttachTracepoint("syscalls", ev); err != nil {
			return m, err
		}
	}
	logf("attached %v", m.Attached())
	return m, nil
}

func attachKprobes(m *bcc.Module, kprobes []kprobeSpec) error {
	for _, k := range kprobes {
		var err error
		if k.ret {
			err = m.AttachKretprobe(k.fn, k.prog)
		} else {
			err = m.AttachKprobe(k.fn, k.prog)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
