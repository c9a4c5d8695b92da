#include "runtime/kernel_features.h"

#include "runtime/tracefs.h"

#include <array>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <linux/bpf.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace scry {

namespace {

// Attach types newer than the linux/bpf.h of Debian's libbpf 1.1 (include/uapi/linux/bpf.h,
// enum bpf_attach_type).
constexpr int kAttachKprobeMulti = 42;   // BPF_TRACE_KPROBE_MULTI, 5.18
constexpr int kAttachUprobeMulti = 48;   // BPF_TRACE_UPROBE_MULTI, 6.6
constexpr int kAttachKprobeSession = 56; // BPF_TRACE_KPROBE_SESSION, 6.10

// The instructions the probes are made of (include/uapi/linux/bpf_common.h, linux/bpf.h).
constexpr bpf_insn mov_r0(int32_t imm) {
  return {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, imm};
}
constexpr bpf_insn exit_insn() {
  return {BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
}
constexpr bpf_insn call_helper(int32_t id) {
  return {BPF_JMP | BPF_CALL, 0, 0, 0, id};
}

/// An open file descriptor, closed when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd >= 0)
      close(fd);
  }
  bool ok() const { return fd >= 0; }
};

bool exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/// Loads a program of `type` made of `insns`; its fd (or -1, errno set). `log` (when given)
/// receives the verifier's log at level 1.
int load(bpf_prog_type type, const bpf_insn *insns, size_t count, std::string *log = nullptr,
         int attach_type = 0, uint32_t attach_btf_id = 0) {
  LIBBPF_OPTS(bpf_prog_load_opts, opts);
  opts.expected_attach_type = static_cast<bpf_attach_type>(attach_type);
  opts.attach_btf_id = attach_btf_id;
  char buf[4096];
  if (log) {
    buf[0] = '\0';
    opts.log_buf = buf;
    opts.log_size = sizeof(buf);
    opts.log_level = 1;
  }
  int fd = bpf_prog_load(type, "scry_feature", "GPL", insns, count, &opts);
  int err = errno;
  if (log)
    log->assign(buf, strnlen(buf, sizeof(buf)));
  errno = err;
  return fd;
}

/// Whether a two-instruction program of `type` that returns 0 loads.
/// Whether /proc/kallsyms names variables: the per-CPU runqueues every SMP kernel has is there
/// only with CONFIG_KALLSYMS_ALL (the verifier resolves a typed __ksym's address through it).
bool has_kallsyms_data() {
  FILE *f = std::fopen("/proc/kallsyms", "r");
  if (!f)
    return false;
  char line[512];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, f)) {
    std::string_view l(line);
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
      l.remove_suffix(1);
    found = l.size() > 10 && l.substr(l.size() - 10) == " runqueues";
  }
  std::fclose(f);
  return found;
}

/// Whether a two-instruction program of `type` that returns 0 loads.
bool prog_type_loads(bpf_prog_type type) {
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  Fd fd(load(type, insns, 2));
  return fd.ok();
}

/// vmlinux BTF, parsed on first use by the checks that need a function's BTF id; null when
/// the kernel has none. Kept for the rest of the run.
const btf *vmlinux_btf() {
  static const btf *parsed = btf__load_vmlinux_btf();
  return libbpf_get_error(parsed) ? nullptr : parsed;
}

/// The BTF id of the first of `names` that vmlinux BTF has as a `kind`, or 0.
uint32_t btf_id(std::initializer_list<const char *> names, uint32_t kind) {
  const btf *b = vmlinux_btf();
  if (!b)
    return 0;
  for (const char *name : names) {
    int id = btf__find_by_name_kind(b, name, kind);
    if (id > 0)
      return static_cast<uint32_t>(id);
  }
  return 0;
}

/// A tracing program of `attach_type` on BTF id `id` that loads and attaches (then detaches).
bool tracing_attaches(int attach_type, uint32_t id) {
  if (id == 0)
    return false;
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  Fd prog(load(BPF_PROG_TYPE_TRACING, insns, 2, nullptr, attach_type, id));
  if (!prog.ok())
    return false;
  Fd link(bpf_raw_tracepoint_open(nullptr, prog.fd));
  return link.ok();
}

