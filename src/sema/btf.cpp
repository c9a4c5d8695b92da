#include "sema/btf.h"

#include <bpf/btf.h>
#include <cerrno>
#include <cstring>
#include <linux/btf.h>

namespace scry {

KernelBtf::~KernelBtf() {
  if (btf_)
    btf__free(btf_);
}

bool KernelBtf::load() {
  if (tried_)
    return btf_ != nullptr;
  tried_ = true;
  btf_ = btf__load_vmlinux_btf();
  if (!btf_) {
    error_ = std::string("cannot load the kernel's BTF (/sys/kernel/btf/vmlinux): ") +
             std::strerror(errno);
    return false;
  }
  return true;
}

int32_t KernelBtf::skip_modifiers(int32_t id) {
  for (int guard = 0; guard < 64 && id > 0; ++guard) {
    const struct btf_type *t = btf__type_by_id(btf_, static_cast<__u32>(id));
    if (!t)
      return 0;
    switch (btf_kind(t)) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      id = static_cast<int32_t>(t->type);
      continue;
    default:
      return id;
    }
  }
  return id;
}

std::optional<Type> KernelBtf::struct_type(std::string_view name, bool is_union) {
  if (!load())
    return std::nullopt;
  std::string n(name);
  __s32 id = btf__find_by_name_kind(btf_, n.c_str(), is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
  if (id <= 0)
    return std::nullopt;
  return type_of(id);
}

Type KernelBtf::type_of(int32_t id) {
  if (!load())
    return make_int(8, false);
  id = skip_modifiers(id);
  if (id == 0)
    return make_void();
  const struct btf_type *t = btf__type_by_id(btf_, static_cast<__u32>(id));
  if (!t)
    return make_int(8, false);
  switch (btf_kind(t)) {
  case BTF_KIND_INT: {
    __u32 enc = btf_int_encoding(t);
    if (enc & BTF_INT_BOOL)
      return make_bool();
    uint32_t size = t->size;
    if (size != 1 && size != 2 && size != 4 && size != 8)
      size = 8; // __int128 and friends: the low 64 bits
    return make_int(size, (enc & BTF_INT_SIGNED) != 0);
  }
  case BTF_KIND_ENUM:
  case BTF_KIND_ENUM64: {
    uint32_t size = t->size == 1 || t->size == 2 || t->size == 4 ? t->size : 8;
    return make_int(size, btf_kflag(t));
  }
  case BTF_KIND_PTR: {
    int32_t target = skip_modifiers(static_cast<int32_t>(t->type));
    const struct btf_type *pt =
        target > 0 ? btf__type_by_id(btf_, static_cast<__u32>(target)) : nullptr;
    Type pointee;
    if (!pt || btf_kind(pt) == BTF_KIND_FUNC_PROTO)
      pointee = make_void();
    else
      pointee = type_of(target);
    Type p = make_pointer(pointee, AddressSpace::Kernel);
    p.btf_id = target;
    return p;
  }
  case BTF_KIND_ARRAY: {
    const struct btf_array *a = btf_array(t);
    Type elem = type_of(static_cast<int32_t>(a->type));
    if (elem.kind == TypeKind::Integer && elem.size == 1)
      return make_string(a->nelems ? a->nelems : 1);
    return make_array(elem, a->nelems);
  }
  case BTF_KIND_STRUCT:
  case BTF_KIND_UNION: {
    Type r;
    r.kind = TypeKind::Record;
    r.size = t->size;
    r.align = 8;
    r.btf_id = id;
    r.name = btf__name_by_offset(btf_, t->name_off);
    if (r.name.empty())
      r.name = "(anonymous)";
    return r;
  }
  case BTF_KIND_FWD: {
    Type r;
    r.kind = TypeKind::Record;
    r.btf_id = id;
    r.name = btf__name_by_offset(btf_, t->name_off);
    return r;
  }
  default:
    return make_int(8, false);
  }
}

std::optional<BtfField> KernelBtf::field(const Type &record, std::string_view name) {
  if (!load() || record.btf_id <= 0)
    return std::nullopt;
  const struct btf_type *t = btf__type_by_id(btf_, static_cast<__u32>(record.btf_id));
  if (!t || (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION))
    return std::nullopt;
  const struct btf_member *m = btf_members(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++m) {
    uint32_t bit_offset = btf_member_bit_offset(t, i);
    uint32_t bit_size = btf_member_bitfield_size(t, i);
    const char *mname = btf__name_by_offset(btf_, m->name_off);
    if (mname && *mname) {
      if (name != mname)
        continue;
      BtfField f;
      f.type = type_of(static_cast<int32_t>(m->type));
      if (bit_size == 0 && bit_offset % 8 == 0) {
        f.offset = bit_offset / 8;
      } else {
        // A bitfield: load the storage unit of the member's type that contains it.
        uint32_t unit = f.type.size ? f.type.size : 4;
        f.offset = bit_offset / 8 / unit * unit;
        f.bitfield_shift = bit_offset - f.offset * 8;
        f.bitfield_bits = bit_size ? bit_size : unit * 8;
      }
      return f;
    }
    // Anonymous struct or union: its members belong to this struct.
    Type inner = type_of(static_cast<int32_t>(m->type));
    if (inner.kind != TypeKind::Record)
      continue;
    if (auto f = field(inner, name)) {
      f->offset += bit_offset / 8;
      return f;
    }
  }
  return std::nullopt;
}

std::string KernelBtf::member_names(const Type &record) {
  std::string out;
  if (!load() || record.btf_id <= 0)
    return out;
  const struct btf_type *t = btf__type_by_id(btf_, static_cast<__u32>(record.btf_id));
  if (!t || (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION))
    return out;
  const struct btf_member *m = btf_members(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++m) {
    const char *mname = btf__name_by_offset(btf_, m->name_off);
    if (mname && *mname)
      out += (out.empty() ? "" : ", ") + std::string(mname);
  }
  return out;
}

int32_t KernelBtf::task_struct_id() {
  if (!load())
    return 0;
  __s32 id = btf__find_by_name_kind(btf_, "task_struct", BTF_KIND_STRUCT);
  return id > 0 ? id : 0;
}

} // namespace scry
