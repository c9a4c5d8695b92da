// Where the file of a uprobe's or USDT probe's target is: `uprobe:TARGET:function` names a path
// ("/usr/bin/bash", "./app"), a program on PATH ("bash") or a shared library ("libc", "c",
// "libssl.so.3"), found as the dynamic loader finds it (ld-linux's cache, then the standard
// directories), or, with -p, among the files the process has mapped.
// Uses only base.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace scry {

/// The file `target` names, as above. With `pid` > 0 the process's own view wins: a library is
/// looked up in /proc/PID/maps first, and an absolute path that is not the same file in scry's
/// mount namespace is read through /proc/PID/root (a process in a container). With `program`
/// (the -c command, which has not run yet and maps nothing), the program and the libraries it
/// will load come first (program_libraries). Returns "" with `error` set to a sentence saying
/// where it looked when nothing matches.
std::string resolve_binary(const std::string &target, pid_t pid, std::string &error,
                           const std::string &program = {});

/// The executable files named `name` (no '/') in the directories of PATH, in PATH's order, a
/// file reached twice (/bin and /usr/bin on a merged-/usr system) listed once.
std::vector<std::string> programs_on_path(const std::string &name);

/// The files that `pattern` (a wildcard over paths, e.g. "/usr/lib/*/libc.so*") or, with `pid`,
/// "*" (every file the process maps) names, existing regular files only, in sorted order. With
/// `program` and no `pid`, a pattern without '/' matches the program and its libraries.
std::vector<std::string> expand_binary_wildcard(const std::string &pattern, pid_t pid,
                                                const std::string &program = {});

/// The shared libraries the ELF executable `program` loads at start, found as the dynamic
/// loader finds them (ld.so(8)): each DT_NEEDED entry, transitively, in the loading object's
/// DT_RPATH (when it has no DT_RUNPATH) or DT_RUNPATH with $ORIGIN expanded, then ld.so.cache,
/// then the standard directories. LD_LIBRARY_PATH and LD_PRELOAD are not read. Paths in load
/// order, each once; libraries not found are left out.
std::vector<std::string> program_libraries(const std::string &program);

/// The shared libraries of ld-linux's cache (/etc/ld.so.cache, glibc's "glibc-ld.so.cache1.1"
/// format, elf/cache.c) for this machine's word size: pairs of (soname, path).
std::vector<std::pair<std::string, std::string>> ld_so_cache();

} // namespace scry
