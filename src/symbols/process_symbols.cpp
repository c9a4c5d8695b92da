// How a process's addresses are resolved, even after it has exited: its /proc/PID/maps text is
// captured while it lives; at resolve time the mapping holding an address gives the file and
// the file offset, and the file's own libdwfl session (one per file, shared by all processes)
// gives the symbol. elfutils' process-level helpers are not used: a session per process built
// with dwfl_linux_proc_maps_report costs about 1 MB and, with dwfl_linux_proc_find_elf, an open
// descriptor per process (thousands in a system-wide trace); dwfl_linux_proc_find_elf also opens
// paths in scry's mount namespace only and skips [vdso]; dwfl_standard_find_debuginfo dlopens
// libdebuginfod (curl and some thirty libraries) for every file without local debug information
// and downloads from the servers in DEBUGINFOD_URLS when that is set.
#include "symbols/process_symbols.h"

#include "symbols/elf_image.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <set>
#include <string_view>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace scry {

namespace {

/// One line of /proc/PID/maps (proc(5)): "START-END PERMS OFFSET MAJ:MIN INODE   PATH".
struct Mapping {
  uint64_t start = 0, end = 0, offset = 0;
  uint64_t device = 0; // MAJ << 32 | MIN
  uint64_t inode = 0;
  std::string path; // "" for anonymous memory; "[vdso]", "[heap]"...; " (deleted)" kept
};

/// Parses a hexadecimal or decimal number at the front of `s`, advancing past it.
uint64_t take_number(std::string_view &s, int base) {
  uint64_t value = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    unsigned digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else
      break;
    value = value * base + digit;
  }
  s.remove_prefix(i);
  return value;
}

/// Skips the rest of the current field and the spaces after it.
void skip_field(std::string_view &s) {
  size_t end = s.find(' ');
  s.remove_prefix(end == std::string_view::npos ? s.size() : end);
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
}

/// The lines of a maps text, in its order (ascending addresses, not overlapping).
std::vector<Mapping> parse_maps(std::string_view text) {
  std::vector<Mapping> out;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    Mapping m;
    m.start = take_number(line, 16);
    if (line.empty() || line.front() != '-')
      continue;
    line.remove_prefix(1);
    m.end = take_number(line, 16);
    skip_field(line); // to PERMS
    skip_field(line); // to OFFSET
    m.offset = take_number(line, 16);
    skip_field(line); // to MAJ:MIN
    m.device = take_number(line, 16) << 32;
    if (!line.empty() && line.front() == ':')
      line.remove_prefix(1);
    m.device |= take_number(line, 16);
    skip_field(line); // to INODE
    m.inode = take_number(line, 10);
    while (!line.empty() && line.front() == ' ')
      line.remove_prefix(1);
    m.path = std::string(line);
    if (m.end > m.start)
      out.push_back(std::move(m));
  }
  return out;
}

/// Reads a small file whole (a /proc file reports size 0: read to EOF). False when unreadable.
bool read_file(const std::string &path, std::string &out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  out.clear();
  char buffer[16384];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0)
      break;
    out.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

/// Field 22 of /proc/PID/stat, the start time in clock ticks since boot (proc(5)): with the pid
/// it names one process, not a later one that reuses the pid. nullopt when there is no process.
std::optional<uint64_t> start_time(pid_t pid) {
  std::string stat;
  if (!read_file("/proc/" + std::to_string(pid) + "/stat", stat))
    return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::string_view rest = std::string_view(stat).substr(close + 1);
  while (!rest.empty() && rest.front() == ' ')
    rest.remove_prefix(1);
  for (int field = 3; field < 22; ++field)
    skip_field(rest);
  return take_number(rest, 10);
}

