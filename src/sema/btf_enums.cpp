// Kernel enums from BTF (part of KernelBtf, sema/btf.h): enum types with their enumerators
// (EnumInfo, base/types.h), enums by tag, and enumerators by name for bare identifiers
// (TCP_SYN_SENT, IPPROTO_TCP). Reads vmlinux and module BTF; writes nothing but its caches.
#include "parser/suggest.h"
#include "sema/btf.h"

#include <bpf/btf.h>
#include <linux/btf.h>

namespace scry {

namespace {

/// The enumerators of enum `t` of `in`: values as 64 bits, sign-extended when the enum is signed
/// (kflag set: pahole 1.24 and later mark signed enums so).
std::shared_ptr<EnumInfo> read_enum(struct btf *in, const struct btf_type *t) {
  auto info = std::make_shared<EnumInfo>();
  const char *name = btf__name_by_offset(in, t->name_off);
  info->name = name ? name : "";
  info->size = t->size;
  info->is_signed = btf_kflag(t);
  const __u16 n = btf_vlen(t);
  info->values.reserve(n);
  if (btf_kind(t) == BTF_KIND_ENUM64) {
    const struct btf_enum64 *e = btf_enum64(t);
    for (__u16 i = 0; i < n; ++i, ++e) {
      const char *en = btf__name_by_offset(in, e->name_off);
      info->values.emplace_back(btf_enum64_value(e), en ? en : "");
    }
  } else {
    const struct btf_enum *e = btf_enum(t);
    for (__u16 i = 0; i < n; ++i, ++e) {
      const char *en = btf__name_by_offset(in, e->name_off);
      // `val` is an __s32: extend by the enum's sign.
      const uint64_t v = info->is_signed ? static_cast<uint64_t>(static_cast<int64_t>(e->val))
                                         : static_cast<uint64_t>(static_cast<uint32_t>(e->val));
      info->values.emplace_back(v, en ? en : "");
    }
  }
  return info;
}

} // namespace

std::shared_ptr<const EnumInfo> KernelBtf::enum_info(struct btf *in, int32_t id) {
  // Ids below vmlinux's count are vmlinux's whichever split BTF (a module's, the program's C
  // definitions) `in` is.
  if (btf_ && id < static_cast<int32_t>(btf__type_cnt(btf_)))
    in = btf_;
  if (!in)
    return nullptr;
  const auto key = std::make_pair(static_cast<const void *>(in), id);
  if (auto it = enums_.find(key); it != enums_.end())
    return it->second;
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(id));
  if (!t || !btf_is_any_enum(t))
    return nullptr;
  std::shared_ptr<const EnumInfo> info = read_enum(in, t);
  enums_.emplace(key, info);
  return info;
}

std::optional<Type> KernelBtf::enum_type(std::string_view name) {
  if (name.empty())
    return std::nullopt;
  if (script_) {
    // The program's own C definitions first, as struct_type() has them.
    for (__u32 id = script_first_; id < btf__type_cnt(script_); ++id) {
      const struct btf_type *t = btf__type_by_id(script_, id);
      if (t && btf_is_any_enum(t) && name == btf__name_by_offset(script_, t->name_off))
        return type_of(static_cast<int32_t>(id));
    }
  }
  if (!load())
    return std::nullopt;
  const std::string n(name);
  __s32 id = btf__find_by_name_kind(btf_, n.c_str(), BTF_KIND_ENUM);
  if (id <= 0)
    id = btf__find_by_name_kind(btf_, n.c_str(), BTF_KIND_ENUM64);
  if (id <= 0)
    return std::nullopt;
  return type_of(id);
}

Type KernelBtf::complete_enum(const Type &t) {
  if (!t.is_integer() || !t.enumeration || t.enumeration->size != 0 ||
      !t.enumeration->values.empty())
    return t;
  Type out = t;
  std::optional<Type> full = enum_type(t.enumeration->name);
  out.enumeration = full ? full->enumeration : nullptr;
  return out;
}

void KernelBtf::index_enumerators() {
  if (enumerators_indexed_ || !load())
    return;
  enumerators_indexed_ = true;
  const __u32 count = btf__type_cnt(btf_);
  for (__u32 id = 1; id < count; ++id) {
    const struct btf_type *t = btf__type_by_id(btf_, id);
    if (!t || !btf_is_any_enum(t))
      continue;
    const bool wide = btf_kind(t) == BTF_KIND_ENUM64;
    const __u16 n = btf_vlen(t);
    for (__u16 i = 0; i < n; ++i) {
      const __u32 name_off = wide ? btf_enum64(t)[i].name_off : btf_enum(t)[i].name_off;
      const char *name = btf__name_by_offset(btf_, name_off);
      if (!name || !*name)
        continue;
      // emplace keeps the first: the enum earliest in BTF order wins.
      if (enumerators_.emplace(name, std::make_pair(static_cast<int32_t>(id), i)).second)
        enumerator_names_.emplace_back(name);
    }
  }
}

std::optional<BtfEnumerator> KernelBtf::enumerator(std::string_view name) {
  index_enumerators();
  auto it = enumerators_.find(std::string(name));
  if (it == enumerators_.end())
    return std::nullopt;
  std::shared_ptr<const EnumInfo> info = enum_info(btf_, it->second.first);
  if (!info || it->second.second >= info->values.size())
    return std::nullopt;
  BtfEnumerator e;
  e.value = info->values[it->second.second].first;
  e.type = make_enum_int(8, info);
  return e;
}

std::pair<std::string, std::string> KernelBtf::closest_enumerator(std::string_view name) {
  index_enumerators();
  std::string best = closest_match(name, enumerator_names_);
  if (best.empty())
    return {};
  auto e = enumerator(best);
  return {best, e ? type_name(e->type) : std::string()};
}

} // namespace scry
