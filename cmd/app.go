// Package cmd holds gosnoop's command-line interface: one file per command.
package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/output"
)

// NewApp builds the gosnoop application. It never calls os.Exit, so tests
// run it in-process; main turns its error into an exit code with ExitCode.
func NewApp(stdout, stderr io.Writer) *cli.App {
	cli.VersionPrinter = printVersion
	for _, cmd := range []*cli.Command{openCommand, probeCommand, helloCommand, topCommand, lifeCommand} {
		cmd.Before = func(c *cli.Context) error {
			if c.Bool("no-cache") {
				bcc.DisableCache()
			}
			return nil
		}
	}
	return &cli.App{
		Name:                 "gosnoop",
		Version:              version(),
		Usage:                "quick kernel exploration with BCC: templated BPF programs compiled at run time",
		Writer:               stdout,
		ErrWriter:            stderr,
		HideHelpCommand:      true,
		EnableBashCompletion: false,
		Commands:             []*cli.Command{openCommand, probeCommand, helloCommand, topCommand, lifeCommand, tracePipeCommand, doctorCommand, cacheCommand},
		ExitErrHandler:       func(*cli.Context, error) {},
		// A private header tree, written when the cache dir was not safe to
		// use, goes when the command is done.
		After:        func(*cli.Context) error { bcc.ReleaseHeaders(); return nil },
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("unknown command %q (see gosnoop --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// helpWithExamples ends a command's help with its examples, as bcc tools do.
func helpWithExamples(examples string) string {
	return cli.CommandHelpTemplate + "\nEXAMPLES:\n   " + examples + "\n"
}

// usageError marks errors in how gosnoop was called; they exit with 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitStatus is the exit status of the command --exec ran, passed on as
// gosnoop's own, with no message.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("the command exited with status %d", int(e)) }

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError{err}
}

// ExitCode prints err as one "gosnoop: ..." message and returns the exit
// code: 0 for success, 2 for usage errors, 1 for everything else; the
// status of the command --exec ran passes on silently.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	// Messages can quote what others control (libbcc echoing a header, a
	// spec, a path): each line is escaped, the line breaks stay.
	io.WriteString(stderr, output.EscapeLines("gosnoop: "+err.Error()))
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}