// Functions to attach the fentry and kprobe_multi checks to: bpf_fentry_test1 exists for
// exactly this (net/bpf/test_run.c, never called outside BPF_PROG_TEST_RUN), so attaching to it
// briefly disturbs nothing; sched_fork (bpftrace's choice) where it is missing.
constexpr std::initializer_list<const char *> kQuietFunctions = {"bpf_fentry_test1", "sched_fork"};

bool has_fentry() {
  return tracing_attaches(BPF_TRACE_FENTRY, btf_id(kQuietFunctions, BTF_KIND_FUNC));
}

bool has_tp_btf() {
  // task_rename fires only on prctl(PR_SET_NAME) and comm writes.
  return tracing_attaches(
      BPF_TRACE_RAW_TP,
      btf_id({"btf_trace_task_rename", "btf_trace_sched_process_free"}, BTF_KIND_TYPEDEF));
}

bool has_iter() {
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  uint32_t id = btf_id({"bpf_iter_task"}, BTF_KIND_FUNC);
  if (id == 0)
    return false;
  Fd prog(load(BPF_PROG_TYPE_TRACING, insns, 2, nullptr, BPF_TRACE_ITER, id));
  return prog.ok();
}

/// A kprobe_multi (or session) link on one quiet vmlinux function attaches. The kernel checks
/// the attach type when the program loads (5.18; sessions 6.10) and needs fprobe
/// (CONFIG_FPROBE) to create the link: EOPNOTSUPP without it.
bool has_kprobe_multi(int attach_type) {
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  Fd prog(load(BPF_PROG_TYPE_KPROBE, insns, 2, nullptr, attach_type));
  if (!prog.ok())
    return false;
  for (const char *sym : kQuietFunctions) {
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.kprobe_multi.syms = &sym;
    opts.kprobe_multi.cnt = 1;
    Fd link(bpf_link_create(prog.fd, 0, static_cast<bpf_attach_type>(attach_type), &opts));
    if (link.ok())
      return true;
    if (errno != ESRCH && errno != ENOENT && errno != EINVAL)
      return false; // EOPNOTSUPP: no fprobe; EPERM: refused
  }
  return false;
}

/// BPF_LINK_CREATE's attributes for a uprobe_multi link (union bpf_attr, link_create's
/// uprobe_multi member, kernel 6.6), as far as the probe needs them.
struct UprobeMultiAttr {
  uint32_t prog_fd, target_fd, attach_type, flags;
  uint64_t path, offsets, ref_ctr_offsets, cookies;
  uint32_t cnt, multi_flags, pid, padding;
};

bool has_uprobe_multi() {
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  Fd prog(load(BPF_PROG_TYPE_KPROBE, insns, 2, nullptr, kAttachUprobeMulti));
  if (!prog.ok())
    return false;
  // "/" is not a regular file: a kernel with uprobe_multi refuses it with EBADF after checking
  // everything else; one without fails earlier with EINVAL.
  const uint64_t offset = 0;
  UprobeMultiAttr attr{};
  attr.prog_fd = static_cast<uint32_t>(prog.fd);
  attr.attach_type = kAttachUprobeMulti;
  attr.path = reinterpret_cast<uint64_t>("/");
  attr.offsets = reinterpret_cast<uint64_t>(&offset);
  attr.cnt = 1;
  Fd link(static_cast<int>(syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr))));
  return !link.ok() && errno == EBADF;
}

bool has_hardware_breakpoint() {
  volatile uint64_t watched = 0;
  perf_event_attr attr{};
  attr.type = PERF_TYPE_BREAKPOINT;
  attr.size = sizeof(attr);
  attr.bp_type = HW_BREAKPOINT_W;
  attr.bp_addr = reinterpret_cast<uint64_t>(&watched);
  attr.bp_len = HW_BREAKPOINT_LEN_8;
  attr.sample_period = 1;
  Fd fd(static_cast<int>(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC)));
  if (!fd.ok())
    return false;
  // A breakpoint the kernel accepts may still never fire: a hypervisor that does not pass the
  // debug registers through (bpftrace's watchpoints count nothing there either). Two writes
  // must count as two hits.
  watched = 1;
  watched = 2;
  uint64_t hits = 0;
  return read(fd.fd, &hits, sizeof(hits)) == sizeof(hits) && hits >= 2;
}

