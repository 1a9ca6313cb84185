package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

var tracePipeCommand = &cli.Command{
	Name:      "trace-pipe",
	Usage:     "read and decode trace_pipe, whoever writes to it",
	UsageText: "gosnoop trace-pipe [options]",
	Description: "Prints every trace_pipe line parsed into its fields: time, task, pid, cpu,\n" +
		"flags, event and message. Reading consumes the lines: trace_pipe has one reader.",
	CustomHelpTemplate: helpWithExamples(`gosnoop trace-pipe                   # everything: bpf_trace_printk, trace_marker, kprobe_events ...
   gosnoop trace-pipe --grep Hello      # only messages containing "Hello"
   gosnoop trace-pipe --json -d 10      # JSON lines for ten seconds`),
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "grep", Aliases: []string{"g"}, Usage: "only lines whose message contains `TEXT`"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per line"},
		durationFlag,
	},
	OnUsageError: onUsageError,
	Action:       runTracePipe,
}

func runTracePipe(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("trace-pipe takes no arguments, got %q (use --grep to filter)", c.Args().First())
	}
	d, err := optionalDuration(c)
	if err != nil {
		return err
	}
	grep, asJSON := c.String("grep"), c.Bool("json")
	sigCtx, stopSignals := session.SignalContext(c.Context)
	defer stopSignals()
	dir, err := tracefs.Dir()
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (try: sudo gosnoop trace-pipe)", err)
	}
	if err != nil {
		return err
	}
	pipe, err := session.OpenTracePipe(dir)
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w (trace_pipe is readable by root only; try: sudo gosnoop trace-pipe)", err)
	}
	if err != nil {
		return err
	}
	defer pipe.Close()
	if grep != "" {
		pipe.Keep = func(raw string) bool { return strings.Contains(raw, grep) }
	}
	ctx, stop := context.WithCancel(sigCtx)
	if d > 0 {
		ctx, stop = context.WithTimeout(sigCtx, d)
	}
	defer stop()

	o := session.NewOutput(sigCtx, c.App.Writer, c.App.ErrWriter)
	if !asJSON {
		fmt.Fprintf(o.Out, "%-14s %-16s %-7s %-3s %-5s %s\n", "TIME(s)", "TASK", "PID", "CPU", "FLAGS", "EVENT: MESSAGE")
	}
	fmt.Fprintf(o.ErrOut, "Reading %s/trace_pipe... Hit Ctrl-C to end.\n", dir)
	o.ErrOut.Flush()
	lostTotal := func() uint64 { return pipe.Lost() + o.Dropped }
	pipe.OnLost = func(_, _ uint64) { o.ReportLost(lostTotal(), "line") }
	var lines uint64
	var buf []byte
	err = pipe.Read(ctx, func(l tracefs.Line) error {
		if grep != "" && !strings.Contains(l.Message, grep) {
			return nil
		}
		if !o.Backlogged() {
			lines++
			if asJSON {
				buf = appendTraceLineJSON(buf[:0], l)
			} else {
				buf = appendTraceLineRow(buf[:0], l)
			}
			o.Out.Write(buf)
			o.Out.Flush()
		}
		o.ReportLost(lostTotal(), "line")
		return o.Out.Err()
	})
	if bad := pipe.Bad(); bad > 0 {
		o.Report("%d %s could not be parsed", bad, output.Plural(bad, "line"))
	}
	return o.Finish(err, session.CountSummary(lines, "line", lostTotal()))
}

// appendTraceLineRow writes the table row; the task and the message are
// whatever the writer put there, so both are escaped.
func appendTraceLineRow(b []byte, l tracefs.Line) []byte {
	b = output.AppendLeft(b, strconv.AppendFloat(nil, l.Timestamp, 'f', 6, 64), 14)
	b = append(b, ' ')
	b = append(output.AppendEscapedLeft(b, []byte(l.Task), 16), ' ')
	b = fmt.Appendf(b, "%-7d %-3d %-5s %s: ", l.PID, l.CPU, l.Flags, l.Function)
	b = output.AppendEscaped(b, []byte(l.Message))
	return append(b, '\n')
}

// appendTraceLineJSON writes every field of l, always, in a fixed order.
func appendTraceLineJSON(b []byte, l tracefs.Line) []byte {
	b = append(b, `{"timestamp":`...)
	b = strconv.AppendFloat(b, l.Timestamp, 'f', -1, 64)
	b = append(b, `,"task":`...)
	b = output.AppendJSONString(b, []byte(l.Task))
	b = append(b, `,"pid":`...)
	b = strconv.AppendInt(b, int64(l.PID), 10)
	b = append(b, `,"tgid":`...)
	b = strconv.AppendInt(b, int64(l.TGID), 10)
	b = append(b, `,"cpu":`...)
	b = strconv.AppendInt(b, int64(l.CPU), 10)
	b = append(b, `,"flags":`...)
	b = output.AppendJSONString(b, []byte(l.Flags))
	b = append(b, `,"event":`...)
	b = output.AppendJSONString(b, []byte(l.Function))
	b = append(b, `,"message":`...)
	b = output.AppendJSONString(b, []byte(l.Message))
	return append(b, "}\n"...)
}
