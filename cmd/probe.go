package cmd

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/gosnoop/gosnoop/internal/bcc"
	"github.com/gosnoop/gosnoop/internal/kernel"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
	"github.com/gosnoop/gosnoop/internal/session"
	"github.com/gosnoop/gosnoop/internal/tracefs"
	"github.com/gosnoop/gosnoop/programs/probe"
)

var probeCommand = &cli.Command{
	Name:      "probe",
	Usage:     "attach ad-hoc probes written on the command line (like bcc's trace)",
	UsageText: "gosnoop probe [options] SPEC [SPEC...]",
	Description: `Each SPEC describes one probe:

   [p|r|t:][category:]function[(signature)] [(predicate)] ["format"[, arg]...]
   [p|r|t:][category:]function[(signature)] [(predicate)] count()|hist(EXPR) [by KEY[, KEY]...]

   p:FUNC    kprobe on a kernel function (the default kind)
   r:FUNC    kretprobe: when FUNC returns; its value is retval
   t:CAT:EV  tracepoint; its fields are args->NAME (see
             /sys/kernel/tracing/events/CAT/EV/format)

A kprobe's arguments are arg1..arg6, or the names its (signature) gives.
The predicate is a C expression; events for which it is false are dropped in
the kernel. Up to 6 arguments are C expressions or $pid $tid $uid $cpu $comm;
add @user to read a string from user memory (syscall tracepoint fields and
__user parameters are read from user memory anyway). The format takes
%d %i %u %x %X %c %p %s, with l/ll for 64-bit integers and - 0 width flags;
it is applied in Go, so no format string reaches the kernel.

Instead of a format, count() counts events and hist(EXPR) counts EXPR (a
signed 64-bit value) in log2 buckets, in the kernel, grouped by up to 6
keys: $pid $tid $uid $cpu $comm, $kstack and $ustack (stacks), str(EXPR) (a
string; EXPR@user for user memory) or an integer expression. They print at
the end, or every -i INTERVAL (each interval's counts alone), fewest first.`,
	CustomHelpTemplate: helpWithExamples(`gosnoop probe 't:syscalls:sys_enter_openat "%s", args->filename'
   gosnoop probe 't:syscalls:sys_exit_openat (args->ret < 0) "failed: %d", args->ret'
   gosnoop probe 'p:do_sys_openat2(int dfd, const char __user *filename) "%s", filename'
   gosnoop probe 'p:do_sys_openat2 "%s", arg2@user'
   gosnoop probe 'r:do_sys_openat2 (retval < 0) "failed: %d", retval'
   gosnoop probe -p 181 -M 10 't:syscalls:sys_enter_read "fd %d, %lu bytes", args->fd, args->count'
   gosnoop probe -i 5 't:syscalls:sys_enter_openat count() by $comm'
   gosnoop probe 't:syscalls:sys_exit_read (args->ret >= 0) hist(args->ret) by $comm'
   gosnoop probe -d 10 't:syscalls:sys_enter_openat count() by $kstack'
   gosnoop probe -K -U -M 1 't:syscalls:sys_enter_openat "%s", args->filename'
   gosnoop probe -c 'cat /etc/hostname' 't:syscalls:sys_enter_openat "%s", args->filename'
   gosnoop probe --ebpf 't:syscalls:sys_enter_openat "%s", args->filename'   # print the C
   gosnoop probe -l 'syscalls:sys_enter_open*'                               # what can be probed
   gosnoop probe -l 't:syscalls:sys_enter_openat' -v                         # and its fields`),
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the tracepoints (and, with kprobes, kernel functions) whose name matches `GLOB`, e.g. 'syscalls:sys_enter_open*', instead of probing; with -v, a single tracepoint's fields"},
		pidFlag,
		uidFlag,
		cgroupFlag,
		execFlag,
		nameFlag,
		timestampFlag,
		&cli.BoolFlag{Name: "cpu", Aliases: []string{"C"}, Usage: "include a CPU column"},
		&cli.BoolFlag{Name: "kernel-stack", Aliases: []string{"K"}, Usage: "print each event's kernel stack"},
		&cli.BoolFlag{Name: "user-stack", Aliases: []string{"U"}, Usage: "print each event's user stack"},
		&cli.StringFlag{Name: "filter", Aliases: []string{"f"}, Usage: "only print events whose message contains `TEXT`"},
		&cli.StringFlag{Name: "interval", Aliases: []string{"i"}, Usage: "print count() and hist() every `INTERVAL` (seconds or a Go duration), each interval's counts alone; default: once, at the end"},
		&cli.StringFlag{Name: "max-keys", Value: strconv.Itoa(probe.DefaultAggEntries), Usage: "keys each count() or hist() holds per interval (decimal); counts beyond are reported lost"},
		&cli.BoolFlag{Name: "include-self", Usage: "keep gosnoop's own events (dropped in the kernel by default, as bcc's trace does)"},
		&cli.StringFlag{Name: "max-events", Aliases: []string{"M"}, Usage: "stop after `N` events"},
		durationFlag,
		&cli.StringFlag{Name: "string-size", Value: strconv.Itoa(probe.DefaultStringSize), Usage: "bytes kept of each %s value (decimal)"},
		bufferPagesFlag,
		jsonFlag,
		verboseFlag,
		ebpfFlag,
		noCacheFlag,
	},
	OnUsageError: onUsageError,
	Action:       runProbe,
}

