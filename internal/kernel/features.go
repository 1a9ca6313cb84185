package kernel

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

// Kernel facts that decide what BPF features gosnoop can use. Each reader
// only reads; none of them mounts, writes or loads anything, except
// RingBuffer, which creates a BPF map and closes it at once.

// More paths read here; tests point them elsewhere.
var (
	lockdownPath        = "/sys/kernel/security/lockdown"
	btfPath             = "/sys/kernel/btf/vmlinux"
	perfParanoidPath    = "/proc/sys/kernel/perf_event_paranoid"
	unprivilegedBPFPath = "/proc/sys/kernel/unprivileged_bpf_disabled"
)

var errNoLockdownMode = errors.New("no [selected] mode in lockdown file")

// ParseRelease returns the major and minor version of a kernel release as
// uname -r prints it, e.g. 6 and 18 for "6.18.44-fc-v657".
func ParseRelease(release string) (major, minor int, err error) {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) >= 2 {
		major, err = strconv.Atoi(parts[0])
		if err == nil {
			minor, err = strconv.Atoi(leadingDigits(parts[1]))
		}
		if err == nil {
			return major, minor, nil
		}
	}
	return 0, 0, fmt.Errorf("kernel release %q is not major.minor...", release)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// BTFPath is where the kernel exposes its own BTF (CONFIG_DEBUG_INFO_BTF).
func BTFPath() string { return btfPath }

// LockdownPath is the securityfs file that names the lockdown mode.
func LockdownPath() string { return lockdownPath }

// Lockdown returns the kernel lockdown mode: "none", "integrity" or
// "confidentiality". The file exists only where securityfs is mounted and
// the lockdown LSM is built in; its error says which is missing.
func Lockdown() (string, error) {
	b, err := os.ReadFile(lockdownPath)
	if err != nil {
		return "", err
	}
	return parseLockdown(string(b))
}

// parseLockdown picks the bracketed mode out of "none [integrity] confidentiality".
func parseLockdown(s string) (string, error) {
	for _, f := range strings.Fields(s) {
		if len(f) > 2 && f[0] == '[' && f[len(f)-1] == ']' {
			return f[1 : len(f)-1], nil
		}
	}
	return "", fmt.Errorf("%w: %q", errNoLockdownMode, strings.TrimSpace(s))
}

// PerfEventParanoid returns kernel.perf_event_paranoid. The file exists
// exactly when the kernel has perf events, which every probe attaches through.
func PerfEventParanoid() (int, error) {
	return readIntFile(perfParanoidPath)
}

// PerfParanoidPath is the sysctl file PerfEventParanoid reads.
func PerfParanoidPath() string { return perfParanoidPath }

// UnprivilegedBPFDisabled returns kernel.unprivileged_bpf_disabled: 0 lets
// unprivileged users call bpf(2), 1 forbids it until reboot, 2 forbids it
// until an administrator changes it.
func UnprivilegedBPFDisabled() (int, error) {
	return readIntFile(unprivilegedBPFPath)
}

func readIntFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", path, err)
	}
	return v, nil
}

// bpf(2) numbers: the syscall package has no SYS_BPF on most architectures.
var sysBPF = map[string]uintptr{
	"amd64": 321, "386": 357, "arm64": 280, "riscv64": 280, "loong64": 280,
	"arm": 386, "ppc64le": 361, "ppc64": 361, "s390x": 351,
}

const (
	bpfMapCreate      = 0  // BPF_MAP_CREATE
	bpfMapTypeRingbuf = 27 // BPF_MAP_TYPE_RINGBUF, Linux 5.8
)

// mapCreateAttr is the head of union bpf_attr for BPF_MAP_CREATE; the kernel
// takes a shorter attr and zero-fills the rest.
type mapCreateAttr struct {
	mapType    uint32
	keySize    uint32
	valueSize  uint32
	maxEntries uint32
	mapFlags   uint32
}

// RingBuffer reports whether the kernel has BPF ring buffers by creating one
// of a page and closing it. It needs CAP_BPF (or root): without, the error
// is EPERM and says nothing about the kernel. EINVAL means the kernel does
// not know the map type (before 5.8).
func RingBuffer() error {
	nr, ok := sysBPF[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("no bpf(2) syscall number known for %s", runtime.GOARCH)
	}
	attr := mapCreateAttr{mapType: bpfMapTypeRingbuf, maxEntries: uint32(os.Getpagesize())}
	fd, _, errno := syscall.Syscall(nr, bpfMapCreate, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return fmt.Errorf("creating a BPF ring buffer map: %w", errno)
	}
	return syscall.Close(int(fd))
}
