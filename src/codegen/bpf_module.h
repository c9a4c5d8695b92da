// The LLVM side of code generation that is not about the language: the BPF target machine,
// BTF-defined map globals, program functions with the debug info LLVM's BTF emitter requires,
// the optimisation pipeline, and ELF emission.
//
// Facts behind the shapes here (measured with LLVM 16.0.6 and libbpf 1.1, see
// shared/notes/llvm16-bpf-object.md): maps are external globals in section ".maps" of a struct
// of pointers named type/max_entries/key/value, with debug info; every defined function needs a
// DISubprogram and a DILocalVariable per parameter; the compile unit is FullDebug and the
// DIBuilder is finalised before verification; the TargetMachine is handed to the PassBuilder so
// the BPF-specific IR passes run.
#pragma once

#include "base/types.h"
#include "codegen/stdlib_bitcode.h"

#include <cstdint>
#include <functional>
#include <llvm/IR/DIBuilder.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>
#include <memory>
#include <string>
#include <vector>

struct btf;

namespace scry {

/// A program's imported .bpf.o file (sema/c_imports.h).
struct ImportedObject {
  std::string name;  // the file's path, for messages
  std::string bytes; // the ELF object
};

class BpfModule {
public:
  /// `source_name` and `source_text` become the DIFile, so BTF line info carries script lines.
  BpfModule(const std::string &source_name, const std::string &source_text);
  ~BpfModule();

  llvm::LLVMContext &context() { return *context_; }
  llvm::Module &module() { return *module_; }
  llvm::DIBuilder &di() { return *di_; }
  llvm::DIFile *file() { return file_; }

  /// Declares a BTF-defined map. `key_bytes`/`value_bytes` of 0 leave the attribute out (ring
  /// buffers have neither). The BPF map type is a linux/bpf.h `enum bpf_map_type` value.
  llvm::GlobalVariable *add_map(const std::string &name, uint32_t map_type, uint32_t max_entries,
                                uint32_t key_bytes, uint32_t value_bytes);

  /// Declares kernel variable `var` as `extern TYPE NAME __ksym` (section .ksyms), once, with
  /// debug info for its type: an empty struct or union of the kernel type's name, or an
  /// integer of its size (libbpf matches structs by name; BTF_KIND_VAR, libbpf.c).
  llvm::GlobalVariable *kernel_variable(const KernelVariable &var);

  /// Defines `long name(void *ctx)` in ELF section `section`, with its debug info; the builder
  /// is left at the start of its entry block.
  llvm::Function *add_program(const std::string &name, const std::string &section,
                              llvm::IRBuilder<> &builder, unsigned line);

  /// Defines `static long name(void *map, void *key, void *value, void *ctx)`, the callback of
  /// bpf_for_each_map_elem, with its debug info; the builder is left in its entry block.
  llvm::Function *add_map_callback(const std::string &name, llvm::IRBuilder<> &builder);

  /// Defines `static long name(u64 index, void *ctx)`, the callback of bpf_loop, with its debug
  /// info; the builder is left in its entry block.
  llvm::Function *add_loop_callback(const std::string &name, llvm::IRBuilder<> &builder);

  /// A debug location in `fn` for source line/column, for BTF line info.
  llvm::DebugLoc location(llvm::Function *fn, unsigned line, unsigned column);

  /// Finalises debug info, links the standard library's C functions the module calls
  /// (stdlib_bitcode.h), verifies, optimises (O2 with the BPF passes) and emits the ELF
  /// object. Returns false and sets `error` on failure. `ir_before`/`ir_after`, when non-null,
  /// receive the textual IR.
  bool emit(std::vector<uint8_t> &object, std::string &error, std::string *ir_before,
            std::string *ir_after);

  /// Adds a program's compiled .bpf.c file, which emit() links before optimising.
  void add_imported_bitcode(ImportedBitcode file) { imported_.push_back(std::move(file)); }

  /// Adds a program's imported .bpf.o file, to which emit() links the program's object with
  /// libbpf's linker (bpf_linker) (codegen/bpf_objects.cpp).
  void add_imported_object(ImportedObject file) { objects_.push_back({std::move(file), nullptr}); }

  /// Gives `fn`, the declaration of a function of imported object `object`, the debug info of
  /// that object's FUNC_PROTO `proto`: the program's BTF then declares it (an extern FUNC of the
  /// same prototype), which bpf_linker needs to resolve the call.
  void describe_imported_function(llvm::Function *fn, size_t object, uint32_t proto);

  /// Sets what runs when LLVM's backend fails fatally during emit() (a jump longer than BPF's
  /// 16-bit offsets in a huge function): it gets the largest function's name and LLVM's
  /// reason, reports them, and must not return (scry exits with status 1 after it).
  void on_fatal_error(std::function<void(const std::string &function, const char *reason)> f) {
    on_fatal_ = std::move(f);
  }

private:
  struct ObjectState {
    ImportedObject file;
    struct ::btf *btf; // parsed on first use
  };
  /// The debug-info type of BTF id `id` of `in`: integers, pointers, typedefs and qualifiers
  /// as they are, structs, unions and enums as declarations of their names; null for void.
  llvm::DIType *debug_type(const struct ::btf *in, uint32_t id, int depth = 0);
  /// Prepares the module for libbpf's linker: global variables without debug info (the license)
  /// become local symbols, kept (the linker wants BTF for every global symbol, and finds the
  /// license by its section).
  void hide_undescribed_globals();
  /// Links `object` (the program's) and the imported objects into one, in place.
  bool link_imported_objects(std::vector<uint8_t> &object, std::string &error);

  std::vector<ImportedBitcode> imported_;
  std::vector<ObjectState> objects_;
  llvm::DIType *attribute_type(uint32_t value);
  llvm::DIType *bytes_type(uint32_t bytes);
  void finalize_debug_info();

  std::unique_ptr<llvm::LLVMContext> context_;
  std::unique_ptr<llvm::Module> module_;
  std::function<void(const std::string &, const char *)> on_fatal_;
  std::unique_ptr<llvm::DIBuilder> di_;
  std::unique_ptr<llvm::TargetMachine> target_;
  llvm::DICompileUnit *unit_ = nullptr;
  llvm::DIFile *file_ = nullptr;
  std::vector<std::string> diagnostics_;
  bool finalized_ = false;
};

} // namespace scry
