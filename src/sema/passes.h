// The passes analyse() runs after macro expansion (semantic_analyser.cpp), in this order. Private
// to src/sema: only src/sema/*.cpp include it. Each reports into `diags`; what one pass hands the
// next is in its signature (the Resources and SemaResult it fills, ConfigLimits).
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"
#include "sema/resources.h"
#include "sema/semantic_analyser.h"

#include <cstdint>

namespace scry {

/// What the config pass sets that is not in Resources (which holds max_strlen, max_map_keys and
/// the RunConfig that codegen and the runtime read).
struct ConfigLimits {
  uint64_t max_probes = 1024;             // bpftrace's default
  uint64_t max_bpf_progs = 1024;          // bpftrace's default
  bool refuse_address_of = false;         // unstable_addr = error
  bool warn_address_of = true;            // unstable_addr = warn, the default (enable: no warning)
  std::string import_statement = "error"; // unstable_import_statement: error (the default),
                                          // warn or enable
  std::string tseries = "warn";           // unstable_tseries: warn (the default), error or enable
};

/// config.cpp: the config block, then the BPFTRACE_* environment variables, which override it
/// (every key of bpftrace's, sema/config_keys.h). Sets Resources::max_strlen, max_map_keys,
/// stack_mode, missing_probes and config; returns the other limits.
ConfigLimits read_config(const ast::Program &program, Resources &resources, Diagnostics &diags);

/// config.cpp: false, with an error at the first program beyond the limit, when the plan has
/// more BPF programs than max_bpf_progs (programs sharing another's code count once).
bool check_max_bpf_progs(const Resources &resources, const ConfigLimits &limits,
                         Diagnostics &diags);

/// probe_expansion.cpp: one ProbeProgram (and its tracepoint format, or null) per concrete attach
/// point, made by its probe type's provider (providers/providers.h), wildcards expanded, appended
/// to result.resources.programs and result.tracepoint_formats.
void expand_probes(const ast::Program &program, const SemaOptions &options, KernelBtf &btf,
                   SemaResult &result, Diagnostics &diags);

/// probe_expansion.cpp: false, with an error, when the plan has more programs than max_probes.
bool check_max_probes(const Resources &resources, const ConfigLimits &limits, Diagnostics &diags);

/// type_checker.cpp: types every expression and checks the program (type_checker.h); fills
/// result's variables, maps (types only), printf and time formats, print values, runtime errors.
void type_check(ast::Program &program, const SemaOptions &options, KernelBtf &btf,
                SemaResult &result, Diagnostics &diags);

/// map_layout.cpp: sizes and kinds of the BPF maps, once every use is known.
void finish_maps(Resources &resources);

/// Groups the uprobe and kprobe programs that can share one BPF program
/// (ProbeProgram::probe_group): the expansions of one probe in one binary (or in the kernel), of
/// one kind (entry or return), that read no `args` field (its registers differ from function to
/// function) and, for kprobes, have no offset and no module. Groups of one are left alone.
/// Reads and writes Resources::programs (sema/probe_groups.cpp).
void plan_probe_groups(Resources &resources);

} // namespace scry
