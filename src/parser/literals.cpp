// Decoding of integer and string literal text for the lexer.
#include "parser/parse_state.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>

namespace scry {

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return 99;
}

struct DurationSuffix {
  const char *name;
  uint64_t ns;
};

// Duration literals (bpftrace 0.24+): the value is converted to nanoseconds.
constexpr DurationSuffix kDurations[] = {
    {"ns", 1ULL},
    {"us", 1000ULL},
    {"ms", 1000ULL * 1000},
    {"s", 1000ULL * 1000 * 1000},
    {"m", 60ULL * 1000 * 1000 * 1000},
    {"h", 3600ULL * 1000 * 1000 * 1000},
    {"d", 86400ULL * 1000 * 1000 * 1000},
};

bool is_c_suffix(const std::string &s, bool &is_unsigned) {
  // u, l, ul, lu, ll, ull, llu in any case.
  std::string lower;
  for (char c : s)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const char *const forms[] = {"u", "l", "ul", "lu", "ll", "ull", "llu"};
  for (const char *f : forms) {
    if (lower == f) {
      is_unsigned = lower.find('u') != std::string::npos;
      return true;
    }
  }
  return false;
}

} // namespace

bool decode_integer(const std::string &text, IntToken &out, std::string &error, DiagCode &code) {
  code = DiagCode::InvalidNumber;
  out = {};
  size_t i = 0;
  unsigned base = 10;
  const char *base_name = "decimal";
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16, base_name = "hexadecimal", i = 2;
  } else if (text.size() >= 2 && text[0] == '0' && (text[1] == 'b' || text[1] == 'B')) {
    base = 2, base_name = "binary", i = 2;
  } else if (text.size() >= 2 && text[0] == '0' &&
             std::isdigit(static_cast<unsigned char>(text[1]))) {
    base = 8, base_name = "octal", i = 1;
  }

  uint64_t value = 0;
  size_t digits = 0;
  bool overflow = false;
  char prev = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '_') {
      if (prev == '_' || digits == 0) {
        error = "invalid number '" + text + "': '_' must separate digits";
        return false;
      }
      prev = c;
      continue;
    }
    int d = digit_value(c);
    if (base != 16 && std::isalpha(static_cast<unsigned char>(c)))
      break; // a suffix or an exponent
    if (base == 16 && d >= 16)
      break;
    if (static_cast<unsigned>(d) >= base) {
      error =
          "invalid digit '" + std::string(1, c) + "' in " + base_name + " number '" + text + "'";
      return false;
    }
    overflow |= __builtin_mul_overflow(value, base, &value);
    overflow |= __builtin_add_overflow(value, static_cast<uint64_t>(d), &value);
    ++digits;
    prev = c;
  }
  if (prev == '_') {
    error = "invalid number '" + text + "': '_' must separate digits";
    return false;
  }
  if (digits == 0) {
    error = "invalid number '" + text + "': no digits after the " + base_name + " prefix";
    return false;
  }

  std::string rest = text.substr(i);
  // Scientific notation for integers: 1e3 is 1000.
  if (base == 10 && !rest.empty() && (rest[0] == 'e' || rest[0] == 'E') && rest.size() > 1 &&
      std::isdigit(static_cast<unsigned char>(rest[1]))) {
    // Every digit of the exponent is read; past 20 any nonzero value overflows, so the exponent
    // is capped there (which also keeps 0e999999 from looping).
    constexpr uint64_t kMaxExponent = 20;
    size_t j = 1;
    uint64_t exp = 0;
    for (; j < rest.size() && std::isdigit(static_cast<unsigned char>(rest[j])); ++j)
      exp = std::min<uint64_t>(exp * 10 + static_cast<uint64_t>(rest[j] - '0'), kMaxExponent + 1);
    for (uint64_t k = 0; k < exp && !overflow && value != 0; ++k)
      overflow |= __builtin_mul_overflow(value, 10, &value);
    rest = rest.substr(j);
  }

  bool is_unsigned = false;
  if (!rest.empty()) {
    bool matched = false;
    if (base == 10) {
      for (const DurationSuffix &d : kDurations) {
        if (rest == d.name) {
          overflow |= __builtin_mul_overflow(value, d.ns, &value);
          matched = true;
          break;
        }
      }
    }
    if (!matched && !is_c_suffix(rest, is_unsigned)) {
      error = "invalid suffix '" + rest + "' on number '" + text + "'";
      if (base == 10)
        error += " (integer suffixes: u, l, ul, ll, ull; durations: ns, us, ms, s, m, h, d)";
      return false;
    }
  }
  if (overflow) {
    code = DiagCode::NumberOverflow;
    error = "number '" + text + "' does not fit in 64 bits";
    return false;
  }
  out.value = value;
  out.is_unsigned = is_unsigned || value > static_cast<uint64_t>(INT64_MAX);
  return true;
}

bool decode_string(const std::string &body, std::string &out, std::string &error,
                   size_t &error_offset, size_t &error_length) {
  out.clear();
  bool ok = true;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 >= body.size()) {
      out += '\\';
      break;
    }
    char e = body[++i];
    switch (e) {
    case 'n':
      out += '\n';
      break;
    case 't':
      out += '\t';
      break;
    case 'r':
      out += '\r';
      break;
    case 'a':
      out += '\a';
      break;
    case 'b':
      out += '\b';
      break;
    case 'f':
      out += '\f';
      break;
    case 'v':
      out += '\v';
      break;
    case 'e':
      out += '\x1b';
      break;
    case '\\':
      out += '\\';
      break;
    case '"':
      out += '"';
      break;
    case '\'':
      out += '\'';
      break;
    case 'x': {
      unsigned v = 0;
      size_t n = 0;
      while (n < 2 && i + 1 < body.size() && digit_value(body[i + 1]) < 16) {
        v = v * 16 + static_cast<unsigned>(digit_value(body[++i]));
        ++n;
      }
      if (n == 0 && ok) {
        error = "invalid escape '\\x': expected hexadecimal digits";
        error_offset = i - 1;
        error_length = 2;
        ok = false;
      }
      out += static_cast<char>(v);
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        unsigned v = static_cast<unsigned>(e - '0');
        size_t n = 1;
        while (n < 3 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7') {
          v = v * 8 + static_cast<unsigned>(body[++i] - '0');
          ++n;
        }
        if (v > 0xff && ok) {
          error = "invalid escape: octal value above \\377";
          error_offset = i - n;
          error_length = n + 1;
          ok = false;
        }
        out += static_cast<char>(v & 0xff);
      } else if (ok) {
        error = std::string("invalid escape '\\") + e + "'";
        error_offset = i - 1;
        error_length = 2;
        ok = false;
      }
      break;
    }
  }
  return ok;
}

} // namespace scry
