package symbols

import (
	"bufio"
	"bytes"
	"container/list"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Cache bounds: a long run on a busy machine sees many processes, and each
// may map many files.
const (
	DefaultMaxProcesses = 1024
	DefaultMaxFiles     = 128
	maxMappings         = 1 << 14 // executable mappings kept per process
	// rereadAfter is how old a process's memory map must be before an
	// address outside it makes it read again (a library it loaded since):
	// garbage addresses cost at most 100 reads a second (tens of µs each).
	rereadAfter = 10 * time.Millisecond
)

// User resolves user-space addresses of processes. It reads a process's
// memory map when it first sees the process (Note, or the first Resolve)
// and keeps it, since a short-lived process is gone by the time its stack
// is printed; it reads the symbols of each mapped file once, for every
// process mapping it. It is safe for concurrent use.
type User struct {
	proc               string // "/proc"
	maxProcs, maxFiles int
	now                func() time.Time

	mu        sync.Mutex
	procs     map[uint32]*list.Element // of *process, most recent first
	procOrder list.List
	files     map[fileID]*list.Element // of *elfEntry
	fileOrder list.List
}

// NewUser returns a User keeping at most DefaultMaxProcesses memory maps
// and DefaultMaxFiles files' symbols, dropping the least recently used.
func NewUser() *User { return newUser("/proc", DefaultMaxProcesses, DefaultMaxFiles) }

func newUser(proc string, maxProcs, maxFiles int) *User {
	return &User{
		proc: proc, maxProcs: maxProcs, maxFiles: maxFiles, now: time.Now,
		procs: map[uint32]*list.Element{}, files: map[fileID]*list.Element{},
	}
}

type process struct {
	pid  uint32
	maps []mapping // executable ones, by address
	read time.Time
	err  error
}

// mapping is an executable line of /proc/PID/maps.
type mapping struct {
	start, end, off uint64
	inode           uint64
	dev             string // "major:minor" in hex, as maps shows it
	path            string // as the process sees it, with " (deleted)" if so
	file            string // path without " (deleted)"
	marker          string // for what has no file to read: "[vdso]", "[anon]", ...
	deleted         bool
	// What the first look at the file found: its identity, to find its
	// symbols among the files without opening it again, or why it gives none.
	id     fileID
	opened bool
	err    error
}

// fileID names one version of a file: the same path may hold another file
// later, and one file has several paths.
type fileID struct {
	dev, inode uint64
	mtime      int64
	size       int64
}

type elfEntry struct {
	id   fileID
	syms *elfSymbols
	err  error
}

// Note reads pid's memory map now, if it has not been read: call it when
// first seeing a process, before it can exit.
func (u *User) Note(pid uint32) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.process(pid)
}

// Forget drops what is kept of pid, e.g. when it exits: its pid may be
// reused by another program.
func (u *User) Forget(pid uint32) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if e, ok := u.procs[pid]; ok {
		u.procOrder.Remove(e)
		delete(u.procs, pid)
	}
}

// Resolve names the function of pid holding addr. A frame not Known still
// says, where it can, which file or marker holds addr.
func (u *User) Resolve(pid uint32, addr uint64) Frame {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.process(pid)
	m := p.find(addr)
	if m == nil && p.err == nil && u.now().Sub(p.read) > rereadAfter {
		u.readMaps(p)
		m = p.find(addr)
	}
	if m == nil {
		return Frame{Addr: addr}
	}
	if m.marker != "" {
		return Frame{Addr: addr, Module: m.marker, Offset: addr - m.start}
	}
	fileOff := addr - m.start + m.off
	unknown := Frame{Addr: addr, Module: m.path, Offset: fileOff}
	es, err := u.symbolsFor(pid, m)
	if err != nil {
		return unknown
	}
	a, ok := es.address(fileOff)
	if !ok {
		return unknown
	}
	s, ok := es.function(a)
	if !ok {
		return unknown
	}
	return Frame{Addr: addr, Symbol: s.name, Offset: a - s.value, Module: m.path, Known: true}
}