bool has_raw_tracepoint_run() {
  const bpf_insn insns[] = {mov_r0(0), exit_insn()};
  Fd prog(load(BPF_PROG_TYPE_RAW_TRACEPOINT, insns, 2));
  if (!prog.ok())
    return false;
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  return bpf_prog_test_run_opts(prog.fd, &opts) == 0;
}

/// Whether the verifier knows helper `id` in programs of `type` (attached as `attach_type` to
/// BTF id `btf`, for tracing programs). A load that fails for another reason (the helper's
/// arguments are not set up) still means the helper exists, as libbpf_probe_bpf_helper decides;
/// a load that leaves no log (EPERM) tells nothing and answers no.
bool has_helper(int32_t id, bpf_prog_type type = BPF_PROG_TYPE_KPROBE, int attach_type = 0,
                uint32_t btf = 0) {
  const bpf_insn insns[] = {call_helper(id), exit_insn()};
  std::string log;
  Fd prog(load(type, insns, 2, &log, attach_type, btf));
  if (prog.ok())
    return true;
  if (log.empty())
    return false;
  return log.find("invalid func ") == std::string::npos &&
         log.find("unknown func ") == std::string::npos &&
         log.find("program of this type cannot use helper ") == std::string::npos;
}

/// A helper only fentry programs may call, checked in an fentry program on `function` (d_path
/// is allowed only on the functions of the kernel's btf_allowlist_d_path).
bool has_tracing_helper(int32_t id, const char *function) {
  if (!kernel_has(KernelFeature::Fentry))
    return false;
  uint32_t btf = btf_id({function}, BTF_KIND_FUNC);
  return btf != 0 && has_helper(id, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, btf);
}

bool has_loop() {
  // r0 = 0; loop: r0 += 1; if r0 < 4 goto loop; exit
  const bpf_insn insns[] = {
      mov_r0(0),
      {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_0, 0, 0, 1},
      {BPF_JMP | BPF_JLT | BPF_K, BPF_REG_0, 0, -2, 4},
      exit_insn(),
  };
  Fd prog(load(BPF_PROG_TYPE_TRACEPOINT, insns, 4));
  return prog.ok();
}

