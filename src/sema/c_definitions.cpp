// C definitions in programs (c_definitions.h): libclang, loaded on first use, parses the
// program's C; its types become BTF split over the kernel's, its enumerators and the macros the
// probes name become constants.
#include "sema/c_definitions.h"

#include "base/builtins.h"
#include "sema/c_btf.h"
#include "sema/libclang.h"

#include <algorithm>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <cctype>
#include <clang-c/Index.h>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <linux/btf.h>
#include <set>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace scry {

namespace {

using namespace cdefs;

// ---- kernel types as C (btf_dump) ------------------------------------------------------------

/// A kernel type the C names without defining it: its BTF kind and name.
using KernelName = std::pair<int, std::string>;

/// The C definitions of `names` (and of the types they need) from vmlinux's BTF.
std::string kernel_c(struct btf *vmlinux, const std::set<KernelName> &names) {
  std::string out;
  struct btf_dump *d = btf_dump__new(vmlinux, append_btf_dump_text, &out, nullptr);
  if (!d)
    return out;
  for (const auto &[kind, name] : names) {
    __s32 id = btf__find_by_name_kind(vmlinux, name.c_str(), kind);
    if (id > 0)
      btf_dump__dump_type(d, static_cast<__u32>(id));
  }
  btf_dump__free(d);
  return out;
}

/// The kernel type a clang error says is missing: "unknown type name 'u32'", "field has
/// incomplete type 'struct sock'".
std::optional<KernelName> missing_type(const std::string &message) {
  // Parsed by hand: GCC 12 warns inside <regex> under the sanitizer flags (-Werror).
  auto identifier_at = [&](size_t pos) {
    size_t end = pos;
    while (end < message.size() &&
           (std::isalnum(static_cast<unsigned char>(message[end])) || message[end] == '_'))
      ++end;
    const bool ok = end > pos && !std::isdigit(static_cast<unsigned char>(message[pos])) &&
                    end < message.size() && message[end] == '\'';
    return ok ? message.substr(pos, end - pos) : std::string();
  };
  const std::string unknown = "unknown type name '";
  if (message.starts_with(unknown)) {
    std::string name = identifier_at(unknown.size());
    if (!name.empty())
      return KernelName{BTF_KIND_TYPEDEF, name};
  }
  size_t incomplete = message.find("incomplete ");
  if (incomplete == std::string::npos)
    return std::nullopt;
  for (size_t q = message.find("type '", incomplete); q != std::string::npos;
       q = message.find("type '", q + 1)) {
    const size_t start = q + 6;
    for (auto [word, kind] :
         {std::pair{"struct ", BTF_KIND_STRUCT}, std::pair{"union ", BTF_KIND_UNION},
          std::pair{"enum ", BTF_KIND_ENUM}}) {
      const std::string w = word;
      if (message.compare(start, w.size(), w) != 0)
        continue;
      std::string name = identifier_at(start + w.size());
      if (!name.empty())
        return KernelName{kind, name};
    }
  }
  return std::nullopt;
}

// ---- the program's text ----------------------------------------------------------------------

/// Bare names the probes use (identifiers), with the first place each is used.
class NamesUsed : public ast::Walker {
public:
  using Walker::visit;
  void visit(ast::Identifier &n) override { names.emplace(n.name, n.loc); }
  std::map<std::string, SourceRange> names;
};

/// The text clang parses: the kernel's types, then the program's C at its own lines and columns
/// (#line), then one declaration per macro to evaluate.
std::string parse_text(const ast::Program &program, const std::string &kernel,
                       const std::vector<std::string> &macros) {
  std::string out;
  if (!kernel.empty())
    out += "#line 1 \"" + std::string(kKernelFile) + "\"\n" + kernel + "\n";
  for (const ast::CDefinition *c : program.c_definitions) {
    out += "#line " + std::to_string(c->loc.begin.line) + " \"" + kScriptFile + "\"\n";
    out += std::string(static_cast<size_t>(std::max(c->loc.begin.column - 1, 0)), ' ');
    out += c->text;
    // bpftrace's language.md writes `struct S { int x; }` without the ';' C wants after it.
    if (c->kind != ast::CDefinition::Kind::Preprocessor) {
      size_t last = c->text.find_last_not_of(" \t\r\n");
      if (last != std::string::npos && c->text[last] == '}')
        out += ';';
    }
    out += "\n";
  }
  if (!macros.empty()) {
    out += "#line 1 \"" + std::string(kConstantsFile) + "\"\n";
    for (size_t i = 0; i < macros.size(); ++i)
      out += "static __auto_type " + std::string(kConstantPrefix) + std::to_string(i) + " = " +
             macros[i] + ";\n";
  }
  return out;
}

/// One parse of the program's C; owns the translation unit.
struct Parse {
  const Libclang &c;
  CXIndex index = nullptr;
  CXTranslationUnit tu = nullptr;
  std::string text;
  Parse(const Libclang &c) : c(c) { index = c.clang_createIndex(0, 0); }
  ~Parse() {
    if (tu)
      c.clang_disposeTranslationUnit(tu);
    if (index)
      c.clang_disposeIndex(index);
  }
  Parse(const Parse &) = delete;
  Parse &operator=(const Parse &) = delete;

