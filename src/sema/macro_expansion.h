// Macro expansion: the pass that replaces each macro call by the macro's body, before semantic
// analysis.
//
// Reads: the program's macros (`macro name(params) { body }`) and its probes. Writes: each
// probe's predicate and body, replaced by copies in which every call of a macro (`name(args)`,
// or a bare `name` for a macro without parameters) is a block expression holding a copy of the
// body, or a block statement where a call without a value stands as a statement. The macro
// definitions are left as parsed; nothing reads them after this pass.
//
// Macros are hygienic, as in bpftrace. In the copy of a body:
//   - a `$a` parameter is the caller's variable (renamed to it), which the body may assign;
//   - an `@m` parameter is the caller's map;
//   - an `x` parameter is the argument expression, copied (and so evaluated) at every use; a
//     variable or map passed there is a value, as if written `{ $v }`;
//   - every other variable is the expansion's own: renamed to `name#N`, a name no program can
//     write, unique to the expansion, so it neither sees nor changes a caller's variable.
// Copies keep the source ranges of what they copy, so errors found later in an expanded body
// point into the macro's definition.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"

#include <string_view>

namespace scry {

/// Expands every macro call in `program`'s probes; new nodes are owned by `ctx`, which must
/// outlive the program's use. Returns false after reporting errors to `diags`:
///   - macro-duplicate: a macro defined twice, or a parameter named twice;
///   - macro-argument: a call with the wrong number of arguments, a `$a` parameter given
///     anything but a scratch variable, an `@m` parameter given anything but a map (at the
///     argument, the hint naming the definition);
///   - macro-recursion: a macro that calls itself, directly or through others (at the call that
///     closes the cycle, the hint naming the definition);
///   - macro-hygiene: a body that uses a map or a variable it was not given and does not assign,
///     or declares a variable named as one of its `$` parameters (at the use in the definition,
///     the hint naming the call's line);
///   - type-mismatch: a macro without a value (its body ends with `;`) called for its value;
///   - nesting-too-deep, program-too-large: expansions nested or grown beyond what later passes
///     can hold.
/// A call of a builtin variable without arguments (`pid()`) becomes the variable (`pid`). A
/// program without macros or such calls is left untouched.
bool expand_macros(ast::Program &program, ast::Context &ctx, Diagnostics &diags);

/// A scratch variable's name as its source wrote it: `b` for `b#3`, the name macro expansion
/// gives a macro body's own `$b`. Messages that name variables print this.
std::string_view variable_source_name(std::string_view name);

} // namespace scry
