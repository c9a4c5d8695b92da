// The type-checking pass (type_check): two walks of the TypeChecker (type_checker.h) over every
// probe, the first silent to learn map types, the second typing everything and reporting. Reads
// the program and the plan's ProbePrograms (each probe's attach points and tracepoint formats);
// writes the typed tree and SemaResult's variables, maps, printf and time formats, print values,
// runtime errors. Also the typing rules the topic files share (storage_type, unify, ...).
#include "sema/type_checker.h"

#include "parser/attach_point.h"
#include "sema/constant.h"
#include "sema/passes.h"
#include "sema/stdlib.h"

#include <algorithm>
#include <iterator>
#include <set>

namespace scry {

using namespace ast;

Type int64_type() {
  return make_int(8, true);
}
Type uint64_type() {
  return make_int(8, false);
}

Type storage_type(const Type &t) {
  switch (t.kind) {
  case TypeKind::Integer: {
    Type wide = make_int(8, t.is_signed);
    wide.enumeration = t.enumeration; // a stored enum value still prints by name
    return wide;
  }
  case TypeKind::Tuple: {
    std::vector<Type> parts;
    for (const Field &f : *t.fields)
      parts.push_back(storage_type(*f.type));
    return make_tuple_type(parts);
  }
  case TypeKind::Record: {
    if (t.btf_id != 0)
      return t;
    std::vector<std::pair<std::string, Type>> parts;
    for (const Field &f : *t.fields)
      parts.emplace_back(f.name, storage_type(*f.type));
    return make_record_type(parts, t.name);
  }
  default:
    return t;
  }
}

Type variable_storage_type(const Type &t) {
  if (t.kind != TypeKind::Integer)
    return storage_type(t);
  // As in bpftrace, `$x = (uint8)v` makes a 1-byte variable: sizeof($x) and typeof($x) say so.
  Type kept = make_int(t.size == 1 || t.size == 2 || t.size == 4 ? t.size : 8, t.is_signed);
  kept.enumeration = t.enumeration;
  return kept;
}

std::optional<Type> unify(const Type &to, const Type &from) {
  if (to.kind == TypeKind::None)
    return from;
  if (from.kind == TypeKind::None)
    return to;
  if (to.kind != from.kind)
    return std::nullopt;
  switch (to.kind) {
  case TypeKind::Integer: {
    // Signedness mixes as in C assignment: keep the first type. It stays of enum type only
    // while every value stored is of that enum: another integer makes it a plain integer.
    if (!to.enumeration || same_enum(to.enumeration, from.enumeration))
      return to;
    Type plain = to;
    plain.enumeration = nullptr;
    return plain;
  }
  case TypeKind::String:
    return to.size >= from.size ? to : from;
  case TypeKind::Tuple: {
    if (to.fields->size() != from.fields->size())
      return std::nullopt;
    std::vector<Type> parts;
    for (size_t i = 0; i < to.fields->size(); ++i) {
      auto u = unify(*(*to.fields)[i].type, *(*from.fields)[i].type);
      if (!u)
        return std::nullopt;
      parts.push_back(*u);
    }
    return make_tuple_type(parts);
  }
  case TypeKind::Record: {
    if (to.btf_id != 0 || from.btf_id != 0)
      return to == from ? std::optional<Type>(to) : std::nullopt;
    if (to.fields->size() != from.fields->size())
      return std::nullopt;
    std::vector<std::pair<std::string, Type>> parts;
    for (size_t i = 0; i < to.fields->size(); ++i) {
      const Field &a = (*to.fields)[i], &b = (*from.fields)[i];
      auto u = a.name == b.name ? unify(*a.type, *b.type) : std::nullopt;
      if (!u)
        return std::nullopt;
      parts.emplace_back(a.name, *u);
    }
    return make_record_type(parts, to.name);
  }
  case TypeKind::Hist:
    if (to.hist_bits != from.hist_bits)
      return std::nullopt;
    return to;
  case TypeKind::Lhist:
    if (to.lhist_min != from.lhist_min || to.lhist_max != from.lhist_max ||
        to.lhist_step != from.lhist_step)
      return std::nullopt;
    return to;
  default:
    if (to == from)
      return to;
    if (to.kind == TypeKind::Sum || to.kind == TypeKind::Min || to.kind == TypeKind::Max ||
        to.kind == TypeKind::Avg || to.kind == TypeKind::Stats || to.kind == TypeKind::Count ||
        to.kind == TypeKind::Pointer || to.kind == TypeKind::Boolean)
      return to;
    return std::nullopt;
  }
}

Type read_type(const Type &value) {
  switch (value.kind) {
  case TypeKind::Count:
    return uint64_type();
  case TypeKind::Sum:
    return make_int(8, value.is_signed);
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
    return int64_type();
  default:
    return value;
  }
}

std::vector<std::string> names_for_suggestions(bool functions) {
  std::vector<std::string> names = functions ? builtin_function_names() : builtin_variable_names();
  for (std::string &name : stdlib_macro_names(functions))
    names.push_back(std::move(name));
  return names;
}

void type_check(Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
                Diagnostics &diags) {
  TypeChecker checker(program, options, btf, result, diags);
  checker.run();
}

void TypeChecker::run() {
  check_map_declarations();
  // First walk: learn map types, silently.
  quiet_ = true;
  walk_probes();
  // Second walk: type everything and report.
  quiet_ = false;
  result_.resources.printfs.clear();
  result_.resources.time_formats.clear();
  result_.resources.join_separators.clear();
  result_.resources.print_values.clear();
  result_.variables.clear();
  untyped_lets_.clear();
  walk_probes();
  apply_map_declarations();
  check_named_params_used();
}

void TypeChecker::walk_probes() {
  for (Probe *probe : program_.probes) {
    current_probe_ = probe;
    current_formats_.clear();
    current_types_.clear();
    current_programs_.clear();
    probe_name_size_ = 1;
    func_name_size_ = 1;
    for (size_t i = 0; i < result_.resources.programs.size(); ++i) {
      const ProbeProgram &p = result_.resources.programs[i];
      if (p.probe != probe)
        continue;
      current_types_.push_back(p.type);
      current_programs_.push_back(i);
      probe_name_size_ =
          std::max<uint32_t>(probe_name_size_, static_cast<uint32_t>(p.probe_name.size() + 1));
      func_name_size_ = std::max<uint32_t>(func_name_size_,
                                           static_cast<uint32_t>(p.traced_function().size() + 1));
      if (result_.tracepoint_formats[i])
        current_formats_.push_back(result_.tracepoint_formats[i]);
    }
    scopes_.clear();
    scopes_.emplace_back();
    inner_assignments_.clear();
    loop_depth_ = 0;
    if (probe->predicate)
      check_condition(probe->predicate);
    probe->body->accept(*this);
    if (!quiet_)
      warn_unassigned_lets(*probe);
  }
}

void TypeChecker::warn_unassigned_lets(Probe &probe) {
  // In program order: a read of a `let` variable that no assignment before it (in the text)
  // has set is a warning too, as in the newest bpftrace.
  struct Finder : Walker {
    using Walker::visit;
    std::vector<const VarDecl *> lets;
    std::set<int> unset_lets, assigned;
    std::vector<const Variable *> early_reads;
    void visit(VarDecl &n) override {
      if (!n.init) {
        lets.push_back(&n);
        if (n.var->var_id >= 0)
          unset_lets.insert(n.var->var_id);
      } else {
        n.init->accept(*this);
      }
    }
    void visit(Assignment &n) override {
      auto *v = dynamic_cast<Variable *>(n.target);
      if (v && n.compound) // `$a += 1` reads $a first
        visit(*v);
      if (!v)
        n.target->accept(*this);
      n.value->accept(*this);
      if (v) {
        assigned.insert(v->var_id);
        unset_lets.erase(v->var_id);
      }
    }
    void visit(Variable &n) override {
      if (unset_lets.count(n.var_id)) {
        early_reads.push_back(&n);
        unset_lets.erase(n.var_id); // once per variable
      }
    }
    void visit(Call &n) override {
      // find(@m, key, $v) writes $v (when the key is there); it is not a read.
      if (n.builtin == BuiltinFunction::Find && n.args.size() == 3)
        if (auto *v = dynamic_cast<Variable *>(n.args[2])) {
          n.args[0]->accept(*this);
          n.args[1]->accept(*this);
          assigned.insert(v->var_id);
          unset_lets.erase(v->var_id);
          return;
        }
      Walker::visit(n);
    }
    void visit(Unary &n) override {
      if (auto *v = dynamic_cast<Variable *>(n.operand))
        if (n.op != UnaryOp::Deref && n.op != UnaryOp::Neg && n.op != UnaryOp::Plus &&
            n.op != UnaryOp::BitNot && n.op != UnaryOp::LogicalNot) {
          assigned.insert(v->var_id); // ++, -- and & (which may write through the pointer)
          unset_lets.erase(v->var_id);
        }
      Walker::visit(n);
    }
  } finder;
  probe.accept(finder);
  for (const Variable *v : finder.early_reads)
    if (finder.assigned.count(v->var_id))
      warning(DiagCode::UsedBeforeAssigned, v->loc,
              "variable $" + v->name + " is read before it is assigned: it is 0 (or empty) here",
              "assign it before this use");
  for (const VarDecl *d : finder.lets)
    if (d->var->var_id >= 0 && !finder.assigned.count(d->var->var_id))
      warning(DiagCode::UnusedVariable, d->var->loc,
              "variable $" + d->var->name + " is never assigned: it is always 0 (or empty)");
}

std::string TypeChecker::current_probe_kinds() const {
  std::string out;
  for (ProbeType t : current_types_) {
    std::string name = std::string(probe_type_name(t)) + " probes";
    if (out.find(name) == std::string::npos)
      out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "this probe" : out;
}

/// Types `e`. Aggregation calls are allowed only directly as a map assignment's value.
void TypeChecker::check(Expression *e) {
  bool allowed = aggregation_allowed_here_;
  aggregation_allowed_here_ = false;
  e->accept(*this);
  aggregation_allowed_here_ = allowed;
}

/// The value of a constant integer expression, folded at compile time.
std::optional<int64_t> TypeChecker::constant_value(Expression *e) {
  return fold_constant(e, options_.params);
}

/// Reports that `e` must be a constant (constant-required). When a positional parameter whose
/// text is not a number keeps it from being one, the error is at that parameter: the fix is
/// on the command line.
void TypeChecker::constant_required(Expression *e, const std::string &message) {
  if (const PositionalParameter *p = non_numeric_parameter(e, options_.params)) {
    std::string n = std::to_string(p->index);
    error(DiagCode::ConstantRequired, p->loc, message + " ($" + n + " is not a number)",
          "pass a number as positional parameter " + n + ", e.g. scry -e '...' -- 3");
    return;
  }
  error(DiagCode::ConstantRequired, e->loc, message);
}

void TypeChecker::check_discarded(Expression &e) {
  if (quiet_)
    return;
  if (e.type.kind == TypeKind::Void || e.type.kind == TypeKind::None)
    return;
  if (dynamic_cast<Unary *>(&e)) {
    auto *u = static_cast<Unary *>(&e);
    if (u->op == UnaryOp::PreInc || u->op == UnaryOp::PostInc || u->op == UnaryOp::PreDec ||
        u->op == UnaryOp::PostDec)
      return;
  }
  if (auto *c = dynamic_cast<Call *>(&e);
      c && (c->name == "delete" || c->name == "__has_key" || c->name == "find" ||
            c->name == "write_user" || c->name == "skboutput")) {
    c->discarded = c->builtin == BuiltinFunction::Delete;
    return;
  }
  warning(DiagCode::InvalidStatement, e.loc, "the value of this expression is not used",
          "write '_ = ...;' to discard it");
}

void TypeChecker::error(DiagCode code, const SourceRange &loc, std::string msg, std::string hint) {
  ++errors_;
  if (!quiet_)
    diags_.error(code, loc, std::move(msg), std::move(hint));
}

void TypeChecker::warning(DiagCode code, const SourceRange &loc, std::string msg,
                          std::string hint) {
  if (!quiet_)
    diags_.warning(code, loc, std::move(msg), std::move(hint));
}

} // namespace scry