  bool run(const std::string &file, std::string source, const std::vector<std::string> &args) {
    if (tu)
      c.clang_disposeTranslationUnit(tu);
    tu = nullptr;
    text = std::move(source);
    std::vector<const char *> argv;
    for (const std::string &a : args)
      argv.push_back(a.c_str());
    CXUnsavedFile unsaved{file.c_str(), text.c_str(), static_cast<unsigned long>(text.size())};
    CXErrorCode e = c.clang_parseTranslationUnit2(
        index, file.c_str(), argv.data(), static_cast<int>(argv.size()), &unsaved, 1,
        CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_KeepGoing, &tu);
    return e == CXError_Success && tu;
  }

  struct Error {
    Presumed where;
    std::string message;
  };
  std::vector<Error> errors() const {
    std::vector<Error> out;
    for (unsigned i = 0; i < c.clang_getNumDiagnostics(tu); ++i) {
      CXDiagnostic d = c.clang_getDiagnostic(tu, i);
      if (c.clang_getDiagnosticSeverity(d) >= CXDiagnostic_Error)
        out.push_back({presumed(c, c.clang_getDiagnosticLocation(d)),
                       take(c, c.clang_getDiagnosticSpelling(d))});
      c.clang_disposeDiagnostic(d);
    }
    return out;
  }
};

/// The end of the C token at `at` in the program's C definitions, for the error's underline.
SourceRange token_range(const ast::Program &program, Presumed at) {
  SourceRange r{{static_cast<int>(at.line), static_cast<int>(at.column)},
                {static_cast<int>(at.line), static_cast<int>(at.column) + 1}};
  for (const ast::CDefinition *c : program.c_definitions) {
    int line = c->loc.begin.line;
    size_t start = 0;
    while (line < r.begin.line && start != std::string::npos) {
      start = c->text.find('\n', start);
      if (start != std::string::npos)
        ++start;
      ++line;
    }
    if (line != r.begin.line || start == std::string::npos)
      continue;
    int first_column = line == c->loc.begin.line ? c->loc.begin.column : 1;
    size_t i = start + static_cast<size_t>(r.begin.column - first_column);
    if (r.begin.column < first_column || i >= c->text.size())
      continue;
    auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
    size_t j = i;
    if (c->text[i] == '<' || c->text[i] == '"') { // a header's name
      size_t close = c->text.find(c->text[i] == '<' ? '>' : '"', i + 1);
      j = close == std::string::npos || c->text.find('\n', i) < close ? i : close + 1;
    }
    while (j < c->text.size() && word(c->text[j]))
      ++j;
    if (j > i)
      r.end.column = r.begin.column + static_cast<int>(j - i);
    break;
  }
  return r;
}

/// Whether the program's C has an #include line (or the command line a --include): only then
/// are kernel headers read.
bool includes_headers(const ast::Program &program, const CDefinitionOptions &options) {
  if (!options.include_files.empty())
    return true;
  for (const ast::CDefinition *c : program.c_definitions)
    if (c->kind == ast::CDefinition::Kind::Preprocessor &&
        c->text.find("include") != std::string::npos)
      return true;
  return false;
}

bool is_directory(const std::string &path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

KernelHeaders find_kernel_headers() {
  KernelHeaders h;
  if (const char *source = std::getenv("BPFTRACE_KERNEL_SOURCE")) {
    const char *build = std::getenv("BPFTRACE_KERNEL_BUILD");
    h.source = source;
    h.build = build ? build : source;
    return h;
  }
  struct utsname u;
  if (uname(&u) != 0)
    return h;
  const std::string modules = "/lib/modules/" + std::string(u.release);
  h.source = is_directory(modules + "/source") ? modules + "/source" : "";
  h.build = is_directory(modules + "/build") ? modules + "/build" : "";
  if (h.source.empty())
    h.source = h.build;
  else if (h.build.empty())
    h.build = h.source;
  return h;
}

std::vector<std::string> kernel_header_flags(const KernelHeaders &h) {
  // $(LINUXINCLUDE) and $(USERINCLUDE) of the kernel's Makefile, as bpftrace gives them
  // (get_kernel_cflags in its utils.cpp), for x86-64.
  const std::string &src = h.source, &obj = h.build;
  return {"-nostdinc",
          "-isystem",
          SCRY_CLANG_RESOURCE_DIR "/include",
          "-I" + src + "/arch/x86/include",
          "-I" + obj + "/arch/x86/include/generated",
          "-I" + src + "/include",
          "-I" + obj + "/include",
          "-I" + src + "/arch/x86/include/uapi",
          "-I" + obj + "/arch/x86/include/generated/uapi",
          "-I" + src + "/include/uapi",
          "-I" + obj + "/include/generated/uapi",
          "-include",
          src + "/include/linux/kconfig.h",
          "-D__KERNEL__",
          "-D__BPF_TRACING__",
          "-D__HAVE_BUILTIN_BSWAP16__",
          "-D__HAVE_BUILTIN_BSWAP32__",
          "-D__HAVE_BUILTIN_BSWAP64__",
          "-DKBUILD_MODNAME=\"scry\"",
          "-D__TARGET_ARCH_x86"};
}

bool has_c_definitions(const ast::Program &program, const CDefinitionOptions &options) {
  return !program.c_definitions.empty() || !options.include_files.empty();
}

std::shared_ptr<const CTypes> import_c_definitions(const ast::Program &program,
                                                   const CDefinitionOptions &options,
                                                   KernelBtf &btf, Diagnostics &diags) {
  const SourceRange first =
      program.c_definitions.empty() ? kNoLocation : program.c_definitions.front()->loc;
  std::string load_error;
  const Libclang *lib = load_libclang(load_error);
  if (!lib) {
    diags.error(DiagCode::CDefinitionError, first, "cannot parse C definitions: " + load_error);
    return nullptr;
  }
  const Libclang &c = *lib;
  struct btf *vmlinux = btf.vmlinux();

  // Flags as bpftrace gives them (src/clang_parser.cpp): the system's headers, and with BTF,
  // <linux/types.h> left to the kernel's BTF and BPFTRACE_HAVE_BTF for scripts that test it.
  std::vector<std::string> args = {"-x", "c", "-w", "-ferror-limit=0"};
  for (const std::string &d : options.include_dirs)
    args.insert(args.end(), {"-I", d});
  for (const std::string &f : options.include_files)
    args.insert(args.end(), {"-include", f});
  // A program that includes headers reads the running kernel's when they are installed (or
  // BPFTRACE_KERNEL_SOURCE names them): <linux/fs.h> is then the kernel's, with its internal
  // structs, as bpftrace reads it. Types the headers do not define still come from BTF.
  const KernelHeaders headers =
      includes_headers(program, options) ? find_kernel_headers() : KernelHeaders{};
  if (!headers.source.empty()) {
    for (const std::string &flag : kernel_header_flags(headers))
      args.push_back(flag);
  } else {
    for (const char *d : {"/usr/local/include", "/usr/include/x86_64-linux-gnu", "/usr/include"})
      args.insert(args.end(), {"-isystem", d});
  }
  if (!headers.source.empty()) {
    if (vmlinux)
      args.push_back("-DBPFTRACE_HAVE_BTF");
  } else if (vmlinux) {
    args.insert(args.end(), {"-D_LINUX_TYPES_H", "-DBPFTRACE_HAVE_BTF"});
    // The macros <linux/types.h> would have defined, which system headers such as
    // <linux/fs.h> use (`typedef int __bitwise __kernel_rwf_t;`); its types come from BTF.
    args.insert(args.end(),
                {"-D__bitwise=", "-D__force=", "-D__aligned_u64=__u64 __attribute__((aligned(8)))",
                 "-D__aligned_be64=__be64 __attribute__((aligned(8)))",
                 "-D__aligned_le64=__le64 __attribute__((aligned(8)))"});
  }
  // In the working directory, so that `#include "file.h"` finds what bpftrace finds.
  char cwd[4096];
  const std::string file =
      std::string(getcwd(cwd, sizeof cwd) ? cwd : "/tmp") + "/scry-c-definitions.c";

  Parse parse(c);
  std::set<KernelName> kernel_names;
  std::string kernel;
  std::vector<std::string> macros; // the object-like macros the probes name, evaluated
  auto run = [&]() {
    if (!parse.run(file, parse_text(program, kernel, macros), args)) {
      diags.error(DiagCode::CDefinitionError, first, "clang could not parse the C definitions");
      return false;
    }
    return true;
  };
  if (!run())
    return nullptr;

  auto result = std::make_shared<CTypes>();
  // Macros: the ones the probes name (and builtins do not) are evaluated as initializers.
  NamesUsed used;
  for (ast::Probe *p : program.probes)
    p->accept(used);
  std::vector<SourceRange> macro_uses;
  for_each_child(c, c.clang_getTranslationUnitCursor(parse.tu), [&](CXCursor cursor) {
    if (c.clang_getCursorKind(cursor) != CXCursor_MacroDefinition ||
        c.clang_Cursor_isMacroBuiltin(cursor))
      return;
    std::string name = take(c, c.clang_getCursorSpelling(cursor));
    if (c.clang_Cursor_isMacroFunctionLike(cursor)) {
      result->function_macros[name] = true;
      return;
    }
    result->function_macros.erase(name); // redefined
    auto it = used.names.find(name);
    if (it == used.names.end() || find_builtin_variable(name) ||
        std::find(macros.begin(), macros.end(), name) != macros.end())
      return;
    macros.push_back(name);
    macro_uses.push_back(it->second);
  });

  // Types the C names without defining them come from the kernel's BTF, written as C before
  // the program's; each round may name more (a typedef's struct), until none is new.
  for (int round = 0; round < 8; ++round) {
    if (!macros.empty() || round > 0)
      if (!run())
        return nullptr;
    if (!vmlinux)
      break;
    size_t known = kernel_names.size();
    for (const Parse::Error &e : parse.errors()) {
      auto name = missing_type(e.message);
      if (!name)
        continue;
      if (btf__find_by_name_kind(vmlinux, name->second.c_str(), name->first) <= 0) {
        if (name->first != BTF_KIND_ENUM ||
            btf__find_by_name_kind(vmlinux, name->second.c_str(), BTF_KIND_ENUM64) <= 0)
          continue; // not the kernel's either: clang's error stands
        name->first = BTF_KIND_ENUM64;
      }
      kernel_names.insert(*name);
    }
    if (kernel_names.size() == known)
      break;
    kernel = kernel_c(vmlinux, kernel_names);
  }

  // Clang's errors, at the script's place.
  bool failed = false;
  for (const Parse::Error &e : parse.errors()) {
    if (e.where.file == kConstantsFile && e.where.line >= 1 && e.where.line <= macros.size()) {
      const std::string &name = macros[e.where.line - 1];
      diags.error(DiagCode::CDefinitionError, macro_uses[e.where.line - 1],
                  "#define " + name + " is not a constant: " + e.message,
                  "only #define constants whose value is an integer or a string can be used");
      failed = true;
      continue;
    }
    if (e.where.file == kScriptFile) {
      std::string hint;
      if (e.message.ends_with("file not found") && headers.source.empty()) {
        struct utsname u;
        const std::string release = uname(&u) == 0 ? u.release : "$(uname -r)";
        hint = "the running kernel's headers are not installed (/lib/modules/" + release +
               "/build): install them (Debian: linux-headers-" + release +
               ") or name them with BPFTRACE_KERNEL_SOURCE";
      }
      diags.error(DiagCode::CDefinitionError, token_range(program, e.where), e.message, hint);
    } else {
      std::string where = e.where.file.empty() ? ""
                                               : e.where.file + ":" + std::to_string(e.where.line) +
                                                     ":" + std::to_string(e.where.column) + ": ";
      if (e.where.file == kKernelFile)
        where = "in the kernel's types (BTF): ";
      else if (e.where.file == "<built-in>" || e.where.file == "<command line>")
        where = "in --include or -I: ";
      diags.error(DiagCode::CDefinitionError, first, where + e.message,
                  e.where.file == kKernelFile
                      ? "a type the program defines conflicts with the kernel's of the same name"
                      : "");
    }
    failed = true;
  }
  if (failed)
    return nullptr;

  // The types, as BTF over the kernel's.
  struct btf *out = vmlinux ? btf__new_empty_split(vmlinux) : btf__new_empty();
  if (!out) {
    diags.error(DiagCode::CDefinitionError, first, "cannot create BTF for the C definitions");
    return nullptr;
  }
  BtfWriter writer(c, vmlinux, out);
  std::map<std::string, int32_t> enum_ids; // enumerator -> its enum's BTF id
  std::vector<CXCursor> constant_decls;
  for_each_child(c, c.clang_getTranslationUnitCursor(parse.tu), [&](CXCursor cursor) {
    const CXCursorKind kind = c.clang_getCursorKind(cursor);
    const std::string where = presumed(c, c.clang_getCursorLocation(cursor)).file;
    if (where == kKernelFile)
      return;
    if (kind == CXCursor_VarDecl && where == kConstantsFile) {
      constant_decls.push_back(cursor);
      return;
    }
    CXCursor def = c.clang_getCursorDefinition(cursor);
    if (c.clang_Cursor_isNull(def) || c.clang_getCursorKind(def) != kind)
      return;
    if (kind == CXCursor_StructDecl || kind == CXCursor_UnionDecl) {
      writer.record_id(def);
    } else if (kind == CXCursor_EnumDecl) {
      int id = writer.enum_id(def);
      for_each_child(c, def, [&](CXCursor e) {
        if (c.clang_getCursorKind(e) != CXCursor_EnumConstantDecl)
          return;
        CConstant k;
        CXType integer = c.clang_getCanonicalType(c.clang_getEnumDeclIntegerType(def));
        bool is_unsigned = integer.kind == CXType_UInt || integer.kind == CXType_ULong ||
                           integer.kind == CXType_ULongLong;
        k.value = is_unsigned ? c.clang_getEnumConstantDeclUnsignedValue(e)
                              : static_cast<uint64_t>(c.clang_getEnumConstantDeclValue(e));
        std::string name = take(c, c.clang_getCursorSpelling(e));
        result->constants[name] = k;
        enum_ids[name] = id;
      });
    } else if (kind == CXCursor_TypedefDecl) {
      // typedef struct { ... } name_t: the struct has no name of its own to be found by.
      CXType t = c.clang_getCanonicalType(c.clang_getCursorType(cursor));
      if (t.kind == CXType_Record || t.kind == CXType_Enum)
        writer.type_id(t);
      // The program's own typedefs are names casts may use: (myint_t)x, (item_t *)arg0.
      if (where == kScriptFile) {
        int under = writer.type_id(c.clang_getTypedefDeclUnderlyingType(cursor));
        std::string name = take(c, c.clang_getCursorSpelling(cursor));
        if (under >= 0 && !name.empty())
          btf__add_typedef(out, name.c_str(), under);
      }
    }
  });
  writer.finish();
  if (!writer.error().empty()) {
    diags.error(DiagCode::CDefinitionError, first, writer.error());
    btf__free(out);
    return nullptr;
  }
  __u32 size = 0;
  const void *raw = btf__raw_data(out, &size);
  if (raw && size)
    result->btf.assign(static_cast<const uint8_t *>(raw), static_cast<const uint8_t *>(raw) + size);
  result->split = vmlinux != nullptr;
  btf__free(out);
  if (!result->btf.empty() && !btf.add_script_types(result->btf, result->split)) {
    diags.error(DiagCode::CDefinitionError, first, "the C definitions' BTF is not valid");
    return nullptr;
  }
  for (auto &[name, id] : enum_ids)
    result->constants[name].enum_btf_id = id;

  // The macros' values.
  for (CXCursor decl : constant_decls) {
    std::string var = take(c, c.clang_getCursorSpelling(decl));
    if (var.rfind(kConstantPrefix, 0) != 0)
      continue;
    size_t i = std::stoul(var.substr(std::strlen(kConstantPrefix)));
    if (i >= macros.size())
      continue;
    CXEvalResult r = c.clang_Cursor_Evaluate(decl);
    CXEvalResultKind kind = r ? c.clang_EvalResult_getKind(r) : CXEval_UnExposed;
    CConstant k;
    if (kind == CXEval_Int) {
      k.is_unsigned = c.clang_EvalResult_isUnsignedInt(r) != 0;
      k.value = k.is_unsigned ? c.clang_EvalResult_getAsUnsigned(r)
                              : static_cast<uint64_t>(c.clang_EvalResult_getAsLongLong(r));
      result->constants[macros[i]] = k;
    } else if (kind == CXEval_StrLiteral) {
      k.is_string = true;
      const char *s = c.clang_EvalResult_getAsStr(r);
      k.text = s ? s : "";
      result->constants[macros[i]] = k;
    } else {
      diags.error(DiagCode::CDefinitionError, macro_uses[i],
                  "#define " + macros[i] + " is not an integer or string constant",
                  "only #define constants whose value is an integer or a string can be used");
      failed = true;
    }
    if (r)
      c.clang_EvalResult_dispose(r);
  }
  if (failed)
    return nullptr;
  return result;
}

} // namespace scry
