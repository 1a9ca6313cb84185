package open

import (
	"fmt"

	"github.com/gosnoop/gosnoop/internal/mounts"
	"github.com/gosnoop/gosnoop/internal/render"
)

// Base says what follows the path in an -F event (struct open_event's
// base, OPEN_BASE_* in open.c.tmpl).
type Base uint8

const (
	BaseNone    Base = 0 // an absolute or empty path: nothing follows
	BaseWalked  Base = 1 // the walk of the directory the path is relative to
	BaseCut     Base = 2 // as BaseWalked, stopped short of the filesystem's root
	BaseUnknown Base = 3 // the directory fd named no open file: nothing follows
)

// WalkLen bounds the walk's bytes (OPEN_WALK_LEN); its depth is bounded by
// render's dentry_walk (32 names).
const WalkLen = 4096

// Walk returns the dentry walk that follows the whole path in sample b,
// which DecodeEvent read into ev: nil unless ev.Base has one.
func Walk(b []byte, ev *Event) ([]byte, error) {
	if ev.Base != BaseWalked && ev.Base != BaseCut {
		return nil, nil
	}
	n := int(ev.WalkLen)
	if n == 0 { // the directory is its filesystem's root
		return []byte{}, nil
	}
	if n >= WalkLen || len(b) < EventSize+n {
		return nil, fmt.Errorf("open event: a walk of %d bytes in a sample of %d", n, len(b))
	}
	return b[EventSize : EventSize+n], nil
}

// Locator maps a path from the root of filesystem dev (the kernel's
// encoding) to the path users see (mounts.Table).
type Locator interface {
	Locate(dev uint32, fsPath string) string
}

// FullPath is -F's path of ev, whose walk is walk: a relative path joined
// to the directory it was relative to, as gosnoop's mount namespace shows
// that directory, and cleaned lexically (mounts.Join); an absolute path,
// or one whose directory is unknown (a bad fd), as the process gave it.
// A walk cut short (deeper than 32 directories) gives a path that starts
// with "…/" and holds the names walked. cut reports that.
func FullPath(where Locator, ev *Event, walk []byte) (path string, cut bool) {
	rel := ev.PathString()
	switch ev.Base {
	case BaseWalked:
		return mounts.Join(where.Locate(ev.Dev, render.WalkPath(walk, false)), rel), false
	case BaseCut:
		return "…" + mounts.Join(render.WalkPath(walk, false), rel), true
	}
	return rel, false
}
