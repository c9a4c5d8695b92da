// Imported C (see c_imports.h): compiling .bpf.c files with libscry-cc.so, and the prototypes of
// their functions from the BTF of the compiled object.
#include "sema/c_imports.h"

#include "base/c_compiler_abi.h"

#include <bpf/btf.h>
#include <cstdarg>
#include <cstdio>
#include <dlfcn.h>
#include <gelf.h>
#include <libelf.h>
#include <set>
#include <string>
#include <unistd.h>

namespace scry {

namespace {

struct Compiler {
  ScryCcCompileFn compile = nullptr;
  ScryCcFreeFn free = nullptr;
};

/// libscry-cc.so, beside the scry binary (the build tree) or in ../lib/scry/ (an installed
/// tree); loaded once per process. Null with `error` set when there is none.
const Compiler *load_compiler(std::string &error) {
  static Compiler compiler;
  static std::string load_error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    std::string dir = n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string();
    dir = dir.substr(0, dir.rfind('/') + 1);
    void *handle = nullptr;
    std::string tried_paths;
    for (const std::string &path : {dir + "libscry-cc.so", dir + "../lib/scry/libscry-cc.so"}) {
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle)
        break;
      const char *why = dlerror();
      tried_paths += "\n  " + path + ": " + (why ? why : "not loadable");
    }
    if (!handle) {
      load_error = "cannot load libscry-cc.so, scry's C compiler:" + tried_paths;
    } else {
      auto version = reinterpret_cast<ScryCcAbiVersionFn>(dlsym(handle, "scry_cc_abi_version"));
      compiler.compile = reinterpret_cast<ScryCcCompileFn>(dlsym(handle, "scry_cc_compile"));
      compiler.free = reinterpret_cast<ScryCcFreeFn>(dlsym(handle, "scry_cc_free"));
      if (!version || !compiler.compile || !compiler.free || version() != SCRY_CC_ABI_VERSION)
        load_error = "libscry-cc.so is not the one this scry was built with";
    }
  }
  error = load_error;
  return load_error.empty() ? &compiler : nullptr;
}

/// vmlinux.h: every type of the kernel's BTF as C, as `bpftool btf dump file ... format c`
/// writes it (without its CO-RE attribute: the program loads on the kernel it was compiled for).
std::string vmlinux_h(struct btf *vmlinux) {
  std::string out = "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n";
  struct btf_dump *d = btf_dump__new(vmlinux, append_btf_dump_text, &out, nullptr);
  if (d) {
    const __u32 count = btf__type_cnt(vmlinux);
    for (__u32 id = 1; id < count; ++id)
      btf_dump__dump_type(d, id);
    btf_dump__free(d);
  }
  out += "#endif\n";
  return out;
}

/// The names of the sections of ELF object `object` that hold code, but .text (a .bpf.o
/// file's BPF programs), or nullopt when it is not an ELF object.
std::optional<std::vector<std::string>> program_sections(const std::string &object) {
  elf_version(EV_CURRENT);
  Elf *elf = elf_memory(const_cast<char *>(object.data()), object.size());
  if (!elf)
    return std::nullopt;
  std::vector<std::string> sections;
  size_t strings = 0;
  const bool ok = elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &strings) == 0;
  for (Elf_Scn *scn = ok ? elf_nextscn(elf, nullptr) : nullptr; scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_EXECINSTR) || shdr.sh_size == 0)
      continue;
    const char *name = elf_strptr(elf, strings, shdr.sh_name);
    if (name && std::string(name) != ".text")
      sections.push_back(name);
  }
  elf_end(elf);
  if (!ok)
    return std::nullopt;
  return sections;
}

} // namespace

