// Type checking of arrays and addresses (part of the TypeChecker, type_checker.h): casts between
// integers, strings and arrays of integers (`(int8[8])12345`, `(uint8[])"hi"`,
// `(uint64)$bytes`), `&` of a field or element in kernel or user memory, and the runtime bounds
// check of an array indexed by a variable.
// Reads the typed operands and the kernel's BTF (bitfields); writes Expression::type,
// Index::bounds_warning and the out-of-range runtime warnings in Resources.
// The rules are bpftrace's (docs/language.md, "Array casts"): both sides of an array cast have
// the same size in bytes, and `[]` takes the size from the value.
#include "parser/suggest.h"
#include "sema/type_checker.h"

namespace scry {

using namespace ast;

namespace {

bool integer_array(const Type &t) {
  return t.kind == TypeKind::Array && t.elem && t.elem->kind == TypeKind::Integer;
}

/// Whether the constant `v` is a value of `bytes` bytes, signed or unsigned: 255 and -1 fit in
/// one byte, 256 does not.
bool constant_fits(int64_t v, uint32_t bytes) {
  if (bytes >= 8)
    return true;
  const int64_t bits = 8 * static_cast<int64_t>(bytes);
  return v >= -(int64_t{1} << (bits - 1)) && v < (int64_t{1} << bits);
}

} // namespace

Type TypeChecker::array_cast(Cast &n, const Type &target, bool open_size) {
  const Type &from = n.operand->type;
  if (from.kind == TypeKind::None)
    return {};
  const std::string sizes_hint = "both sides of an array cast have the same size in bytes; "
                                 "cast the integer first: (uint8[4])(uint32)x";
  Type to = target;
  if (open_size) {
    if (target.kind != TypeKind::Integer) {
      error(DiagCode::TypeMismatch, n.loc,
            "cannot cast to " + type_name(target) + "[]: array casts are to arrays of integers");
      return {};
    }
    const bool sized = from.kind == TypeKind::Integer || from.kind == TypeKind::Boolean ||
                       from.kind == TypeKind::String || integer_array(from);
    if (!sized) {
      error(DiagCode::TypeMismatch, n.loc,
            "cannot cast " + type_name(from) +
                " to an array: only integers, strings and "
                "arrays of integers can be");
      return {};
    }
    if (from.size % target.size != 0) {
      error(DiagCode::TypeMismatch, n.loc,
            type_name(from) + " is " + std::to_string(from.size) +
                " bytes, not a whole number of " + type_name(target) + " elements",
            "give the size: (" + type_name(target) + "[N])");
      return {};
    }
    to = make_array(target, from.size / target.size);
  }

  if (to.kind == TypeKind::Integer) { // (uint64)$bytes
    if (!integer_array(from)) {
      error(DiagCode::TypeMismatch, n.loc,
            "cannot cast " + type_name(from) + " to " + type_name(to));
      return {};
    }
    if (from.size != to.size) {
      error(DiagCode::TypeMismatch, n.loc,
            "cannot cast " + type_name(from) + " (" + std::to_string(from.size) + " bytes) to " +
                type_name(to) + " (" + std::to_string(to.size) + " bytes)",
            "both sides of an array cast have the same size in bytes");
      return {};
    }
    return to;
  }

  if (!integer_array(to)) {
    error(DiagCode::TypeMismatch, n.loc,
          "cannot cast " + type_name(from) + " to " + type_name(to) +
              ": array casts are to arrays of integers");
    return {};
  }
  if (from.kind == TypeKind::Integer || from.kind == TypeKind::Boolean) {
    // A constant is an int64 here; it may fill a smaller array when its value fits.
    if (auto v = constant_value(n.operand);
        v && (to.size == 1 || to.size == 2 || to.size == 4 || to.size == 8)) {
      if (constant_fits(*v, to.size))
        return to;
      error(DiagCode::TypeMismatch, n.loc,
            std::to_string(*v) + " does not fit in " + type_name(to) + " (" +
                std::to_string(to.size) + " bytes)");
      return {};
    }
  } else if (from.kind != TypeKind::String && !integer_array(from)) {
    error(DiagCode::TypeMismatch, n.loc,
          "cannot cast " + type_name(from) + " to " + type_name(to) +
              ": only integers, strings and arrays of integers can be");
    return {};
  }
  if (from.size != to.size) {
    error(DiagCode::TypeMismatch, n.loc,
          "cannot cast " + type_name(from) + " (" + std::to_string(from.size) + " bytes) to " +
              type_name(to) + " (" + std::to_string(to.size) + " bytes)",
          from.kind == TypeKind::Integer ? sizes_hint
                                         : "both sides of an array cast have the same size in "
                                           "bytes; leave the size out to take the value's: (" +
                                               type_name(*to.elem) + "[])");
    return {};
  }
  return to;
}

namespace {

/// Where `e` is when it is a field or element of kernel or user memory reached through a
/// pointer (as codegen's kernel_address reads it): the pointer's address space. Null when `e`
/// is a value scry holds itself (a variable, a map value, a record it built) or no place at
/// all. `bitfield` is set when `e` is a bitfield, which has no address.
const Type *memory_root(Expression *e, KernelBtf &btf, bool &bitfield) {
  if (auto *u = dynamic_cast<Unary *>(e); u && u->op == UnaryOp::Deref)
    return u->operand->type.kind == TypeKind::Pointer ? &u->operand->type : nullptr;
  if (auto *f = dynamic_cast<FieldAccess *>(e)) {
    if (auto *id = dynamic_cast<Identifier *>(f->base); id && id->name == "args")
      return nullptr;
    const Type &bt = f->base->type;
    const Type *root = nullptr;
    Type record;
    if (bt.kind == TypeKind::Pointer && bt.elem) {
      root = &bt;
      record = *bt.elem;
    } else if (bt.kind == TypeKind::Record && bt.btf_id > 0) {
      root = memory_root(f->base, btf, bitfield);
      record = bt;
    }
    if (root && record.btf_id > 0)
      if (auto field = btf.field(record, f->field); field && field->bitfield_bits)
        bitfield = true;
    return root;
  }
  if (auto *i = dynamic_cast<Index *>(e)) {
    const Type &bt = i->base->type;
    if (bt.kind == TypeKind::Pointer)
      return &bt;
    if (bt.kind == TypeKind::Array || bt.kind == TypeKind::String)
      return memory_root(i->base, btf, bitfield);
  }
  return nullptr;
}

} // namespace

void TypeChecker::type_address_of(Unary &n) {
  Expression *e = n.operand;
  if (e->type.kind == TypeKind::None)
    return;
  bool bitfield = false;
  if (const Type *root = memory_root(e, btf_, bitfield)) {
    if (bitfield) {
      error(DiagCode::InvalidOperand, n.loc, "cannot take the address of a bitfield");
      return;
    }
    // `&p->field` points into the same memory as p: `*&p->f` reads what `p->f` reads.
    n.type = make_pointer(e->type, root->address_space);
    return;
  }
  std::string why_not;
  if (held_place(e, why_not)) {
    // A variable's slot, a map's value or a part of one, in scry's own (kernel) memory: valid
    // while the probe runs; a map value's address stays valid while the key is in the map.
    n.type = make_pointer(e->type, AddressSpace::Kernel);
    return;
  }
  if (!why_not.empty()) {
    error(DiagCode::InvalidOperand, n.loc, "cannot take the address of " + why_not,
          "& takes the address of a variable, a map's value, or a field or element of either "
          "or behind a pointer: &$x, &@m[k], &$task->comm");
    return;
  }
  error(DiagCode::InvalidOperand, n.loc,
        "& needs a variable, a map value or a field in memory, "
        "not a value",
        "& takes the address of a variable, a map's value, or a field or element "
        "of either or behind a pointer: &$x, &@m[k], &$task->comm");
}

bool TypeChecker::held_place(Expression *e, std::string &why_not) {
  if (dynamic_cast<Variable *>(e))
    return true;
  const Map *m = dynamic_cast<Map *>(e);
  if (auto *a = dynamic_cast<MapAccess *>(e))
    m = a->map;
  if (m) {
    if (m->map_id < 0)
      return false;
    const MapInfo &info = result_.resources.maps[static_cast<size_t>(m->map_id)];
    if (info.value.kind >= TypeKind::Count || info.per_cpu) {
      why_not = "a value of map @" + m->name + ", which has one copy per CPU (" +
                (info.value.kind >= TypeKind::Count ? "an aggregation" : "a per-CPU map") + ")";
      return false;
    }
    return true;
  }
  if (auto *t = dynamic_cast<TupleAccess *>(e))
    return held_place(t->base, why_not);
  if (auto *f = dynamic_cast<FieldAccess *>(e)) {
    const Type &bt = f->base->type;
    if (bt.kind != TypeKind::Record)
      return false;
    if (bt.btf_id > 0)
      if (auto field = btf_.field(bt, f->field); field && field->bitfield_bits) {
        why_not = "a bitfield";
        return false;
      }
    return held_place(f->base, why_not);
  }
  if (auto *i = dynamic_cast<Index *>(e)) {
    const TypeKind k = i->base->type.kind;
    return (k == TypeKind::Array || k == TypeKind::String || k == TypeKind::Tuple) &&
           held_place(i->base, why_not);
  }
  return false;
}

void TypeChecker::check_runtime_index(Index &n, uint32_t count) {
  if (quiet_ || count == 0 || constant_value(n.index))
    return;
  result_.resources.runtime_errors.push_back({DiagCode::InvalidOperand,
                                              "Index out of bounds: " + type_name(n.base->type) +
                                                  " has " + std::to_string(count) +
                                                  " elements; 0 is used as the element's value.",
                                              n.loc});
  n.bounds_warning = static_cast<int>(result_.resources.runtime_errors.size() - 1);
}

} // namespace scry
