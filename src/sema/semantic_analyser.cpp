// Semantic analysis: the ordered list of sema's passes (docs/architecture.md). See
// semantic_analyser.h for what it reads and writes, and each pass's file for its part.
#include "sema/semantic_analyser.h"

#include "sema/c_definitions.h"
#include "sema/c_imports.h"
#include "sema/macro_expansion.h"
#include "sema/passes.h"
#include "sema/stdlib.h"
#include "sema/tracepoint_attach.h"

namespace scry {

bool analyse(ast::Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
             Diagnostics &diags) {
  result.expansion_nodes = std::make_shared<ast::Context>();
  // 1. The standard library's macros the program uses, then macro expansion.
  add_stdlib_macros(program);
  if (!expand_macros(program, *result.expansion_nodes, diags))
    return false;
  result.positional_count = options.params.size();
  // 2. The config block and the environment.
  const ConfigLimits limits = read_config(program, result.resources, diags);
  // 3. Probe expansion: one ProbeProgram per concrete attach point, at most max_probes.
  expand_probes(program, options, btf, result, diags);
  if (diags.has_errors() || !check_max_probes(result.resources, limits, diags))
    return false;
  if (result.resources.programs.empty() && !program.probes.empty()) {
    // Every attach point was left out (config missing_probes = warn or ignore).
    diags.error(DiagCode::NoProbes, program.probes.front()->loc,
                "no probe is left to attach: the kernel has none of the program's functions");
    return false;
  }
  // The program's C definitions (libclang, loaded only for a program that has them): types
  // added to the BTF lookups, constants for the type checker.
  if (has_c_definitions(program, options.c_definitions)) {
    result.c_types = import_c_definitions(program, options.c_definitions, btf, diags);
    if (!result.c_types)
      return false;
  }
  // Imported .bpf.c files, compiled (libscry-cc.so, loaded only for a program that has them):
  // the functions the type checker lets the program call, the bitcode codegen links.
  if (has_c_imports(program)) {
    result.c_imports = compile_c_imports(program, btf, diags);
    if (!result.c_imports)
      return false;
  }
  // 4. Type checking (two walks: map types, then all types), then the BPF maps' layout.
  type_check(program, options, btf, result, diags);
  finish_maps(result.resources);
  if (diags.has_errors())
    return false;
  // 5. How each tracepoint attaches, and which uprobes share a program.
  plan_tracepoint_attach(result, options.raw_tracepoints);
  plan_probe_groups(result.resources);
  return check_max_bpf_progs(result.resources, limits, diags);
}

} // namespace scry
