// Type checking of statements and scratch variables (part of the TypeChecker, type_checker.h):
// blocks and their scopes, assignments, `let`, if, unroll, while and for loops, break/continue/
// return, and the variables they declare, read and assign (bpftrace's shadowing rule included).
// Reads the program's statements; writes Variable::var_id and types, SemaResult::variables.
#include "parser/suggest.h"
#include "sema/macro_expansion.h"
#include "sema/type_checker.h"

#include <algorithm>

namespace scry {

using namespace ast;

namespace {

bool ends_control(const Statement *s);
bool expression_ends_control(const Expression *e);

/// Whether control never leaves `block` through its end.
bool block_ends_control(const Block *block) {
  return block && std::any_of(block->stmts.begin(), block->stmts.end(), ends_control);
}

/// Whether evaluating `e` never finishes: exit(), or a block expression that ends so
/// (`$v = { exit(); 5 }`).
bool expression_ends_control(const Expression *e) {
  if (auto *call = dynamic_cast<const Call *>(e))
    return call->name == "exit";
  auto *b = dynamic_cast<const BlockExpr *>(e);
  return b && block_ends_control(b->block);
}

/// Whether control never goes on after `s`: a jump, exit() (which returns from the probe, as
/// in bpftrace), a nested block that ends so, or an if whose branches both do.
bool ends_control(const Statement *s) {
  if (dynamic_cast<const Jump *>(s))
    return true;
  if (auto *e = dynamic_cast<const ExprStatement *>(s))
    return expression_ends_control(e->expr);
  if (auto *a = dynamic_cast<const Assignment *>(s))
    return expression_ends_control(a->value);
  if (auto *d = dynamic_cast<const VarDecl *>(s))
    return d->init && expression_ends_control(d->init);
  if (auto *b = dynamic_cast<const BlockStatement *>(s))
    return block_ends_control(b->block);
  if (auto *i = dynamic_cast<const If *>(s)) {
    if (!block_ends_control(i->then_block))
      return false;
    if (auto *else_block = dynamic_cast<const Block *>(i->else_branch))
      return block_ends_control(else_block);
    auto *else_if = dynamic_cast<const If *>(i->else_branch);
    return else_if && ends_control(else_if);
  }
  return false;
}

} // namespace

void TypeChecker::check_reachable(const Block &block) {
  for (size_t i = 0; i < block.stmts.size(); ++i) {
    if (!ends_control(block.stmts[i]))
      continue;
    const Node *next =
        i + 1 < block.stmts.size() ? static_cast<const Node *>(block.stmts[i + 1]) : block.value;
    if (next)
      warning(DiagCode::UnreachableCode, next->loc,
              next == block.value ? "unreachable expression: the block has no value"
                                  : "unreachable statement",
              "nothing after the return, break, continue or exit() before it runs");
    return;
  }
}

void TypeChecker::visit(Block &n) {
  scopes_.emplace_back();
  for (Statement *s : n.stmts)
    s->accept(*this);
  if (n.value) {
    check(n.value);
    if (!quiet_ && n.value->type.kind != TypeKind::Void && !block_value_used_)
      check_discarded(*n.value);
  }
  scopes_.pop_back();
  check_reachable(n); // after the statements' own warnings, which come earlier in the text
}

void TypeChecker::visit(ExprStatement &n) {
  check(n.expr);
  check_discarded(*n.expr);
}

void TypeChecker::visit(Assignment &n) {
  if (auto *id = dynamic_cast<Identifier *>(n.target)) {
    (void)id; // `_ = expr` evaluates and discards
    check(n.value);
    return;
  }
  if (auto *var = dynamic_cast<Variable *>(n.target)) {
    check(n.value);
    Type value = n.value->type;
    if (n.compound) {
      VariableInfo *info = lookup_variable(*var);
      if (!info) {
        error(DiagCode::UndefinedVariable, var->loc,
              "variable $" + source_name(*var) + " is used before it is assigned",
              "assign it first: $" + source_name(*var) + " = ...;");
        return;
      }
      var->type = info->type;
      value = binary_result(n.op, var->type, n.value->type, n.loc);
      n.division_warning = check_divisor(n.op, n.value, n.loc);
    }
    if (value.kind == TypeKind::Void) {
      error(DiagCode::TypeMismatch, n.value->loc, "this expression has no value to assign");
      return;
    }
    if (value.is_aggregation()) {
      auto *call = dynamic_cast<Call *>(n.value);
      error(DiagCode::InvalidMapUse, n.value->loc, "aggregations can only be assigned to maps",
            call ? "write @name = " + call->name + "(...)" : "");
      return;
    }
    assign_variable(*var, value, n.value->loc);
    return;
  }
  Map *map = nullptr;
  Expression *key = nullptr;
  if (auto *m = dynamic_cast<Map *>(n.target))
    map = m;
  else if (auto *ma = dynamic_cast<MapAccess *>(n.target))
    map = ma->map, key = ma->key;
  if (!map)
    return; // the parser reported it
  // An aggregation is allowed exactly here: as the whole value of a map assignment.
  auto *call = dynamic_cast<Call *>(n.value);
  const BuiltinFunctionInfo *builtin = call ? find_builtin_function(call->name) : nullptr;
  if (builtin && builtin->aggregation && !n.compound) {
    aggregation_allowed_here_ = true;
    n.value->accept(*this);
    aggregation_allowed_here_ = false;
  } else {
    check(n.value);
  }
  if (key)
    check(key);
  Type value = n.value->type;
  if (n.compound) {
    const MapInfo *info = find_map(map->name);
    Type current = info ? read_type(info->value) : int64_type();
    if (info && info->value.is_aggregation() && info->value.kind != TypeKind::Count &&
        info->value.kind != TypeKind::Sum) {
      error(DiagCode::InvalidMapUse, n.loc,
            "cannot use " + std::string(binary_op_spelling(n.op)) + "= on a " +
                type_name(info->value) + " map");
      return;
    }
    value = binary_result(n.op, current, n.value->type, n.loc);
    n.division_warning = check_divisor(n.op, n.value, n.loc);
    if (info && info->value.is_aggregation())
      value = info->value;
  }
  if (value.kind == TypeKind::Void) {
    error(DiagCode::TypeMismatch, n.value->loc, "this expression has no value to assign");
    return;
  }
  use_map(*map, key, value, n.loc, true);
  n.target->type = map_read_type(*map);
}

void TypeChecker::visit(VarDecl &n) {
  Type declared;
  if (n.type)
    declared = resolve_type(*n.type);
  if (n.init)
    check(n.init);
  Type t = declared.kind != TypeKind::None ? declared : (n.init ? n.init->type : Type{});
  if (n.init && declared.kind != TypeKind::None &&
      !unify(storage_type(declared), storage_type(n.init->type))) {
    error(DiagCode::TypeMismatch, n.init->loc,
          "cannot initialise $" + source_name(*n.var) + " of type " + type_name(declared) +
              " with " + type_name(n.init->type));
  }
  // `let $x`, what bpftrace marks when the declaration shadows another.
  check_shadowing(*n.var, SourceRange{n.loc.begin, n.var->loc.end}, false);
  declare_variable(*n.var, t.kind == TypeKind::None ? Type{} : t, n.loc,
                   declared.kind != TypeKind::None);
  if (t.kind == TypeKind::None && !n.init)
    untyped_lets_.insert(n.var->var_id);
}

void TypeChecker::visit(If &n) {
  if (n.comptime) {
    // Only the branch the condition takes is typed: the other may use what does not exist for
    // these types (fail(), a field of another struct), as in bpftrace's stdlib macros.
    check(n.cond);
    n.taken = 0;
    if (n.cond->type.kind == TypeKind::None)
      return;
    auto truth = static_truth(n.cond);
    if (!truth) {
      error(DiagCode::ConstantRequired, n.cond->loc,
            "'if comptime' needs a condition known when compiling",
            "test types and constants: is_str(x), sizeof(x) == 8; use a plain 'if' for a "
            "run-time value");
      return;
    }
    n.taken = *truth ? 1 : 2;
    if (*truth)
      n.then_block->accept(*this);
    else if (n.else_branch)
      n.else_branch->accept(*this);
    return;
  }
  check_condition(n.cond);
  // Both branches are typed; one a constant condition skips does not reach fail().
  const std::optional<bool> truth =
      n.cond->type.kind == TypeKind::None ? std::nullopt : static_truth(n.cond);
  skipped_branch_depth_ += truth == false;
  n.then_block->accept(*this);
  skipped_branch_depth_ -= truth == false;
  if (n.else_branch) {
    skipped_branch_depth_ += truth == true;
    n.else_branch->accept(*this);
    skipped_branch_depth_ -= truth == true;
  }
}

void TypeChecker::visit(Unroll &n) {
  check(n.count);
  auto v = constant_value(n.count);
  if (!v || *v < 1 || *v > 100)
    constant_required(n.count, "unroll needs a constant count from 1 to 100");
  n.body->accept(*this);
}

void TypeChecker::visit(While &n) {
  warning(DiagCode::Deprecated, n.loc,
          "while loops are deprecated and may be removed in the future",
          "use a for loop over a range: for ($i : 0..N) { ... }");
  check_condition(n.cond);
  ++loop_depth_;
  n.body->accept(*this);
  --loop_depth_;
}

void TypeChecker::visit(ForMap &n) {
  // $kv is (key, value): the key as the map stores it (a tuple for several keys), the value as
  // `@map[key]` reads it (aggregations summed over every CPU).
  Type kv;
  if (const MapInfo *info = find_map(n.map->name)) {
    n.map->map_id = static_cast<int>(map_index_.at(n.map->name));
    n.map->type = info->value;
    if (info->key.kind == TypeKind::None)
      error(DiagCode::InvalidMapUse, n.map->loc,
            "map " + info->name + " has no keys: a for loop iterates over a map's keys",
            "read its value as " + info->name);
    else if (info->value.kind == TypeKind::Hist || info->value.kind == TypeKind::Lhist ||
             info->value.kind == TypeKind::Tseries || info->value.kind == TypeKind::Stats)
      error(DiagCode::InvalidMapUse, n.map->loc,
            "a for loop cannot iterate over a " + type_name(info->value) + " map",
            "print it with print(" + info->name + ")");
    else
      kv = make_tuple_type({info->key, read_type(info->value)});
  } else if (!quiet_) {
    error(DiagCode::InvalidMapUse, n.map->loc, "map " + display(n.map->name) + " is never assigned",
          did_you_mean(display(n.map->name), assigned_map_names()));
  }
  scopes_.emplace_back();
  check_shadowing(*n.var, n.var->loc, true);
  declare_variable(*n.var, kv, n.var->loc);
  ++loop_depth_;
  n.body->accept(*this);
  --loop_depth_;
  scopes_.pop_back();
}

/// bpf_loop()'s limit on iterations (BPF_MAX_LOOPS in the kernel's kernel/bpf/bpf_iter.c):
/// with more it runs none.
static constexpr int64_t kMaxLoopIterations = 1 << 23;

void TypeChecker::visit(ForRange &n) {
  check(n.start);
  check(n.end);
  bool integers = true;
  for (Expression *e : {n.start, n.end}) {
    if (e->type.kind != TypeKind::Integer && e->type.kind != TypeKind::None) {
      error(DiagCode::WrongArgumentType, e->loc,
            "a range bound must be an integer, not " + type_name(e->type));
      integers = false;
    }
  }
  // A range the verifier cannot walk runs through bpf_loop() (codegen/loops.cpp), which runs
  // at most kMaxLoopIterations: a constant range past that is refused here, a range known only
  // at run time sends a warning and runs no iteration, as bpf_loop() does.
  auto start = constant_value(n.start), end = constant_value(n.end);
  if (integers && start && end) {
    if (*end > *start && static_cast<uint64_t>(*end) - static_cast<uint64_t>(*start) >
                             static_cast<uint64_t>(kMaxLoopIterations))
      error(DiagCode::LoopTooLong, SourceRange{n.start->loc.begin, n.end->loc.end},
            "a for range runs at most " + std::to_string(kMaxLoopIterations) +
                " iterations (the kernel's bpf_loop limit)",
            "split the range, or iterate over fewer elements");
  } else if (integers && !quiet_) {
    result_.resources.runtime_errors.push_back(
        {DiagCode::LoopTooLong,
         "this range has more than " + std::to_string(kMaxLoopIterations) +
             " iterations, the kernel's bpf_loop limit: the loop ran no iteration",
         SourceRange{n.start->loc.begin, n.end->loc.end}});
    n.too_long_warning = static_cast<int>(result_.resources.runtime_errors.size() - 1);
  }
  scopes_.emplace_back();
  check_shadowing(*n.var, n.var->loc, true);
  declare_variable(*n.var, int64_type(), n.var->loc);
  ++loop_depth_;
  n.body->accept(*this);
  --loop_depth_;
  scopes_.pop_back();
}

void TypeChecker::visit(Jump &n) {
  if (n.kind != Jump::Kind::Return && loop_depth_ == 0)
    error(DiagCode::InvalidStatement, n.loc,
          std::string(n.kind == Jump::Kind::Break ? "break" : "continue") +
              " is only allowed in a loop");
  if (n.value) {
    check(n.value);
    // A test probe's value is its result: 0 passes (bpftrace's test probes).
    bool test = !current_types_.empty() &&
                std::all_of(current_types_.begin(), current_types_.end(),
                            [](ast::ProbeType t) { return t == ast::ProbeType::Test; });
    if (!test)
      error(DiagCode::InvalidStatement, n.value->loc,
            "a probe's return takes no value (only a test probe's does: 0 passes)",
            "write 'return;'");
    else if (!n.value->type.is_integer())
      error(DiagCode::TypeMismatch, n.value->loc,
            "a test probe returns an integer, not " + type_name(n.value->type));
  }
}

void TypeChecker::visit(BlockStatement &n) {
  n.block->accept(*this);
}

void TypeChecker::visit(Variable &n) {
  VariableInfo *info = lookup_variable(n);
  if (!info) {
    const std::string name = "$" + source_name(n);
    if (auto it = inner_assignments_.find(n.name); it != inner_assignments_.end())
      error(DiagCode::UndefinedVariable, n.loc,
            "variable " + name + " is not assigned in this block: it is assigned at " +
                position_text(it->second.begin) +
                ", inside a block, and a scratch variable lives in the block that first "
                "assigns it (as in bpftrace)",
            "assign it before that block, e.g. " + name + " = 0;");
    else
      error(DiagCode::UndefinedVariable, n.loc, "variable " + name + " is not assigned",
            "assign it before using it: " + name + " = ...;");
    return;
  }
  if (info->type.kind == TypeKind::None && untyped_lets_.count(n.var_id)) {
    // `let $x;` without a type, read before any assignment: there is no type to give it (and
    // no value: it would read as zero bytes of nothing).
    std::string name = "$" + source_name(n);
    std::string where;
    if (const SourceRange *declared = visible_declaration(n.name))
      where = " (declared at " + position_text(declared->begin) + ")";
    error(DiagCode::UndefinedVariable, n.loc,
          "variable " + name + where +
              " has no type and no value here: it is read before "
              "anything is assigned to it",
          "assign it before this use, or declare its type: let " + name + ": int64;");
    return;
  }
  n.type = info->type;
}

/// `$x` as the source wrote it, also inside an expanded macro (where it is `x#N`).
std::string TypeChecker::source_name(const Variable &v) {
  return std::string(variable_source_name(v.name));
}

VariableInfo *TypeChecker::lookup_variable(Variable &v) {
  for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
    auto found = it->vars.find(v.name);
    if (found != it->vars.end()) {
      v.var_id = found->second;
      return &result_.variables[static_cast<size_t>(found->second)];
    }
  }
  return nullptr;
}

