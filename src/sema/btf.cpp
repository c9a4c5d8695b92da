#include "sema/btf.h"

#include <algorithm>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <linux/btf.h>
#include <sys/mman.h>
#include <unistd.h>

namespace scry {

KernelBtf::~KernelBtf() {
  if (script_)
    btf__free(script_);
  for (auto &[name, b] : modules_)
    if (b)
      btf__free(b);
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

struct btf *KernelBtf::types() {
  if (script_)
    return script_;
  return load() ? btf_ : nullptr;
}

bool KernelBtf::add_script_types(const std::vector<uint8_t> &raw, bool split) {
  if (script_ || raw.empty())
    return false;
  struct btf *base = split && load() ? btf_ : nullptr;
  if (split && !base)
    return false;
  // Read back through a memory file: Debian's libbpf 1.1 declares btf__new_split but its
  // library has none, and btf__parse_raw_split reads only a path.
  int fd = memfd_create("scry-c-types", MFD_CLOEXEC);
  if (fd < 0)
    return false;
  bool written = write(fd, raw.data(), raw.size()) == static_cast<ssize_t>(raw.size());
  struct btf *b = written
                      ? btf__parse_raw_split(("/proc/self/fd/" + std::to_string(fd)).c_str(), base)
                      : nullptr;
  close(fd);
  if (!b || libbpf_get_error(b))
    return false;
  script_ = b;
  script_first_ = base ? btf__type_cnt(base) : 1;
  return true;
}

uint32_t skip_btf_modifiers(const struct btf *in, uint32_t id) {
  for (int guard = 0; in && guard < 64 && id > 0; ++guard) {
    const struct btf_type *t = btf__type_by_id(in, id);
    if (!t)
      return 0;
    switch (btf_kind(t)) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      id = t->type;
      continue;
    default:
      return id;
    }
  }
  return id;
}

int32_t KernelBtf::skip_modifiers(int32_t id) {
  return id > 0 ? static_cast<int32_t>(skip_btf_modifiers(types(), static_cast<uint32_t>(id))) : id;
}

std::optional<Type> KernelBtf::named_type(std::string_view name, int kind) {
  if (script_) {
    // The program's own C definitions first: they may redefine a kernel type.
    for (__u32 id = script_first_; id < btf__type_cnt(script_); ++id) {
      const struct btf_type *t = btf__type_by_id(script_, id);
      if (t && btf_kind(t) == kind && name == btf__name_by_offset(script_, t->name_off))
        return type_of(static_cast<int32_t>(id));
    }
  }
  if (!load())
    return std::nullopt;
  std::string n(name);
  __s32 id = btf__find_by_name_kind(btf_, n.c_str(), kind);
  if (id <= 0)
    return std::nullopt;
  return type_of(id);
}

std::optional<Type> KernelBtf::struct_type(std::string_view name, bool is_union) {
  return named_type(name, is_union ? BTF_KIND_UNION : BTF_KIND_STRUCT);
}

Type KernelBtf::type_of(int32_t id) {
  struct btf *in = types();
  if (!in)
    return make_int(8, false);
  id = skip_modifiers(id);
  if (id == 0)
    return make_void();
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(id));
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
    return make_enum_int(size, enum_info(in, id));
  }
  case BTF_KIND_PTR: {
    int32_t target = skip_modifiers(static_cast<int32_t>(t->type));
    const struct btf_type *pt =
        target > 0 ? btf__type_by_id(in, static_cast<__u32>(target)) : nullptr;
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
    r.name = btf__name_by_offset(in, t->name_off);
    if (r.name.empty())
      r.name = "(anonymous)";
    return r;
  }
  case BTF_KIND_FWD: {
    Type r;
    r.kind = TypeKind::Record;
    r.btf_id = id;
    r.name = btf__name_by_offset(in, t->name_off);
    return r;
  }
  default:
    return make_int(8, false);
  }
}

