// Entry points of the front end: text -> AST.
#pragma once

#include "base/diagnostics.h"
#include "base/source.h"
#include "parser/ast.h"

#include <string>
#include <vector>

namespace scry {

/// Lexes and parses `source` into a Program owned by `ctx`. Syntax errors go to `diags`; the
/// parser recovers at statement and probe boundaries, so one run reports several errors. Always
/// returns a Program (partial when there were errors). Never throws on bad input.
ast::Program *parse(const SourceFile &source, ast::Context &ctx, Diagnostics &diags);

/// One token as the lexer splits the text: where it is, and its name in the grammar as syntax
/// errors spell it ("attach point", "identifier", "/", ...).
struct Token {
  SourceRange range;
  std::string name;
};

/// The tokens of `source` in order, lexed without parsing (end of input is not included).
/// Lexical errors go to `diags`. For tests that need token boundaries, e.g. to insert comments
/// between every two tokens.
std::vector<Token> lex(const SourceFile &source, Diagnostics &diags);

/// The whole front end as the command line runs it: parse, then the attach-point pass with the
/// positional parameters `params` ($1 is params[0]), then program-level checks (a program needs
/// at least one probe). Returns null only when `source` could not be parsed at all.
ast::Program *parse_program(const SourceFile &source, const std::vector<std::string> &params,
                            ast::Context &ctx, Diagnostics &diags);

} // namespace scry
