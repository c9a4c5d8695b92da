#include "runtime/symbolizer.h"

#include <cstdio>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

namespace scry {

namespace {

FrameSymbol frame(const SymbolAt &s) {
  return FrameSymbol{s.name, s.offset, s.module};
}

/// Whether `path` is an ELF executable linked at fixed addresses (ET_EXEC, the ELF spec's
/// e_type): its run-time addresses are its symbols' addresses in every process.
bool fixed_address_executable(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  Elf64_Ehdr header{};
  bool ok = read(fd, &header, sizeof(header)) == static_cast<ssize_t>(sizeof(header));
  close(fd);
  return ok && std::memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_type == ET_EXEC;
}

} // namespace

std::optional<FrameSymbol> Symbolizer::kernel(uint64_t address) {
  if (!kernel_loaded_) {
    kernel_loaded_ = true;
    std::string error;
    kernel_ = KernelSymbols::load("/proc/kallsyms", error);
    if (!kernel_)
      std::fprintf(stderr, "scry: kernel frames print as addresses: %s\n", error.c_str());
  }
  if (!kernel_)
    return std::nullopt;
  if (auto s = kernel_->resolve(address))
    return frame(*s);
  return std::nullopt;
}

std::optional<FrameSymbol> Symbolizer::user(uint64_t address, int32_t pid, int32_t probe) {
  if (pid > 0)
    if (auto s = processes_.resolve(pid, address))
      return frame(*s);
  // The process is gone and was never captured: a non-PIE binary the probe named still maps
  // its functions at their link-time addresses.
  if (probe >= 0 && static_cast<size_t>(probe) < res_.programs.size()) {
    const ProbeProgram &p = res_.programs[static_cast<size_t>(probe)];
    const std::string &path = p.attach == AttachMechanism::Usdt ? p.usdt.path : p.uprobe.path;
    if (!path.empty()) {
      auto [it, fresh] = fixed_address_.try_emplace(path, false);
      if (fresh)
        it->second = fixed_address_executable(path);
      if (it->second)
        if (auto s = processes_.resolve_in_file(path, address))
          return frame(*s);
    }
  }
  return std::nullopt;
}

} // namespace scry