/// Declares `v` in the innermost scope. A type written in the source (`let $x: uint16`) is
/// kept as written; an inferred one widens like an assignment's.
void TypeChecker::declare_variable(Variable &v, const Type &t, const SourceRange &, bool declared) {
  int id = static_cast<int>(result_.variables.size());
  result_.variables.push_back({v.name, declared ? t : variable_storage_type(t)});
  scopes_.back().vars[v.name] = id;
  v.var_id = id;
  v.type = result_.variables.back().type;
  if (declared)
    declared_types_.insert(id);
}

/// Reports a declaration of `v` (a `let` at `at`, or a loop variable) that shadows a variable
/// already declared in this scope or an enclosing one: bpftrace refuses those. Then records it.
void TypeChecker::check_shadowing(const Variable &v, const SourceRange &at, bool loop_variable) {
  if (const SourceRange *first = visible_declaration(v.name)) {
    std::string name = "$" + source_name(v);
    std::string where = position_text(first->begin);
    if (loop_variable)
      error(DiagCode::InvalidStatement, at,
            "the loop variable " + name + " shadows the " + name + " declared at " + where,
            "give the loop variable another name");
    else
      error(DiagCode::InvalidStatement, at,
            name + " is already declared (at " + where +
                "): a variable cannot be declared again or shadowed",
            "assign the existing variable (" + name + " = ...), or declare another name");
    return;
  }
  scopes_.back().declared.emplace(v.name, v.loc);
}

