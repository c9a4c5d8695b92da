// The front-end driver: runs the lexer and parser over one source file, then the attach-point
// pass and the program-level checks.
#include "parser/parse.h"

#include "parser.tab.hh"
#include "parser/attach_point.h"
#include "parser/parse_state.h"

// Declared by the Flex-generated scanner (reentrant interface).
struct yy_buffer_state;
int yylex_init_extra(scry::ParseState *extra, yyscan_t *scanner);
yy_buffer_state *yy_scan_bytes(const char *bytes, int len, yyscan_t scanner);
int yylex_destroy(yyscan_t scanner);

namespace scry {

namespace {

/// Length of the valid UTF-8 sequence starting at `s[i]`, or 0 if the bytes there are not one
/// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). NUL is not accepted.
size_t utf8_sequence_length(const std::string &s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c == 0)
    return 0;
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
      return 0;
  return n;
}

/// Reports the first byte that is not valid UTF-8 (or a NUL byte). Returns false if one exists.
bool check_encoding(const SourceFile &source, Diagnostics &diags) {
  const std::string &text = source.text();
  Position pos{source.first_line(), 1};
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      static const char digits[] = "0123456789abcdef";
      unsigned char c = static_cast<unsigned char>(text[i]);
      std::string hex = {'0', 'x', digits[c >> 4], digits[c & 15]};
      Position end = pos;
      ++end.column;
      diags.error(DiagCode::InvalidUtf8, {pos, end},
                  c == 0 ? "NUL byte in program text" : "byte " + hex + " is not valid UTF-8",
                  "scry programs are UTF-8 text; check the file's encoding");
      return false;
    }
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      pos.column += static_cast<int>(n);
    }
    i += n;
  }
  return true;
}

/// The checks parse() and lex() make before the lexer sees the text. Returns false after
/// reporting why the text cannot be lexed.
bool lexable(const SourceFile &source, Diagnostics &diags) {
  // Flex takes an int length; no real program comes near this.
  constexpr size_t kMaxProgramBytes = 256u << 20;
  if (source.text().size() > kMaxProgramBytes) {
    const int first = source.first_line();
    diags.error(DiagCode::ProgramTooLarge, {{first, 1}, {first, 2}},
                "the program is larger than " + std::to_string(kMaxProgramBytes >> 20) + " MiB");
    return false;
  }
  return check_encoding(source, diags);
}

/// A Flex scanner over `source`, lexing for `ps`.
class Scanner {
public:
  Scanner(const SourceFile &source, ParseState &ps) {
    yylex_init_extra(&ps, &scanner_);
    yy_scan_bytes(source.text().data(), static_cast<int>(source.text().size()), scanner_);
  }
  ~Scanner() { yylex_destroy(scanner_); }
  Scanner(const Scanner &) = delete;
  Scanner &operator=(const Scanner &) = delete;

  yyscan_t get() const { return scanner_; }

private:
  yyscan_t scanner_ = nullptr;
};

} // namespace

std::vector<Token> lex(const SourceFile &source, Diagnostics &diags) {
  std::vector<Token> tokens;
  if (!lexable(source, diags))
    return tokens;
  ast::Context ctx;
  ParseState ps(source, ctx, diags);
  Scanner scanner(source, ps);
  for (;;) {
    Parser::symbol_type token = yylex(scanner.get(), ps);
    if (token.kind() == Parser::symbol_kind::S_YYEOF)
      return tokens;
    tokens.push_back({token.location, token.name()});
  }
}

ast::Program *parse(const SourceFile &source, ast::Context &ctx, Diagnostics &diags) {
  if (!lexable(source, diags))
    return ctx.make<ast::Program>(SourceRange{});

  ParseState ps(source, ctx, diags);
  {
    Scanner scanner(source, ps);
    Parser parser(scanner.get(), ps);
    parser.parse();
  }

  if (!ps.program)
    ps.program = ctx.make<ast::Program>(SourceRange{});
  return ps.program;
}

ast::Program *parse_program(SourceFile &source, const std::vector<std::string> &params,
                            ast::Context &ctx, Diagnostics &diags) {
  ast::Program *program = parse(source, ctx, diags);
  import_files(*program, source, ctx, diags);
  // The attach points of the probes that did parse are checked even after a syntax error, so
  // one run reports both.
  parse_attach_points(*program, params, diags);
  if (program->probes.empty() && !diags.has_errors()) {
    SourceRange at{{1, 1}, {1, 2}};
    diags.error(DiagCode::NoProbes, at, "the program has no probes",
                "add a probe, e.g. 'begin { printf(\"hello\\n\"); }'");
  }
  return program;
}

} // namespace scry
