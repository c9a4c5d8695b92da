// The parameters of a function from its binary's DWARF, read with elfutils' libdw: what
// `args.NAME` means in a uprobe (names, sizes, signs, pointers).
// Uses only base.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// One formal parameter, its type reduced through typedefs and qualifiers.
struct DwarfParam {
  std::string name;      // "" for an unnamed parameter
  std::string type_name; // as DWARF names the declared type ("size_t", "int", "char *")
  uint32_t size = 0;     // bytes
  bool is_signed = false;
  bool is_pointer = false;
  /// Whether scry can read it from a register: an integer, enum, bool or pointer of at most 8
  /// bytes (not a struct or union passed by value, nor a floating-point value).
  bool supported = false;
};

/// The parameters of the function `function` (its DW_AT_name, or its linkage name for C++) as
/// the DWARF of `path` declares them, in order: parameter i is in argument register i. nullopt
/// when the file has no DWARF or no definition of the function (then `error` says which).
std::optional<std::vector<DwarfParam>>
read_dwarf_params(const std::string &path, const std::string &function, std::string &error);

} // namespace scry
