package cmd

import (
	"fmt"
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
	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop trace-pipe", Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
		Duration: d, TracePipe: true, ReadOnly: true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	s.Begin("", func() {
		if !asJSON {
			fmt.Fprintf(s.Out.Out, "%-14s %-16s %-7s %-3s %-5s %s\n", "TIME(s)", "TASK", "PID", "CPU", "FLAGS", "EVENT: MESSAGE")
		}
	})
	var lines, unparsed uint64
	var line tracefs.Line
	var buf []byte
	lost, err := s.DrainTracePipe("line", func(raw string) (tracefs.LineKind, error) {
		if grep != "" && !strings.Contains(raw, grep) {
			return tracefs.LineOther, nil
		}
		l, err := tracefs.ParseLine(raw)
		switch {
		case err != nil:
			unparsed++ // someone else's text, such as a message's second line
			return tracefs.LineOther, nil
		case grep != "" && !strings.Contains(l.Message, grep):
			return tracefs.LineOther, nil
		}
		line = l
		return tracefs.LineEvent, nil
	}, func() {
		lines++
		if asJSON {
			buf = appendTraceLineJSON(buf[:0], line)
		} else {
			buf = appendTraceLineRow(buf[:0], line)
		}
		s.Out.Out.Write(buf)
	}, nil)
	if unparsed > 0 {
		s.Out.Report("%d %s could not be parsed", unparsed, output.Plural(unparsed, "line"))
	}
	return s.Finish(err, session.CountSummary(lines, "line", lost))
}

// appendTraceLineRow writes the table row. The task and the message are
// whatever the writer put there, and a line split by a newline in a comm
// puts that comm's bytes in any column, so every text column is escaped.
func appendTraceLineRow(b []byte, l tracefs.Line) []byte {
	b = output.AppendLeft(b, strconv.AppendFloat(nil, l.Timestamp, 'f', 6, 64), 14)
	b = append(b, ' ')
	b = append(output.AppendEscapedLeft(b, []byte(l.Task), 16), ' ')
	b = fmt.Appendf(b, "%-7d %-3d ", l.PID, l.CPU)
	b = append(output.AppendEscapedLeft(b, []byte(l.Flags), 5), ' ')
	b = append(output.AppendEscaped(b, []byte(l.Function)), ": "...)
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
