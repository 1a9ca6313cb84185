// Package caps tells whether this process may load and attach BPF programs.
package caps

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Capability numbers from linux/capability.h.
const (
	SysAdmin = 21
	IPCLock  = 14
	Perfmon  = 38
	BPF      = 39
)

// Names of the capabilities gosnoop cares about, for messages.
var Names = map[int]string{SysAdmin: "CAP_SYS_ADMIN", IPCLock: "CAP_IPC_LOCK", Perfmon: "CAP_PERFMON", BPF: "CAP_BPF"}

// Set is a capability bit mask as /proc/<pid>/status prints it.
type Set uint64

// Has reports whether capability c is in the set.
func (s Set) Has(c int) bool { return s&(1<<uint(c)) != 0 }

// Effective returns this process's effective capabilities.
func Effective() (Set, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("reading capabilities: %w", err)
	}
	defer f.Close()
	return parseCapEff(f)
}

func parseCapEff(f *os.File) (Set, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if hex, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing CapEff %q: %w", hex, err)
			}
			return Set(v), nil
		}
	}
	return 0, fmt.Errorf("no CapEff line in /proc/self/status")
}

// CanTrace reports whether s may load BPF programs and attach them to
// tracepoints and kprobes: CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON.
func (s Set) CanTrace() bool {
	return s.Has(SysAdmin) || (s.Has(BPF) && s.Has(Perfmon))
}

// Check returns a one-line error with a hint when this process cannot trace.
func Check(command string) error {
	s, err := Effective()
	if err != nil {
		return err
	}
	if s.CanTrace() {
		return nil
	}
	return fmt.Errorf("%s needs root, or CAP_BPF and CAP_PERFMON (try: sudo %s)", command, command)
}
