#!/usr/bin/python3
# opensnoop_tp: bcc's opensnoop rebuilt on the syscall tracepoints, for
# scripts/bench-open.sh to compare gosnoop against python-bcc on kernels
# without kprobes (stock opensnoop-bpfcc attaches kprobes and fails there).
#
# Same work per event as gosnoop's perf output: entry and exit of open and
# openat paired per thread in a hash, the path read at exit, a 304-byte event
# sent through BPF_PERF_OUTPUT (64 pages per CPU, woken every 64 samples),
# drops counted in the program as well as by the kernel. One line per event on
# stdout, flushed after every poll as gosnoop does; "N events, M lost" on
# stderr at SIGINT or SIGTERM.
#
# Usage: opensnoop_tp.py [--pages N] [--wakeup N]
# Where there are no kernel headers, point BCC_KERNEL_SOURCE at a tree such
# as the minimal one gosnoop writes under ~/.cache/gosnoop/.
import argparse
import signal
import sys

from bcc import BPF

PROGRAM = r"""
#define PATH_LEN 256

struct open_event {
	u64 ts_ns;
	u32 pid;
	u32 tid;
	u32 uid;
	s32 ret;
	s32 flags;
	u32 mode;
	char comm[TASK_COMM_LEN];
	char path[PATH_LEN];
};

struct open_call {
	struct open_event ev;
	const char __user *filename;
};

BPF_HASH(inflight, u64, struct open_call, 10240);
BPF_PERF_OUTPUT(events);
BPF_ARRAY(lost, u64, 1);

static __always_inline int enter(const char __user *filename, int flags, u32 mode)
{
	u64 id = bpf_get_current_pid_tgid();
	struct open_call call = {};
	call.ev.ts_ns = bpf_ktime_get_ns();
	call.ev.pid = id >> 32;
	call.ev.tid = id;
	call.ev.uid = bpf_get_current_uid_gid();
	call.ev.flags = flags;
	call.ev.mode = mode;
	bpf_get_current_comm(&call.ev.comm, sizeof(call.ev.comm));
	call.filename = filename;
	inflight.update(&id, &call);
	return 0;
}

static __always_inline int leave(void *ctx, long ret)
{
	u64 id = bpf_get_current_pid_tgid();
	struct open_call *call = inflight.lookup(&id);
	if (!call)
		return 0;
	call->ev.ret = ret;
	bpf_probe_read_user_str(&call->ev.path, sizeof(call->ev.path), call->filename);
	if (events.perf_submit(ctx, &call->ev, sizeof(call->ev)) < 0)
		lost.atomic_increment(0);
	inflight.delete(&id);
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_open)
{
	return enter(args->filename, args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_open)
{
	return leave(args, args->ret);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	return enter(args->filename, args->flags, args->mode);
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
	return leave(args, args->ret);
}
"""


def main():
    parser = argparse.ArgumentParser(description="opensnoop on syscall tracepoints")
    parser.add_argument("--pages", type=int, default=64, help="perf buffer pages per CPU")
    parser.add_argument("--wakeup", type=int, default=64, help="samples per wakeup")
    opts = parser.parse_args()

    b = BPF(text=PROGRAM)
    events = b["events"]
    delivered = 0
    reported_lost = 0

    def on_event(cpu, data, size):
        nonlocal delivered
        ev = events.event(data)
        fd, err = (ev.ret, 0) if ev.ret >= 0 else (-1, -ev.ret)
        print("%-6d %-16s %4d %3d %s" % (ev.pid, ev.comm.decode("utf-8", "replace"),
                                         fd, err, ev.path.decode("utf-8", "replace")))
        delivered += 1

    def on_lost(n):
        nonlocal reported_lost
        reported_lost += n

    # A flag, not an exception: a KeyboardInterrupt raised inside a perf
    # callback is swallowed by ctypes, and under load the loop is nearly
    # always inside one.
    stopping = False

    def on_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGTERM, on_stop)
    events.open_perf_buffer(on_event, page_cnt=opts.pages, lost_cb=on_lost,
                            wakeup_events=opts.wakeup)
    print("Tracing open() calls... Hit Ctrl-C to end.", file=sys.stderr, flush=True)
    print("%-6s %-16s %4s %3s %s" % ("PID", "COMM", "FD", "ERR", "PATH"))
    while not stopping:
        b.perf_buffer_poll(timeout=100)
        sys.stdout.flush()
    counted = b["lost"][0].value
    print("%d events, %d lost" % (delivered, max(counted, reported_lost)), file=sys.stderr)


if __name__ == "__main__":
    main()
