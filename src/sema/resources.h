// What a compiled program needs at run time besides its BPF code: its maps, the formats and
// argument layouts of its asynchronous actions (printf, print, time, ...), and its probes.
// Produced by semantic and resource analysis, used by codegen to lay out memory and by the
// runtime to decode ring-buffer records and map contents.
#pragma once

#include "base/bpf_abi.h"
#include "base/diagnostics.h"
#include "base/types.h"
#include "parser/ast.h"

#include <cstdint>
#include <string>
#include <vector>

namespace scry {

/// The kind a map declaration (`let @m = lruhash(100);`) chose, as bpftrace names them; Default
/// for a map that is not declared (its value decides: hash, per-CPU hash, (per-CPU) array).
enum class MapKind : uint8_t { Default, Hash, LruHash, PercpuHash, PercpuLruHash, PercpuArray };

/// One BPF map behind a scry map (`@name`).
struct MapInfo {
  std::string name;     // as the user writes it: "@x", or "@" for the anonymous map
  std::string bpf_name; // the BPF map's name (the kernel keeps 15 characters of [A-Za-z0-9_.])
  /// The user-visible key: kind None for a map without keys (`@x = ...`), a Tuple for several
  /// keys (`@x[a, b]`), else the key's type.
  Type key;
  /// The value: an aggregation type (Count, Sum, Hist, ...) or a plain value type.
  Type value;
  bool per_cpu = false;  // one value per possible CPU, merged in user space (aggregations)
  bool is_array = false; // a map without keys: a one-entry (per-CPU) array, key u32 0
  /// Hist and Lhist: the BPF key is the user key followed by a u64 bucket index, and the BPF
  /// value a u64 count.
  bool has_bucket_key = false;
  uint32_t max_entries = 0;
  /// A declared map's kind and size (`let @m = KIND(N)`; kind Default and 0 when undeclared).
  MapKind declared_kind = MapKind::Default;
  uint32_t declared_max_entries = 0;
  bool lru = false;          // evicts the least recently used entry when full (BPF_MAP_TYPE_LRU_*)
  uint32_t bpf_key_size = 0; // bytes
  uint32_t bpf_value_size = 0; // bytes, per CPU for per-CPU maps
  SourceRange loc;             // the map's first assignment, for errors about the map itself
};

/// A printf call site: its format string and its arguments' layout.
struct PrintfInfo {
  std::string format;
  Type args; // a Tuple of the arguments as sent (strings as fixed-size arrays, etc.)
  SourceRange loc;
};

/// A runtime error or warning the program may report (division by zero, ...), with where it
/// comes from; the runner shows it located (file:line:col, the source line, an underline) the
/// first time a probe sends it.
struct RuntimeErrorInfo {
  DiagCode code;
  std::string message; // empty for a helper's failure: the runner words it from the code
  SourceRange loc;
  /// With -k, the BPF helper (linux/bpf.h enum bpf_func_id) whose failure this reports; the
  /// record carries the helper's return code (0 for a map lookup that found nothing).
  int64_t helper = 0;
};

/// What a program reads its arguments from: the context codegen emits reads of (`args`, later
/// `argN`, `retval`). Set by the probe type's provider (sema/providers/); tracepoint_attach.h
/// turns a tracepoint's record into raw arguments where it can.
enum class ContextKind : uint8_t {
  /// Nothing: begin and end run from scry's own BPF_PROG_TEST_RUN, interval reads no sample.
  None,
  /// A classic tracepoint's record, laid out as the event's format file describes it.
  TracepointRecord,
  /// A raw tracepoint's C arguments as u64s; `args` fields the probe reads are rebuilt from
  /// them (only for syscall events, whose record is known: raw_record).
  RawTracepointArgs,
  /// A perf event sample (struct bpf_perf_event_data): profile, software, hardware.
  PerfSample,
  /// The registers of the probed thread (struct pt_regs, base/arch.h): uprobe and uretprobe
  /// read argN, retval and the stack from them.
  Registers,
  /// The registers at a USDT probe: argN is where the probe's note puts it (a register, memory
  /// at a register plus an offset, a constant), read by stdlib/usdt.bpf.c from what libbpf
  /// stored when it attached.
  UsdtArguments,
  /// An iterator's context (struct bpf_iter__NAME: meta, then the object and its companions).
  /// The kernel calls the program once more after the last object with the object NULL; the
  /// program returns at once then.
  Iterator,
  /// A BTF-typed program's context (fentry, fexit, a raw tracepoint with BTF: tp_btf): the
  /// traced function's or tracepoint's arguments, 8 bytes each, as its BTF prototype
  /// (ProbeProgram::kernel_function) types them; fexit's return value follows them.
  BtfArguments,
};

/// How the runtime starts a program (runtime/attach.cpp): one case per kernel API. Set by the
/// probe type's provider; tracepoint_attach.h switches a tracepoint to a raw one where it can.
enum class AttachMechanism : uint8_t {
  /// Not attachable: scry does not implement the probe type yet, and sema refuses it.
  None,
  /// Run once with BPF_PROG_TEST_RUN before the other programs are attached (begin), or after
  /// they are detached (end). The program is a raw tracepoint program, which that allows.
  RunAtStart,
  RunAtExit,
  /// One perf event per CPU (or on CPU 0 only), as ProbeProgram::perf_event says.
  PerfEvent,
  /// A classic tracepoint: a perf event of PERF_TYPE_TRACEPOINT for category:event.
  Tracepoint,
  /// A raw tracepoint (BPF_PROG_TYPE_RAW_TRACEPOINT) by name: cheaper per event and to detach
  /// than a classic one.
  RawTracepoint,
  /// A uprobe or uretprobe at a file offset of a binary (ProbeProgram::uprobe), through the
  /// kernel's uprobe perf event PMU.
  Uprobe,
  /// A USDT probe (ProbeProgram::usdt) by libbpf's bpf_program__attach_usdt: a uprobe at each
  /// of the probe's sites, its semaphore incremented by the kernel (the uprobe's reference
  /// counter) while attached.
  Usdt,
  /// Run with BPF_PROG_TEST_RUN each time scry receives the signal ProbeProgram::signal (self),
  /// as begin and end are run.
  RunOnSignal,
  /// Run once each with BPF_PROG_TEST_RUN with --test (test) or many times with --bench
  /// (bench), and ignored otherwise.
  RunAsTest,
  RunAsBench,
  /// A BPF iterator (ProbeProgram::iterator): a link created, read to its end, then scry exits;
  /// or pinned at ProbeProgram::iterator_pin for others to read.
  Iterator,
  /// A hardware breakpoint perf event (ProbeProgram::watchpoint) in the -p or -c process.
  Watchpoint,
  /// A kprobe or kretprobe (ProbeProgram::kprobe) through the kernel's kprobe perf event PMU,
  /// or, for a group (ProbeProgram::probe_group), one kprobe_multi link where the kernel has
  /// them. Needs CONFIG_KPROBES.
  Kprobe,
  /// A BPF trampoline (fentry, fexit) or a BTF-typed raw tracepoint (tp_btf): the program is
  /// loaded for its target (ProbeProgram::kernel_function), found in the kernel's BTF, and
  /// attached with a tracing link. fentry and fexit need BPF trampolines
  /// (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS on x86-64).
  Tracing,
};

/// config missing_probes: error (the default), warn or ignore.
enum class MissingProbes : uint8_t { Error, Warn, Ignore };

/// Where a kprobe or kretprobe program attaches.
struct KprobeSpec {
  std::string function; // the kernel function, as `func` prints it
  std::string module;   // its module, "" for vmlinux or when the attach point names none
  uint64_t offset = 0;  // bytes into the function (kprobe:f+OFFSET)
  bool retprobe = false;
};

/// The kernel function (fentry, fexit) or raw tracepoint (tp_btf) a BTF-typed program is loaded
/// for, with the arguments the program reads by name.
struct KernelFunctionSpec {
  std::string name;       // "vfs_read", "sched_switch"
  std::string module;     // "" for vmlinux
  uint32_t arg_count = 0; // arguments in the context (fexit's return value comes after them)
  bool fexit = false;
  /// The parameters of the prototype, in order: `args.NAME` reads ctx[index].
  std::vector<std::string> params;
  std::vector<Type> param_types; // their types, from BTF
  Type return_type;              // fexit's retval
};

/// Where a watchpoint program attaches: PERF_TYPE_BREAKPOINT's bp_addr, bp_len and bp_type.
struct WatchpointSpec {
  uint64_t address = 0;
  uint32_t length = 0; // bytes: 1, 2, 4 or 8
  uint32_t type = 0;   // HW_BREAKPOINT_R (1) | HW_BREAKPOINT_W (2), or HW_BREAKPOINT_X (4)
};

/// Where a USDT program attaches.
struct UsdtSpec {
  std::string path;     // the binary or library, as resolved (symbols/binary_path.h)
  std::string provider; // the probe's provider ("scry") and name ("tick")
  std::string name;
};

/// A parameter of a uprobe's function that the probe reads as `args.NAME`, from its DWARF.
struct UprobeArg {
  std::string name;
  uint32_t index = 0; // its argument register (arg0 is 0)
};

/// Where a uprobe or uretprobe program attaches.
struct UprobeSpec {
  std::string path;     // the binary or library, as resolved (symbols/binary_path.h)
  std::string function; // the function, as `func` prints it ("" for an address)
  std::string symbol;   // its symbol-table name (C++ names mangled)
  uint64_t offset = 0;  // the file offset of the probed instruction, in bytes
  bool retprobe = false;
  std::vector<UprobeArg> args; // the fields of `args` the probe reads
  /// uaddr() in a position-independent binary: the program finds where the binary is loaded
  /// from the address it fired at (bpf_get_func_ip), whose link-time address is `address`.
  bool needs_load_address = false;
  uint64_t address = 0;
};

/// Where the fields of `args` come from in a raw tracepoint program.
enum class RawRecord : uint8_t {
  None,            // the probe reads no field of args
  RawSyscallEnter, // raw_syscalls:sys_enter: id = ctx[1], args[i] = regs argument i
  RawSyscallExit,  // raw_syscalls:sys_exit: id = regs->orig_ax, ret = ctx[1]
  SyscallEnter,    // syscalls:sys_enter_X: __syscall_nr = ctx[1], field i = regs argument i
  SyscallExit,     // syscalls:sys_exit_X: __syscall_nr = regs->orig_ax, ret = ctx[1]
};

/// The perf event an interval, profile, software or hardware program runs on: the fields of
/// perf_event_attr that differ from one probe to another (linux/perf_event.h), and the CPUs.
struct PerfEventSpec {
  uint32_t type = 0;      // PERF_TYPE_SOFTWARE or PERF_TYPE_HARDWARE
  uint64_t config = 0;    // PERF_COUNT_SW_* or PERF_COUNT_HW_*
  uint64_t period = 0;    // events between samples (ns for cpu-clock); 0 when `frequency` is set
  uint64_t frequency = 0; // samples per second (profile:hz:N), else 0
  bool every_cpu = true;  // one event per CPU; interval probes fire on CPU 0 only
};

/// One BPF program: the code for one attach point of one probe.
struct ProbeProgram {
  std::string function;   // the BPF program's (ELF symbol) name
  std::string probe_name; // the full attach point, as `probe` prints it:
                          // "tracepoint:syscalls:sys_enter_read"
  /// The probe whose predicate and body the program runs (for codegen; the runtime never
  /// reads the tree).
  ast::Probe *probe = nullptr;
  SourceRange loc; // the attach point's range in the source, for errors at load and attach time
  ast::ProbeType type = ast::ProbeType::Invalid;
  uint32_t order = 0; // begin/end probes run in declaration order
  /// The ELF section, which tells libbpf the BPF program type: "raw_tp" (begin, end),
  /// "perf_event", "tracepoint/syscalls/sys_enter_openat", "raw_tp/sys_enter".
  std::string section;
  ContextKind context = ContextKind::None;
  AttachMechanism attach = AttachMechanism::None;
  /// Whether `-p PID` filters the program: those that fire in the context of whatever task
  /// caused them. begin, end and interval run for the tracer itself and are never filtered, as
  /// in bpftrace (src/ast/passes/pid_filter_pass.cpp). profile, software and hardware samples
  /// are kept when they interrupt a thread of PID.
  bool pid_filter = false;
  /// Interval, profile, software and hardware programs only.
  PerfEventSpec perf_event;
  /// Uprobe programs only.
  UprobeSpec uprobe;
  /// USDT programs only.
  UsdtSpec usdt;
  /// Tracepoint programs only.
  std::string category, event; // "syscalls", "sys_enter_openat" (wildcards expanded)
  std::string raw_tracepoint;  // RawTracepoint: its name ("sys_enter", "sched_switch")
  RawRecord raw_record = RawRecord::None;
  int32_t syscall_nr = -1; // Raw syscalls:*: run only for this system call number
  /// Raw syscalls:* reached through the SyscallDispatcher of raw_tracepoint (a tail call at
  /// index syscall_nr) instead of being attached itself.
  bool tail_called = false;
  /// Tail-called wildcard expansions of one probe that read no `args` field share one BPF
  /// program: the first of them has probe_name_by_nr set (its `probe` is looked up by system
  /// call number in the dispatcher's probe_names map, and it skips the number check); the
  /// others name it here (its index) and in `function`, and have no code of their own.
  bool probe_name_by_nr = false;
  int32_t shares_program_of = -1;
  /// Uprobe expansions of one probe in one binary (a wildcard, or several attach points) that
  /// read no `args` field share one BPF program too, and so do the kprobe expansions of one
  /// probe (sema/probe_groups.cpp): the first of them lists the group here (program indexes,
  /// itself first), is attached at every member with one uprobe_multi or kprobe_multi link (or
  /// one uprobe or kprobe each where the kernel has no such link), and reads `probe` and `func`
  /// from `group_names` by the attachment's cookie, the member's position in this list. The
  /// others name it in shares_program_of and `function`.
  std::vector<uint32_t> probe_group;
  /// The group's names: an ARRAY map from cookie to { char probe[group_probe_bytes]; char
  /// func[group_func_bytes]; }, NUL-padded.
  std::string group_names;
  uint32_t group_probe_bytes = 0, group_func_bytes = 0;
  std::vector<std::string> args_fields; // the fields of `args` the probe reads
  /// Self programs only: the signal that runs it (SIGUSR1).
  int signal = 0;
  /// Iterator programs only: the iterator ("task", "task_file") and, when it is pinned, the
  /// path of its pin under bpffs ("" to read it now).
  std::string iterator, iterator_pin;
  /// Watchpoint programs only.
  WatchpointSpec watchpoint;
  /// Kprobe programs only.
  KprobeSpec kprobe;
  /// fentry, fexit and raw tracepoint (tp_btf) programs only.
  KernelFunctionSpec kernel_function;

