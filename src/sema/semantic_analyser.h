// Semantic analysis: the pass that gives every expression its type and checks the program.
//
// Reads: the parsed program (attach points already split), the kernel's tracepoint formats and
// BTF, the command line's positional parameters. Writes: Expression::type for every expression,
// Map::map_id, Variable::var_id, Call::id, and the Resources (maps, printf formats, the BPF
// programs to generate: one per concrete attach point, wildcards expanded). Reports every
// problem it can find in one run, each at its source range.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"
#include "sema/c_definitions.h"
#include "sema/c_imports.h"
#include "sema/resources.h"
#include "sema/tracepoint_format.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace scry {

struct SemaOptions {
  std::vector<std::string> params; // positional parameters: $1 is params[0]
  /// Named parameters after `--` (`--name=value`; nullopt for a bare `--name`), read by getopt().
  std::map<std::string, std::optional<std::string>> named_params;
  bool has_child = false;    // -c was given, so cpid means something
  std::string child_program; // -c: its program's path (uprobe targets default to it)
  pid_t target_pid = 0;      // -p: uprobe targets are looked up in this process
  bool unsafe = false;       // --unsafe: probes scry cannot check are allowed
  std::string tracefs_root;  // where tracepoint formats are read from (empty: none)
  uint32_t ncpus = 1;        // online CPUs, the value of `ncpus`
  /// Attach tracepoint probes through raw tracepoints where they mean the same (see
  /// sema/tracepoint_attach.h); false keeps every one a classic tracepoint.
  bool raw_tracepoints = true;
  CDefinitionOptions c_definitions; // --include FILE, -I DIR
  /// kfunc_allowed(): whether the kernel lets a program of ELF section `section` ("kprobe/f",
  /// "raw_tp/sys_enter", ...) call kfunc `name` (runtime/kernel_features.h). Null: whenever
  /// the kfunc exists.
  std::function<bool(const std::string &name, const std::string &section)> kfunc_allowed;
};

/// A scratch variable declaration: one per distinct `$name` in scope.
struct VariableInfo {
  std::string name;
  Type type; // final type after all assignments (strings widened to the largest)
};

/// A tracepoint a program attaches to, with its record layout.
struct TracepointTarget {
  std::shared_ptr<const TracepointFormat> format;
};

/// What codegen needs from sema beyond the annotated tree.
/// A named parameter the program reads with getopt(), for `-- --help`.
struct NamedOption {
  std::string name;         // without the leading --
  std::string kind;         // "bool", "int" or "string"
  std::string default_text; // the default as the command line would write it
  std::string description;  // getopt()'s third argument; empty when it has none
};

struct SemaResult {
  Resources resources;
  std::vector<NamedOption> named_options; // in the order the program first reads them
  std::vector<VariableInfo> variables;    // indexed by Variable::var_id
  /// Parallel to resources.programs: the tracepoint format for tracepoint programs.
  std::vector<std::shared_ptr<const TracepointFormat>> tracepoint_formats;
  uint64_t positional_count = 0; // $#
  /// Owns the nodes macro expansion put into the tree (sema/macro_expansion.h): the expanded
  /// probes point into it, so it lives as long as the result codegen reads with the tree.
  std::shared_ptr<ast::Context> expansion_nodes;
  /// The program's C definitions (sema/c_definitions.h): their BTF, which codegen's KernelBtf
  /// adds as sema's did, and their constants. Null when the program has none.
  std::shared_ptr<const CTypes> c_types;
  /// The program's imported .bpf.c files, compiled (null when it imports none).
  std::shared_ptr<const CImports> c_imports;
};

/// Runs semantic analysis over `program`, after expanding its macros (sema/macro_expansion.h).
/// Returns false when there were errors (in `diags`).
bool analyse(ast::Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
             Diagnostics &diags);

/// The named parameters `program`'s getopt() calls read, taken from the calls as written, in
/// program order: what `-- --help` lists when analyse() failed, as it does on a machine that
/// lacks one of the program's attach points (a tool for a kernel function this kernel does not
/// have). A call whose name or default is not a literal is left out: analyse() reports it.
std::vector<NamedOption> written_named_options(ast::Program &program);

} // namespace scry
