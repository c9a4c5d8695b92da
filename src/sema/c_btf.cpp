#include "sema/c_btf.h"

#include <linux/btf.h>

namespace scry::cdefs {

std::string BtfWriter::tag(CXCursor decl) {
  if (c_.clang_Cursor_isAnonymousRecordDecl(decl))
    return {};
  std::string name = take(c_, c_.clang_getCursorSpelling(decl));
  // Clang spells an unnamed struct "struct (unnamed at FILE:LINE:COL)" in some contexts.
  if (name.find(' ') != std::string::npos || name.find('(') != std::string::npos)
    return {};
  return name;
}

int BtfWriter::kernel_id(const std::string &name, int kind) {
  if (!vmlinux_ || name.empty())
    return -1;
  __s32 id = btf__find_by_name_kind(vmlinux_, name.c_str(), kind);
  if (id <= 0 && kind == BTF_KIND_ENUM)
    id = btf__find_by_name_kind(vmlinux_, name.c_str(), BTF_KIND_ENUM64);
  return id > 0 ? id : -1;
}

int BtfWriter::int_id(const std::string &name, uint32_t size, int encoding) {
  auto it = ints_.find(name);
  if (it != ints_.end())
    return it->second;
  int id = check(btf__add_int(out_, name.c_str(), size, encoding), name.c_str());
  ints_.emplace(name, id);
  return id;
}

int BtfWriter::type_id(CXType t) {
  t = c_.clang_getCanonicalType(t);
  const long long size = c_.clang_Type_getSizeOf(t);
  switch (t.kind) {
  case CXType_Void:
    return 0;
  case CXType_Bool:
    return int_id("_Bool", 1, BTF_INT_BOOL);
  case CXType_Char_S:
  case CXType_SChar:
    return int_id("char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
  case CXType_Char_U:
  case CXType_UChar:
    return int_id("unsigned char", 1, BTF_INT_CHAR);
  case CXType_Short:
  case CXType_Int:
  case CXType_Long:
  case CXType_LongLong:
  case CXType_Int128:
  case CXType_WChar:
    return int_id(take(c_, c_.clang_getTypeSpelling(t)), static_cast<uint32_t>(size),
                  BTF_INT_SIGNED);
  case CXType_UShort:
  case CXType_UInt:
  case CXType_ULong:
  case CXType_ULongLong:
  case CXType_UInt128:
  case CXType_Char16:
  case CXType_Char32:
    return int_id(take(c_, c_.clang_getTypeSpelling(t)), static_cast<uint32_t>(size), 0);
  case CXType_Float:
  case CXType_Double:
  case CXType_LongDouble: {
    std::string name = take(c_, c_.clang_getTypeSpelling(t));
    auto it = ints_.find(name);
    if (it != ints_.end())
      return it->second;
    int id = check(btf__add_float(out_, name.c_str(), static_cast<size_t>(size)), "a float");
    ints_.emplace(name, id);
    return id;
  }
  case CXType_Pointer: {
    int id = check(btf__add_ptr(out_, 0), "a pointer");
    pointers_.emplace_back(id, c_.clang_getPointeeType(t));
    return id;
  }
  case CXType_ConstantArray:
  case CXType_IncompleteArray: {
    int elem = type_id(c_.clang_getArrayElementType(t));
    long long n = t.kind == CXType_ConstantArray ? c_.clang_getArraySize(t) : 0;
    int index = int_id("int", 4, BTF_INT_SIGNED);
    return check(btf__add_array(out_, index, elem, static_cast<__u32>(n)), "an array");
  }
  case CXType_Record:
    return record_id(c_.clang_getTypeDeclaration(t));
  case CXType_Enum:
    return enum_id(c_.clang_getTypeDeclaration(t));
  case CXType_FunctionProto:
  case CXType_FunctionNoProto:
    return 0; // a function pointer is read as a void pointer
  default:
    // Vectors, _Complex, _Atomic ...: bytes of the same size, so that what follows keeps its
    // place.
    if (size <= 0)
      return 0;
    return check(btf__add_array(out_, int_id("int", 4, BTF_INT_SIGNED),
                                int_id("unsigned char", 1, BTF_INT_CHAR), static_cast<__u32>(size)),
                 "an array");
  }
}

int BtfWriter::record_id(CXCursor decl) {
  decl = c_.clang_getCanonicalCursor(decl);
  const std::string k = key(decl);
  if (auto it = decls_.find(k); it != decls_.end())
    return it->second;
  const bool is_union = c_.clang_getCursorKind(decl) == CXCursor_UnionDecl;
  CXCursor def = c_.clang_getCursorDefinition(decl);
  const std::string name = tag(decl);
  if (c_.clang_Cursor_isNull(def) || from_kernel(def)) {
    // Declared only, or dumped from the kernel's BTF: the kernel's own type.
    int id = kernel_id(name, is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
    if (id < 0)
      id = check(btf__add_fwd(out_, name.c_str(), is_union ? BTF_FWD_UNION : BTF_FWD_STRUCT),
                 "a declaration");
    decls_.emplace(k, id);
    return id;
  }
  struct Member {
    std::string name;
    CXType type;
    long long bit_offset;
    unsigned bits;
  };
  struct Visit {
    const Libclang &c;
    std::vector<Member> members;
  } visit{c_, {}};
  c_.clang_Type_visitFields(
      c_.clang_getCursorType(def),
      [](CXCursor field, CXClientData data) {
        auto &v = *static_cast<Visit *>(data);
        Member m;
        m.name = take(v.c, v.c.clang_getCursorSpelling(field));
        m.type = v.c.clang_getCursorType(field);
        m.bit_offset = v.c.clang_Cursor_getOffsetOfField(field);
        m.bits = v.c.clang_Cursor_isBitField(field)
                     ? static_cast<unsigned>(v.c.clang_getFieldDeclBitWidth(field))
                     : 0;
        v.members.push_back(std::move(m));
        return CXVisit_Continue;
      },
      &visit);
  // The members' types first: BTF lists a struct's members right after it.
  std::vector<int> member_types;
  for (const Member &m : visit.members)
    member_types.push_back(type_id(m.type));
  const long long size = c_.clang_Type_getSizeOf(c_.clang_getCursorType(def));
  int id = check(is_union ? btf__add_union(out_, name.c_str(), static_cast<__u32>(size))
                          : btf__add_struct(out_, name.c_str(), static_cast<__u32>(size)),
                 "a struct");
  for (size_t i = 0; i < visit.members.size(); ++i) {
    const Member &m = visit.members[i];
    check(btf__add_field(out_, m.name.empty() ? nullptr : m.name.c_str(), member_types[i],
                         static_cast<__u32>(m.bit_offset < 0 ? 0 : m.bit_offset), m.bits),
          "a member");
  }
  decls_.emplace(k, id);
  return id;
}

int BtfWriter::enum_id(CXCursor decl) {
  decl = c_.clang_getCanonicalCursor(decl);
  const std::string k = key(decl);
  if (auto it = decls_.find(k); it != decls_.end())
    return it->second;
  CXCursor def = c_.clang_getCursorDefinition(decl);
  const std::string name = tag(decl);
  CXType type = c_.clang_getCursorType(c_.clang_Cursor_isNull(def) ? decl : def);
  long long size = c_.clang_Type_getSizeOf(type);
  if (size != 1 && size != 2 && size != 4 && size != 8)
    size = 4;
  if (c_.clang_Cursor_isNull(def) || from_kernel(def)) {
    int id = kernel_id(name, BTF_KIND_ENUM);
    if (id < 0)
      id = int_id(size == 8 ? "unsigned long" : "unsigned int", static_cast<uint32_t>(size), 0);
    decls_.emplace(k, id);
    return id;
  }
  CXType integer = c_.clang_getCanonicalType(c_.clang_getEnumDeclIntegerType(def));
  const bool is_signed = integer.kind == CXType_Int || integer.kind == CXType_Long ||
                         integer.kind == CXType_LongLong || integer.kind == CXType_Short ||
                         integer.kind == CXType_SChar || integer.kind == CXType_Char_S;
  std::vector<std::pair<std::string, long long>> values;
  bool wide = false;
  for_each_child(c_, def, [&](CXCursor e) {
    if (c_.clang_getCursorKind(e) != CXCursor_EnumConstantDecl)
      return;
    long long v = is_signed ? c_.clang_getEnumConstantDeclValue(e)
                            : static_cast<long long>(c_.clang_getEnumConstantDeclUnsignedValue(e));
    wide = wide || v < INT32_MIN || v > static_cast<long long>(UINT32_MAX) ||
           (!is_signed && static_cast<unsigned long long>(v) > UINT32_MAX);
    values.emplace_back(take(c_, c_.clang_getCursorSpelling(e)), v);
  });
  int id;
  if (wide) {
    id = check(btf__add_enum64(out_, name.c_str(), static_cast<__u32>(size), is_signed), "an enum");
    for (const auto &[n, v] : values)
      check(btf__add_enum64_value(out_, n.c_str(), static_cast<__u64>(v)), "an enumerator");
  } else {
    id = check(btf__add_enum(out_, name.c_str(), static_cast<__u32>(size)), "an enum");
    for (const auto &[n, v] : values)
      check(btf__add_enum_value(out_, n.c_str(), v), "an enumerator");
  }
  decls_.emplace(k, id);
  return id;
}

void BtfWriter::finish() {
  // Patched after the fact: a pointer may be written before its pointee (struct node { struct
  // node *next; }), and BTF has no way to name a type that comes later but its id. The pointee
  // may itself hold pointers, hence the loop.
  while (!pointers_.empty()) {
    auto [id, pointee] = pointers_.back();
    pointers_.pop_back();
    int target = type_id(pointee);
    auto *t = const_cast<struct btf_type *>(btf__type_by_id(out_, static_cast<__u32>(id)));
    if (t)
      t->type = static_cast<__u32>(target);
  }
}

} // namespace scry::cdefs
