/*
 * The floor programs of bench/run: the least a hand-written libbpf program does for the same
 * event, so that scry's and bpftrace's costs have a reference that no tracer can beat.
 *
 * Built twice by bench/CMakeLists.txt, with clang-16 -target bpf -O2 -g:
 *   floor_tp.bpf.o   -DFLOOR_TP:  the raw_syscalls:sys_enter programs as classic tracepoint
 *                    programs, SEC("tracepoint/raw_syscalls/sys_enter")
 *   floor_raw.bpf.o  -DFLOOR_RAW: the same programs as raw tracepoint programs,
 *                    SEC("raw_tp/sys_enter") (no perf-event record is built for them)
 *
 * Programs (bench/floor/scry_floor.c loads one by name):
 *   empty            nothing: the cost of having a program attached at all
 *   percpu_counter   one per-CPU array element incremented in place
 *   comm_count       the work of `@[comm] = count()`: bpf_get_current_comm into a 16-byte key,
 *                    a per-CPU hash lookup, increment in place or insert 1
 *   pid_hist         the work of `@[pid] = hist(args->id)`: the power-of-two bucket of the
 *                    system call number (bpftrace's numbering: 0 for negative values, 1 for 0,
 *                    2 + log2 otherwise), then (pid, bucket) counted like comm_count
 *   pid_filter_count the work of `/pid == 1/ { @ = count(); }`: the pid compared with 1, which
 *                    no event of the load matches, so only the comparison runs
 *   syscall_count    the work of `@[probe] = count()` on every syscalls:sys_enter_* done the
 *                    way a raw tracepoint allows: one program on sys_enter, the system call
 *                    number indexing a per-CPU array (numbers past its end are not counted)
 *   probe_count      (floor_tp.bpf.o only) the work of `@[probe] = count()` when one program is
 *                    attached to many tracepoints: the attach cookie (the tracepoint's index,
 *                    set by the loader) indexes a per-CPU array
 *   uprobe_count     the work of `uprobe:BINARY:FUNCTION { @ = count(); }`: percpu_counter as
 *                    a uprobe program, attached by scry_floor --uprobe
 *   getppid_print    (floor_tp.bpf.o only) the work of a printf per event on
 *                    syscalls:sys_enter_getppid for one pid: an 8-byte record (pid, syscall
 *                    number) into a ring buffer, waking the reader only when a quarter of it
 *                    is full (the reader also polls every 10 ms); a failed reservation is
 *                    counted in `lost`
 */
#include <linux/bpf.h>
#include <linux/types.h>
/* After linux/bpf.h, whose types it uses. */
#include <bpf/bpf_helpers.h>

#if defined(FLOOR_TP)
#define SYS_ENTER_SEC "tracepoint/raw_syscalls/sys_enter"
#elif defined(FLOOR_RAW)
#define SYS_ENTER_SEC "raw_tp/sys_enter"
#else
#error "define FLOOR_TP or FLOOR_RAW"
#endif

char LICENSE[] SEC("license") = "GPL";

#define COMM_LEN 16
#define MAX_PROBES 1024
#define MAX_SYSCALLS 1024
#define RING_BYTES (4 << 20)

struct pid_bucket {
  __u32 pid;
  __u32 bucket;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} counter SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 4096);
  __type(key, char[COMM_LEN]);
  __type(value, __u64);
} comm_counts SEC(".maps");

SEC(SYS_ENTER_SEC)
int empty(void *ctx) {
  return 0;
}

SEC(SYS_ENTER_SEC)
int percpu_counter(void *ctx) {
  __u32 zero = 0;
  __u64 *value = bpf_map_lookup_elem(&counter, &zero);
  if (value)
    ++*value;
  return 0;
}

SEC("uprobe")
int uprobe_count(void *ctx) {
  __u32 zero = 0;
  __u64 *value = bpf_map_lookup_elem(&counter, &zero);
  if (value)
    ++*value;
  return 0;
}

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, 4096);
  __type(key, struct pid_bucket);
  __type(value, __u64);
} pid_buckets SEC(".maps");

