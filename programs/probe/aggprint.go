package probe

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gosnoop/gosnoop/internal/output"
)

// AggRow is one key's counts over an interval.
type AggRow struct {
	Key     []Value    // one per Agg.Keys
	Frames  [][]string // per key: a stack key's frames, symbolized; nil for other keys
	Count   uint64     // count(): the count; hist(): the values bucketed
	Buckets map[uint32]uint64
}

// AggResult is what one aggregating spec counted in an interval.
type AggResult struct {
	Spec *Spec
	Rows []AggRow
	Lost uint64 // counts the table had no room for, in this interval
}

// Collector groups an aggregation table's entries (one per key and bucket)
// into rows.
type Collector struct {
	spec   *Spec
	layout KeyLayout
	rows   map[string]*AggRow
	order  []string
}

// NewCollector collects spec's table, laid out for stringSize.
func NewCollector(spec *Spec, stringSize int) *Collector {
	return &Collector{spec: spec, layout: spec.Agg.KeyLayout(stringSize), rows: map[string]*AggRow{}}
}

// Add takes one table entry unless its epoch is current, the interval
// the kernel counts into now, which a later take collects; it returns the
// entry's epoch, and an error for a key or value of the wrong size.
func (c *Collector) Add(key, value []byte, current uint32) (uint32, error) {
	var k AggKey
	if err := c.layout.Decode(c.spec.Agg, key, &k); err != nil {
		return 0, err
	}
	if k.Epoch == current {
		return k.Epoch, nil
	}
	if len(value) != 8 {
		return 0, fmt.Errorf("aggregation value: %d bytes, want 8", len(value))
	}
	n := uint64(value[0]) | uint64(value[1])<<8 | uint64(value[2])<<16 | uint64(value[3])<<24 |
		uint64(value[4])<<32 | uint64(value[5])<<40 | uint64(value[6])<<48 | uint64(value[7])<<56
	return k.Epoch, c.add(k, string(key[AggHeaderSize:]), n)
}

func (c *Collector) add(k AggKey, id string, n uint64) error {
	r := c.rows[id]
	if r == nil {
		r = &AggRow{Key: k.Values, Frames: make([][]string, len(k.Values))}
		c.rows[id] = r
		c.order = append(c.order, id)
	}
	r.Count += n
	if c.spec.Agg.Kind == Hist {
		if r.Buckets == nil {
			r.Buckets = map[uint32]uint64{}
		}
		r.Buckets[k.Bucket] += n
	}
	return nil
}

// Result returns the rows, fewest counts first (the largest end up
// nearest the prompt, as bcc's tools print them), ties in key order.
func (c *Collector) Result(lost uint64) AggResult {
	res := AggResult{Spec: c.spec, Lost: lost}
	for _, id := range c.order {
		res.Rows = append(res.Rows, *c.rows[id])
	}
	sort.SliceStable(res.Rows, func(i, j int) bool {
		a, b := res.Rows[i], res.Rows[j]
		if a.Count != b.Count {
			return a.Count < b.Count
		}
		return keyLess(a.Key, b.Key)
	})
	return res
}

func keyLess(a, b []Value) bool {
	for i := range a {
		if a[i].Str != b[i].Str {
			return a[i].Str < b[i].Str
		}
		if a[i].Int != b[i].Int {
			return a[i].Int < b[i].Int
		}
	}
	return false
}

// StackKeys lists, for symbolizing, each row's stack keys: the key index,
// whether it is a user stack, and the pid a user stack belongs to.
func (a *Agg) StackKeys() (kernel, user []int, pidKey int) {
	pidKey = -1
	for i, k := range a.Keys {
		switch k.Special {
		case "kstack":
			kernel = append(kernel, i)
		case "ustack":
			user = append(user, i)
		case "pid":
			if pidKey < 0 {
				pidKey = i
			}
		}
	}
	return kernel, user, pidKey
}

// columnName is a key's column header.
func (k Key) columnName() string {
	if k.Special != "" {
		return strings.ToUpper(k.Special)
	}
	return k.Text
}

