// Type checking of expressions (part of the TypeChecker, type_checker.h): literals, builtin
// variables, positional parameters, unary and binary operators (with division by zero),
// ?:, tuples, records, indexing and block expressions.
// Reads the expressions and the probe's attach points; writes Expression::type, and the
// division-by-zero runtime errors in Resources.
#include "parser/suggest.h"
#include "sema/constant.h"
#include "sema/type_checker.h"

#include <algorithm>
#include <cctype>

namespace scry {

using namespace ast;

void TypeChecker::visit(Integer &n) {
  n.type = n.is_unsigned ? uint64_type() : int64_type();
}

void TypeChecker::visit(String &n) {
  n.type = make_string(static_cast<uint32_t>(n.value.size() + 1));
}

void TypeChecker::visit(Boolean &n) {
  n.type = make_bool();
}

void TypeChecker::visit(Identifier &n) {
  const std::string &name = n.name;
  const BuiltinVariableInfo *builtin = find_builtin_variable(name);
  if (!builtin) {
    // ---- Kernel enumerators (vmlinux BTF): TCP_SYN_SENT, IPPROTO_TCP, typed with their enum.
    // Precedence: builtins, then names bpftrace has that scry does not yet, then (once the
    // script's C definitions are read) its own constants, then the kernel's. Macros and
    // variables never reach here. BTF is loaded only for a name nothing else knows.
    if (!is_planned_builtin(name)) {
      if (c_constant(n))
        return;
      if (auto e = btf_.enumerator(name)) {
        n.constant = e->value;
        n.type = e->type;
        return;
      }
    }
    // ---- end of kernel enumerators
    not_a_builtin_variable(n);
    return;
  }
  n.builtin = builtin->id;
  switch (builtin->id) {
  case BuiltinVariable::Pid:
  case BuiltinVariable::Tid:
  case BuiltinVariable::Uid:
  case BuiltinVariable::Gid:
  case BuiltinVariable::Cpu:
  case BuiltinVariable::Numaid:
  case BuiltinVariable::Ncpus:
  case BuiltinVariable::Rand:
    n.type = make_int(4, false);
    break;
  case BuiltinVariable::Nsecs:
  case BuiltinVariable::Elapsed:
  case BuiltinVariable::Jiffies:
  case BuiltinVariable::Cgroup:
    n.type = uint64_type();
    break;
  case BuiltinVariable::Comm:
    n.type = make_string(16);
    break;
  case BuiltinVariable::Curtask: {
    Type task =
        btf_.load() && btf_.task_struct_id() ? btf_.type_of(btf_.task_struct_id()) : uint64_type();
    n.type = make_pointer(task, AddressSpace::Kernel);
    if (!btf_.load() && !quiet_)
      warning(DiagCode::BuiltinNotAvailable, n.loc,
              "the kernel has no BTF: curtask is a plain address", btf_.error());
    break;
  }
  case BuiltinVariable::Probe:
    n.type = make_string(probe_name_size_);
    break;
  case BuiltinVariable::Probetype:
    n.type = make_string(kProbetypeBytes);
    break;
  case BuiltinVariable::HasCpid:
    n.type = make_bool();
    break;
  case BuiltinVariable::Usermode: // 1 or 0, known when compiling where no registers are saved
    n.type = make_int(1, false);
    break;
  case BuiltinVariable::Username:
    n.type = make_username();
    break;
  case BuiltinVariable::Cpid:
    // Without -c, cpid is 0 and warns when it runs (docs/stdlib.md "cpid"); has_cpid guards it.
    if (!options_.has_child && !quiet_) {
      result_.resources.runtime_errors.push_back(
          {DiagCode::BuiltinNotAvailable,
           "cpid has no child process to name (no -c command): it is 0; test has_cpid first",
           n.loc});
      n.warning = static_cast<int>(result_.resources.runtime_errors.size() - 1);
    }
    n.type = make_int(4, false);
    break;
  case BuiltinVariable::Args:
    type_args(n);
    break;
  case BuiltinVariable::Arg:
  case BuiltinVariable::Retval:
  case BuiltinVariable::Func:
    type_function_builtin(n);
    break;
  case BuiltinVariable::Kstack:
  case BuiltinVariable::Ustack:
    n.type = stack_type(n.builtin == BuiltinVariable::Ustack, result_.resources.stack_mode,
                        kDefaultStackFrames, n.loc);
    break;
  case BuiltinVariable::Ctx:
    type_ctx(n);
    break;
  case BuiltinVariable::None:
    break;
  }
}

/// ctx: in an iter probe, a kernel pointer to the iterator's context, struct bpf_iter__NAME
/// from BTF (ctx.task, ctx.file, ctx.fd, ...). Other probe types do not offer it in scry.
void TypeChecker::type_ctx(Identifier &n) {
  n.type = uint64_type();
  const std::string iterator =
      current_programs_.empty() ? "" : result_.resources.programs[current_programs_[0]].iterator;
  if (iterator.empty()) {
    error(DiagCode::BuiltinNotAvailable, n.loc,
          "'ctx' is only available in iter probes, not in " + current_probe_kinds());
    return;
  }
  std::optional<Type> record =
      btf_.load() ? btf_.struct_type("bpf_iter__" + iterator) : std::nullopt;
  if (!record) {
    error(DiagCode::BuiltinNotAvailable, n.loc,
          "the kernel's BTF has no struct bpf_iter__" + iterator + " for ctx", btf_.error());
    return;
  }
  n.type = make_pointer(*record, AddressSpace::Kernel);
}

/// argN, retval and func: the traced function's arguments (entry probes), return value (return
/// probes) and name. argN and retval are u64 as the registers hold them; in uprobes they are
/// user addresses when used as pointers (str(arg0) reads the process's memory).
void TypeChecker::type_function_builtin(Identifier &n) {
  const bool is_ret = n.builtin == BuiltinVariable::Retval;
  for (ProbeType t : current_types_) {
    // argN: the registers (uprobe, kprobe), a USDT note, a raw tracepoint's arguments; fentry
    // names its arguments (args.NAME) instead.
    bool entry = t == ProbeType::Uprobe || t == ProbeType::Usdt || t == ProbeType::Kprobe ||
                 t == ProbeType::RawTracepoint;
    bool exit = t == ProbeType::Uretprobe || t == ProbeType::Kretprobe || t == ProbeType::Fexit;
    bool function = t == ProbeType::Uprobe || t == ProbeType::Uretprobe || t == ProbeType::Kprobe ||
                    t == ProbeType::Kretprobe || t == ProbeType::Fentry || t == ProbeType::Fexit;
    bool ok = n.builtin == BuiltinVariable::Func ? function : is_ret ? exit : entry;
    if (ok)
      continue;
    std::string kinds = is_ret ? "return probes (kretprobe, uretprobe, fexit)"
                        : n.builtin == BuiltinVariable::Func
                            ? "kprobe, uprobe and fentry probes and their return probes"
                            : "kprobe, uprobe, usdt and fentry probes";
    error(DiagCode::BuiltinNotAvailable, n.loc,
          "'" + n.name + "' is only available in " + kinds + ", not in " + current_probe_kinds(),
          n.builtin == BuiltinVariable::Func ? "use probe for the probe's name" : "");
    n.type = uint64_type();
    return;
  }
  if (n.builtin == BuiltinVariable::Func) {
    n.type = make_string(func_name_size_);
    return;
  }
  // A USDT argument is sign- or zero-extended by its note's size and sign (stdlib/usdt.bpf.c),
  // so negative arguments print as negative numbers.
  const ProbeType first = current_types_.empty() ? ProbeType::Invalid : current_types_[0];
  if (is_ret && first == ProbeType::Fexit) {
    type_fexit_retval(n);
    return;
  }
  n.type = first == ProbeType::Usdt ? int64_type() : uint64_type();
  // A uprobe's and a USDT probe's pointers are the process's. A kernel function's may be
  // either (a system call's char *filename is a user address): str() reads them with the
  // helper that tells the two apart.
  const bool kernel = first == ProbeType::Kprobe || first == ProbeType::Kretprobe ||
                      first == ProbeType::RawTracepoint;
  n.type.address_space = kernel ? AddressSpace::None : AddressSpace::User;
}

/// fexit's retval: the function's return value as its BTF prototype types it, the same in
/// every program of the probe.
void TypeChecker::type_fexit_retval(Identifier &n) {
  std::optional<Type> type;
  std::string first_function;
  for (size_t index : current_programs_) {
    const KernelFunctionSpec &k = result_.resources.programs[index].kernel_function;
    Type t = k.return_type;
    if (t.kind == TypeKind::Void) {
      error(DiagCode::BuiltinNotAvailable, n.loc, k.name + " returns void: it has no retval");
      return;
    }
    if (t.kind == TypeKind::Pointer && t.address_space == AddressSpace::Kernel)
      t.address_space = AddressSpace::None;
    if (!same_type_everywhere(type, first_function, t, k.name, "retval", n.loc))
      return;
  }
  n.type = type ? *type : uint64_type();
}

void TypeChecker::not_a_builtin_variable(Identifier &n) {
  const std::string &name = n.name;
  if (is_planned_builtin(name)) {
    error(DiagCode::NotSupported, n.loc, "'" + name + "' is not supported by scry yet");
  } else {
    std::string hint = did_you_mean(name, names_for_suggestions(false));
    if (hint.empty() && !quiet_) {
      // A misspelled kernel enumerator: suggest only a near one (at most 2 edits, 1 in a name
      // shorter than 8), among some 19,000.
      auto [enumerator, enum_name] = btf_.closest_enumerator(name);
      if (!enumerator.empty() && edit_distance(name, enumerator) <= (name.size() >= 8 ? 2u : 1u))
        hint = "did you mean '" + enumerator + "'? (a constant of " + enum_name + ")";
    }
    if (hint.empty())
      hint = "scratch variables start with '$' ($" + name + "), maps with '@' (@" + name + ")";
    error(DiagCode::UnknownIdentifier, n.loc, "unknown identifier '" + name + "'", hint);
  }
}

void TypeChecker::visit(PositionalParameter &n) {
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

void TypeChecker::visit(Unary &n) {
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
    if (t.is_integer()) {
      // `*$addr` with an integer address (`*kaddr("avenrun")`, `*(arg0 + 8)`): an int64 read
      // from it, as bpftrace reads one (its tools/loads.bt); cast to a pointer for other sizes.
      n.type = int64_type();
      break;
    }
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
    type_address_of(n); // types_arrays.cpp
    break;
  case UnaryOp::PreInc:
  case UnaryOp::PreDec:
  case UnaryOp::PostInc:
  case UnaryOp::PostDec:
    type_increment(n);
    break;
  }
}

void TypeChecker::visit(Binary &n) {
  check(n.lhs);
  check(n.rhs);
  n.type = binary_result(n.op, n.lhs->type, n.rhs->type, n.loc);
  n.division_warning = check_divisor(n.op, n.rhs, n.loc);
}

/// Division and remainder by 0 use 1 as the divisor, as bpftrace does (its runtime error
/// "Divide or modulo by 0 detected", PR #4383): a warning now for a constant 0, and for a
/// divisor known only at run time the index of the warning the program sends when it is 0
/// (-1 when none is needed).
int TypeChecker::check_divisor(BinaryOp op, Expression *divisor, const SourceRange &loc) {
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

void TypeChecker::visit(Ternary &n) {
  check_condition(n.cond);
  if (n.then_expr)
    check(n.then_expr);
  check(n.else_expr);
  const Type &a = n.then_expr ? n.then_expr->type : n.cond->type;
  const Type &b = n.else_expr->type;
  if (a.kind == TypeKind::Integer && b.kind == TypeKind::Integer) {
    n.type = make_int(8, a.is_signed || b.is_signed);
    if (same_enum(a.enumeration, b.enumeration)) // `c ? TCP_CLOSE : TCP_SYN_SENT` stays an enum
      n.type.enumeration = a.enumeration;
  } else if (auto u = unify(storage_type(a), storage_type(b))) {
    n.type = *u;
  } else {
    error(DiagCode::TypeMismatch, n.loc,
          "the branches of ?: have different types: " + type_name(a) + " and " + type_name(b));
  }
}

void TypeChecker::visit(TupleAccess &n) {
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

void TypeChecker::visit(Index &n) {
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
    else if (!v)
      check_runtime_index(n, count); // types_arrays.cpp
  }
  if (t.kind == TypeKind::Array || t.kind == TypeKind::Pointer) {
    n.type = t.elem ? *t.elem : uint64_type();
  } else if (t.kind == TypeKind::String) {
    n.type = make_int(1, true);
  } else {
    error(DiagCode::InvalidOperand, n.loc, "cannot index " + type_name(t));
  }
}

void TypeChecker::visit(Tuple &n) {
  std::vector<Type> parts;
  for (Expression *e : n.elems) {
    check(e);
    if (e->type.kind == TypeKind::Void || e->type.is_aggregation())
      error(DiagCode::TypeMismatch, e->loc, "a tuple element needs a value");
    parts.push_back(e->type);
  }
  n.type = make_tuple_type(parts);
}

void TypeChecker::visit(Record &n) {
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

void TypeChecker::visit(BlockExpr &n) {
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

bool TypeChecker::truthy(const Type &t) {
  return t.kind == TypeKind::Integer || t.kind == TypeKind::Boolean ||
         t.kind == TypeKind::Pointer || t.kind == TypeKind::None;
}

void TypeChecker::check_condition(Expression *e) {
  check(e);
  if (!truthy(e->type))
    error(DiagCode::WrongArgumentType, e->loc,
          "a condition must be an integer, bool or pointer, not " + type_name(e->type),
          e->type.kind == TypeKind::String ? "compare it: $s == \"text\"" : "");
}

void TypeChecker::bad_operand(Unary &n, const Type &t) {
  error(DiagCode::InvalidOperand, n.loc,
        std::string("invalid operand to unary ") + unary_op_spelling(n.op) + ": " + type_name(t));
}

Type TypeChecker::binary_result(BinaryOp op, const Type &l, const Type &r, const SourceRange &loc) {
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
    // Integer arrays of one size compare byte by byte: `args.daddr == pton("127.0.0.1")`.
    if (l.kind == TypeKind::Array && r.kind == TypeKind::Array && l.size == r.size && l.elem &&
        r.elem && l.elem->kind == TypeKind::Integer && r.elem->kind == TypeKind::Integer)
      return make_bool();
    [[fallthrough]];
  case BinaryOp::Lt:
  case BinaryOp::Gt:
  case BinaryOp::Le:
  case BinaryOp::Ge:
    if ((numeric(l) || l.kind == TypeKind::Pointer) &&
        (numeric(r) || r.kind == TypeKind::Pointer)) {
      if (l.kind == TypeKind::Pointer && r.kind == TypeKind::Pointer && l.elem && r.elem &&
          !(*l.elem == *r.elem))
        warning(DiagCode::DistinctPointerTypes, loc,
                "comparison of distinct pointer types: " + type_name(l) + " and " + type_name(r));
      return make_bool();
    }
    break;
  case BinaryOp::Add:
  case BinaryOp::Sub:
    if (l.kind == TypeKind::Pointer && numeric(r))
      return l;
    if (op == BinaryOp::Add && r.kind == TypeKind::Pointer && numeric(l))
      return r;
    if (op == BinaryOp::Sub && l.kind == TypeKind::Pointer && r.kind == TypeKind::Pointer)
      return int64_type();
    if (numeric(l) && numeric(r)) {
      // Subtraction is always signed (bpftrace 0.26): nsecs - @start is a duration.
      Type sum = make_int(8, op == BinaryOp::Sub || is_signed_operation(l, r));
      // An address plus an offset is still an address in the same memory: `*(arg0 + 8)` in a
      // uprobe reads the process's.
      sum.address_space = l.address_space != AddressSpace::None ? l.address_space : r.address_space;
      if (l.address_space != AddressSpace::None && r.address_space != AddressSpace::None &&
          l.address_space != r.address_space)
        warning(DiagCode::AddressSpaceMismatch, loc,
                std::string("address space mismatch: a ") +
                    (l.address_space == AddressSpace::User ? "user" : "kernel") +
                    " address and a " +
                    (r.address_space == AddressSpace::User ? "user" : "kernel") +
                    " address; the result is read as the left one's",
                "cast one side to an integer first: (uint64)x");
      return sum;
    }
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

void TypeChecker::type_increment(Unary &n) {
  if (auto *v = dynamic_cast<Variable *>(n.operand)) {
    VariableInfo *info = lookup_variable(*v);
    if (!info) {
      error(DiagCode::UndefinedVariable, v->loc,
            "variable $" + source_name(*v) + " is used before it is assigned");
      return;
    }
    v->type = info->type;
    // A pointer steps by its element's size, as `$p + 1` does.
    if (info->type.kind != TypeKind::Integer && info->type.kind != TypeKind::Pointer)
      error(DiagCode::InvalidOperand, n.loc,
            "++ and -- need an integer or a pointer, not " + type_name(info->type));
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
    error(DiagCode::NotAssignable, n.operand->loc, "++ and -- apply to scratch variables and maps");
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

} // namespace scry
