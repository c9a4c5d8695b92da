// Type checking of fields and written types (part of the TypeChecker, type_checker.h): struct
// and record fields (BTF), a tracepoint's args, casts, sizeof, offsetof, and the types the
// source names (`int32`, `struct task_struct *`, `typeof(...)`).
// Reads the kernel's BTF and the probe's tracepoint formats; writes Expression::type.
#include "parser/attach_point.h"
#include "parser/suggest.h"
#include "sema/type_checker.h"

#include <algorithm>
#include <cstdlib>

namespace scry {

using namespace ast;

void TypeChecker::visit(FieldAccess &n) {
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

void TypeChecker::visit(Cast &n) {
  check(n.operand);
  // `(T[])x`: the array's size is the value's; resolved here without the `[]` (a copy: the
  // AST is walked twice).
  const bool open_size = !n.target->suffixes.empty() && !n.target->suffixes.back().pointer &&
                         n.target->suffixes.back().size == 0;
  TypeSpec spec = *n.target;
  if (open_size)
    spec.suffixes.pop_back();
  Type target = resolve_type(spec);
  if (target.kind == TypeKind::None)
    return;
  const Type &from = n.operand->type;
  // Casts to and from arrays of integers, by their bytes (types_arrays.cpp).
  if (open_size || (target.kind == TypeKind::Array && from.kind != TypeKind::None) ||
      (from.kind == TypeKind::Array && target.kind == TypeKind::Integer)) {
    n.type = array_cast(n, target, open_size);
    return;
  }
  bool ok = false;
  if (target.kind == TypeKind::Integer || target.kind == TypeKind::Boolean)
    ok = from.kind == TypeKind::Integer || from.kind == TypeKind::Boolean ||
         from.kind == TypeKind::Pointer || from.kind == TypeKind::None;
  else if (target.kind == TypeKind::Pointer)
    ok = from.kind == TypeKind::Integer || from.kind == TypeKind::Pointer ||
         from.kind == TypeKind::None;
  else if (target.kind == TypeKind::Array || target.kind == TypeKind::String)
    ok = from.kind == TypeKind::None;
  if (!ok && !n.implicit_for.empty())
    error(DiagCode::WrongArgumentType, n.operand->loc,
          n.implicit_for + "() needs a pointer or an address, not " + type_name(from));
  else if (!ok)
    error(DiagCode::TypeMismatch, n.loc,
          "cannot cast " + type_name(from) + " to " + type_name(target));
  if (!n.implicit_for.empty() && target.kind == TypeKind::Integer &&
      (from.kind == TypeKind::Pointer || from.kind == TypeKind::Integer))
    target.address_space = from.address_space;
  // A pointer made from a pointer or from an address that says whose it is (a uprobe's arg0 is
  // the process's) points into the same memory: (struct foo *)arg0 in a uprobe reads the user's.
  if (target.kind == TypeKind::Pointer &&
      (from.kind == TypeKind::Pointer || from.kind == TypeKind::Integer) &&
      target.address_space == AddressSpace::None)
    target.address_space = from.address_space;
  if (target.kind == TypeKind::Pointer && target.address_space == AddressSpace::None)
    target.address_space = AddressSpace::Kernel;
  // As the newest bpftrace: a cast to the type the value already has (same integer size and
  // sign, no enum, no address space; or the same pointer) changes nothing.
  const bool same_int = target.kind == TypeKind::Integer && from.kind == TypeKind::Integer &&
                        target.size == from.size && target.is_signed == from.is_signed &&
                        !target.enumeration && !from.enumeration &&
                        from.address_space == AddressSpace::None &&
                        !dynamic_cast<Integer *>(n.operand);
  // curtask is a uint64 in bpftrace (scry types it through BTF): casting it is not redundant
  // to a bpftrace user, whose tools write (struct task_struct *)curtask.
  // Nor is casting an aggregation's value (count_t, sum_t, ...: distinct types there).
  auto *id = dynamic_cast<Identifier *>(n.operand);
  const bool curtask = id && id->builtin == BuiltinVariable::Curtask;
  Map *m = dynamic_cast<Map *>(n.operand);
  if (auto *ma = dynamic_cast<MapAccess *>(n.operand))
    m = ma->map;
  const MapInfo *info = m ? find_map(m->name) : nullptr;
  const bool aggregation = info && info->value.is_aggregation();
  if (ok && !curtask && !aggregation && n.implicit_for.empty() &&
      (same_int || (target.kind == TypeKind::Pointer && from == target)))
    warning(DiagCode::UnnecessaryCast, n.loc,
            "unnecessary cast: the expression is already " + type_name(from));
  n.type = target;
}

void TypeChecker::visit(Sizeof &n) {
  Type t;
  if (n.type_spec) {
    t = resolve_type(*n.type_spec);
  } else {
    // `sizeof(task_struct)`: a bare name that is a kernel struct is a type.
    auto *id = dynamic_cast<Identifier *>(n.expr);
    std::optional<Type> named;
    if (id && !find_builtin_variable(id->name))
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

void TypeChecker::visit(Offsetof &n) {
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
      error(DiagCode::InvalidOperand, n.loc, n.function + "() needs a struct, not " + type_name(t));
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

bool TypeChecker::c_constant(Identifier &n) {
  const CTypes *c = result_.c_types.get();
  if (!c)
    return false;
  if (const CConstant *k = c->constant(n.name)) {
    n.constant = k->value;
    if (k->is_string) {
      n.constant_text = k->text;
      n.type = make_string(static_cast<uint32_t>(k->text.size() + 1));
    } else if (k->enum_btf_id > 0) {
      // An enumerator: an 8-byte integer of its enum, as the kernel's are (btf.h, BtfEnumerator).
      Type e = btf_.type_of(k->enum_btf_id);
      n.type = e.enumeration ? make_enum_int(8, e.enumeration) : int64_type();
    } else {
      n.type = k->is_unsigned ? uint64_type() : int64_type();
    }
    return true;
  }
  if (c->function_macros.count(n.name)) {
    error(DiagCode::CDefinitionError, n.loc,
          "'" + n.name + "' is a function-like macro, which scry cannot expand",
          "only object-like #define constants (#define NAME 42, #define NAME \"text\") can be "
          "used in expressions");
    return true;
  }
  return false;
}

Type TypeChecker::resolve_type(TypeSpec &spec) {
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
    } else if (n == "buffer" || n == "inet") {
      error(DiagCode::NotSupported, spec.loc, "type '" + n + "' is not supported by scry yet");
      return {};
    } else if (auto t = btf_.typedef_type(n)) {
      base = *t; // (uint64_t)x, (sector_t)x: a typedef of the program's C or of the kernel
    } else if (auto s = btf_.struct_type(n)) {
      base = *s; // (bio *)p: bpftrace reads a name without `struct` as the struct's
    } else {
      error(DiagCode::UnknownType, spec.loc, "unknown type '" + n + "'",
            "casts are to bool, int8 ... int64, uint8 ... uint64, string, a typedef of the "
            "program or the kernel, or struct NAME, union NAME, enum NAME, with '*' for pointers");
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
    // (enum skb_drop_reason)x: an integer of the enum's size that prints by name. An enum that
    // neither the program nor the kernel has is an error: the value would print as a number
    // where the program expects names (the kernel's TCP states, say, are an anonymous enum).
    if (auto e = btf_.enum_type(spec.name)) {
      base = *e;
    } else {
      error(DiagCode::UnknownType, spec.loc,
            "enum " + spec.name + " is neither a kernel type nor one the program defines",
            btf_.load() ? "define it in the program: enum " + spec.name + " { NAME = 1, ... };"
                        : btf_.error());
      return {};
    }
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
      if (s.size == 0) { // `[]`: only a cast's last suffix (visit(Cast) takes it off)
        error(DiagCode::InvalidTypeSize, spec.loc,
              "an array's size can be left out only in a cast to an array: (int8[])x",
              "write the number of elements: " + type_name(base) + "[N]");
        return {};
      }
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

namespace {

std::string join_names(const std::vector<std::string> &names) {
  std::string out;
  for (const std::string &n : names)
    out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// The kind of `args` a probe type has: a tracepoint's record, a uprobe's DWARF parameters,
/// a kernel function's or raw tracepoint's BTF parameters; 0 for none.
int args_kind(ProbeType t) {
  switch (t) {
  case ProbeType::Tracepoint:
    return 1;
  case ProbeType::Uprobe:
    return 2;
  case ProbeType::Fentry:
  case ProbeType::Fexit:
  case ProbeType::RawTracepoint:
    return 3;
  default:
    return 0;
  }
}

} // namespace

bool TypeChecker::args_allowed(const SourceRange &loc) {
  // args is a tracepoint's record, a uprobe's parameters or a kernel function's: one kind for
  // the whole probe.
  const int kind = current_types_.empty() ? 0 : args_kind(current_types_[0]);
  for (ProbeType t : current_types_) {
    if (kind != 0 && args_kind(t) == kind)
      continue;
    error(DiagCode::BuiltinNotAvailable, loc,
          std::string("args is not available in ") + probe_type_name(t) + " probes" +
              (args_kind(t) != 0 ? " of a probe that also has " +
                                       std::string(probe_type_name(current_types_[0])) + " probes"
                                 : ""),
          "args holds a tracepoint's fields, or a uprobe's, fentry's or rawtracepoint's "
          "parameters; split the probe");
    return false;
  }
  return kind == 2 || kind == 3 || !current_formats_.empty();
}

void TypeChecker::type_args(Identifier &n) {
  if (!args_allowed(n.loc))
    return;
  if (current_types_[0] == ProbeType::Uprobe) {
    if (auto t = type_uprobe_args(n.loc, nullptr))
      n.type = *t;
    return;
  }
  if (args_kind(current_types_[0]) == 3) {
    if (auto t = type_btf_args(n.loc, nullptr))
      n.type = *t;
    return;
  }
  error(DiagCode::NotSupported, n.loc,
        "a tracepoint's args can only be used with a field yet, e.g. args.filename");
}

void TypeChecker::type_args_field(FieldAccess &n) {
  if (!args_allowed(n.loc))
    return;
  if (current_types_[0] == ProbeType::Uprobe) {
    type_uprobe_args_field(n);
    return;
  }
  if (args_kind(current_types_[0]) == 3) {
    if (auto t = type_btf_args(n.loc, &n.field))
      n.type = *t;
    return;
  }
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
    t = btf_.complete_enum(t); // `enum skb_drop_reason reason`: its enumerators from BTF
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

/// `args.NAME` in a uprobe: parameter NAME of the probed function, typed from the binary's DWARF
/// (symbols/dwarf_params.h); each program records which argument register holds it.
void TypeChecker::type_uprobe_args_field(FieldAccess &n) {
  if (auto t = type_uprobe_args(n.loc, &n.field))
    n.type = *t;
}

std::optional<Type> TypeChecker::type_uprobe_args(SourceRange loc, const std::string *field) {
  const std::string what = field ? "args." + *field : "args";
  std::optional<Type> type;
  std::string first_function;
  for (size_t index : current_programs_) {
    ProbeProgram &p = result_.resources.programs[index];
    const UprobeSpec &u = p.uprobe;
    if (u.function.empty()) {
      error(DiagCode::BuiltinNotAvailable, loc,
            "args is not available in " + p.probe_name +
                ": a probe at an address has no "
                "function to take parameters from",
            "use arg0, arg1, ...");
      return std::nullopt;
    }
    auto [it, added] = dwarf_params_.try_emplace(u.path + ":" + u.symbol);
    if (added) {
      std::string why;
      it->second.first = read_dwarf_params(u.path, u.symbol, why);
      it->second.second = why;
    }
    const auto &[params, why] = it->second;
    if (!params) {
      error(DiagCode::UnknownField, loc,
            what + " needs " + u.function + "'s parameters from DWARF: " + why,
            "build the program with -g, or use arg0, arg1, ...");
      return std::nullopt;
    }
    // The parameters read: the one named, or all of them for `args` as a whole (a record of
    // them in order, as bpftrace's print(args) shows them).
    std::vector<uint32_t> positions;
    if (field) {
      std::vector<std::string> names;
      for (uint32_t i = 0; i < params->size(); ++i) {
        names.push_back((*params)[i].name);
        if ((*params)[i].name == *field && positions.empty())
          positions.push_back(i);
      }
      if (positions.empty()) {
        error(DiagCode::UnknownField, loc, u.function + " has no parameter '" + *field + "'",
              did_you_mean(*field, names, names.empty() ? "it takes no parameters" : ""));
        return std::nullopt;
      }
    } else {
      for (uint32_t i = 0; i < params->size(); ++i)
        positions.push_back(i);
    }
    std::vector<std::pair<std::string, Type>> fields;
    for (uint32_t position : positions) {
      const DwarfParam &param = (*params)[position];
      if (!param.supported || position >= 6) {
        error(DiagCode::NotSupported, loc,
              "scry cannot read parameter '" + param.name + "' of " + u.function + " (" +
                  param.type_name + (position >= 6 ? ", passed on the stack" : "") + ") yet",
              "use arg" + std::to_string(position) + " for its raw value");
        return std::nullopt;
      }
      Type t = make_int(param.size, param.is_signed);
      if (param.is_pointer) {
        t = uint64_type();
        t.address_space = AddressSpace::User;
      }
      fields.emplace_back(param.name, t);
      bool known = false;
      for (const UprobeArg &a : p.uprobe.args)
        known = known || a.name == param.name;
      if (!known)
        p.uprobe.args.push_back({param.name, position});
    }
    if (!same_type_everywhere(type, first_function,
                              field ? fields.front().second : make_record_type(fields), u.function,
                              what, loc))
      return std::nullopt;
  }
  return type;
}

bool TypeChecker::same_type_everywhere(std::optional<Type> &type, std::string &first_where,
                                       const Type &t, const std::string &where,
                                       const std::string &what, SourceRange loc) {
  if (!type) {
    type = t;
    first_where = where;
    return true;
  }
  if (storage_type(*type) == storage_type(t))
    return true;
  error(DiagCode::TypeMismatch, loc,
        what + " is " + type_name(*type) + " in " + first_where + " but " + type_name(t) + " in " +
            where,
        "split the probe so each part has one type");
  return false;
}

std::optional<Type> TypeChecker::type_btf_args(SourceRange loc, const std::string *field) {
  const std::string what = field ? "args." + *field : "args";
  std::optional<Type> type;
  std::string first_probe;
  for (size_t index : current_programs_) {
    const ProbeProgram &p = result_.resources.programs[index];
    const KernelFunctionSpec &k = p.kernel_function;
    if (k.param_types.size() != k.params.size()) {
      error(DiagCode::BuiltinNotAvailable, loc,
            what + " is not available in " + p.probe_name +
                ": the kernel's BTF does not describe it",
            "use arg0, arg1, ...");
      return std::nullopt;
    }
    std::vector<std::pair<std::string, Type>> fields;
    for (size_t i = 0; i < k.params.size(); ++i) {
      if (field && k.params[i] != *field)
        continue;
      Type t = k.param_types[i];
      // A pointer argument may be a user address (a system call's buffers): see argN.
      if (t.kind == TypeKind::Pointer && t.address_space == AddressSpace::Kernel)
        t.address_space = AddressSpace::None;
      fields.emplace_back(k.params[i], t);
      if (field)
        break;
    }
    if (field && fields.empty()) {
      std::string kind = p.type == ProbeType::RawTracepoint ? "raw tracepoint " : "";
      error(DiagCode::UnknownField, loc, kind + k.name + " has no argument '" + *field + "'",
            did_you_mean(*field, k.params,
                         k.params.empty() ? "it takes no arguments"
                                          : "its arguments: " + join_names(k.params)));
      return std::nullopt;
    }
    if (!same_type_everywhere(type, first_probe,
                              field ? fields.front().second : make_record_type(fields),
                              p.probe_name, what, loc))
      return std::nullopt;
  }
  return type;
}

} // namespace scry