bool ends_with(const std::string &s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

/// Opens `path` if it is a regular file (a mapped device could block or act on open).
int open_regular(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return -1;
  return open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

/// One module's function and object symbols sorted by address. dwfl_module_addrinfo scans the
/// whole symbol table on every call (some 150 us an address in libc); this is a binary search.
class SymbolIndex {
public:
  explicit SymbolIndex(Dwfl_Module *mod) {
    int count = dwfl_module_getsymtab(mod);
    for (int i = 1; i < count; ++i) {
      GElf_Sym sym;
      GElf_Addr address = 0;
      GElf_Word shndx = SHN_UNDEF;
      Elf *elf = nullptr;
      Dwarf_Addr bias = 0;
      const char *name = dwfl_module_getsym_info(mod, i, &sym, &address, &shndx, &elf, &bias);
      int type = GELF_ST_TYPE(sym.st_info);
      // shndx is -1 for a symbol of a section that is not loaded. STT_NOTYPE: assembly
      // functions without a .type directive.
      if (!name || !*name || shndx == SHN_UNDEF || shndx == SHN_ABS ||
          shndx == static_cast<GElf_Word>(-1) ||
          (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT && type != STT_NOTYPE))
        continue;
      // A symbol without a size reaches at most to the end of its section (as libdwfl's
      // dwfl_module_addrsym rules: _init does not run on over the PLT).
      uint64_t limit = UINT64_MAX;
      GElf_Shdr shdr;
      Elf_Scn *scn = sym.st_size == 0 && elf ? elf_getscn(elf, shndx) : nullptr;
      if (scn && gelf_getshdr(scn, &shdr))
        limit = shdr.sh_addr + shdr.sh_size + bias;
      symbols_.push_back({address, sym.st_size, limit, name, rank(sym)});
    }
    // Of several symbols at one address keep the one rank() prefers (then the first listed).
    std::stable_sort(symbols_.begin(), symbols_.end(), [](const Symbol &a, const Symbol &b) {
      return a.start != b.start ? a.start < b.start : a.rank < b.rank;
    });
    symbols_.erase(std::unique(symbols_.begin(), symbols_.end(),
                               [](const Symbol &a, const Symbol &b) { return a.start == b.start; }),
                   symbols_.end());
  }

  /// The symbol holding `addr` (in the module's addresses) and the offset into it: the highest
  /// one at or below `addr` whose size covers it (looking past a few symbols nested in a larger
  /// one), else the nearest one below when that has no size (hand-written assembly) and its
  /// section holds `addr`. Names are demangled once.
  std::optional<std::pair<std::string, uint64_t>> find(uint64_t addr) {
    auto above = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                                  [](uint64_t a, const Symbol &s) { return a < s.start; });
    if (above == symbols_.begin())
      return std::nullopt;
    size_t nearest = static_cast<size_t>(above - symbols_.begin()) - 1;
    std::optional<size_t> found;
    for (size_t i = nearest + 1, seen = 0; i-- > 0 && seen < 16; ++seen)
      if (addr - symbols_[i].start < symbols_[i].size) {
        found = i;
        break;
      }
    if (!found && symbols_[nearest].size == 0 && addr < symbols_[nearest].limit)
      found = nearest;
    if (!found)
      return std::nullopt;
    Symbol &s = symbols_[*found];
    auto name = names_.find(s.start);
    if (name == names_.end()) {
      std::string demangled = demangle(s.name);
      name = names_.emplace(s.start, demangled.empty() ? std::string(s.name) : demangled).first;
    }
    return std::make_pair(name->second, addr - s.start);
  }

private:
  struct Symbol {
    uint64_t start, size;
    uint64_t limit;   // for a symbol without a size, the end of its section
    const char *name; // in the module's ELF string table, which lives as long as the module
    int rank;
  };

  /// Lower is preferred: a sized symbol, then a global, weak, local (or hidden: the linker's
  /// internal aliases) one, then a function or an object over an untyped symbol.
  static int rank(const GElf_Sym &sym) {
    int bind = GELF_ST_BIND(sym.st_info);
    int type = GELF_ST_TYPE(sym.st_info);
    bool hidden = GELF_ST_VISIBILITY(sym.st_other) == STV_HIDDEN ||
                  GELF_ST_VISIBILITY(sym.st_other) == STV_INTERNAL;
    int scope = bind == STB_LOCAL || hidden ? 4 : bind == STB_WEAK ? 2 : 0;
    return (sym.st_size == 0) * 8 + scope + (type == STT_NOTYPE);
  }

  std::vector<Symbol> symbols_;
  std::unordered_map<uint64_t, std::string> names_; // demangled names of the symbols found
};

} // namespace

