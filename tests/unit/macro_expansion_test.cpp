// Tests src/sema/macro_expansion: what each kind of parameter becomes in the expanded program,
// hygiene (a macro's variables neither capture nor leak a caller's), calls in calls, bare names,
// macros that shadow builtins, and every error by its code and the text it points at. The last
// cases run semantic analysis too: errors in an expanded body point into the definition and
// name variables as the source wrote them.
#include "sema/macro_expansion.h"
#include "sema_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace scry {
namespace {

using test::DiagAt;
using test::DiagOn;
using test::PrintTo;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

/// A program after macro expansion.
struct Expanded {
  std::unique_ptr<test::Parsed> parsed;
  Diagnostics diags;
  bool ok = false;
  std::string probes; // the probes as source, on one line: `begin { $a = { 1 }; }`
};

std::unique_ptr<Expanded> expand(const std::string &text) {
  auto e = std::make_unique<Expanded>();
  e->parsed = test::parse_full(text);
  if (e->parsed->diags.has_errors()) {
    ADD_FAILURE() << "'" << text << "' does not parse: "
                  << ::testing::PrintToString(test::diags_of(e->parsed->diags));
    return e;
  }
  e->ok = expand_macros(*e->parsed->program, e->parsed->ctx, e->diags);
  ast::Program probes_only = *e->parsed->program;
  probes_only.macros.clear();
  // One line: each newline and the blanks around it become one space; no blanks at the ends.
  // (Not std::regex: g++ 12 warns inside <regex> at -O2 under the sanitizers, and CI uses
  // -Werror.)
  std::string flat;
  bool pending_space = false;
  for (char c : print_source(probes_only)) {
    if (c == '\n') {
      while (!flat.empty() && (flat.back() == ' ' || flat.back() == '\t'))
        flat.pop_back();
      pending_space = true;
    } else if (pending_space && (c == ' ' || c == '\t')) {
      continue;
    } else {
      if (pending_space && !flat.empty())
        flat += ' ';
      pending_space = false;
      flat += c;
    }
  }
  while (!flat.empty() && (flat.back() == ' ' || flat.back() == '\t'))
    flat.pop_back();
  size_t first = flat.find_first_not_of(" \t");
  e->probes = first == std::string::npos ? "" : flat.substr(first);
  return e;
}

/// The expanded probes of `text`, which must expand without errors.
std::string expanded(const std::string &text) {
  auto e = expand(text);
  EXPECT_TRUE(e->ok) << text << test::describe(e->diags);
  return e->probes;
}

/// The errors expanding `text` reports, located by the text they point at.
std::vector<DiagAt> expansion_errors(const std::string &text) {
  auto e = expand(text);
  EXPECT_FALSE(e->ok) << text;
  return test::diags_of(e->diags);
}

DiagAt on(const std::string &program, DiagCode code, const char *text, int nth = 0) {
  return test::diag_on(program, DiagOn{code, text, nth});
}

// ---- expansion ---------------------------------------------------------------------------------

TEST(MacroExpansion, ProgramWithoutMacrosIsUntouched) {
  auto e = expand("begin { $a = 1; }");
  ast::Block *body = e->parsed->program->probes[0]->body;
  EXPECT_TRUE(e->ok);
  EXPECT_EQ(e->parsed->program->probes[0]->body, body);
  EXPECT_EQ(e->probes, "begin { $a = 1; }");
}

TEST(MacroExpansion, BuiltinVariableCalledWithoutArgumentsIsTheVariable) {
  // Also in a program without macros; kstack() stays a call (a function of that name), args()
  // and pid(init) are left for sema, and a macro of the name wins.
  EXPECT_EQ(expanded("begin { $a = pid() + cpu(); print(comm()); $s = kstack(); $b = args(); "
                     "$c = pid(init); }"),
            "begin { $a = (pid + cpu); print(comm); $s = kstack(); $b = args(); $c = pid(init); }");
  EXPECT_EQ(expanded("macro cpu() { 7 } begin { $a = cpu(); }"), "begin { $a = { 7 }; }");
}

TEST(MacroExpansion, CallAndBareNameOfAMacroWithoutParameters) {
  EXPECT_EQ(expanded("macro one() { 1 } begin { $a = one(); $b = one; print(one); }"),
            "begin { $a = { 1 }; $b = { 1 }; print({ 1 }); }");
}

TEST(MacroExpansion, ExpressionParameterIsTheArgumentAtEachUse) {
  EXPECT_EQ(expanded("macro twice(x) { x + x } begin { $a = twice(rand % 4); }"),
            "begin { $a = { ((rand % 4) + (rand % 4)) }; }");
  EXPECT_EQ(expanded("macro three(x) { x; x; x; } begin { three({ printf(\"hi\") }); }"),
            "begin { { { printf(\"hi\") }; { printf(\"hi\") }; { printf(\"hi\") }; } }");
}

TEST(MacroExpansion, VariableOrMapForAnExpressionParameterIsItsValue) {
  EXPECT_EQ(expanded("macro id(x) { x } begin { $v = 1; @m = 2; $a = id($v); $b = id(@m); }"),
            "begin { $v = 1; @m = 2; $a = { { $v } }; $b = { { @m } }; }");
}

TEST(MacroExpansion, VariableParameterIsTheCallersVariable) {
  EXPECT_EQ(expanded("macro inc($a) { $a += 1; } begin { $x = 1; inc($x); print($x); }"),
            "begin { $x = 1; { $x += 1; } print($x); }");
}

TEST(MacroExpansion, MapParameterIsTheCallersMap) {
  EXPECT_EQ(expanded("macro bump(@m, k) { @m[k]++; } begin { bump(@counts, comm); }"),
            "begin { { (@counts[comm]++); } }");
}

TEST(MacroExpansion, DocumentedExampleOfEachParameterKind) {
  EXPECT_EQ(expanded("macro add_one_to_each($a, @b) { $a += 1; @b += 1; }\n"
                     "begin { $a = 10; @b = 5; add_one_to_each($a, @b); print($a + @b); }"),
            "begin { $a = 10; @b = 5; { $a += 1; @b += 1; } print(($a + @b)); }");
}

TEST(MacroExpansion, BodyVariablesAreRenamedPerExpansion) {
  EXPECT_EQ(expanded("macro f() { let $t = 1; $t + 1 } begin { $t = 5; $a = f(); $b = f(); }"),
            "begin { $t = 5; $a = { let $t#1 = 1; ($t#1 + 1) }; "
            "$b = { let $t#2 = 1; ($t#2 + 1) }; }");
}

TEST(MacroExpansion, ArgumentsKeepTheCallersVariables) {
  // The argument `$v + 0` is the caller's $v, not the body's own $v.
  EXPECT_EQ(expanded("macro f(x) { let $v = 2; x + $v } begin { $v = 1; $a = f($v + 0); }"),
            "begin { $v = 1; $a = { let $v#1 = 2; (($v + 0) + $v#1) }; }");
}

TEST(MacroExpansion, MacrosCallMacros) {
  const std::string defs = "macro add_one(x) { x + 1 }\n"
                           "macro add_two(x) { add_one(x) + 1 }\n";
  EXPECT_EQ(expanded(defs + "begin { $a = add_two(1); }"), "begin { $a = { ({ (1 + 1) } + 1) }; }");
  // A call in an argument is expanded where it was written.
  EXPECT_EQ(expanded(defs + "begin { $a = add_one(add_one(1)); }"),
            "begin { $a = { ({ (1 + 1) } + 1) }; }");
  // A caller's variable passed on through two macros.
  EXPECT_EQ(expanded("macro inc($a) { $a++; } macro inc2($b) { inc($b); inc($b); }\n"
                     "begin { $x = 0; inc2($x); }"),
            "begin { $x = 0; { { ($x++); } { ($x++); } } }");
  // A macro's own variable passed to another macro's `$` parameter is the outer expansion's.
  EXPECT_EQ(expanded("macro set($a) { $a = 3; } macro f() { set($t); $t } begin { $y = f(); }"),
            "begin { $y = { { $t#1 = 3; } $t#1 }; }");
}

TEST(MacroExpansion, DefinitionOrderDoesNotMatter) {
  EXPECT_EQ(expanded("macro b() { a() } macro a() { 1 } begin { $x = b(); }"),
            "begin { $x = { { 1 } }; }");
}

TEST(MacroExpansion, MacroShadowsABuiltin) {
  EXPECT_EQ(expanded("macro pid() { 42 } macro count() { 7 } begin { $a = pid; $b = count(); }"),
            "begin { $a = { 42 }; $b = { 7 }; }");
}

TEST(MacroExpansion, ExpressionParameterHidesAMacroOfTheSameName) {
  EXPECT_EQ(expanded("macro one() { 1 } macro f(one) { one } begin { $a = f(2); }"),
            "begin { $a = { 2 }; }");
}

TEST(MacroExpansion, CallWithoutValueAsAStatementOrLastStatement) {
  EXPECT_EQ(expanded("macro hi() { printf(\"hi\"); } begin { hi(); hi }"),
            "begin { { printf(\"hi\"); } { printf(\"hi\"); } }");
  // ... also through an expression parameter whose argument is such a call.
  EXPECT_EQ(expanded("macro hi() { printf(\"hi\"); } macro twice(x) { x; x; }\n"
                     "begin { twice(hi()); }"),
            "begin { { { printf(\"hi\"); } { printf(\"hi\"); } } }");
}

TEST(MacroExpansion, PredicatesExpandToo) {
  EXPECT_EQ(expanded("macro big(x) { x > 10 } begin /big(pid)/ { exit(); }"),
            "begin /{ (pid > 10) }/ { exit(); }");
}

TEST(MacroExpansion, ExpandedNodesKeepTheDefinitionsRanges) {
  auto e = expand("macro one() {\n  1\n}\nbegin { $a = one(); }");
  ASSERT_TRUE(e->ok);
  auto *assign = dynamic_cast<ast::Assignment *>(e->parsed->program->probes[0]->body->stmts[0]);
  ASSERT_NE(assign, nullptr);
  auto *block = dynamic_cast<ast::BlockExpr *>(assign->value);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(block->loc.begin.line, 4); // the call
  EXPECT_EQ(block->block->value->loc.begin.line, 2);
  EXPECT_EQ(block->block->value->loc.begin.column, 3);
}

TEST(MacroExpansion, VariableSourceName) {
  EXPECT_EQ(variable_source_name("t#12"), "t");
  EXPECT_EQ(variable_source_name("t"), "t");
}

// ---- errors ------------------------------------------------------------------------------------

TEST(MacroExpansionErrors, MapNotPassedIn) {
  const std::string p = "macro m() { @x++ }\nbegin { @x = 1; $a = m(); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroHygiene, "@x")));
  auto e = expand(p);
  ASSERT_EQ(e->diags.all().size(), 1u);
  EXPECT_THAT(e->diags.all()[0].hint, HasSubstr("line 2"));
}

TEST(MacroExpansionErrors, VariableNeitherPassedNorAssigned) {
  // The caller's $t is not captured.
  const std::string p = "macro m() { $t + 1 }\nbegin { $t = 1; $a = m(); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroHygiene, "$t")));
}

TEST(MacroExpansionErrors, LetHidingAVariableParameter) {
  const std::string p = "macro m($a) { let $a = 1; } begin { $x = 0; m($x); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroHygiene, "$a", 1)));
}

TEST(MacroExpansionErrors, ReportedOnceForSeveralCalls) {
  const std::string p = "macro m() { @x } begin { $a = m(); $b = m(); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroHygiene, "@x")));
}

TEST(MacroExpansionErrors, VariableParameterGivenAnythingElse) {
  const std::string p = "macro wrong($x) { $x++ }\n"
                        "begin { @x = 1; $a = wrong(@x); $b = wrong(1 + 1); $c = wrong(@x[1]); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroArgument, "@x", 1),
                                               on(p, DiagCode::MacroArgument, "1 + 1"),
                                               on(p, DiagCode::MacroArgument, "@x[1]")));
}

