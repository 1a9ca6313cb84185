// Package session runs what every tracing command shares, in one order and
// with one teardown: signals, privileges and tracefs, trace_pipe when the
// program prints there, the compile, the event readers, attaching with the
// kprobe-to-tracepoint fallback, the drain loop with its drop reports, and
// the summary. A command parses its flags, renders its program, and hands
// both to a Session.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/caps"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// Config says what a run needs before anything is compiled.
type Config struct {
	Command        string // "gosnoop open": the privileges message names it
	Stdout, Stderr io.Writer
	Verbose        bool
	Duration       time.Duration // 0: until a signal
	// TracePipe: the program prints to trace_pipe, which has one reader on
	// the whole system; it is taken before compiling, so a busy one fails
	// first and no line of ours reaches the other reader.
	TracePipe bool
	// ReadOnly: the run loads no program and only reads trace_pipe, which
	// needs no BPF privileges, only access to tracefs; its start line says
	// what it reads.
	ReadOnly bool
	// KernelTypes are the kernel types the program names: where gosnoop
	// generates headers from the kernel's BTF, it declares these.
	KernelTypes []btfheader.Root
}

// Session is one tracing run. Start it, Load a program, Attach it, Begin,
// read until the context Begin returns ends, Finish; Close undoes it all.
type Session struct {
	cfg      Config
	Logf     func(format string, args ...any) // -v lines on stderr
	TraceDir string
	Pipe     *tracefs.Pipe // with Config.TracePipe
	Out      *Output       // where the run prints once it traces
	// Init, when set, runs after every Load (the attach fallback loads
	// again): it writes the settings a program reads from its tables.
	Init func(*bcc.Module) error
	// Tick, when set, runs in Drain's loop between polls (every
	// PollInterval at most), on the goroutine that prints events: periodic
	// work such as printing aggregations at each interval.
	Tick func() error

	sig, trace         context.Context
	stopSig, stopTrace context.CancelFunc
	m                  *bcc.Module
	readerSpecs        []Reader
	readers            []*reader
	minimalSaid        bool
}

// Start catches the signals that end a run, then checks the privileges and
// tracefs (mounting it if needed) and, with cfg.TracePipe, opens trace_pipe.
// A signal from then on ends the run through Close rather than killing the
// process, even during the compile.
func Start(ctx context.Context, cfg Config) (*Session, error) {
	s := &Session{cfg: cfg, Logf: Logger(cfg.Stderr, cfg.Verbose)}
	s.sig, s.stopSig = SignalContext(ctx)
	fail := func(err error) (*Session, error) {
		s.Close()
		if errors.Is(err, os.ErrPermission) {
			err = fmt.Errorf("%w (try: sudo %s)", err, cfg.Command)
		}
		return nil, err
	}
	if !cfg.ReadOnly {
		if err := caps.Check(cfg.Command); err != nil {
			return fail(err)
		}
	}
	var err error
	if s.TraceDir, err = tracefs.Dir(); err != nil {
		return fail(err)
	}
	if cfg.TracePipe {
		if s.Pipe, err = tracefs.OpenPipe(s.TraceDir); err != nil {
			return fail(err)
		}
	}
	s.Out = NewOutput(s.sig, cfg.Stdout, cfg.Stderr)
	return s, nil
}

// Close detaches the programs and frees everything, readers first.
func (s *Session) Close() {
	s.closeReaders()
	s.m.Close()
	s.m = nil
	if s.Pipe != nil {
		s.Pipe.Close()
	}
	if s.stopTrace != nil {
		s.stopTrace()
	}
	s.stopSig()
}

// Reader is a BPF_PERF_OUTPUT or BPF_RINGBUF_OUTPUT table to read.
type Reader struct {
	Table string
	Ring  bool
	// LostTable is the program's own count of events the buffer had no
	// room for (a BPF_ARRAY, index 0): exact, where perf tells the reader
	// only once a later event fits and a ring buffer tells nothing.
	LostTable string
	Pages     int // perf: pages per CPU, a power of two
	Wakeup    int // perf: samples per wakeup
	// OnSample gets each sample on the polling goroutine, as a slice valid
	// only during the call.
	OnSample func([]byte)
}

