#include "base/types.h"

#include <algorithm>

namespace scry {

namespace {

uint32_t align_up(uint32_t n, uint32_t a) {
  return (n + a - 1) / a * a;
}

Type make_struct_like(TypeKind kind, const std::vector<std::pair<std::string, Type>> &parts,
                      std::string name) {
  auto fields = std::make_shared<std::vector<Field>>();
  uint32_t offset = 0, align = 1;
  for (const auto &[field_name, t] : parts) {
    offset = align_up(offset, t.align);
    fields->push_back({field_name, std::make_shared<const Type>(t), offset});
    offset += t.size;
    align = std::max(align, t.align);
  }
  Type t;
  t.kind = kind;
  t.size = align_up(std::max<uint32_t>(offset, 1), align);
  t.align = align;
  t.fields = std::move(fields);
  t.name = std::move(name);
  return t;
}

} // namespace

bool Type::operator==(const Type &o) const {
  if (kind != o.kind || size != o.size || is_signed != o.is_signed || count != o.count ||
      name != o.name || is_user_stack != o.is_user_stack || stack_mode != o.stack_mode ||
      hist_bits != o.hist_bits || lhist_min != o.lhist_min || lhist_max != o.lhist_max ||
      lhist_step != o.lhist_step || tseries_interval_ns != o.tseries_interval_ns ||
      tseries_intervals != o.tseries_intervals || tseries_agg != o.tseries_agg)
    return false;
  if ((enumeration == nullptr) != (o.enumeration == nullptr) ||
      (enumeration && !same_enum(enumeration, o.enumeration)))
    return false;
  if (kind == TypeKind::Pointer && address_space != o.address_space)
    return false;
  if ((elem == nullptr) != (o.elem == nullptr) || (elem && !(*elem == *o.elem)))
    return false;
  if ((fields == nullptr) != (o.fields == nullptr))
    return false;
  if (fields) {
    if (fields->size() != o.fields->size())
      return false;
    for (size_t i = 0; i < fields->size(); ++i) {
      const Field &a = (*fields)[i], &b = (*o.fields)[i];
      if (a.name != b.name || a.offset != b.offset || !(*a.type == *b.type))
        return false;
    }
  }
  return true;
}

Type make_int(uint32_t bytes, bool is_signed) {
  Type t;
  t.kind = TypeKind::Integer;
  t.size = t.align = bytes;
  t.is_signed = is_signed;
  return t;
}

const std::string *EnumInfo::name_of(uint64_t bits, uint32_t value_bytes) const {
  uint32_t bytes = std::min(size == 0 ? 8u : size, value_bytes == 0 ? 8u : value_bytes);
  const uint64_t mask = bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
  for (const auto &[value, enumerator] : values)
    if (((value ^ bits) & mask) == 0)
      return &enumerator;
  return nullptr;
}

bool same_enum(const std::shared_ptr<const EnumInfo> &a, const std::shared_ptr<const EnumInfo> &b) {
  if (!a || !b)
    return false;
  return a == b || (!a->name.empty() && a->name == b->name);
}

Type make_enum_int(uint32_t bytes, std::shared_ptr<const EnumInfo> info) {
  Type t = make_int(bytes, info && info->is_signed);
  t.enumeration = std::move(info);
  return t;
}

bool is_signed_operation(const Type &l, const Type &r) {
  if (l.is_signed == r.is_signed)
    return l.is_signed;
  const Type &unsigned_side = l.is_signed ? r : l;
  return unsigned_side.size < 8;
}

Type make_bool() {
  Type t;
  t.kind = TypeKind::Boolean;
  t.size = t.align = 1;
  return t;
}

Type make_string(uint32_t bytes) {
  Type t;
  t.kind = TypeKind::String;
  t.size = bytes;
  t.align = 1;
  return t;
}

Type make_buffer(uint32_t data_bytes) {
  Type t;
  t.kind = TypeKind::Buffer;
  t.size = 4 + data_bytes;
  t.align = 4;
  return t;
}

Type make_pointer(const Type &pointee, AddressSpace as) {
  Type t;
  t.kind = TypeKind::Pointer;
  t.size = t.align = 8;
  t.elem = std::make_shared<const Type>(pointee);
  t.address_space = as;
  return t;
}

Type make_array(const Type &elem, uint32_t count) {
  Type t;
  t.kind = TypeKind::Array;
  t.size = elem.size * count;
  t.align = elem.align;
  t.count = count;
  t.elem = std::make_shared<const Type>(elem);
  return t;
}

Type make_tuple_type(const std::vector<Type> &parts) {
  std::vector<std::pair<std::string, Type>> named;
  for (const Type &p : parts)
    named.emplace_back("", p);
  return make_struct_like(TypeKind::Tuple, named, {});
}

Type make_record_type(const std::vector<std::pair<std::string, Type>> &parts, std::string name) {
  return make_struct_like(TypeKind::Record, parts, std::move(name));
}

Type make_stack(bool user, StackMode mode, uint32_t frames) {
  Type t;
  t.kind = TypeKind::Stack;
  t.size = (user ? kUstackHeader : kKstackHeader) +
           (mode == StackMode::BuildId ? kBuildIdFrameBytes : 8) * frames;
  t.align = 8;
  t.is_user_stack = user;
  t.stack_mode = mode;
  t.count = frames;
  return t;
}

Type make_ksym() {
  Type t;
  t.kind = TypeKind::Ksym;
  t.size = t.align = 8;
  return t;
}

Type make_usym() {
  Type t;
  t.kind = TypeKind::Usym;
  t.size = 16;
  t.align = 8;
  return t;
}

const char *stack_mode_name(StackMode mode) {
  switch (mode) {
  case StackMode::Bpftrace:
    return "bpftrace";
  case StackMode::Perf:
    return "perf";
  case StackMode::Raw:
    return "raw";
  case StackMode::BuildId:
    return "build_id";
  case StackMode::Folded:
    return "folded";
  }
  return "bpftrace";
}

Type make_timestamp(const std::string &format, bool tai) {
  Type t;
  t.count = tai ? 1 : 0;
  t.kind = TypeKind::Timestamp;
  t.size = t.align = 8;
  t.name = format;
  return t;
}

Type make_inet() {
  Type t;
  t.kind = TypeKind::Inet;
  t.size = kInetSize;
  t.align = 8;
  return t;
}

Type make_username() {
  Type t;
  t.kind = TypeKind::Username;
  t.size = t.align = 8;
  return t;
}

Type make_macaddr() {
  Type t;
  t.kind = TypeKind::MacAddress;
  t.size = 6;
  t.align = 1;
  return t;
}

Type make_cgroup_path(const std::string &filter) {
  Type t;
  t.kind = TypeKind::CgroupPath;
  t.size = t.align = 8;
  t.name = filter;
  return t;
}

Type make_void() {
  Type t;
  t.kind = TypeKind::Void;
  return t;
}

Type make_aggregation(TypeKind kind, bool is_signed) {
  Type t;
  t.kind = kind;
  t.align = 8;
  t.is_signed = is_signed;
  switch (kind) {
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
  case TypeKind::Stats:
    t.size = 16;
    break;
  case TypeKind::Tseries:
    t.size = 24;
    break;
  default:
    t.size = 8;
    break;
  }
  return t;
}

std::string type_name(const Type &t) {
  switch (t.kind) {
  case TypeKind::None:
    return "none";
  case TypeKind::Void:
    return "void";
  case TypeKind::Integer:
    if (t.enumeration)
      return "enum " + (t.enumeration->name.empty() ? "(anonymous)" : t.enumeration->name);
    return std::string(t.is_signed ? "int" : "uint") + std::to_string(t.size * 8);
  case TypeKind::Boolean:
    return "bool";
  case TypeKind::String:
    return "string[" + std::to_string(t.size) + "]";
  case TypeKind::Buffer:
    return "buffer[" + std::to_string(t.size - 4) + "]";
  case TypeKind::Pointer:
    return (t.elem ? type_name(*t.elem) : "void") + " *";
  case TypeKind::Array:
    return (t.elem ? type_name(*t.elem) : "?") + "[" + std::to_string(t.count) + "]";
  case TypeKind::Record: {
    if (!t.name.empty())
      return "struct " + t.name;
    std::string s = "record(";
    for (size_t i = 0; t.fields && i < t.fields->size(); ++i)
      s += (i ? "," : "") + (*t.fields)[i].name + "=" + type_name(*(*t.fields)[i].type);
    return s + ")";
  }
  case TypeKind::Tuple: {
    std::string s = "(";
    for (size_t i = 0; t.fields && i < t.fields->size(); ++i)
      s += (i ? "," : "") + type_name(*(*t.fields)[i].type);
    return s + ")";
  }
  case TypeKind::Stack: {
    std::string s = t.is_user_stack ? "ustack" : "kstack";
    if (t.stack_mode == StackMode::Bpftrace && t.count == kDefaultStackFrames)
      return s;
    return s + "(" + stack_mode_name(t.stack_mode) + ", " + std::to_string(t.count) + ")";
  }
  case TypeKind::Ksym:
    return "ksym_t";
  case TypeKind::Usym:
    return "usym_t";
  case TypeKind::Timestamp:
    return "timestamp";
  case TypeKind::Inet:
    return "inet";
  case TypeKind::Username:
    return "username";
  case TypeKind::MacAddress:
    return "macaddr_t";
  case TypeKind::CgroupPath:
    return "cgroup_path_t";
  case TypeKind::Count:
    return "count_t";
  case TypeKind::Sum:
    return "sum_t";
  case TypeKind::Min:
    return "min_t";
  case TypeKind::Max:
    return "max_t";
  case TypeKind::Avg:
    return "avg_t";
  case TypeKind::Stats:
    return "stats_t";
  case TypeKind::Hist:
    return "hist_t";
  case TypeKind::Lhist:
    return "lhist_t";
  case TypeKind::Tseries:
    return "tseries_t";
  }
  return "?";
}

} // namespace scry