TEST(MacroExpansionErrors, MapParameterGivenAnythingElse) {
  const std::string p = "macro m(@c) { @c = 1; } begin { $v = 1; m($v); m(@c[1]); m(1); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroArgument, "$v", 1),
                                               on(p, DiagCode::MacroArgument, "@c[1]"),
                                               on(p, DiagCode::MacroArgument, "1", 3)));
}

TEST(MacroExpansionErrors, WrongNumberOfArguments) {
  const std::string p = "macro two(a, b) { a + b } macro none() { 0 }\n"
                        "begin { $a = two(1); $b = none(1); $c = two; }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroArgument, "two(1)"),
                                               on(p, DiagCode::MacroArgument, "none(1)"),
                                               on(p, DiagCode::MacroArgument, "two", 2)));
  auto e = expand(p);
  EXPECT_THAT(e->diags.all()[0].hint, HasSubstr("line 1, column 1"));
}

TEST(MacroExpansionErrors, DirectRecursion) {
  const std::string p = "macro f(x) { f(x) + 1 }\nbegin { $a = f(1); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::MacroRecursion, "f(x)", 1)));
  auto e = expand(p);
  EXPECT_THAT(e->diags.all()[0].message, HasSubstr("f -> f"));
  EXPECT_THAT(e->diags.all()[0].hint, HasSubstr("line 1, column 1"));
}

