// Code generation: the typed AST -> LLVM IR -> one BPF ELF object, in memory.
//
// One BPF program per concrete attach point; one BTF-defined map per scry map plus scry's own
// maps (the ring buffer for asynchronous actions, per-CPU scratch space, the run state that
// carries exit(), and per-CPU counters of lost events and failed map updates). The object
// carries BTF, so libbpf creates the maps from it and the verifier's log can name source lines.
#pragma once

#include "base/bpf_abi.h"
#include "base/source.h"
#include "parser/ast.h"
#include "sema/semantic_analyser.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scry {

struct CodegenResult;

struct CodegenOptions {
  /// The ring buffer's size in bytes: a power of two, a multiple of the page size. 0 chooses
  /// by the program: kRingbufBytesEvents when it sends a record per event (printf, cat, system,
  /// join, print of a value, time), else kRingbufBytesControl, since the buffer's pages are mapped
  /// into scry (twice) and count in its resident memory.
  uint32_t ringbuf_bytes = 0;
  int64_t filter_pid = 0; // -p: non-begin/end probes fire only for this process (tgid)
  int64_t child_pid = 0;  // -c: the value of cpid
  /// When scry runs in a pid namespace other than the initial one: the device and inode of
  /// /proc/self/ns/pid, through which pid and tid are read as that namespace sees them. Zero:
  /// the initial namespace, whose ids bpf_get_current_pid_tgid gives.
  uint64_t pid_namespace_dev = 0, pid_namespace_ino = 0;
  std::vector<std::string> params; // positional parameters
  bool dump_ir = false;            // -d codegen: print the IR before optimisation
  bool dump_ir_opt = false;        // -d codegen-opt: after optimisation
  /// -k: probes report failed probe reads, map lookups, updates and deletes and stack reads
  /// (CodegenResult::helper_errors), once per site.
  bool helper_warnings = false;
  /// Reports an error LLVM's backend cannot return from (a probe too large for BPF's 16-bit
  /// jumps); scry exits with status 1 right after. Unset: a plain message.
  std::function<void(const CodegenResult &)> report_fatal;
};

struct CodegenResult {
  std::vector<uint8_t> object; // the ELF object
  std::string error;           // set when code generation failed
  /// Where the failure is in the source, when it can be pinned to a probe (a probe too large
  /// for BPF); otherwise the error is an internal one.
  std::optional<SourceRange> error_loc;
  std::string ir; // the requested IR dump, if any
  /// With helper_warnings: the sites that report a helper's failure, numbered after the
  /// SemaResult's runtime_errors (the driver appends them there).
  std::vector<RuntimeErrorInfo> helper_errors;
};

/// Generates the BPF object for `program`. `source` is embedded so that BTF line info (and so the
/// verifier's log) can show the script's lines.
CodegenResult generate(ast::Program &program, const SemaResult &sema, const SourceFile &source,
                       const CodegenOptions &options);

} // namespace scry
