// libFuzzer target: arbitrary bytes through the whole front end (lexer, parser, attach-point
// pass), then the tree printer and the diagnostics printer over whatever came out. Crashes,
// sanitizer reports, hangs (-timeout) and runaway memory (-rss_limit_mb) are the failures.
//
// It also checks printer.h's promise that print_source() parses back to the same tree
// (SCRY_FUZZ_ROUNDTRIP=0 in the environment turns that off).
#include "base/diagnostics.h"
#include "base/source.h"
#include "parser/ast.h"
#include "parser/parse.h"
#include "parser/printer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool roundtrip = true;

// Two parameters, so that `$1`/`$2` in attach points take the substitution path.
const std::vector<std::string> kParams = {"1", "/bin/sh"};

// Parses `source` into `ctx`; returns the program (or null) and its tree as text in `tree`.
scry::ast::Program *parse(scry::SourceFile &source, scry::ast::Context &ctx,
                          scry::Diagnostics &diags, std::string &tree) {
  scry::ast::Program *program = scry::parse_program(source, kParams, ctx, diags);
  std::ostringstream out;
  if (program)
    scry::print_ast_tree(out, *program);
  tree = out.str();
  return program;
}

void check_roundtrip(scry::ast::Program &program, const std::string &tree) {
  scry::SourceFile printed("printed.bt", scry::print_source(program));
  scry::ast::Context ctx;
  scry::Diagnostics diags;
  std::string tree2;
  parse(printed, ctx, diags, tree2);
  if (!diags.has_errors() && tree2 == tree)
    return;
  std::cerr << "print_source() did not round-trip\n--- printed ---\n"
            << printed.text() << "\n--- tree ---\n"
            << tree << "--- tree of the printed source ---\n"
            << tree2;
  diags.print(std::cerr, printed);
  std::abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *env = std::getenv("SCRY_FUZZ_ROUNDTRIP");
  roundtrip = !(env && std::string(env) == "0");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scry::SourceFile source("fuzz.bt", std::string(reinterpret_cast<const char *>(data), size));
  scry::ast::Context ctx;
  scry::Diagnostics diags;
  std::string tree;
  scry::ast::Program *program = parse(source, ctx, diags, tree);
  std::ostringstream out;
  diags.print(out, source);
  if (roundtrip && program && !diags.has_errors())
    check_roundtrip(*program, tree);
  return 0;
}
