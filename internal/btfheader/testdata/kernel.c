/*
 * A small stand-in for a kernel, compiled into kernel.btf for
 * TestGenerateGolden (see make-btf.sh): each shape the generator must get
 * right appears once. Not kernel code; the names only echo the kernel's.
 */
typedef unsigned char __u8;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef __u32 u32;
typedef __u64 u64;
typedef _Bool bool;
typedef int pid_t;
typedef unsigned short umode_t;

/* An anonymous enum of libbcc's bpf.h (by its first value): left out. */
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };
/* A named UAPI enum and struct that libbcc's bpf.h declares: left out,
 * even where a root holds them by value. */
enum bpf_map_type { BPF_MAP_TYPE_UNSPEC = 0, BPF_MAP_TYPE_HASH = 1 };
struct bpf_sock_tuple { __u32 saddr, daddr; };
/* A kernel-internal bpf_ struct libbcc does not declare: kept. */
struct bpf_run_ctx { int unused; };

struct list_head { struct list_head *next, *prev; };
struct qstr { union { struct { u32 hash; u32 len; }; u64 hash_len; }; const unsigned char *name; };
struct inode;          /* only pointed to: forward-declared */
struct mm_struct;      /* never named by a root: absent */
struct dentry { struct qstr d_name; struct dentry *d_parent; struct inode *d_inode; };
struct file { struct dentry *f_dentry; unsigned int f_flags; umode_t f_mode; };
struct files_struct { int count; struct file **fd; };
struct pt_regs { unsigned long di, si, dx, r10, ax; };

enum task_state { TASK_RUNNING = 0, TASK_INTERRUPTIBLE = 1 };

struct task_struct {
	volatile long state;
	unsigned int flags : 8, in_iowait : 1, :0;
	pid_t pid, tgid;
	char comm[16];
	struct task_struct *real_parent;
	struct list_head children;
	struct files_struct *files;
	struct mm_struct *mm;
	struct bpf_run_ctx ctx;
	struct bpf_sock_tuple tuple;
	enum bpf_map_type map_type;
	enum task_state task_state;
	int (*callback)(struct task_struct *, void *);
	bool exiting;
};

/* Referenced so the compiler emits every type. */
struct task_struct t;
struct dentry d;
struct file f;
struct pt_regs r;
int any = BPF_ANY;
