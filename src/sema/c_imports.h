// Imported C: `import "lib.bpf.c";` compiles the file for BPF and lets the program call the
// functions it defines, as the newest bpftrace's import does; `import "lib.h";` gives a header
// those files may #include by name.
//
// Reads: the program's c_imports (parser/ast.h, read by the import pass). Writes: each .bpf.c
// file as an optimised LLVM module (bitcode, which codegen links into the program and inlines
// into its callers: codegen/stdlib_bitcode.h) and the prototypes of the global functions it
// defines, for the type checker.
//
// An imported .bpf.o file (compiled elsewhere) is linked to the program's object by libbpf's
// linker (bpf_linker) after codegen; its global functions are BPF subprograms the kernel
// verifies on their own (global functions), called with the prototypes of its BTF.
//
// The files are compiled in process by libscry-cc.so (src/cc/compile_bpf_c.cpp, the Clang 16
// libraries), loaded with dlopen only for a program that imports a .bpf.c file. The prototypes
// are read from the BTF clang writes into the compiled object (its .BTF section). A file that
// includes "vmlinux.h" gets the kernel's BTF written as C by libbpf's btf_dump, as bpftool
// writes vmlinux.h.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace scry {

/// A global function of an imported .bpf.c file, which the program may call by name.
struct CFunction {
  std::string name;
  std::vector<BtfParam> params; // pointers are kernel pointers; a `char *` also takes a string
  Type return_type;             // void, an integer, bool or a pointer
  std::string return_c_type;
  std::string file;        // the .bpf.c or .bpf.o file's name, for messages
  std::string unsupported; // why scry cannot call it (a struct passed by value); "" when it can
  int object = -1;         // a .bpf.o file's function: its index in CImports::objects
  uint32_t proto_id = 0;   // ... and the id of its FUNC_PROTO in that object's BTF

  /// "int add(int a, int b)", for messages.
  std::string c_signature() const;
};

/// The program's compiled .bpf.c files.
struct CImports {
  struct Module {
    std::string file;    // the .bpf.c file's path
    std::string bitcode; // the optimised module
  };
  std::vector<Module> modules;
  struct Object {
    std::string file;  // the .bpf.o file's path
    std::string bytes; // the ELF object, which codegen links to the program's with libbpf
  };
  std::vector<Object> objects;
  std::map<std::string, CFunction> functions; // by name

  const CFunction *function(const std::string &name) const {
    auto it = functions.find(name);
    return it == functions.end() ? nullptr : &it->second;
  }
};

/// Whether the program imports a .bpf.c or .bpf.o file.
bool has_c_imports(const ast::Program &program);

/// The BTF of ELF object `object` (its .BTF section), parsed; null when it has none. The caller
/// frees it with btf__free().
struct btf *object_btf(const std::string &object);

/// Compiles the program's imported .bpf.c files (with its imported .h files to #include). A
/// file that does not compile is an error at its import statement, with clang's messages; so is
/// a function two files define, and a missing libscry-cc.so. Null after an error.
std::shared_ptr<const CImports> compile_c_imports(const ast::Program &program, KernelBtf &btf,
                                                  Diagnostics &diags);

} // namespace scry