struct ProcessSymbols::Process {
  pid_t pid = 0;
  uint64_t start_time = 0;
  std::string maps;              // /proc/PID/maps as last captured
  std::vector<Mapping> mappings; // parsed from maps, at the first resolve after a capture
  bool parsed = false;
  std::unordered_set<uint64_t> unmapped; // addresses a fresh capture did not map either
  std::map<std::pair<uint64_t, uint64_t>, File *> files; // by (device, inode); null: unreadable

  /// Whether this process (not a later one with its pid) still runs.
  bool lives() const {
    auto now = scry::start_time(pid);
    return now && *now == start_time;
  }

  /// The index in mappings of the mapping holding `addr`, or nullopt.
  std::optional<size_t> mapping_at(uint64_t addr) {
    if (!parsed) {
      mappings = parse_maps(maps);
      parsed = true;
    }
    auto it = std::upper_bound(mappings.begin(), mappings.end(), addr,
                               [](uint64_t a, const Mapping &m) { return a < m.start; });
    if (it == mappings.begin() || addr >= (--it)->end)
      return std::nullopt;
    return static_cast<size_t>(it - mappings.begin());
  }

  /// Opens `path` as this process sees it: through /proc/PID/root/ while it lives (a
  /// container's files), else in scry's own mount namespace.
  int open_as_seen(const std::string &path) const {
    if (lives()) {
      int fd = open_regular("/proc/" + std::to_string(pid) + "/root" + path);
      if (fd >= 0)
        return fd;
    }
    return open_regular(path);
  }

  /// Opens the file of mapping `m`, filling `st`: while the process lives
  /// /proc/PID/map_files/START-END (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE) or
  /// /proc/PID/root/PATH, else PATH; each only if it is the mapped inode. -1 when none is.
  int open_mapped(const Mapping &m, struct stat &st) const {
    std::vector<std::string> candidates;
    if (lives()) {
      char link[96];
      std::snprintf(link, sizeof link, "/proc/%d/map_files/%llx-%llx", static_cast<int>(pid),
                    static_cast<unsigned long long>(m.start),
                    static_cast<unsigned long long>(m.end));
      candidates.push_back(link);
      candidates.push_back("/proc/" + std::to_string(pid) + "/root" + m.path);
    }
    if (!ends_with(m.path, " (deleted)"))
      candidates.push_back(m.path);
    for (const std::string &path : candidates) {
      int fd = open_regular(path);
      if (fd < 0)
        continue;
      if (fstat(fd, &st) == 0 && st.st_ino == m.inode)
        return fd;
      close(fd);
    }
    return -1;
  }
};

struct ProcessSymbols::File {
  Dwfl *dwfl = nullptr;
  Dwfl_Module *module = nullptr;
  uint64_t bias = 0; // the module's addresses minus the file's virtual addresses
  struct Segment {
    uint64_t offset, vaddr, filesz, memsz;
  };
  std::vector<Segment> segments; // PT_LOAD, to turn file offsets into virtual addresses
  std::unique_ptr<SymbolIndex> index;
  std::vector<char> image; // the [vdso]'s bytes, which its Elf reads in place

  // While the file is opened, for the libdwfl callbacks.
  Elf *pending = nullptr;                          // handed to libdwfl by find_elf
  std::string path;                                // its .gnu_debuglink is looked up next to it
  const ProcessSymbols::Process *opener = nullptr; // whose view of the files to look in

  ~File() {
    if (dwfl)
      dwfl_end(dwfl);
    if (pending)
      elf_end(pending);
  }

  /// The virtual address of file offset `offset`: in the PT_LOAD segment holding it.
  std::optional<uint64_t> vaddr(uint64_t offset) const {
    for (const Segment &s : segments)
      if (offset >= s.offset && offset - s.offset < s.filesz)
        return offset - s.offset + s.vaddr;
    return std::nullopt;
  }

