// Printers of the AST: the tree dump behind `-d ast`, and a source printer.
#pragma once

#include "parser/ast.h"

#include <iosfwd>
#include <string>

namespace scry {

/// Prints `program` as an indented tree, one node per line ("-d ast"). Stable enough for tests
/// to compare two trees; it shows no source locations.
void print_ast_tree(std::ostream &out, ast::Program &program);

/// Prints `program` back as scry source. Every compound expression is parenthesised, so the
/// output shows how precedence and associativity were resolved, and parsing it again yields the
/// same tree.
std::string print_source(ast::Program &program);

/// The same for one expression (used by tests and diagnostics).
std::string print_source(ast::Expression &expr);

} // namespace scry
