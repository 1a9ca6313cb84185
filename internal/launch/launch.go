// Package launch starts the command --exec traces so that tracing is in
// place before its first instruction: gosnoop runs itself again as a gate
// (RunGate) that waits on an inherited pipe until Release, then execs the
// command in place, so the pid gosnoop traces is the command's from the
// start.
package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// gateArg, as the first argument, makes gosnoop the gate (IsGate).
const gateArg = "__gosnoop_exec_gate"

func init() {
	if IsGate(os.Args) {
		// The gate execs from the main thread, the process's leader: an
		// exec from another thread ends the leader first, and the kernel
		// reports that exit with the pid gosnoop traces.
		runtime.LockOSThread()
	}
}

// IsGate says whether args (os.Args) start a gate: main runs RunGate
// before anything else.
func IsGate(args []string) bool { return len(args) > 1 && args[1] == gateArg }

// Credential is who the command runs as.
type Credential struct {
	UID, GID uint32
	Groups   []uint32
	// Name and Home, from the user database, replace USER, LOGNAME and
	// HOME in the command's environment, as sudo -u does ("" when unknown).
	Name, Home string
}

// SudoCredential is the user who ran gosnoop through sudo (SUDO_UID and
// SUDO_GID, with that user's groups from the user database), or nil when
// gosnoop was not run by root through sudo: the command then runs as
// gosnoop does.
func SudoCredential() (*Credential, error) {
	su, sg := os.Getenv("SUDO_UID"), os.Getenv("SUDO_GID")
	if os.Geteuid() != 0 || su == "" && sg == "" {
		return nil, nil
	}
	uid, err1 := strconv.ParseUint(su, 10, 32)
	gid, err2 := strconv.ParseUint(sg, 10, 32)
	// (uid_t)-1 is no one's: setuid would refuse it once tracing began.
	if err1 != nil || err2 != nil || uid == 1<<32-1 || gid == 1<<32-1 {
		return nil, fmt.Errorf("reading SUDO_UID and SUDO_GID: %q and %q are not a user's ids", su, sg)
	}
	if uid == 0 {
		return nil, nil
	}
	cred := &Credential{UID: uint32(uid), GID: uint32(gid)}
	if u, err := user.LookupId(su); err == nil {
		cred.Name, cred.Home = u.Username, u.HomeDir
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

// Child is a command started by Start, held at the gate until Release.
type Child struct {
	cmd  *exec.Cmd
	gate *os.File // the pipe's write end: a byte releases, closing without one ends the gate
	done chan struct{}
	err  error // cmd.Wait's, once done
}

// Start starts the gate for the program at path (exec.LookPath's) with
// the arguments argv (argv[0] included), as cred (nil: as gosnoop runs).
// The command shares gosnoop's standard input, output and error.
func Start(path string, argv []string, cred *Credential) (*Child, error) {
	if len(argv) == 0 {
		return nil, errors.New("launching: no command")
	}
	// gosnoop's own file, even if its path was replaced since it started.
	const self = "/proc/self/exe"
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("launching %s: %w", argv[0], err)
	}
	defer r.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("launching %s: %w", argv[0], err)
	}
	defer readyR.Close()
	creds := "-"
	if cred != nil {
		creds = formatCredential(*cred)
	}
	cmd := exec.Command(self, append([]string{gateArg, creds, path}, argv...)...)
	cmd.Args[0] = "gosnoop"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if cred != nil {
		cmd.Env = userEnv(os.Environ(), *cred)
	}
	cmd.ExtraFiles = []*os.File{r, readyW} // fds 3 and 4
	err = cmd.Start()
	readyW.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("launching %s: %w", argv[0], err)
	}
	c := &Child{cmd: cmd, gate: w, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	// The gate is gosnoop starting up (the runtime, the shared libraries):
	// what it does before it waits is not the command's, so its pid is
	// traced only once it says it waits.
	var b [1]byte
	if n, _ := readyR.Read(b[:]); n != 1 {
		c.Stop(0)
		return nil, fmt.Errorf("launching %s: the gate ended before it was ready", argv[0])
	}
	return c, nil
}

// PID is the command's pid, the gate's until it execs.
func (c *Child) PID() int { return c.cmd.Process.Pid }

// Release lets the command run.
func (c *Child) Release() error {
	if c.gate == nil {
		return nil
	}
	_, err := c.gate.Write([]byte{1})
	c.gate.Close()
	c.gate = nil
	if err != nil {
		return fmt.Errorf("releasing %s: %w", c.cmd.Args[3], err)
	}
	return nil
}

