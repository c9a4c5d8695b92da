// printf format strings: parsing and checking a format against its arguments' types. Used by
// semantic analysis (check_printf) and by the runtime, which formats records with the same
// parse (runtime/printf_format.cpp). The conversions follow bpftrace master's
// src/format_string.cpp.
#pragma once

#include "base/types.h"

#include <string>
#include <vector>

namespace scry {

/// One parsed conversion: %[flags][width][.precision][length]conversion.
struct Conversion {
  std::string flags;      // any of "-+ #0", as written
  int width = -1;         // -1: none
  int precision = -1;     // -1: none
  std::string length;     // length modifier as written: "hh", "h", "l", "ll", "j", "z", "t", ...
  std::string conversion; // "d" "i" "u" "o" "x" "X" "c" "p" "s" "r" "rx" "rh" "gr", or an
                          // unsupported one ("f", "n", ...) that check_printf() reports
};

/// A format cut into literal text and conversions: literal[0] conv[0] literal[1] ... literal[n].
struct ParsedFormat {
  std::vector<std::string> literals;
  std::vector<Conversion> conversions;
  std::string error; // a fault in the format itself
};

/// True for the conversions that take integers (d i u o x X c p, and gr: GFP flags by name) and
/// buffers (r rx rh).
bool is_integer_conversion(const std::string &conversion);
bool is_buffer_conversion(const std::string &conversion);

/// The parse of `format`, computed once per format string and cached (printf is on the event
/// path; thread-safe). Unsupported conversions and '*' widths are kept for check_printf() to
/// report.
const ParsedFormat &parsed_printf_format(const std::string &format);

/// Checks a printf format against its arguments' types at compile time (bpftrace's conversions:
/// d i u o x X c p take integers, booleans and pointers; s takes any value; r rx rh take
/// buffers). Returns an empty string when they agree, else the error, with `bad_arg` set to the
/// 0-based argument at fault, or -1 when the fault is in the format itself. Messages follow
/// bpftrace: "not enough arguments for format string (1 supplied, 2 expected)", "too many
/// ...", "unsupported format specifier: f" (floating point and %n), "unsupported format
/// specifier for type 'string[16]': d", and "'*' width and precision are not supported".
std::string check_printf(const std::string &format, const std::vector<Type> &args, int &bad_arg);

} // namespace scry
