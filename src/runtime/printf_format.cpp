// printf(): formatting one ring-buffer record with the parse of base/printf_format.h. Each
// conversion is handed to snprintf with the user's flags, width and precision.
#include "base/printf_format.h"

#include "runtime/aggregation.h"
#include "runtime/gfp_flags.h"
#include "runtime/output.h"

#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <string>
#include <unordered_map>

namespace scry {

namespace {

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
  if (conv == "gr") // GFP flags as the kernel's kmem tracepoints name them
    return pad_text(c, GfpFlags::kernel().format(bits), false);
  if (conv == "p") // as bpftrace's ostream << (void *) writes it: NULL is "0"
    return pad_text(c, bits ? fmt::format("0x{:x}", bits) : "0", false);
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

std::string format_printf(const PrintfInfo &info, const uint8_t *args) {
  const ParsedFormat &p = parsed_printf_format(info.format);
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