type probeConfig struct {
	list      string // --list GLOB: list targets instead of probing
	prog      probe.Options
	print     probe.PrintOptions
	maxEvents uint64
	pages     int
	interval  time.Duration // 0: aggregations print once, at the end
	tasks     taskFilters
}

func parseProbeFlags(c *cli.Context) (probeConfig, error) {
	cfg := probeConfig{
		prog:  probe.Options{UID: render.AnyUID},
		print: probe.PrintOptions{Name: c.String("name"), Timestamp: c.Bool("timestamp"), JSON: c.Bool("json")},
	}
	texts, err := specsAndTrailingFlags(c)
	if err != nil {
		return cfg, err
	}
	if c.IsSet("list") {
		if len(texts) > 0 {
			return cfg, usageErrorf("--list takes no SPEC, got %q", texts[0])
		}
		cfg.list = c.String("list")
		if _, err := path.Match(strings.TrimPrefix(strings.TrimPrefix(cfg.list, "t:"), "p:"), ""); err != nil || cfg.list == "" {
			return cfg, usageErrorf("--list wants a glob such as 'syscalls:sys_enter_open*', not %q", cfg.list)
		}
		return cfg, nil
	}
	if len(texts) == 0 {
		return cfg, usageErrorf("probe needs at least one SPEC, e.g. 't:syscalls:sys_enter_openat \"%%s\", args->filename' (see gosnoop probe --help)")
	}
	for i, text := range texts {
		spec, err := probe.ParseSpec(text)
		if err != nil {
			if len(texts) > 1 {
				return cfg, usageErrorf("%v (spec %d)", err, i+1)
			}
			return cfg, usageError{err}
		}
		cfg.prog.Specs = append(cfg.prog.Specs, spec)
	}
	ids, err := parseIDFlags(c)
	if err != nil {
		return cfg, err
	}
	cfg.prog.PID, cfg.prog.UID = ids.pid, ids.uid
	if cfg.tasks, err = parseTaskFlags(c); err != nil {
		return cfg, err
	}
	cfg.prog.Tasks = cfg.tasks.render()
	cfg.prog.IncludeSelf = c.Bool("include-self")
	// After the trailing flags: options may follow the specs.
	cfg.print = probe.PrintOptions{Name: c.String("name"), Timestamp: c.Bool("timestamp"), JSON: c.Bool("json"), CPU: c.Bool("cpu"), Filter: c.String("filter")}
	cfg.prog.Stacks = probe.Stacks{Kernel: c.Bool("kernel-stack"), User: c.Bool("user-stack")}
	if c.IsSet("interval") {
		if !cfg.prog.HasAggs() {
			return cfg, usageErrorf("--interval is for count() and hist(), and no SPEC has one")
		}
		d, err := parseDuration(c.String("interval"))
		if err != nil {
			return cfg, usageErrorf("--interval must be a positive number of seconds or a duration such as 500ms, not %q", c.String("interval"))
		}
		cfg.interval = d
	}
	if !cfg.prog.HasEvents() {
		// Options about printed events mean nothing when every spec counts.
		for _, name := range []string{"name", "max-events", "timestamp", "cpu", "kernel-stack", "user-stack", "filter"} {
			if c.IsSet(name) {
				return cfg, usageErrorf("--%s is about printed events, and every SPEC counts (count(), hist()); group by $comm, $cpu, $kstack or $ustack, or filter in a predicate", name)
			}
		}
	}
	keys, err := parseID("--max-keys", c.String("max-keys"), 1, probe.MaxAggEntries)
	if err != nil {
		return cfg, err
	}
	cfg.prog.AggEntries = int(keys)
	if c.IsSet("max-events") {
		n, err := strconv.ParseUint(c.String("max-events"), 10, 64)
		if err != nil || n == 0 {
			return cfg, usageErrorf("--max-events must be a positive number, not %q", c.String("max-events"))
		}
		cfg.maxEvents = n
	}
	size, err := parseID("--string-size", c.String("string-size"), probe.MinStringSize, probe.MaxStringSize)
	if err != nil {
		return cfg, err
	}
	cfg.prog.StringSize = int(size)
	if cfg.pages, err = parseBufferPages(c); err != nil {
		return cfg, err
	}
	if err := cfg.prog.Validate(); err != nil { // key sizes, with --string-size
		return cfg, usageError{err}
	}
	return cfg, nil
}