std::optional<BtfField> KernelBtf::field(const Type &record, std::string_view name) {
  struct btf *in = types();
  if (!in || record.btf_id <= 0)
    return std::nullopt;
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(record.btf_id));
  if (!t || (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION))
    return std::nullopt;
  const struct btf_member *m = btf_members(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++m) {
    uint32_t bit_offset = btf_member_bit_offset(t, i);
    uint32_t bit_size = btf_member_bitfield_size(t, i);
    const char *mname = btf__name_by_offset(in, m->name_off);
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
  struct btf *in = types();
  if (!in || record.btf_id <= 0)
    return out;
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(record.btf_id));
  if (!t || (btf_kind(t) != BTF_KIND_STRUCT && btf_kind(t) != BTF_KIND_UNION))
    return out;
  const struct btf_member *m = btf_members(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++m) {
    const char *mname = btf__name_by_offset(in, m->name_off);
    if (mname && *mname)
      out += (out.empty() ? "" : ", ") + std::string(mname);
  }
  return out;
}

bool KernelBtf::is_kfunc(std::string_view name) {
  if (!load())
    return false;
  const std::string n(name);
  const __s32 id = btf__find_by_name_kind(btf_, n.c_str(), BTF_KIND_FUNC);
  if (id <= 0)
    return false;
  bool tags_kfuncs = false;
  const __u32 count = btf__type_cnt(btf_);
  for (__u32 i = 1; i < count; ++i) {
    const struct btf_type *t = btf__type_by_id(btf_, i);
    if (!btf_is_decl_tag(t) ||
        std::string_view(btf__name_by_offset(btf_, t->name_off)) != "bpf_kfunc")
      continue;
    tags_kfuncs = true;
    if (static_cast<__s32>(t->type) == id)
      return true;
  }
  return !tags_kfuncs;
}

std::optional<KernelVariable> KernelBtf::percpu_variable(std::string_view name, std::string &why) {
  if (!load()) {
    why = "the kernel has no BTF";
    return std::nullopt;
  }
  const std::string n(name);
  const __s32 id = btf__find_by_name_kind(btf_, n.c_str(), BTF_KIND_VAR);
  if (id <= 0) {
    why = "the kernel's BTF has no variable '" + n + "'";
    return std::nullopt;
  }
  const __s32 sec = btf__find_by_name_kind(btf_, ".data..percpu", BTF_KIND_DATASEC);
  bool percpu = false;
  if (sec > 0) {
    const struct btf_type *ds = btf__type_by_id(btf_, sec);
    const struct btf_var_secinfo *v = btf_var_secinfos(ds);
    for (__u16 i = 0; i < btf_vlen(ds) && !percpu; ++i)
      percpu = static_cast<__s32>(v[i].type) == id;
  }
  if (!percpu) {
    why = "'" + n + "' is a kernel variable, but not a per-CPU one";
    return std::nullopt;
  }
  const struct btf_type *t = btf__type_by_id(btf_, btf__type_by_id(btf_, id)->type);
  while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t)))
    t = btf__type_by_id(btf_, t->type);
  KernelVariable var;
  var.name = n;
  if (t && (btf_is_struct(t) || btf_is_union(t)) && t->name_off) {
    var.kind = btf_is_struct(t) ? KernelVariable::Kind::Struct : KernelVariable::Kind::Union;
    var.type_name = btf__name_by_offset(btf_, t->name_off);
    var.size = t->size;
  } else if (t && btf_is_int(t)) {
    var.kind = KernelVariable::Kind::Integer;
    var.size = t->size;
  } else {
    why = "percpu_kaddr() takes per-CPU variables of a named struct, union or integer type";
    return std::nullopt;
  }
  return var;
}

int32_t KernelBtf::task_struct_id() {
  if (!load())
    return 0;
  __s32 id = btf__find_by_name_kind(btf_, "task_struct", BTF_KIND_STRUCT);
  return id > 0 ? id : 0;
}

void append_btf_dump_text(void *ctx, const char *format, va_list args) {
  std::string &out = *static_cast<std::string *>(ctx);
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n <= 0)
    return;
  size_t at = out.size();
  out.resize(at + static_cast<size_t>(n) + 1);
  std::vsnprintf(out.data() + at, static_cast<size_t>(n) + 1, format, args);
  out.resize(at + static_cast<size_t>(n));
}

std::string c_declaration(struct btf *in, int32_t id, const std::string &name) {
  std::string out;
  struct btf_dump *d = btf_dump__new(in, append_btf_dump_text, &out, nullptr);
  if (!d)
    return name;
  LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = name.c_str());
  if (btf_dump__emit_type_decl(d, static_cast<__u32>(id), &opts) != 0)
    out = name;
  btf_dump__free(d);
  return out;
}

