package life

import (
	"path"
	"time"

	"github.com/gosnoop/gosnoop/internal/mounts"
)

// Locator maps a path from the root of filesystem dev (the kernel's
// encoding) to the path users see (mounts.Table).
type Locator interface {
	Locate(dev uint32, fsPath string) string
}

// Life is one file's life, ended by an unlink.
type Life struct {
	Ts   uint64 // when the unlink ended it (ktime)
	Age  time.Duration
	PID  uint32 // the process that unlinked it
	Comm [16]byte
	Path string // where it was, as this mount namespace sees it
	Name string // its last component, which FILE shows as filelife does
}

// Tracker turns events into lives. Deaths the kernel measured (kprobes)
// pass through; on the tracepoints it keeps each birth by path, moves it
// with a rename, and ends it at an unlink of the same path or a rename
// over it. The path of a birth is exact (the created file's dentries); an
// unlink's or a rename's is its directory's dentries joined with the
// pathname as the process gave it, cleaned lexically, so it misses a file
// unlinked or renamed through a symbolic link in the pathname (or ".."
// after one), or whose directory was renamed, or created and unlinked
// under different names of a hard link. Paths are mapped through gosnoop's own
// mount table: a filesystem mounted more than once is seen at one of its
// mounts; for processes whose root or mounts differ from gosnoop's the
// birth and the unlink still meet when both name the file from the same
// filesystem.
type Tracker struct {
	where   Locator
	births  map[string]uint64
	renames map[uint32]string // old path of a rename whose new one is next, by pid
	queue   []queued          // births in order, to forget the oldest
	// Max bounds the births remembered; beyond it the oldest are
	// forgotten and counted in Forgotten.
	Max       int
	Forgotten uint64
	// Unplaced counts births and unlinks whose dentry walk was cut short
	// (deeper than MaxDepth or PathLen), which cannot be matched.
	Unplaced uint64
}

type queued struct {
	path string
	ts   uint64
}

// DefaultMaxTracked bounds the births a Tracker remembers.
const DefaultMaxTracked = 1 << 20

// NewTracker maps paths with where.
func NewTracker(where Locator) *Tracker {
	return &Tracker{where: where, births: map[string]uint64{}, renames: map[uint32]string{}, Max: DefaultMaxTracked}
}

// Tracked is how many births wait for their unlink.
func (t *Tracker) Tracked() int { return len(t.births) }

// Event takes one event and returns the life it ended, if any.
func (t *Tracker) Event(ev *Event) (Life, bool) {
	if ev.Cut && ev.Kind != Death {
		t.Unplaced++
		return Life{}, false
	}
	where := t.where.Locate(ev.Dev, ev.FSPath())
	switch ev.Kind {
	case Death:
		return Life{Ts: ev.Ts, Age: time.Duration(ev.AgeNs), PID: ev.PID, Comm: ev.Comm, Path: where, Name: ev.Name()}, true
	case Birth:
		t.born(where, ev.Ts)
	case Unlink:
		return t.end(mounts.Join(where, string(ev.Pathname)), ev)
	case RenameFrom:
		t.renames[ev.PID] = mounts.Join(where, string(ev.Pathname))
	case RenameTo:
		from, ok := t.renames[ev.PID]
		delete(t.renames, ev.PID)
		to := mounts.Join(where, string(ev.Pathname))
		if !ok || from == to {
			return Life{}, false
		}
		fromBorn, moving := t.births[from]
		toBorn, replaced := t.births[to]
		delete(t.births, from)
		if ev.Flags&RenameExchange != 0 { // the two swap names; neither ends
			if replaced {
				t.born(from, toBorn)
			}
			if moving {
				t.born(to, fromBorn)
			}
			return Life{}, false
		}
		var l Life
		if replaced { // the file the rename replaced is gone
			l, _ = t.end(to, ev)
		}
		if moving {
			t.born(to, fromBorn)
		}
		return l, replaced
	}
	return Life{}, false
}

// born keeps a birth at p.
func (t *Tracker) born(p string, ts uint64) {
	t.births[p] = ts
	t.queue = append(t.queue, queued{p, ts})
	t.forget()
}

// end ends the life of the file born at p, if one was, as ev says.
func (t *Tracker) end(p string, ev *Event) (Life, bool) {
	born, ok := t.births[p]
	if !ok {
		return Life{}, false
	}
	delete(t.births, p)
	return Life{Ts: ev.Ts, Age: time.Duration(ev.Ts - born), PID: ev.PID, Comm: ev.Comm, Path: p, Name: path.Base(p)}, true
}

// forget drops the oldest births beyond Max, and the queue's entries for
// births already ended.
func (t *Tracker) forget() {
	for len(t.births) > t.Max && len(t.queue) > 0 {
		q := t.queue[0]
		t.queue = t.queue[1:]
		if ts, ok := t.births[q.path]; ok && ts == q.ts {
			delete(t.births, q.path)
			t.Forgotten++
		}
	}
	if len(t.queue) > 2*len(t.births)+1024 {
		live := t.queue[:0]
		for _, q := range t.queue {
			if ts, ok := t.births[q.path]; ok && ts == q.ts {
				live = append(live, q)
			}
		}
		t.queue = live
	}
}
