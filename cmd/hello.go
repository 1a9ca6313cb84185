package cmd

import (
	"fmt"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/output"
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
		&cli.StringFlag{Name: "duration", Aliases: []string{"d"}, Usage: "stop after `DURATION` (seconds, or a Go duration such as 1m30s)"},
		&cli.StringFlag{Name: "attach", Value: "auto", Usage: "how to attach: `MODE` is auto, kprobe or tracepoint"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say which headers and attach path were chosen, and why"},
		&cli.BoolFlag{Name: "ebpf", Usage: "print the generated C program and exit (needs no root)"},
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
	stderr := c.App.ErrWriter
	opts := hello.HelloOptions{Tag: session.NewTag()}

	if c.Bool("ebpf") {
		opts.Kprobe = mode != "tracepoint"
		if mode != "kprobe" {
			opts.Tracepoints = hello.HelloSyscalls
		}
		src, err := hello.RenderHello(opts)
		if err != nil {
			return err
		}
		_, err = io.WriteString(c.App.Writer, src)
		return err
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop hello", Stdout: c.App.Writer, Stderr: stderr,
		Verbose: c.Bool("verbose"), Duration: d, TracePipe: true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	logf, traceDir, pipe := s.Logf, s.TraceDir, s.Pipe
	plan := attach.Plan{Fallback: true}
	if mode != "tracepoint" {
		ok, reason := kernel.Kprobes(traceDir)
		if ok || mode == "kprobe" {
			for _, sc := range hello.HelloSyscalls {
				fn, err := kernel.SyscallFunction(sc)
				if err != nil {
					logf("no kprobe for %s: %v", sc, err)
					continue
				}
				plan.Kprobes = append(plan.Kprobes, attach.Kprobe{Function: fn, Program: hello.HelloKprobe})
			}
			opts.Kprobe = len(plan.Kprobes) > 0
		} else {
			logf("not using kprobes: %s", reason)
		}
		if mode == "kprobe" && !opts.Kprobe {
			return fmt.Errorf("--attach kprobe: no clone syscall function in /proc/kallsyms")
		}
	}
	if mode != "kprobe" {
		for _, sc := range hello.HelloSyscalls {
			if tracefs.HasEvent(traceDir, "syscalls", "sys_enter_"+sc) {
				opts.Tracepoints = append(opts.Tracepoints, sc)
				plan.Tracepoints = append(plan.Tracepoints, attach.Tracepoint{Category: "syscalls", Event: "sys_enter_" + sc})
			}
		}
	}
	if !opts.Kprobe && len(opts.Tracepoints) == 0 {
		return fmt.Errorf("no way to trace clone(): kprobes unavailable and no clone tracepoints in %s/events/syscalls", traceDir)
	}

	src, err := hello.RenderHello(opts)
	if err != nil {
		return err
	}
	if err := s.Load(src); err != nil {
		return err
	}
	plan.WithoutKprobes = func() (string, error) {
		opts.Kprobe = false
		return hello.RenderHello(opts)
	}
	if err := s.Attach(plan); err != nil {
		return err
	}

	o := s.Out
	ctx := s.Begin("clone() calls", func() {
		fmt.Fprintf(o.Out, "%-18s %-16s %-6s %s\n", "TIME(s)", "COMM", "PID", "MESSAGE")
	})
	var lines, bad uint64
	lostTotal := func() uint64 { return pipe.Lost() + bad + o.Dropped }
	pipe.OnLost = func(_, _ uint64) { o.ReportLost(lostTotal(), "line") }
	var buf []byte
	err = pipe.ReadRaw(ctx, func(raw string) (bool, error) {
		l, ours, err := hello.ParseHelloLine(opts.Tag, raw)
		switch {
		case !ours:
			return false, nil
		case err != nil:
			bad++
			o.Report("%v", err)
		case !o.Backlogged():
			lines++
			buf = append(strconv.AppendFloat(buf[:0], l.Timestamp, 'f', 6, 64), ' ')
			for n := len(buf); n < 19; n++ {
				buf = append(buf, ' ')
			}
			buf = append(output.AppendEscapedLeft(buf, []byte(l.Task), 16), ' ')
			buf = append(output.AppendLeft(buf, strconv.AppendInt(nil, int64(l.PID), 10), 6), ' ')
			buf = append(append(buf, hello.HelloMessage...), '\n')
			o.Out.Write(buf)
			o.Out.Flush()
		}
		o.ReportLost(lostTotal(), "line")
		return false, o.Out.Err()
	})
	return s.Finish(err, session.CountSummary(lines, "line", lostTotal()))
}
