package cmd

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/mounts"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/programs/top"
)

var topCommand = &cli.Command{
	Name:      "top",
	Usage:     "reads and writes per file and thread, refreshed every interval (filetop)",
	UsageText: "gosnoop top [options] [interval [count]]",
	Description: "Counts read and write calls and the bytes they really transferred (their return\n" +
		"values, where bcc's filetop counts the bytes asked for), per file and thread,\n" +
		"and prints the busiest every interval (seconds, default 1), count times\n" +
		"(default: until Ctrl-C). Kprobes on vfs_read and vfs_write where they attach;\n" +
		"otherwise the read and write syscall tracepoints (read, pread64, readv, preadv,\n" +
		"preadv2 and their write twins), which find the fd's file in the kernel; there\n" +
		"readv and writev count too, which vfs_read and vfs_write do not see.\n" +
		"FILE is the file's name (its dentry); with -F its path, walked from the dentry\n" +
		"when the file is first counted (gosnoop's mount table places it; a path it\n" +
		"cannot have, e.g. an unnamed pipe's, leaves the name). T: R regular file, S socket,\n" +
		"O other. -s all sorts by reads + writes + read bytes + written bytes, as filetop does.",
	CustomHelpTemplate: helpWithExamples(`gosnoop top                       # the 20 busiest files, every second
   gosnoop top -C 5 3                # every 5 seconds, 3 times, without clearing
   gosnoop top -s wbytes -a          # by bytes written, sockets and all
   gosnoop top -F                    # full paths instead of names
   gosnoop top -C -c 'tar xf src.tar' 5   # run tar, trace it and its children; a last screen when it ends
   gosnoop top --cgroup system.slice/docker-<id>.scope   # one container
   gosnoop top --json 1 10           # one JSON object per second, ten of them`),
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "sort", Aliases: []string{"s"}, Value: "all", Usage: "sort by `KEY`: all, reads, writes, rbytes or wbytes"},
		&cli.StringFlag{Name: "rows", Aliases: []string{"r"}, Value: "20", Usage: "print at most `N` rows"},
		&cli.BoolFlag{Name: "all-files", Aliases: []string{"a"}, Usage: "count sockets and other files too, not only regular files"},
		pidFlag,
		cgroupFlag,
		execFlag,
		&cli.BoolFlag{Name: "noclear", Aliases: []string{"C"}, Usage: "do not clear the screen between intervals"},
		&cli.BoolFlag{Name: "full-path", Aliases: []string{"F"}, Usage: "show each file's path, not only its name"},
		&cli.BoolFlag{Name: "read-only", Usage: "count reads only"},
		&cli.BoolFlag{Name: "write-only", Usage: "count writes only"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON object per interval"},
		attachFlag,
		verboseFlag,
		ebpfFlag,
		noCacheFlag,
	},
	OnUsageError: onUsageError,
	Action:       runTop,
}

type topConfig struct {
	prog     top.Options
	sort     string
	rows     int
	interval time.Duration
	count    uint64 // 0: until a signal
	json     bool
	clear    bool
	tasks    taskFilters
}

func parseTopFlags(c *cli.Context) (topConfig, error) {
	cfg := topConfig{
		prog: top.Options{Reads: !c.Bool("write-only"), Writes: !c.Bool("read-only"), AllFiles: c.Bool("all-files"), MaxEntries: top.DefaultMaxEntries, FullPath: c.Bool("full-path")},
		sort: c.String("sort"), interval: time.Second, json: c.Bool("json"), clear: !c.Bool("noclear"),
	}
	if cfg.prog.FullPath {
		cfg.prog.MaxPaths = top.DefaultMaxPaths
	}
	if c.Bool("read-only") && c.Bool("write-only") {
		return cfg, usageErrorf("--read-only and --write-only exclude each other")
	}
	if _, err := top.Sort(nil, cfg.sort, 0); err != nil {
		return cfg, usageErrorf("--sort must be one of %s, not %q", strings.Join(top.SortKeys, ", "), cfg.sort)
	}
	rows, err := strconv.ParseUint(c.String("rows"), 10, 32)
	if err != nil || rows < 1 || rows > 100000 {
		return cfg, usageErrorf("--rows must be a number of rows from 1 to 100000, not %q", c.String("rows"))
	}
	cfg.rows = int(rows)
	ids, err := parseIDFlags(c)
	if err != nil {
		return cfg, err
	}
	cfg.prog.PID = ids.pid
	if cfg.tasks, err = parseTaskFlags(c); err != nil {
		return cfg, err
	}
	cfg.prog.Tasks = cfg.tasks.render()
	args := c.Args().Slice()
	if len(args) > 2 {
		return cfg, usageErrorf("top takes at most an interval and a count, got %q", strings.Join(args, " "))
	}
	if len(args) > 0 {
		n, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || n < 1 || n > 3600 {
			return cfg, usageErrorf("the interval must be a number of seconds from 1 to 3600, not %q", args[0])
		}
		cfg.interval = time.Duration(n) * time.Second
	}
	if len(args) > 1 {
		n, err := strconv.ParseUint(args[1], 10, 32)
		if err != nil || n < 1 {
			return cfg, usageErrorf("the count must be a positive number of intervals, not %q", args[1])
		}
		cfg.count = n
	}
	return cfg, nil
}