TEST(MacroExpansionErrors, MutualRecursion) {
  const std::string p = "macro a() { b() }\nmacro b() { a() }\nbegin { $x = a(); $y = b(); }";
  auto e = expand(p);
  EXPECT_FALSE(e->ok);
  // Expanding a() finds a -> b -> a at the call of a() in b; expanding b() finds b -> a -> b.
  EXPECT_THAT(test::diags_of(e->diags), ElementsAre(on(p, DiagCode::MacroRecursion, "a()", 1),
                                                    on(p, DiagCode::MacroRecursion, "b()")));
  EXPECT_THAT(e->diags.all()[0].message, HasSubstr("a -> b -> a"));
}

TEST(MacroExpansionErrors, DuplicateDefinitionAndParameter) {
  const std::string p = "macro one() { 1 }\nmacro one() { 2 }\nmacro f(x, x) { x }\n"
                        "begin { $a = one(); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(DiagAt{DiagCode::MacroDuplicate, 2, 1, 6},
                                               on(p, DiagCode::MacroDuplicate, "x", 1)));
}

TEST(MacroExpansionErrors, MacroWithoutValueReadForItsValue) {
  const std::string p = "macro hi() { printf(\"hi\"); } begin { $a = hi(); }";
  EXPECT_THAT(expansion_errors(p), ElementsAre(on(p, DiagCode::TypeMismatch, "hi()", 1)));
}

