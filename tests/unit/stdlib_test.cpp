// Tests the standard library (src/sema/stdlib.h, stdlib/*.bt): which of its macros a program
// gets, that a program's own macro wins, that every documented macro parses and analyses, and
// that errors about a call of one point at the call in the user's program.
#include "parse_test_util.h"
#include "sema/stdlib.h"
#include "sema_test_util.h"

#include <gtest/gtest.h>
#include <set>
#include <string>

namespace scry {
namespace {

std::set<std::string> macro_names(const ast::Program &program) {
  std::set<std::string> names;
  for (const ast::Macro *m : program.macros)
    names.insert(m->name);
  return names;
}

TEST(Stdlib, AddsOnlyTheMacrosAProgramUses) {
  auto p = test::parse_full("begin { printf(\"%d\\n\", ppid); }");
  add_stdlib_macros(*p->program);
  EXPECT_EQ(macro_names(*p->program), (std::set<std::string>{"ppid"}));

  auto q = test::parse_full("begin { @a[1] = 1; $b = has_key(@a, 1); }");
  add_stdlib_macros(*q->program);
  EXPECT_EQ(macro_names(*q->program), (std::set<std::string>{"has_key"}));

  auto none = test::parse_full("begin { printf(\"%d\\n\", pid); }");
  add_stdlib_macros(*none->program);
  EXPECT_TRUE(none->program->macros.empty());
}

TEST(Stdlib, AProgramsOwnMacroOfTheSameNameWins) {
  auto p = test::parse_full("macro ppid() { 7 } begin { printf(\"%d\\n\", ppid); }");
  add_stdlib_macros(*p->program);
  ASSERT_EQ(p->program->macros.size(), 1u);
  EXPECT_FALSE(in_stdlib(p->program->macros[0]->loc));
}

TEST(Stdlib, EveryMacroParsesAndAnalyses) {
  // A file of stdlib/ that does not parse would leave its macros out: each must be found.
  auto a = test::analyse_text("begin { @a[1] = 1; @p = ppid; @k = has_key(@a, 1); }");
  EXPECT_TRUE(a->ok) << test::describe(a->diags);
  EXPECT_TRUE(a->diags.all().empty()) << test::describe(a->diags);
}

TEST(Stdlib, ErrorsInAnExpansionPointAtTheCall) {
  // The key's type is checked inside has_key's body; the error is at the user's call.
  auto a = test::analyse_text("begin { @a[1] = 1; $b = has_key(@a, \"x\"); }");
  EXPECT_FALSE(a->ok);
  ASSERT_FALSE(a->diags.all().empty());
  for (const Diagnostic &d : a->diags.all()) {
    EXPECT_FALSE(in_stdlib(d.range)) << d.message;
    EXPECT_EQ(d.range.begin.line, 1) << d.message;
  }
  auto wrong = test::analyse_text("begin { @a[1] = 1; $b = has_key(@a); }");
  ASSERT_FALSE(wrong->diags.all().empty());
  const Diagnostic &d = wrong->diags.all().front();
  EXPECT_EQ(d.code, DiagCode::MacroArgument);
  EXPECT_EQ(d.range.begin.column, 25);
}

} // namespace
} // namespace scry
