// Parses kallsyms by hand: the real file has some 100k-200k lines, read at every run that
// prints a kernel stack, so it is read in large blocks and parsed in one pass per line, without
// iostreams, regexes or per-field string searches.
#include "symbols/kernel_symbols.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace scry {

namespace {

struct KallsymsLine {
  uint64_t address = 0;
  char type = 0;
  std::string_view name, module; // module "" for vmlinux
};

/// Parses the kallsyms line at `p` (up to '\n' or `end`) into `out`; returns the start of the
/// next line. `out.name` is empty when the line is not ADDRESS TYPE NAME [\t[MODULE]]. One pass
/// by hand: per-field string searches cost more than the kernel's formatting of the file.
const char *parse_line(const char *p, const char *end, KallsymsLine &out) {
  out.name = {};
  out.module = {};
  uint64_t address = 0;
  int digits = 0;
  bool hex = true;
  for (; p < end && *p != ' ' && *p != '\n'; ++p, ++digits) {
    char c = *p;
    if (c >= '0' && c <= '9')
      address = address << 4 | static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      address = address << 4 | static_cast<unsigned>(c - 'a' + 10);
    else
      hex = false;
  }
  // " T name": p is at the space after the address.
  bool ok = hex && digits > 0 && digits <= 16 && end - p >= 3 && p[0] == ' ' && p[1] != '\n' &&
            p[2] == ' ';
  if (ok) {
    out.address = address;
    out.type = p[1];
    p += 3;
    const char *name = p;
    while (p < end && *p != '\n' && *p != '\t' && *p != ' ')
      ++p;
    out.name = std::string_view(name, static_cast<size_t>(p - name));
    while (p < end && (*p == '\t' || *p == ' '))
      ++p;
    if (p < end && *p == '[') {
      const char *module = ++p;
      while (p < end && *p != '\n' && *p != ']')
        ++p;
      if (p < end && *p == ']')
        out.module = std::string_view(module, static_cast<size_t>(p - module));
    }
  }
  while (p < end && *p != '\n')
    ++p;
  return p < end ? p + 1 : p;
}

bool is_absolute(char type) {
  return type == 'a' || type == 'A';
}

/// Reads the file open at `fd` in blocks of whole lines (the last one may lack its '\n') and
/// calls `on_block(begin, end)` for each until it returns false. The kernel hands /proc/kallsyms
/// out a page per read(), so a block is as fast as the whole file and keeps memory small. False
/// with errno set when a read fails.
template <typename OnBlock>
bool for_each_block(int fd, OnBlock on_block) {
  std::string buffer(256 * 1024, '\0');
  size_t filled = 0; // bytes of buffer holding data; a partial last line stays at the front
  for (;;) {
    if (filled == buffer.size())
      buffer.resize(buffer.size() * 2); // a line longer than the buffer: not kallsyms, but safe
    ssize_t n = read(fd, buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return false;
    bool eof = n == 0;
    filled += static_cast<size_t>(n);
    const char *begin = buffer.data();
    const char *end = begin + filled;
    if (!eof)
      while (end > begin && end[-1] != '\n')
        --end;
    if (end > begin && !on_block(begin, end))
      return true;
    if (eof)
      return true;
    size_t consumed = static_cast<size_t>(end - begin);
    std::memmove(buffer.data(), buffer.data() + consumed, filled - consumed);
    filled -= consumed;
  }
}

} // namespace

std::unique_ptr<KernelSymbols> KernelSymbols::load(const std::string &path, std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  auto table = std::unique_ptr<KernelSymbols>(new KernelSymbols());
  table->modules_.push_back("");
  size_t listed = 0; // lines with a non-absolute symbol, hidden or not
  std::string last_module;
  uint16_t last_module_index = 0;

  bool read_ok = for_each_block(fd, [&](const char *p, const char *end) {
    while (p < end) {
      KallsymsLine sym;
      p = parse_line(p, end, sym);
      if (sym.name.empty() || is_absolute(sym.type))
        continue;
      ++listed;
      if (sym.address == 0)
        continue;
      // A module's symbols are consecutive: look the module up only when it changes.
      if (sym.module != last_module) {
        auto it = std::find(table->modules_.begin(), table->modules_.end(), sym.module);
        if (it == table->modules_.end()) {
          if (table->modules_.size() > UINT16_MAX)
            continue;
          it = table->modules_.insert(table->modules_.end(), std::string(sym.module));
        }
        last_module = sym.module;
        last_module_index = static_cast<uint16_t>(it - table->modules_.begin());
      }
      uint16_t name_size = static_cast<uint16_t>(std::min<size_t>(sym.name.size(), UINT16_MAX));
      table->entries_.push_back(
          {sym.address, static_cast<uint32_t>(table->names_.size()), name_size, last_module_index});
      table->names_.append(sym.name.data(), name_size);
    }
    return true;
  });
  int read_errno = errno;
  close(fd);
  if (!read_ok) {
    error = "cannot read " + path + ": " + std::strerror(read_errno);
    return nullptr;
  }

  if (table->entries_.empty()) {
    error = listed > 0 ? path + " lists every kernel address as 0: kernel.kptr_restrict hides "
                                "them (scry needs root, and kernel.kptr_restrict below 2)"
                       : path + " lists no kernel symbol";
    return nullptr;
  }
  // Entries were pushed in file order: a stable sort keeps the first listed of one address.
  std::stable_sort(table->entries_.begin(), table->entries_.end(),
                   [](const Entry &a, const Entry &b) { return a.address < b.address; });
  table->entries_.erase(
      std::unique(table->entries_.begin(), table->entries_.end(),
                  [](const Entry &a, const Entry &b) { return a.address == b.address; }),
      table->entries_.end());
  table->entries_.shrink_to_fit();
  table->names_.shrink_to_fit();
  return table;
}

std::optional<SymbolAt> KernelSymbols::resolve(uint64_t addr) const {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), addr,
                             [](uint64_t a, const Entry &e) { return a < e.address; });
  if (it == entries_.begin())
    return std::nullopt;
  --it;
  uint64_t offset = addr - it->address;
  if (it + 1 == entries_.end() && offset > kMaxLastSymbolSpan)
    return std::nullopt;
  return SymbolAt{names_.substr(it->name, it->name_size), offset, modules_[it->module]};
}

