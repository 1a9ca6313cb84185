package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gosnoop/gosnoop/internal/caps"
	"github.com/gosnoop/gosnoop/internal/kheaders"
	"github.com/gosnoop/gosnoop/internal/tracefs"
)

// Each function here turns facts gathered by the caller into one line of
// the report, so the wording can be tested with made-up facts.

// wanted are the capabilities doctor reports, in the order it lists them.
var wanted = []int{caps.SysAdmin, caps.BPF, caps.Perfmon, caps.IPCLock}

// Capabilities needs what caps.Check needs to trace, and CAP_IPC_LOCK,
// without which perf buffers of more than a few pages fail to mmap.
func Capabilities(euid int, set caps.Set, err error) Check {
	const name = "capabilities"
	fix := "run as root (sudo gosnoop ...)"
	if err != nil {
		return Fail(name, "unknown: "+err.Error(), fix)
	}
	var have, missing []string
	for _, c := range wanted {
		if set.Has(c) {
			have = append(have, caps.Names[c])
		} else {
			missing = append(missing, caps.Names[c])
		}
	}
	found := fmt.Sprintf("uid %d: ", euid)
	switch {
	case len(missing) == 0:
		found += strings.Join(have, " ")
	case len(have) == 0:
		found += "none of " + strings.Join(missing, " ")
	default:
		found += strings.Join(have, " ") + "; missing " + strings.Join(missing, " ")
	}
	switch {
	case !set.CanTrace():
		return Fail(name, found, fix+"; loading and attaching need CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON")
	case !set.Has(caps.IPCLock):
		return Fail(name, found, "add CAP_IPC_LOCK, or keep perf buffers small (-b 8): larger ones fail to mmap without it")
	}
	return Pass(name, found)
}

// LibBCC describes the libbcc gosnoop was built against and runs with.
type LibBCC struct {
	Header    string // LIBBCC_VERSION at build time
	Path      string // the shared object loaded, "" when not found
	Loaded    string // the version in its file name, "" when none
	LoadErr   error  // why Path is empty
	Min       string // oldest version that works
	Supported bool   // the effective version (Loaded, else Header) is at least Min
}

// LibBCCCheck reports libbcc's version, the loaded one where it is known.
func LibBCCCheck(l LibBCC) Check {
	const name = "libbcc"
	var found string
	switch {
	case l.Path == "":
		found = fmt.Sprintf("%s (built against; loaded library not found: %v)", l.Header, l.LoadErr)
	case l.Loaded == "" || l.Loaded == l.Header:
		found = fmt.Sprintf("%s (%s)", l.Header, l.Path)
	default:
		found = fmt.Sprintf("%s loaded (%s), built against %s", l.Loaded, l.Path, l.Header)
	}
	if !l.Supported {
		return Fail(name, found+"; older than "+l.Min,
			"install libbcc "+l.Min+" or newer (Debian 12: apt-get install libbpfcc-dev), or build bcc from source")
	}
	return Pass(name, found+"; "+l.Min+"+ needed")
}

// Kernel names the running kernel.
func Kernel(release string) Check { return Note("kernel", release) }

// Headers reports which kernel headers libbcc will compile against
// (kheaders.Choose). It looks only; gosnoop's trees are written by the
// commands that compile.
func Headers(src kheaders.Source, release, installHint string) Check {
	const name = "kernel headers"
	switch src.Kind {
	case kheaders.FromEnv:
		if st, err := os.Stat(src.Dir); err != nil || !st.IsDir() {
			return Fail(name, fmt.Sprintf("%s=%s is not a directory", kheaders.EnvVar, src.Dir),
				"point "+kheaders.EnvVar+" at a kernel headers tree, or unset it")
		}
		return Pass(name, fmt.Sprintf("%s: %s", kheaders.EnvVar, src.Dir))
	case kheaders.BTF:
		return Pass(name, "none installed for "+release+"; gosnoop generates them from the kernel's BTF ("+src.Dir+"), kernel structs included")
	case kheaders.Minimal:
		return Fail(name, "none for "+release+" and no kernel BTF; gosnoop's minimal tree in use (enough for open, not for programs that need kernel structs)",
			installHint)
	}
	return Pass(name, fmt.Sprintf("%s: %s", src.Kind, src.Dir))
}

