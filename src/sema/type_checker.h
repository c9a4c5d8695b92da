// The type checker (sema/passes.h, type_check), private to src/sema. One class, its methods in
// topic files: type_checker.cpp (the two walks, reporting, shared typing rules),
// types_statements.cpp (statements, variables, scopes), types_expressions.cpp (literals,
// builtins, operators), types_fields.cpp (fields, args, casts, written types), types_calls.cpp
// (function calls, printf), types_aggregations.cpp (count() ... tseries()), types_maps.cpp (map
// reads and writes).
#pragma once

#include "base/diagnostics.h"
#include "base/types.h"
#include "parser/ast.h"
#include "sema/btf.h"
#include "sema/resources.h"
#include "sema/semantic_analyser.h"
#include "sema/tracepoint_format.h"
#include "symbols/dwarf_params.h"
#include "symbols/elf_image.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace scry {

// ---- typing rules shared by the topic files (type_checker.cpp) --------------------------------

Type int64_type();
Type uint64_type();

/// The type a value has once stored in a map or variable: integers widen to 64 bits (bpftrace's
/// rule, so that `@x = 1; @x = (uint32)2` agree), recursively inside tuples.
Type storage_type(const Type &t);

/// The type a scratch variable gets from a value of type `t`: storage_type(), but an integer
/// keeps its size (a later assignment of a wider integer widens the variable: assign_variable).
Type variable_storage_type(const Type &t);

/// Whether a value of type `from` can be stored where `to` is expected, and the type that holds
/// both (strings widen to the larger size). Nullopt when they do not agree.
std::optional<Type> unify(const Type &to, const Type &from);

/// How a map entry's value reads in an expression: aggregations read as integers.
Type read_type(const Type &value);

/// The builtins and standard-library macros users may name, for "did you mean" suggestions:
/// functions (and macros with parameters) when `functions`, else variables (and bare macros).
std::vector<std::string> names_for_suggestions(bool functions);

// ---- the type checker -------------------------------------------------------------------------

/// Walks the probes twice (run()): the first walk is silent and only learns the types of maps,
/// which may be read in one probe before the probe that assigns them appears in the source; the
/// second types every expression and reports errors.
class TypeChecker : public ast::Visitor {
public:
  TypeChecker(ast::Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
              Diagnostics &diags)
      : program_(program), options_(options), btf_(btf), result_(result), diags_(diags) {}

  void run();

  // types_statements.cpp
  void visit(ast::Block &n) override;
  void visit(ast::ExprStatement &n) override;
  void visit(ast::Assignment &n) override;
  void visit(ast::VarDecl &n) override;
  void visit(ast::If &n) override;
  void visit(ast::Unroll &n) override;
  void visit(ast::While &n) override;
  void visit(ast::ForMap &n) override;
  void visit(ast::ForRange &n) override;
  void visit(ast::Jump &n) override;
  void visit(ast::BlockStatement &n) override;
  void visit(ast::Variable &n) override;

  // types_expressions.cpp
  void visit(ast::Integer &n) override;
  void visit(ast::String &n) override;
  void visit(ast::Boolean &n) override;
  void visit(ast::Identifier &n) override;
  void visit(ast::PositionalParameter &n) override;
  void visit(ast::Unary &n) override;
  void visit(ast::Binary &n) override;
  void visit(ast::Ternary &n) override;
  void visit(ast::TupleAccess &n) override;
  void visit(ast::Index &n) override;
  void visit(ast::Tuple &n) override;
  void visit(ast::Record &n) override;
  void visit(ast::BlockExpr &n) override;
  void not_a_builtin_variable(ast::Identifier &n);
  /// A name the program's C definitions define (types_fields.cpp): an enumerator or an
  /// object-like #define, typed and given its value; a function-like macro is an error. False
  /// when the C definitions do not define it.
  bool c_constant(ast::Identifier &n);

  // types_fields.cpp
  void visit(ast::FieldAccess &n) override;
  void visit(ast::Cast &n) override;
  void visit(ast::Sizeof &n) override;
  void visit(ast::Offsetof &n) override;