// formatKey is a key's value as the table shows it, unescaped.
func (k Key) formatKey(v Value) string {
	switch {
	case k.String || k.Special == "comm":
		return v.Str
	case k.Special == "" || k.IsStack():
		return strconv.FormatInt(int64(v.Int), 10)
	}
	return strconv.FormatUint(v.Int, 10)
}

// PrintAggs writes one interval's aggregations as tables and bcc-style log2
// histograms. when, if not empty, heads the interval (-i). Keys are other
// users' text: escaped.
func PrintAggs(w io.Writer, when string, results []AggResult) {
	var b bytes.Buffer
	if when != "" {
		fmt.Fprintf(&b, "%s\n", when)
	}
	for i, res := range results {
		if i > 0 || when != "" {
			b.WriteByte('\n')
		}
		agg := res.Spec.Agg
		b.WriteString(output.EscapedString(res.Spec.Name() + " " + agg.Text))
		b.WriteByte('\n')
		if len(res.Rows) == 0 {
			b.WriteString("(no events)\n")
			continue
		}
		if agg.Kind == Hist {
			printHists(&b, res)
		} else {
			printCounts(&b, res)
		}
	}
	w.Write(b.Bytes())
}

// shownKeys are the keys a table has columns for: not the stacks, printed
// under their row, nor gosnoop's hidden ones.
func (a *Agg) shownKeys() []int {
	var out []int
	for i, k := range a.Keys {
		if !k.Hidden && !k.IsStack() {
			out = append(out, i)
		}
	}
	return out
}

func printCounts(b *bytes.Buffer, res AggResult) {
	agg := res.Spec.Agg
	cols := agg.shownKeys()
	cells := make([][]string, len(res.Rows))
	widths := make([]int, len(cols))
	for j, ki := range cols {
		widths[j] = len(agg.Keys[ki].columnName())
	}
	for i, r := range res.Rows {
		for j, ki := range cols {
			c := output.EscapedString(agg.Keys[ki].formatKey(r.Key[ki]))
			cells[i] = append(cells[i], c)
			widths[j] = max(widths[j], len(c))
		}
	}
	for j, ki := range cols {
		fmt.Fprintf(b, "%-*s  ", widths[j], output.EscapedString(agg.Keys[ki].columnName()))
	}
	b.WriteString("COUNT\n")
	for i, r := range res.Rows {
		for j := range cols {
			fmt.Fprintf(b, "%-*s  ", widths[j], cells[i][j])
		}
		fmt.Fprintf(b, "%d\n", r.Count)
		printFrames(b, agg, r)
	}
}

// printFrames writes a row's stacks, one frame a line, under the row.
func printFrames(b *bytes.Buffer, agg *Agg, r AggRow) {
	shown := 0
	for _, k := range agg.Keys {
		if !k.Hidden {
			shown++
		}
	}
	for ki, k := range agg.Keys {
		if !k.IsStack() {
			continue
		}
		if shown > 1 || agg.Kind == Hist {
			fmt.Fprintf(b, "    %s:\n", k.Text)
		}
		for _, f := range r.Frames[ki] {
			b.WriteString("        ")
			b.WriteString(output.EscapedString(f))
			b.WriteByte('\n')
		}
	}
}

// histWidth is the width of the bars, as in bcc's log2 histograms.
const histWidth = 40

func printHists(b *bytes.Buffer, res AggResult) {
	agg := res.Spec.Agg
	cols := agg.shownKeys()
	for i, r := range res.Rows {
		if len(cols) > 0 || len(agg.Keys) > 0 {
			if i > 0 {
				b.WriteByte('\n')
			}
			var parts []string
			for _, ki := range cols {
				parts = append(parts, agg.Keys[ki].Text+" = "+agg.Keys[ki].formatKey(r.Key[ki]))
			}
			if len(parts) > 0 {
				b.WriteString(output.EscapedString(strings.Join(parts, ", ")))
				b.WriteByte('\n')
			}
			printFrames(b, agg, r)
		}
		printHist(b, r.Buckets)
	}
}

