// User-space symbolization for the runtime's ustack and usym: the addresses of a process,
// resolved with elfutils' libdwfl from the process's mappings, even after the process has
// exited (its /proc/PID/maps is kept from while it lived). Uses only base.
#pragma once

#include "symbols/kernel_symbols.h" // SymbolAt

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <tuple>
#include <vector>

namespace scry {

/// Resolves user addresses of many processes, living or exited. Not thread-safe.
///
/// Per process it keeps the text of /proc/PID/maps (proc(5)) as captured. Per ELF file it keeps
/// one libdwfl session and a sorted symbol index, shared by every process that maps the file
/// (a system-wide trace sees thousands of processes and a few hundred files), opened at the
/// first resolve that needs it and kept until destruction. A run-time address becomes a file
/// offset through the mapping holding it, then a virtual address through the file's PT_LOAD
/// segments. Symbols come, in libdwfl's order, from the file's .symtab, else from separate debug
/// information on this machine (/usr/lib/debug/.build-id/, .gnu_debuglink; never from a
/// debuginfod server), else .dynsym, plus its MiniDebugInfo (.gnu_debugdata). The [vdso] is
/// resolved with scry's own vDSO image (the kernel maps one image into every process of an ABI).
///
/// A mapped file is opened, while its process lives, as /proc/PID/map_files/START-END (the very
/// file mapped, even deleted or replaced since; root can) or /proc/PID/root/PATH (a container's
/// files); after it has exited, as PATH, only if it still has the mapped inode. So a file deleted
/// or replaced before the first resolve of an exited process does not resolve.
class ProcessSymbols {
public:
  ProcessSymbols();
  ~ProcessSymbols();
  ProcessSymbols(const ProcessSymbols &) = delete;
  ProcessSymbols &operator=(const ProcessSymbols &) = delete;

  /// Keeps the text of /proc/PID/maps as it is now, replacing an earlier capture of `pid`.
  /// Cheap: two small /proc reads; no ELF file is opened (that happens at the first resolve).
  /// False, keeping any earlier capture, when the process is gone or maps nothing (a zombie, a
  /// kernel thread).
  bool capture(pid_t pid);

  /// Whether a capture of `pid` is kept (from capture() or from a resolve of a live process).
  bool has_capture(pid_t pid) const;

  /// The symbol holding user address `addr` of process `pid`: from the capture, else from the
  /// live process (capturing it now). C++ names are demangled (scry::demangle), other names kept
  /// as they are; `module` is the mapped file's path as /proc/PID/maps shows it (" (deleted)"
  /// included). When the capture maps nothing at `addr` and the same process (same pid and start
  /// time) still lives, as after a dlopen, it captures it again once and retries. nullopt when
  /// no file mapping or no symbol holds `addr`.
  std::optional<SymbolAt> resolve(pid_t pid, uint64_t addr);

  /// The symbol holding `addr` taken as a virtual address of ELF file `path` (p_vaddr space:
  /// what a non-PIE executable's addresses are at run time, whatever process ran it). `module`
  /// is `path`. nullopt when the file cannot be read or no loadable segment or no symbol holds
  /// `addr` (so a PIE's run-time addresses hold nothing).
  std::optional<SymbolAt> resolve_in_file(const std::string &path, uint64_t addr);

  // Opaque, defined in process_symbols.cpp (public only for its callbacks).
  struct Process; // one process's capture
  struct File;    // one ELF file's libdwfl session and symbol index

private:
  /// (device, inode, size, mtime in ns) of a mapped file: a rebuilt file is another file.
  using FileId = std::tuple<uint64_t, uint64_t, uint64_t, int64_t>;

  Process *capture_into(pid_t pid);
  File *file_of(Process &p, size_t mapping);

  std::map<pid_t, std::unique_ptr<Process>> processes_;
  std::map<FileId, std::unique_ptr<File>> mapped_files_;
  std::map<std::string, std::unique_ptr<File>> files_; // resolve_in_file's, by path
  std::unique_ptr<File> vdso_;
  bool vdso_tried_ = false;
};

} // namespace scry