func runProbe(c *cli.Context) error {
	cfg, err := parseProbeFlags(c)
	if err != nil {
		return err
	}
	if c.IsSet("list") {
		return listTargets(c.App.Writer, cfg.list, c.Bool("verbose"))
	}
	duration, err := optionalDuration(c)
	if err != nil {
		return err
	}
	src, err := probe.Render(cfg.prog)
	if err != nil {
		return err
	}
	if c.Bool("ebpf") {
		_, err = io.WriteString(c.App.Writer, src+render.PIDComment(cfg.prog.PID)+cfg.tasks.comment())
		return err
	}

	s, err := session.Start(c.Context, session.Config{
		Command: "gosnoop probe", Stdout: c.App.Writer, Stderr: c.App.ErrWriter,
		Verbose: c.Bool("verbose"), Duration: duration, KernelTypes: cfg.prog.KernelTypes(),
	})
	if err != nil {
		return err
	}
	defer s.Close()
	view := kernel.Live{Dir: s.TraceDir}
	if err := probe.CheckTargets(cfg.prog.Specs, view); err != nil {
		return usageError{err}
	}
	t, err := startTasks(s, cfg.tasks)
	if err != nil {
		return err
	}
	defer t.stop()
	p := probe.NewPrinter(s.Out.Out, cfg.print)
	layouts := make([]probe.Layout, len(cfg.prog.Specs))
	for i, spec := range cfg.prog.Specs {
		layouts[i] = spec.Layout(cfg.prog.StringSize, cfg.prog.Stacks)
	}
	stacks := newStackNamer(cfg.prog)
	var ev probe.Event
	var bad uint64
	stopped := false
	events := session.Reader{
		Table: probe.EventsTable, LostTable: probe.LostTable,
		Pages: cfg.pages, Wakeup: session.PerfWakeupFor(cfg.pages, probe.MaxLayoutSize(layouts)),
		OnSample: func(b []byte) {
			if stopped {
				return
			}
			i, err := probe.ProbeIndex(b)
			if err == nil && i == probe.NotePID {
				var h probe.Header
				if probe.DecodeHeader(b, &h) == nil {
					stacks.note(h.PID)
				}
				return
			}
			if err != nil || i >= len(layouts) || cfg.prog.Specs[i].Agg != nil || layouts[i].Decode(b, &ev) != nil {
				bad++
				return
			}
			stacks.event(s.Module(), &ev)
			if p.Print(cfg.prog.Specs[i], &ev) && cfg.maxEvents > 0 && p.Events() >= cfg.maxEvents {
				stopped = true
				s.Stop()
			}
		},
	}
	tracePID(s, cfg.prog.PID)
	if !cfg.prog.IncludeSelf {
		addInit(s, func(m *bcc.Module) error { return m.WriteU32(probe.SelfTable, 0, uint32(os.Getpid())) })
	}
	if err := s.Load(src, events); err != nil {
		return err
	}
	if err := s.Attach(probe.AttachPlan(cfg.prog, view)); err != nil {
		return err
	}
	if err := t.attach(); err != nil {
		return err
	}
	aggs := newAggregations(s, cfg, stacks)
	if cfg.interval > 0 {
		s.Tick = aggs.tick
	}
	n := uint64(len(cfg.prog.Specs))
	header := p.Header
	if !cfg.prog.HasEvents() {
		header = nil
	}
	if err := t.begin(s.Begin(fmt.Sprintf("%d %s", n, output.Plural(n, "probe")), header)); err != nil {
		return err
	}
	lost, err := s.Drain()
	if err == nil {
		err = aggs.take(true)
	}
	if bad > 0 {
		s.Out.Report("%d %s could not be decoded", bad, output.Plural(bad, "sample"))
	}
	if stacks.Lost > 0 {
		s.Out.Report("%d %s not kept: the stack table was full or another stack had the id (%d entries)", stacks.Lost, output.Plural(stacks.Lost, "stack"), probe.StackEntries)
	}
	t.report()
	return t.end(s.Finish(err, session.CountSummary(p.Events()+aggs.counted, "event", lost+aggs.lost)))
}

