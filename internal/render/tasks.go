package render

import (
	"encoding/binary"
	"fmt"
)

// Tasks says which task filters a program renders with "task_filter"
// ({{template "task_filter" .Tasks}}, then gosnoop_task_wanted() where it
// filters). The values they compare with are written by Go after load.
type Tasks struct {
	Cgroup bool // --cgroup: CgroupTable holds the cgroup's id and level
	Exec   bool // --exec: CommandTable names the command, TasksTable holds the processes to trace
}

// Any says whether t filters at all.
func (t Tasks) Any() bool { return t.Cgroup || t.Exec }

// The tables and programs of "task_filter".
const (
	CgroupTable    = "gosnoop_cgroup"     // BPF array of one CgroupValue
	CommandTable   = "gosnoop_command"    // BPF array of one u32: the pid of the command held at its gate
	TasksTable     = "gosnoop_tasks"      // BPF hash: tgid (u32) -> 1 (u8)
	TasksFullTable = "gosnoop_tasks_full" // BPF array: [0] counts forks TasksTable had no room for
	MaxTasks       = 10240                // TasksTable's size, as the template states it
	taskForkProg   = "gosnoop_task_fork"
	taskExitProg   = "gosnoop_task_exit"
	taskExecProg   = "gosnoop_task_exec"
)

// TaskTracepoints are what "task_filter" attaches with Exec, whatever the
// program's own plan: the command's exec adds it to TasksTable, each fork
// adds the child of a traced process, each exit removes the thread.
func (t Tasks) TaskTracepoints() []TaskTracepoint {
	if !t.Exec {
		return nil
	}
	return []TaskTracepoint{
		// Removals first: no entry is added that nothing would remove.
		{Category: "sched", Event: "sched_process_exit", Program: taskExitProg},
		{Category: "sched", Event: "sched_process_fork", Program: taskForkProg},
		{Category: "sched", Event: "sched_process_exec", Program: taskExecProg},
	}
}

// TaskTracepoint is a tracepoint and the program of "task_filter" on it.
type TaskTracepoint struct{ Category, Event, Program string }

// CgroupValue encodes struct gosnoop_cgroup: the cgroup's id and level.
func CgroupValue(id uint64, level uint32) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, id)
	binary.LittleEndian.PutUint32(b[8:], level)
	return b
}

// TasksComment says in a C comment, for --ebpf, what a command writes to
// the tables of "task_filter".
// The path is left out: it is the user's text, and --ebpf prints C.
func TasksComment(t Tasks, id uint64, level uint32) string {
	var s string
	if t.Cgroup {
		s += fmt.Sprintf("\n// %s[0]: id %d, level %d (written before attaching)\n", CgroupTable, id, level)
	}
	if t.Exec {
		s += fmt.Sprintf("\n// %s[0]: the pid of the command --exec starts (written before it runs)\n", CommandTable)
	}
	return s
}