struct btf *object_btf(const std::string &object) {
  elf_version(EV_CURRENT);
  Elf *elf = elf_memory(const_cast<char *>(object.data()), object.size());
  if (!elf)
    return nullptr;
  struct btf *result = nullptr;
  size_t strings = 0;
  if (elf_getshdrstrndx(elf, &strings) == 0) {
    for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr))
        continue;
      const char *name = elf_strptr(elf, strings, shdr.sh_name);
      Elf_Data *data = name && std::string(name) == ".BTF" ? elf_getdata(scn, nullptr) : nullptr;
      if (data && data->d_buf) {
        result = btf__new(data->d_buf, static_cast<__u32>(data->d_size));
        if (!result || reinterpret_cast<uintptr_t>(result) > static_cast<uintptr_t>(-4096))
          result = nullptr; // libbpf 1.x returns null; older ones an error code as a pointer
        break;
      }
    }
  }
  elf_end(elf);
  return result;
}

namespace {

/// Reads the types of an object's BTF as scry types.
class ObjectTypes {
public:
  ObjectTypes(struct btf *in, KernelBtf &kernel) : in_(in), kernel_(kernel) {}

  /// The scry type of BTF id `id` of the object, or nullopt (with `why`) for a type scry cannot
  /// pass to or take from a C function: a struct or array by value, a float.
  std::optional<Type> type(__u32 id, std::string &why) {
    const struct btf_type *t = resolved(id);
    if (!t)
      return make_void();
    switch (btf_kind(t)) {
    case BTF_KIND_INT:
      if (btf_int_encoding(t) & BTF_INT_BOOL)
        return make_bool();
      if (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8)
        return make_int(t->size, (btf_int_encoding(t) & BTF_INT_SIGNED) != 0);
      break;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      if (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8)
        return make_int(t->size, btf_kflag(t));
      break;
    case BTF_KIND_PTR:
      return make_pointer(pointee(t->type), AddressSpace::Kernel);
    default:
      break;
    }
    why = "scry passes only integers, bools and pointers to C functions";
    return std::nullopt;
  }

private:
  /// `id` without typedefs and qualifiers; null for void.
  const struct btf_type *resolved(__u32 &id) {
    id = skip_btf_modifiers(in_, id);
    return id ? btf__type_by_id(in_, id) : nullptr;
  }

  /// What a pointer of the object points to: a kernel struct of the same name when the kernel
  /// has one (so that `->` reads into it), an integer, or else void.
  Type pointee(__u32 id) {
    const struct btf_type *t = resolved(id);
    if (!t)
      return make_void();
    if (btf_is_composite(t)) {
      const char *name = btf__name_by_offset(in_, t->name_off);
      if (name && *name)
        if (auto record = kernel_.struct_type(name, btf_is_union(t)))
          return *record;
      return make_void();
    }
    if (btf_is_int(t) && (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8))
      return make_int(t->size, (btf_int_encoding(t) & BTF_INT_SIGNED) != 0);
    return make_void();
  }

  struct btf *in_;
  KernelBtf &kernel_;
};

/// The names of the weak symbols of ELF `object` (`__weak` externs: libbpf lets them be missing).
std::set<std::string> weak_symbols(const std::string &object) {
  std::set<std::string> names;
  elf_version(EV_CURRENT);
  Elf *elf = elf_memory(const_cast<char *>(object.data()), object.size());
  if (!elf)
    return names;
  for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize == 0)
      continue;
    Elf_Data *data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Sym sym;
      const char *name = gelf_getsym(data, static_cast<int>(i), &sym)
                             ? elf_strptr(elf, shdr.sh_link, sym.st_name)
                             : nullptr;
      if (name && GELF_ST_BIND(sym.st_info) == STB_WEAK)
        names.insert(name);
    }
  }
  elf_end(elf);
  return names;
}

/// The first extern function (a kfunc the C declares `__ksym`, which libbpf resolves against
/// the kernel's BTF when it loads the program) that neither vmlinux's BTF nor a loaded module's
/// has, or "" when there is none (or the kernel's BTF cannot be read: libbpf reports it then).
/// A `__weak` one (in `weak`) may be missing: the C tests it with bpf_ksym_exists().
std::string missing_kfunc(struct btf *in, KernelBtf &kernel, const std::set<std::string> &weak) {
  struct btf *vmlinux = kernel.vmlinux();
  if (!vmlinux)
    return "";
  const __u32 count = btf__type_cnt(in);
  for (__u32 id = 1; id < count; ++id) {
    const struct btf_type *t = btf__type_by_id(in, id);
    if (!btf_is_func(t) || btf_vlen(t) != BTF_FUNC_EXTERN /* a FUNC's linkage */)
      continue;
    const char *name = btf__name_by_offset(in, t->name_off);
    if (!name || weak.count(name) || btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0)
      continue;
    bool in_module = false;
    std::string error;
    for (const std::string &module : KernelBtf::btf_modules())
      if ((in_module = kernel.function(name, module, error).has_value()))
        break;
    if (!in_module)
      return name;
  }
  return "";
}