  // types_maps.cpp
  void visit(ast::Map &n) override;
  void visit(ast::MapAccess &n) override;

  // types_calls.cpp
  void visit(ast::Call &n) override;

private:
  // ---- type_checker.cpp: the walks and reporting ----------------------------------------------
  void walk_probes();
  std::string current_probe_kinds() const;
  void check(ast::Expression *e);
  std::optional<int64_t> constant_value(ast::Expression *e);
  void constant_required(ast::Expression *e, const std::string &message);
  void check_discarded(ast::Expression &e);
  /// getopt("name"[, default]) (types_getopt.cpp): typed by its default (none or a bool: bool,
  /// an integer: int64, a string: string) and resolved to the value given after `--`.
  void type_getopt(ast::Call &n);
  /// Warns (unreachable-code) at the first statement, or the value, of `block` that follows a
  /// statement after which control never goes on: return, break, continue, exit(), or an if
  /// whose branches all end so. bpftrace warns the same way; the code is still checked.
  void check_reachable(const ast::Block &block);
  void error(DiagCode code, const SourceRange &loc, std::string msg, std::string hint = {});
  void warning(DiagCode code, const SourceRange &loc, std::string msg, std::string hint = {});

  // ---- types_statements.cpp: variables --------------------------------------------------------
  static std::string source_name(const ast::Variable &v);
  VariableInfo *lookup_variable(ast::Variable &v);
  void declare_variable(ast::Variable &v, const Type &t, const SourceRange &,
                        bool declared = false);
  void check_shadowing(const ast::Variable &v, const SourceRange &at, bool loop_variable);
  const SourceRange *visible_declaration(const std::string &name) const;
  void assign_variable(ast::Variable &v, const Type &value, const SourceRange &value_loc);

  // ---- types_expressions.cpp: operators -------------------------------------------------------
  int check_divisor(ast::BinaryOp op, ast::Expression *divisor, const SourceRange &loc);
  static bool truthy(const Type &t);
  void check_condition(ast::Expression *e);
  void bad_operand(ast::Unary &n, const Type &t);
  Type binary_result(ast::BinaryOp op, const Type &l, const Type &r, const SourceRange &loc);
  void type_increment(ast::Unary &n);

  // ---- types_arrays.cpp: array casts, `&`, array bounds ---------------------------------------
  /// The type of `(T[N])x` / `(T[])x` (open_size) from an integer, string or array of the same
  /// size, and of `(intN)array`; errors when the sizes differ. `target` is resolved without a
  /// trailing `[]`.
  Type array_cast(ast::Cast &n, const Type &target, bool open_size);
  /// `&expr`: a pointer to a field or element in kernel or user memory, or to a variable, a
  /// map's value or a part of either in scry's memory (kernel address space); an error for
  /// values that are not in memory and for per-CPU values.
  void type_address_of(ast::Unary &n);
  /// Warns at each `let $x;` of `probe` that nothing assigns (bpftrace's "Variable $x was
  /// never assigned to").
  void warn_unassigned_lets(ast::Probe &probe);
  /// Whether `e` is a place in scry's own memory: a variable, a map's value (not an
  /// aggregation's, not a per-CPU map's: `why_not` then says which), or a field, tuple element
  /// or array element of one.
  bool held_place(ast::Expression *e, std::string &why_not);
  /// `array[i]` with `i` known only at run time: registers the out-of-range warning.
  void check_runtime_index(ast::Index &n, uint32_t count);