struct btf *KernelBtf::module_btf(const std::string &module) {
  for (auto &[name, b] : modules_)
    if (name == module)
      return b;
  struct btf *b = nullptr;
  if (load() && module.find('/') == std::string::npos && module != "vmlinux")
    b = btf__parse_split(("/sys/kernel/btf/" + module).c_str(), btf_);
  if (b && libbpf_get_error(b))
    b = nullptr;
  modules_.emplace_back(module, b);
  return b;
}

Type KernelBtf::type_in(struct btf *in, int32_t id) {
  if (in == btf_ || id < static_cast<int32_t>(btf__type_cnt(btf_)))
    return type_of(id);
  // A type only the module defines: integers by size, pointers as void pointers, the rest as
  // u64 (scry's struct types are vmlinux's).
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(id));
  for (int guard = 0; t && guard < 16; ++guard) {
    switch (btf_kind(t)) {
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG:
      if (static_cast<int32_t>(t->type) < static_cast<int32_t>(btf__type_cnt(btf_)))
        return type_of(static_cast<int32_t>(t->type));
      id = static_cast<int32_t>(t->type);
      t = btf__type_by_id(in, t->type);
      continue;
    case BTF_KIND_INT:
      return make_int(t->size == 1 || t->size == 2 || t->size == 4 ? t->size : 8,
                      (btf_int_encoding(t) & BTF_INT_SIGNED) != 0);
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      return make_enum_int(t->size == 1 || t->size == 2 || t->size == 4 ? t->size : 8,
                           enum_info(in, id));
    case BTF_KIND_PTR:
      return make_pointer(make_void(), AddressSpace::Kernel);
    default:
      return make_int(8, false);
    }
  }
  return make_int(8, false);
}

BtfFunction KernelBtf::prototype(struct btf *in, int32_t proto, size_t first) {
  BtfFunction f;
  const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(proto));
  f.return_type = t->type ? type_in(in, static_cast<int32_t>(t->type)) : make_void();
  f.return_c_type = t->type ? c_declaration(in, static_cast<int32_t>(t->type), "") : "void";
  const struct btf_param *p = btf_params(t);
  for (__u16 i = 0; i < btf_vlen(t); ++i, ++p) {
    if (i < first)
      continue;
    if (p->type == 0)
      break; // "..." in a variadic function
    BtfParam param;
    const char *name = btf__name_by_offset(in, p->name_off);
    param.name = name ? name : "";
    param.type = type_in(in, static_cast<int32_t>(p->type));
    param.c_decl = c_declaration(in, static_cast<int32_t>(p->type), param.name);
    f.params.push_back(std::move(param));
  }
  return f;
}

std::optional<BtfFunction> KernelBtf::function(std::string_view name, std::string_view module,
                                               std::string &error) {
  if (!load()) {
    error = error_;
    return std::nullopt;
  }
  struct btf *in = btf_;
  if (!module.empty() && module != "vmlinux") {
    in = module_btf(std::string(module));
    if (!in) {
      error = "module " + std::string(module) + " has no BTF (/sys/kernel/btf/" +
              std::string(module) + "): is it loaded?";
      return std::nullopt;
    }
  }
  std::string n(name);
  __s32 id = btf__find_by_name_kind(in, n.c_str(), BTF_KIND_FUNC);
  if (id <= 0) {
    error = "the kernel's BTF has no function " + n +
            (module.empty() ? "" : " in module " + std::string(module));
    return std::nullopt;
  }
  const struct btf_type *func = btf__type_by_id(in, static_cast<__u32>(id));
  BtfFunction f = prototype(in, static_cast<int32_t>(func->type), 0);
  f.name = n;
  f.module = in == btf_ ? "" : std::string(module);
  return f;
}

