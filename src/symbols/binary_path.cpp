#include "symbols/binary_path.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <fstream>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace scry {

namespace {

bool is_regular_file(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool same_file(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string basename_of(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Whether the file name `name` is the library `target` names: "libc" and "c" name
/// "libc.so.6", "libc.so" and "libc-2.31.so"; a full name ("libc.so.6") names only itself.
bool names_library(const std::string &name, const std::string &target) {
  if (name == target)
    return true;
  std::string lib = target.rfind("lib", 0) == 0 ? target : "lib" + target;
  if (lib.find(".so") != std::string::npos)
    return false;
  return name == lib + ".so" || name.rfind(lib + ".so.", 0) == 0 || name.rfind(lib + "-", 0) == 0;
}

/// The paths of the files process `pid` maps, each once, in the order of /proc/PID/maps.
std::vector<std::string> mapped_files(pid_t pid) {
  std::vector<std::string> files;
  std::set<std::string> seen;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string line;
  while (std::getline(maps, line)) {
    size_t path = line.find('/');
    if (path == std::string::npos)
      continue;
    std::string file = line.substr(path);
    if (file.size() > 10 && file.compare(file.size() - 10, 10, " (deleted)") == 0)
      continue;
    if (seen.insert(file).second)
      files.push_back(file);
  }
  return files;
}

/// `path` as process `pid` sees it: itself when it is the same file here, else through
/// /proc/PID/root.
std::string in_process_root(const std::string &path, pid_t pid) {
  if (pid <= 0 || path.empty() || path[0] != '/')
    return path;
  std::string rooted = "/proc/" + std::to_string(pid) + "/root" + path;
  return same_file(path, rooted) || !is_regular_file(rooted) ? path : rooted;
}

std::string on_path(const std::string &name) {
  std::vector<std::string> all = programs_on_path(name);
  return all.empty() ? std::string() : all.front();
}

// The standard directories of the dynamic loader after its cache (ld.so(8)).
constexpr const char *kLibraryDirs[] = {"/lib/x86_64-linux-gnu",
                                        "/usr/lib/x86_64-linux-gnu",
                                        "/lib64",
                                        "/usr/lib64",
                                        "/lib",
                                        "/usr/lib"};

/// What the dynamic loader reads from an object's dynamic section: its DT_NEEDED names and its
/// search paths (DT_RPATH, DT_RUNPATH; ':'-separated, $ORIGIN not yet expanded).
struct DynamicEntries {
  std::vector<std::string> needed;
  std::string rpath, runpath;
};

DynamicEntries read_dynamic(const std::string &path) {
  DynamicEntries out;
  elf_version(EV_CURRENT);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return out;
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  for (Elf_Scn *scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || shdr.sh_entsize == 0)
      continue;
    Elf_Data *data = elf_getdata(scn, nullptr);
    for (size_t i = 0; data && i < shdr.sh_size / shdr.sh_entsize; ++i) {
      GElf_Dyn dyn;
      if (!gelf_getdyn(data, static_cast<int>(i), &dyn))
        continue;
      const char *text = dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH
                             ? elf_strptr(elf, shdr.sh_link, dyn.d_un.d_val)
                             : nullptr;
      if (!text)
        continue;
      if (dyn.d_tag == DT_NEEDED)
        out.needed.emplace_back(text);
      else if (dyn.d_tag == DT_RPATH)
        out.rpath = text;
      else
        out.runpath = text;
    }
  }
  if (elf)
    elf_end(elf);
  close(fd);
  return out;
}

/// The directories of a DT_RPATH or DT_RUNPATH value, $ORIGIN (and ${ORIGIN}) replaced by the
/// directory of the object that has it.
std::vector<std::string> search_dirs(const std::string &value, const std::string &object) {
  std::vector<std::string> dirs;
  const std::string origin =
      object.substr(0, object.rfind('/') == std::string::npos ? 0 : object.rfind('/'));
  std::stringstream parts(value);
  std::string dir;
  while (std::getline(parts, dir, ':')) {
    for (const char *token : {"${ORIGIN}", "$ORIGIN"})
      for (size_t at = dir.find(token); at != std::string::npos; at = dir.find(token))
        dir.replace(at, std::strlen(token), origin.empty() ? "." : origin);
    if (!dir.empty())
      dirs.push_back(dir);
  }
  return dirs;
}

} // namespace

std::vector<std::string> program_libraries(const std::string &program) {
  std::vector<std::string> libs;
  std::set<std::string> seen_names;
  std::vector<std::pair<std::string, std::string>> cache; // read when first needed
  std::vector<std::string> queue = {program};
  for (size_t next = 0; next < queue.size(); ++next) {
    const std::string object = queue[next];
    const DynamicEntries dyn = read_dynamic(object);
    std::vector<std::string> dirs =
        search_dirs(dyn.runpath.empty() ? dyn.rpath : dyn.runpath, object);
    for (const std::string &name : dyn.needed) {
      if (!seen_names.insert(name).second)
        continue;
      std::string found;
      if (name.find('/') != std::string::npos) {
        found = is_regular_file(name) ? name : "";
      } else {
        for (const std::string &dir : dirs)
          if (found.empty() && is_regular_file(dir + "/" + name))
            found = dir + "/" + name;
        if (found.empty()) {
          if (cache.empty())
            cache = ld_so_cache();
          for (const auto &[soname, path] : cache)
            if (found.empty() && soname == name && is_regular_file(path))
              found = path;
        }
        for (const char *dir : kLibraryDirs)
          if (found.empty() && is_regular_file(std::string(dir) + "/" + name))
            found = std::string(dir) + "/" + name;
      }
      if (found.empty())
        continue;
      libs.push_back(found);
      queue.push_back(found);
    }
  }
  return libs;
}

std::vector<std::pair<std::string, std::string>> ld_so_cache() {
  std::vector<std::pair<std::string, std::string>> libs;
  std::ifstream in("/etc/ld.so.cache", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // struct cache_file_new (glibc sysdeps/generic/dl-cache.h): magic "glibc-ld.so.cache" and
  // version "1.1" (20 bytes), nlibs, len_strings, flags and padding, extension_offset,
  // unused[3]: 48 bytes; then nlibs struct file_entry_new of 24 bytes: int32 flags, uint32 key
  // and value (string offsets from the header's start), uint32 osversion, uint64 hwcap.
  constexpr size_t kHeader = 48, kEntry = 24;
  static const char kMagic[] = "glibc-ld.so.cache1.1";
  if (bytes.size() < kHeader || bytes.compare(0, sizeof kMagic - 1, kMagic) != 0)
    return libs;
  uint32_t nlibs;
  std::memcpy(&nlibs, bytes.data() + 20, 4);
  if (nlibs > (bytes.size() - kHeader) / kEntry)
    return libs;
  auto string_at = [&](uint32_t off) {
    return off < bytes.size() ? std::string(bytes.c_str() + off) : std::string();
  };
  for (uint32_t i = 0; i < nlibs; ++i) {
    const char *e = bytes.data() + kHeader + i * kEntry;
    int32_t flags;
    uint32_t key, value;
    std::memcpy(&flags, e, 4);
    std::memcpy(&key, e + 4, 4);
    std::memcpy(&value, e + 8, 4);
#if defined(__x86_64__)
    // FLAG_X8664_LIB64 (0x0300) in the architecture byte: 64-bit libraries only.
    if ((flags & 0xff00) != 0x0300)
      continue;
#endif
    libs.emplace_back(string_at(key), string_at(value));
  }
  return libs;
}

std::string resolve_binary(const std::string &target, pid_t pid, std::string &error,
                           const std::string &program) {
  if (target.find('/') != std::string::npos) {
    std::string path = in_process_root(target, pid);
    if (is_regular_file(path))
      return path;
    error = "no file " + target + (pid > 0 ? " (in process " + std::to_string(pid) + ")" : "");
    return {};
  }
  if (pid > 0)
    for (const std::string &file : mapped_files(pid))
      if (names_library(basename_of(file), target) || basename_of(file) == target)
        return in_process_root(file, pid);
  if (pid <= 0 && !program.empty()) {
    std::vector<std::string> files = {program};
    for (std::string &lib : program_libraries(program))
      files.push_back(std::move(lib));
    for (const std::string &file : files)
      if (names_library(basename_of(file), target) || basename_of(file) == target)
        return file;
  }
  if (std::string path = on_path(target); !path.empty())
    return path;
  for (const auto &[name, path] : ld_so_cache())
    if (names_library(name, target) && is_regular_file(path))
      return path;
  for (const char *dir : kLibraryDirs) {
    glob_t g{};
    std::string lib = target.rfind("lib", 0) == 0 ? target : "lib" + target;
    std::string pattern =
        std::string(dir) + "/" + lib + (lib.find(".so") == std::string::npos ? ".so*" : "");
    bool found = glob(pattern.c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0;
    std::string path = found ? g.gl_pathv[0] : "";
    globfree(&g);
    if (found && names_library(basename_of(path), target) && is_regular_file(path))
      return path;
  }
  error = "no program '" + target + "' on PATH and no library '" + target +
          "' in /etc/ld.so.cache or the standard library directories" +
          (pid > 0 ? " or among the files process " + std::to_string(pid) + " maps" : "");
  return {};
}

std::vector<std::string> programs_on_path(const std::string &name) {
  std::vector<std::string> found;
  if (name.empty() || name.find('/') != std::string::npos)
    return found;
  const char *env = std::getenv("PATH");
  std::stringstream dirs(env ? env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string path = (dir.empty() ? "." : dir) + "/" + name;
    if (!is_regular_file(path) || access(path.c_str(), X_OK) != 0)
      continue;
    if (std::none_of(found.begin(), found.end(),
                     [&](const std::string &f) { return same_file(f, path); }))
      found.push_back(path);
  }
  return found;
}

std::vector<std::string> expand_binary_wildcard(const std::string &pattern, pid_t pid,
                                                const std::string &program) {
  std::set<std::string> files;
  if (pid <= 0 && !program.empty() && pattern.find('/') == std::string::npos) {
    std::vector<std::string> candidates = {program};
    for (std::string &lib : program_libraries(program))
      candidates.push_back(std::move(lib));
    for (const std::string &file : candidates)
      if (pattern == "*" || fnmatch(pattern.c_str(), basename_of(file).c_str(), 0) == 0)
        files.insert(file);
    return {files.begin(), files.end()};
  }
  if (pid > 0) {
    for (const std::string &file : mapped_files(pid))
      if (pattern == "*" || fnmatch(pattern.c_str(), file.c_str(), 0) == 0 ||
          fnmatch(pattern.c_str(), basename_of(file).c_str(), 0) == 0)
        files.insert(in_process_root(file, pid));
    return {files.begin(), files.end()};
  }
  glob_t g{};
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      if (is_regular_file(g.gl_pathv[i]))
        files.insert(g.gl_pathv[i]);
  globfree(&g);
  return {files.begin(), files.end()};
}

} // namespace scry
