package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/gosnoop/gosnoop/internal/output"
)

// PollInterval bounds how long an event may wait in a half-filled batch
// or in the output queue.
const PollInterval = 20 * time.Millisecond

// lostCheckInterval is how often the readers look for new drops to report.
const lostCheckInterval = 100 * time.Millisecond

// After a signal, how long the run still waits for stdout and stderr to take
// what is queued: together with the detach they keep Ctrl-C under a second
// whatever the reader of stdout does.
const (
	stdoutGrace = 300 * time.Millisecond
	stderrGrace = 200 * time.Millisecond
)

// Output is where a tracing run prints once it has started: events to
// stdout, reports to stderr, both through writers that never block the
// tracing loop.
type Output struct {
	Out, ErrOut *output.Writer
	sig         context.Context // ends on a signal: then stop waiting for slow readers
	Dropped     uint64          // trace_pipe lines of ours not printed: stdout was backlogged
	reported    uint64          // drops reported so far
	reportedAt  time.Time
}

func NewOutput(sig context.Context, stdout, stderr io.Writer) *Output {
	return &Output{Out: output.NewWriter(stdout, maxPendingOutput), ErrOut: output.NewWriter(stderr, 64<<10), sig: sig}
}

// Report prints one line on stderr without waiting for it.
func (o *Output) Report(format string, args ...any) {
	fmt.Fprintf(o.ErrOut, "gosnoop: "+format+"\n", args...)
	o.ErrOut.Flush()
}

// ReportLost reports drops beyond those reported already, at most once per
// lostCheckInterval; the summary has the final count. hint says what would
// help, unless stdout is backlogged: then the reader of stdout is the cause.
func (o *Output) ReportLost(total uint64, what, hint string) {
	if total <= o.reported || time.Since(o.reportedAt) < lostCheckInterval {
		return
	}
	if o.Out.Backlogged() {
		hint = "the reader of stdout is not keeping up"
	}
	if hint != "" {
		hint = "; " + hint
	}
	o.Report("lost %d %s (total %d)%s", total-o.reported, output.Plural(total-o.reported, what), total, hint)
	o.reported, o.reportedAt = total, time.Now()
}

// DropIfBacklogged says whether a trace_pipe reader should drop what it
// read rather than print it, and counts the drop in Dropped. trace_pipe has
// no back-pressure: waiting for stdout would only let the kernel overwrite
// lines, and those losses show only once reading resumes. Dropped here,
// each is counted, and reported as it happens.
func (o *Output) DropIfBacklogged() bool {
	if !o.Out.Backlogged() {
		return false
	}
	o.Dropped++
	return true
}

// maxPendingOutput is how much output may wait for stdout before the
// readers stop reading (perf, ring buffer) or drop lines (trace_pipe):
// enough for a burst, small beside the kernel's buffers.
const maxPendingOutput = 1 << 20

// pollLoop polls a perf or ring buffer reader until ctx ends, handing output
// over and reporting drops as they are seen. While stdout is backlogged it
// stops polling: the kernel's buffer fills and the program counts what it
// drops, and the loop stays free to see ctx end.
// tick, when set, runs after each poll, on the same goroutine.
func (o *Output) pollLoop(ctx context.Context, poll func(time.Duration), lost func() (uint64, error), tick func() error) error {
	var checked time.Time
	for ctx.Err() == nil {
		if tick != nil {
			if err := tick(); err != nil {
				return err
			}
		}
		if o.Out.Backlogged() {
			o.Out.WaitRoom(ctx.Done(), PollInterval)
		} else {
			poll(PollInterval)
			o.Out.Flush()
		}
		if err := o.Out.Err(); err != nil {
			return err
		}
		if time.Since(checked) < lostCheckInterval {
			continue
		}
		checked = time.Now()
		n, err := lost()
		if err != nil {
			return err
		}
		o.ReportLost(n, "event", "try a larger --buffer-pages")
	}
	return nil
}

// Finish writes out what is queued and prints the summary line. After a
// signal it waits for stdout and stderr only briefly. A reader of stdout
// that went away (EPIPE) ends the run normally.
func (o *Output) Finish(runErr error, summary string) error {
	outErr := o.Out.Close(o.sig.Done(), stdoutGrace)
	if errors.Is(outErr, output.ErrStalled) {
		summary += fmt.Sprintf(" (%v)", outErr)
		outErr = nil
	}
	if runErr == nil {
		runErr = outErr
	}
	if errors.Is(runErr, syscall.EPIPE) {
		runErr = nil
	}
	o.Report("%s", summary)
	o.ErrOut.Close(o.sig.Done(), stderrGrace)
	return runErr
}

// CountSummary is the final line: "12 events, 0 lost".
func CountSummary(n uint64, what string, lost uint64) string {
	return fmt.Sprintf("%d %s, %d lost", n, output.Plural(n, what), lost)
}
