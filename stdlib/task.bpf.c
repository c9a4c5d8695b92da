// scry's standard library: functions on kernel tasks, compiled to BPF bitcode at build time
// (cmake/ScryCore.cmake) and linked into a program only when it calls them. They call kfuncs,
// which the kernel allows only in BTF-typed programs (fentry, fexit, tp_btf, iter): sema checks
// the probe type before a call to them is emitted.

typedef unsigned long long u64;
typedef int s32;
// Complete, though its fields are never used here: libbpf matches a kfunc's prototype against
// the kernel's, and a forward declaration is not compatible with the kernel's struct.
struct task_struct {
  char unused;
};

// Kfuncs (kernel/bpf/helpers.c): libbpf resolves them against the kernel's BTF at load time.
extern struct task_struct *bpf_task_from_pid(s32 pid) __attribute__((section(".ksyms")));
extern void bpf_task_release(struct task_struct *p) __attribute__((section(".ksyms")));

static long (*bpf_probe_read_kernel)(void *dst, unsigned int size,
                                     const void *unsafe_ptr) = (void *)113;

// comm(pid): the name of the task with process id `pid` in the initial pid namespace, read at
// `comm_offset` (task_struct's comm, from the kernel's BTF) into `out` (16 bytes, zeroed by the
// caller); "N/A" when no task has that id, as bpftrace prints.
void __scry_task_comm(u64 pid, u64 comm_offset, char *out) {
  struct task_struct *t = bpf_task_from_pid((s32)pid);
  if (!t) {
    __builtin_memcpy(out, "N/A", 4);
    return;
  }
  bpf_probe_read_kernel(out, 16, (const char *)t + comm_offset);
  bpf_task_release(t);
}