  // ---- types_fields.cpp: written types and tracepoint arguments -------------------------------
  Type resolve_type(ast::TypeSpec &spec);
  bool args_allowed(const SourceRange &loc);
  void type_args(ast::Identifier &n);
  void type_ctx(ast::Identifier &n);
  void type_function_builtin(ast::Identifier &n);
  void type_args_field(ast::FieldAccess &n);
  void type_uprobe_args_field(ast::FieldAccess &n);
  /// The type of a uprobe's `args.FIELD` (or of `args`, a record of every parameter, when
  /// `field` is null) from its functions' DWARF, the same in every program of the probe;
  /// records the registers read in each program's UprobeSpec::args. nullopt after an error.
  std::optional<Type> type_uprobe_args(SourceRange loc, const std::string *field);
  /// `args` and `args.NAME` in fentry, fexit and rawtracepoint probes: the BTF prototype's
  /// parameters (KernelFunctionSpec), the same type in every program of the probe.
  std::optional<Type> type_btf_args(SourceRange loc, const std::string *field);
  void type_fexit_retval(ast::Identifier &n);
  /// Takes `t`, the type of `what` in the program at `where`, into `type`, the probe's (set by
  /// its first program, at `first_where`). False, with an error at `loc`, when the two are not
  /// stored alike: the probe's one body cannot read both.
  bool same_type_everywhere(std::optional<Type> &type, std::string &first_where, const Type &t,
                            const std::string &where, const std::string &what, SourceRange loc);

  // ---- types_maps.cpp -------------------------------------------------------------------------
  static std::string display(const std::string &name);
  const MapInfo *find_map(const std::string &name) const;
  std::vector<std::string> assigned_map_names() const;
  Type map_read_type(const ast::Map &m) const;
  void use_map(ast::Map &m, ast::Expression *key, const Type &value, const SourceRange &loc, bool);
  void check_key(const MapInfo &info, ast::Expression *key);
  bool check_readable(const MapInfo &info, const SourceRange &loc);
  /// `let @m = KIND(N);`: checks each declaration's kind, size and uniqueness (before the walks).
  void check_map_declarations();
  /// After the walks: gives each declared map its kind and size, and reports declared maps whose
  /// values need another kind of BPF map, and declared maps no probe uses.
  void apply_map_declarations();

  // ---- types_calls.cpp ------------------------------------------------------------------------
  bool arity(ast::Call &n, size_t min, size_t max);
  bool arity(ast::Call &n); // the arity of n.builtin in base/builtins.h's table
  void not_a_builtin_function(ast::Call &n);
  /// A call of a function of an imported .bpf.c file (sema/c_imports.h).
  void type_c_function_call(ast::Call &n, const CFunction &f);
  void type_signal(ast::Call &n);
  void want_integer(ast::Call &n, size_t i, const char *what);
  ast::Map *map_argument(ast::Call &n, size_t i, bool allow_keyed_element = false);
  void type_call(ast::Call &n);
  void type_call_checked(ast::Call &n);
  void type_aggregation(ast::Call &n); // types_aggregations.cpp
  void type_printf(ast::Call &n);
  /// kstack and ustack, as variables and as calls with a mode and a frame limit.
  /// A kstack or ustack value's type; a kernel stack in build_id mode (config stack_mode) warns
  /// at `at` and is raw.
  Type stack_type(bool user, StackMode mode, uint32_t frames, const SourceRange &at);
  void type_stack_call(ast::Call &n, bool user);
  /// ksym(addr), usym(addr), kaddr("name").
  void type_symbol_call(ast::Call &n);
  /// uaddr("name"): the symbol in the probed binary of every program of the probe.
  void type_uaddr(ast::Call &n);
  void type_mode_call(ast::Call &n);
  /// The builtins known when compiling (types_compile_time.cpp): their value in Call::address.
  void type_compile_time_call(ast::Call &n);
  /// Whether typed call `n` has its value in Call::address (compile_time_value) .
  bool compile_time_value(const ast::Call &n) const;
  /// The truth of a condition known when compiling (static_assert's): literals, sizeof,
  /// compile-time builtins, constants, and !, &&, || and comparisons of them; nullopt otherwise.
  std::optional<bool> static_truth(ast::Expression *e);

  // ---- types_library.cpp ----------------------------------------------------------------------
  /// bswap, ntop, strftime, buf, cat and syscall_name.
  void type_library_call(ast::Call &n);
  void type_buf(ast::Call &n);

