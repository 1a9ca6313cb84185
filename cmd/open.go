package cmd

import (
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/open"
)

var openCommand = &cli.Command{
	Name:      "open",
	Usage:     "trace open(2), openat(2) and openat2(2) calls (opensnoop)",
	UsageText: "gosnoop open [options]",
	Description: "Prints one line per open call with its result: the fd, or the errno of a\n" +
		"failed call. Attaches kprobes on the kernel's do_sys_open family where it can,\n" +
		"and the syscalls tracepoints where it cannot.",
	CustomHelpTemplate: helpWithExamples(`gosnoop open                      # trace all open() calls
   gosnoop open -T                   # include timestamps
   gosnoop open -U                   # include UID
   gosnoop open -x                   # only failed opens
   gosnoop open -p 181               # only PID 181
   gosnoop open -t 123               # only TID 123
   gosnoop open -u 1000              # only UID 1000
   gosnoop open -d 10                # trace for 10 seconds only
   gosnoop open -n main              # only process names containing "main"
   gosnoop open -e                   # show extended fields (flags, mode)
   gosnoop open --json               # one JSON object per line
   gosnoop open --output trace-pipe  # read bpf_trace_printk lines instead of perf events
   gosnoop open --attach tracepoint  # skip kprobes
   gosnoop open --ebpf               # print the generated C and exit`),
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "trace process `PID` only"},
		&cli.StringFlag{Name: "tid", Aliases: []string{"t"}, Usage: "trace thread `TID` only"},
		&cli.StringFlag{Name: "uid", Aliases: []string{"u"}, Usage: "trace user `UID` only"},
		&cli.BoolFlag{Name: "failed", Aliases: []string{"x"}, Usage: "only show failed opens"},
		&cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "only show process names containing `TEXT`"},
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "include a timestamp column (seconds since the first event)"},
		&cli.BoolFlag{Name: "print-uid", Aliases: []string{"U"}, Usage: "include a UID column"},
		&cli.BoolFlag{Name: "extended-fields", Aliases: []string{"e"}, Usage: "include the open flags and mode (octal)"},
		&cli.StringFlag{Name: "duration", Aliases: []string{"d"}, Usage: "stop after `DURATION` (seconds, or a Go duration such as 1m30s)"},
		&cli.StringFlag{Name: "buffer-pages", Aliases: []string{"b"}, Value: "64", Usage: "perf buffer size per CPU in `PAGES` (a power of two, decimal)"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per event"},
		&cli.StringFlag{Name: "attach", Value: "auto", Usage: "how to attach: `MODE` is auto, kprobe or tracepoint"},
		&cli.StringFlag{Name: "output", Value: "auto", Usage: "how events reach user space: `OUTPUT` is auto (ringbuf where the kernel has it, else perf), perf, ringbuf or trace-pipe"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say which headers and attach path were chosen, and why"},
		&cli.BoolFlag{Name: "ebpf", Usage: "print the generated C program and exit (needs no root)"},
	},
	OnUsageError: onUsageError,
	Action:       runOpen,
}

// openConfig is the validated command line of gosnoop open.
type openConfig struct {
	prog      open.OpenOptions
	attach    string
	name      string
	timestamp bool
	printUID  bool
	extended  bool
	json      bool
	ebpf      bool
	verbose   bool
	duration  time.Duration
	pages     int
	tidColumn bool
}

// Largest pid the kernel can hand out (PID_MAX_LIMIT on 64-bit).
const maxPID = 4194304

