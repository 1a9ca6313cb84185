package cmd

import (
	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/hello"
)

var helloCommand = &cli.Command{
	Name:      "hello",
	Usage:     "print Hello, World! on every clone (bcc's hello world, through trace_pipe)",
	UsageText: "gosnoop hello [options]",
	Description: "Attaches a program calling bpf_trace_printk(\"Hello, World!\") to the clone and\n" +
		"clone3 syscalls (kprobes where they attach, sys_enter tracepoints otherwise)\n" +
		"and prints the lines it writes to trace_pipe, skipping everyone else's.",
	CustomHelpTemplate: helpWithExamples(`gosnoop hello                     # a line for every new process or thread
   gosnoop hello -d 5                # for five seconds
   gosnoop hello --ebpf              # print the generated C and exit`),
	Flags: []cli.Flag{
		durationFlag,
		attachFlag,
		verboseFlag,
		ebpfFlag,
		noCacheFlag,
	},
	OnUsageError: onUsageError,
	Action:       runHello,
}

func runHello(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("hello takes no arguments, got %q", c.Args().First())
	}
	mode, err := parseAttachMode(c.String("attach"))
	if err != nil {
		return err
	}
	d, err := optionalDuration(c)
	if err != nil {
		return err
	}
	opts := hello.Options{Tag: session.NewTag()}

	if c.Bool("ebpf") {
		return printProgram(c.App.Writer, func(k kernel.View, logf func(string, ...any)) error {
			_, err := hello.Plan(&opts, mode, k, logf)
			return err
		}, func() (string, error) { return hello.Render(opts) })
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop hello", Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
		Verbose: c.Bool("verbose"), Duration: d, TracePipe: true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	plan, err := hello.Plan(&opts, mode, kernel.Live{Dir: s.TraceDir}, s.Logf)
	if err != nil {
		return err
	}
	src, err := hello.Render(opts)
	if err != nil {
		return err
	}
	if err := s.Load(src); err != nil {
		return err
	}
	if err := s.Attach(plan); err != nil {
		return err
	}

	p := hello.NewPrinter(s.Out.Out)
	s.Begin("clone() calls", p.Header)
	var line tracefs.Line
	lost, err := s.DrainTracePipe("line", func(raw string) (tracefs.LineKind, error) {
		l, ours, err := hello.ParseLine(opts.Tag, raw)
		switch {
		case !ours:
			return tracefs.LineOther, nil
		case err != nil:
			return tracefs.LineBad, err
		}
		line = l
		return tracefs.LineEvent, nil
	}, func() { p.Print(line) }, nil)
	return s.Finish(err, session.CountSummary(p.Lines(), "line", lost))
}
