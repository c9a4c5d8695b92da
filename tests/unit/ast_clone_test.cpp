// Tests src/parser/ast_clone: a copy of a program that uses every kind of node prints as the
// same source, shares no node with the original, and keeps each node's kind and source range.
#include "parse_test_util.h"
#include "parser/ast_clone.h"

#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <string>
#include <typeinfo>
#include <vector>

namespace scry {
namespace {

// Every node kind of ast.h at least once.
const char *const kEveryNode = R"(#include <linux/sched.h>
struct S { int a; }
config = { max_strlen = 64 }
import "lib.bt";
let @decl = lruhash(16);
macro m($a, b, @c) { $a += b; @c[1] = b; $a }
tracepoint:syscalls:sys_enter_openat, begin /pid > 0 && $1 == 2/ {
  $i = -1 + (int8)2 * sizeof(struct task_struct) / offsetof(struct task_struct, pid);
  let $s: typeof($i) = $i;
  let $t: string[8];
  $r = (a = 1, b = "x");
  $tu = (1, true, false, $#);
  $q = $tu.0 ? $r.b : "y";
  $z = $q ?: "n";
  @m[comm, pid] = count();
  @plain = args.filename;
  $c = curtask->parent[0];
  if $i { $i++; } else if !$i { --$i; } else { break; }
  unroll (2) { continue; }
  while ($i < 3) { $i += 1; }
  for ($kv : @m) { print($kv); }
  for ($j : 0..4) { { print($j); } }
  _ = { let $b = 1; $b + 1 };
  return;
}
)";

/// Every node under `root`, in the order a Walker meets them.
std::vector<ast::Node *> nodes_of(ast::Node *root) {
  struct Collector : ast::Walker {
    std::vector<ast::Node *> nodes;
    using Walker::visit;
#define SCRY_COLLECT(T)                                                                            \
  void visit(ast::T &n) override {                                                                 \
    nodes.push_back(&n);                                                                           \
    Walker::visit(n);                                                                              \
  }
    SCRY_AST_NODES(SCRY_COLLECT)
#undef SCRY_COLLECT
  } collector;
  root->accept(collector);
  return collector.nodes;
}

/// kEveryNode with its import naming a file that exists: lib.bt in a directory of its own.
std::string every_node_program() {
  static const std::string text = [] {
    char dir[] = "/tmp/scry-ast-clone-XXXXXX";
    std::string program = kEveryNode;
    if (!mkdtemp(dir))
      return program;
    const std::string lib = std::string(dir) + "/lib.bt";
    std::ofstream(lib) << "macro from_lib() { 1 }\n";
    const std::string import = "import \"lib.bt\";";
    program.replace(program.find(import), import.size(), "import \"" + lib + "\";");
    return program;
  }();
  return text;
}

TEST(AstClone, CopyPrintsAsTheOriginal) {
  auto parsed = test::parse_full(every_node_program());
  ASSERT_FALSE(parsed->diags.has_errors())
      << ::testing::PrintToString(test::diags_of(parsed->diags));
  ast::Program *copy = ast::clone(parsed->ctx, parsed->program);
  EXPECT_EQ(print_source(*copy), print_source(*parsed->program));
  EXPECT_EQ(test::tree(*copy), test::tree(*parsed->program));
}

TEST(AstClone, CopySharesNoNodeAndKeepsKindsAndRanges) {
  auto parsed = test::parse_full(every_node_program());
  ASSERT_FALSE(parsed->diags.has_errors());
  ast::Program *copy = ast::clone(parsed->ctx, parsed->program);
  std::vector<ast::Node *> before = nodes_of(parsed->program), after = nodes_of(copy);
  ASSERT_EQ(before.size(), after.size());
  std::set<std::string> kinds;
  std::set<ast::Node *> original(before.begin(), before.end());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_FALSE(original.count(after[i])) << "node " << i << " is shared";
    EXPECT_STREQ(typeid(*before[i]).name(), typeid(*after[i]).name()) << "node " << i;
    const SourceRange &a = before[i]->loc, &b = after[i]->loc;
    EXPECT_TRUE(a.begin.line == b.begin.line && a.begin.column == b.begin.column &&
                a.end.line == b.end.line && a.end.column == b.end.column)
        << "node " << i << " moved";
    kinds.insert(typeid(*before[i]).name());
  }
  // The program above must keep covering every kind of node, or this test proves less.
  size_t all_kinds = 0;
#define SCRY_COUNT(T) ++all_kinds;
  SCRY_AST_NODES(SCRY_COUNT)
#undef SCRY_COUNT
  EXPECT_EQ(kinds.size(), all_kinds);
}

TEST(AstClone, CopyKeepsWhatAnalysisSet) {
  auto e = test::parse_expr("$y + 1");
  ASSERT_NE(e.expr, nullptr);
  e.expr->type = make_int(4, false);
  auto *binary = static_cast<ast::Binary *>(e.expr);
  binary->division_warning = 3;
  static_cast<ast::Variable *>(binary->lhs)->var_id = 7;
  auto *copy = ast::clone(e.parsed->ctx, binary);
  EXPECT_EQ(copy->type, make_int(4, false));
  EXPECT_EQ(copy->division_warning, 3);
  EXPECT_EQ(static_cast<ast::Variable *>(copy->lhs)->var_id, 7);
  EXPECT_EQ(copy->depth, binary->depth);
}

TEST(AstClone, NullIsNull) {
  ast::Context ctx;
  EXPECT_EQ(ast::clone<ast::Expression>(ctx, nullptr), nullptr);
}

} // namespace
} // namespace scry