std::optional<BtfFunction> KernelBtf::raw_tracepoint(std::string_view name, std::string_view module,
                                                     std::string &error) {
  if (!load()) {
    error = error_;
    return std::nullopt;
  }
  const std::string type_name = "btf_trace_" + std::string(name);
  std::vector<std::string> where;
  if (module.empty() || module == "vmlinux")
    where.push_back("");
  if (!module.empty() && module != "vmlinux")
    where.push_back(std::string(module));
  else
    for (const std::string &m : btf_modules())
      where.push_back(m);
  for (const std::string &m : where) {
    struct btf *in = m.empty() ? btf_ : module_btf(m);
    if (!in)
      continue;
    // The kernel's __bpf_trace_NAME(void *__data, ARGS...) has the arguments' names. An event
    // defined from a class (DEFINE_EVENT) has none: its __probestub_NAME, of the same shape,
    // names them (Linux 6.4+, include/linux/tracepoint.h). The typedef, whose prototype names
    // none, is the fallback.
    for (const char *prefix : {"__bpf_trace_", "__probestub_"}) {
      const std::string func_name = prefix + std::string(name);
      __s32 func = btf__find_by_name_kind(in, func_name.c_str(), BTF_KIND_FUNC);
      if (func > 0 && (m.empty() || func >= static_cast<__s32>(btf__type_cnt(btf_)))) {
        const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(func));
        BtfFunction f = prototype(in, static_cast<int32_t>(t->type), 1);
        f.name = std::string(name);
        f.module = m;
        return f;
      }
    }
    __s32 id = btf__find_by_name_kind(in, type_name.c_str(), BTF_KIND_TYPEDEF);
    if (id <= 0 || (!m.empty() && id < static_cast<__s32>(btf__type_cnt(btf_))))
      continue;
    // typedef void (*btf_trace_NAME)(void *__data, ARGS...);
    const struct btf_type *t = btf__type_by_id(in, static_cast<__u32>(id));
    const struct btf_type *ptr = btf__type_by_id(in, t->type);
    if (!ptr || btf_kind(ptr) != BTF_KIND_PTR)
      continue;
    const struct btf_type *proto = btf__type_by_id(in, ptr->type);
    if (!proto || btf_kind(proto) != BTF_KIND_FUNC_PROTO)
      continue;
    BtfFunction f = prototype(in, static_cast<int32_t>(ptr->type), 1);
    f.name = std::string(name);
    f.module = m;
    f.return_type = make_void();
    f.return_c_type = "void";
    return f;
  }
  error = "the kernel's BTF has no raw tracepoint " + std::string(name) +
          (module.empty() ? "" : " in module " + std::string(module));
  return std::nullopt;
}

std::vector<std::string> KernelBtf::btf_modules() {
  std::vector<std::string> out;
  if (DIR *d = opendir("/sys/kernel/btf")) {
    while (dirent *e = readdir(d))
      if (e->d_name[0] != '.' && std::strcmp(e->d_name, "vmlinux") != 0)
        out.emplace_back(e->d_name);
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

/// The names of `in`'s types of `kind` from id `first` on, with `prefix` removed (those without
/// it left out), appended to `out` as functions of `module`.
void collect(struct btf *in, __u32 first, int kind, std::string_view prefix,
             const std::string &module, std::vector<KernelFunction> &out) {
  for (__u32 id = first; id < btf__type_cnt(in); ++id) {
    const struct btf_type *t = btf__type_by_id(in, id);
    if (!t || btf_kind(t) != kind)
      continue;
    std::string_view name = btf__name_by_offset(in, t->name_off);
    if (!name.starts_with(prefix))
      continue;
    out.push_back({std::string(name.substr(prefix.size())), module});
  }
}

} // namespace

std::vector<KernelFunction> KernelBtf::all_named(int kind, std::string_view prefix) {
  std::vector<KernelFunction> out;
  if (!load())
    return out;
  collect(btf_, 1, kind, prefix, "", out);
  for (const std::string &m : btf_modules())
    if (struct btf *in = module_btf(m))
      collect(in, btf__type_cnt(btf_), kind, prefix, m, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<KernelFunction> KernelBtf::functions() {
  return all_named(BTF_KIND_FUNC, "");
}

std::vector<KernelFunction> KernelBtf::raw_tracepoints() {
  return all_named(BTF_KIND_TYPEDEF, "btf_trace_");
}

std::optional<Type> KernelBtf::typedef_type(std::string_view name) {
  return named_type(name, BTF_KIND_TYPEDEF);
}

} // namespace scry
