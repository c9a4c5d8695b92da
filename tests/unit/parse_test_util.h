// Helpers shared by the front-end unit tests (lexer_test, parser_test, diagnostics_test):
// parse a text, reach into the tree, and compare diagnostics by code and location only, never by
// wording.
#pragma once

#include "parser/parse.h"
#include "parser/printer.h"

#include <concepts>
#include <gtest/gtest.h>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace scry::test {

/// One parsed program together with the source and context its nodes point into.
struct Parsed {
  Parsed(std::string text, bool whole_front_end, const std::vector<std::string> &params)
      : source("stdin", std::move(text)) {
    program =
        whole_front_end ? parse_program(source, params, ctx, diags) : parse(source, ctx, diags);
  }
  SourceFile source;
  ast::Context ctx;
  Diagnostics diags;
  ast::Program *program = nullptr;
};

/// Lexer and parser only.
inline std::unique_ptr<Parsed> parse_text(std::string text) {
  return std::make_unique<Parsed>(std::move(text), false, std::vector<std::string>{});
}

/// The whole front end, as the command line runs it: also the attach-point pass and the
/// program-level checks.
inline std::unique_ptr<Parsed> parse_full(std::string text,
                                          const std::vector<std::string> &params = {}) {
  return std::make_unique<Parsed>(std::move(text), true, params);
}

/// A diagnostic reduced to what tests may assert: its code and where it is.
/// `end_line` is 0 when the range ends on the line it starts on.
struct DiagAt {
  DiagCode code;
  int line;
  int column;
  int end_column;
  int end_line = 0;
  bool operator==(const DiagAt &) const = default;
};

inline void PrintTo(const DiagAt &d, std::ostream *os) {
  *os << diag_code_name(d.code) << " at " << d.line << ":" << d.column << "-";
  if (d.end_line != 0)
    *os << d.end_line << ":";
  *os << d.end_column;
}

inline std::vector<DiagAt> diags_of(const Diagnostics &diags) {
  std::vector<DiagAt> out;
  for (const Diagnostic &d : diags.all()) {
    const SourceRange &r = d.range;
    out.push_back({d.code, r.begin.line, r.begin.column, r.end.column,
                   r.end.line == r.begin.line ? 0 : r.end.line});
  }
  return out;
}

inline std::string tree(ast::Program &program) {
  std::ostringstream out;
  print_ast_tree(out, program);
  return out.str();
}

/// The statements of the first probe's body, or an empty list (with a test failure) when there
/// is no probe.
inline const std::vector<ast::Statement *> &first_body(const Parsed &p) {
  static const std::vector<ast::Statement *> none;
  if (p.program->probes.empty() || !p.program->probes[0]->body) {
    ADD_FAILURE() << "no probe in the parsed program";
    return none;
  }
  return p.program->probes[0]->body->stmts;
}

/// The only statement of the first probe's body, or null (with a test failure).
inline ast::Statement *only_statement(const Parsed &p) {
  const auto &stmts = first_body(p);
  if (stmts.size() != 1) {
    ADD_FAILURE() << "expected one statement, got " << stmts.size();
    return nullptr;
  }
  return stmts[0];
}

/// Parses `begin { $x = <text>; }` and returns the assigned expression, or null (with a test
/// failure naming the diagnostics) when that does not parse cleanly.
struct ParsedExpr {
  std::unique_ptr<Parsed> parsed;
  ast::Expression *expr = nullptr;
};

inline ParsedExpr parse_expr(const std::string &text) {
  ParsedExpr out{parse_text("begin { $x = " + text + "; }")};
  if (out.parsed->diags.has_errors()) {
    ADD_FAILURE() << "'" << text
                  << "' does not parse: " << ::testing::PrintToString(diags_of(out.parsed->diags));
    return out;
  }
  auto *assign = dynamic_cast<ast::Assignment *>(only_statement(*out.parsed));
  if (!assign) {
    ADD_FAILURE() << "'" << text << "' did not parse as the value of an assignment";
    return out;
  }
  out.expr = assign->value;
  return out;
}

/// print_source of the expression `text`: fully parenthesised, so it shows the parse.
inline std::string expr_source(const std::string &text) {
  ParsedExpr e = parse_expr(text);
  return e.expr ? print_source(*e.expr) : "<no parse>";
}

/// Table-driven cases (structs with a `name`) print as their name in gtest's output instead of
/// as raw bytes. Test files bring it in with `using test::PrintTo;` next to their case structs.
template <typename Case>
  requires requires(const Case &c) {
    { c.name } -> std::convertible_to<const char *>;
  }
void PrintTo(const Case &c, std::ostream *os) {
  *os << c.name;
}

template <typename T>
T *as(ast::Node *n) {
  return dynamic_cast<T *>(n);
}

} // namespace scry::test