// aggregations reads and prints the count() and hist() tables of a run.
type aggregations struct {
	s        *session.Session
	cfg      probeConfig
	stacks   *stackNamer
	specs    []int // the aggregating specs' indexes
	epoch    uint32
	next     time.Time
	counted  uint64   // events counted, in every interval taken
	lost     uint64   // counts the tables had no room for
	specLost []uint64 // the same, per aggregating spec, at the last take
}

func newAggregations(s *session.Session, cfg probeConfig, stacks *stackNamer) *aggregations {
	a := &aggregations{s: s, cfg: cfg, stacks: stacks, next: time.Now().Add(cfg.interval)}
	for i, spec := range cfg.prog.Specs {
		if spec.Agg != nil {
			a.specs = append(a.specs, i)
		}
	}
	a.specLost = make([]uint64, len(a.specs))
	return a
}

// tick takes and prints an interval once it is over. While stdout is
// backlogged it waits (the counts wait in the kernel, and the interval
// runs longer); an interval missed for that, or for a slow take, is not
// made up for with back-to-back ones.
func (a *aggregations) tick() error {
	now := time.Now()
	if now.Before(a.next) || a.s.Out.Out.Backlogged() {
		return nil
	}
	for !a.next.After(now) {
		a.next = a.next.Add(a.cfg.interval)
	}
	return a.take(false)
}

