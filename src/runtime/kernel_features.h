// What the running kernel supports: probe types, BPF helpers, map types and a few other kernel
// features, each detected the first time it is asked about and remembered for the rest of the
// run. Every check is cheap (a stat of a sysfs file, a two-instruction BPF program load, a link
// that is created and closed at once); none runs unless something asks, so a normal run pays
// only for what its probes need. `--info` asks about all of them.
//
// The checks are the kernel's own answers, not version numbers: the same binary says "no" to
// kprobes on a kernel built without CONFIG_KPROBES and "yes" on one with them. They follow
// libbpf's feature probes (libbpf/src/libbpf_probes.c, features.c) and bpftrace's
// (src/bpffeature.cpp); each enumerator below says what it tries.
// Uses runtime/tracefs.h's paths and libbpf.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace scry {

/// A kernel capability. The comment of each says how it is detected.
enum class KernelFeature {
  // Probe types (--info "Probe types").
  Kprobe,             // the kprobe PMU (/sys/bus/event_source/devices/kprobe/type) or tracefs's
                      // kprobe_events exists, and a BPF_PROG_TYPE_KPROBE program loads
  KprobeMulti,        // a kprobe program with expected attach type BPF_TRACE_KPROBE_MULTI (5.18)
                      // loads and its link attaches to a vmlinux function (the link needs
                      // fprobe, CONFIG_FPROBE: EOPNOTSUPP without it)
  KprobeSession,      // the same with BPF_TRACE_KPROBE_SESSION (6.10)
  Uprobe,             // the uprobe PMU or tracefs's uprobe_events exists
  UprobeMulti,        // a program with BPF_TRACE_UPROBE_MULTI (6.6) loads, and its link on "/"
                      // fails with EBADF (not a regular file), not EINVAL (libbpf's probe)
  Tracepoint,         // a BPF_PROG_TYPE_TRACEPOINT program loads
  RawTracepoint,      // a BPF_PROG_TYPE_RAW_TRACEPOINT program loads
  RawTracepointRun,   // ... and runs with BPF_PROG_TEST_RUN (how begin and end probes run)
  TpBtf,              // a BPF_PROG_TYPE_TRACING program with BPF_TRACE_RAW_TP on a btf_trace_*
                      // typedef of vmlinux BTF loads and attaches (raw tracepoints with BTF args)
  Fentry,             // a BPF_PROG_TYPE_TRACING program with BPF_TRACE_FENTRY on a vmlinux
                      // function loads and attaches (BPF trampolines: fentry and fexit)
  PerfEvent,          // a BPF_PROG_TYPE_PERF_EVENT program loads (profile, software, hardware)
  HardwareBreakpoint, // a PERF_TYPE_BREAKPOINT write watch on a variable of scry's own, for
                      // the calling thread, opens and counts two writes (watchpoints)
  Iter,               // a BPF_PROG_TYPE_TRACING program with BPF_TRACE_ITER on bpf_iter_task loads

  // BPF helpers (--info "Kernel helpers"). Each is a two-instruction program calling the
  // helper, loaded with the verifier's log: "invalid func", "unknown func" or "program of this
  // type cannot use helper" in the log means no (libbpf's libbpf_probe_bpf_helper, which does
  // not know the third message, added in kernel 6.3). Kprobe programs unless said otherwise.
  HelperProbeRead,
  HelperProbeReadStr,
  HelperProbeReadUser,
  HelperProbeReadUserStr,
  HelperProbeReadKernel,
  HelperProbeReadKernelStr,
  HelperGetCurrentCgroupId,
  HelperSendSignal,
  HelperOverrideReturn, // CONFIG_BPF_KPROBE_OVERRIDE
  HelperKtimeGetBootNs,
  HelperDPath,     // in an fentry program (needs Fentry)
  HelperSkbOutput, // in an fentry program (needs Fentry)
  HelperKtimeGetTaiNs,
  HelperGetFuncIp,
  HelperJiffies64,
  HelperForEachMapElem,
  HelperGetNsCurrentPidTgid,
  HelperMapLookupPercpuElem,
  HelperLoop,
  HelperProbeWriteUser, // also no in lockdown (integrity or confidentiality: write_user())

  // Other kernel features (--info "Kernel features").
  Loop,           // a program with a bounded backward jump loads (5.3)
  Btf,            // /sys/kernel/btf/vmlinux exists (CONFIG_DEBUG_INFO_BTF)
  ModuleBtf,      // /sys/kernel/btf holds a module's BTF (CONFIG_DEBUG_INFO_BTF_MODULES)
  MapBatch,       // BPF_MAP_LOOKUP_BATCH works on a hash map (5.6)
  UprobeRefcount, // /sys/bus/event_source/devices/uprobe/format/ref_ctr_offset exists (USDT
                  // semaphores counted by the kernel, 4.20)
  KallsymsData,   // /proc/kallsyms lists variables (runqueues): CONFIG_KALLSYMS_ALL, which
                  // typed __ksym variables (percpu_kaddr) need

  // Map types (--info "Map types"): a map of the type with one small entry can be created.
  MapHash,
  MapPercpuHash,
  MapArray,
  MapPercpuArray,
  MapStackTrace,
  MapPerfEventArray,
  MapRingbuf,
  MapLruHash,
  MapLruPercpuHash,
};

/// The number of KernelFeature values.
inline constexpr size_t kKernelFeatureCount =
    static_cast<size_t>(KernelFeature::MapLruPercpuHash) + 1;

/// Whether the running kernel has `f`. Detected on the first call for `f` (see the enumerator's
/// comment) and remembered; thread-safe. A check that cannot be made (e.g. not root: BPF
/// programs do not load) answers no.
bool kernel_has(KernelFeature f);

/// The name `--info` prints for `f`: "kprobe", "kprobe_multi", "fentry", "probe_read_kernel",
/// "map batch", "percpu hash", ... (bpftrace's names where bpftrace prints the feature).
const char *kernel_feature_name(KernelFeature f);

/// The feature kernel_feature_name() calls `name`, or nullopt.
std::optional<KernelFeature> kernel_feature_named(std::string_view name);

/// kernel_has() of the feature called `name` ("kprobe", "fentry"); true for a name that is not
/// a feature's (for callers that cannot include this header: sema's ListOptions::kernel_has).
bool kernel_has_named(std::string_view name);

/// Whether the kernel lets a program of ELF section `section` (libbpf's names: "kprobe/f",
/// "tracepoint/a/b", "raw_tp/x", "fentry/f", "iter/task", "perf_event") call kfunc `name`, as
/// bpftrace's kfunc_allowed() decides: no when vmlinux BTF has no such kfunc; else a program of
/// that type that calls it is loaded, and only the verifier's "calling kernel function NAME is
/// not allowed" (kernel/bpf/verifier.c) means no. Remembered per (name, program type);
/// thread-safe.
bool kernel_kfunc_allowed(const std::string &name, const std::string &section);

/// The verifier's instruction limit (processed instructions per program: 4096 before kernel
/// 5.2, 1000000 since), read from the log of a two-instruction program; -1 when the log does
/// not say (an old kernel) or the program does not load. Detected once.
int kernel_instruction_limit();

} // namespace scry