/// The global functions BTF `in` describes (the object's FUNCs of global linkage).
std::vector<CFunction> functions_of(struct btf *in, KernelBtf &kernel, const std::string &file) {
  std::vector<CFunction> result;
  ObjectTypes types(in, kernel);
  const __u32 count = btf__type_cnt(in);
  for (__u32 id = 1; id < count; ++id) {
    const struct btf_type *t = btf__type_by_id(in, id);
    if (!btf_is_func(t) || btf_vlen(t) != BTF_FUNC_GLOBAL /* a FUNC's linkage */)
      continue;
    const struct btf_type *proto = btf__type_by_id(in, t->type);
    if (!proto || !btf_is_func_proto(proto))
      continue;
    CFunction f;
    f.name = btf__name_by_offset(in, t->name_off);
    f.file = file;
    f.proto_id = t->type;
    std::string why;
    auto ret = types.type(proto->type, why);
    f.return_type = ret ? *ret : make_void();
    f.return_c_type =
        proto->type ? c_declaration(in, static_cast<int32_t>(proto->type), "") : "void";
    if (!ret)
      f.unsupported = "its return type " + f.return_c_type + ": " + why;
    const struct btf_param *p = btf_params(proto);
    for (__u16 i = 0; i < btf_vlen(proto); ++i, ++p) {
      BtfParam param;
      const char *name = btf__name_by_offset(in, p->name_off);
      param.name = name ? name : "";
      if (p->type == 0) {
        if (f.unsupported.empty())
          f.unsupported = "it is variadic";
        break;
      }
      param.c_decl = c_declaration(in, static_cast<int32_t>(p->type), param.name);
      auto type = types.type(p->type, why);
      if (!type && f.unsupported.empty())
        f.unsupported = "its parameter " + param.c_decl + ": " + why;
      param.type = type ? *type : make_int(8, false);
      f.params.push_back(std::move(param));
    }
    result.push_back(std::move(f));
  }
  return result;
}

} // namespace

std::string CFunction::c_signature() const {
  std::string s = return_c_type;
  if (!s.empty() && s.back() != '*')
    s += ' ';
  s += name + "(";
  for (size_t i = 0; i < params.size(); ++i)
    s += (i ? ", " : "") + params[i].c_decl;
  return s + ")";
}

bool has_c_imports(const ast::Program &program) {
  for (const ast::ImportedC &c : program.c_imports)
    if (c.kind != ast::ImportedC::Kind::Header)
      return true;
  return false;
}

