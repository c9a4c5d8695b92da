// Probe providers: what sema knows of each probe type, one file per type (or per family of types
// that share their code) in this folder, registered in one table (providers.cpp). A provider
// turns its attach points into programs of the plan (ProbeProgram, sema/resources.h) and fills
// in the plain data that codegen and the runtime switch on: the ELF section, the context kind,
// the attach mechanism, the -p filter, and what the mechanism needs (a perf event, a tracepoint's
// category and event). Names and aliases are the parser's part of the table
// (parser/probe_types.h); the attach-point grammar is still in parser/attach_point.cpp.
// Private to src/sema.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"
#include "sema/resources.h"
#include "sema/semantic_analyser.h"
#include "sema/tracepoint_format.h"
#include "symbols/elf_image.h"
#include "symbols/kernel_symbols.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// What the probe expansion pass (probe_expansion.cpp) hands each provider: the pass's inputs
/// and outputs, and the order of the next program.
struct Expansion {
  Expansion(const SemaOptions &options, KernelBtf &btf, SemaResult &result, Diagnostics &diags)
      : options(options), btf(btf), result(result), diags(diags) {}

  const SemaOptions &options;
  KernelBtf &btf;
  SemaResult &result;
  Diagnostics &diags;
  uint32_t order = 0; // begin/end probes run in declaration order
  /// tracefs's list of tracepoints, read once for the first wildcard or unknown event
  /// (tracepoint.cpp).
  std::vector<std::string> all_tracepoints;
  bool listed = false;
  /// The ELF files uprobes have read, by path (nullopt: unreadable, already reported).
  std::map<std::string, std::optional<ElfImage>> elf_images;
  /// The kernel's traceable functions, read on first use (kprobe.cpp).
  std::optional<KernelFunctionList> kernel_functions;
  const KernelFunctionList &traceable_functions();
  /// Reports an attach point whose kernel function, event, user function, USDT probe or
  /// library does not exist, as config missing_probes says: an error (`code`), a warning, or
  /// nothing. The attach point then has no program.
  void missing_probe(const ast::AttachPoint &ap, std::string message, std::string hint,
                     DiagCode code = DiagCode::UnknownSymbol);
  /// The BTF functions fentry can attach to, listed for the first wildcard (fentry.cpp).
  std::vector<KernelFunction> btf_functions;
  bool btf_functions_listed = false;

  /// Appends the program of one concrete attach point of `probe` to the plan, named `name`
  /// ("tracepoint:syscalls:sys_enter_read"), with the section, context kind, attach mechanism
  /// and -p filter of its type's row; its tracepoint format (or null) goes to
  /// SemaResult::tracepoint_formats. The provider fills in the rest.
  ProbeProgram &add_program(ast::Probe &probe, const ast::AttachPoint &ap, std::string name,
                            std::shared_ptr<const TracepointFormat> format = nullptr);
};

/// One probe type's row in the provider table.
struct Provider {
  ast::ProbeType type;
  /// Adds the programs of one attach point (its type's) to the plan with
  /// Expansion::add_program, one per concrete attach point (wildcards expanded), or reports why
  /// it cannot, at the attach point. nullptr while scry does not implement the type:
  /// expand_probes reports that.
  void (*expand)(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap);
  /// What each of its programs starts with in the plan (ProbeProgram's fields of these names).
  /// A tracepoint's section gets "/category/event" appended.
  const char *section;
  ContextKind context;
  AttachMechanism attach;
  bool pid_filter;
};

/// The row of `type`. ProbeType::Invalid's (an attach point the parser refused) is empty.
const Provider &provider_for(ast::ProbeType type);

// The providers' expansions, one file each.
void expand_begin_end(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_timer(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_perf_event(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_tracepoint(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_uprobe(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_usdt(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_kprobe(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_fentry(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_rawtracepoint(Expansion &, ast::Probe &, ast::AttachPoint &);

/// The kernel functions of `functions` the attach point names (kprobe.cpp): its function
/// pattern, and its module pattern when it has one ("vmlinux" for the kernel itself). Without a
/// module, a name several modules define is taken once, module "". Reports at the attach point
/// when none matches (`what` names the list: "traceable kernel function"), with a suggestion.
std::vector<KernelFunction> match_kernel_functions(Expansion &x, const ast::AttachPoint &ap,
                                                   const std::vector<KernelFunction> &functions,
                                                   const std::string &what);
void expand_self(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_test_bench(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_iter(Expansion &, ast::Probe &, ast::AttachPoint &);
void expand_watchpoint(Expansion &, ast::Probe &, ast::AttachPoint &);

/// The files a uprobe's or USDT probe's attach point names (uprobe.cpp): a path, a program or
/// library by name, a wildcard over paths, or (without one, with -p) the process's executable.
/// Reports at the attach point when there is none.
std::vector<std::string> user_binaries(Expansion &x, const ast::AttachPoint &ap);

} // namespace scry
