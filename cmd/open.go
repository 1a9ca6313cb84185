package cmd

import (
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/mounts"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/open"
)

var openCommand = &cli.Command{
	Name:      "open",
	Usage:     "trace open(2), openat(2) and openat2(2) calls (opensnoop)",
	UsageText: "gosnoop open [options]",
	Description: "Prints one line per open call with its result: the fd, or the errno of a\n" +
		"failed call. Attaches kprobes on the kernel's do_sys_open family where it can,\n" +
		"and the syscalls tracepoints where it cannot.\n\n" +
		"-F prints a relative path joined to the directory it was relative to (the\n" +
		"working directory, or the directory fd of openat), found in the kernel by\n" +
		"walking that directory's dentries up to its filesystem's root (32 names at\n" +
		"most; a deeper one starts with \"…/\") and placed through gosnoop's mount table\n" +
		"(\"dev MAJOR:MINOR:/...\" when gosnoop's mounts do not show it). The join is\n" +
		"lexical: \"..\" climbs the names, not symbolic links. Absolute paths are\n" +
		"printed as given. -F reads kernel structs: it needs kernel headers or BTF.\n\n" +
		"-f keeps the opens with any of the flags named (O_WRONLY, creat, ...; with or\n" +
		"without O_, any case), checked in the kernel; O_RDONLY, O_WRONLY and O_RDWR\n" +
		"are compared with the access mode (flags & O_ACCMODE).",
	CustomHelpTemplate: helpWithExamples(`gosnoop open                      # trace all open() calls
   gosnoop open -T                   # include timestamps
   gosnoop open -U                   # include UID
   gosnoop open -x                   # only failed opens
   gosnoop open -x -E                # only failed opens, errors by name
   gosnoop open -p 181               # only PID 181
   gosnoop open -t 123               # only TID 123
   gosnoop open -u 1000              # only UID 1000
   gosnoop open -c 'ls /tmp'         # run ls and trace it (and its children) only
   gosnoop open --cgroup system.slice/docker-<id>.scope   # one container
   gosnoop open -d 10                # trace for 10 seconds only
   gosnoop open -n main              # only process names containing "main"
   gosnoop open -F                   # relative paths as absolute ones
   gosnoop open -f O_WRONLY,O_RDWR   # only opens for writing
   gosnoop open -e                   # show extended fields (flags, mode)
   gosnoop open --json               # one JSON object per line
   gosnoop open --output trace-pipe  # read bpf_trace_printk lines instead of perf events
   gosnoop open --attach tracepoint  # skip kprobes
   gosnoop open --ebpf               # print the generated C and exit`),
	Flags: []cli.Flag{
		pidFlag,
		tidFlag,
		uidFlag,
		cgroupFlag,
		execFlag,
		&cli.BoolFlag{Name: "failed", Aliases: []string{"x"}, Usage: "only show failed opens"},
		nameFlag,
		timestampFlag,
		&cli.BoolFlag{Name: "print-uid", Aliases: []string{"U"}, Usage: "include a UID column"},
		&cli.BoolFlag{Name: "extended-fields", Aliases: []string{"e"}, Usage: "include the open flags and mode (octal)"},
		&cli.BoolFlag{Name: "errno-names", Aliases: []string{"E"}, Usage: "show ERR as a name (ENOENT) rather than a number"},
		&cli.BoolFlag{Name: "full-path", Aliases: []string{"F"}, Usage: "show relative paths as absolute ones (resolved in the kernel, cleaned lexically)"},
		&cli.StringFlag{Name: "flag-filter", Aliases: []string{"f"}, Usage: "only opens with any of the open `FLAGS` (comma-separated: O_WRONLY,O_CREAT; in the kernel)"},
		durationFlag,
		bufferPagesFlag,
		jsonFlag,
		attachFlag,
		&cli.StringFlag{Name: "output", Value: "auto", Usage: "how events reach user space: `OUTPUT` is auto (ringbuf where the kernel has it, else perf), perf, ringbuf or trace-pipe"},
		verboseFlag,
		ebpfFlag,
		noCacheFlag,
	},
	OnUsageError: onUsageError,
	Action:       runOpen,
}

// openConfig is the validated command line of gosnoop open.
type openConfig struct {
	prog     open.Options
	print    open.PrintOptions
	attach   attach.Mode
	ebpf     bool
	verbose  bool
	duration time.Duration
	pages    int
	tasks    taskFilters
}

// Largest pid the kernel can hand out (PID_MAX_LIMIT on 64-bit).
const maxPID = 4194304

