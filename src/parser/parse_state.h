// State shared by the Flex lexer and the Bison parser while one source file is parsed.
// Private to src/parser/.
#pragma once

#include "base/diagnostics.h"
#include "base/source.h"
#include "parser/ast.h"

#include <cstdint>
#include <string>
#include <vector>

namespace scry {

/// An integer literal as the lexer hands it to the parser.
struct IntToken {
  uint64_t value = 0;
  bool is_unsigned = false;
};

/// A C definition captured verbatim at the top level.
struct CDefToken {
  ast::CDefinition::Kind kind = ast::CDefinition::Kind::Struct;
  std::string text;
};

struct ParseState {
  ParseState(const SourceFile &source, ast::Context &ctx, Diagnostics &diags)
      : source(source), ctx(ctx), diags(diags) {}

  const SourceFile &source;
  ast::Context &ctx;
  Diagnostics &diags;
  ast::Program *program = nullptr;

  // Lexer position and mode. Lines are numbered from source.first_line() (an imported file's
  // lines follow the main file's: base/source.h).
  Position pos{source.first_line(), 1}; // where the next byte is
  Position token_begin;                 // where the current token began
  int brace_depth = 0;                  // `{` nesting, which decides top level vs. block
  int nesting = 0;                      // all of ( [ { together, bounded by ast::kMaxNesting
  bool started = false;       // the first yylex call switches to the top-level start state
  bool top_statement = false; // inside `config`/`macro`/`let @m`/`import` at the top level
  bool in_predicate = false;  // between a probe's `/` and its closing `/`
  int predicate_nesting = 0;  // `nesting` when the predicate began

  // C definition being captured.
  CDefToken cdef;
  std::string cdef_pending; // white space after a definition's '}', kept only if more follows
  Position cdef_begin;
  int cdef_depth = 0;

  // Set after an unrecoverable error (nesting too deep, unterminated comment): the lexer
  // returns end of input and the parser reports nothing more.
  bool fatal = false;
  // Set when the lexer has just reported an error for the token it returns, so the parser's
  // generic "syntax error" for the same token would only repeat it.
  bool lexer_reported = false;
  // Where each open ( [ { began, innermost last, for "not closed" hints at end of input.
  std::vector<Position> open_brackets;
  bool at_end = false; // the lexer has returned end of input

  SourceRange token_range() const { return {token_begin, pos}; }
};

/// Decodes the literal text of an integer token (digits, `_` separators, 0x/0b/0 prefixes,
/// an exponent `1e3`, C suffixes `u`/`l`, duration suffixes ns/us/ms/s/m/h/d to nanoseconds).
/// Returns false and sets `error`/`code` when the text is not a valid integer or overflows u64.
bool decode_integer(const std::string &text, IntToken &out, std::string &error, DiagCode &code);

/// Decodes the escapes of a string literal's body (the text between the quotes): \n \t \r
/// \" \' \a \b \f \v \e, a doubled backslash, \NNN (octal, up to 3 digits) and \xHH (hex, up
/// to 2 digits).
/// Returns false and sets `error`, and the byte offset and length of the first bad escape.
bool decode_string(const std::string &body, std::string &out, std::string &error,
                   size_t &error_offset, size_t &error_length);

} // namespace scry
