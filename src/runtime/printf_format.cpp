// printf(): checking a format against its arguments (sema) and formatting one ring-buffer record
// (runtime). The conversions follow bpftrace master's src/format_string.cpp; each one is handed
// to snprintf with the user's flags, width and precision.
#include "runtime/aggregation.h"
#include "runtime/output.h"

#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <string>
#include <unordered_map>

namespace scry {

namespace {

/// Widths and precisions above this are refused: snprintf would build megabytes of padding.
constexpr int kMaxWidth = 65535;

/// One parsed conversion: %[flags][width][.precision][length]conversion.
struct Conversion {
  std::string flags;      // any of "-+ #0", as written
  int width = -1;         // -1: none
  int precision = -1;     // -1: none
  std::string length;     // length modifier as written: "hh", "h", "l", "ll", "j", "z", "t", ...
  std::string conversion; // "d" "i" "u" "o" "x" "X" "c" "p" "s" "r" "rx" "rh", or an unsupported
                          // one ("f", "n", ...) that check_printf() reports
};

/// A format cut into literal text and conversions: literal[0] conv[0] literal[1] ... literal[n].
struct ParsedFormat {
  std::vector<std::string> literals;
  std::vector<Conversion> conversions;
  std::string error; // a fault in the format itself
};

bool is_supported(const std::string &conversion) {
  static const char *const supported[] = {"d", "i", "u", "o", "x",  "X",
                                          "c", "p", "s", "r", "rx", "rh"};
  for (const char *s : supported)
    if (conversion == s)
      return true;
  return false;
}

bool is_integer_conversion(const std::string &c) {
  return c == "d" || c == "i" || c == "u" || c == "o" || c == "x" || c == "X" || c == "c" ||
         c == "p";
}

bool is_buffer_conversion(const std::string &c) {
  return c == "r" || c == "rx" || c == "rh";
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
const ParsedFormat &parsed(const std::string &format) {
  static std::mutex mutex;
  static std::unordered_map<std::string, ParsedFormat> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(format);
  if (it == cache.end())
    it = cache.emplace(format, parse_format(format)).first;
  return it->second;
}

/// snprintf into a std::string of the exact length (the text may contain a NUL from %c).
template <typename T>
std::string c_format(const std::string &spec, T value) {
  char small[128];
  int n = std::snprintf(small, sizeof small, spec.c_str(), value);
  if (n < 0)
    return {};
  if (static_cast<size_t>(n) < sizeof small)
    return std::string(small, static_cast<size_t>(n));
  std::string out(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), spec.c_str(), value);
  out.resize(static_cast<size_t>(n));
  return out;
}

/// "%" + the flags in `keep` + width + precision (when `with_precision`).
std::string spec_prefix(const Conversion &c, const char *keep, bool with_precision) {
  std::string spec = "%";
  for (char f : c.flags)
    if (std::strchr(keep, f))
      spec += f;
  if (c.width >= 0)
    spec += std::to_string(c.width);
  if (with_precision && c.precision >= 0)
    spec += "." + std::to_string(c.precision);
  return spec;
}

/// Text through %s with the conversion's width, precision and '-' flag (the other flags mean
/// nothing, or undefined behaviour, for strings).
std::string pad_text(const Conversion &c, const std::string &text, bool with_precision = true) {
  if (c.width < 0 && (c.precision < 0 || !with_precision))
    return text;
  return c_format(spec_prefix(c, "-", with_precision) + "s", text.c_str());
}

std::string format_buffer(const uint8_t *data, uint32_t size, const std::string &conversion) {
  std::string out;
  if (size < 4)
    return out;
  uint32_t length;
  std::memcpy(&length, data, 4);
  length = std::min(length, size - 4);
  for (uint32_t i = 0; i < length; ++i) {
    const uint8_t b = data[4 + i];
    if (conversion == "r" && b >= 32 && b <= 126)
      out += static_cast<char>(b);
    else if (conversion == "rh")
      out += fmt::format("{:02x}{}", b, i + 1 < length ? " " : "");
    else
      out += fmt::format("\\x{:02x}", b);
  }
  return out;
}

std::string format_integer(const Conversion &c, const Type &type, const uint8_t *data) {
  const uint64_t bits = value_number(type, data).bits;
  const std::string &conv = c.conversion;
  if (conv == "c") {
    return c_format(spec_prefix(c, "-", false) + "c",
                    static_cast<int>(static_cast<unsigned char>(bits)));
  }
  if (conv == "p")
    return pad_text(c, fmt::format("0x{:x}", bits), false);
  const std::string spec = spec_prefix(c, "-+ #0", true) + "ll" + conv;
  if (conv == "d" || conv == "i") {
    auto v = static_cast<long long>(bits);
    if (c.length == "hh")
      v = static_cast<signed char>(v);
    else if (c.length == "h")
      v = static_cast<short>(v);
    return c_format(spec, v);
  }
  auto v = static_cast<unsigned long long>(bits);
  if (c.length == "hh")
    v = static_cast<unsigned char>(v);
  else if (c.length == "h")
    v = static_cast<unsigned short>(v);
  return c_format(spec, v);
}

std::string format_one(const Conversion &c, const Type &type, const uint8_t *data) {
  if (is_integer_conversion(c.conversion))
    return format_integer(c, type, data);
  if (is_buffer_conversion(c.conversion)) {
    if (!type.is(TypeKind::Buffer))
      return pad_text(c, value_to_text(type, data));
    return pad_text(c, format_buffer(data, type.size, c.conversion));
  }
  // %s: a string as it is, anything else as print() shows it.
  return pad_text(c, value_to_text(type, data));
}

} // namespace

std::string check_printf(const std::string &format, const std::vector<Type> &args, int &bad_arg) {
  bad_arg = -1;
  const ParsedFormat &p = parsed(format);
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
           !t.is(TypeKind::Lhist);
    if (!ok) {
      bad_arg = static_cast<int>(i);
      return "unsupported format specifier for type '" + type_name(t) + "': " + conv;
    }
  }
  return {};
}

std::string format_printf(const PrintfInfo &info, const uint8_t *args) {
  const ParsedFormat &p = parsed(info.format);
  const std::vector<Field> *fields =
      info.args.fields && info.args.is(TypeKind::Tuple) ? info.args.fields.get() : nullptr;
  std::string out = p.literals.front();
  for (size_t i = 0; i < p.conversions.size(); ++i) {
    if (fields && i < fields->size()) {
      const Field &f = (*fields)[i];
      out += format_one(p.conversions[i], *f.type, args + f.offset);
    }
    out += p.literals[i + 1];
  }
  return out;
}

} // namespace scry