  /// The symbol holding virtual address `vaddr`, its module `module`; nullopt outside the
  /// loadable segments.
  std::optional<SymbolAt> symbol(uint64_t vaddr, const std::string &module) {
    if (std::none_of(segments.begin(), segments.end(), [&](const Segment &s) {
          return vaddr >= s.vaddr && vaddr - s.vaddr < s.memsz;
        }))
      return std::nullopt;
    auto found = index->find(vaddr + bias);
    if (!found)
      return std::nullopt;
    return SymbolAt{std::move(found->first), found->second, module};
  }
};

namespace {

using File = ProcessSymbols::File;

/// Dwfl_Callbacks::find_elf: the Elf the File opened (through a private mapping, its descriptor
/// already closed, so that none stays open per file).
int find_elf(Dwfl_Module *, void **userdata, const char *, Dwarf_Addr, char **file_name,
             Elf **elfp) {
  auto *f = static_cast<File *>(*userdata);
  if (!f || !f->pending)
    return -1;
  *elfp = f->pending;
  f->pending = nullptr;
  *file_name = strdup(f->path.c_str());
  return -1;
}

/// Whether the ELF file open at `fd` carries the GNU build ID `id` (`size` bytes).
bool has_build_id(int fd, const unsigned char *id, int size) {
  Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (!elf)
    return false;
  const void *bits = nullptr;
  ssize_t n = dwelf_elf_gnu_build_id(elf, &bits);
  bool same = n == size && std::memcmp(bits, id, static_cast<size_t>(size)) == 0;
  elf_end(elf);
  return same;
}

/// Dwfl_Callbacks::find_debuginfo, on this machine only (never debuginfod): the file named by
/// the build ID under /usr/lib/debug/.build-id/, then the .gnu_debuglink name next to the file,
/// in its .debug/ directory and under /usr/lib/debug/ (the places GDB's manual, "Separate Debug
/// Files", lists). A debuglink candidate must carry the module's build ID when it has one (its
/// CRC is not checked). Paths are looked up as the opening process sees them.
int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *, Dwarf_Addr, const char *,
                   const char *debuglink, GElf_Word, char **debuginfo_file_name) {
  auto *f = static_cast<File *>(*userdata);
  if (!f)
    return -1;
  auto open_file = [&](const std::string &path) {
    return f->opener ? f->opener->open_as_seen(path) : open_regular(path);
  };
  const unsigned char *id = nullptr;
  GElf_Addr id_vaddr = 0;
  int id_size = dwfl_module_build_id(mod, &id, &id_vaddr);
  std::vector<std::string> candidates;
  if (id_size > 1) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    for (int i = 0; i < id_size; ++i) {
      hex += digits[id[i] >> 4];
      hex += digits[id[i] & 15];
    }
    candidates.push_back("/usr/lib/debug/.build-id/" + hex.substr(0, 2) + "/" + hex.substr(2) +
                         ".debug");
  }
  const std::string &file = f->path;
  if (debuglink && *debuglink && !file.empty() && file.front() == '/' &&
      !ends_with(file, " (deleted)")) {
    std::string dir = file.substr(0, file.rfind('/'));
    if (dir + "/" + debuglink != file)
      candidates.push_back(dir + "/" + debuglink);
    candidates.push_back(dir + "/.debug/" + debuglink);
    candidates.push_back("/usr/lib/debug" + dir + "/" + debuglink);
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    int fd = open_file(candidates[i]);
    if (fd < 0)
      continue;
    bool by_build_id = i == 0 && id_size > 1;
    if (!by_build_id && id_size > 1 && !has_build_id(fd, id, id_size)) {
      close(fd);
      continue;
    }
    *debuginfo_file_name = strdup(candidates[i].c_str());
    return fd;
  }
  return -1;
}

const Dwfl_Callbacks kCallbacks = {
    .find_elf = find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = nullptr,
    .debuginfo_path = nullptr,
};