// take reads and deletes what the tables counted since the last take, and
// prints it: at the end of each interval, and when the run ends.
func (a *aggregations) take(last bool) error {
	m := a.s.Module()
	if m == nil || len(a.specs) == 0 {
		return nil
	}
	tables := make([]string, len(a.specs))
	collectors := make([]*probe.Collector, len(a.specs))
	for j, i := range a.specs {
		tables[j] = probe.AggTable(i)
		collectors[j] = probe.NewCollector(a.cfg.prog.Specs[i], a.cfg.prog.StringSize)
	}
	// At the end, a second take collects the interval the first one
	// started, so nothing counted is left in the table.
	takes := 1
	if last {
		takes = 2
	}
	for range takes {
		err := takeEpoch(m, probe.EpochTable, &a.epoch, tables, func(j int, key, value []byte) (uint32, error) {
			return collectors[j].Add(key, value, a.epoch)
		})
		if err != nil {
			return err
		}
	}
	results := make([]probe.AggResult, len(a.specs))
	var lost uint64
	for j, i := range a.specs {
		n, err := m.ReadCounter(probe.AggLostTable, uint32(i))
		if err != nil {
			return err
		}
		lost += n
		results[j] = collectors[j].Result(n - a.specLost[j])
		a.specLost[j] = n
		for r := range results[j].Rows {
			row := &results[j].Rows[r]
			a.counted += row.Count
			a.stacks.row(m, a.cfg.prog.Specs[i].Agg, row)
		}
	}
	if lost > a.lost {
		a.s.Out.Report("%d %s not counted: a count() or hist() table was full (--max-keys %d)", lost-a.lost, output.Plural(lost-a.lost, "event"), a.cfg.prog.AggEntries)
		a.lost = lost
	}
	when := ""
	if a.cfg.interval > 0 {
		when = time.Now().Format("15:04:05")
	}
	if a.cfg.print.JSON {
		a.s.Out.Out.Write(probe.AppendAggsJSON(nil, time.Now().Format(time.RFC3339), results))
	} else {
		probe.PrintAggs(a.s.Out.Out, when, results)
	}
	a.s.Out.Out.Flush()
	return nil
}

// specsAndTrailingFlags returns the specs and applies the options that
// follow them: urfave/cli stops parsing options at the first argument, and
// `gosnoop probe SPEC -d 1` should mean what it says. A spec never starts
// with '-'; after "--" everything is a spec.
func specsAndTrailingFlags(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	var specs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(specs, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			specs = append(specs, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := commandFlag(c.Command, name)
		if f == nil {
			return nil, usageErrorf("flag provided but not defined: %s", a)
		}
		if _, isBool := f.(*cli.BoolFlag); isBool && !hasValue {
			value = "true"
		} else if !hasValue {
			if i+1 == len(args) {
				return nil, usageErrorf("flag needs an argument: %s", a)
			}
			i++
			value = args[i]
		}
		// cli keeps a value per alias and reconciles them only while parsing.
		for _, n := range f.Names() {
			if err := c.Set(n, value); err != nil {
				return nil, usageErrorf("invalid value %q for flag %s: %v", value, a, err)
			}
		}
	}
	return specs, nil
}

// commandFlag finds the flag of cmd called name, by any of its names.
func commandFlag(cmd *cli.Command, name string) cli.Flag {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// listTargets prints what matches glob, one spec prefix and name per line,
// and with verbose a single tracepoint's fields. It needs no BPF privilege,
// only a readable tracefs, and mounts nothing.
func listTargets(w io.Writer, glob string, verbose bool) error {
	dir := ""
	for _, d := range tracefs.Candidates {
		if f, err := os.Open(filepath.Join(d, "events")); err == nil {
			f.Close()
			dir = d
			break
		}
	}
	if dir == "" {
		return fmt.Errorf("no readable tracefs at %s (try: sudo gosnoop probe -l %q)", strings.Join(tracefs.Candidates, " or "), glob)
	}
	kprobes, _ := kernel.Kprobes(dir)
	targets, err := probe.List(dir, glob, kprobes)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		what := "tracepoint"
		if kprobes {
			what = "tracepoint or kernel function"
		}
		return fmt.Errorf("no %s matches %q (tracepoints are CATEGORY:EVENT, e.g. 'syscalls:sys_enter_open*')", what, glob)
	}
	var b strings.Builder
	for _, t := range targets {
		b.WriteString(output.EscapeLines(t.String()))
	}
	if verbose && len(targets) == 1 && targets[0].Kind == 't' {
		fields, err := probe.Fields(dir, targets[0])
		if err != nil {
			return err
		}
		for _, f := range fields {
			fmt.Fprintf(&b, "    args->%s  %s\n", f.Name, f.Type)
		}
	}
	_, err = io.WriteString(w, b.String())
	return err
}