func runTop(c *cli.Context) error {
	cfg, err := parseTopFlags(c)
	if err != nil {
		return err
	}
	mode, err := parseAttachMode(c.String("attach"))
	if err != nil {
		return err
	}
	if c.Bool("ebpf") {
		return printProgram(c.App.Writer, func(k kernel.View, logf func(string, ...any)) error {
			_, err := top.Plan(&cfg.prog, mode, k, logf)
			return err
		}, func() (string, error) {
			src, err := top.Render(cfg.prog)
			return src + render.PIDComment(cfg.prog.PID) + cfg.tasks.comment(), err
		})
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop top", Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
		Verbose: c.Bool("verbose"), KernelTypes: top.KernelTypes,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := startTasks(s, cfg.tasks)
	if err != nil {
		return err
	}
	defer t.stop()
	plan, err := top.Plan(&cfg.prog, mode, kernel.Live{Dir: s.TraceDir}, s.Logf)
	if err != nil {
		return err
	}
	src, err := top.Render(cfg.prog)
	if err != nil {
		return err
	}
	tracePID(s, cfg.prog.PID)
	if err := s.Load(src); err != nil {
		return err
	}
	if err := s.Attach(plan); err != nil {
		return err
	}
	if err := t.attach(); err != nil {
		return err
	}

	var places *mounts.Table
	if cfg.prog.FullPath {
		if places, err = mounts.Load("/proc/self/mountinfo"); err != nil {
			return err
		}
	}
	p := top.NewPrinter(s.Out.Out, cfg.json, cfg.clear && isTerminal(c.App.Writer))
	ctx := s.Begin("reads and writes", nil)
	if err := t.begin(ctx); err != nil {
		return err
	}
	var screens uint64
	var epoch uint32
	screen := func() error {
		rows, err := takeInterval(s, &epoch)
		if err != nil {
			return err
		}
		if rows, err = top.Sort(rows, cfg.sort, cfg.rows); err != nil {
			return err
		}
		if places != nil {
			if err := addPaths(s, places, rows); err != nil {
				return err
			}
		}
		p.Print(top.Screen{Time: time.Now().Format("15:04:05"), Loadavg: loadavg(), Rows: rows})
		s.Out.Out.Flush()
		screens++
		_, err = topLost(s)
		return err
	}
	ticker := time.NewTicker(cfg.interval)
	defer ticker.Stop()
	for ctx.Err() == nil && (cfg.count == 0 || screens < cfg.count) {
		select {
		case <-ctx.Done():
			continue
		case <-ticker.C:
		}
		if err := screen(); err != nil {
			return t.end(s.Finish(err, session.CountSummary(screens, "interval", 0)))
		}
	}
	if t.commandDone() && (cfg.count == 0 || screens < cfg.count) {
		// --exec's command ended mid-interval: its last counts.
		if err := screen(); err != nil {
			return t.end(s.Finish(err, session.CountSummary(screens, "interval", 0)))
		}
	}
	t.report()
	lost, err := topLost(s)
	return t.end(s.Finish(err, session.CountSummary(screens, "interval", lost)))
}

// topLost returns the calls the program could not count because its table
// was full, and reports new ones as they are seen.
func topLost(s *session.Session) (uint64, error) {
	m := s.Module()
	if m == nil {
		return 0, nil
	}
	lost, err := m.ReadCounter(top.LostTable, 0)
	if err == nil {
		s.Out.ReportLost(lost, "call", fmt.Sprintf("more files and threads in one interval than the table holds (%d)", top.DefaultMaxEntries))
	}
	return lost, err
}

// takeInterval ends the interval and returns its rows (see takeEpoch).
func takeInterval(s *session.Session, epoch *uint32) ([]top.Row, error) {
	m := s.Module()
	if m == nil {
		return nil, nil
	}
	var rows []top.Row
	var k top.Key
	var v top.Value
	err := takeEpoch(m, top.EpochTable, epoch, []string{top.CountsTable}, func(_ int, key, value []byte) (uint32, error) {
		if err := top.DecodeKey(key, &k); err != nil {
			return 0, err
		}
		if err := top.DecodeValue(value, &v); err != nil {
			return 0, err
		}
		if k.Epoch != *epoch {
			rows = append(rows, top.NewRow(k, v))
		}
		return k.Epoch, nil
	})
	return rows, err
}

// addPaths sets each row's path from the program's top_paths: the file's
// dentry walk, placed through the mount table. A file with no entry (its
// path was dropped for newer ones, or it has none) keeps its name.
func addPaths(s *session.Session, places *mounts.Table, rows []top.Row) error {
	m := s.Module()
	if m == nil {
		return nil
	}
	h, err := m.Hash(top.PathsTable)
	if err != nil {
		return err
	}
	var p top.Path
	for i := range rows {
		v, ok, err := h.Get(top.PathKey(rows[i].Dev, rows[i].Ino))
		if err != nil {
			return err
		}
		if ok && top.DecodePath(v, &p) == nil && p.Depth > 0 {
			rows[i].Path = places.Locate(p.Dev, p.String())
		}
	}
	return nil
}

// loadavg is /proc/loadavg as filetop shows it.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// isTerminal says whether w is a terminal: only a terminal is cleared.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && st.Mode()&os.ModeDevice != 0
}
