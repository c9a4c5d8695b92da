#include "symbols/usdt_notes.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <tuple>
#include <unistd.h>

namespace scry {

std::vector<UsdtProbe> read_usdt_probes(const std::string &path, std::string &error) {
  std::vector<UsdtProbe> probes;
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return probes;
  }
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  size_t strndx = 0;
  if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &strndx) != 0) {
    error = path + " is not an ELF executable or library";
    if (elf)
      elf_end(elf);
    close(fd);
    return probes;
  }
  const size_t address_bytes = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
  for (Elf_Scn *scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
      continue;
    const char *section = elf_strptr(elf, strndx, shdr.sh_name);
    if (!section || std::strcmp(section, ".note.stapsdt") != 0)
      continue;
    Elf_Data *data = elf_getdata(scn, nullptr);
    GElf_Nhdr note;
    size_t name_off = 0, desc_off = 0;
    for (size_t off = 0;
         data && (off = gelf_getnote(data, off, &note, &name_off, &desc_off)) > 0;) {
      // NT_STAPSDT (3), owner "stapsdt"; the description is three addresses (the probe's pc,
      // the .stapsdt.base address, the semaphore's), then provider, name and argument
      // specification as NUL-terminated strings.
      const char *bytes = static_cast<const char *>(data->d_buf);
      if (note.n_type != 3 || note.n_namesz != 8 ||
          std::memcmp(bytes + name_off, "stapsdt", 8) != 0 || note.n_descsz < 3 * address_bytes)
        continue;
      const char *desc = bytes + desc_off;
      const char *end = desc + note.n_descsz;
      uint64_t semaphore = 0;
      std::memcpy(&semaphore, desc + 2 * address_bytes, address_bytes);
      const char *provider = desc + 3 * address_bytes;
      const char *name = static_cast<const char *>(std::memchr(provider, 0, end - provider));
      if (!name || ++name >= end || !std::memchr(name, 0, end - name))
        continue;
      probes.push_back({provider, name, semaphore != 0});
    }
  }
  elf_end(elf);
  close(fd);
  std::sort(probes.begin(), probes.end(), [](const UsdtProbe &a, const UsdtProbe &b) {
    return std::tie(a.provider, a.name) < std::tie(b.provider, b.name);
  });
  probes.erase(std::unique(probes.begin(), probes.end(),
                           [](const UsdtProbe &a, const UsdtProbe &b) {
                             return a.provider == b.provider && a.name == b.name;
                           }),
               probes.end());
  return probes;
}

} // namespace scry