// FileError says why the file mapped at addr in pid gives no symbols, or
// nil: for -v, and for tests.
func (u *User) FileError(pid uint32, addr uint64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.process(pid)
	if p.err != nil {
		return p.err
	}
	m := p.find(addr)
	switch {
	case m == nil:
		return fmt.Errorf("no executable mapping of pid %d holds %#x", pid, addr)
	case m.marker != "":
		return fmt.Errorf("%#x of pid %d is in %s, no file", addr, pid, m.marker)
	}
	_, err := u.symbolsFor(pid, m)
	return err
}

// process returns pid's entry, reading its map on first sight.
func (u *User) process(pid uint32) *process {
	if e, ok := u.procs[pid]; ok {
		u.procOrder.MoveToFront(e)
		return e.Value.(*process)
	}
	p := &process{pid: pid}
	u.readMaps(p)
	u.procs[pid] = u.procOrder.PushFront(p)
	for u.procOrder.Len() > u.maxProcs {
		old := u.procOrder.Back()
		u.procOrder.Remove(old)
		delete(u.procs, old.Value.(*process).pid)
	}
	return p
}

func (u *User) readMaps(p *process) {
	p.read = u.now()
	f, err := os.Open(fmt.Sprintf("%s/%d/maps", u.proc, p.pid))
	if err != nil {
		p.err = fmt.Errorf("reading the memory map of pid %d: %w", p.pid, err)
		return
	}
	defer f.Close()
	maps, err := parseMaps(f)
	if err != nil {
		p.err = fmt.Errorf("reading the memory map of pid %d: %w", p.pid, err)
		return
	}
	p.maps, p.err = maps, nil
}

func (p *process) find(addr uint64) *mapping {
	i := sort.Search(len(p.maps), func(i int) bool { return p.maps[i].end > addr })
	if i < len(p.maps) && p.maps[i].start <= addr {
		return &p.maps[i]
	}
	return nil
}

// parseMaps keeps the executable mappings of a /proc/PID/maps:
//
//	55d0c1a00000-55d0c1a22000 r-xp 00002000 fd:01 1835019    /usr/bin/cat
func parseMaps(r io.Reader) ([]mapping, error) {
	var maps []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 8<<10), 64<<10)
	for sc.Scan() {
		fields := splitMapsLine(sc.Bytes())
		if fields == nil {
			return nil, fmt.Errorf("line %q is no mapping", sc.Bytes())
		}
		if len(fields[1]) < 3 || fields[1][2] != 'x' {
			continue
		}
		dash := bytes.IndexByte(fields[0], '-')
		start, err1 := strconv.ParseUint(string(fields[0][:max(dash, 0)]), 16, 64)
		end, err2 := strconv.ParseUint(string(fields[0][dash+1:]), 16, 64)
		off, err3 := strconv.ParseUint(string(fields[2]), 16, 64)
		inode, err4 := strconv.ParseUint(string(fields[4]), 10, 64)
		if dash < 0 || errors.Join(err1, err2, err3, err4) != nil || end <= start {
			return nil, fmt.Errorf("line %q is no mapping", sc.Bytes())
		}
		m := mapping{start: start, end: end, off: off, inode: inode, dev: string(fields[3]), path: string(fields[5])}
		m.file = m.path
		switch {
		case m.path == "":
			m.marker = "[anon]"
		case m.path[0] == '[': // [vdso], [vsyscall], [stack]...
			m.marker = m.path
		case inode == 0: // no file: memfd-like, or a special mapping
			m.marker = "[anon]"
		}
		if p, ok := bytes.CutSuffix(fields[5], []byte(" (deleted)")); ok {
			m.file, m.deleted = string(p), true
		}
		if len(maps) == maxMappings {
			return nil, fmt.Errorf("more than %d executable mappings", maxMappings)
		}
		maps = append(maps, m)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(maps, func(i, j int) bool { return maps[i].start < maps[j].start })
	return maps, nil
}

