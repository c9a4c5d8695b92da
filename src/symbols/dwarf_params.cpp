#include "symbols/dwarf_params.h"

#include <cerrno>
#include <cstring>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <unistd.h>

namespace scry {

namespace {

/// The DIE that `die`'s DW_AT_type names, or false when it has none (void).
bool type_of(Dwarf_Die *die, Dwarf_Die *out) {
  Dwarf_Attribute attr;
  return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, out);
}

std::string type_name(Dwarf_Die *type) {
  int tag = dwarf_tag(type);
  Dwarf_Die inner;
  switch (tag) {
  case DW_TAG_pointer_type:
    return (type_of(type, &inner) ? type_name(&inner) : "void") + " *";
  case DW_TAG_const_type:
    return "const " + (type_of(type, &inner) ? type_name(&inner) : "void");
  case DW_TAG_volatile_type:
    return "volatile " + (type_of(type, &inner) ? type_name(&inner) : "void");
  case DW_TAG_restrict_type:
    return type_of(type, &inner) ? type_name(&inner) : "void";
  case DW_TAG_structure_type:
    return std::string("struct ") + (dwarf_diename(type) ? dwarf_diename(type) : "");
  case DW_TAG_union_type:
    return std::string("union ") + (dwarf_diename(type) ? dwarf_diename(type) : "");
  case DW_TAG_enumeration_type:
    return std::string("enum ") + (dwarf_diename(type) ? dwarf_diename(type) : "");
  default:
    return dwarf_diename(type) ? dwarf_diename(type) : "?";
  }
}

DwarfParam describe(Dwarf_Die *param) {
  DwarfParam p;
  if (const char *name = dwarf_diename(param))
    p.name = name;
  Dwarf_Die type;
  if (!type_of(param, &type))
    return p;
  p.type_name = type_name(&type);
  // Through typedefs and qualifiers to what the bytes are.
  for (int depth = 0; depth < 16; ++depth) {
    int tag = dwarf_tag(&type);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
      break;
    Dwarf_Die inner;
    if (!type_of(&type, &inner))
      return p;
    type = inner;
  }
  int tag = dwarf_tag(&type);
  int size = dwarf_bytesize(&type);
  if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
      tag == DW_TAG_rvalue_reference_type) {
    p.size = 8;
    p.is_pointer = true;
    p.supported = true;
  } else if (tag == DW_TAG_base_type && size > 0 && size <= 8) {
    Dwarf_Attribute attr;
    Dwarf_Word encoding = 0;
    if (dwarf_attr(&type, DW_AT_encoding, &attr))
      dwarf_formudata(&attr, &encoding);
    p.size = static_cast<uint32_t>(size);
    p.is_signed = encoding == DW_ATE_signed || encoding == DW_ATE_signed_char;
    p.supported = encoding == DW_ATE_signed || encoding == DW_ATE_signed_char ||
                  encoding == DW_ATE_unsigned || encoding == DW_ATE_unsigned_char ||
                  encoding == DW_ATE_boolean;
  } else if (tag == DW_TAG_enumeration_type && size > 0 && size <= 8) {
    p.size = static_cast<uint32_t>(size);
    p.is_signed = true;
    p.supported = true;
  }
  return p;
}

struct Search {
  const std::string *function;
  std::optional<std::vector<DwarfParam>> params;
};

int on_function(Dwarf_Die *fn, void *arg) {
  auto *search = static_cast<Search *>(arg);
  const char *name = dwarf_diename(fn);
  Dwarf_Attribute attr;
  const char *linkage = nullptr;
  if (dwarf_attr_integrate(fn, DW_AT_linkage_name, &attr))
    linkage = dwarf_formstring(&attr);
  bool named = (name && *search->function == name) || (linkage && *search->function == linkage);
  if (!named || dwarf_hasattr(fn, DW_AT_declaration))
    return DWARF_CB_OK;
  std::vector<DwarfParam> params;
  Dwarf_Die child;
  if (dwarf_child(fn, &child) == 0) {
    do {
      if (dwarf_tag(&child) == DW_TAG_formal_parameter)
        params.push_back(describe(&child));
    } while (dwarf_siblingof(&child, &child) == 0);
  }
  search->params = std::move(params);
  return DWARF_CB_ABORT;
}

} // namespace

std::optional<std::vector<DwarfParam>>
read_dwarf_params(const std::string &path, const std::string &function, std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  Dwarf *dwarf = dwarf_begin(fd, DWARF_C_READ);
  if (!dwarf) {
    close(fd);
    error = path + " has no DWARF debug information";
    return std::nullopt;
  }
  Search search{&function, std::nullopt};
  Dwarf_Off offset = 0, next = 0;
  size_t header = 0;
  while (!search.params &&
         dwarf_nextcu(dwarf, offset, &next, &header, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die cu;
    if (dwarf_offdie(dwarf, offset + header, &cu))
      dwarf_getfuncs(&cu, on_function, &search, 0);
    offset = next;
  }
  dwarf_end(dwarf);
  close(fd);
  if (!search.params)
    error = "the DWARF of " + path + " does not define " + function;
  return search.params;
}

} // namespace scry
