// Package probe is gosnoop probe's program: the spec language for ad-hoc
// kprobes, kretprobes and tracepoints (spec.go), the checks on the C a
// spec's fragments may hold (check.go), the printf verbs applied in Go
// (format.go), the C template the specs render into, the attach plan and
// the printers.
package probe

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/gosnoop/gosnoop/internal/btfheader"
	"github.com/gosnoop/gosnoop/internal/output"
	"github.com/gosnoop/gosnoop/internal/render"
)

//go:embed probe.c.tmpl
var probeSource string

var probeTemplate = render.Parse("probe.c.tmpl", probeSource)

// Names of the probe program's tables. Like every name of the program's own,
// they start with ReservedPrefix, which specs may not use.
const (
	EventsTable = ReservedPrefix + "events"
	LostTable   = ReservedPrefix + "lost"
)

// ProgramName is the name of the program function of spec i of
// Options.Specs when that spec is a kprobe or a kretprobe. Tracepoint
// probes share one function per tracepoint: see Options.Tracepoints.
func ProgramName(i int) string { return fmt.Sprintf("%sprobe%d", ReservedPrefix, i) }

// Tracepoints lists each tracepoint the specs use once, as {category, event},
// in the order of first use. All probes on one tracepoint run in one
// TRACEPOINT_PROBE program, which is attached once.
func (o Options) Tracepoints() [][2]string {
	var out [][2]string
	seen := map[[2]string]bool{}
	for _, s := range o.Specs {
		tp := [2]string{s.Category, s.Function}
		if s.Kind == Tracepoint && !seen[tp] {
			seen[tp] = true
			out = append(out, tp)
		}
	}
	return out
}

// HeaderSize is the size of struct gosnoop_header, which starts every event.
const HeaderSize = 48

// Header mirrors struct gosnoop_header in probe.c.tmpl.
type Header struct {
	TsNs  uint64
	PID   uint32
	TID   uint32
	UID   uint32
	CPU   uint32
	Probe uint32
	_     uint32
	Comm  [16]byte
}

// Limits of --string-size.
const (
	MinStringSize     = 8
	MaxStringSize     = 256
	DefaultStringSize = 80
)

// Options fills probe.c.tmpl.
type Options struct {
	Specs      []*Spec
	PID        uint32 // 0: any process
	Tasks      render.Tasks
	UID        int64 // render.AnyUID: any user
	StringSize int   // bytes kept of each %s value
	// IncludeSelf keeps gosnoop's own events; otherwise the program drops
	// those of the process in SelfTable, which the command writes.
	IncludeSelf bool
	Stacks      Stacks // -K, -U: every event carries its stack ids
	// AggEntries bounds each aggregation's table (keys per interval);
	// 0 is DefaultAggEntries.
	AggEntries int
}

// Limits of --max-keys, the entries of an aggregation's table, and the
// size of the stack table.
const (
	DefaultAggEntries = 10240
	MaxAggEntries     = 1 << 20
	StackEntries      = 16384
)

// Names of the tables of aggregations and stacks.
const (
	EpochTable   = ReservedPrefix + "epoch"    // BPF_ARRAY, u32: the interval counts go to
	AggLostTable = ReservedPrefix + "agg_lost" // BPF_ARRAY, u64 per spec: counts with no room
	StacksTable  = ReservedPrefix + "stacks"   // BPF_STACK_TRACE
)

// AggTable is the table of spec i's aggregation.
func AggTable(i int) string { return fmt.Sprintf("%sagg%d", ReservedPrefix, i) }

// usesStacks says whether the program needs the stack table.
func (o Options) usesStacks() bool {
	if o.Stacks.Kernel || o.Stacks.User {
		return true
	}
	for _, s := range o.Specs {
		if s.Agg != nil {
			for _, k := range s.Agg.Keys {
				if k.IsStack() {
					return true
				}
			}
		}
	}
	return false
}

// HasAggs says whether any spec aggregates.
func (o Options) HasAggs() bool {
	for _, s := range o.Specs {
		if s.Agg != nil {
			return true
		}
	}
	return false
}

