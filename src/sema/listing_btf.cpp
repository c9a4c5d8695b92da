#include "sema/listing_btf.h"

#include "sema/btf.h"

#include <algorithm>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cstdarg>
#include <cstdio>
#include <dirent.h>
#include <set>

namespace scry {

namespace {

const char *name_of(const struct btf *b, uint32_t offset) {
  const char *name = btf__name_by_offset(b, offset);
  return name ? name : "";
}

} // namespace

ListingBtf::~ListingBtf() {
  for (Object &o : objects_) {
    btf_dump__free(o.dump);
    btf__free(o.btf);
  }
}

bool ListingBtf::load(std::string &error) {
  if (!tried_) {
    tried_ = true;
    struct btf *vmlinux = btf__parse("/sys/kernel/btf/vmlinux", nullptr);
    if (libbpf_get_error(vmlinux)) {
      error_ = "cannot read the kernel's BTF (/sys/kernel/btf/vmlinux): the kernel was built "
               "without CONFIG_DEBUG_INFO_BTF";
    } else {
      objects_.push_back({"", vmlinux, 1, nullptr, nullptr});
      const int first_module_id = static_cast<int>(btf__type_cnt(vmlinux));
      std::vector<std::string> modules;
      if (DIR *dir = opendir("/sys/kernel/btf")) {
        while (dirent *e = readdir(dir)) {
          std::string name = e->d_name;
          if (name != "." && name != ".." && name != "vmlinux")
            modules.push_back(name);
        }
        closedir(dir);
      }
      std::sort(modules.begin(), modules.end());
      for (const std::string &m : modules) {
        struct btf *b = btf__parse_split(("/sys/kernel/btf/" + m).c_str(), vmlinux);
        if (!libbpf_get_error(b))
          objects_.push_back({m, b, first_module_id, nullptr, nullptr});
      }
      ok_ = true;
    }
  }
  error = error_;
  return ok_;
}

ListingBtf::Object *ListingBtf::object(std::string_view module) {
  if (module == "vmlinux")
    module = "";
  for (Object &o : objects_)
    if (o.module == module)
      return &o;
  return nullptr;
}

std::vector<KernelFunction> ListingBtf::functions() {
  std::vector<KernelFunction> out;
  for (const Object &o : objects_) {
    const int count = static_cast<int>(btf__type_cnt(o.btf));
    for (int id = o.first_id; id < count; ++id) {
      const btf_type *t = btf__type_by_id(o.btf, id);
      if (btf_is_func(t))
        out.push_back({name_of(o.btf, t->name_off), o.module});
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<KernelFunction> ListingBtf::raw_tracepoints() {
  static constexpr std::string_view kPrefix = "btf_trace_";
  std::vector<KernelFunction> out;
  for (const Object &o : objects_) {
    const int count = static_cast<int>(btf__type_cnt(o.btf));
    for (int id = o.first_id; id < count; ++id) {
      const btf_type *t = btf__type_by_id(o.btf, id);
      if (!btf_is_typedef(t))
        continue;
      std::string_view name = name_of(o.btf, t->name_off);
      if (name.starts_with(kPrefix))
        out.push_back({std::string(name.substr(kPrefix.size())), o.module});
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> ListingBtf::iterators() {
  static constexpr std::string_view kPrefix = "bpf_iter__";
  std::vector<std::string> out;
  if (objects_.empty())
    return out;
  const struct btf *b = objects_.front().btf;
  const int count = static_cast<int>(btf__type_cnt(b));
  for (int id = 1; id < count; ++id) {
    const btf_type *t = btf__type_by_id(b, id);
    if (!btf_is_struct(t))
      continue;
    std::string_view name = name_of(b, t->name_off);
    if (!name.starts_with(kPrefix))
      continue;
    std::string iter(name.substr(kPrefix.size()));
    if (btf__find_by_name_kind(b, ("bpf_iter_" + iter).c_str(), BTF_KIND_FUNC) > 0)
      out.push_back(iter);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string ListingBtf::declaration(Object &o, int id, const std::string &name, int indent) {
  // btf_dump keeps state for the types it has seen: one per object, made on first use.
  if (!o.dump) {
    o.text = std::make_unique<std::string>();
    o.dump = btf_dump__new(o.btf, append_btf_dump_text, o.text.get(), nullptr);
    if (libbpf_get_error(o.dump))
      o.dump = nullptr;
  }
  o.text->clear();
  LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts);
  opts.field_name = name.c_str();
  opts.indent_level = indent;
  if (!o.dump || btf_dump__emit_type_decl(o.dump, static_cast<uint32_t>(id), &opts) != 0)
    return "?";
  return *o.text;
}

std::vector<std::string> ListingBtf::params(Object &o, int proto, size_t first, bool with_retval) {
  std::vector<std::string> out;
  const struct btf *b = o.btf;
  const btf_type *p = btf__type_by_id(b, static_cast<uint32_t>(proto));
  if (!p || !btf_is_func_proto(p))
    return out;
  const btf_param *params = btf_params(p);
  const size_t count = btf_vlen(p);
  for (size_t i = first; i < count; ++i) {
    if (params[i].type == 0) { // a variadic function's last "parameter"
      out.emplace_back("...");
      continue;
    }
    // bpftrace prints the abstract declarator, then the name: "struct sock * sk".
    std::string text = declaration(o, static_cast<int>(params[i].type), "");
    if (const char *name = name_of(b, params[i].name_off); *name)
      text += std::string(" ") + name;
    out.push_back(std::move(text));
  }
  if (with_retval && p->type != 0)
    out.push_back(declaration(o, static_cast<int>(p->type), "") + " retval");
  return out;
}

std::optional<std::vector<std::string>>
ListingBtf::function_params(std::string_view name, std::string_view module, bool with_retval) {
  Object *o = object(module);
  if (!o)
    return std::nullopt;
  int id = btf__find_by_name_kind(o->btf, std::string(name).c_str(), BTF_KIND_FUNC);
  if (id <= 0)
    return std::nullopt;
  return params(*o, static_cast<int>(btf__type_by_id(o->btf, id)->type), 0, with_retval);
}

std::optional<std::vector<std::string>> ListingBtf::raw_tracepoint_params(std::string_view name,
                                                                          std::string_view module) {
  Object *o = object(module);
  if (!o)
    return std::nullopt;
  // The kernel's __bpf_trace_NAME(void *__data, ARGS...) (include/trace/bpf_probe.h) names
  // the arguments, or, for an event defined from a class, __probestub_NAME (Linux 6.4+,
  // include/linux/tracepoint.h); the btf_trace_NAME typedef, a pointer to the same prototype,
  // does not. KernelBtf::raw_tracepoint looks in the same order.
  for (const char *prefix : {"__bpf_trace_", "__probestub_"}) {
    int id = btf__find_by_name_kind(o->btf, (prefix + std::string(name)).c_str(), BTF_KIND_FUNC);
    if (id > 0)
      return params(*o, static_cast<int>(btf__type_by_id(o->btf, id)->type), 1, false);
  }
  int id =
      btf__find_by_name_kind(o->btf, ("btf_trace_" + std::string(name)).c_str(), BTF_KIND_TYPEDEF);
  if (id <= 0)
    return std::nullopt;
  const btf_type *t = btf__type_by_id(o->btf, btf__type_by_id(o->btf, id)->type);
  if (!t || !btf_is_ptr(t))
    return std::nullopt;
  return params(*o, static_cast<int>(t->type), 1, false);
}

std::optional<std::vector<std::string>> ListingBtf::iterator_params(std::string_view name) {
  if (objects_.empty())
    return std::nullopt;
  Object &o = objects_.front();
  int id = btf__find_by_name_kind(o.btf, ("bpf_iter_" + std::string(name)).c_str(), BTF_KIND_FUNC);
  if (id <= 0)
    return std::nullopt;
  return params(o, static_cast<int>(btf__type_by_id(o.btf, id)->type), 1, false);
}

std::vector<std::string> ListingBtf::type_names() {
  std::set<std::string> names;
  for (const Object &o : objects_) {
    const int count = static_cast<int>(btf__type_cnt(o.btf));
    for (int id = o.first_id; id < count; ++id) {
      const btf_type *t = btf__type_by_id(o.btf, id);
      const char *name = name_of(o.btf, t->name_off);
      if (!*name)
        continue;
      if (btf_is_struct(t))
        names.insert(std::string("struct ") + name);
      else if (btf_is_union(t))
        names.insert(std::string("union ") + name);
      else if (btf_is_any_enum(t))
        names.insert(std::string("enum ") + name);
    }
  }
  return {names.begin(), names.end()};
}

std::optional<std::string> ListingBtf::type_definition(std::string_view type_name) {
  size_t space = type_name.find(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  std::string_view keyword = type_name.substr(0, space);
  std::string name(type_name.substr(space + 1));
  for (Object &o : objects_) {
    int id = -1;
    if (keyword == "struct")
      id = btf__find_by_name_kind(o.btf, name.c_str(), BTF_KIND_STRUCT);
    else if (keyword == "union")
      id = btf__find_by_name_kind(o.btf, name.c_str(), BTF_KIND_UNION);
    else if (keyword == "enum") {
      id = btf__find_by_name_kind(o.btf, name.c_str(), BTF_KIND_ENUM);
      if (id <= 0)
        id = btf__find_by_name_kind(o.btf, name.c_str(), BTF_KIND_ENUM64);
    }
    if (id <= 0)
      continue;
    const btf_type *t = btf__type_by_id(o.btf, id);
    std::string text = std::string(type_name) + " {\n";
    if (btf_is_enum(t)) {
      const struct btf_enum *e = btf_enum(t);
      for (size_t i = 0; i < btf_vlen(t); ++i)
        text +=
            std::string("\t") + name_of(o.btf, e[i].name_off) + " = " +
            std::to_string(btf_kflag(t) ? static_cast<int64_t>(static_cast<int32_t>(e[i].val))
                                        : static_cast<int64_t>(static_cast<uint32_t>(e[i].val))) +
            ",\n";
    } else if (btf_is_enum64(t)) {
      const struct btf_enum64 *e = btf_enum64(t);
      for (size_t i = 0; i < btf_vlen(t); ++i)
        text += std::string("\t") + name_of(o.btf, e[i].name_off) + " = " +
                std::to_string(btf_enum64_value(e + i)) + ",\n";
    } else {
      const struct btf_member *m = btf_members(t);
      for (size_t i = 0; i < btf_vlen(t); ++i) {
        text +=
            "\t" + declaration(o, static_cast<int>(m[i].type), name_of(o.btf, m[i].name_off), 1);
        if (uint32_t bits = btf_member_bitfield_size(t, static_cast<uint32_t>(i)))
          text += ":" + std::to_string(bits);
        text += ";\n";
      }
    }
    return text + "};";
  }
  return std::nullopt;
}

} // namespace scry
