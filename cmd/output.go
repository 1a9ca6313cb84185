package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/gosnoop/gosnoop/internal/output"
)

// pollInterval bounds how long an event may wait in a half-filled batch
// or in the output queue.
const pollInterval = 20 * time.Millisecond

// lostCheckInterval is how often the readers look for new drops to report.
const lostCheckInterval = 100 * time.Millisecond

// After a signal, how long the run still waits for stdout and stderr to take
// what is queued: together with the detach they keep Ctrl-C under a second
// whatever the reader of stdout does.
const (
	stdoutGrace = 300 * time.Millisecond
	stderrGrace = 200 * time.Millisecond
)

// runOutput is where a tracing run prints once it has started: events to
// stdout, reports to stderr, both through writers that never block the
// tracing loop.
type runOutput struct {
	out, errOut *output.Writer
	sig         context.Context // ends on a signal: then stop waiting for slow readers
	reported    uint64          // drops reported so far
}

func newRunOutput(sig context.Context, stdout, stderr io.Writer) *runOutput {
	return &runOutput{out: output.NewWriter(stdout, 16), errOut: output.NewWriter(stderr, 16), sig: sig}
}

// report prints one line on stderr without waiting for it.
func (o *runOutput) report(format string, args ...any) {
	fmt.Fprintf(o.errOut, "gosnoop: "+format+"\n", args...)
	o.errOut.Flush()
}

// reportLost reports drops beyond those reported already.
func (o *runOutput) reportLost(total uint64, what string) {
	if total <= o.reported {
		return
	}
	hint := "try a larger --buffer-pages"
	if o.out.Backlogged() {
		hint = "the reader of stdout is not keeping up"
	}
	o.report("lost %d %s (total %d); %s", total-o.reported, output.Plural(total-o.reported, what), total, hint)
	o.reported = total
}

// waitForRoom blocks a trace_pipe reader while stdout is backlogged, so
// trace_pipe fills and the kernel drops and counts lines; it returns when
// there is room or the run ends.
func (o *runOutput) waitForRoom(ctx context.Context) error {
	for o.out.Backlogged() && ctx.Err() == nil {
		o.out.WaitRoom(ctx.Done(), pollInterval)
	}
	return o.out.Err()
}

// pollLoop polls a perf or ring buffer reader until ctx ends, handing output
// over and reporting drops as they are seen. While stdout is backlogged it
// stops polling: the kernel's buffer fills and the program counts what it
// drops, and the loop stays free to see ctx end.
func (o *runOutput) pollLoop(ctx context.Context, poll func(time.Duration), lost func() (uint64, error)) error {
	var checked time.Time
	for ctx.Err() == nil {
		if o.out.Backlogged() {
			o.out.WaitRoom(ctx.Done(), pollInterval)
		} else {
			poll(pollInterval)
			o.out.Flush()
		}
		if err := o.out.Err(); err != nil {
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
		o.reportLost(n, "event")
	}
	return nil
}

// finish writes out what is queued and prints the summary line. After a
// signal it waits for stdout and stderr only briefly. A reader of stdout
// that went away (EPIPE) ends the run normally.
func (o *runOutput) finish(runErr error, summary string) error {
	outErr := o.out.Close(o.sig.Done(), stdoutGrace)
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
	o.report("%s", summary)
	o.errOut.Close(o.sig.Done(), stderrGrace)
	return runErr
}

// countSummary is the final line: "12 events, 0 lost".
func countSummary(n uint64, what string, lost uint64) string {
	return fmt.Sprintf("%d %s, %d lost", n, output.Plural(n, what), lost)
}