// HasEvents says whether any spec sends events.
func (o Options) HasEvents() bool {
	for _, s := range o.Specs {
		if s.Agg == nil {
			return true
		}
	}
	return false
}

// SelfTable is the BPF array (one u32) the program reads gosnoop's own pid
// from, to drop its events (as bcc's trace does).
const SelfTable = "gosnoop_self"

// KernelTypes returns the kernel types every spec names (see
// Spec.KernelTypes): the program's roots for headers made from BTF.
func (o Options) KernelTypes() []btfheader.Root {
	var roots []btfheader.Root
	for _, s := range o.Specs {
		roots = append(roots, s.KernelTypes()...)
	}
	return btfheader.SortedRoots(roots)
}

// Field is one value in a probe's event, at a fixed offset.
type Field struct {
	Arg    int    // index into the spec's Args; -1 for padding; ArgKStack, ArgUStack
	Name   string // C member name
	Offset int
	Size   int
	String bool
	Signed bool
}

// The Field.Arg of the stack ids -K and -U add to every event.
const (
	ArgKStack = -2
	ArgUStack = -3
)

// Layout is the event struct of one probe, computed here and declared in
// the C text with a size assertion, so the two cannot drift apart.
type Layout struct {
	Fields []Field
	Size   int
	NArgs  int // values in a decoded event, specials included
}

// Stacks says which stack ids every event carries (-K, -U).
type Stacks struct{ Kernel, User bool }

// Layout places the stack ids and the spec's values after the header: each
// integer aligned to its size, padding written out, the whole rounded to 8
// bytes.
func (s *Spec) Layout(stringSize int, stacks Stacks) Layout {
	var fields []Field
	if stacks.Kernel {
		fields = append(fields, Field{Arg: ArgKStack, Name: "kstack", Size: 4, Signed: true})
	}
	if stacks.User {
		fields = append(fields, Field{Arg: ArgUStack, Name: "ustack", Size: 4, Signed: true})
	}
	for i, a := range s.Args {
		if a.Special != "" { // filled from the header in Go
			continue
		}
		f := Field{Arg: i, Name: fmt.Sprintf("v%d", i), Signed: a.Verb.Signed()}
		if a.Verb.IsString() {
			f.String, f.Size = true, stringSize
		} else {
			f.Size = a.Verb.Size()
		}
		fields = append(fields, f)
	}
	l := Layout{NArgs: len(s.Args)}
	l.Fields, l.Size = pack(HeaderSize, fields)
	return l
}

// pack places fields from offset off in order, each integer aligned to its
// size and the whole rounded to 8 bytes, with the padding written out as
// members of their own (Arg -1), as the C declares them.
func pack(off int, fields []Field) ([]Field, int) {
	var out []Field
	pad := func(to int) {
		if n := (to - off%to) % to; n > 0 {
			out = append(out, Field{Arg: -1, Name: fmt.Sprintf("_pad%d", off), Offset: off, Size: n})
			off += n
		}
	}
	for _, f := range fields {
		if !f.String {
			pad(f.Size)
		}
		f.Offset = off
		off += f.Size
		out = append(out, f)
	}
	pad(8)
	return out, off
}

// Validate checks what Render would otherwise paste into C.
func (o Options) Validate() error {
	if len(o.Specs) == 0 {
		return fmt.Errorf("no probes")
	}
	if err := render.CheckUID(o.UID); err != nil {
		return err
	}
	if o.StringSize < MinStringSize || o.StringSize > MaxStringSize {
		return fmt.Errorf("string size %d not in %d..%d", o.StringSize, MinStringSize, MaxStringSize)
	}
	if o.AggEntries < 0 || o.AggEntries > MaxAggEntries {
		return fmt.Errorf("aggregation table of %d entries not in 1..%d", o.AggEntries, MaxAggEntries)
	}
	for i, s := range o.Specs {
		for _, tp := range o.Tasks.TaskTracepoints() {
			// libbcc declares a tracepoint's struct before each function
			// taking it: a second program on one of these does not compile.
			if s.Kind == Tracepoint && s.Category == tp.Category && s.Function == tp.Event {
				return fmt.Errorf("probe %d: --exec follows the command with t:%s:%s itself; probe it without --exec (-p PID follows no forks but works)", i+1, tp.Category, tp.Event)
			}
		}
		if s.Agg == nil {
			continue
		}
		if n := s.Agg.KeyLayout(o.StringSize).Size; n > MaxKeySize {
			return fmt.Errorf("probe %d: its keys take %d bytes, more than the %d the kernel takes for a table key; lower --string-size", i+1, n, MaxKeySize)
		}
	}
	return nil
}

