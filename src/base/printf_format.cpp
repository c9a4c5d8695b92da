#include "base/printf_format.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <unordered_map>

namespace scry {

namespace {

/// Widths and precisions above this are refused: snprintf would build megabytes of padding.
constexpr int kMaxWidth = 65535;

bool is_supported(const std::string &conversion) {
  static const char *const supported[] = {"d", "i", "u", "o",  "x",  "X", "c",
                                          "p", "s", "r", "rx", "rh", "gr"};
  for (const char *s : supported)
    if (conversion == s)
      return true;
  return false;
}

/// Reads a decimal number (at most kMaxWidth + 1, so overflow cannot happen).
int read_number(const std::string &s, size_t &j) {
  int v = 0;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
    v = std::min(v * 10 + (s[j] - '0'), kMaxWidth + 1);
    ++j;
  }
  return v;
}

/// Parses the conversion starting at the '%' at `i`. Returns false when the text there is not a
/// conversion (it then stays literal, as in bpftrace, whose format regex does not match it).
bool parse_conversion(const std::string &s, size_t i, Conversion &c, size_t &end,
                      std::string &error) {
  size_t j = i + 1;
  while (j < s.size() && std::strchr("-+ #0", s[j]) && s[j] != '\0')
    c.flags += s[j++];
  if (j < s.size() && s[j] == '*') {
    error = "'*' width and precision are not supported";
    return false;
  }
  if (j < s.size() && s[j] >= '0' && s[j] <= '9')
    c.width = read_number(s, j);
  if (j < s.size() && s[j] == '.') {
    ++j;
    if (j < s.size() && s[j] == '*') {
      error = "'*' width and precision are not supported";
      return false;
    }
    c.precision = read_number(s, j);
  }
  while (j < s.size() && std::strchr("hlLjzt", s[j]) && s[j] != '\0')
    c.length += s[j++];
  if (j >= s.size())
    return false;
  const char conv = s[j];
  if (conv == 'r') {
    c.conversion = "r";
    if (j + 1 < s.size() && (s[j + 1] == 'x' || s[j + 1] == 'h'))
      c.conversion += s[++j];
  } else if (conv == 'g' && j + 1 < s.size() && s[j + 1] == 'r') {
    c.conversion = "gr"; // GFP flags by name (bpftrace PR #5052)
    ++j;
  } else if (std::strchr("diouxXcspeEfFgGaAn", conv) && conv != '\0') {
    c.conversion = std::string(1, conv);
  } else {
    return false;
  }
  if (c.width > kMaxWidth || c.precision > kMaxWidth) {
    error = fmt::format("format width and precision are limited to {}", kMaxWidth);
    return false;
  }
  end = j + 1;
  return true;
}

ParsedFormat parse_format(const std::string &s) {
  ParsedFormat p;
  std::string literal;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%') {
      literal += s[i++];
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '%') {
      literal += '%';
      i += 2;
      continue;
    }
    Conversion c;
    size_t end = 0;
    std::string error;
    if (parse_conversion(s, i, c, end, error)) {
      p.literals.push_back(std::move(literal));
      literal.clear();
      p.conversions.push_back(std::move(c));
      i = end;
      continue;
    }
    if (!error.empty() && p.error.empty())
      p.error = error;
    literal += s[i++];
  }
  p.literals.push_back(std::move(literal));
  return p;
}

/// The parse of `format`, computed once per format string: printf is on the event path.
} // namespace

bool is_integer_conversion(const std::string &c) {
  return c == "d" || c == "i" || c == "u" || c == "o" || c == "x" || c == "X" || c == "c" ||
         c == "p" || c == "gr";
}

bool is_buffer_conversion(const std::string &c) {
  return c == "r" || c == "rx" || c == "rh";
}

const ParsedFormat &parsed_printf_format(const std::string &format) {
  static std::mutex mutex;
  static std::unordered_map<std::string, ParsedFormat> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(format);
  if (it == cache.end())
    it = cache.emplace(format, parse_format(format)).first;
  return it->second;
}

std::string check_printf(const std::string &format, const std::vector<Type> &args, int &bad_arg) {
  bad_arg = -1;
  const ParsedFormat &p = parsed_printf_format(format);
  if (!p.error.empty())
    return p.error;
  const size_t expected = p.conversions.size();
  if (args.size() < expected)
    return fmt::format("not enough arguments for format string ({} supplied, {} expected)",
                       args.size(), expected);
  if (args.size() > expected) {
    bad_arg = static_cast<int>(expected);
    return fmt::format("too many arguments for format string ({} supplied, {} expected)",
                       args.size(), expected);
  }
  for (size_t i = 0; i < expected; ++i) {
    const std::string &conv = p.conversions[i].conversion;
    if (!is_supported(conv))
      return "unsupported format specifier: " + conv;
    const Type &t = args[i];
    bool ok;
    if (is_integer_conversion(conv))
      ok = t.is(TypeKind::Integer) || t.is(TypeKind::Boolean) || t.is(TypeKind::Pointer);
    else if (is_buffer_conversion(conv))
      ok = t.is(TypeKind::Buffer);
    else // %s takes any value
      ok = !t.is(TypeKind::None) && !t.is(TypeKind::Void) && !t.is(TypeKind::Hist) &&
           !t.is(TypeKind::Lhist) && !t.is(TypeKind::Tseries);
    if (!ok) {
      bad_arg = static_cast<int>(i);
      return "unsupported format specifier for type '" + type_name(t) + "': " + conv;
    }
  }
  return {};
}

} // namespace scry