func parseOpenFlags(c *cli.Context) (openConfig, error) {
	cfg := openConfig{
		prog: open.OpenOptions{
			UID:        render.AnyUID,
			FailedOnly: c.Bool("failed"),
			Output:     open.Output(c.String("output")),
		},
		attach:    c.String("attach"),
		name:      c.String("name"),
		timestamp: c.Bool("timestamp"),
		printUID:  c.Bool("print-uid"),
		extended:  c.Bool("extended-fields"),
		json:      c.Bool("json"),
		ebpf:      c.Bool("ebpf"),
		verbose:   c.Bool("verbose"),
		tidColumn: c.IsSet("tid"),
	}
	if c.NArg() > 0 {
		return cfg, usageErrorf("open takes no arguments, got %q (see gosnoop open --help)", c.Args().First())
	}
	ids, err := parseIDFlags(c)
	if err != nil {
		return cfg, err
	}
	cfg.prog.PID, cfg.prog.TID, cfg.prog.UID = ids.pid, ids.tid, ids.uid
	if cfg.attach, err = parseAttachMode(cfg.attach); err != nil {
		return cfg, err
	}
	switch cfg.prog.Output {
	case "auto", open.OutputPerf, open.OutputRingbuf:
	case open.OutputTracePipe:
		// bpf_trace_printk carries three values: pid and result, comm, path.
		if cfg.printUID || cfg.extended {
			return cfg, usageErrorf("--print-uid and --extended-fields need --output perf or ringbuf (trace_pipe lines carry only pid, result, comm and path)")
		}
	default:
		return cfg, usageErrorf("--output must be auto, perf, ringbuf or trace-pipe, not %q", cfg.prog.Output)
	}
	if cfg.pages, err = parseBufferPages(c); err != nil {
		return cfg, err
	}
	if cfg.duration, err = optionalDuration(c); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func runOpen(c *cli.Context) error {
	cfg, err := parseOpenFlags(c)
	if err != nil {
		return err
	}
	stderr := c.App.ErrWriter
	logf := verboseLogger(stderr, cfg.verbose)
	if cfg.prog.Output == open.OutputTracePipe {
		cfg.prog.Tag = newTag()
	}
	chooseOpenOutput(&cfg, logf)

	if cfg.ebpf {
		planOpenForDisplay(&cfg)
		src, err := open.RenderOpen(cfg.prog)
		if err != nil {
			return err
		}
		_, err = io.WriteString(c.App.Writer, src)
		return err
	}

	sigCtx, stopSignals := signalContext(c.Context)
	defer stopSignals()
	traceDir, err := prepareTracing("gosnoop open")
	if err != nil {
		return err
	}
	// trace_pipe has one reader: take it before compiling, so a busy one
	// fails first and no printk line of ours reaches the other reader.
	var pipe *tracefs.Pipe
	if cfg.prog.Output == open.OutputTracePipe {
		if pipe, err = openTracePipe(traceDir); err != nil {
			return err
		}
		defer pipe.Close()
	}
	if err := planOpen(&cfg, traceDir, logf); err != nil {
		return err
	}
	m, err := compileOpen(cfg, stderr, logf)
	if err != nil {
		return err
	}
	defer func() { m.Close() }()

	// The reader opens before anything attaches, so no event finds it missing.
	o := newRunOutput(sigCtx, c.App.Writer, stderr)
	p := newOpenPrinter(o.out, cfg)
	var events *openEventReader
	if pipe == nil {
		if events, err = openOpenEvents(m, cfg, p); err != nil {
			return err
		}
		defer func() { events.close() }()
	}
	withoutKprobes := func() (*bcc.Module, error) {
		cfg.prog.Kprobe = ""
		m2, err := compileOpen(cfg, io.Discard, logf)
		if err == nil && events != nil {
			events.close()
			events, err = openOpenEvents(m2, cfg, p)
		}
		return m2, err
	}
	if m, err = attachPlanned(m, openAttachPlan(cfg.prog), withoutKprobes, logf); err != nil {
		return withVerifierLog(err, logf)
	}

	ctx, stop := traceContext(sigCtx, cfg.duration)
	defer stop()
	if ctx.Err() == nil {
		p.header()
	}
	printStartLine(ctx, o.errOut, "open() calls", cfg.duration)

	var lost uint64
	if events != nil {
		err = events.run(ctx, o)
		var lerr error
		if lost, lerr = events.lost(); err == nil {
			err = lerr
		}
	} else {
		lost, err = readOpenTracePipe(ctx, pipe, cfg, p, o)
	}
	return o.finish(err, countSummary(p.events, "event", lost))
}