// Done is closed once the command has exited and been reaped.
func (c *Child) Done() <-chan struct{} { return c.done }

// Stop ends a command still held at the gate, sends one that runs SIGTERM,
// then SIGKILL after grace, and waits for it to exit.
func (c *Child) Stop(grace time.Duration) {
	if c.gate != nil {
		c.gate.Close() // the gate exits without running the command
		c.gate = nil
	} else {
		select {
		case <-c.done:
			return
		default:
			c.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	select {
	case <-c.done:
	case <-time.After(grace):
		c.cmd.Process.Kill()
		<-c.done
	}
}

// ExitCode is the command's exit status as a shell gives it: its code, or
// 128 plus the signal that killed it. Call it after Done.
func (c *Child) ExitCode() int {
	st := c.cmd.ProcessState
	if st == nil {
		return 1
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}

// userEnv is env with USER, LOGNAME and HOME those of c's user, where
// the user database knows them: sudo leaves root's HOME.
func userEnv(env []string, c Credential) []string {
	set := map[string]string{}
	if c.Name != "" {
		set["USER"], set["LOGNAME"] = c.Name, c.Name
	}
	if c.Home != "" {
		set["HOME"] = c.Home
	}
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := set[name]; !ok {
			out = append(out, kv)
		}
	}
	for _, name := range []string{"HOME", "LOGNAME", "USER"} {
		if v, ok := set[name]; ok {
			out = append(out, name+"="+v)
		}
	}
	return out
}

func formatCredential(c Credential) string {
	groups := make([]string, len(c.Groups))
	for i, g := range c.Groups {
		groups[i] = strconv.FormatUint(uint64(g), 10)
	}
	return fmt.Sprintf("%d:%d:%s", c.UID, c.GID, strings.Join(groups, ","))
}

func parseCredential(s string) (*Credential, error) {
	if s == "-" {
		return nil, nil
	}
	f := strings.Split(s, ":")
	if len(f) != 3 {
		return nil, fmt.Errorf("bad credential %q", s)
	}
	uid, err1 := strconv.ParseUint(f[0], 10, 32)
	gid, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad credential %q", s)
	}
	c := &Credential{UID: uint32(uid), GID: uint32(gid)}
	for _, g := range strings.Split(f[2], ",") {
		if g == "" {
			continue
		}
		id, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("bad credential %q", s)
		}
		c.Groups = append(c.Groups, uint32(id))
	}
	return c, nil
}

// RunGate is the gate: args are os.Args ("gosnoop", gateArg, credential,
// path, argv[0], argv[1:]...). It waits for Release, takes the credential and execs the
// command; it never returns. Without a release (gosnoop failed or ended
// first) it exits 125 without running anything; a command that cannot run
// exits 126, or 127 when it is not found, as a shell's would.
func RunGate(args []string) {
	if len(args) < 5 {
		os.Exit(125)
	}
	// The gate runs what it is told: only as who runs it, never setuid.
	if os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid() {
		fmt.Fprintln(os.Stderr, "gosnoop: the --exec gate does not run setuid or setgid")
		os.Exit(125)
	}
	gate, ready := os.NewFile(3, "gate"), os.NewFile(4, "ready")
	ready.Write([]byte{1})
	ready.Close()
	var b [1]byte
	if n, _ := gate.Read(b[:]); n != 1 {
		os.Exit(125)
	}
	gate.Close()
	path, argv := args[3], args[4:]
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "gosnoop: --exec: running %s: %v\n", strconv.Quote(path), err)
		if errors.Is(err, syscall.ENOENT) {
			os.Exit(127)
		}
		os.Exit(126)
	}
	cred, err := parseCredential(args[2])
	if err != nil {
		fail(err)
	}
	if cred != nil {
		groups := make([]int, len(cred.Groups))
		for i, g := range cred.Groups {
			groups[i] = int(g)
		}
		if err := syscall.Setgroups(groups); err != nil {
			fail(fmt.Errorf("setting groups: %w", err))
		}
		if err := syscall.Setgid(int(cred.GID)); err != nil {
			fail(fmt.Errorf("setting gid: %w", err))
		}
		if err := syscall.Setuid(int(cred.UID)); err != nil {
			fail(fmt.Errorf("setting uid: %w", err))
		}
	}
	fail(syscall.Exec(path, argv, os.Environ()))
}