const SourceRange *TypeChecker::visible_declaration(const std::string &name) const {
  for (const Scope &scope : scopes_)
    if (auto it = scope.declared.find(name); it != scope.declared.end())
      return &it->second;
  return nullptr;
}

void TypeChecker::assign_variable(Variable &v, const Type &value, const SourceRange &value_loc) {
  // For the shadowing rule, as in bpftrace, a first assignment declares the variable in the
  // innermost scope, though it lives for the whole probe.
  if (!visible_declaration(v.name))
    scopes_.back().declared.emplace(v.name, v.loc);
  VariableInfo *info = lookup_variable(v);
  if (info)
    untyped_lets_.erase(v.var_id);
  if (!info) {
    // The first assignment declares the variable in the innermost block: as in the newest
    // bpftrace, a variable first assigned inside an `if` is not visible after it.
    int id = static_cast<int>(result_.variables.size());
    result_.variables.push_back({v.name, variable_storage_type(value)});
    scopes_.back().vars[v.name] = id;
    inner_assignments_.emplace(v.name, v.loc);
    v.var_id = id;
    v.type = result_.variables.back().type;
    return;
  }
  auto u = unify(info->type, variable_storage_type(value));
  // An inferred integer variable widens to hold a wider value rather than truncating it (bpftrace
  // refuses the assignment; either way no value is silently cut).
  if (u && u->kind == TypeKind::Integer && value.kind == TypeKind::Integer &&
      value.size > u->size && !declared_types_.count(v.var_id)) {
    Type wide = make_int(value.size > 8 ? 8 : value.size, u->is_signed);
    wide.enumeration = u->enumeration;
    u = wide;
  }
  if (!u) {
    error(DiagCode::TypeMismatch, value_loc,
          "$" + source_name(v) + " holds " + type_name(info->type) + ", not " + type_name(value),
          "use another variable for the " + type_name(value));
    return;
  }
  info->type = *u;
  v.type = info->type;
}

} // namespace scry