/* The system call number: the `id` field of the record, or the second argument of the raw
 * tracepoint, sys_enter(struct pt_regs *regs, long id). */
#ifdef FLOOR_TP
struct sys_enter_args {
  __u64 common;
  __s64 id;
};
#define SYSCALL_ID(ctx) (((struct sys_enter_args *)(ctx))->id)
#else
#define SYSCALL_ID(ctx) ((__s64)((struct bpf_raw_tracepoint_args *)(ctx))->args[1])
#endif

static __always_inline void count_in_place(void *map, const void *key) {
  __u64 *value = bpf_map_lookup_elem(map, key);
  if (value) {
    ++*value;
  } else {
    __u64 one = 1;
    bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
  }
}

SEC(SYS_ENTER_SEC)
int comm_count(void *ctx) {
  /* The helper fills all 16 bytes (the name, then NULs), so the key needs no zeroing first. */
  char comm[COMM_LEN];
  bpf_get_current_comm(comm, sizeof comm);
  count_in_place(&comm_counts, comm);
  return 0;
}

static __always_inline __u32 log2_bucket(__s64 value) {
  if (value < 0)
    return 0;
  if (value == 0)
    return 1;
  __u64 v = (__u64)value;
  __u32 log = 0;
  for (__u32 shift = 32; shift > 0; shift /= 2) {
    if (v >> shift) {
      v >>= shift;
      log += shift;
    }
  }
  return log + 2;
}

SEC(SYS_ENTER_SEC)
int pid_hist(void *ctx) {
  struct pid_bucket key = {
      .pid = (__u32)(bpf_get_current_pid_tgid() >> 32),
      .bucket = log2_bucket(SYSCALL_ID(ctx)),
  };
  count_in_place(&pid_buckets, &key);
  return 0;
}

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, MAX_SYSCALLS);
  __type(key, __u32);
  __type(value, __u64);
} syscall_counts SEC(".maps");

SEC(SYS_ENTER_SEC)
int syscall_count(void *ctx) {
  __s64 id = SYSCALL_ID(ctx);
  if (id < 0 || id >= MAX_SYSCALLS)
    return 0;
  __u32 index = (__u32)id;
  __u64 *value = bpf_map_lookup_elem(&syscall_counts, &index);
  if (value)
    ++*value;
  return 0;
}

SEC(SYS_ENTER_SEC)
int pid_filter_count(void *ctx) {
  if ((__u32)(bpf_get_current_pid_tgid() >> 32) != 1)
    return 0;
  __u32 zero = 0;
  __u64 *value = bpf_map_lookup_elem(&counter, &zero);
  if (value)
    ++*value;
  return 0;
}

#ifdef FLOOR_TP

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, MAX_PROBES);
  __type(key, __u32);
  __type(value, __u64);
} probe_counts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, RING_BYTES);
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

/* Set by the loader (--target-pid) before the object is loaded. */
const volatile __s32 target_pid = 0;

/* syscalls:sys_enter_getppid, after the 8 bytes of common fields (see its format file). */
struct sys_enter_nr_args {
  __u64 common;
  __s32 syscall_nr;
};

struct line {
  __s32 pid;
  __s32 syscall_nr;
};

SEC("tracepoint")
int probe_count(void *ctx) {
  __u32 index = (__u32)bpf_get_attach_cookie(ctx);
  __u64 *value = bpf_map_lookup_elem(&probe_counts, &index);
  if (value)
    ++*value;
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int getppid_print(struct sys_enter_nr_args *args) {
  __s32 pid = (__s32)(bpf_get_current_pid_tgid() >> 32);
  if (pid != target_pid)
    return 0;
  struct line *rec = bpf_ringbuf_reserve(&events, sizeof *rec, 0);
  if (!rec) {
    __u32 zero = 0;
    __u64 *count = bpf_map_lookup_elem(&lost, &zero);
    if (count)
      ++*count;
    return 0;
  }
  rec->pid = pid;
  rec->syscall_nr = args->syscall_nr;
  __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
  bpf_ringbuf_submit(rec, avail >= RING_BYTES / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
  return 0;
}

#endif
