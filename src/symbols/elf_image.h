// The function symbols and loadable segments of an ELF executable or shared library, read with
// elfutils' libelf: what a uprobe needs to turn `binary:function` into a file offset.
// Uses only base; sema (probe expansion) and the runtime (symbolization) read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// A function symbol (STT_FUNC or STT_GNU_IFUNC, defined in a section) of an ELF file.
struct ElfFunction {
  std::string name;     // as in the symbol table (C++ names mangled)
  uint64_t address = 0; // st_value: the virtual address in the file's own address space
  uint64_t size = 0;    // st_size in bytes (0 when the symbol table does not say)
};

/// A PT_LOAD segment (ELF spec, "Program Header").
struct ElfSegment {
  uint64_t vaddr = 0, offset = 0, filesz = 0;
  bool executable = false;
};

/// One ELF file's function symbols (.symtab and .dynsym merged, each name once, sorted by
/// name) and its PT_LOAD segments.
struct ElfImage {
  std::string path;
  bool position_independent = false; // ET_DYN: a PIE executable or a shared library
  std::vector<ElfFunction> functions;
  std::vector<ElfFunction> objects; // STT_OBJECT symbols (global and static variables), by name
  std::vector<ElfSegment> segments;

  /// The function named `name` (exactly), or null.
  const ElfFunction *find(const std::string &name) const;
  /// The variable (STT_OBJECT symbol) named `name`, or null.
  const ElfFunction *find_object(const std::string &name) const;
  /// The virtual address of file offset `offset` in an executable PT_LOAD segment (the inverse
  /// of file_offset()), or nullopt.
  std::optional<uint64_t> address_of_offset(uint64_t offset) const;
  /// The file offset of the virtual address `address` (what the kernel's uprobe API takes):
  /// address - p_vaddr + p_offset of the executable PT_LOAD segment holding it, or nullopt when
  /// no executable segment does.
  std::optional<uint64_t> file_offset(uint64_t address) const;
};

/// Reads `path`. Returns nullopt with `error` set to a sentence naming the file when it cannot
/// be opened or is not an ELF file.
std::optional<ElfImage> read_elf_image(const std::string &path, std::string &error);

/// The C++ demangled form of `name` (Itanium ABI, by the C++ runtime's __cxa_demangle), or ""
/// when it is not a mangled name. Parameter lists are kept: "ns::Class::method(int)".
std::string demangle(const std::string &name);

} // namespace scry