std::shared_ptr<const CImports> compile_c_imports(const ast::Program &program, KernelBtf &btf,
                                                  Diagnostics &diags) {
  auto result = std::make_shared<CImports>();
  std::string error;
  const Compiler *compiler = nullptr; // loaded for the first .bpf.c file
  // The headers every file may #include: the imported .h files, and vmlinux.h when one names it.
  std::vector<ScryCcFile> headers;
  bool wants_vmlinux = false;
  for (const ast::ImportedC &c : program.c_imports) {
    if (c.kind == ast::ImportedC::Kind::Header)
      headers.push_back({c.name.c_str(), c.text.data(), c.text.size()});
    if (c.kind != ast::ImportedC::Kind::Object)
      wants_vmlinux = wants_vmlinux || c.text.find("vmlinux.h") != std::string::npos;
  }
  std::string vmlinux;
  if (wants_vmlinux && btf.vmlinux()) {
    vmlinux = vmlinux_h(btf.vmlinux());
    headers.push_back({"vmlinux.h", vmlinux.data(), vmlinux.size()});
  }
  // Adds the global functions of `object` (file `c`) to the callable ones; false after an error.
  auto add_functions = [&](const ast::ImportedC &c, const std::string &object, int object_index) {
    struct btf *types = object_btf(object);
    if (!types) {
      diags.error(DiagCode::ImportFailed, c.loc,
                  c.kind == ast::ImportedC::Kind::Object
                      ? c.name + " has no BTF: scry reads the prototypes of its functions there"
                      : "internal error: the compiled " + c.name + " has no BTF",
                  c.kind == ast::ImportedC::Kind::Object ? "compile it with clang -g" : "");
      return false;
    }
    if (std::string missing = missing_kfunc(types, btf, weak_symbols(object)); !missing.empty()) {
      diags.error(DiagCode::ImportFailed, c.loc,
                  c.name + " declares " + missing +
                      " as an extern kernel function (a kfunc, __ksym), but this kernel's BTF "
                      "has no function of that name",
                  "check the name against the kernel's functions (bpftool btf dump file "
                  "/sys/kernel/btf/vmlinux); for one some kernels lack, declare it __weak and "
                  "test it before the call: if (" +
                      missing + ") ...");
      btf__free(types);
      return false;
    }
    for (CFunction &f : functions_of(types, btf, c.name)) {
      f.object = object_index;
      auto [it, added] = result->functions.emplace(f.name, f);
      if (!added) {
        diags.error(DiagCode::ImportFailed, c.loc,
                    "function " + f.name + " is defined by both " + it->second.file + " and " +
                        c.name);
        btf__free(types);
        return false;
      }
    }
    btf__free(types);
    return true;
  };
  for (const ast::ImportedC &c : program.c_imports) {
    if (c.kind == ast::ImportedC::Kind::Object) {
      auto programs = program_sections(c.text);
      if (!programs) {
        diags.error(DiagCode::ImportFailed, c.loc, c.name + " is not an ELF object",
                    "a .bpf.o file is what `clang -target bpf -g -c` writes");
        return nullptr;
      }
      if (!programs->empty()) {
        diags.error(DiagCode::NotSupported, c.loc,
                    c.name + " defines BPF programs (section " + programs->front() +
                        "): scry imports only the functions and maps of an object",
                    "write the probes in the program; keep helper functions in the object");
        return nullptr;
      }
      result->objects.push_back({c.path, c.text});
      if (!add_functions(c, c.text, static_cast<int>(result->objects.size()) - 1))
        return nullptr;
      continue;
    }
    if (c.kind != ast::ImportedC::Kind::Source)
      continue;
    if (!compiler)
      compiler = load_compiler(error);
    if (!compiler) {
      diags.error(DiagCode::ImportFailed, c.loc, "cannot compile " + c.name + ": " + error,
                  "libscry-cc.so is built and installed with scry (scripts/setup)");
      return nullptr;
    }
    ScryCcRequest request{c.path.c_str(), c.text.data(), c.text.size(), headers.data(),
                          headers.size()};
    ScryCcResult compiled{};
    compiler->compile(&request, &compiled);
    std::string messages = compiled.diagnostics ? compiled.diagnostics : "";
    while (!messages.empty() && messages.back() == '\n')
      messages.pop_back();
    if (!compiled.ok) {
      diags.error(DiagCode::CDefinitionError, c.loc, "failed to build " + c.name,
                  "clang (as `clang -target bpf -O2 -g`) says:\n" + messages);
      compiler->free(&compiled);
      return nullptr;
    }
    if (!messages.empty())
      diags.warning(DiagCode::CDefinitionError, c.loc, "clang warns about " + c.name,
                    "clang says:\n" + messages);
    std::string object(compiled.object, compiled.object_size);
    result->modules.push_back({c.path, std::string(compiled.bitcode, compiled.bitcode_size)});
    compiler->free(&compiled);
    if (!add_functions(c, object, -1))
      return nullptr;
  }
  return result;
}

} // namespace scry
