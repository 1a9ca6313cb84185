package cmd

import "github.com/urfave/cli/v2"

// The flags several commands share, defined once; each command lists the
// ones it takes, in the order its help shows them. Those whose values need
// checking are parsed by the helpers in run.go: parseIDFlags (pid, tid,
// uid), parseTaskFlags (cgroup, exec), optionalDuration, parseBufferPages
// and parseAttachMode.
var (
	pidFlag         = &cli.StringFlag{Name: "pid", Aliases: []string{"p"}, Usage: "trace process `PID` only (in the kernel)"}
	tidFlag         = &cli.StringFlag{Name: "tid", Aliases: []string{"t"}, Usage: "trace thread `TID` only (in the kernel)"}
	uidFlag         = &cli.StringFlag{Name: "uid", Aliases: []string{"u"}, Usage: "trace user `UID` only (in the kernel)"}
	cgroupFlag      = &cli.StringFlag{Name: "cgroup", Usage: "trace the tasks of cgroup v2 `PATH` and its descendants only (in the kernel); PATH is under the cgroup2 mount or relative to it"}
	execFlag        = &cli.StringFlag{Name: "exec", Aliases: []string{"c"}, Usage: "run `'CMD ARGS'` and trace it and the processes it forks only (in the kernel); stop when it exits, with its exit status"}
	nameFlag        = &cli.StringFlag{Name: "name", Aliases: []string{"n"}, Usage: "only show process names containing `TEXT`"}
	timestampFlag   = &cli.BoolFlag{Name: "timestamp", Aliases: []string{"T"}, Usage: "include a timestamp column (seconds since the first event)"}
	durationFlag    = &cli.StringFlag{Name: "duration", Aliases: []string{"d"}, Usage: "stop after `DURATION` (seconds, or a Go duration such as 1m30s)"}
	bufferPagesFlag = &cli.StringFlag{Name: "buffer-pages", Aliases: []string{"b"}, Value: "64", Usage: "perf buffer size per CPU in `PAGES` (a power of two, decimal)"}
	jsonFlag        = &cli.BoolFlag{Name: "json", Usage: "print one JSON object per event"}
	attachFlag      = &cli.StringFlag{Name: "attach", Value: "auto", Usage: "how to attach: `MODE` is auto, kprobe or tracepoint"}
	verboseFlag     = &cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say which headers and attach path were chosen, and why"}
	ebpfFlag        = &cli.BoolFlag{Name: "ebpf", Usage: "print the generated C program and exit (needs no root)"}
	noCacheFlag     = &cli.BoolFlag{Name: "no-cache", Usage: "compile with libbcc even when the compile cache holds the program, and store nothing"}
)