  /// The function `func` names: a uprobe's, a kprobe's, an fentry's; "" for other types.
  const std::string &traced_function() const {
    switch (type) {
    case ast::ProbeType::Kprobe:
    case ast::ProbeType::Kretprobe:
      return kprobe.function;
    case ast::ProbeType::Fentry:
    case ast::ProbeType::Fexit:
      return kernel_function.name;
    default:
      return uprobe.function;
    }
  }
};

/// A program that runs first on a raw syscall tracepoint and tail-calls the probe program of the
/// current system call from a BPF_MAP_TYPE_PROG_ARRAY indexed by its number, so that hundreds of
/// syscalls:* probes (`tracepoint:syscalls:sys_enter_*`) cost one program and one tail call per
/// event instead of one program run per probe.
struct SyscallDispatcher {
  std::string raw_tracepoint; // "sys_enter" or "sys_exit"
  std::string function;       // the dispatcher program: "dispatch_sys_enter"
  std::string prog_array;     // the BPF map of probe programs: "tail_sys_enter"
  /// For shared programs (ProbeProgram::probe_name_by_nr): an ARRAY map from system call number
  /// to the NUL-padded probe name, probe_name_bytes each; empty when no program is shared.
  std::string probe_names;
  uint32_t probe_name_bytes = 0;
};

/// A skboutput() call site: the pcap file its packets go to and the bytes dropped from the front
/// of each (an Ethernet header: 14). Sites naming one path share its file.
struct SkbOutput {
  std::string path;    // as written, relative to scry's working directory
  uint64_t offset = 0; // bytes of each captured packet not written to the file
  SourceRange loc;     // the file argument, for errors about the file
};

/// Entries of a SyscallDispatcher's program array: system call numbers below this.
inline constexpr uint32_t kSyscallDispatchEntries = 1024;

/// The config block's (and BPFTRACE_* variables') settings that codegen and the runtime read
/// (sema/config.cpp sets them; the keys are bpftrace's, docs/language.md "Config Variables").
struct RunConfig {
  std::string license = "GPL";          // the BPF object's license section
  bool print_maps_on_exit = true;       // print every map with entries when the run ends
  std::string str_trunc_trailer = ".."; // appended to a string that filled its buffer
  /// Bytes of the verifier's log kept (-v, load failures) when config log_size sets it; 0:
  /// libbpf's own buffer, which grows to 16 MiB, so that the whole log (and the source line the
  /// verifier stopped on) is kept.
  uint32_t log_size = 0;
  uint32_t perf_rb_pages = 0; // the ring buffer's size in pages; 0: chosen by the program
  bool cpp_demangle = true;   // ustack and usym show C++ names demangled
};

/// Everything the runtime needs about a compiled program except the BPF object itself.
struct Resources {
  std::vector<MapInfo> maps;
  std::vector<PrintfInfo> printfs;
  std::vector<std::string> time_formats;
  std::vector<std::string> join_separators;     // join() call sites: each one's separator
  std::vector<KernelVariable> kernel_variables; // percpu_kaddr()'s variables, declared once each
  std::vector<SkbOutput> skb_outputs;           // skboutput()'s call sites, by Call::id
  std::vector<Type> print_values;
  std::vector<RuntimeErrorInfo> runtime_errors;
  std::vector<ProbeProgram> programs;
  std::vector<SyscallDispatcher> dispatchers;
  uint32_t max_strlen = 1024;
  uint32_t max_cat_bytes = 10240; // cat() prints at most this many bytes of a file
  uint32_t max_map_keys = 4096;
  /// How kstack and ustack print when the program names no mode (config stack_mode).
  StackMode stack_mode = StackMode::Bpftrace;
  /// What a probe that cannot be attached (or whose kernel function does not exist) does to the
  /// run (config missing_probes, as in bpftrace): ends it with an error, is left out with a
  /// warning, or is left out silently. A run with no probe left is an error all the same.
  MissingProbes missing_probes = MissingProbes::Error;
  /// Whether a probe takes ustack or usym: its programs tell user space about each process
  /// they see (AsyncKind::ProcessSeen), so that its mappings are read while it lives.
  bool user_symbols = false;
  RunConfig config;
};

} // namespace scry
