// Compile-time evaluation of constant integer expressions (hist's k, lhist's bounds, print's
// top and divisor, unroll counts, tuple indexes), shared by sema and codegen so both agree.
#pragma once

#include "parser/ast.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// The value of `e` when it is a constant integer expression: integer literals, unary minus,
/// + - * / << of constants, enum constants (once sema has resolved them), positional parameters ($N
/// whose text is a number, $#), and blocks holding only a constant value (`{ 4 }`, as macros
/// expand). `params` are the positional parameters ($1 is params[0]); an unset or empty one is 0,
/// as bpftrace has it. Nullopt when `e` is not constant, and so when it uses a parameter whose text
/// is not a number (non_numeric_parameter() finds it). Division by zero gives 0, as in BPF.
std::optional<int64_t> fold_constant(const ast::Expression *e,
                                     const std::vector<std::string> &params);

/// The positional parameter whose text is not a number that keeps `e` from folding to a
/// constant (the first one fold_constant meets), or null: where "a constant is required"
/// errors point, since the fix is on the command line.
const ast::PositionalParameter *non_numeric_parameter(const ast::Expression *e,
                                                      const std::vector<std::string> &params);

/// Whether `s` is a decimal or 0x-hexadecimal integer, optionally negative.
bool is_numeric_string(const std::string &s);

/// Whether a numeric string (is_numeric_string) fits int64_t, the type positional parameters
/// have as numbers. fold_constant and codegen would otherwise saturate it silently.
bool numeric_string_fits(const std::string &s);

} // namespace scry