std::optional<uint64_t> kernel_symbol_address(const std::string &name, const std::string &path) {
  if (name.empty())
    return std::nullopt;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::optional<uint64_t> vmlinux_match, module_match;
  for_each_block(fd, [&](const char *p, const char *end) {
    // Search the name in the whole block, then parse only the lines it occurs in.
    while (p < end) {
      auto *hit = static_cast<const char *>(memmem(p, end - p, name.data(), name.size()));
      if (!hit)
        return true;
      const char *line = hit;
      while (line > p && line[-1] != '\n')
        --line;
      KallsymsLine sym;
      p = parse_line(line, end, sym);
      if (sym.name != name || is_absolute(sym.type))
        continue;
      if (sym.module.empty()) {
        vmlinux_match = sym.address;
        return false;
      }
      if (!module_match)
        module_match = sym.address;
    }
    return true;
  });
  close(fd);
  std::optional<uint64_t> match = vmlinux_match ? vmlinux_match : module_match;
  return match && *match != 0 ? match : std::nullopt;
}

namespace {

/// Whether a kallsyms text symbol is a stub or a fragment rather than a function kprobes and
/// fentry could name: the padding before a function (__pfx_, CONFIG_FUNCTION_PADDING), CFI
/// hashes (__cfi_), and the cold part GCC splits off a function (NAME.cold).
bool is_function_fragment(std::string_view name) {
  return name.starts_with("__pfx_") || name.starts_with("__cfi_") || name.ends_with(".cold") ||
         name.find(".cold.") != std::string_view::npos;
}

void sort_unique(std::vector<KernelFunction> &functions) {
  std::sort(functions.begin(), functions.end());
  functions.erase(std::unique(functions.begin(), functions.end()), functions.end());
}

} // namespace

KernelFunctionList traceable_kernel_functions(const std::string &tracefs_root,
                                              const std::string &kallsyms) {
  KernelFunctionList list;
  const std::string filter_functions = tracefs_root + "/available_filter_functions";
  int fd = open(filter_functions.c_str(), O_RDONLY | O_CLOEXEC);
  std::string filter_error;
  if (fd >= 0) {
    bool ok = for_each_block(fd, [&](const char *p, const char *end) {
      while (p < end) {
        const char *line_end = static_cast<const char *>(std::memchr(p, '\n', end - p));
        if (!line_end)
          line_end = end;
        std::string_view line(p, static_cast<size_t>(line_end - p));
        p = line_end < end ? line_end + 1 : end;
        size_t space = line.find(' ');
        std::string_view name = line.substr(0, space), module;
        if (space != std::string_view::npos) {
          std::string_view rest = line.substr(space + 1);
          if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']')
            module = rest.substr(1, rest.size() - 2);
        }
        if (!name.empty() && !is_function_fragment(name))
          list.functions.push_back({std::string(name), std::string(module)});
      }
      return true;
    });
    int err = errno;
    close(fd);
    if (ok && !list.functions.empty()) {
      sort_unique(list.functions);
      return list;
    }
    filter_error = ok ? "it lists no function" : std::strerror(err);
    list.functions.clear();
  } else {
    filter_error = std::strerror(errno);
  }

  list.from_kallsyms = true;
  fd = open(kallsyms.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    list.error = "cannot read " + filter_functions + " (" + filter_error + ") nor " + kallsyms +
                 " (" + std::strerror(errno) + ")";
    return list;
  }
  for_each_block(fd, [&](const char *p, const char *end) {
    while (p < end) {
      KallsymsLine sym;
      p = parse_line(p, end, sym);
      if ((sym.type == 't' || sym.type == 'T') && !sym.name.empty() &&
          !is_function_fragment(sym.name) && sym.module != "bpf" &&
          !sym.module.starts_with("__builtin"))
        list.functions.push_back({std::string(sym.name), std::string(sym.module)});
    }
    return true;
  });
  close(fd);
  sort_unique(list.functions);
  if (list.functions.empty())
    list.error = filter_functions + " cannot be read (" + filter_error + ") and " + kallsyms +
                 " lists no function";
  return list;
}

} // namespace scry