/// A File for `elf` (taken over, ended on failure too): a libdwfl session with the one module
/// at the file's own virtual addresses, and its symbol index, read now. `path` names the module;
/// `opener` is the process whose view of the file system debug files are looked up in (null:
/// scry's). Null when `elf` is not an ELF file with loadable segments.
std::unique_ptr<File> open_file(Elf *elf, const std::string &path,
                                const ProcessSymbols::Process *opener) {
  auto f = std::make_unique<File>();
  f->pending = elf;
  f->path = path;
  f->opener = opener;
  GElf_Ehdr ehdr;
  size_t phnum = 0;
  if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr) || elf_getphdrnum(elf, &phnum) != 0)
    return nullptr;
  uint64_t low = UINT64_MAX, high = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr phdr;
    if (!gelf_getphdr(elf, static_cast<int>(i), &phdr) || phdr.p_type != PT_LOAD)
      continue;
    f->segments.push_back({phdr.p_offset, phdr.p_vaddr, phdr.p_filesz, phdr.p_memsz});
    low = std::min<uint64_t>(low, phdr.p_vaddr);
    high = std::max<uint64_t>(high, phdr.p_vaddr + phdr.p_memsz);
  }
  if (f->segments.empty() || low >= high || !(f->dwfl = dwfl_begin(&kCallbacks)))
    return nullptr;
  dwfl_report_begin(f->dwfl);
  f->module = dwfl_report_module(f->dwfl, path.c_str(), low, high);
  if (dwfl_report_end(f->dwfl, nullptr, nullptr) != 0 || !f->module)
    return nullptr;
  void **userdata = nullptr;
  dwfl_module_info(f->module, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  *userdata = f.get();
  Dwarf_Addr bias = 0;
  if (!dwfl_module_getelf(f->module, &bias)) // calls find_elf
    return nullptr;
  f->bias = bias;
  f->index = std::make_unique<SymbolIndex>(f->module); // may call find_debuginfo
  f->opener = nullptr;
  return f;
}

/// A copy of scry's own [vdso] image (getauxval(AT_SYSINFO_EHDR)), its size from
/// /proc/self/maps; empty when there is none.
std::vector<char> own_vdso() {
  auto base = getauxval(AT_SYSINFO_EHDR);
  std::string maps;
  if (!base || !read_file("/proc/self/maps", maps))
    return {};
  for (const Mapping &m : parse_maps(maps))
    if (m.path == "[vdso]" && m.start == base) {
      const char *image = reinterpret_cast<const char *>(base);
      return std::vector<char>(image, image + (m.end - m.start));
    }
  return {};
}

} // namespace

ProcessSymbols::ProcessSymbols() = default;
ProcessSymbols::~ProcessSymbols() = default;

ProcessSymbols::Process *ProcessSymbols::capture_into(pid_t pid) {
  if (pid <= 0)
    return nullptr;
  auto started = start_time(pid);
  std::string maps;
  if (!started || !read_file("/proc/" + std::to_string(pid) + "/maps", maps) || maps.empty())
    return nullptr;
  std::unique_ptr<Process> &p = processes_[pid];
  if (p && p->start_time != *started)
    p.reset(); // another process with the same pid
  if (!p) {
    p = std::make_unique<Process>();
    p->pid = pid;
    p->start_time = *started;
  }
  if (p->maps != maps) {
    p->maps = std::move(maps);
    p->parsed = false;
    p->unmapped.clear();
    p->files.clear(); // an inode unmapped since may have been reused
  }
  return p.get();
}

bool ProcessSymbols::capture(pid_t pid) {
  Process *p = capture_into(pid);
  if (!p)
    return false;
  // A mapped file that scry cannot open by its path (a container's, reached through
  // /proc/PID/root or map_files; one deleted or replaced since) is opened now, while the
  // process lives: once it has exited, nothing reaches it. Files scry sees as the mapped inode
  // wait for the first resolve, as before.
  if (!p->parsed) {
    p->mappings = parse_maps(p->maps);
    p->parsed = true;
  }
  for (size_t i = 0; i < p->mappings.size(); ++i) {
    const Mapping &m = p->mappings[i];
    if (m.path.empty() || m.path.front() != '/' || m.inode == 0 ||
        p->files.count({m.device, m.inode}))
      continue;
    struct stat st;
    if (stat(m.path.c_str(), &st) == 0 && st.st_ino == m.inode &&
        (static_cast<uint64_t>(major(st.st_dev)) << 32 | minor(st.st_dev)) == m.device)
      continue;
    file_of(*p, i);
  }
  return true;
}