func parseOpenFlags(c *cli.Context) (openConfig, error) {
	cfg := openConfig{
		prog: open.Options{
			UID:        render.AnyUID,
			FailedOnly: c.Bool("failed"),
			Output:     open.Output(c.String("output")),
		},
		print: open.PrintOptions{
			Name:       c.String("name"),
			Timestamp:  c.Bool("timestamp"),
			PrintUID:   c.Bool("print-uid"),
			Extended:   c.Bool("extended-fields"),
			JSON:       c.Bool("json"),
			TIDColumn:  c.IsSet("tid"),
			ErrnoNames: c.Bool("errno-names"),
			FullPath:   c.Bool("full-path"),
		},
		ebpf:    c.Bool("ebpf"),
		verbose: c.Bool("verbose"),
	}
	if c.NArg() > 0 {
		return cfg, usageErrorf("open takes no arguments, got %q (see gosnoop open --help)", c.Args().First())
	}
	ids, err := parseIDFlags(c)
	if err != nil {
		return cfg, err
	}
	cfg.prog.PID, cfg.prog.TID, cfg.prog.UID = ids.pid, ids.tid, ids.uid
	cfg.prog.FullPath = cfg.print.FullPath
	if c.IsSet("flag-filter") {
		if cfg.prog.Flags, err = open.ParseFlagFilter([]string{c.String("flag-filter")}); err != nil {
			return cfg, usageErrorf("--flag-filter: %v", err)
		}
	}
	if cfg.tasks, err = parseTaskFlags(c); err != nil {
		return cfg, err
	}
	cfg.prog.Tasks = cfg.tasks.render()
	if cfg.attach, err = parseAttachMode(c.String("attach")); err != nil {
		return cfg, err
	}
	switch cfg.prog.Output {
	case open.OutputAuto, open.OutputPerf, open.OutputRingbuf:
	case open.OutputTracePipe:
		// bpf_trace_printk carries three values: pid and result, comm, path.
		if cfg.print.PrintUID || cfg.print.Extended || cfg.print.FullPath {
			return cfg, usageErrorf("--print-uid, --extended-fields and --full-path need --output perf or ringbuf (trace_pipe lines carry only pid, result, comm and path)")
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
	if cfg.prog.Output == open.OutputTracePipe {
		cfg.prog.Tag = session.NewTag()
	}
	wakeup := session.PerfWakeupFor(cfg.pages, open.EventSize)

	if cfg.ebpf {
		return printProgram(c.App.Writer, func(k kernel.View, logf func(string, ...any)) error {
			open.ChooseOutput(&cfg.prog, k, cfg.pages, runtime.NumCPU(), wakeup, logf)
			return open.Plan(&cfg.prog, cfg.attach, k, logf)
		}, func() (string, error) {
			src, err := open.Render(cfg.prog)
			return src + cfg.prog.ConfigComment() + cfg.tasks.comment(), err
		})
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop open", Stdout: c.App.Writer, Stderr: stderr, Verbose: cfg.verbose,
		Duration: cfg.duration, TracePipe: cfg.prog.Output == open.OutputTracePipe,
		KernelTypes: cfg.prog.KernelTypes(),
	})
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := startTasks(s, cfg.tasks)
	if err != nil {
		return err
	}
	defer t.stop()
	view := kernel.Live{Dir: s.TraceDir}
	open.ChooseOutput(&cfg.prog, view, cfg.pages, runtime.NumCPU(), wakeup, s.Logf)
	if err := open.Plan(&cfg.prog, cfg.attach, view, s.Logf); err != nil {
		return err
	}
	p := open.NewPrinter(s.Out.Out, cfg.print)
	var ev open.Event
	var bad uint64
	var places *mounts.Table
	if cfg.prog.FullPath {
		if places, err = mounts.Load("/proc/self/mountinfo"); err != nil {
			return err
		}
	}
	var readers []session.Reader
	if s.Pipe == nil {
		readers = append(readers, session.Reader{
			Table: open.EventsTable, Ring: cfg.prog.Output == open.OutputRingbuf, LostTable: open.LostTable,
			Pages: cfg.pages, Wakeup: wakeup,
			OnSample: func(b []byte) {
				if open.DecodeEvent(b, &ev) != nil {
					bad++
					return
				}
				if places == nil {
					p.Print(&ev)
					return
				}
				walk, err := open.Walk(b, &ev)
				if err != nil {
					bad++
					return
				}
				full, cut := open.FullPath(places, &ev, walk)
				p.PrintFull(&ev, []byte(full), cut)
			},
		})
	}
	src, err := open.Render(cfg.prog)
	if err != nil {
		return err
	}
	if cfg.prog.Filtered() {
		addInit(s, func(m *bcc.Module) error { return m.WriteArray(open.ConfigTable, 0, cfg.prog.Config()) })
	}
	if err := s.Load(src, readers...); err != nil {
		return err
	}
	if err := s.Attach(open.AttachPlan(cfg.prog)); err != nil {
		return err
	}
	if err := t.attach(); err != nil {
		return err
	}

	if err := t.begin(s.Begin("open() calls", p.Header)); err != nil {
		return err
	}
	var lost uint64
	if s.Pipe == nil {
		lost, err = s.Drain()
		if bad > 0 {
			s.Out.Report("%d %s too short to decode", bad, output.Plural(bad, "sample"))
		}
	} else {
		dec := open.NewTraceDecoder(cfg.prog.Tag)
		lost, err = s.DrainTracePipe("event", func(raw string) (tracefs.LineKind, error) {
			return dec.Feed(raw, &ev)
		}, func() { p.Print(&ev) }, dec.Finish)
	}
	t.report()
	return t.end(s.Finish(err, session.CountSummary(p.Events(), "event", lost)))
}
