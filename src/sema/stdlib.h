// The standard library: macros written in scry's language (stdlib/*.bt), embedded in the binary
// at build time, and added to a program that uses them before macro expansion.
//
// Reads: the names a program's probes call or name. Writes: Program::macros, with the standard
// library's macros the program uses and does not define itself (a program's own macro of the
// same name wins, as in bpftrace).
#pragma once

#include "base/source.h"
#include "parser/ast.h"

#include <string>
#include <vector>

namespace scry {

/// Source lines of standard-library macros are numbered from here on, so that no range in them
/// can be mistaken for one in the user's program: macro expansion gives every node it copies
/// from such a macro the range of the call in the user's program.
inline constexpr int kStdlibFirstLine = 1 << 30;

/// Whether `range` is in a standard-library macro rather than in the user's program.
inline bool in_stdlib(const SourceRange &range) {
  return range.begin.line >= kStdlibFirstLine;
}

/// Adds to `program.macros` each standard-library macro the program uses, directly or through
/// other standard-library macros, unless the program defines a macro of that name. The macros are
/// parsed once per process; their nodes live until exit.
void add_stdlib_macros(ast::Program &program);

/// The names of the standard library's macros, for "did you mean" suggestions: those called
/// like functions (`has_key(@m, k)`) when `with_parameters`, else those used bare, like
/// variables (`ppid`).
std::vector<std::string> stdlib_macro_names(bool with_parameters);

} // namespace scry