// Where tracefs.Dir looks, in its order. debugfs mounts tracefs under
// itself on first access.
var (
	tracefsCandidates = tracefs.Candidates
	debugfsDir        = "/sys/kernel/debug"
)

// Tracefs reports where tracefs is mounted and returns the directory gosnoop
// would use, "" when it has none yet. It reads the mount table only: unlike
// tracefs.Dir it mounts nothing, and it does not touch debugfs's automount.
func Tracefs(mounts []Mount) (Check, string) {
	const name = "tracefs"
	debugfs := "debugfs not mounted"
	if dirs := MountsOf(mounts, "debugfs"); len(dirs) > 0 {
		debugfs = "debugfs at " + strings.Join(dirs, ", ")
	}
	for _, dir := range tracefsCandidates {
		if MountedAt(mounts, dir) == "tracefs" {
			return Pass(name, fmt.Sprintf("%s (%s)", dir, debugfs)), dir
		}
	}
	if MountedAt(mounts, debugfsDir) == "debugfs" {
		dir := filepath.Join(debugfsDir, "tracing")
		return Pass(name, dir+" (debugfs mounts tracefs there on first access)"), dir
	}
	found := "not mounted at " + strings.Join(tracefsCandidates, " or ")
	if dirs := MountsOf(mounts, "tracefs"); len(dirs) > 0 {
		found += " (tracefs is at " + strings.Join(dirs, ", ") + ", where gosnoop does not look)"
	}
	return Fail(name, found+"; "+debugfs,
		"mount -t tracefs tracefs "+tracefsCandidates[0]+" (gosnoop open does this itself when run as root)"), ""
}

// TracefsAccess returns why this process cannot read the events under the
// tracefs directory dir (tracefs is root-only by default), or nil.
func TracefsAccess(dir string) error {
	_, err := os.Stat(filepath.Join(dir, "events"))
	return err
}

// Kprobes reports kernel.Kprobes's answer. Where tracefs is missing or
// unreadable and there is no kprobe PMU, it cannot tell.
func Kprobes(ok bool, reason, tracefsDir string, tracefsErr error) Check {
	const name = "kprobes"
	switch {
	case ok:
		return Pass(name, reason)
	case tracefsDir == "":
		return Note(name, "unknown: no kprobe PMU, and no tracefs to look for kprobe_events in")
	case errors.Is(tracefsErr, fs.ErrPermission):
		return Note(name, "unknown: no kprobe PMU, and "+tracefsDir+" is not readable by this user to look for kprobe_events (run doctor as root)")
	case tracefsErr != nil:
		return Note(name, fmt.Sprintf("unknown: no kprobe PMU, and %v", tracefsErr))
	}
	return Fail(name, reason, "use a kernel with CONFIG_KPROBES=y; gosnoop falls back to tracepoints")
}

// lockdownDir is where securityfs is mounted.
var lockdownDir = "/sys/kernel/security"

// Lockdown reports the kernel lockdown mode; mode and err are kernel.Lockdown's.
// Its file is there only when securityfs is mounted.
func Lockdown(mounts []Mount, mode string, err error) Check {
	const name = "lockdown"
	switch {
	case MountedAt(mounts, lockdownDir) != "securityfs":
		return Note(name, "unknown (securityfs not mounted; to see it: mount -t securityfs securityfs "+lockdownDir+")")
	case errors.Is(err, fs.ErrNotExist):
		return Pass(name, "none (the kernel has no lockdown LSM)")
	case err != nil:
		return Note(name, "unknown: "+err.Error())
	}
	switch mode {
	case "none":
		return Pass(name, "none")
	case "integrity":
		return Pass(name, "integrity (blocks bpf_probe_write_user and debugfs; tracing works)")
	case "confidentiality":
		return Fail(name, "confidentiality (blocks kprobes, perf events, tracefs and BPF reads of kernel memory)",
			"boot with lockdown=none or lockdown=integrity (it cannot be lowered at run time; Secure Boot may set it)")
	}
	return Note(name, mode)
}

