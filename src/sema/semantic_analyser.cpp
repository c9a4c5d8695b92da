// Semantic analysis. See semantic_analyser.h.
//
// The tree is walked twice. The first walk is silent and only learns the types of maps, which
// may be read in one probe before the probe that assigns them appears in the source. The second
// walk types every expression and reports errors.
#include "sema/semantic_analyser.h"

#include "base/perf_events.h"
#include "base/printf_format.h"
#include "parser/attach_point.h"
#include "parser/suggest.h"
#include "sema/constant.h"
#include "sema/macro_expansion.h"
#include "sema/stdlib.h"
#include "sema/tracepoint_attach.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

namespace scry {

namespace {

using namespace ast;

Type int64_type() {
  return make_int(8, true);
}
Type uint64_type() {
  return make_int(8, false);
}

/// A map value's type for messages. Histograms name their parameters: two lhist() calls with
/// different bounds have the same kind, and "lhist_t, not lhist_t" would explain nothing.
std::string value_description(const Type &t) {
  if (t.kind == TypeKind::Hist)
    return "hist(k " + std::to_string(t.hist_bits) + ")";
  if (t.kind == TypeKind::Lhist)
    return "lhist(min " + std::to_string(t.lhist_min) + ", max " + std::to_string(t.lhist_max) +
           ", step " + std::to_string(t.lhist_step) + ")";
  return type_name(t);
}

uint32_t align8(uint32_t n) {
  return (n + 7) / 8 * 8;
}

/// The type a value has once stored in a map or variable: integers widen to 64 bits (bpftrace's
/// rule, so that `@x = 1; @x = (uint32)2` agree), recursively inside tuples.
Type storage_type(const Type &t) {
  switch (t.kind) {
  case TypeKind::Integer:
    return make_int(8, t.is_signed);
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

/// Whether a value of type `from` can be stored where `to` is expected, and the type that holds
/// both (strings widen to the larger size). Nullopt when they do not agree.
std::optional<Type> unify(const Type &to, const Type &from) {
  if (to.kind == TypeKind::None)
    return from;
  if (from.kind == TypeKind::None)
    return to;
  if (to.kind != from.kind)
    return std::nullopt;
  switch (to.kind) {
  case TypeKind::Integer:
    // Signedness mixes as in C assignment: keep the first type.
    return to;
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

/// How a map entry's value reads in an expression: aggregations read as integers.
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

const char *const kAggregations[] = {"count", "sum", "min", "max", "avg", "stats", "hist", "lhist"};

bool is_aggregation_name(const std::string &n) {
  return std::find(std::begin(kAggregations), std::end(kAggregations), n) !=
         std::end(kAggregations);
}

const std::vector<std::string> &builtin_names() {
  static const std::vector<std::string> names = {
      "pid",     "tid",     "uid",     "gid",  "cpu",    "ncpus", "comm", "nsecs",
      "elapsed", "jiffies", "curtask", "rand", "cgroup", "probe", "args", "cpid"};
  return names;
}

const std::vector<std::string> &function_names() {
  static const std::vector<std::string> names = {
      "printf", "print", "clear", "zero", "delete", "exit", "time",  "str",  "has_key",
      "len",    "count", "sum",   "min",  "max",    "avg",  "stats", "hist", "lhist"};
  // has_key is a standard-library macro (stdlib/map.bt) over the primitive __has_key; it is
  // listed for "did you mean" suggestions.
  return names;
}

// bpftrace builtins and functions that scry does not implement yet: a clear error, never a
// silent wrong answer.
const std::vector<std::string> &unsupported_names() {
  static const std::vector<std::string> names = {
      "kstack",       "ustack",    "retval",     "func",        "username",  "usermode",
      "numaid",       "ppid",      "pcomm",      "arg0",        "arg1",      "arg2",
      "arg3",         "arg4",      "arg5",       "arg6",        "arg7",      "arg8",
      "arg9",         "ctx",       "sarg0",      "ksym",        "usym",      "kaddr",
      "uaddr",        "ntop",      "pton",       "buf",         "join",      "cat",
      "system",       "signal",    "override",   "reg",         "strftime",  "strncmp",
      "strcontains",  "strlen",    "strerror",   "path",        "macaddr",   "cgroup_path",
      "cgroupid",     "kptr",      "uptr",       "bswap",       "skboutput", "debugf",
      "errorf",       "warnf",     "unwatch",    "find",        "getopt",    "socket_cookie",
      "percpu_kaddr", "probetype", "leader_tid", "leader_comm", "has_cpid"};
  return names;
}

class Analyser : public Visitor {
public:
  Analyser(Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
           Diagnostics &diags)
      : program_(program), options_(options), btf_(btf), result_(result), diags_(diags) {}

  bool run() {
    read_config();
    expand_probes();
    if (diags_.has_errors())
      return false;
    // bpftrace's max_probes (default 1024): a wildcard that matches thousands of events is far
    // more likely a mistake than an intent, and each probe costs kernel memory and start-up time.
    if (result_.resources.programs.size() > max_probes_) {
      const ProbeProgram &p = result_.resources.programs[max_probes_];
      error(DiagCode::InvalidAttachPoint, p.loc,
            "the program attaches " + std::to_string(result_.resources.programs.size()) +
                " probes, more than max_probes (" + std::to_string(max_probes_) + ")",
            "narrow the wildcard, or raise the limit: config = { max_probes = N }");
      return false;
    }
    unsupported_top_level();

    // First walk: learn map types, silently.
    quiet_ = true;
    walk_probes();
    // Second walk: type everything and report.
    quiet_ = false;
    result_.resources.printfs.clear();
    result_.resources.time_formats.clear();
    result_.resources.print_values.clear();
    result_.variables.clear();
    untyped_lets_.clear();
    walk_probes();
    finish_maps();
    return !diags_.has_errors();
  }

  // ---- statements ---------------------------------------------------------------------------

  void visit(Block &n) override {
    scopes_.emplace_back();
    for (Statement *s : n.stmts)
      s->accept(*this);
    if (n.value) {
      check(n.value);
      if (!quiet_ && n.value->type.kind != TypeKind::Void && !block_value_used_)
        check_discarded(*n.value);
    }
    scopes_.pop_back();
  }

  void visit(ExprStatement &n) override {
    check(n.expr);
    check_discarded(*n.expr);
  }

  void visit(Assignment &n) override {
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
    if (call && is_aggregation_name(call->name) && !n.compound) {
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

  void visit(VarDecl &n) override {
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

  void visit(If &n) override {
    check_condition(n.cond);
    n.then_block->accept(*this);
    if (n.else_branch)
      n.else_branch->accept(*this);
  }

  void visit(Unroll &n) override {
    check(n.count);
    auto v = constant_value(n.count);
    if (!v || *v < 1 || *v > 100)
      constant_required(n.count, "unroll needs a constant count from 1 to 100");
    n.body->accept(*this);
  }

  void visit(While &n) override {
    check_condition(n.cond);
    ++loop_depth_;
    n.body->accept(*this);
    --loop_depth_;
  }

  void visit(ForMap &n) override {
    error(DiagCode::NotSupported, n.loc, "for loops over maps are not supported yet",
          "use print(@map) to see its entries");
  }

  void visit(ForRange &n) override {
    check(n.start);
    check(n.end);
    for (Expression *e : {n.start, n.end}) {
      if (e->type.kind != TypeKind::Integer && e->type.kind != TypeKind::None)
        error(DiagCode::WrongArgumentType, e->loc,
              "a range bound must be an integer, not " + type_name(e->type));
      // The kernel's verifier proves every loop finishes by walking it; a bound known only at
      // run time needs bpf_loop(), which scry does not generate yet.
      else if (!constant_value(e))
        error(DiagCode::NotSupported, e->loc,
              "for loops whose bounds are known only at run time are not supported yet",
              "use constant bounds, e.g. for ($i : 0..16)");
    }
    scopes_.emplace_back();
    check_shadowing(*n.var, n.var->loc, true);
    declare_variable(*n.var, int64_type(), n.var->loc);
    ++loop_depth_;
    n.body->accept(*this);
    --loop_depth_;
    scopes_.pop_back();
  }

  void visit(Jump &n) override {
    if (n.kind != Jump::Kind::Return && loop_depth_ == 0)
      error(DiagCode::InvalidStatement, n.loc,
            std::string(n.kind == Jump::Kind::Break ? "break" : "continue") +
                " is only allowed in a loop");
    if (n.value) {
      check(n.value);
      error(DiagCode::InvalidStatement, n.value->loc, "a probe's return takes no value",
            "write 'return;'");
    }
  }

  void visit(BlockStatement &n) override { n.block->accept(*this); }

  // ---- expressions --------------------------------------------------------------------------

  void visit(Integer &n) override { n.type = n.is_unsigned ? uint64_type() : int64_type(); }
  void visit(String &n) override {
    n.type = make_string(static_cast<uint32_t>(n.value.size() + 1));
  }
  void visit(Boolean &n) override { n.type = make_bool(); }

  void visit(Identifier &n) override {
    const std::string &name = n.name;
    if (name == "pid" || name == "tid" || name == "uid" || name == "gid" || name == "cpu" ||
        name == "ncpus" || name == "rand") {
      n.type = make_int(4, false);
    } else if (name == "nsecs" || name == "elapsed" || name == "jiffies" || name == "cgroup") {
      n.type = uint64_type();
    } else if (name == "comm") {
      n.type = make_string(16);
    } else if (name == "curtask") {
      Type task = btf_.load() && btf_.task_struct_id() ? btf_.type_of(btf_.task_struct_id())
                                                       : uint64_type();
      n.type = make_pointer(task, AddressSpace::Kernel);
      if (!btf_.load() && !quiet_)
        warning(DiagCode::BuiltinNotAvailable, n.loc,
                "the kernel has no BTF: curtask is a plain address", btf_.error());
    } else if (name == "probe") {
      n.type = make_string(probe_name_size_);
    } else if (name == "cpid") {
      if (!options_.has_child)
        error(DiagCode::BuiltinNotAvailable, n.loc, "cpid needs a child process",
              "run a command with -c CMD");
      n.type = make_int(4, false);
    } else if (name == "args") {
      type_args(n);
    } else if (name == "retval" || name == "func" ||
               (name.size() == 4 && name.rfind("arg", 0) == 0 &&
                std::isdigit(static_cast<unsigned char>(name[3])))) {
      std::string kinds = name == "retval" ? "return probes (kretprobe, uretprobe, fexit)"
                                           : "kprobe, uprobe and fentry probes";
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "'" + name + "' is only available in " + kinds + ", not in " + current_probe_kinds(),
            name == "func" ? "use probe for the probe's name" : "");
    } else if (std::find(unsupported_names().begin(), unsupported_names().end(), name) !=
               unsupported_names().end()) {
      error(DiagCode::NotSupported, n.loc, "'" + name + "' is not supported by scry yet");
    } else {
      std::vector<std::string> candidates = builtin_names();
      error(DiagCode::UnknownIdentifier, n.loc, "unknown identifier '" + name + "'",
            did_you_mean(name, candidates,
                         "scratch variables start with '$' ($" + name + "), maps with '@' (@" +
                             name + ")"));
    }
  }

  void visit(Variable &n) override {
    VariableInfo *info = lookup_variable(n);
    if (!info) {
      error(DiagCode::UndefinedVariable, n.loc, "variable $" + source_name(n) + " is not assigned",
            "assign it before using it: $" + source_name(n) + " = ...;");
      return;
    }
    if (info->type.kind == TypeKind::None && untyped_lets_.count(n.var_id)) {
      // `let $x;` without a type, read before any assignment: there is no type to give it (and
      // no value: it would read as zero bytes of nothing).
      std::string name = "$" + source_name(n);
      std::string where;
      if (const SourceRange *declared = visible_declaration(n.name))
        where = " (declared at line " + std::to_string(declared->begin.line) + ", column " +
                std::to_string(declared->begin.column) + ")";
      error(DiagCode::UndefinedVariable, n.loc,
            "variable " + name + where +
                " has no type and no value here: it is read before "
                "anything is assigned to it",
            "assign it before this use, or declare its type: let " + name + ": int64;");
      return;
    }
    n.type = info->type;
  }

  void visit(PositionalParameter &n) override {
    if (n.index == 0) {
      n.type = int64_type();
      return;
    }
    const std::string value =
        static_cast<size_t>(n.index) <= options_.params.size() ? options_.params[n.index - 1] : "";
    if (static_cast<size_t>(n.index) > options_.params.size() && !quiet_)
      warning(DiagCode::InvalidPositionalParameter, n.loc,
              "positional parameter $" + std::to_string(n.index) + " is not set; it is 0 or \"\"");
    if (!param_as_text_ && is_numeric_string(value) && !numeric_string_fits(value))
      error(DiagCode::InvalidPositionalParameter, n.loc,
            "positional parameter $" + std::to_string(n.index) + " is " + value +
                ", out of range for an integer: it must be from -9223372036854775808 to "
                "9223372036854775807",
            "use str($" + std::to_string(n.index) + ") to take it as text");
    n.type = is_numeric_string(value) || value.empty()
                 ? int64_type()
                 : make_string(static_cast<uint32_t>(value.size() + 1));
  }

  void visit(Map &n) override {
    const MapInfo *info = find_map(n.name);
    if (!info) {
      if (!quiet_)
        error(DiagCode::InvalidMapUse, n.loc, "map " + display(n.name) + " is never assigned",
              did_you_mean(display(n.name), assigned_map_names()));
      return;
    }
    n.map_id = static_cast<int>(map_index_.at(n.name));
    if (info->key.kind != TypeKind::None && !map_as_argument_) {
      error(DiagCode::InvalidMapUse, n.loc, "map " + display(n.name) + " has keys",
            "use " + display(n.name) + "[key]");
      return;
    }
    n.type = map_as_argument_ ? info->value : read_type(info->value);
    if (!check_readable(*info, n.loc))
      n.type = Type{};
  }

  void visit(MapAccess &n) override {
    check(n.key);
    const MapInfo *info = find_map(n.map->name);
    if (!info) {
      if (!quiet_)
        error(DiagCode::InvalidMapUse, n.map->loc,
              "map " + display(n.map->name) + " is never assigned",
              did_you_mean(display(n.map->name), assigned_map_names()));
      return;
    }
    n.map->map_id = static_cast<int>(map_index_.at(n.map->name));
    check_key(*info, n.key);
    n.map->type = info->value;
    n.type = read_type(info->value);
    if (!check_readable(*info, n.loc))
      n.type = Type{};
  }

  void visit(Call &n) override { type_call(n); }

  void visit(Unary &n) override {
    check(n.operand);
    const Type &t = n.operand->type;
    switch (n.op) {
    case UnaryOp::LogicalNot:
      if (!truthy(t))
        bad_operand(n, t);
      n.type = make_bool();
      break;
    case UnaryOp::Neg:
    case UnaryOp::Plus:
    case UnaryOp::BitNot:
      if (t.kind != TypeKind::Integer && t.kind != TypeKind::Boolean && t.kind != TypeKind::None)
        bad_operand(n, t);
      n.type = n.op == UnaryOp::Neg ? int64_type() : make_int(8, t.is_signed);
      break;
    case UnaryOp::Deref:
      if (t.kind != TypeKind::Pointer) {
        if (t.kind != TypeKind::None)
          bad_operand(n, t);
        break;
      }
      n.type = t.elem ? *t.elem : uint64_type();
      if (n.type.kind == TypeKind::Void)
        error(DiagCode::InvalidOperand, n.loc, "cannot dereference a void pointer",
              "cast it first: *(uint64 *)p");
      break;
    case UnaryOp::AddressOf:
      error(DiagCode::NotSupported, n.loc, "taking an address with & is not supported yet");
      break;
    case UnaryOp::PreInc:
    case UnaryOp::PreDec:
    case UnaryOp::PostInc:
    case UnaryOp::PostDec:
      type_increment(n);
      break;
    }
  }

  void visit(Binary &n) override {
    check(n.lhs);
    check(n.rhs);
    n.type = binary_result(n.op, n.lhs->type, n.rhs->type, n.loc);
    n.division_warning = check_divisor(n.op, n.rhs, n.loc);
  }

  /// Division and remainder by 0 use 1 as the divisor, as bpftrace does (its runtime error
  /// "Divide or modulo by 0 detected", PR #4383): a warning now for a constant 0, and for a
  /// divisor known only at run time the index of the warning the program sends when it is 0
  /// (-1 when none is needed).
  int check_divisor(BinaryOp op, Expression *divisor, const SourceRange &loc) {
    if ((op != BinaryOp::Div && op != BinaryOp::Mod) || quiet_ || !divisor->type.is_integer())
      return -1;
    if (auto v = constant_value(divisor)) {
      if (*v == 0)
        warning(DiagCode::DivisionByZero, divisor->loc,
                "division or modulo by 0: 1 is used as the divisor");
      return -1;
    }
    result_.resources.runtime_errors.push_back(
        {DiagCode::DivisionByZero,
         "Divide or modulo by 0 detected. This can lead to unexpected results. 1 is being used "
         "as the result.",
         loc});
    return static_cast<int>(result_.resources.runtime_errors.size() - 1);
  }

  void visit(Ternary &n) override {
    check_condition(n.cond);
    if (n.then_expr)
      check(n.then_expr);
    check(n.else_expr);
    const Type &a = n.then_expr ? n.then_expr->type : n.cond->type;
    const Type &b = n.else_expr->type;
    if (a.kind == TypeKind::Integer && b.kind == TypeKind::Integer) {
      n.type = make_int(8, a.is_signed || b.is_signed);
    } else if (auto u = unify(storage_type(a), storage_type(b))) {
      n.type = *u;
    } else {
      error(DiagCode::TypeMismatch, n.loc,
            "the branches of ?: have different types: " + type_name(a) + " and " + type_name(b));
    }
  }

  void visit(FieldAccess &n) override {
    if (auto *id = dynamic_cast<Identifier *>(n.base); id && id->name == "args") {
      type_args_field(n);
      return;
    }
    check(n.base);
    Type base = n.base->type;
    if (base.kind == TypeKind::None)
      return;
    if (base.kind == TypeKind::Pointer && base.elem)
      base = *base.elem; // `.` and `->` both dereference a pointer (newest bpftrace)
    if (base.kind != TypeKind::Record) {
      error(DiagCode::InvalidOperand, n.loc,
            "cannot access field '" + n.field + "' of " + type_name(n.base->type));
      return;
    }
    if (base.btf_id > 0) {
      auto f = btf_.field(base, n.field);
      if (!f) {
        error(DiagCode::UnknownField, n.loc,
              "struct " + base.name + " has no field '" + n.field + "'",
              "its fields: " + btf_.member_names(base));
        return;
      }
      n.type = f->type;
      return;
    }
    if (base.fields) {
      for (const Field &f : *base.fields) {
        if (f.name == n.field) {
          n.type = *f.type;
          return;
        }
      }
    }
    std::vector<std::string> names;
    if (base.fields)
      for (const Field &f : *base.fields)
        names.push_back(f.name);
    error(DiagCode::UnknownField, n.loc, "no field '" + n.field + "' in " + type_name(base),
          did_you_mean(n.field, names));
  }

  void visit(TupleAccess &n) override {
    check(n.base);
    const Type &t = n.base->type;
    if (t.kind == TypeKind::None)
      return;
    if (t.kind != TypeKind::Tuple) {
      error(DiagCode::InvalidOperand, n.loc,
            "." + std::to_string(n.index) + " needs a tuple, not " + type_name(t));
      return;
    }
    if (n.index >= t.fields->size()) {
      error(DiagCode::InvalidOperand, n.loc,
            "tuple index " + std::to_string(n.index) + " is out of range (the tuple has " +
                std::to_string(t.fields->size()) + " elements)");
      return;
    }
    n.type = *(*t.fields)[n.index].type;
  }

  void visit(Index &n) override {
    check(n.base);
    check(n.index);
    const Type &t = n.base->type;
    if (t.kind == TypeKind::None)
      return;
    if (t.kind == TypeKind::Tuple) {
      auto v = constant_value(n.index);
      if (!v || *v < 0 || static_cast<size_t>(*v) >= t.fields->size()) {
        constant_required(n.index, "a tuple index must be a constant within the tuple");
        return;
      }
      n.type = *(*t.fields)[static_cast<size_t>(*v)].type;
      return;
    }
    if (n.index->type.kind != TypeKind::Integer && n.index->type.kind != TypeKind::None)
      error(DiagCode::WrongArgumentType, n.index->loc, "an index must be an integer");
    if (t.kind == TypeKind::Array || t.kind == TypeKind::String) {
      uint32_t count = t.kind == TypeKind::Array ? t.count : t.size;
      auto v = constant_value(n.index);
      if (v && (*v < 0 || (static_cast<uint64_t>(*v) >= count && count > 0)))
        error(DiagCode::InvalidOperand, n.index->loc,
              "index " + std::to_string(*v) + " is out of range for " + type_name(t));
    }
    if (t.kind == TypeKind::Array || t.kind == TypeKind::Pointer) {
      n.type = t.elem ? *t.elem : uint64_type();
    } else if (t.kind == TypeKind::String) {
      n.type = make_int(1, true);
    } else {
      error(DiagCode::InvalidOperand, n.loc, "cannot index " + type_name(t));
    }
  }

  void visit(Cast &n) override {
    check(n.operand);
    Type target = resolve_type(*n.target);
    if (target.kind == TypeKind::None)
      return;
    const Type &from = n.operand->type;
    bool ok = false;
    if (target.kind == TypeKind::Integer || target.kind == TypeKind::Boolean)
      ok = from.kind == TypeKind::Integer || from.kind == TypeKind::Boolean ||
           from.kind == TypeKind::Pointer || from.kind == TypeKind::None;
    else if (target.kind == TypeKind::Pointer)
      ok = from.kind == TypeKind::Integer || from.kind == TypeKind::Pointer ||
           from.kind == TypeKind::None;
    else if (target.kind == TypeKind::Array || target.kind == TypeKind::String)
      ok = (from.kind == TypeKind::Integer && target.size == 8) || from.kind == TypeKind::None;
    if (!ok)
      error(DiagCode::TypeMismatch, n.loc,
            "cannot cast " + type_name(from) + " to " + type_name(target));
    if (target.kind == TypeKind::Pointer && from.kind == TypeKind::Pointer &&
        target.address_space == AddressSpace::None)
      target.address_space = from.address_space;
    if (target.kind == TypeKind::Pointer && target.address_space == AddressSpace::None)
      target.address_space = AddressSpace::Kernel;
    n.type = target;
  }

  void visit(Tuple &n) override {
    std::vector<Type> parts;
    for (Expression *e : n.elems) {
      check(e);
      if (e->type.kind == TypeKind::Void || e->type.is_aggregation())
        error(DiagCode::TypeMismatch, e->loc, "a tuple element needs a value");
      parts.push_back(e->type);
    }
    n.type = make_tuple_type(parts);
  }

  void visit(Record &n) override {
    std::vector<std::pair<std::string, Type>> parts;
    for (Record::Field &f : n.fields) {
      check(f.value);
      for (auto &p : parts)
        if (p.first == f.name)
          error(DiagCode::TypeMismatch, f.loc, "field '" + f.name + "' appears twice");
      parts.emplace_back(f.name, f.value->type);
    }
    n.type = make_record_type(parts);
  }

  void visit(Sizeof &n) override {
    Type t;
    if (n.type_spec) {
      t = resolve_type(*n.type_spec);
    } else {
      // `sizeof(task_struct)`: a bare name that is a kernel struct is a type.
      auto *id = dynamic_cast<Identifier *>(n.expr);
      std::optional<Type> named;
      if (id && std::find(builtin_names().begin(), builtin_names().end(), id->name) ==
                    builtin_names().end())
        named = btf_.struct_type(id->name);
      if (named) {
        t = *named;
      } else {
        check(n.expr);
        t = n.expr->type;
      }
    }
    n.value = t.size;
    n.type = uint64_type();
  }

  void visit(Offsetof &n) override {
    n.type = uint64_type();
    Type t;
    if (n.type_spec) {
      t = resolve_type(*n.type_spec);
    } else {
      check(n.expr);
      t = n.expr->type;
    }
    uint64_t offset = 0;
    for (const std::string &name : n.fields) {
      if (t.kind == TypeKind::None)
        return;
      if (t.kind != TypeKind::Record) {
        error(DiagCode::InvalidOperand, n.loc, "offsetof() needs a struct, not " + type_name(t));
        return;
      }
      bool found = false;
      if (t.btf_id > 0) {
        if (auto f = btf_.field(t, name)) {
          offset += f->offset;
          t = f->type;
          found = true;
        }
      } else if (t.fields) {
        for (const Field &f : *t.fields) {
          if (f.name == name) {
            offset += f.offset;
            t = *f.type;
            found = true;
            break;
          }
        }
      }
      if (!found) {
        error(DiagCode::UnknownField, n.loc, type_name(t) + " has no field '" + name + "'");
        return;
      }
    }
    n.value = offset;
  }

  void visit(BlockExpr &n) override {
    bool saved = block_value_used_;
    block_value_used_ = true;
    n.block->accept(*this);
    block_value_used_ = saved;
    if (!n.block->value) {
      error(DiagCode::TypeMismatch, n.loc, "this block has no value",
            "end it with an expression without ';'");
      return;
    }
    n.type = n.block->value->type;
  }

private:
  // ---- configuration --------------------------------------------------------------------------

  /// One limit the config block and the environment can set: its canonical key, the names that
  /// also mean it (bpftrace's older spellings), and its valid range.
  struct Limit {
    const char *key;
    std::vector<std::string> aliases;
    uint64_t min, max;
  };

  static const std::vector<Limit> &limits() {
    static const std::vector<Limit> table = {
        // Strings live in per-CPU scratch space and map values of exactly this size. bpftrace
        // sets no upper bound; 1 MiB is far beyond any string worth printing and keeps one
        // scratch buffer per CPU affordable.
        {"max_strlen", {"strlen"}, 1, 1u << 20},
        // Hash maps are preallocated: each costs max_entries * (key + value + ~50 bytes of
        // kernel bookkeeping) up front, times the CPU count for per-CPU aggregations. The kernel
        // refuses more than 2^31 entries (E2BIG), and the value is stored as a u32; 2^22 (1024
        // times the default) keeps the simplest map near 256 MiB, well below exhausting memory.
        {"max_map_keys", {"map_keys_max"}, 1, 1u << 22},
        // Each probe holds a BPF program and a link (two file descriptors) and takes time to
        // attach; 65536 is far beyond an intended program and within common fd limits.
        {"max_probes", {}, 1, 1u << 16},
    };
    return table;
  }

  /// The limit `name` sets (case-insensitive, with or without bpftrace's "BPFTRACE_" prefix).
  static const Limit *find_limit(std::string name) {
    for (char &c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.rfind("bpftrace_", 0) == 0)
      name = name.substr(9);
    for (const Limit &l : limits())
      if (name == l.key || std::find(l.aliases.begin(), l.aliases.end(), name) != l.aliases.end())
        return &l;
    return nullptr;
  }

  static std::string range_text(const Limit &l) {
    return "from " + std::to_string(l.min) + " to " + std::to_string(l.max);
  }

  void set_limit(const Limit &l, uint64_t value) {
    const std::string key = l.key;
    if (key == "max_strlen")
      result_.resources.max_strlen = static_cast<uint32_t>(value);
    else if (key == "max_map_keys")
      result_.resources.max_map_keys = static_cast<uint32_t>(value);
    else
      max_probes_ = value;
  }

  void read_config() {
    std::map<std::string, SourceRange> seen; // canonical key -> where it was first set
    if (program_.config) {
      for (Config::Entry &e : program_.config->entries) {
        const Limit *l = find_limit(e.key);
        if (!l) {
          error(DiagCode::NotSupported, e.loc, "config key '" + e.key + "' is not supported yet",
                "supported: max_strlen, max_map_keys, max_probes");
          continue;
        }
        // bpftrace keeps the first value and silently drops the second; either is a surprise.
        if (auto [it, fresh] = seen.emplace(l->key, e.loc); !fresh) {
          error(DiagCode::InvalidConfig, e.loc, std::string(l->key) + " is set twice",
                "it was first set at line " + std::to_string(it->second.begin.line) + ", column " +
                    std::to_string(it->second.begin.column) + "; keep one of them");
          continue;
        }
        auto *i = dynamic_cast<Integer *>(e.value);
        auto *neg = dynamic_cast<Unary *>(e.value);
        if (neg && (neg->op != UnaryOp::Neg || !dynamic_cast<Integer *>(neg->operand)))
          neg = nullptr;
        if (!i && !neg) {
          error(DiagCode::InvalidConfig, e.value->loc,
                std::string(l->key) + " must be an integer " + range_text(*l));
          continue;
        }
        if (neg || i->value < l->min || i->value > l->max) {
          const std::string shown =
              neg ? "-" + std::to_string(static_cast<Integer *>(neg->operand)->value)
                  : std::to_string(i->value);
          error(DiagCode::InvalidConfig, e.value->loc,
                std::string(l->key) + " = " + shown + " is out of range: it must be " +
                    range_text(*l));
          continue;
        }
        set_limit(*l, i->value);
      }
    }
    // The environment overrides the config block, as in bpftrace. A value that is not a number
    // in range is an error (bpftrace refuses it too), never ignored or wrapped.
    for (const char *env : {"BPFTRACE_MAX_STRLEN", "BPFTRACE_STRLEN", "BPFTRACE_MAX_MAP_KEYS",
                            "BPFTRACE_MAP_KEYS_MAX", "BPFTRACE_MAX_PROBES"}) {
      const char *v = std::getenv(env);
      if (!v)
        continue;
      const Limit &l = *find_limit(env);
      const std::string_view text(v);
      uint64_t value = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      if (!digits_only || ec != std::errc() || p != text.data() + text.size() || value < l.min ||
          value > l.max) {
        error(DiagCode::InvalidConfig, kNoLocation,
              "environment variable " + std::string(env) + "='" + std::string(text) +
                  "' is not valid: " + l.key + " must be an integer " + range_text(l),
              "fix or unset " + std::string(env));
        continue;
      }
      set_limit(l, value);
    }
  }

  void unsupported_top_level() {
    for (CDefinition *c : program_.c_definitions)
      error(DiagCode::NotSupported, c->loc,
            "C definitions and #include are not supported by scry yet",
            "cast to kernel structs from BTF instead, e.g. (struct task_struct *)curtask");
    for (Import *i : program_.imports)
      error(DiagCode::NotSupported, i->loc, "import is not supported by scry yet");
    for (MapDecl *d : program_.map_decls)
      error(DiagCode::NotSupported, d->loc, "map declarations are not supported by scry yet",
            "maps are created by assigning to them: @name[key] = value;");
  }

  // ---- probes ---------------------------------------------------------------------------------

  void expand_probes() {
    Resources &r = result_.resources;
    uint32_t order = 0;
    std::vector<std::string> all_tracepoints;
    bool listed = false;
    for (Probe *probe : program_.probes) {
      for (AttachPoint *ap : probe->attach_points) {
        switch (ap->type) {
        case ProbeType::Invalid:
          break;
        case ProbeType::Begin:
        case ProbeType::End:
        case ProbeType::Interval:
        case ProbeType::Profile:
        case ProbeType::Software:
        case ProbeType::Hardware:
          add_program(probe, ap, probe_name(*ap), nullptr, order++);
          break;
        case ProbeType::Tracepoint: {
          if (options_.tracefs_root.empty()) {
            error(DiagCode::UnknownTracepoint, ap->loc, "tracefs is not available");
            break;
          }
          std::string pattern = ap->target + ":" + ap->func;
          std::vector<std::string> names;
          if (ap->wildcard) {
            if (!listed) {
              TracepointList list = list_tracepoints(options_.tracefs_root);
              if (!list.ok())
                error(DiagCode::UnknownTracepoint, ap->loc, list.error);
              all_tracepoints = std::move(list.names);
              listed = true;
            }
            names = match_tracepoints(all_tracepoints, pattern);
            if (names.empty())
              error(DiagCode::UnknownTracepoint, ap->loc, "no tracepoint matches '" + pattern + "'",
                    "list them with: ls " + options_.tracefs_root + "/events/" + ap->target);
          } else {
            names.push_back(pattern);
          }
          for (const std::string &name : names) {
            size_t colon = name.find(':');
            std::string cat = name.substr(0, colon), event = name.substr(colon + 1);
            TracepointFormatFile file = read_tracepoint_format(options_.tracefs_root, cat, event);
            if (!file.format) {
              std::string hint;
              if (file.not_found) {
                if (!listed) {
                  all_tracepoints = list_tracepoints(options_.tracefs_root).names;
                  listed = true;
                }
                std::string s = suggest_tracepoint(all_tracepoints, name);
                if (!s.empty())
                  hint = "did you mean 'tracepoint:" + s + "'?";
              }
              error(DiagCode::UnknownTracepoint, ap->loc, file.error, hint);
              continue;
            }
            auto format = std::make_shared<const TracepointFormat>(std::move(*file.format));
            ProbeProgram &p = add_program(probe, ap, "tracepoint:" + name, format, order++);
            p.category = cat;
            p.event = event;
          }
          break;
        }
        case ProbeType::Kprobe:
        case ProbeType::Kretprobe:
        case ProbeType::Fentry:
        case ProbeType::Fexit:
        case ProbeType::Uprobe:
        case ProbeType::Uretprobe:
        case ProbeType::Usdt:
        case ProbeType::RawTracepoint:
        case ProbeType::Watchpoint:
        case ProbeType::Iter:
        case ProbeType::Self:
        case ProbeType::Test:
        case ProbeType::Bench:
          error(DiagCode::NotSupported, ap->loc,
                std::string(probe_type_name(ap->type)) + " probes are not supported by scry yet",
                "supported today: begin, end, tracepoint, interval, profile, software, hardware");
          break;
        }
      }
    }
    (void)r;
  }

  std::string current_probe_kinds() const {
    std::string out;
    for (ProbeType t : current_types_) {
      std::string name = std::string(probe_type_name(t)) + " probes";
      if (out.find(name) == std::string::npos)
        out += (out.empty() ? "" : ", ") + name;
    }
    return out.empty() ? "this probe" : out;
  }

  static std::string probe_name(const AttachPoint &ap) {
    std::string name = probe_type_name(ap.type);
    switch (ap.type) {
    case ProbeType::Begin:
    case ProbeType::End:
      return name;
    case ProbeType::Interval:
    case ProbeType::Profile:
      return name + ":" + ap.unit + ":" + std::to_string(ap.freq);
    case ProbeType::Software:
    case ProbeType::Hardware:
      return name + ":" + ap.target + (ap.freq ? ":" + std::to_string(ap.freq) : "");
    default:
      return name + ":" + ap.target + ":" + ap.func;
    }
  }

  /// Adds the program of one concrete attach point to the plan, with what the runtime needs to
  /// attach it (perf events here; the caller fills in a tracepoint's category and event).
  ProbeProgram &add_program(Probe *probe, AttachPoint *ap, std::string name,
                            std::shared_ptr<const TracepointFormat> format, uint32_t order) {
    ProbeProgram p;
    p.function = "probe_" + std::to_string(result_.resources.programs.size());
    p.probe_name = std::move(name);
    p.probe = probe;
    p.loc = ap->loc;
    p.type = ap->type;
    p.order = order;
    p.perf_event = perf_event_spec(*ap);
    result_.resources.programs.push_back(p);
    result_.tracepoint_formats.push_back(std::move(format));
    return result_.resources.programs.back();
  }

  /// The perf event of an interval, profile, software or hardware attach point
  /// (linux/perf_event.h); an empty spec for other probe types.
  static PerfEventSpec perf_event_spec(const AttachPoint &ap) {
    PerfEventSpec spec;
    switch (ap.type) {
    case ProbeType::Interval:
    case ProbeType::Profile: {
      const PerfEventInfo *clock = find_perf_event(software_events(), "cpu-clock");
      spec.type = clock->type;
      spec.config = clock->config;
      if (ap.unit == "hz") {
        spec.frequency = ap.freq;
      } else {
        const uint64_t ns_per_unit = ap.unit == "s"    ? 1000000000ULL
                                     : ap.unit == "ms" ? 1000000ULL
                                     : ap.unit == "us" ? 1000ULL
                                                       : 1ULL;
        spec.period = ap.freq * ns_per_unit;
      }
      spec.every_cpu = ap.type == ProbeType::Profile; // interval fires on one CPU
      return spec;
    }
    case ProbeType::Software:
    case ProbeType::Hardware: {
      const PerfEventInfo *e = find_perf_event(
          ap.type == ProbeType::Software ? software_events() : hardware_events(), ap.target);
      if (!e)
        return spec; // the attach-point pass has reported it
      spec.type = e->type;
      spec.config = e->config;
      spec.period = ap.freq ? ap.freq : e->default_period;
      return spec;
    }
    case ProbeType::Invalid:
    case ProbeType::Begin:
    case ProbeType::End:
    case ProbeType::Kprobe:
    case ProbeType::Kretprobe:
    case ProbeType::Fentry:
    case ProbeType::Fexit:
    case ProbeType::Uprobe:
    case ProbeType::Uretprobe:
    case ProbeType::Usdt:
    case ProbeType::Tracepoint:
    case ProbeType::RawTracepoint:
    case ProbeType::Watchpoint:
    case ProbeType::Iter:
    case ProbeType::Self:
    case ProbeType::Test:
    case ProbeType::Bench:
      break;
    }
    return spec;
  }

  void walk_probes() {
    for (Probe *probe : program_.probes) {
      current_probe_ = probe;
      current_formats_.clear();
      current_types_.clear();
      probe_name_size_ = 1;
      for (size_t i = 0; i < result_.resources.programs.size(); ++i) {
        const ProbeProgram &p = result_.resources.programs[i];
        if (p.probe != probe)
          continue;
        current_types_.push_back(p.type);
        probe_name_size_ =
            std::max<uint32_t>(probe_name_size_, static_cast<uint32_t>(p.probe_name.size() + 1));
        if (result_.tracepoint_formats[i])
          current_formats_.push_back(result_.tracepoint_formats[i]);
      }
      scopes_.clear();
      scopes_.emplace_back();
      loop_depth_ = 0;
      if (probe->predicate)
        check_condition(probe->predicate);
      probe->body->accept(*this);
    }
  }

  // ---- variables ------------------------------------------------------------------------------

  /// `$x` as the source wrote it, also inside an expanded macro (where it is `x#N`).
  static std::string source_name(const Variable &v) {
    return std::string(variable_source_name(v.name));
  }

  VariableInfo *lookup_variable(Variable &v) {
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
  void declare_variable(Variable &v, const Type &t, const SourceRange &, bool declared = false) {
    int id = static_cast<int>(result_.variables.size());
    result_.variables.push_back({v.name, declared ? t : storage_type(t)});
    scopes_.back().vars[v.name] = id;
    v.var_id = id;
    v.type = result_.variables.back().type;
  }

  /// Reports a declaration of `v` (a `let` at `at`, or a loop variable) that shadows a variable
  /// already declared in this scope or an enclosing one: bpftrace refuses those. Then records it.
  void check_shadowing(const Variable &v, const SourceRange &at, bool loop_variable) {
    if (const SourceRange *first = visible_declaration(v.name)) {
      std::string name = "$" + source_name(v);
      std::string where = "line " + std::to_string(first->begin.line) + ", column " +
                          std::to_string(first->begin.column);
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

  const SourceRange *visible_declaration(const std::string &name) const {
    for (const Scope &scope : scopes_)
      if (auto it = scope.declared.find(name); it != scope.declared.end())
        return &it->second;
    return nullptr;
  }

  void assign_variable(Variable &v, const Type &value, const SourceRange &value_loc) {
    // For the shadowing rule, as in bpftrace, a first assignment declares the variable in the
    // innermost scope, though it lives for the whole probe.
    if (!visible_declaration(v.name))
      scopes_.back().declared.emplace(v.name, v.loc);
    VariableInfo *info = lookup_variable(v);
    if (info)
      untyped_lets_.erase(v.var_id);
    if (!info) {
      // The first assignment declares the variable in the probe's outermost scope (bpftrace:
      // variables without `let` live for the whole probe).
      int id = static_cast<int>(result_.variables.size());
      result_.variables.push_back({v.name, storage_type(value)});
      scopes_.front().vars[v.name] = id;
      v.var_id = id;
      v.type = result_.variables.back().type;
      return;
    }
    auto u = unify(info->type, storage_type(value));
    if (!u) {
      error(DiagCode::TypeMismatch, value_loc,
            "$" + source_name(v) + " holds " + type_name(info->type) + ", not " + type_name(value),
            "use another variable for the " + type_name(value));
      return;
    }
    info->type = *u;
    v.type = info->type;
  }

  // ---- maps -----------------------------------------------------------------------------------

  static std::string display(const std::string &name) { return "@" + name; }

  const MapInfo *find_map(const std::string &name) const {
    auto it = map_index_.find(name);
    if (it == map_index_.end())
      return nullptr;
    return &result_.resources.maps[it->second];
  }

  std::vector<std::string> assigned_map_names() const {
    std::vector<std::string> names;
    for (const auto &[name, index] : map_index_)
      names.push_back(display(name));
    return names;
  }

  Type map_read_type(const Map &m) const {
    const MapInfo *info = find_map(m.name);
    return info ? read_type(info->value) : Type{};
  }

  /// Records (or checks) a write of `value` to map `m` with `key` (null for no key).
  void use_map(Map &m, Expression *key, const Type &value, const SourceRange &loc, bool) {
    Type key_type = key ? storage_type(key->type) : Type{};
    Type value_type = value.is_aggregation() ? value : storage_type(value);
    if (key && (key->type.kind == TypeKind::Void || key->type.is_aggregation())) {
      error(DiagCode::TypeMismatch, key->loc, "a map key needs a value");
      return;
    }
    auto it = map_index_.find(m.name);
    if (it == map_index_.end()) {
      MapInfo info;
      info.name = display(m.name);
      info.key = key_type;
      info.value = value_type;
      info.loc = loc;
      map_index_[m.name] = static_cast<uint32_t>(result_.resources.maps.size());
      map_first_use_[m.name] = loc;
      result_.resources.maps.push_back(info);
      m.map_id = static_cast<int>(map_index_[m.name]);
      m.type = value_type;
      return;
    }
    MapInfo &info = result_.resources.maps[it->second];
    m.map_id = static_cast<int>(it->second);
    const SourceRange &first = map_first_use_[m.name];
    std::string where = " (first used at line " + std::to_string(first.begin.line) + ", column " +
                        std::to_string(first.begin.column) + ")";
    if ((info.key.kind == TypeKind::None) != (key_type.kind == TypeKind::None)) {
      error(DiagCode::TypeMismatch, loc,
            "map " + info.name +
                (key ? " is used without keys elsewhere" : " is used with keys elsewhere") + where);
      return;
    }
    if (key) {
      auto u = unify(info.key, key_type);
      if (!u) {
        error(DiagCode::TypeMismatch, key->loc,
              "map " + info.name + " has keys of type " + type_name(info.key) + ", not " +
                  type_name(key_type) + where);
        return;
      }
      info.key = *u;
    }
    auto u = unify(info.value, value_type);
    if (!u) {
      error(DiagCode::TypeMismatch, loc,
            "map " + info.name + " holds " + value_description(info.value) + ", not " +
                value_description(value_type) + where);
      return;
    }
    info.value = *u;
    m.type = info.value;
  }

  void check_key(const MapInfo &info, Expression *key) {
    if (info.key.kind == TypeKind::None) {
      error(DiagCode::InvalidMapUse, key->loc, "map " + info.name + " has no keys",
            "use " + info.name + " without [...]");
      return;
    }
    if (!unify(info.key, storage_type(key->type)))
      error(DiagCode::TypeMismatch, key->loc,
            "map " + info.name + " has keys of type " + type_name(info.key) + ", not " +
                type_name(key->type));
  }

  /// Whether the map's value can be read in an expression; reports it when not.
  bool check_readable(const MapInfo &info, const SourceRange &loc) {
    if (map_as_argument_)
      return true;
    if (info.value.kind == TypeKind::Hist || info.value.kind == TypeKind::Lhist ||
        info.value.kind == TypeKind::Stats) {
      error(DiagCode::InvalidMapUse, loc,
            "a " + type_name(info.value) + " map cannot be read in an expression",
            "print it with print(" + info.name + ")");
      return false;
    }
    return true;
  }

  /// Sizes and kinds of the BPF maps, once every use is known.
  void finish_maps() {
    Resources &r = result_.resources;
    for (MapInfo &m : r.maps) {
      std::string base;
      for (char c : m.name.substr(1))
        base += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
      m.bpf_name = ("m" + std::to_string(&m - r.maps.data()) + "_" + base).substr(0, 15);
      m.per_cpu = m.value.is_aggregation();
      m.has_bucket_key = m.value.kind == TypeKind::Hist || m.value.kind == TypeKind::Lhist;
      m.is_array = m.key.kind == TypeKind::None && !m.has_bucket_key;
      m.max_entries = m.is_array ? 1 : r.max_map_keys;
      if (m.has_bucket_key) {
        // Up to 64 buckets (hist with k=0) or the lhist's buckets per user key.
        m.bpf_key_size = (m.key.kind == TypeKind::None ? 0 : align8(m.key.size)) + 8;
        m.bpf_value_size = 8;
        m.max_entries = r.max_map_keys;
      } else if (m.is_array) {
        m.bpf_key_size = 4;
        m.bpf_value_size = align8(std::max<uint32_t>(m.value.size, 1));
      } else {
        m.bpf_key_size = align8(std::max<uint32_t>(m.key.size, 1));
        m.bpf_value_size = align8(std::max<uint32_t>(m.value.size, 1));
      }
    }
  }

  // ---- calls ----------------------------------------------------------------------------------

  bool arity(Call &n, size_t min, size_t max) {
    if (n.args.size() >= min && n.args.size() <= max)
      return true;
    std::string expected =
        min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
    error(DiagCode::WrongArgumentCount, n.loc,
          n.name + "() takes " + expected + (max == 1 && min == 1 ? " argument" : " arguments") +
              ", not " + std::to_string(n.args.size()));
    return false;
  }

  void want_integer(Call &n, size_t i, const char *what) {
    const Type &t = n.args[i]->type;
    if (t.kind != TypeKind::Integer && t.kind != TypeKind::Boolean && t.kind != TypeKind::None)
      error(DiagCode::WrongArgumentType, n.args[i]->loc,
            n.name + "() needs an integer " + what + ", not " + type_name(t));
  }

  Map *map_argument(Call &n, size_t i, bool allow_keyed_element = false) {
    Expression *a = n.args[i];
    if (auto *m = dynamic_cast<Map *>(a)) {
      bool saved = map_as_argument_;
      map_as_argument_ = true;
      m->accept(*this);
      map_as_argument_ = saved;
      return m;
    }
    if (allow_keyed_element && dynamic_cast<MapAccess *>(a))
      return nullptr;
    error(DiagCode::WrongArgumentType, a->loc, n.name + "() needs a map as its argument",
          "pass the map by name, e.g. " + n.name + "(@x)");
    return nullptr;
  }

  void type_call(Call &n) {
    size_t errors_before = errors_;
    type_call_checked(n);
    // A call with errors has no type, so that it causes no second error where it is used.
    if (errors_ != errors_before)
      n.type = Type{};
  }

  void type_call_checked(Call &n) {
    const std::string &name = n.name;
    n.type = make_void();
    if (is_aggregation_name(name)) {
      type_aggregation(n);
      return;
    }
    if (name == "printf") {
      type_printf(n);
    } else if (name == "print") {
      if (!arity(n, 1, 3))
        return;
      if (dynamic_cast<Map *>(n.args[0])) {
        map_argument(n, 0);
        for (size_t i = 1; i < n.args.size(); ++i) {
          check(n.args[i]);
          if (!constant_value(n.args[i]))
            constant_required(n.args[i], "print()'s top and divisor must be constants");
        }
      } else {
        if (n.args.size() > 1) {
          error(DiagCode::WrongArgumentCount, n.loc,
                "print() of a value takes one argument; top and divisor apply to maps");
          return;
        }
        check(n.args[0]);
        const Type &t = n.args[0]->type;
        if (t.kind == TypeKind::Void || t.kind == TypeKind::None) {
          if (t.kind == TypeKind::Void)
            error(DiagCode::WrongArgumentType, n.args[0]->loc,
                  "this expression has no value to print");
          return;
        }
        if (!quiet_) {
          n.id = static_cast<int>(result_.resources.print_values.size());
          result_.resources.print_values.push_back(storage_type(t));
        }
      }
    } else if (name == "clear" || name == "zero") {
      if (arity(n, 1, 1))
        map_argument(n, 0);
    } else if (name == "delete") {
      if (!arity(n, 1, 2))
        return;
      if (n.args.size() == 1) {
        auto *ma = dynamic_cast<MapAccess *>(n.args[0]);
        if (auto *m = dynamic_cast<Map *>(n.args[0])) {
          // delete(@x) on a map without keys resets its value.
          map_argument(n, 0);
          const MapInfo *info = find_map(m->name);
          if (info && info->key.kind != TypeKind::None)
            error(DiagCode::WrongArgumentType, n.args[0]->loc,
                  "delete() of " + info->name + " needs a key",
                  "write delete(" + info->name + "[key]) or delete(" + info->name + ", key)");
          n.type = make_bool();
          return;
        }
        if (!ma) {
          error(DiagCode::WrongArgumentType, n.args[0]->loc, "delete() needs a map element",
                "write delete(@m[key]) or delete(@m, key)");
          return;
        }
        bool saved = map_as_argument_;
        map_as_argument_ = true;
        ma->accept(*this);
        map_as_argument_ = saved;
      } else {
        Map *m = map_argument(n, 0);
        check(n.args[1]);
        if (m && find_map(m->name))
          check_key(*find_map(m->name), n.args[1]);
      }
      n.type = make_bool();
    } else if (name == "__has_key") { // stdlib/map.bt's has_key
      if (!arity(n, 2, 2))
        return;
      Map *m = map_argument(n, 0);
      check(n.args[1]);
      if (m && find_map(m->name))
        check_key(*find_map(m->name), n.args[1]);
      n.type = make_bool();
    } else if (name == "len") {
      if (!arity(n, 1, 1))
        return;
      Map *m = map_argument(n, 0);
      if (m && find_map(m->name) &&
          (find_map(m->name)->value.kind == TypeKind::Hist ||
           find_map(m->name)->value.kind == TypeKind::Lhist))
        error(DiagCode::WrongArgumentType, n.args[0]->loc,
              "len() of a hist or lhist map is not supported",
              "count the keys in another map: @keys[k] = count(); len(@keys)");
      n.type = make_int(8, true);
    } else if (name == "exit") {
      if (!arity(n, 0, 1))
        return;
      if (n.args.size() == 1) {
        check(n.args[0]);
        want_integer(n, 0, "exit code");
      }
    } else if (name == "time") {
      if (!arity(n, 0, 1))
        return;
      std::string format = "%H:%M:%S\n";
      if (n.args.size() == 1) {
        auto *s = dynamic_cast<String *>(n.args[0]);
        if (!s) {
          error(DiagCode::ConstantRequired, n.args[0]->loc,
                "time()'s format must be a string literal");
          return;
        }
        format = s->value;
        s->type = make_string(static_cast<uint32_t>(s->value.size() + 1));
      }
      if (!quiet_) {
        n.id = static_cast<int>(result_.resources.time_formats.size());
        result_.resources.time_formats.push_back(format);
      }
    } else if (name == "str") {
      if (!arity(n, 1, 2))
        return;
      // str($1) is the parameter's text, even when it looks like a number (bpftrace), so a
      // number too large for an integer is fine there.
      param_as_text_ = dynamic_cast<PositionalParameter *>(n.args[0]) != nullptr;
      check(n.args[0]);
      param_as_text_ = false;
      if (auto *p = dynamic_cast<PositionalParameter *>(n.args[0]); p && p->index > 0) {
        std::string text = static_cast<size_t>(p->index) <= options_.params.size()
                               ? options_.params[static_cast<size_t>(p->index) - 1]
                               : "";
        n.type = make_string(std::min<uint32_t>(static_cast<uint32_t>(text.size() + 1),
                                                result_.resources.max_strlen));
        return;
      }
      const Type &t = n.args[0]->type;
      if (t.kind != TypeKind::Pointer && t.kind != TypeKind::Integer &&
          t.kind != TypeKind::String && t.kind != TypeKind::None)
        error(DiagCode::WrongArgumentType, n.args[0]->loc,
              "str() reads a string from a pointer, not from " + type_name(t));
      uint32_t size = result_.resources.max_strlen;
      if (n.args.size() == 2) {
        check(n.args[1]);
        want_integer(n, 1, "length");
        if (auto v = constant_value(n.args[1])) {
          if (*v < 1) {
            error(DiagCode::WrongArgumentType, n.args[1]->loc, "str()'s length must be positive");
          } else {
            // The length counts the terminator, as in bpftrace: str("abcdef", 3) is "ab".
            size = static_cast<uint32_t>(std::min<int64_t>(*v, size));
          }
        }
      }
      if (t.kind == TypeKind::String)
        size = std::min(size, t.size);
      n.type = make_string(size);
    } else if (std::find(unsupported_names().begin(), unsupported_names().end(), name) !=
               unsupported_names().end()) {
      for (Expression *a : n.args)
        check(a);
      error(DiagCode::NotSupported, n.loc, name + "() is not supported by scry yet");
    } else {
      for (Expression *a : n.args)
        check(a);
      error(DiagCode::UnknownFunction, n.loc, "unknown function '" + name + "'",
            did_you_mean(name, function_names()));
    }
  }

  void type_aggregation(Call &n) {
    const std::string &name = n.name;
    if (!aggregation_allowed_here_) {
      for (Expression *a : n.args)
        check(a);
      error(DiagCode::InvalidMapUse, n.loc, name + "() is an aggregation: assign it to a map",
            "write @x = " + name + "(...) or @x[key] = " + name + "(...)");
      return;
    }
    for (Expression *a : n.args)
      check(a);
    auto value_arg = [&]() {
      want_integer(n, 0, "value");
      return n.args[0]->type.kind == TypeKind::Integer ? n.args[0]->type.is_signed : true;
    };
    if (name == "count") {
      if (arity(n, 0, 0))
        n.type = make_aggregation(TypeKind::Count, false);
    } else if (name == "sum" || name == "min" || name == "max" || name == "avg" ||
               name == "stats") {
      if (!arity(n, 1, 1))
        return;
      bool is_signed = value_arg();
      TypeKind k = name == "sum"   ? TypeKind::Sum
                   : name == "min" ? TypeKind::Min
                   : name == "max" ? TypeKind::Max
                   : name == "avg" ? TypeKind::Avg
                                   : TypeKind::Stats;
      n.type = make_aggregation(k, k == TypeKind::Sum ? is_signed : true);
    } else if (name == "hist") {
      if (!arity(n, 1, 2))
        return;
      value_arg();
      Type t = make_aggregation(TypeKind::Hist);
      if (n.args.size() == 2) {
        auto k = constant_value(n.args[1]);
        if (!k || *k < 0 || *k > 5) {
          constant_required(n.args[1], "hist()'s second argument must be a constant from 0 to 5");
          return;
        }
        t.hist_bits = *k;
      }
      n.type = t;
    } else if (name == "lhist") {
      if (!arity(n, 4, 4))
        return;
      value_arg();
      int64_t v[3];
      for (size_t i = 1; i < 4; ++i) {
        auto c = constant_value(n.args[i]);
        if (!c) {
          constant_required(n.args[i], "lhist()'s min, max and step must be constants");
          return;
        }
        v[i - 1] = *c;
      }
      if (v[0] < 0 || v[1] <= v[0] || v[2] <= 0) {
        error(DiagCode::WrongArgumentType, n.loc, "lhist() needs 0 <= min < max and step > 0");
        return;
      }
      if ((v[1] - v[0]) / v[2] > 1000) {
        error(DiagCode::WrongArgumentType, n.loc, "lhist() would have more than 1000 buckets",
              "use a larger step");
        return;
      }
      Type t = make_aggregation(TypeKind::Lhist);
      t.lhist_min = v[0];
      t.lhist_max = v[1];
      t.lhist_step = v[2];
      n.type = t;
    }
  }

  void type_printf(Call &n) {
    if (n.args.empty()) {
      error(DiagCode::WrongArgumentCount, n.loc, "printf() needs a format string");
      return;
    }
    auto *fmt = dynamic_cast<String *>(n.args[0]);
    if (!fmt) {
      check(n.args[0]);
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "printf()'s format must be a string literal");
      return;
    }
    fmt->type = make_string(static_cast<uint32_t>(fmt->value.size() + 1));
    std::vector<Type> types;
    for (size_t i = 1; i < n.args.size(); ++i) {
      check(n.args[i]);
      Type t = n.args[i]->type;
      if (t.kind == TypeKind::Void || t.is_aggregation()) {
        error(DiagCode::WrongArgumentType, n.args[i]->loc, "printf() argument has no value");
        return;
      }
      types.push_back(t);
    }
    if (quiet_)
      return;
    for (const Type &t : types)
      if (t.kind == TypeKind::None)
        return; // already reported
    int bad_arg = -1;
    std::string problem = check_printf(fmt->value, types, bad_arg);
    if (!problem.empty()) {
      SourceRange at = bad_arg >= 0 && static_cast<size_t>(bad_arg) + 1 < n.args.size()
                           ? n.args[static_cast<size_t>(bad_arg) + 1]->loc
                           : n.loc;
      error(DiagCode::InvalidPrintfFormat, at, "printf: " + problem);
      return;
    }
    n.id = static_cast<int>(result_.resources.printfs.size());
    result_.resources.printfs.push_back({fmt->value, make_tuple_type(types), n.loc});
  }

  // ---- tracepoint arguments ---------------------------------------------------------------------

  bool args_allowed(const SourceRange &loc) {
    for (ProbeType t : current_types_) {
      if (t != ProbeType::Tracepoint) {
        error(DiagCode::BuiltinNotAvailable, loc,
              std::string("args is not available in ") + probe_type_name(t) + " probes",
              "args holds a tracepoint's fields");
        return false;
      }
    }
    return !current_formats_.empty();
  }

  void type_args(Identifier &n) {
    if (!args_allowed(n.loc))
      return;
    error(DiagCode::NotSupported, n.loc,
          "args can only be used with a field yet, e.g. args.filename");
  }

  void type_args_field(FieldAccess &n) {
    if (!args_allowed(n.loc))
      return;
    std::optional<Type> type;
    std::string first_probe;
    for (size_t i = 0; i < current_formats_.size(); ++i) {
      const TracepointFormat &f = *current_formats_[i];
      const TracepointField *field = f.find(n.field);
      if (!field || field->is_common) {
        std::vector<std::string> names;
        std::string list;
        for (const TracepointField &tf : f.fields) {
          if (tf.is_common)
            continue;
          names.push_back(tf.name);
          list += (list.empty() ? "" : ", ") + tf.name;
        }
        error(DiagCode::UnknownField, n.loc,
              "tracepoint " + f.category + ":" + f.name + " has no field '" + n.field + "'",
              did_you_mean(n.field, names, "its fields: " + list));
        return;
      }
      Type t = field->type;
      if (t.kind == TypeKind::None) {
        error(DiagCode::NotSupported, n.loc,
              "scry cannot type field '" + n.field + "' (" + field->c_type + ") yet");
        return;
      }
      if (t.kind == TypeKind::Record && t.btf_id == 0 && !t.name.empty()) {
        // An incomplete struct from the format file: complete it from BTF.
        if (auto s = btf_.struct_type(t.name))
          t = *s;
      } else if (t.kind == TypeKind::Pointer && t.elem && t.elem->kind == TypeKind::Record &&
                 t.elem->btf_id == 0 && !t.elem->name.empty()) {
        if (auto s = btf_.struct_type(t.elem->name))
          t = make_pointer(*s, t.address_space);
      }
      if (!type) {
        type = t;
        first_probe = f.category + ":" + f.name;
      } else if (!(storage_type(*type) == storage_type(t))) {
        error(DiagCode::TypeMismatch, n.loc,
              "args." + n.field + " is " + type_name(*type) + " in " + first_probe + " but " +
                  type_name(t) + " in " + f.category + ":" + f.name,
              "split the probe so each part has one type");
        return;
      }
    }
    if (type)
      n.type = *type;
  }

  // ---- operators --------------------------------------------------------------------------------

  static bool truthy(const Type &t) {
    return t.kind == TypeKind::Integer || t.kind == TypeKind::Boolean ||
           t.kind == TypeKind::Pointer || t.kind == TypeKind::None;
  }

  void check_condition(Expression *e) {
    check(e);
    if (!truthy(e->type))
      error(DiagCode::WrongArgumentType, e->loc,
            "a condition must be an integer, bool or pointer, not " + type_name(e->type),
            e->type.kind == TypeKind::String ? "compare it: $s == \"text\"" : "");
  }

  void bad_operand(Unary &n, const Type &t) {
    error(DiagCode::InvalidOperand, n.loc,
          std::string("invalid operand to unary ") + unary_op_spelling(n.op) + ": " + type_name(t));
  }

  Type binary_result(BinaryOp op, const Type &l, const Type &r, const SourceRange &loc) {
    if (l.kind == TypeKind::None || r.kind == TypeKind::None)
      return op >= BinaryOp::Lt && op <= BinaryOp::Ne ? make_bool() : int64_type();
    auto numeric = [](const Type &t) {
      return t.kind == TypeKind::Integer || t.kind == TypeKind::Boolean;
    };
    switch (op) {
    case BinaryOp::LogicalAnd:
    case BinaryOp::LogicalOr:
      if (!truthy(l) || !truthy(r))
        break;
      return make_bool();
    case BinaryOp::Eq:
    case BinaryOp::Ne:
      if (l.kind == TypeKind::String && r.kind == TypeKind::String)
        return make_bool();
      [[fallthrough]];
    case BinaryOp::Lt:
    case BinaryOp::Gt:
    case BinaryOp::Le:
    case BinaryOp::Ge:
      if ((numeric(l) || l.kind == TypeKind::Pointer) &&
          (numeric(r) || r.kind == TypeKind::Pointer))
        return make_bool();
      break;
    case BinaryOp::Add:
    case BinaryOp::Sub:
      if (l.kind == TypeKind::Pointer && numeric(r))
        return l;
      if (op == BinaryOp::Add && r.kind == TypeKind::Pointer && numeric(l))
        return r;
      if (op == BinaryOp::Sub && l.kind == TypeKind::Pointer && r.kind == TypeKind::Pointer)
        return int64_type();
      if (numeric(l) && numeric(r))
        // Subtraction is always signed (bpftrace 0.26): nsecs - @start is a duration.
        return make_int(8, op == BinaryOp::Sub || is_signed_operation(l, r));
      break;
    default:
      if (numeric(l) && numeric(r))
        return make_int(8, is_signed_operation(l, r));
      break;
    }
    error(DiagCode::InvalidOperand, loc,
          std::string("invalid operands to ") + binary_op_spelling(op) + ": " + type_name(l) +
              " and " + type_name(r),
          l.kind == TypeKind::String || r.kind == TypeKind::String
              ? "strings can only be compared with == and !="
              : "");
    return op >= BinaryOp::Lt && op <= BinaryOp::Ne ? make_bool() : int64_type();
  }

  void type_increment(Unary &n) {
    if (auto *v = dynamic_cast<Variable *>(n.operand)) {
      VariableInfo *info = lookup_variable(*v);
      if (!info) {
        error(DiagCode::UndefinedVariable, v->loc,
              "variable $" + source_name(*v) + " is used before it is assigned");
        return;
      }
      v->type = info->type;
      if (info->type.kind != TypeKind::Integer)
        error(DiagCode::InvalidOperand, n.loc,
              "++ and -- need an integer, not " + type_name(info->type));
      n.type = info->type;
      return;
    }
    Map *m = nullptr;
    Expression *key = nullptr;
    if (auto *mm = dynamic_cast<Map *>(n.operand))
      m = mm;
    else if (auto *ma = dynamic_cast<MapAccess *>(n.operand))
      m = ma->map, key = ma->key;
    if (!m) {
      error(DiagCode::NotAssignable, n.operand->loc,
            "++ and -- apply to scratch variables and maps");
      return;
    }
    if (key)
      check(key);
    const MapInfo *info = find_map(m->name);
    Type value = info ? info->value : int64_type();
    if (value.kind != TypeKind::Integer && value.kind != TypeKind::Count &&
        value.kind != TypeKind::Sum) {
      error(DiagCode::InvalidOperand, n.loc,
            "++ and -- need an integer map, not " + type_name(value));
      return;
    }
    use_map(*m, key, value, n.loc, true);
    n.operand->type = read_type(value);
    n.type = read_type(value);
  }

  // ---- types ------------------------------------------------------------------------------------

  Type resolve_type(TypeSpec &spec) {
    Type base;
    switch (spec.base) {
    case TypeSpec::Base::Named: {
      const std::string &n = spec.name;
      if (n == "bool")
        base = make_bool();
      else if (n == "string")
        base = make_string(result_.resources.max_strlen);
      else if (n == "void")
        base = make_void();
      else if (n.rfind("int", 0) == 0 || n.rfind("uint", 0) == 0) {
        bool is_signed = n[0] == 'i';
        int bits = std::atoi(n.c_str() + (is_signed ? 3 : 4));
        base = make_int(static_cast<uint32_t>(bits / 8), is_signed);
      } else {
        error(DiagCode::NotSupported, spec.loc, "type '" + n + "' is not supported by scry yet");
        return {};
      }
      break;
    }
    case TypeSpec::Base::Struct:
    case TypeSpec::Base::Union: {
      auto s = btf_.struct_type(spec.name, spec.base == TypeSpec::Base::Union);
      if (!s) {
        error(DiagCode::UnknownType, spec.loc,
              std::string(spec.base == TypeSpec::Base::Union ? "union " : "struct ") + spec.name +
                  " is not a kernel type",
              btf_.load() ? "" : btf_.error());
        return {};
      }
      base = *s;
      break;
    }
    case TypeSpec::Base::Enum:
      base = make_int(4, false);
      break;
    case TypeSpec::Base::Typeof:
      if (auto *e = dynamic_cast<Expression *>(spec.typeof_arg)) {
        check(e);
        base = e->type;
      } else if (auto *t = dynamic_cast<TypeSpec *>(spec.typeof_arg)) {
        base = resolve_type(*t);
      }
      break;
    }
    for (const TypeSpec::Suffix &s : spec.suffixes) {
      if (s.pointer) {
        base = make_pointer(base, AddressSpace::None);
      } else {
        if (base.kind == TypeKind::String && s.size > 0) {
          base = make_string(static_cast<uint32_t>(s.size));
        } else if (base.kind == TypeKind::Integer || base.kind == TypeKind::Pointer ||
                   base.kind == TypeKind::Record) {
          base = make_array(base, static_cast<uint32_t>(s.size));
        } else {
          error(DiagCode::UnknownType, spec.loc, "cannot make an array of " + type_name(base));
          return {};
        }
      }
    }
    return base;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /// Types `e`. Aggregation calls are allowed only directly as a map assignment's value.
  void check(Expression *e) {
    bool allowed = aggregation_allowed_here_;
    aggregation_allowed_here_ = false;
    e->accept(*this);
    aggregation_allowed_here_ = allowed;
  }

  /// The value of a constant integer expression, folded at compile time.
  std::optional<int64_t> constant_value(Expression *e) { return fold_constant(e, options_.params); }

  /// Reports that `e` must be a constant (constant-required). When a positional parameter whose
  /// text is not a number keeps it from being one, the error is at that parameter: the fix is
  /// on the command line.
  void constant_required(Expression *e, const std::string &message) {
    if (const PositionalParameter *p = non_numeric_parameter(e, options_.params)) {
      std::string n = std::to_string(p->index);
      error(DiagCode::ConstantRequired, p->loc, message + " ($" + n + " is not a number)",
            "pass a number as positional parameter " + n + ", e.g. scry -e '...' -- 3");
      return;
    }
    error(DiagCode::ConstantRequired, e->loc, message);
  }

  void check_discarded(Expression &e) {
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
    if (auto *c = dynamic_cast<Call *>(&e); c && (c->name == "delete" || c->name == "__has_key"))
      return;
    warning(DiagCode::InvalidStatement, e.loc, "the value of this expression is not used",
            "write '_ = ...;' to discard it");
  }

  void error(DiagCode code, const SourceRange &loc, std::string msg, std::string hint = {}) {
    ++errors_;
    if (!quiet_)
      diags_.error(code, loc, std::move(msg), std::move(hint));
  }
  void warning(DiagCode code, const SourceRange &loc, std::string msg, std::string hint = {}) {
    if (!quiet_)
      diags_.warning(code, loc, std::move(msg), std::move(hint));
  }

  Program &program_;
  const SemaOptions &options_;
  KernelBtf &btf_;
  SemaResult &result_;
  Diagnostics &diags_;

  bool quiet_ = false;
  bool param_as_text_ = false; // checking str($N)'s argument
  uint64_t max_probes_ = 1024;
  size_t errors_ = 0; // errors found, also in the quiet walk
  bool map_as_argument_ = false;
  bool aggregation_allowed_here_ = false;
  bool block_value_used_ = false;
  int loop_depth_ = 0;
  Probe *current_probe_ = nullptr;
  std::vector<ProbeType> current_types_;
  std::vector<std::shared_ptr<const TracepointFormat>> current_formats_;
  uint32_t probe_name_size_ = 1;
  /// One block's variables. `vars` is what a name means in it: scry's lookup, where a variable
  /// first assigned without `let` belongs to the probe's outermost scope. `declared` is where
  /// bpftrace's rule against shadowing sees each name declared (by `let`, as a loop variable,
  /// or by a first assignment in the block then innermost), with where that was.
  struct Scope {
    std::unordered_map<std::string, int> vars;
    std::unordered_map<std::string, SourceRange> declared;
  };
  std::vector<Scope> scopes_;
  // Variables declared by `let $x;` (no type, no value) and not assigned yet, by id: reading one
  // is an error. A variable whose type is unknown because its value had an error is not here.
  std::set<int> untyped_lets_;
  std::unordered_map<std::string, uint32_t> map_index_;
  std::unordered_map<std::string, SourceRange> map_first_use_;
};

} // namespace

bool analyse(ast::Program &program, const SemaOptions &options, KernelBtf &btf, SemaResult &result,
             Diagnostics &diags) {
  result.expansion_nodes = std::make_shared<ast::Context>();
  // The passes, in order (docs/architecture.md): the standard library's macros the program
  // uses, macro expansion, then the analyser's config, probe expansion and type checking, then
  // how each tracepoint attaches.
  add_stdlib_macros(program);
  if (!expand_macros(program, *result.expansion_nodes, diags))
    return false;
  Analyser analyser(program, options, btf, result, diags);
  result.positional_count = options.params.size();
  if (!analyser.run())
    return false;
  plan_tracepoint_attach(result, options.raw_tracepoints);
  return true;
}

} // namespace scry
