package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/mounts"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/programs/life"
)

var lifeCommand = &cli.Command{
	Name:      "life",
	Usage:     "how long files created while tracing live before they are unlinked (filelife)",
	UsageText: "gosnoop life [options]",
	Description: "Prints one line per file that was created and then unlinked (or replaced\n" +
		"by a rename over it) while tracing, with its age; PID and COMM are the\n" +
		"process that ended it. With kprobes (vfs_open of a file an open created,\n" +
		"vfs_create, security_inode_create; vfs_unlink, vfs_rename) the kernel follows\n" +
		"each file by its dentry, through renames. On the syscall tracepoints (no\n" +
		"kprobes) a file is born when an open, openat, openat2 or creat created it,\n" +
		"moves with a rename and dies at an unlink of its path or a rename over it;\n" +
		"gosnoop matches these by path, so there it misses a file unlinked or renamed\n" +
		"through a symbolic link or \"..\" in the pathname, one whose directory was\n" +
		"renamed, and a hard link's other name. Files made by mknod count only with\n" +
		"kprobes.",
	CustomHelpTemplate: helpWithExamples(`gosnoop life                      # trace the lives of short-lived files
   gosnoop life -p 181               # only files created and unlinked by PID 181
   gosnoop life -F                   # full paths instead of names
   gosnoop life -c 'make -j2'        # run make and trace it and its children
   gosnoop life --cgroup system.slice/docker-<id>.scope   # one container
   gosnoop life --json -d 10         # JSON lines, for ten seconds`),
	Flags: []cli.Flag{
		pidFlag,
		cgroupFlag,
		execFlag,
		&cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "TIME(s): seconds since the first file printed, instead of the time of day"},
		&cli.BoolFlag{Name: "full-path", Aliases: []string{"F"}, Usage: "show each file's path, not only its name"},
		durationFlag,
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per file"},
		attachFlag,
		verboseFlag,
		ebpfFlag,
		noCacheFlag,
	},
	OnUsageError: onUsageError,
	Action:       runLife,
}

func runLife(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("life takes no arguments, got %q (see gosnoop life --help)", c.Args().First())
	}
	ids, err := parseIDFlags(c)
	if err != nil {
		return err
	}
	duration, err := optionalDuration(c)
	if err != nil {
		return err
	}
	mode, err := parseAttachMode(c.String("attach"))
	if err != nil {
		return err
	}
	tasks, err := parseTaskFlags(c)
	if err != nil {
		return err
	}
	o := life.Options{PID: ids.pid, Tasks: tasks.render()}
	if c.Bool("ebpf") {
		return printProgram(c.App.Writer, func(k kernel.View, logf func(string, ...any)) error {
			_, err := life.Plan(&o, mode, k, logf)
			return err
		}, func() (string, error) {
			src, err := life.Render(o)
			return src + render.PIDComment(o.PID) + tasks.comment(), err
		})
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop life", Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
		Verbose: c.Bool("verbose"), Duration: duration,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := startTasks(s, tasks)
	if err != nil {
		return err
	}
	defer t.stop()
	plan, err := life.Plan(&o, mode, kernel.Live{Dir: s.TraceDir}, s.Logf)
	if err != nil {
		return err
	}
	s.NeedKernelTypes(o.KernelTypes()...)
	table, err := mounts.Load("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	tracker := life.NewTracker(table)
	p := life.NewPrinter(s.Out.Out, life.PrintOptions{JSON: c.Bool("json"), Timestamp: c.Bool("timestamp"), FullPath: c.Bool("full-path")})
	var ev life.Event
	var bad uint64
	reader := session.Reader{
		Table: life.EventsTable, Ring: o.Ring, LostTable: life.LostTable, Pages: 64, Wakeup: 1,
		OnSample: func(b []byte) {
			if life.DecodeEvent(b, &ev) != nil {
				bad++
				return
			}
			if l, ok := tracker.Event(&ev); ok {
				p.Print(&l)
			}
		},
	}
	src, err := life.Render(o)
	if err != nil {
		return err
	}
	tracePID(s, o.PID)
	if err := s.Load(src, reader); err != nil {
		return err
	}
	if err := s.Attach(plan); err != nil {
		return err
	}
	if err := t.attach(); err != nil {
		return err
	}
	if !o.Kprobe {
		s.Logf("on the tracepoints, births, renames and unlinks are matched by path: a file unlinked or renamed through a symbolic link or \"..\" in the pathname, one whose directory was renamed, or a hard link's other name is missed; files made by mknod are not seen")
	}

	if err := t.begin(s.Begin("file lives", p.Header)); err != nil {
		return err
	}
	lost, err := s.Drain()
	if bad > 0 {
		s.Out.Report("%d %s too short to decode", bad, output.Plural(bad, "sample"))
	}
	if tracker.Forgotten > 0 {
		s.Out.Report("%d %s forgotten: more than %d files created and not yet unlinked", tracker.Forgotten, output.Plural(tracker.Forgotten, "birth"), tracker.Max)
	}
	if tracker.Unplaced > 0 {
		s.Out.Report("%d %s not followed: paths deeper than %d directories", tracker.Unplaced, output.Plural(tracker.Unplaced, "file"), life.MaxDepth)
	}
	t.report()
	return t.end(s.Finish(err, session.CountSummary(p.Lives(), "file", lost)))
}
