#include "codegen/stdlib_bitcode.h"

#include <cstdint>
#include <llvm/ADT/StringRef.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/DebugInfo.h>
#include <llvm/IR/Function.h>
#include <llvm/Linker/Linker.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>
#include <set>

namespace scry {

namespace {

struct BitcodeFile {
  const char *name;
  std::vector<uint8_t> bytes;
};

// Written by cmake/embed_bitcode.cmake from stdlib/*.bpf.c.
const std::vector<BitcodeFile> &bitcode_files() {
  static const std::vector<BitcodeFile> files = {
#include "stdlib_bitcode.inc"
  };
  return files;
}

/// The stdlib functions `module` declares and does not define.
std::set<std::string> missing_functions(const llvm::Module &module) {
  std::set<std::string> names;
  for (const llvm::Function &fn : module)
    if (fn.isDeclaration() && fn.getName().startswith(kStdlibFunctionPrefix))
      names.insert(fn.getName().str());
  return names;
}

/// Makes `name`, now defined in `module`, an internal always-inline function without debug info
/// of its own: the optimiser inlines it into its callers (whose source lines its instructions
/// take) and drops it, so that it is not a BPF subprogram.
void inline_everywhere(llvm::Module &module, const std::string &name) {
  llvm::Function *fn = module.getFunction(name);
  if (!fn || fn->isDeclaration())
    return;
  llvm::stripDebugInfo(*fn);
  fn->setLinkage(llvm::GlobalValue::InternalLinkage);
  fn->setVisibility(llvm::GlobalValue::DefaultVisibility);
  fn->removeFnAttr(llvm::Attribute::NoInline);
  fn->addFnAttr(llvm::Attribute::AlwaysInline);
}

} // namespace

bool link_imported_bitcode(llvm::Module &module, const std::vector<ImportedBitcode> &files,
                           std::string &error) {
  for (const ImportedBitcode &file : files) {
    auto parsed = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(llvm::StringRef(file.bitcode), file.name), module.getContext());
    if (!parsed) {
      error = "internal error: the compiled " + file.name +
              " does not load: " + llvm::toString(parsed.takeError());
      return false;
    }
    std::unique_ptr<llvm::Module> library = std::move(*parsed);
    std::set<std::string> defined;
    for (const llvm::Function &fn : *library)
      if (!fn.isDeclaration())
        defined.insert(fn.getName().str());
    library->setDataLayout(module.getDataLayout());
    library->setTargetTriple(module.getTargetTriple());
    if (llvm::Linker::linkModules(module, std::move(library), llvm::Linker::LinkOnlyNeeded)) {
      error = "the compiled " + file.name +
              " cannot be linked into the program (a global of "
              "the same name as one of scry's?)";
      return false;
    }
    for (const std::string &name : defined)
      inline_everywhere(module, name);
  }
  return true;
}

bool link_stdlib_bitcode(llvm::Module &module, std::string &error) {
  std::set<std::string> wanted = missing_functions(module);
  if (wanted.empty())
    return true;
  std::set<std::string> linked; // every function the linked files define
  for (const BitcodeFile &file : bitcode_files()) {
    llvm::StringRef bytes(reinterpret_cast<const char *>(file.bytes.data()), file.bytes.size());
    auto parsed =
        llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, file.name), module.getContext());
    if (!parsed) {
      error = "internal error: the standard library's " + std::string(file.name) +
              " does not load: " + llvm::toString(parsed.takeError());
      return false;
    }
    std::unique_ptr<llvm::Module> library = std::move(*parsed);
    bool defines_one = false;
    for (const std::string &name : wanted)
      if (const llvm::Function *fn = library->getFunction(name); fn && !fn->isDeclaration())
        defines_one = true;
    if (!defines_one)
      continue;
    for (const llvm::Function &fn : *library)
      if (!fn.isDeclaration())
        linked.insert(fn.getName().str());
    library->setDataLayout(module.getDataLayout());
    library->setTargetTriple(module.getTargetTriple());
    // LinkOnlyNeeded: only the functions the module refers to (and what they call) come in.
    if (llvm::Linker::linkModules(module, std::move(library), llvm::Linker::LinkOnlyNeeded)) {
      error =
          "internal error: the standard library's " + std::string(file.name) + " cannot be linked";
      return false;
    }
  }
  for (const std::string &name : wanted) {
    llvm::Function *fn = module.getFunction(name);
    if (!fn || fn->isDeclaration()) {
      error = "internal error: no file of the standard library defines " + name;
      return false;
    }
  }
  // Inlined into the probes, with the line of the call: the files' own debug information stays
  // only on their globals (the BTF of their maps).
  for (const std::string &name : linked)
    inline_everywhere(module, name);
  return true;
}

std::vector<std::string> stdlib_bitcode_files() {
  std::vector<std::string> names;
  for (const BitcodeFile &file : bitcode_files())
    names.emplace_back(file.name);
  return names;
}

} // namespace scry