type reader struct {
	spec  Reader
	poll  func(time.Duration)
	close func()
	lost  func() uint64 // what the kernel told a perf reader
}

// NeedKernelTypes adds to the kernel types the next Load declares, for a
// program whose types depend on its plan.
func (s *Session) NeedKernelTypes(roots ...btfheader.Root) {
	s.cfg.KernelTypes = append(s.cfg.KernelTypes, roots...)
}

// Module is the loaded program, for programs that keep their counts in
// tables read from Go (nil before Load, or after a signal stopped it).
func (s *Session) Module() *bcc.Module { return s.m }

// Load compiles src and opens its readers, before anything attaches, so no
// event finds them missing. Attach's fallback loads again. After a signal it
// does nothing: the run is over.
func (s *Session) Load(src string, readers ...Reader) error {
	if s.sig.Err() != nil {
		return nil
	}
	s.closeReaders()
	s.m.Close()
	s.readerSpecs = readers
	var err error
	if s.m, err = s.compile(src); err != nil {
		return err
	}
	for _, spec := range readers {
		r := &reader{spec: spec, lost: func() uint64 { return 0 }}
		if spec.Ring {
			rr, err := s.m.OpenRing(spec.Table, spec.OnSample)
			if err != nil {
				return err
			}
			r.poll, r.close = rr.Poll, rr.Close
		} else {
			pr, err := s.m.OpenPerf(spec.Table, bcc.PerfOptions{Pages: spec.Pages, Wakeup: spec.Wakeup}, spec.OnSample)
			if err != nil {
				return err
			}
			r.poll, r.close, r.lost = pr.Poll, pr.Close, pr.Lost
		}
		s.readers = append(s.readers, r)
	}
	if s.Init != nil {
		return s.Init(s.m)
	}
	return nil
}

func (s *Session) closeReaders() {
	for _, r := range s.readers {
		r.close()
	}
	s.readers = nil
}

// compile compiles src, saying which headers and how long it took.
func (s *Session) compile(src string) (*bcc.Module, error) {
	start := time.Now()
	compile := bcc.Compile
	if s.cfg.TracePipe { // its lines carry this run's tag, in the C
		compile = bcc.CompileOnce
	}
	m, err := compile(src, s.cfg.KernelTypes...)
	if err != nil {
		return nil, err
	}
	if m.Headers.Note != "" {
		s.Logf("%s", m.Headers.Note)
	}
	switch {
	case m.Headers.Kind == kheaders.BTF && m.Headers.Generated != "":
		s.Logf("kernel headers: none installed for %s; generated from the kernel's BTF into %s (%s)", kheaders.Release(), m.Headers.Dir, m.Headers.Generated)
	case m.Headers.Kind == kheaders.BTF:
		s.Logf("kernel headers: none installed for %s; generated from the kernel's BTF earlier: %s", kheaders.Release(), m.Headers.Dir)
	case m.Headers.Kind != kheaders.Minimal:
		s.Logf("kernel headers: %s (%s)", m.Headers.Dir, m.Headers.Kind)
	case !s.minimalSaid:
		fmt.Fprintf(s.cfg.Stderr, "gosnoop: no kernel headers for %s; using gosnoop's minimal header tree (for real ones: %s)\n",
			kheaders.Release(), kheaders.InstallHint())
		s.minimalSaid = true
	}
	s.Logf("%s; ready to load in %v", m.Cache, time.Since(start).Round(time.Millisecond))
	if m.Warnings != "" {
		s.Logf("libbcc said while compiling:\n%s", m.Warnings)
	}
	return m, nil
}