// printHist draws one log2 histogram from its lowest to its highest
// non-empty bucket, values below zero first.
func printHist(b *bytes.Buffer, buckets map[uint32]uint64) {
	var most uint64
	lo, hi := uint32(Buckets), uint32(0)
	for k, n := range buckets {
		most = max(most, n)
		if k < NegativeBucket {
			lo, hi = min(lo, k), max(hi, k)
		}
	}
	// bcc's widths: 10 digits while every bucket fits 32 bits.
	w := 10
	if hi > 32 || buckets[NegativeBucket] > 0 {
		w = 20
	}
	fmt.Fprintf(b, "%*s : count    distribution\n", 2*w+4, "value")
	bar := func(n uint64) string {
		stars := 0
		if most > 0 {
			stars = int(n * histWidth / most)
		}
		return strings.Repeat("*", stars) + strings.Repeat(" ", histWidth-stars)
	}
	if n := buckets[NegativeBucket]; n > 0 {
		fmt.Fprintf(b, "%*s : %-8d |%s|\n", 2*w+4, "< 0", n, bar(n))
	}
	for k := lo; k <= hi && lo < Buckets; k++ {
		low, high := BucketRange(k)
		n := buckets[k]
		fmt.Fprintf(b, "%*d -> %-*d : %-8d |%s|\n", w, low, w, high, n, bar(n))
	}
}

// AppendAggsJSON appends one interval's aggregations as one JSON object.
func AppendAggsJSON(b []byte, when string, results []AggResult) []byte {
	b = append(b, `{"time":`...)
	b = output.AppendJSONString(b, []byte(when))
	b = append(b, `,"aggregations":[`...)
	for i, res := range results {
		if i > 0 {
			b = append(b, ',')
		}
		agg := res.Spec.Agg
		b = append(b, `{"probe":`...)
		b = output.AppendJSONString(b, []byte(res.Spec.Name()))
		b = append(b, `,"aggregation":`...)
		b = output.AppendJSONString(b, []byte(agg.Text))
		b = append(b, `,"by":[`...)
		for j, k := range agg.Keys {
			if j > 0 {
				b = append(b, ',')
			}
			b = output.AppendJSONString(b, []byte(k.Text))
		}
		b = fmt.Appendf(b, `],"lost":%d,"rows":[`, res.Lost)
		for j, r := range res.Rows {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":[`...)
			for ki, k := range agg.Keys {
				if ki > 0 {
					b = append(b, ',')
				}
				b = appendKeyJSON(b, k, r.Key[ki], r.Frames[ki])
			}
			b = fmt.Appendf(b, `],"count":%d`, r.Count)
			if agg.Kind == Hist {
				b = append(b, `,"buckets":[`...)
				keys := make([]uint32, 0, len(r.Buckets))
				for k := range r.Buckets {
					keys = append(keys, k)
				}
				sort.Slice(keys, func(x, y int) bool {
					return keys[x] == NegativeBucket || keys[y] != NegativeBucket && keys[x] < keys[y]
				})
				for x, k := range keys {
					if x > 0 {
						b = append(b, ',')
					}
					low, high := BucketRange(k)
					b = fmt.Appendf(b, `{"low":%d,"high":%d,"count":%d}`, low, high, r.Buckets[k])
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}\n"...)
}

func appendKeyJSON(b []byte, k Key, v Value, frames []string) []byte {
	switch {
	case k.IsStack():
		b = append(b, '[')
		for i, f := range frames {
			if i > 0 {
				b = append(b, ',')
			}
			b = output.AppendJSONString(b, []byte(f))
		}
		return append(b, ']')
	case k.String || k.Special == "comm":
		return output.AppendJSONString(b, []byte(v.Str))
	case k.Special == "":
		return strconv.AppendInt(b, int64(v.Int), 10)
	}
	return strconv.AppendUint(b, v.Int, 10)
}