bool ProcessSymbols::has_capture(pid_t pid) const {
  return processes_.count(pid) != 0;
}

ProcessSymbols::File *ProcessSymbols::file_of(Process &p, size_t mapping) {
  const Mapping &m = p.mappings[mapping];
  if (m.path == "[vdso]") {
    // Every process of one ABI maps the same image: use scry's own when the sizes agree.
    if (!vdso_tried_) {
      vdso_tried_ = true;
      std::vector<char> image = own_vdso();
      if (Elf *elf = image.empty() ? nullptr : elf_memory(image.data(), image.size())) {
        vdso_ = open_file(elf, "[vdso]", nullptr);
        if (vdso_)
          vdso_->image = std::move(image); // the same buffer: a vector's move keeps it
      }
    }
    return vdso_ && vdso_->image.size() == m.end - m.start ? vdso_.get() : nullptr;
  }
  if (m.path.empty() || m.path.front() != '/' || m.inode == 0)
    return nullptr;
  // A mapping pins its inode: while the process maps the file, (device, inode) is that file.
  auto [known, inserted] = p.files.try_emplace({m.device, m.inode}, nullptr);
  if (!inserted)
    return known->second;
  struct stat st;
  int fd = p.open_mapped(m, st);
  if (fd < 0)
    return nullptr;
  FileId id{m.device, m.inode, static_cast<uint64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
  std::unique_ptr<File> &shared = mapped_files_[id];
  if (!shared) {
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (elf)
      elf_cntl(elf, ELF_C_FDDONE);
    shared = elf ? open_file(elf, m.path, &p) : nullptr;
  }
  close(fd);
  known->second = shared.get();
  if (!shared)
    mapped_files_.erase(id);
  return known->second;
}

std::optional<SymbolAt> ProcessSymbols::resolve(pid_t pid, uint64_t addr) {
  auto it = processes_.find(pid);
  Process *p = it != processes_.end() ? it->second.get() : capture_into(pid);
  if (!p)
    return std::nullopt;
  std::optional<size_t> m = p->mapping_at(addr);
  // Mapped since the capture (dlopen)? Captured again at most once per resolve, and not again
  // for an address a fresh capture did not map either (the garbage frames of code built without
  // frame pointers would reread the maps every time).
  if (!m && !p->unmapped.count(addr) && p->lives()) {
    if (capture_into(pid) != p)
      return std::nullopt;
    m = p->mapping_at(addr);
    if (!m) {
      if (p->unmapped.size() >= 4096)
        p->unmapped.clear();
      p->unmapped.insert(addr);
    }
  }
  if (!m)
    return std::nullopt;
  File *f = file_of(*p, *m);
  if (!f)
    return std::nullopt;
  const Mapping &mapping = p->mappings[*m];
  auto vaddr = f->vaddr(addr - mapping.start + mapping.offset);
  return vaddr ? f->symbol(*vaddr, mapping.path) : std::nullopt;
}

std::optional<SymbolAt> ProcessSymbols::resolve_in_file(const std::string &path, uint64_t addr) {
  auto [it, inserted] = files_.try_emplace(path, nullptr);
  if (inserted) {
    int fd = open_regular(path);
    if (fd >= 0) {
      elf_version(EV_CURRENT);
      Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
      if (elf)
        elf_cntl(elf, ELF_C_FDDONE);
      close(fd);
      if (elf)
        it->second = open_file(elf, path, nullptr);
    }
  }
  return it->second ? it->second->symbol(addr, path) : std::nullopt;
}

} // namespace scry
