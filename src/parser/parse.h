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

/// Reads the files the program imports (`import "lib.bt";`, or a directory: its .bt, .bpf.c and
/// .h files) and adds their C definitions, map declarations, macros and probes to `program`, as
/// the newest bpftrace's import does; `.bpf.c` and `.h` files go to `program.c_imports`, for sema
/// to compile (sema/c_imports.h). Paths are relative to the main script's directory (the current
/// one for -e and stdin); a file or directory others may write, or in such a directory, is refused.
/// Imported files may import others; each is read once. Their lines are numbered after the
/// main file's (SourceFile::add_imported), so diagnostics name the imported file. An imported
/// `.bpf.o` file is refused as not supported; a `config` block in an imported file is an error.
/// Errors go to `diags` at the import statement.
void import_files(ast::Program &program, SourceFile &source, ast::Context &ctx, Diagnostics &diags);

/// The whole front end as the command line runs it: parse, then imports, then the attach-point pass
/// with the with the positional parameters `params` ($1 is params[0]), then program-level checks (a
/// program needs at least one probe). Returns null only when `source` could not be parsed at all.
ast::Program *parse_program(SourceFile &source, const std::vector<std::string> &params,
                            ast::Context &ctx, Diagnostics &diags);

} // namespace scry
