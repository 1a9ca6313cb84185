package open

import (
	"fmt"
	"runtime"
	"strings"
)

// openFlags are the open(2) flags -f takes, by name without "O_", with
// the values of the kernel's UAPI asm-generic/fcntl.h (x86-64's);
// TestOpenFlagsMatchTheHeaders checks them against the header. SYNC and
// TMPFILE are the bits that tell them apart (__O_SYNC, __O_TMPFILE): the
// header's O_SYNC also holds O_DSYNC's bit, and O_TMPFILE O_DIRECTORY's.
// ASYNC is the header's FASYNC.
var openFlags = []struct {
	name  string
	value uint32
}{
	{"RDONLY", 0}, {"WRONLY", 01}, {"RDWR", 02},
	{"CREAT", 0100}, {"EXCL", 0200}, {"NOCTTY", 0400}, {"TRUNC", 01000},
	{"APPEND", 02000}, {"NONBLOCK", 04000}, {"DSYNC", 010000}, {"ASYNC", 020000},
	{"DIRECT", 040000}, {"LARGEFILE", 0100000}, {"DIRECTORY", 0200000},
	{"NOFOLLOW", 0400000}, {"NOATIME", 01000000}, {"CLOEXEC", 02000000},
	{"SYNC", 04000000}, {"PATH", 010000000}, {"TMPFILE", 020000000},
}

// arm64Flags are the values arm64 defines differently
// (arch/arm64/include/uapi/asm/fcntl.h).
var arm64Flags = map[string]uint32{"DIRECTORY": 040000, "NOFOLLOW": 0100000, "DIRECT": 0200000, "LARGEFILE": 0400000}

const accessModeMask = 3 // O_ACCMODE

// flagValue is name's value on arch.
func flagValue(name string, value uint32, arch string) uint32 {
	if v, ok := arm64Flags[name]; ok && arch == "arm64" {
		return v
	}
	return value
}

// FlagNames lists the names -f takes.
func FlagNames() []string {
	names := make([]string, len(openFlags))
	for i, f := range openFlags {
		names[i] = "O_" + f.name
	}
	return names
}

// FlagFilter is -f: the open flags a call must have one of. Access modes
// are values, not bits (O_RDONLY is 0), so they are kept apart: AccModes
// has bit 1<<m for each access mode m wanted, compared with flags &
// O_ACCMODE; Any holds the other flags.
type FlagFilter struct {
	Any      uint32
	AccModes uint8
}

// Set says whether f filters anything.
func (f FlagFilter) Set() bool { return f.Any != 0 || f.AccModes != 0 }

// Matches says whether an open with flags passes f, as the program decides.
func (f FlagFilter) Matches(flags uint32) bool {
	return flags&f.Any != 0 || f.AccModes>>(flags&accessModeMask)&1 != 0
}

// ParseFlagFilter reads names of open flags ("O_WRONLY", "creat"; in any
// case, with or without "O_"), each element possibly a comma-separated
// list, for this machine's architecture.
func ParseFlagFilter(list []string) (FlagFilter, error) {
	return parseFlagFilter(list, runtime.GOARCH)
}

func parseFlagFilter(list []string, arch string) (FlagFilter, error) {
	var f FlagFilter
	for _, item := range list {
		for _, name := range strings.Split(item, ",") {
			key := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "O_")
			if key == "LARGEFILE" {
				// 64-bit kernels add it to every open before do_sys_openat2,
				// so the kprobes would match every call and the tracepoints
				// only those whose caller passed it.
				return f, fmt.Errorf("O_LARGEFILE tells nothing on a 64-bit kernel, which adds it to every open")
			}
			found := false
			for _, of := range openFlags {
				if of.name != key {
					continue
				}
				found = true
				if v := flagValue(of.name, of.value, arch); v <= accessModeMask {
					f.AccModes |= 1 << v
				} else {
					f.Any |= v
				}
			}
			if !found {
				return f, fmt.Errorf("unknown open flag %q: want one or more of %s, comma-separated", name, strings.Join(FlagNames(), ","))
			}
		}
	}
	return f, nil
}

// String names the flags of f, for --ebpf.
func (f FlagFilter) String() string {
	var names []string
	for _, of := range openFlags {
		v := flagValue(of.name, of.value, runtime.GOARCH)
		if v <= accessModeMask && f.AccModes>>v&1 != 0 || v > accessModeMask && f.Any&v != 0 {
			names = append(names, "O_"+of.name)
		}
	}
	return fmt.Sprintf("%s (flags_any %#o, accmodes %#b)", strings.Join(names, "|"), f.Any, f.AccModes)
}