// BTF reports the kernel's own type information; err is os.Stat's on path.
func BTF(path string, st fs.FileInfo, err error) Check {
	const name = "BTF"
	if err != nil {
		found := "no " + path
		if !errors.Is(err, fs.ErrNotExist) {
			found = err.Error()
		}
		return Fail(name, found, "use a kernel with CONFIG_DEBUG_INFO_BTF=y (gosnoop open does not need it; kfunc and CO-RE programs do)")
	}
	return Pass(name, fmt.Sprintf("%s (%.1f MiB)", path, float64(st.Size())/(1<<20)))
}

// paranoia says what each perf_event_paranoid level denies unprivileged users.
var paranoia = map[int]string{
	-1: "no limits",
	0:  "unprivileged users: no raw tracepoint data",
	1:  "unprivileged users: no CPU-wide events",
	2:  "unprivileged users: user-space profiling only",
}

// PerfEvents reports whether perf_event_open, through which every probe is
// attached and perf buffers are read, exists; level and err are
// kernel.PerfEventParanoid's.
func PerfEvents(path string, level int, err error) Check {
	const name = "perf buffers"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Fail(name, "no "+path+" (kernel built without CONFIG_PERF_EVENTS?)",
			"use a kernel with CONFIG_PERF_EVENTS=y: every probe attaches through perf_event_open")
	case err != nil:
		return Fail(name, err.Error(), "run as root (sudo gosnoop doctor)")
	}
	meaning, ok := paranoia[level]
	if !ok {
		meaning = "unprivileged users: none"
	}
	return Pass(name, fmt.Sprintf("perf_event_open available; perf_event_paranoid=%d (%s; root is not limited)", level, meaning))
}

// RingBuffer reports kernel.RingBuffer's probe. privileged says whether this
// process could create the map at all (CAP_BPF or CAP_SYS_ADMIN).
func RingBuffer(err error, privileged bool, release string) Check {
	const name = "ring buffers"
	switch {
	case err == nil:
		return Pass(name, "BPF_MAP_TYPE_RINGBUF map created and closed; gosnoop open --output auto uses it")
	case errors.Is(err, syscall.EPERM) && !privileged:
		return Note(name, "not probed: creating a BPF map needs root or CAP_BPF (kernel "+release+"; ring buffers came in 5.8)")
	case errors.Is(err, syscall.EINVAL):
		return Fail(name, "the kernel does not know BPF_MAP_TYPE_RINGBUF (it came in 5.8)",
			"use kernel 5.8 or newer for ring buffers; nothing else to do: --output auto uses perf buffers instead")
	}
	return Fail(name, err.Error(), "check lockdown and LSM policy (dmesg); --output auto falls back to perf buffers")
}

// UnprivilegedBPF reports kernel.unprivileged_bpf_disabled, for information:
// gosnoop runs privileged anyway.
func UnprivilegedBPF(value int, err error) Check {
	const name = "unprivileged bpf"
	if err != nil {
		return Note(name, "unknown: "+err.Error())
	}
	switch value {
	case 0:
		return Note(name, "0: unprivileged users may call bpf()")
	case 1:
		return Note(name, "1: unprivileged bpf() disabled until reboot")
	case 2:
		return Note(name, "2: unprivileged bpf() disabled (an administrator can re-enable it)")
	}
	return Note(name, fmt.Sprint(value))
}
