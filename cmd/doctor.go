package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/attach"
	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/caps"
	"github.com/gosnoop/gosnoop/internal/doctor"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/programs/open"
)

var doctorCommand = &cli.Command{
	Name:      "doctor",
	Usage:     "check what gosnoop needs from this machine and say how to fix what is missing",
	UsageText: "gosnoop doctor [--json]",
	Description: "Prints one line per check: ✓ fine, ✗ failed (with the fix), – for information\n" +
		"or what could not be checked. Only reads: it mounts, writes and loads nothing\n" +
		"(it creates and closes one BPF ring buffer map to see whether the kernel has them).\n" +
		"Exits 0 whatever it finds. Run it as root to see everything.",
	CustomHelpTemplate: helpWithExamples(`gosnoop doctor          # why would gosnoop not work here?
   gosnoop doctor --json   # the same as one JSON object`),
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "json", Usage: `print {"checks":[{"name","ok","info","found","fix"}...],"attach":...}`},
	},
	OnUsageError: onUsageError,
	Action:       runDoctor,
}

func runDoctor(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErrorf("doctor takes no arguments, got %q (see gosnoop doctor --help)", c.Args().First())
	}
	r := diagnose()
	if c.Bool("json") {
		return r.WriteJSON(c.App.Writer)
	}
	return r.WriteText(c.App.Writer)
}

// diagnose runs every check, in the order a user fixes things.
func diagnose() doctor.Report {
	var r doctor.Report
	add := func(c doctor.Check) { r.Checks = append(r.Checks, c) }

	set, capErr := caps.Effective()
	add(doctor.Capabilities(os.Geteuid(), set, capErr))
	add(libbccCheck())
	release := kheaders.Release()
	add(doctor.Kernel(release))
	add(doctor.Headers(kheaders.Choose(), release, kheaders.InstallHint()))

	mounts, mountErr := doctor.ReadMounts()
	var traceDir string
	var traceErr error
	if mountErr != nil {
		add(doctor.Note("tracefs", "unknown: "+mountErr.Error()))
	} else {
		var tc doctor.Check
		tc, traceDir = doctor.Tracefs(mounts)
		add(tc)
		if traceDir != "" {
			traceErr = doctor.TracefsAccess(traceDir)
		}
	}
	ok, reason := kernel.Kprobes(traceDir)
	add(doctor.Kprobes(ok, reason, traceDir, traceErr))
	attach, ac := openAttachCheck(traceDir, traceErr, ok)
	r.Attach = attach
	add(ac)

	mode, lockErr := kernel.Lockdown()
	add(doctor.Lockdown(mounts, mode, lockErr))
	st, btfErr := os.Stat(kernel.BTFPath())
	add(doctor.BTF(kernel.BTFPath(), st, btfErr))
	level, perfErr := kernel.PerfEventParanoid()
	add(doctor.PerfEvents(kernel.PerfParanoidPath(), level, perfErr))
	privileged := capErr == nil && (set.Has(caps.BPF) || set.Has(caps.SysAdmin))
	add(doctor.RingBuffer(kernel.RingBuffer(), privileged, release))
	add(doctor.UnprivilegedBPF(kernel.UnprivilegedBPFDisabled()))
	add(cacheCheck())
	return r
}

func libbccCheck() doctor.Check {
	l := doctor.LibBCC{Header: bcc.HeaderVersion(), Min: bcc.MinVersion}
	l.Path, l.Loaded, l.LoadErr = bcc.LoadedLibrary()
	v := l.Loaded
	if v == "" {
		v = l.Header
	}
	l.Supported, _ = bcc.AtLeast(v, bcc.MinVersion)
	return doctor.LibBCCCheck(l)
}

// openAttachCheck asks open.Plan, the decision gosnoop open makes, how
// `gosnoop open --attach auto` would attach; the planner only reads.
// The kprobes line has said why when there are none; only other reasons for
// not using them are repeated here.
func openAttachCheck(traceDir string, traceErr error, kprobesOK bool) (string, doctor.Check) {
	const name = "open attach"
	switch {
	case traceDir == "":
		return doctor.AttachUnknown, doctor.Note(name, "undecided until tracefs is mounted")
	case errors.Is(traceErr, fs.ErrPermission):
		return doctor.AttachUnknown, doctor.Note(name, fmt.Sprintf("unknown: %s is not readable by uid %d (run doctor as root)", traceDir, os.Geteuid()))
	case traceErr != nil:
		return doctor.AttachUnknown, doctor.Note(name, "unknown: "+traceErr.Error())
	}
	var why []string
	var o open.Options
	err := open.Plan(&o, attach.Auto, kernel.Live{Dir: traceDir}, func(format string, args ...any) {
		if msg := fmt.Sprintf(format, args...); strings.HasPrefix(msg, "not using kprobes") {
			why = append(why, msg)
		}
	})
	if err != nil {
		return doctor.AttachNone, doctor.Fail(name, err.Error(),
			"use a kernel with CONFIG_KPROBES=y or CONFIG_FTRACE_SYSCALLS=y")
	}
	tps := strings.Join(o.Tracepoints.Names(), ", ")
	if o.Kprobe != "" {
		found := "kprobe on " + o.Kprobe
		if tps != "" {
			found += ", falling back to the tracepoints of " + tps
		}
		return doctor.AttachKprobe, doctor.Pass(name, found)
	}
	found := "tracepoints of " + tps
	switch {
	case !kprobesOK:
		found += " (no kprobes)"
	case len(why) > 0:
		found += " (" + strings.Join(why, "; ") + ")"
	}
	return doctor.AttachTracepoint, doctor.Pass(name, found)
}

// cacheCheck reports the compile cache: where, and how much it holds.
func cacheCheck() doctor.Check {
	dir, n, size, err := bcc.CacheUsage()
	if err != nil {
		return doctor.Note("compile cache", "not used: "+err.Error())
	}
	return doctor.Note("compile cache", fmt.Sprintf("%s: %d %s, %d KB (gosnoop cache clean empties it)", dir, n, output.Plural(uint64(n), "program"), (size+1023)/1024))
}
