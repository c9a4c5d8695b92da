// The standard library's C functions (stdlib/*.bpf.c), compiled by clang-16 to BPF bitcode at
// build time (cmake/ScryCore.cmake) and embedded in the binary. Codegen calls one by declaring
// it (`__scry_NAME`, the C function's name and signature) and BpfModule::emit() links the
// bitcode that defines it before optimising. A program that calls none of them pays nothing:
// no bitcode is parsed.
#pragma once

#include <llvm/IR/Module.h>
#include <string>
#include <vector>

namespace scry {

/// The prefix of every function stdlib/*.bpf.c exports to codegen.
inline constexpr const char *kStdlibFunctionPrefix = "__scry_";

/// Links into `module` the stdlib functions it declares and does not define (named with
/// kStdlibFunctionPrefix), from the embedded bitcode. Each becomes an internal, always-inline
/// function, so that the optimiser inlines it into its callers and drops it: it needs no debug
/// info of its own (its instructions take the call's source line) and is not a BPF subprogram.
/// Returns false and sets `error` when a declared function is defined by no stdlib file, or
/// the bitcode does not parse or link (internal errors: both come from scry's own build).
bool link_stdlib_bitcode(llvm::Module &module, std::string &error);

/// A program's imported .bpf.c file, compiled to bitcode by sema (sema/c_imports.h).
struct ImportedBitcode {
  std::string name; // the file's path, for messages
  std::string bitcode;
};

/// Links into `module` the functions of `files` it calls (and what they call, and the globals
/// they use), each made an internal always-inline function as the standard library's are.
/// Returns false and sets `error` when a file does not parse or link.
bool link_imported_bitcode(llvm::Module &module, const std::vector<ImportedBitcode> &files,
                           std::string &error);

/// The names of the embedded bitcode files ("strings.bpf.c"), sorted, for tests.
std::vector<std::string> stdlib_bitcode_files();

} // namespace scry