// Attach attaches the plan. A refusal by the verifier is one line; -v
// prints its log. After a signal (one during the compile, say) it attaches
// nothing: the run ends with its summary.
func (s *Session) Attach(p attach.Plan) error {
	if s.sig.Err() != nil {
		return nil
	}
	if s.m == nil {
		return errors.New("session: Attach before Load")
	}
	err := s.attach(p)
	var verr *bcc.VerifierError
	if errors.As(err, &verr) {
		s.Logf("verifier log for %s:\n%s", verr.Program, verr.Log)
	}
	if err == nil {
		s.Logf("attached %v", s.m.Attached())
	}
	return err
}

func (s *Session) attach(p attach.Plan) error {
	k, err := s.attachKprobes(p.Kprobes)
	switch {
	case err == nil && p.Fallback && len(p.Kprobes) > 0:
		return nil // the tracepoints were only the fallback
	case err == nil:
		return s.attachTracepoints(p.Tracepoints)
	case !p.Fallback || len(p.Tracepoints) == 0:
		if p.KprobeError != nil {
			err = p.KprobeError(k, err)
		}
		return err
	}
	s.Logf("falling back to tracepoints: %v", err)
	if len(s.m.Attached()) > 0 {
		src, err := p.WithoutKprobes()
		if err != nil {
			return err
		}
		if err := s.Load(src, s.readerSpecs...); err != nil || s.sig.Err() != nil {
			return err
		}
	}
	return s.attachTracepoints(p.Tracepoints)
}

// attachKprobes attaches kprobes in order; on failure it returns the one
// that failed.
func (s *Session) attachKprobes(kprobes []attach.Kprobe) (attach.Kprobe, error) {
	for _, k := range kprobes {
		var err error
		if k.Return {
			err = s.m.AttachKretprobe(k.Function, k.Program)
		} else {
			err = s.m.AttachKprobe(k.Function, k.Program)
		}
		if err != nil {
			return k, err
		}
	}
	return attach.Kprobe{}, nil
}

func (s *Session) attachTracepoints(tps []attach.Tracepoint) error {
	for _, tp := range tps {
		if err := s.m.AttachTracepoint(tp.Category, tp.Event); err != nil {
			return err
		}
	}
	return nil
}

// Begin starts tracing: unless a signal already ended the run (during the
// compile), it has header write the column header on stdout and prints
// bcc's start line, "Tracing WHAT... Hit Ctrl-C to end.", on stderr. It
// returns the context that ends the tracing: a signal, the duration
// (counted from now), or Stop.
func (s *Session) Begin(what string, header func()) context.Context {
	if s.cfg.Duration > 0 {
		s.trace, s.stopTrace = context.WithTimeout(s.sig, s.cfg.Duration)
	} else {
		s.trace, s.stopTrace = context.WithCancel(s.sig)
	}
	if s.trace.Err() != nil {
		return s.trace
	}
	if header != nil {
		header()
	}
	doing := "Tracing " + what
	if s.cfg.ReadOnly {
		doing = "Reading " + s.TraceDir + "/trace_pipe"
	}
	if s.cfg.Duration > 0 {
		fmt.Fprintf(s.Out.ErrOut, "%s for %s... Hit Ctrl-C to end.\n", doing, s.cfg.Duration)
	} else {
		fmt.Fprintf(s.Out.ErrOut, "%s... Hit Ctrl-C to end.\n", doing)
	}
	s.Out.ErrOut.Flush()
	return s.trace
}

// Stop ends the tracing early (e.g. after --max-events).
func (s *Session) Stop() { s.stopTrace() }

// Drain reads the readers until the tracing ends, reporting drops as they
// are seen, and returns the events lost.
func (s *Session) Drain() (lost uint64, err error) {
	poll := func(d time.Duration) {
		for i, r := range s.readers {
			if i > 0 {
				d = 0
			}
			r.poll(d)
		}
	}
	err = s.Out.pollLoop(s.trace, poll, s.lost, s.Tick)
	if err == nil {
		poll(0) // what the last wakeup batch left in the buffers
	}
	lost, lerr := s.lost()
	if err == nil {
		err = lerr
	}
	return lost, err
}

