// GFP flag names from the running kernel's kmem tracepoints. See gfp_flags.h.
#include "runtime/gfp_flags.h"

#include "runtime/tracefs.h"

#include <cctype>
#include <fmt/format.h>
#include <fstream>
#include <optional>
#include <sstream>

namespace scry {

namespace {

/// Evaluates one mask of a print fmt: C integer literals (with U and L suffixes), casts to
/// named types (`( gfp_t)`, `( unsigned long)`), ~, <<, >>, &, | and parentheses, which is all
/// the preprocessor leaves of the kernel's GFP definitions. nullopt for anything else.
class MaskReader {
public:
  explicit MaskReader(std::string_view text) : s_(text) {}

  std::optional<uint64_t> read() {
    auto v = either();
    skip_space();
    if (!v || i_ != s_.size())
      return std::nullopt;
    return v;
  }

private:
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
  }
  bool take(std::string_view op) {
    skip_space();
    if (s_.substr(i_, op.size()) != op)
      return false;
    // '|' is not the start of '||', '&' not of '&&'.
    if ((op == "|" || op == "&") && i_ + 1 < s_.size() && s_[i_ + 1] == op[0])
      return false;
    i_ += op.size();
    return true;
  }
  std::optional<uint64_t> either() {
    auto v = both();
    while (v && take("|")) {
      auto r = both();
      v = r ? std::optional<uint64_t>(*v | *r) : std::nullopt;
    }
    return v;
  }
  std::optional<uint64_t> both() {
    auto v = shift();
    while (v && take("&")) {
      auto r = shift();
      v = r ? std::optional<uint64_t>(*v & *r) : std::nullopt;
    }
    return v;
  }
  std::optional<uint64_t> shift() {
    auto v = unary();
    while (v) {
      const bool left = take("<<");
      if (!left && !take(">>"))
        break;
      auto r = unary();
      if (!r || *r >= 64)
        return std::nullopt;
      v = left ? *v << *r : *v >> *r;
    }
    return v;
  }
  /// A cast's parentheses hold only names: "( unsigned long)".
  bool take_cast() {
    skip_space();
    if (i_ >= s_.size() || s_[i_] != '(')
      return false;
    // Words that each start with a letter or '_' ("1UL" is a number, not a type).
    size_t j = i_ + 1;
    bool name = false;
    while (j < s_.size() && s_[j] != ')') {
      const auto c = static_cast<unsigned char>(s_[j]);
      if (c == ' ') {
        ++j;
        continue;
      }
      if (!std::isalpha(c) && c != '_')
        return false;
      while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_'))
        ++j;
      name = true;
    }
    if (!name || j >= s_.size())
      return false;
    i_ = j + 1;
    return true;
  }
  std::optional<uint64_t> unary() {
    if (take("~")) {
      auto v = unary();
      return v ? std::optional<uint64_t>(~*v) : std::nullopt;
    }
    if (take_cast())
      return unary();
    skip_space();
    if (take("(")) {
      auto v = either();
      if (!v || !take(")"))
        return std::nullopt;
      return v;
    }
    return number();
  }
  std::optional<uint64_t> number() {
    skip_space();
    size_t j = i_;
    while (j < s_.size() && std::isalnum(static_cast<unsigned char>(s_[j])))
      ++j;
    std::string digits(s_.substr(i_, j - i_));
    while (!digits.empty() && (digits.back() == 'U' || digits.back() == 'u' ||
                               digits.back() == 'L' || digits.back() == 'l'))
      digits.pop_back();
    if (digits.empty() || !std::isdigit(static_cast<unsigned char>(digits[0])))
      return std::nullopt;
    size_t used = 0;
    uint64_t v = 0;
    try {
      v = std::stoull(digits, &used, 0);
    } catch (...) {
      return std::nullopt;
    }
    if (used != digits.size())
      return std::nullopt;
    i_ = j;
    return v;
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

GfpFlags GfpFlags::parse(std::string_view print_fmt) {
  GfpFlags table;
  const size_t call = print_fmt.find("__print_flags(REC->gfp_flags,");
  if (call == std::string_view::npos)
    return table;
  size_t at = call;
  // Entries until the call's closing parenthesis or the end marker: `{MASK, "NAME"}` (no braces
  // or quotes inside MASK).
  while (true) {
    const size_t open = print_fmt.find_first_of("{)", at);
    if (open == std::string_view::npos || print_fmt[open] == ')')
      break;
    const size_t close = print_fmt.find('}', open);
    if (close == std::string_view::npos)
      return {};
    std::string_view entry = print_fmt.substr(open + 1, close - open - 1);
    const size_t name_end = entry.rfind('"');
    const size_t name_start = name_end == std::string_view::npos || name_end == 0
                                  ? std::string_view::npos
                                  : entry.rfind('"', name_end - 1);
    if (name_start == std::string_view::npos)
      break; // the array's end marker, `{ 0, ((void *)0) }`
    const size_t comma = entry.rfind(',', name_start);
    if (comma == std::string_view::npos)
      return {};
    auto mask = MaskReader(entry.substr(0, comma)).read();
    if (!mask)
      return {};
    table.names_.emplace_back(*mask,
                              std::string(entry.substr(name_start + 1, name_end - name_start - 1)));
    at = close + 1;
    // Past the entry's comma; a ')' next ends the call.
    while (at < print_fmt.size() && (print_fmt[at] == ',' || print_fmt[at] == ' '))
      ++at;
    if (at >= print_fmt.size() || print_fmt[at] != '{')
      break;
  }
  return table;
}

const GfpFlags &GfpFlags::kernel() {
  static const GfpFlags table = [] {
    for (const char *root : {kTracefsPath, kTracefsDebugfsPath})
      for (const char *event : {"mm_page_alloc", "kmalloc"}) {
        GfpFlags t = parse(read_file(std::string(root) + "/events/kmem/" + event + "/format"));
        if (!t.empty())
          return t;
      }
    return GfpFlags{};
  }();
  return table;
}

std::string GfpFlags::format(uint64_t flags) const {
  if (flags == 0)
    return "0";
  if (names_.empty())
    return fmt::format("0x{:x}", flags);
  std::string out;
  for (const auto &[mask, name] : names_) {
    if (mask == 0 || (flags & mask) != mask)
      continue;
    flags &= ~mask;
    out += (out.empty() ? "" : "|") + name;
  }
  if (flags)
    out += (out.empty() ? "" : "|") + fmt::format("0x{:x}", flags);
  return out;
}

} // namespace scry