TEST(MacroExpansionErrors, ExponentialGrowthIsRefused) {
  std::string p = "macro d(x) { x + x } begin { $a = ";
  for (int i = 0; i < 40; ++i)
    p += "d(";
  p += "1";
  for (int i = 0; i < 40; ++i)
    p += ")";
  p += "; }";
  auto e = expand(p);
  EXPECT_FALSE(e->ok);
  ASSERT_FALSE(e->diags.all().empty());
  EXPECT_EQ(e->diags.all()[0].code, DiagCode::ProgramTooLarge);
}

TEST(MacroExpansionErrors, DeepChainIsRefusedNotAStackOverflow) {
  std::string p = "macro m0(x) { x }\n";
  for (int i = 1; i <= 1500; ++i)
    p += "macro m" + std::to_string(i) + "(x) { m" + std::to_string(i - 1) + "(x) + 1 }\n";
  p += "begin { $a = m1500(1); }";
  auto e = expand(p);
  EXPECT_FALSE(e->ok);
  ASSERT_FALSE(e->diags.all().empty());
  EXPECT_EQ(e->diags.all()[0].code, DiagCode::NestingTooDeep);
}

// ---- with semantic analysis --------------------------------------------------------------------

TEST(MacroAnalysis, DocumentedExamplesAnalyse) {
  auto a = test::analyse_text("macro one() { 1 }\n"
                              "macro add_one(x) { x + 1 }\n"
                              "macro add_one_to_each($a, @b) { $a += 1; @b += 1; }\n"
                              "macro side_effects(x) { x; x; x; }\n"
                              "macro add_two(x) { add_one(x) + 1 }\n"
                              "begin {\n"
                              "  print(one()); print(one);\n"
                              "  $a = 10; print(add_one($a)); print(add_one(1 + 1));\n"
                              "  @b = 5; add_one_to_each($a, @b); print($a + @b);\n"
                              "  side_effects({ printf(\"hi\") });\n"
                              "  print(add_two(1));\n"
                              "}");
  EXPECT_TRUE(a->ok) << test::describe(a->diags);
}

