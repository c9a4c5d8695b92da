#include "symbols/elf_image.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cxxabi.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace scry {

namespace {

/// Adds the defined function symbols of the symbol table section `scn` to `out`, and its
/// variables to `objects`.
void read_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr &shdr, std::vector<ElfFunction> &out,
                  std::vector<ElfFunction> &objects) {
  Elf_Data *data = elf_getdata(scn, nullptr);
  if (!data || shdr.sh_entsize == 0)
    return;
  size_t count = shdr.sh_size / shdr.sh_entsize;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym))
      continue;
    int type = GELF_ST_TYPE(sym.st_info);
    const bool function = type == STT_FUNC || type == STT_GNU_IFUNC;
    if ((!function && type != STT_OBJECT) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
      continue;
    const char *name = elf_strptr(elf, shdr.sh_link, sym.st_name);
    if (!name || !*name)
      continue;
    (function ? out : objects).push_back({name, sym.st_value, sym.st_size});
  }
}

/// The symbol named `name` in `symbols` (sorted by name), or null.
const ElfFunction *find_by_name(const std::vector<ElfFunction> &symbols, const std::string &name) {
  auto it = std::lower_bound(symbols.begin(), symbols.end(), name,
                             [](const ElfFunction &f, const std::string &n) { return f.name < n; });
  return it != symbols.end() && it->name == name ? &*it : nullptr;
}

/// Sorts `symbols` by name and keeps each name once (the first address: aliases of one name at
/// two addresses do not occur in well-formed files; .symtab and .dynsym repeat most names).
void sort_unique(std::vector<ElfFunction> &symbols) {
  std::stable_sort(symbols.begin(), symbols.end(),
                   [](const ElfFunction &a, const ElfFunction &b) { return a.name < b.name; });
  symbols.erase(
      std::unique(symbols.begin(), symbols.end(),
                  [](const ElfFunction &a, const ElfFunction &b) { return a.name == b.name; }),
      symbols.end());
}

} // namespace

const ElfFunction *ElfImage::find(const std::string &name) const {
  return find_by_name(functions, name);
}

const ElfFunction *ElfImage::find_object(const std::string &name) const {
  return find_by_name(objects, name);
}

std::optional<uint64_t> ElfImage::address_of_offset(uint64_t offset) const {
  for (const ElfSegment &s : segments)
    if (s.executable && offset >= s.offset && offset < s.offset + s.filesz)
      return offset - s.offset + s.vaddr;
  return std::nullopt;
}

std::optional<uint64_t> ElfImage::file_offset(uint64_t address) const {
  for (const ElfSegment &s : segments)
    if (s.executable && address >= s.vaddr && address < s.vaddr + s.filesz)
      return address - s.vaddr + s.offset;
  return std::nullopt;
}

std::optional<ElfImage> read_elf_image(const std::string &path, std::string &error) {
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  GElf_Ehdr ehdr;
  if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
    error = path + " is not an ELF executable or library";
    if (elf)
      elf_end(elf);
    close(fd);
    return std::nullopt;
  }
  ElfImage image;
  image.path = path;
  image.position_independent = ehdr.e_type == ET_DYN;

  size_t phnum = 0;
  elf_getphdrnum(elf, &phnum);
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (gelf_getphdr(elf, static_cast<int>(i), &phdr) && phdr.p_type == PT_LOAD)
      image.segments.push_back(
          {phdr.p_vaddr, phdr.p_offset, phdr.p_filesz, (phdr.p_flags & PF_X) != 0});
  }

  for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) && (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM))
      read_symbols(elf, scn, shdr, image.functions, image.objects);
  }
  elf_end(elf);
  close(fd);

  sort_unique(image.functions);
  sort_unique(image.objects);
  return image;
}

std::string demangle(const std::string &name) {
  if (name.rfind("_Z", 0) != 0)
    return {};
  int status = 0;
  char *out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !out)
    return {};
  std::string text(out);
  std::free(out);
  return text;
}

} // namespace scry
