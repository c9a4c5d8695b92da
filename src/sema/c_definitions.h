// C definitions in programs: struct, union, enum and typedef definitions, `#include` and
// `#define` lines, and the command line's --include FILE and -I DIR.
//
// Reads: the program's CDefinitions (parser/ast.h) and the names its probes use. Writes: the
// program's types as BTF that continues the kernel's (KernelBtf::add_script_types), and its
// constants (enumerators, object-like #define macros) for the type checker.
//
// The C is parsed in process by libclang 16 (libclang-16.so.1, loaded with dlopen the first time
// a program has C definitions: a program without them never loads it). Types the C names but
// does not define (`struct task_struct`, `u32`) come from the kernel's BTF, written back as C with
// libbpf's btf_dump and parsed with the program's C, as bpftrace does; a pointer to a kernel
// struct stays the kernel's type, so `->` reads on into it.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// What the command line adds to a program's C definitions.
struct CDefinitionOptions {
  std::vector<std::string> include_dirs;  // -I DIR, searched by #include before the system's
  std::vector<std::string> include_files; // --include FILE, included before the program's C
};

/// Where the running kernel's headers are (bpftrace's get_kernel_dirs): the source tree (its
/// include/, arch/x86/include/) and the build tree (generated headers, autoconf.h).
struct KernelHeaders {
  std::string source, build; // both empty when there are none
};

/// BPFTRACE_KERNEL_SOURCE (and BPFTRACE_KERNEL_BUILD, else the same) when set; else
/// /lib/modules/$(uname -r)/source and /build, each standing in for the other when only one
/// exists (Debian's linux-headers packages install both).
KernelHeaders find_kernel_headers();

/// The clang flags that parse C against kernel headers `h` as the kernel's build does for x86-64:
/// its include directories, kconfig.h, __KERNEL__ (bpftrace's get_kernel_cflags).
std::vector<std::string> kernel_header_flags(const KernelHeaders &h);

/// A name the program's C defines as a constant: an enumerator or an object-like macro whose
/// value clang evaluates to an integer or a string literal.
struct CConstant {
  bool is_string = false;
  bool is_unsigned = false; // an integer that only fits uint64
  uint64_t value = 0;       // the integer's bits (two's complement when signed)
  std::string text;         // the string, without its terminator
  int32_t enum_btf_id = 0;  // an enumerator: its enum's id in the program's BTF (or vmlinux's)
};

/// What the program's C definitions define, for the type checker and codegen.
struct CTypes {
  /// The structs, unions and enums as BTF: split BTF over vmlinux (its ids continue the
  /// kernel's) when `split`, else standalone BTF (a kernel without BTF). Empty when none.
  std::vector<uint8_t> btf;
  bool split = false;
  /// Enumerators, and the object-like macros the program's probes name, by name.
  std::map<std::string, CConstant> constants;
  /// Names of function-like macros (`#define MAX(a, b) ...`), which scry cannot use: named in
  /// errors so that the message says why.
  std::map<std::string, bool> function_macros;

  const CConstant *constant(const std::string &name) const {
    auto it = constants.find(name);
    return it == constants.end() ? nullptr : &it->second;
  }
};

/// Whether the program has anything for import_c_definitions() to do (C definitions, or an
/// --include file): only then is libclang loaded.
bool has_c_definitions(const ast::Program &program, const CDefinitionOptions &options);

/// Parses the program's C definitions (with --include files and -I directories) and adds their
/// types to `btf` (KernelBtf::add_script_types). Clang's errors are `c-definition-error`
/// diagnostics at the script's line and column (errors inside a header are reported at the
/// program's first C definition, naming the header's file and line). Returns the types and
/// constants, or null after an error (in `diags`), also when libclang cannot be loaded.
std::shared_ptr<const CTypes> import_c_definitions(const ast::Program &program,
                                                   const CDefinitionOptions &options,
                                                   KernelBtf &btf, Diagnostics &diags);

} // namespace scry