  // ---- types_kernel_calls.cpp -----------------------------------------------------------------
  /// override, percpu_kaddr, write_user, path, socket_cookie, comm(pid) and skboutput: calls of
  /// helpers and kfuncs the kernel gives only some probe types, or that take kernel objects.
  void type_kernel_call(ast::Call &n);
  /// Whether every program the current probe makes is of the kernel's tracing type with BTF
  /// (fentry, fexit, rawtracepoint with BTF, iter), the only ones given kfuncs and
  /// bpf_skb_output (kernel/trace/bpf_trace.c's tracing_prog_func_proto).
  bool in_tracing_programs() const;

  ast::Program &program_;
  const SemaOptions &options_;
  KernelBtf &btf_;
  SemaResult &result_;
  Diagnostics &diags_;

  bool quiet_ = false;
  bool param_as_text_ = false; // checking str($N)'s argument
  size_t errors_ = 0;          // errors found, also in the quiet walk
  bool map_as_argument_ = false;
  bool aggregation_allowed_here_ = false;
  bool block_value_used_ = false;
  int loop_depth_ = 0;
  /// Inside a branch of a plain `if` whose condition is known when compiling to skip it
  /// (`if ($1 < 2)` with $1 given as 5): fail() there is not reached, as in bpftrace.
  int skipped_branch_depth_ = 0;
  ast::Probe *current_probe_ = nullptr;
  std::vector<ast::ProbeType> current_types_;
  std::vector<std::shared_ptr<const TracepointFormat>> current_formats_;
  std::vector<size_t> current_programs_; // indexes in Resources::programs of the probe's programs
  /// Function parameters from DWARF by "path:function" (nullopt: none, with the reason).
  std::map<std::string, std::pair<std::optional<std::vector<DwarfParam>>, std::string>>
      dwarf_params_;
  std::map<std::string, std::optional<ElfImage>> elf_images_; // uaddr(): binaries by path
  uint32_t probe_name_size_ = 1;
  uint32_t func_name_size_ = 1; // func: the longest function name of the probe's programs, + 1
  /// One block's variables. `vars` is what a name means in it: scry's lookup, where a variable
  /// first assigned without `let` belongs to the probe's outermost scope. `declared` is where
  /// bpftrace's rule against shadowing sees each name declared (by `let`, as a loop variable,
  /// or by a first assignment in the block then innermost), with where that was.
  struct Scope {
    std::unordered_map<std::string, int> vars;
    std::unordered_map<std::string, SourceRange> declared;
  };
  std::vector<Scope> scopes_;
  // Where each variable of the current probe was first assigned, for the error at a use outside
  // the block that assigned it.
  std::unordered_map<std::string, SourceRange> inner_assignments_;
  // Variables declared by `let $x;` (no type, no value) and not assigned yet, by id: reading one
  // is an error. A variable whose type is unknown because its value had an error is not here.
  std::set<int> untyped_lets_;
  std::set<int> declared_types_; // variables declared with a type (`let $x: uint16`)
  std::unordered_map<std::string, uint32_t> map_index_;
  std::unordered_map<std::string, SourceRange> map_first_use_;
  struct DeclaredMap {
    const ast::MapDecl *decl;
    MapKind kind;
    uint32_t max_entries;
  };
  std::map<std::string, DeclaredMap> declared_maps_; // valid `let @m = KIND(N)`, by name
  /// getopt(): each name's default as first written ("int 5", "string x", "bool false").
  std::map<std::string, std::string> getopt_defaults_;
  /// Reports named parameters after `--` that no getopt() reads (a misspelt option).
  void check_named_params_used();
  /// Adds getopt(name)'s parameter to SemaResult::named_options (once per name; a later call's
  /// description fills an empty one). `kind` is "bool ", "int " or "string ".
  void record_named_option(const std::string &name, std::string kind,
                           const std::string &default_text, const std::string &description);
};

} // namespace scry