// splitMapsLine returns a maps line's six fields, the path possibly empty
// and holding spaces, or nil.
func splitMapsLine(line []byte) [][]byte {
	fields := make([][]byte, 0, 6)
	rest := line
	for i := 0; i < 5; i++ {
		rest = bytes.TrimLeft(rest, " ")
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			if i < 4 || len(rest) == 0 {
				return nil
			}
			sp = len(rest)
		}
		fields = append(fields, rest[:sp])
		rest = rest[sp:]
	}
	return append(fields, bytes.TrimLeft(rest, " "))
}

// symbolsFor returns the symbols of the file m maps, read once per version
// of the file. The file is opened as the process sees it: through
// /proc/PID/map_files, which reaches the very file mapped even when deleted
// or in another mount namespace (it needs CAP_SYS_ADMIN), else through
// /proc/PID/root, the process's root directory (containers), if the file
// there is still the one mapped. The mapping remembers which file it was,
// so that later addresses cost no system call.
func (u *User) symbolsFor(pid uint32, m *mapping) (*elfSymbols, error) {
	if m.opened {
		if m.err != nil {
			return nil, m.err
		}
		if e, ok := u.files[m.id]; ok {
			u.fileOrder.MoveToFront(e)
			entry := e.Value.(*elfEntry)
			return entry.syms, entry.err
		}
	}
	m.opened = true
	f, err := u.openMapped(pid, m)
	if err != nil {
		m.err = err
		return nil, err
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		m.err = fmt.Errorf("reading %s: %w", m.file, err)
		return nil, m.err
	}
	m.id = fileID{dev: st.Dev, inode: st.Ino, mtime: st.Mtim.Nano(), size: st.Size}
	if e, ok := u.files[m.id]; ok {
		u.fileOrder.MoveToFront(e)
		entry := e.Value.(*elfEntry)
		return entry.syms, entry.err
	}
	entry := &elfEntry{id: m.id}
	entry.syms, entry.err = readELF(io.NewSectionReader(f, 0, st.Size))
	if entry.err != nil {
		entry.err = fmt.Errorf("reading the symbols of %s: %w", m.file, entry.err)
	}
	u.files[m.id] = u.fileOrder.PushFront(entry)
	for u.fileOrder.Len() > u.maxFiles {
		old := u.fileOrder.Back()
		u.fileOrder.Remove(old)
		delete(u.files, old.Value.(*elfEntry).id)
	}
	return entry.syms, entry.err
}

func (u *User) openMapped(pid uint32, m *mapping) (*os.File, error) {
	f, err := openRegular(fmt.Sprintf("%s/%d/map_files/%x-%x", u.proc, pid, m.start, m.end))
	if err == nil {
		return f, nil
	}
	if m.deleted {
		return nil, fmt.Errorf("opening deleted %s: %w", m.file, err)
	}
	f, err = openRegular(fmt.Sprintf("%s/%d/root%s", u.proc, pid, m.file))
	if err != nil {
		// The process has exited (its maps were read while it ran): the
		// path in gosnoop's own mount namespace, if it is the same file.
		if f, ferr := openRegular(m.file); ferr == nil {
			if m.sameFile(f) {
				return f, nil
			}
			f.Close()
		}
		return nil, fmt.Errorf("opening %s: %w", m.file, err)
	}
	if !m.sameFile(f) {
		f.Close()
		return nil, fmt.Errorf("opening %s: not the file mapped (replaced since?)", m.file)
	}
	return f, nil
}

// sameFile says whether f is the file m maps: same inode, same device.
func (m *mapping) sameFile(f *os.File) bool {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil || st.Ino != m.inode {
		return false
	}
	major, minor := st.Dev>>8&0xfff|st.Dev>>32&^0xfff, st.Dev&0xff|st.Dev>>12&^0xff
	return m.dev == "" || m.dev == fmt.Sprintf("%02x:%02x", major, minor)
}

// openRegular opens path only if it is a regular file: the paths come
// from other users' processes, and opening a device can act on it, and
// a FIFO blocks.
func openRegular(path string) (*os.File, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}