bool has_module_btf() {
  DIR *dir = opendir("/sys/kernel/btf");
  if (!dir)
    return false;
  bool found = false;
  while (dirent *e = readdir(dir)) {
    std::string_view name = e->d_name;
    if (name != "." && name != ".." && name != "vmlinux") {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

bool has_map_batch() {
  Fd map(bpf_map_create(BPF_MAP_TYPE_HASH, nullptr, 4, 4, 4, nullptr));
  if (!map.ok())
    return false;
  uint32_t key = 1, value = 1;
  if (bpf_map_update_elem(map.fd, &key, &value, BPF_ANY) != 0)
    return false;
  uint32_t keys[4], values[4], count = 4, out_batch = 0;
  int err = bpf_map_lookup_batch(map.fd, nullptr, &out_batch, keys, values, &count, nullptr);
  // The whole map read in one batch ends with ENOENT (no next batch) and count 1.
  return (err == 0 || errno == ENOENT) && count == 1;
}

bool has_map(bpf_map_type type) {
  return libbpf_probe_bpf_map_type(type, nullptr) == 1;
}

bool has_kprobe() {
  return (exists("/sys/bus/event_source/devices/kprobe/type") ||
          exists((std::string(kTracefsPath) + "/kprobe_events").c_str()) ||
          exists((std::string(kTracefsDebugfsPath) + "/kprobe_events").c_str())) &&
         prog_type_loads(BPF_PROG_TYPE_KPROBE);
}

bool has_uprobe() {
  return exists("/sys/bus/event_source/devices/uprobe/type") ||
         exists((std::string(kTracefsPath) + "/uprobe_events").c_str()) ||
         exists((std::string(kTracefsDebugfsPath) + "/uprobe_events").c_str());
}

bool detect(KernelFeature f) {
  switch (f) {
  case KernelFeature::Kprobe:
    return has_kprobe();
  case KernelFeature::KprobeMulti:
    return has_kprobe_multi(kAttachKprobeMulti);
  case KernelFeature::KprobeSession:
    return has_kprobe_multi(kAttachKprobeSession);
  case KernelFeature::Uprobe:
    return has_uprobe();
  case KernelFeature::UprobeMulti:
    return has_uprobe_multi();
  case KernelFeature::Tracepoint:
    return prog_type_loads(BPF_PROG_TYPE_TRACEPOINT);
  case KernelFeature::RawTracepoint:
    return prog_type_loads(BPF_PROG_TYPE_RAW_TRACEPOINT);
  case KernelFeature::RawTracepointRun:
    return has_raw_tracepoint_run();
  case KernelFeature::TpBtf:
    return has_tp_btf();
  case KernelFeature::Fentry:
    return has_fentry();
  case KernelFeature::PerfEvent:
    return prog_type_loads(BPF_PROG_TYPE_PERF_EVENT);
  case KernelFeature::HardwareBreakpoint:
    return has_hardware_breakpoint();
  case KernelFeature::Iter:
    return has_iter();
  case KernelFeature::HelperProbeRead:
    return has_helper(BPF_FUNC_probe_read);
  case KernelFeature::HelperProbeReadStr:
    return has_helper(BPF_FUNC_probe_read_str);
  case KernelFeature::HelperProbeReadUser:
    return has_helper(BPF_FUNC_probe_read_user);
  case KernelFeature::HelperProbeReadUserStr:
    return has_helper(BPF_FUNC_probe_read_user_str);
  case KernelFeature::HelperProbeReadKernel:
    return has_helper(BPF_FUNC_probe_read_kernel);
  case KernelFeature::HelperProbeReadKernelStr:
    return has_helper(BPF_FUNC_probe_read_kernel_str);
  case KernelFeature::HelperGetCurrentCgroupId:
    return has_helper(BPF_FUNC_get_current_cgroup_id);
  case KernelFeature::HelperSendSignal:
    return has_helper(BPF_FUNC_send_signal);
  case KernelFeature::HelperOverrideReturn:
    return has_helper(BPF_FUNC_override_return);
  case KernelFeature::HelperKtimeGetBootNs:
    return has_helper(BPF_FUNC_ktime_get_boot_ns);
  case KernelFeature::HelperDPath:
    return has_tracing_helper(BPF_FUNC_d_path, "dentry_open");
  case KernelFeature::HelperSkbOutput:
    return has_tracing_helper(BPF_FUNC_skb_output, "__kfree_skb");
  case KernelFeature::HelperKtimeGetTaiNs:
    return has_helper(BPF_FUNC_ktime_get_tai_ns);
  case KernelFeature::HelperGetFuncIp:
    return has_helper(BPF_FUNC_get_func_ip);
  case KernelFeature::HelperJiffies64:
    return has_helper(BPF_FUNC_jiffies64);
  case KernelFeature::HelperForEachMapElem:
    return has_helper(BPF_FUNC_for_each_map_elem);
  case KernelFeature::HelperGetNsCurrentPidTgid:
    return has_helper(BPF_FUNC_get_ns_current_pid_tgid);
  case KernelFeature::HelperMapLookupPercpuElem:
    return has_helper(BPF_FUNC_map_lookup_percpu_elem);
  case KernelFeature::HelperLoop:
    return has_helper(BPF_FUNC_loop);
  case KernelFeature::HelperProbeWriteUser:
    return has_helper(BPF_FUNC_probe_write_user);
  case KernelFeature::Loop:
    return has_loop();
  case KernelFeature::Btf:
    return exists("/sys/kernel/btf/vmlinux");
  case KernelFeature::ModuleBtf:
    return has_module_btf();
  case KernelFeature::MapBatch:
    return has_map_batch();
  case KernelFeature::UprobeRefcount:
    return exists("/sys/bus/event_source/devices/uprobe/format/ref_ctr_offset");
  case KernelFeature::KallsymsData:
    return has_kallsyms_data();
  case KernelFeature::MapHash:
    return has_map(BPF_MAP_TYPE_HASH);
  case KernelFeature::MapPercpuHash:
    return has_map(BPF_MAP_TYPE_PERCPU_HASH);
  case KernelFeature::MapArray:
    return has_map(BPF_MAP_TYPE_ARRAY);
  case KernelFeature::MapPercpuArray:
    return has_map(BPF_MAP_TYPE_PERCPU_ARRAY);
  case KernelFeature::MapStackTrace:
    return has_map(BPF_MAP_TYPE_STACK_TRACE);
  case KernelFeature::MapPerfEventArray:
    return has_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  case KernelFeature::MapRingbuf:
    return has_map(BPF_MAP_TYPE_RINGBUF);
  case KernelFeature::MapLruHash:
    return has_map(BPF_MAP_TYPE_LRU_HASH);
  case KernelFeature::MapLruPercpuHash:
    return has_map(BPF_MAP_TYPE_LRU_PERCPU_HASH);
  }
  return false;
}

// Detection results: -1 not yet asked, else 0 or 1. A recursive mutex, since some checks ask
// about the features they build on.
std::recursive_mutex detected_mutex;
std::array<int8_t, kKernelFeatureCount> detected = [] {
  std::array<int8_t, kKernelFeatureCount> a;
  a.fill(-1);
  return a;
}();

} // namespace

bool kernel_has(KernelFeature f) {
  std::lock_guard<std::recursive_mutex> lock(detected_mutex);
  int8_t &known = detected[static_cast<size_t>(f)];
  if (known < 0)
    known = detect(f) ? 1 : 0;
  return known == 1;
}

const char *kernel_feature_name(KernelFeature f) {
  switch (f) {
  case KernelFeature::Kprobe:
    return "kprobe";
  case KernelFeature::KprobeMulti:
    return "kprobe_multi";
  case KernelFeature::KprobeSession:
    return "kprobe_session";
  case KernelFeature::Uprobe:
    return "uprobe";
  case KernelFeature::UprobeMulti:
    return "uprobe_multi";
  case KernelFeature::Tracepoint:
    return "tracepoint";
  case KernelFeature::RawTracepoint:
    return "rawtracepoint";
  case KernelFeature::RawTracepointRun:
    return "raw_tp_special";
  case KernelFeature::TpBtf:
    return "tp_btf";
  case KernelFeature::Fentry:
    return "fentry";
  case KernelFeature::PerfEvent:
    return "perf_event";
  case KernelFeature::HardwareBreakpoint:
    return "hardware_breakpoint";
  case KernelFeature::Iter:
    return "iter";
  case KernelFeature::HelperProbeRead:
    return "probe_read";
  case KernelFeature::HelperProbeReadStr:
    return "probe_read_str";
  case KernelFeature::HelperProbeReadUser:
    return "probe_read_user";
  case KernelFeature::HelperProbeReadUserStr:
    return "probe_read_user_str";
  case KernelFeature::HelperProbeReadKernel:
    return "probe_read_kernel";
  case KernelFeature::HelperProbeReadKernelStr:
    return "probe_read_kernel_str";
  case KernelFeature::HelperGetCurrentCgroupId:
    return "get_current_cgroup_id";
  case KernelFeature::HelperSendSignal:
    return "send_signal";
  case KernelFeature::HelperOverrideReturn:
    return "override_return";
  case KernelFeature::HelperKtimeGetBootNs:
    return "get_boot_ns";
  case KernelFeature::HelperDPath:
    return "dpath";
  case KernelFeature::HelperSkbOutput:
    return "skboutput";
  case KernelFeature::HelperKtimeGetTaiNs:
    return "get_tai_ns";
  case KernelFeature::HelperGetFuncIp:
    return "get_func_ip";
  case KernelFeature::HelperJiffies64:
    return "jiffies64";
  case KernelFeature::HelperForEachMapElem:
    return "for_each_map_elem";
  case KernelFeature::HelperGetNsCurrentPidTgid:
    return "get_ns_current_pid_tgid";
  case KernelFeature::HelperMapLookupPercpuElem:
    return "lookup_percpu_elem";
  case KernelFeature::HelperLoop:
    return "loop";
  case KernelFeature::HelperProbeWriteUser:
    return "probe_write_user";
  case KernelFeature::Loop:
    return "Loop support";
  case KernelFeature::Btf:
    return "btf";
  case KernelFeature::ModuleBtf:
    return "module btf";
  case KernelFeature::MapBatch:
    return "map batch";
  case KernelFeature::UprobeRefcount:
    return "uprobe refcount";
  case KernelFeature::KallsymsData:
    return "kallsyms_data";
  case KernelFeature::MapHash:
    return "hash";
  case KernelFeature::MapPercpuHash:
    return "percpu hash";
  case KernelFeature::MapArray:
    return "array";
  case KernelFeature::MapPercpuArray:
    return "percpu array";
  case KernelFeature::MapStackTrace:
    return "stack_trace";
  case KernelFeature::MapPerfEventArray:
    return "perf_event_array";
  case KernelFeature::MapRingbuf:
    return "ringbuf";
  case KernelFeature::MapLruHash:
    return "lru hash";
  case KernelFeature::MapLruPercpuHash:
    return "lru percpu hash";
  }
  return "?";
}

std::optional<KernelFeature> kernel_feature_named(std::string_view name) {
  for (size_t i = 0; i < kKernelFeatureCount; ++i)
    if (name == kernel_feature_name(static_cast<KernelFeature>(i)))
      return static_cast<KernelFeature>(i);
  return std::nullopt;
}

bool kernel_has_named(std::string_view name) {
  std::optional<KernelFeature> f = kernel_feature_named(name);
  return !f || kernel_has(*f);
}

bool kernel_kfunc_allowed(const std::string &name, const std::string &section) {
  bpf_prog_type type = BPF_PROG_TYPE_UNSPEC;
  bpf_attach_type attach = BPF_CGROUP_INET_INGRESS; // 0
  if (libbpf_prog_type_by_name(section.c_str(), &type, &attach) != 0)
    return false;
  static std::mutex mu;
  static std::map<std::pair<std::string, std::string>, bool> known;
  // Tracing programs are checked against their own target; the others by type alone.
  const std::string target = type == BPF_PROG_TYPE_TRACING ? section : "";
  const std::lock_guard<std::mutex> lock(mu);
  auto key = std::make_pair(name, std::to_string(type) + target);
  if (auto it = known.find(key); it != known.end())
    return it->second;
  bool allowed = false;
  if (uint32_t kfunc = btf_id({name.c_str()}, BTF_KIND_FUNC); kfunc != 0) {
    uint32_t attach_btf = 0;
    if (type == BPF_PROG_TYPE_TRACING) {
      const std::string func = section.substr(section.find('/') + 1);
      if (attach == BPF_TRACE_RAW_TP)
        attach_btf = btf_id({("btf_trace_" + func).c_str()}, BTF_KIND_TYPEDEF);
      else if (attach == BPF_TRACE_ITER)
        attach_btf = btf_id({("bpf_iter_" + func).c_str()}, BTF_KIND_FUNC);
      else
        attach_btf = btf_id({func.c_str()}, BTF_KIND_FUNC);
    }
    const bpf_insn insns[] = {
        {BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, static_cast<int32_t>(kfunc)},
        mov_r0(0),
        exit_insn()};
    std::string log;
    Fd prog(load(type, insns, 3, &log, attach, attach_btf));
    allowed = prog.ok() ||
              log.find("calling kernel function " + name + " is not allowed") == std::string::npos;
  }
  known.emplace(key, allowed);
  return allowed;
}

int kernel_instruction_limit() {
  static const int limit = [] {
    // A 64-bit immediate load is two instructions; the verifier processes both and logs
    // "processed 2 insns (limit 1000000) max_states_per_insn 0 ..." (kernels before 5.2 print no
    // limit).
    const bpf_insn insns[] = {
        {BPF_LD | BPF_DW | BPF_IMM, BPF_REG_0, 0, 0, 0}, {0, 0, 0, 0, 0}, exit_insn()};
    std::string log;
    Fd prog(load(BPF_PROG_TYPE_KPROBE, insns, 3, &log));
    size_t at = log.find("processed ");
    at = at == std::string::npos ? at : log.find("(limit ", at);
    if (at == std::string::npos)
      return -1;
    const char *start = log.data() + at + 7;
    int value = -1;
    std::from_chars(start, log.data() + log.size(), value);
    return value;
  }();
  return limit;
}

} // namespace scry