// lost adds up every reader's drops: the program's exact count, or what the
// kernel told a perf reader if that is more.
func (s *Session) lost() (uint64, error) {
	var total uint64
	for _, r := range s.readers {
		var n uint64
		if r.spec.LostTable != "" {
			var err error
			if n, err = s.m.ReadCounter(r.spec.LostTable, 0); err != nil {
				return total, err
			}
		}
		total += max(n, r.lost())
	}
	return total, nil
}

// Finish writes out what is queued and prints the summary line.
func (s *Session) Finish(err error, summary string) error {
	return s.Out.Finish(err, summary)
}

// Logger prints "gosnoop: ..." lines to w when on. What it prints can quote
// libbcc or the kernel quoting headers and programs, so each line is
// escaped like an error message.
func Logger(w io.Writer, on bool) func(string, ...any) {
	return func(format string, args ...any) {
		if on {
			io.WriteString(w, output.EscapeLines("gosnoop: "+fmt.Sprintf(format, args...)))
		}
	}
}

// SignalContext ends on SIGINT, SIGTERM or SIGHUP (a closed terminal), and
// on SIGPIPE, so a reader that goes away (`| head`) ends the run through the
// same path instead of killing the process.
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
}

// NewTag returns the random marker that tells a run's trace_pipe lines from
// every other writer's, another gosnoop's included.
func NewTag() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		// Only another gosnoop started in the same nanosecond could collide.
		return strconv.FormatInt(time.Now().UnixNano()&0xffffffff, 16)
	}
	return hex.EncodeToString(b[:])
}

// PerfWakeupFor bounds a wakeup batch to half of a perf buffer of pages
// holding events of eventSize, so a small buffer is not lost waiting for a
// batch; per-sample wakeups slow the traced workload many times over.
func PerfWakeupFor(pages, eventSize int) int {
	const perfWakeup = 128
	return max(1, min(perfWakeup, pages*os.Getpagesize()/(eventSize+8)/2))
}

// DrainTracePipe reads trace_pipe until the tracing ends. decode sorts each
// line; print is called for each event while stdout keeps up; finish, when
// set, is called once reading ends and returns an error for an entry left
// incomplete. Lines of ours that do not decode, an incomplete entry, lines
// the kernel dropped, and events dropped while stdout was backlogged are all
// counted as lost and reported as they are seen. It returns the events lost.
func (s *Session) DrainTracePipe(what string, decode func(raw string) (tracefs.LineKind, error), print func(), finish func() error) (lost uint64, err error) {
	var bad uint64
	lostTotal := func() uint64 { return s.Pipe.Lost() + bad + s.Out.Dropped }
	overflow := fmt.Sprintf("the kernel's trace buffer overflowed (its size per CPU: %s/buffer_size_kb)", s.TraceDir)
	s.Pipe.OnLost = func(_, _ uint64) { s.Out.ReportLost(lostTotal(), what, overflow) }
	err = s.Pipe.Read(s.trace, func(raw string) (bool, error) {
		switch kind, err := decode(raw); kind {
		case tracefs.LineMore:
			return true, nil
		case tracefs.LineBad:
			bad++
			s.Out.Report("%v", err) // says what was wrong, so no hint follows
		case tracefs.LineEvent:
			if !s.Out.DropIfBacklogged() {
				print()
				s.Out.Out.Flush()
			}
		default:
			return false, nil
		}
		s.Out.ReportLost(lostTotal(), what, "")
		return false, s.Out.Out.Err()
	})
	if finish != nil {
		if ferr := finish(); ferr != nil {
			bad++
			s.Out.Report("%v", ferr)
		}
	}
	return lostTotal(), err
}