// probeRender is one probe as the template sees it.
type probeRender struct {
	Index      int
	Name       string
	Predicate  string
	Positional []int
	Return     bool
	Ctx        string
	Fields     []fieldRender
	Size       int
	Agg        *aggRender
	NotePID    bool // a $ustack key: tell gosnoop of the process
}

// aggRender is an aggregation's key and what fills it.
type aggRender struct {
	Hist   string // hist's expression; "" for count()
	Fields []fieldRender
	Size   int
}

// functionRender is one program function: a kprobe's, or a tracepoint's
// with every probe on that tracepoint.
type functionRender struct {
	Name       string // kprobes only
	Signature  string
	Tracepoint bool
	Category   string
	Event      string
	Probes     []probeRender
}

type fieldRender struct {
	Name, Decl, Expr, CType string
	String, User            bool
	To, Ctx                 string // the struct filled, the program's context
	Comm                    bool   // bpf_get_current_comm
	Stack                   string // bpf_get_stackid's flags: "0" kernel, "BPF_F_USER_STACK"
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Render returns the C text of the probe program.
func Render(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	data := struct {
		HeaderSize   int
		PID          uint32
		Tasks        render.Tasks
		UID          int64
		IncludeSelf  bool
		KernelTypes  bool
		Events       bool
		Aggs         bool
		Stacks       bool
		AggEntries   int
		StackEntries int
		NotePIDs     bool
		Probes       []probeRender
		Functions    []*functionRender
	}{HeaderSize: HeaderSize, PID: o.PID, Tasks: o.Tasks, UID: o.UID, IncludeSelf: o.IncludeSelf, KernelTypes: len(o.KernelTypes()) > 0,
		Events: o.HasEvents(), Aggs: o.HasAggs(), Stacks: o.usesStacks(), AggEntries: o.AggEntries, StackEntries: StackEntries}
	if data.AggEntries == 0 {
		data.AggEntries = DefaultAggEntries
	}

	tracepoints := map[[2]string]*functionRender{}
	for i, s := range o.Specs {
		r := probeRender{Index: i, Name: s.Name(), Predicate: s.Predicate, Ctx: "ctx"}
		fn := &functionRender{Name: ProgramName(i), Signature: s.Signature}
		switch s.Kind {
		case Tracepoint:
			// Parsed as identifiers; checked again as they go into C.
			if !identRE.MatchString(s.Category) || !identRE.MatchString(s.Function) {
				return "", fmt.Errorf("%s: bad tracepoint name", s.Name())
			}
			r.Ctx = "args"
			// TRACEPOINT_PROBE(cat, ev) defines tracepoint__cat__ev: one per tracepoint.
			tp := [2]string{s.Category, s.Function}
			if tracepoints[tp] == nil {
				tracepoints[tp] = &functionRender{Tracepoint: true, Category: s.Category, Event: s.Function}
				data.Functions = append(data.Functions, tracepoints[tp])
			}
			fn = tracepoints[tp]
		case Kretprobe:
			r.Return = true
			data.Functions = append(data.Functions, fn)
		default:
			r.Positional = s.positionalArgs()
			data.Functions = append(data.Functions, fn)
		}
		if s.Agg != nil {
			r.Agg = renderAgg(s.Agg, o.StringSize)
			_, user, _ := s.Agg.StackKeys()
			r.NotePID = len(user) > 0
			data.NotePIDs = data.NotePIDs || r.NotePID
			setTarget(r.Agg.Fields, "gosnoop_k", r.Ctx)
		} else {
			r.Fields, r.Size = renderEvent(s, s.Layout(o.StringSize, o.Stacks))
			setTarget(r.Fields, "gosnoop_ev", r.Ctx)
		}
		data.Probes = append(data.Probes, r)
		fn.Probes = append(fn.Probes, r)
	}
	return render.Execute(probeTemplate, data)
}

func setTarget(fields []fieldRender, to, ctx string) {
	for i := range fields {
		fields[i].To, fields[i].Ctx = to, ctx
	}
}

// renderEvent declares the members of an event laid out by layout.
func renderEvent(s *Spec, layout Layout) ([]fieldRender, int) {
	var fields []fieldRender
	for _, f := range layout.Fields {
		fr := fieldRender{Name: f.Name, String: f.String}
		switch {
		case f.Arg == ArgKStack || f.Arg == ArgUStack:
			fr.CType, fr.Stack = "s32", map[int]string{ArgKStack: "0", ArgUStack: "BPF_F_USER_STACK"}[f.Arg]
			fr.Decl = "s32 " + f.Name
		case f.Arg < 0 || f.String:
			fr.Decl = fmt.Sprintf("char %s[%d]", f.Name, f.Size)
		default:
			fr.CType = cIntType(f.Size, f.Signed)
			fr.Decl = fr.CType + " " + f.Name
		}
		if f.Arg >= 0 {
			fr.Expr, fr.User = s.Args[f.Arg].Expr, s.Args[f.Arg].User
		}
		fields = append(fields, fr)
	}
	return fields, layout.Size
}

// renderAgg declares an aggregation's key and says how to fill it.
func renderAgg(a *Agg, stringSize int) *aggRender {
	layout := a.KeyLayout(stringSize)
	r := &aggRender{Hist: a.Expr, Size: layout.Size}
	for _, f := range layout.Fields {
		fr := fieldRender{Name: f.Name}
		if f.Arg < 0 {
			fr.Decl = fmt.Sprintf("char %s[%d]", f.Name, f.Size)
			r.Fields = append(r.Fields, fr)
			continue
		}
		k := a.Keys[f.Arg]
		switch {
		case k.String:
			fr.Decl, fr.String, fr.User, fr.Expr = fmt.Sprintf("char %s[%d]", f.Name, f.Size), true, k.User, k.Expr
		case k.Special == "comm":
			fr.Decl, fr.Comm = fmt.Sprintf("char %s[%d]", f.Name, f.Size), true
		case k.IsStack():
			fr.CType, fr.Stack = "s32", map[string]string{"kstack": "0", "ustack": "BPF_F_USER_STACK"}[k.Special]
		case k.Special != "":
			fr.CType, fr.Expr = "u32", k.Expr
		default:
			fr.CType, fr.Expr = "s64", k.Expr
		}
		if fr.Decl == "" {
			fr.Decl = fr.CType + " " + f.Name
		}
		r.Fields = append(r.Fields, fr)
	}
	return r
}

func cIntType(size int, signed bool) string {
	t := map[int]string{4: "32", 8: "64"}[size]
	if signed {
		return "s" + t
	}
	return "u" + t
}

// positionalArgs lists the argN names the spec uses, so only those become locals.
func (s *Spec) positionalArgs() []int {
	seen := map[int]bool{}
	scan := func(text string) {
		for i := 0; i < len(text); {
			if !isIdentStart(text[i]) {
				i++
				continue
			}
			j := i
			for j < len(text) && isIdentChar(text[j]) {
				j++
			}
			if n, ok := positionalArg(text[i:j]); ok && afterMember(text, i) == "" && n >= 1 && n <= MaxArgs {
				seen[n] = true
			}
			i = j
		}
	}
	scan(s.Predicate)
	for _, e := range s.exprs() {
		scan(e)
	}
	var out []int
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// Value is one decoded value.
type Value struct {
	Int uint64 // integers, as the bits the kernel sent (sign-extended for signed verbs)
	Str string
}

// Event is one decoded event.
type Event struct {
	Header Header
	Values []Value
	// With -K and -U: the stack ids the event carries (negative:
	// bpf_get_stackid's error), and the frames the command symbolized.
	KStack, UStack   int32
	KFrames, UFrames []string
}

// NotePID is the probe index of the events that say a process counted
// under a $ustack key for the first time: the header alone, with its pid.
const NotePID = 1<<32 - 1

// ProbeIndex returns which probe sent a sample, from its header, so the
// reader can pick that probe's layout before decoding anything else.
func ProbeIndex(b []byte) (int, error) {
	if len(b) < HeaderSize {
		return 0, fmt.Errorf("probe event: %d bytes, want at least %d", len(b), HeaderSize)
	}
	return int(binary.LittleEndian.Uint32(b[24:])), nil
}

// DecodeHeader reads the header that starts every probe event.
func DecodeHeader(b []byte, h *Header) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("probe event: %d bytes, want at least %d", len(b), HeaderSize)
	}
	le := binary.LittleEndian
	h.TsNs = le.Uint64(b[0:])
	h.PID = le.Uint32(b[8:])
	h.TID = le.Uint32(b[12:])
	h.UID = le.Uint32(b[16:])
	h.CPU = le.Uint32(b[20:])
	h.Probe = le.Uint32(b[24:])
	copy(h.Comm[:], b[32:48])
	return nil
}