TEST(MacroAnalysis, BodyVariablesDoNotLeak) {
  const std::string p = "macro f() { $t = 1; $t }\nbegin { $a = f(); print($t); }";
  auto a = test::analyse_text(p);
  EXPECT_FALSE(a->ok);
  EXPECT_THAT(test::diags_of(a->diags), ElementsAre(on(p, DiagCode::UndefinedVariable, "$t", 2)));
}

TEST(MacroAnalysis, ErrorsInABodyPointIntoTheDefinitionWithSourceNames) {
  const std::string p = "macro f() {\n  $t = 1;\n  $t = \"s\";\n  $t\n}\nbegin { $a = f(); }";
  auto a = test::analyse_text(p);
  EXPECT_FALSE(a->ok);
  EXPECT_THAT(test::diags_of(a->diags), ElementsAre(on(p, DiagCode::TypeMismatch, "\"s\"")));
  ASSERT_EQ(a->diags.all().size(), 1u);
  EXPECT_THAT(a->diags.all()[0].message, HasSubstr("$t holds"));
  EXPECT_THAT(a->diags.all()[0].message, Not(HasSubstr("#")));
}

TEST(MacroAnalysis, UnassignedReadNamesTheSourceVariable) {
  // $t is assigned in the body, so expansion accepts it; sema finds the read comes first.
  const std::string p = "macro f() { $u = $t; $t = 1; $u }\nbegin { $a = f(); }";
  auto a = test::analyse_text(p);
  EXPECT_FALSE(a->ok);
  ASSERT_EQ(a->diags.all().size(), 1u);
  EXPECT_EQ(a->diags.all()[0].code, DiagCode::UndefinedVariable);
  EXPECT_EQ(a->diags.all()[0].message, "variable $t is not assigned");
}

TEST(MacroAnalysis, AFindingInABodyIsReportedOnceForAllItsCopies) {
  const std::string p = "macro f(x) { x / 0 } begin { $a = f(1); $b = f(2); }";
  auto a = test::analyse_text(p);
  EXPECT_TRUE(a->ok);
  EXPECT_THAT(test::diags_of(a->diags), ElementsAre(on(p, DiagCode::DivisionByZero, "0")));
}

TEST(MacroAnalysis, ShadowedBuiltinHasTheMacrosType) {
  auto a = test::analyse_text("macro comm() { 42 } begin { $a = comm; }");
  EXPECT_TRUE(a->ok) << test::describe(a->diags);
  EXPECT_TRUE(a->sema.variables.at(0).type.is_integer());
}

TEST(MacroAnalysis, ConstantMacroWhereAConstantIsNeeded) {
  auto a = test::analyse_text("macro k() { 4 } begin { @h = hist(1, k()); unroll (k()) { } }");
  EXPECT_TRUE(a->ok) << test::describe(a->diags);
}

} // namespace
} // namespace scry