// Decode reads the values of a sample laid out by l.
func (l Layout) Decode(b []byte, ev *Event) error {
	if len(b) < l.Size {
		return fmt.Errorf("probe event: %d bytes, want %d", len(b), l.Size)
	}
	if err := DecodeHeader(b, &ev.Header); err != nil {
		return err
	}
	ev.Values = append(ev.Values[:0], make([]Value, l.NArgs)...)
	le := binary.LittleEndian
	ev.KFrames, ev.UFrames = nil, nil
	for _, f := range l.Fields {
		switch f.Arg {
		case ArgKStack:
			ev.KStack = int32(le.Uint32(b[f.Offset:]))
		case ArgUStack:
			ev.UStack = int32(le.Uint32(b[f.Offset:]))
		}
		if f.Arg < 0 {
			continue
		}
		ev.Values[f.Arg] = f.decode(b)
	}
	return nil
}

// decode reads field f of sample b: a string up to its NUL, or an integer
// (sign-extended when Signed).
func (f Field) decode(b []byte) Value {
	var v Value
	le := binary.LittleEndian
	switch {
	case f.String:
		v.Str = string(output.CString(b[f.Offset : f.Offset+f.Size]))
	case f.Size == 4 && f.Signed:
		v.Int = uint64(int64(int32(le.Uint32(b[f.Offset:]))))
	case f.Size == 4:
		v.Int = uint64(le.Uint32(b[f.Offset:]))
	default:
		v.Int = le.Uint64(b[f.Offset:])
	}
	return v
}

// Value returns argument i of ev; specials ($pid, $comm, ...) come from the header.
func (s *Spec) Value(ev *Event, i int) Value {
	var v Value
	if i >= len(s.Args) {
		return v
	}
	switch s.Args[i].Special {
	case "":
		if i < len(ev.Values) {
			v = ev.Values[i]
		}
	case "pid":
		v.Int = uint64(ev.Header.PID)
	case "tid":
		v.Int = uint64(ev.Header.TID)
	case "uid":
		v.Int = uint64(ev.Header.UID)
	case "cpu":
		v.Int = uint64(ev.Header.CPU)
	case "comm":
		v.Str = string(output.CString(ev.Header.Comm[:]))
	}
	return v
}

// Message formats an event's values with the spec's format, in Go.
func (s *Spec) Message(ev *Event) string {
	var b strings.Builder
	arg := 0
	for _, part := range s.Format {
		if part.Verb == nil {
			b.WriteString(part.Text)
			continue
		}
		b.WriteString(formatVerb(*part.Verb, s.Value(ev, arg)))
		arg++
	}
	return b.String()
}
