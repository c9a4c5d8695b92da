// Tests the parser (src/parser/parser.yy) and the attach-point pass (attach_point.cpp): every
// form of the language parses into the expected tree, print_source shows precedence and round-
// trips, comments and white space between any two tokens change nothing, every provider and
// alias is recognised, and bad programs get the right error code at the right place without
// crashing, however large or deep they are.
#include "parse_test_util.h"

#include <cstdint>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <utility>
#include <vector>

namespace scry {
namespace {

using test::as;
using test::DiagAt;
using test::diags_of;
using test::expr_source;
using test::parse_expr;
using test::parse_full;
using test::parse_text;
using test::PrintTo;
using test::tree;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// `begin { $x = ` is 13 characters: an expression under test starts at column 14.
constexpr int kExprColumn = 14;

template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case> &info) {
  return info.param.name;
}

// ---------------------------------------------------------------------------------------------
// Preamble

TEST(Preamble, AllFormsBeforeTheProbes) {
  auto p = parse_text("// a line comment\n"
                      "#include <linux/sched.h>\n"
                      "/* a block\n   comment */\n"
                      "struct foo { int x; };\n"
                      "config = { max_map_keys = 100; stack_mode = perf }\n"
                      "import \"lib.bt\";\n"
                      "let @a = hash(10);\n"
                      "macro add($x, @m, e) { $x + e }\n"
                      "begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ast::Program &prog = *p->program;
  ASSERT_EQ(prog.c_definitions.size(), 2u);
  EXPECT_EQ(prog.c_definitions[0]->kind, ast::CDefinition::Kind::Preprocessor);
  EXPECT_EQ(prog.c_definitions[1]->kind, ast::CDefinition::Kind::Struct);
  ASSERT_NE(prog.config, nullptr);
  ASSERT_EQ(prog.imports.size(), 1u);
  EXPECT_EQ(prog.imports[0]->path, "lib.bt");
  EXPECT_EQ(prog.map_decls.size(), 1u);
  EXPECT_EQ(prog.macros.size(), 1u);
  EXPECT_EQ(prog.probes.size(), 1u);
}

TEST(Preamble, ConfigBlockEntries) {
  auto p =
      parse_text("config = { max_map_keys = 100; stack_mode = perf; missing_probes = \"warn\" }"
                 " begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_NE(p->program->config, nullptr);
  const auto &entries = p->program->config->entries;
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].key, "max_map_keys");
  ASSERT_NE(as<ast::Integer>(entries[0].value), nullptr);
  EXPECT_EQ(as<ast::Integer>(entries[0].value)->value, 100u);
  EXPECT_EQ(entries[1].key, "stack_mode");
  ASSERT_NE(as<ast::Identifier>(entries[1].value), nullptr);
  EXPECT_EQ(as<ast::Identifier>(entries[1].value)->name, "perf");
  EXPECT_EQ(entries[2].key, "missing_probes");
  ASSERT_NE(as<ast::String>(entries[2].value), nullptr);
  EXPECT_EQ(as<ast::String>(entries[2].value)->value, "warn");
}

TEST(Preamble, EmptyConfigBlock) {
  auto p = parse_text("config = { } begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_NE(p->program->config, nullptr);
  EXPECT_THAT(p->program->config->entries, IsEmpty());
}

TEST(Preamble, SecondConfigBlockIsAnError) {
  auto p = parse_text("config = { a = 1 } config = { b = 2 } begin { }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 20, 26}));
}

// bpftrace's grammar has the config block before the probes only.
TEST(Preamble, ConfigBlockAfterAProbeIsAnError) {
  auto p = parse_text("begin { } config = { max_strlen = 10 }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidConfig, 1, 11, 17}));
  p = parse_text("macro m() { 1 } config = { max_strlen = 10 } begin { }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidConfig, 1, 17, 23}));
}

TEST(Preamble, MacroParameterKinds) {
  auto p = parse_text("macro f($v, @m, e) { $v + e } begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->macros.size(), 1u);
  const ast::Macro &m = *p->program->macros[0];
  EXPECT_EQ(m.name, "f");
  using K = ast::Macro::Param::Kind;
  ASSERT_EQ(m.params.size(), 3u);
  EXPECT_EQ(m.params[0].kind, K::Variable);
  EXPECT_EQ(m.params[0].name, "v");
  EXPECT_EQ(m.params[1].kind, K::Map);
  EXPECT_EQ(m.params[1].name, "m");
  EXPECT_EQ(m.params[2].kind, K::Expression);
  EXPECT_EQ(m.params[2].name, "e");
  // The body's final expression, written without ';', is its value.
  ASSERT_NE(m.body, nullptr);
  EXPECT_THAT(m.body->stmts, IsEmpty());
  ASSERT_NE(m.body->value, nullptr);
  EXPECT_EQ(print_source(*m.body->value), "($v + e)");
}

TEST(Preamble, ZeroArgumentMacrosWithAndWithoutParentheses) {
  auto p = parse_text("macro zero { 0 }\nmacro one() { 1 }\nbegin { $x = zero + one(); }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->macros.size(), 2u);
  EXPECT_EQ(p->program->macros[0]->name, "zero");
  EXPECT_THAT(p->program->macros[0]->params, IsEmpty());
  EXPECT_EQ(p->program->macros[1]->name, "one");
  EXPECT_THAT(p->program->macros[1]->params, IsEmpty());
}

TEST(Preamble, MacroBodyWithStatements) {
  auto p = parse_text("macro inc(@m, k) { @m[k]++; let $y = 1; $y } begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->macros.size(), 1u);
  const ast::Block &body = *p->program->macros[0]->body;
  EXPECT_EQ(body.stmts.size(), 2u);
  ASSERT_NE(as<ast::Variable>(body.value), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Map declarations

class MapDeclarationKind : public ::testing::TestWithParam<const char *> {};

TEST_P(MapDeclarationKind, IsKnown) {
  std::string kind = GetParam();
  auto p = parse_text("let @m = " + kind + "(100);\nbegin { @m[1] = 1; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->map_decls.size(), 1u);
  const ast::MapDecl &d = *p->program->map_decls[0];
  EXPECT_EQ(d.name, "m");
  EXPECT_EQ(d.kind, kind);
  ASSERT_NE(as<ast::Integer>(d.max_entries), nullptr);
  EXPECT_EQ(as<ast::Integer>(d.max_entries)->value, 100u);
  EXPECT_EQ(p->program->probes.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Parser, MapDeclarationKind,
                         ::testing::Values("hash", "lruhash", "percpuhash", "percpulruhash",
                                           "percpuarray"));

TEST(MapDeclaration, UnknownKindIsReportedAtTheKind) {
  auto p = parse_text("let @m = foo(1); begin { }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidMapDeclaration, 1, 10, 13}));
}

TEST(MapDeclaration, WrongArgumentCount) {
  auto two = parse_text("let @m = hash(1, 2); begin { }");
  EXPECT_THAT(diags_of(two->diags),
              ElementsAre(DiagAt{DiagCode::InvalidMapDeclaration, 1, 10, 20}));
  auto none = parse_text("let @m = hash(); begin { }");
  EXPECT_THAT(diags_of(none->diags),
              ElementsAre(DiagAt{DiagCode::InvalidMapDeclaration, 1, 10, 16}));
}

// ---------------------------------------------------------------------------------------------
// Probes

TEST(Probe, CommaSeparatedAttachPointsAndPredicate) {
  auto p = parse_text("kprobe:f, kretprobe:g,tracepoint:a:b /pid == 1/ { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  const ast::Probe &probe = *p->program->probes[0];
  ASSERT_EQ(probe.attach_points.size(), 3u);
  EXPECT_EQ(probe.attach_points[0]->raw, "kprobe:f");
  EXPECT_EQ(probe.attach_points[1]->raw, "kretprobe:g");
  EXPECT_EQ(probe.attach_points[2]->raw, "tracepoint:a:b");
  ASSERT_NE(probe.predicate, nullptr);
  EXPECT_EQ(print_source(*probe.predicate), "(pid == 1)");
}

TEST(Probe, WithoutPredicate) {
  auto p = parse_text("begin { }");
  ASSERT_EQ(p->program->probes.size(), 1u);
  EXPECT_EQ(p->program->probes[0]->predicate, nullptr);
}

TEST(Probe, DivisionInsideAPredicate) {
  auto p = parse_text("kprobe:f / $1 / 2 > 0 /\n{ }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  ASSERT_NE(p->program->probes[0]->predicate, nullptr);
  EXPECT_EQ(print_source(*p->program->probes[0]->predicate), "(($1 / 2) > 0)");
}

TEST(Probe, CommentsAfterThePredicate) {
  const std::string plain = tree(*parse_text("kprobe:f /pid > 0/ { @ = count(); }")->program);
  for (const char *text : {
           "kprobe:f /pid > 0/ /* c */ { @ = count(); }",
           "kprobe:f /pid > 0/ // c\n{ @ = count(); }",
           "kprobe:f /pid > 0/// c\n{ @ = count(); }",
           "kprobe:f /pid > 0/ /* a */ // b\n /* c\n { */\n{ @ = count(); }",
           "kprobe:f /pid /* c */ > /* d */ 0 /* e */ / { @ = count(); }",
       }) {
    auto p = parse_text(text);
    EXPECT_THAT(diags_of(p->diags), IsEmpty()) << text;
    EXPECT_EQ(tree(*p->program), plain) << text;
  }
}

TEST(Probe, DivisionBeforeACommentIsStillDivision) {
  auto p = parse_text("kprobe:f / $1 / /* c */ 2 > 0 / { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  ASSERT_NE(p->program->probes[0]->predicate, nullptr);
  EXPECT_EQ(print_source(*p->program->probes[0]->predicate), "(($1 / 2) > 0)");
}

TEST(Probe, SeveralProbes) {
  auto p = parse_text("begin { } kprobe:f { } end { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  EXPECT_EQ(p->program->probes.size(), 3u);
}

// ---------------------------------------------------------------------------------------------
// Statements

TEST(Statement, ExpressionStatement) {
  auto p = parse_text("begin { printf(\"%d\\n\", 1); }");
  auto *s = as<ast::ExprStatement>(test::only_statement(*p));
  ASSERT_NE(s, nullptr);
  auto *call = as<ast::Call>(s->expr);
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->name, "printf");
  EXPECT_EQ(call->args.size(), 2u);
}

struct AssignCase {
  const char *name;
  const char *op;
  bool compound;
  ast::BinaryOp binop;
};

class AssignmentOperator : public ::testing::TestWithParam<AssignCase> {};

TEST_P(AssignmentOperator, ToVariableAndMapElement) {
  const AssignCase &c = GetParam();
  for (const char *target : {"$x", "@m[1]", "@m"}) {
    auto p = parse_text(std::string("begin { ") + target + " " + c.op + " 2; }");
    EXPECT_THAT(diags_of(p->diags), IsEmpty()) << target << " " << c.op;
    auto *a = as<ast::Assignment>(test::only_statement(*p));
    ASSERT_NE(a, nullptr) << target << " " << c.op;
    EXPECT_EQ(print_source(*a->target), target);
    EXPECT_EQ(a->compound, c.compound);
    if (c.compound) {
      EXPECT_EQ(a->op, c.binop);
    }
    ASSERT_NE(as<ast::Integer>(a->value), nullptr);
  }
}

using BinOp = ast::BinaryOp;
INSTANTIATE_TEST_SUITE_P(Parser, AssignmentOperator,
                         ::testing::Values(AssignCase{"Assign", "=", false, BinOp::Add},
                                           AssignCase{"Add", "+=", true, BinOp::Add},
                                           AssignCase{"Sub", "-=", true, BinOp::Sub},
                                           AssignCase{"Mul", "*=", true, BinOp::Mul},
                                           AssignCase{"Div", "/=", true, BinOp::Div},
                                           AssignCase{"Mod", "%=", true, BinOp::Mod},
                                           AssignCase{"And", "&=", true, BinOp::BitAnd},
                                           AssignCase{"Or", "|=", true, BinOp::BitOr},
                                           AssignCase{"Xor", "^=", true, BinOp::BitXor},
                                           AssignCase{"Shl", "<<=", true, BinOp::Shl},
                                           AssignCase{"Shr", ">>=", true, BinOp::Shr}),
                         case_name<AssignCase>);

TEST(Statement, IncrementAndDecrement) {
  struct Case {
    const char *text;
    ast::UnaryOp op;
    const char *operand;
  };
  using U = ast::UnaryOp;
  for (const Case &c : {Case{"$x++", U::PostInc, "$x"}, Case{"$x--", U::PostDec, "$x"},
                        Case{"++$x", U::PreInc, "$x"}, Case{"--$x", U::PreDec, "$x"},
                        Case{"@m[1]++", U::PostInc, "@m[1]"}, Case{"@m[1]--", U::PostDec, "@m[1]"},
                        Case{"++@m[1]", U::PreInc, "@m[1]"}, Case{"--@m[1]", U::PreDec, "@m[1]"},
                        Case{"@c++", U::PostInc, "@c"}, Case{"--@c", U::PreDec, "@c"}}) {
    auto p = parse_text(std::string("begin { ") + c.text + "; }");
    EXPECT_THAT(diags_of(p->diags), IsEmpty()) << c.text;
    auto *s = as<ast::ExprStatement>(test::only_statement(*p));
    ASSERT_NE(s, nullptr) << c.text;
    auto *u = as<ast::Unary>(s->expr);
    ASSERT_NE(u, nullptr) << c.text;
    EXPECT_EQ(u->op, c.op) << c.text;
    EXPECT_EQ(print_source(*u->operand), c.operand) << c.text;
  }
}

TEST(Statement, LetForms) {
  auto p = parse_text("begin { let $a; let $b = 1; let $c: uint16 = 2; let $d: struct foo *; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 4u);
  auto *a = as<ast::VarDecl>(stmts[0]);
  auto *b = as<ast::VarDecl>(stmts[1]);
  auto *c = as<ast::VarDecl>(stmts[2]);
  auto *d = as<ast::VarDecl>(stmts[3]);
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(a->var->name, "a");
  EXPECT_EQ(a->type, nullptr);
  EXPECT_EQ(a->init, nullptr);
  EXPECT_EQ(b->type, nullptr);
  ASSERT_NE(as<ast::Integer>(b->init), nullptr);
  ASSERT_NE(c->type, nullptr);
  EXPECT_EQ(c->type->base, ast::TypeSpec::Base::Named);
  EXPECT_EQ(c->type->name, "uint16");
  ASSERT_NE(as<ast::Integer>(c->init), nullptr);
  EXPECT_EQ(as<ast::Integer>(c->init)->value, 2u);
  ASSERT_NE(d->type, nullptr);
  EXPECT_EQ(d->type->base, ast::TypeSpec::Base::Struct);
  ASSERT_EQ(d->type->suffixes.size(), 1u);
  EXPECT_TRUE(d->type->suffixes[0].pointer);
  EXPECT_EQ(d->init, nullptr);
}

TEST(Statement, IfElseIfElseChain) {
  auto p =
      parse_text("begin { if ($x > 1) { $y = 1; } else if $x < 0 { $y = 2; } else { $y = 3; } }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  auto *outer = as<ast::If>(test::only_statement(*p));
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(print_source(*outer->cond), "($x > 1)");
  EXPECT_EQ(outer->then_block->stmts.size(), 1u);
  auto *inner = as<ast::If>(outer->else_branch);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(print_source(*inner->cond), "($x < 0)");
  auto *last = as<ast::Block>(inner->else_branch);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->stmts.size(), 1u);
  EXPECT_EQ(outer->chain_depth, 2);
}

TEST(Statement, IfWithoutElse) {
  auto p = parse_text("begin { if $x { } }");
  auto *s = as<ast::If>(test::only_statement(*p));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->else_branch, nullptr);
}

TEST(Statement, ParenthesesAroundConditionsAreOptional) {
  struct Case {
    const char *with;
    const char *without;
  };
  for (const Case &c : {Case{"if ($x) { } else if ($y) { }", "if $x { } else if $y { }"},
                        Case{"while ($i < 3) { $i++; }", "while $i < 3 { $i++; }"},
                        Case{"unroll (4) { }", "unroll 4 { }"}}) {
    auto with = parse_text(std::string("begin { ") + c.with + " }");
    auto without = parse_text(std::string("begin { ") + c.without + " }");
    EXPECT_THAT(diags_of(with->diags), IsEmpty()) << c.with;
    EXPECT_THAT(diags_of(without->diags), IsEmpty()) << c.without;
    EXPECT_EQ(tree(*with->program), tree(*without->program)) << c.without;
  }
}

TEST(Statement, Unroll) {
  auto p = parse_text("begin { unroll (4) { @i++; } }");
  auto *u = as<ast::Unroll>(test::only_statement(*p));
  ASSERT_NE(u, nullptr);
  ASSERT_NE(as<ast::Integer>(u->count), nullptr);
  EXPECT_EQ(as<ast::Integer>(u->count)->value, 4u);
  EXPECT_EQ(u->body->stmts.size(), 1u);
}

TEST(Statement, WhileWithBreakAndContinue) {
  auto p = parse_text("begin { while ($i < 10) { $i++; break; continue; } }");
  auto *w = as<ast::While>(test::only_statement(*p));
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(print_source(*w->cond), "($i < 10)");
  ASSERT_EQ(w->body->stmts.size(), 3u);
  auto *brk = as<ast::Jump>(w->body->stmts[1]);
  auto *cont = as<ast::Jump>(w->body->stmts[2]);
  ASSERT_TRUE(brk && cont);
  EXPECT_EQ(brk->kind, ast::Jump::Kind::Break);
  EXPECT_EQ(cont->kind, ast::Jump::Kind::Continue);
}

TEST(Statement, ForOverAMap) {
  auto p = parse_text("begin { for ($kv : @m) { print($kv.0); } }");
  auto *f = as<ast::ForMap>(test::only_statement(*p));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->var->name, "kv");
  EXPECT_EQ(f->map->name, "m");
  EXPECT_EQ(f->body->stmts.size(), 1u);
}

TEST(Statement, ForOverARange) {
  auto p = parse_text("begin { for ($i : 0..10) { } for ($j : $a + 1..$b) { } }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 2u);
  auto *f = as<ast::ForRange>(stmts[0]);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->var->name, "i");
  EXPECT_EQ(print_source(*f->start), "0");
  EXPECT_EQ(print_source(*f->end), "10");
  auto *g = as<ast::ForRange>(stmts[1]);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(print_source(*g->start), "($a + 1)");
  EXPECT_EQ(print_source(*g->end), "$b");
}

TEST(Statement, ForOverSomethingElseIsAnError) {
  auto p = parse_text("begin { for ($i : 1 + 2) { } }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 19, 24}));
}

TEST(Statement, ForWithoutParenthesesIsTheSameLoop) {
  struct Case {
    const char *without;
    const char *with;
  };
  for (const Case &c : {
           Case{"for $j : 0..3 { }", "for ($j : 0..3) { }"},
           Case{"for $j : $a + 1..$b * 2 { $x = $j; }", "for ($j : $a + 1..$b * 2) { $x = $j; }"},
           Case{"for $kv : @m { print($kv.0); }", "for ($kv : @m) { print($kv.0); }"},
           Case{"for $j:0..3{}", "for ($j : 0..3) { }"},
       }) {
    auto without = parse_text(std::string("begin { ") + c.without + " }");
    auto with = parse_text(std::string("begin { ") + c.with + " }");
    EXPECT_THAT(diags_of(without->diags), IsEmpty()) << c.without;
    EXPECT_THAT(diags_of(with->diags), IsEmpty()) << c.with;
    EXPECT_EQ(tree(*without->program), tree(*with->program)) << c.without;
  }
  auto p = parse_text("begin { for $j : 0..3 { } }");
  auto *f = as<ast::ForRange>(test::only_statement(*p));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->var->name, "j");
  // The loop runs from `for` to the end of its body, as with parentheses.
  EXPECT_EQ(f->loc.begin.column, 9);
  EXPECT_EQ(f->loc.end.column, 26);
  EXPECT_EQ(f->var->loc.begin.column, 13);
}

TEST(Statement, ForWithoutParenthesesOverSomethingElseIsAnError) {
  auto p = parse_text("begin { for $i : 1 + 2 { } }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 18, 23}));
}

TEST(Statement, Return) {
  auto p = parse_text("begin { return; return 1; }");
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 2u);
  auto *bare = as<ast::Jump>(stmts[0]);
  auto *value = as<ast::Jump>(stmts[1]);
  ASSERT_TRUE(bare && value);
  EXPECT_EQ(bare->kind, ast::Jump::Kind::Return);
  EXPECT_EQ(bare->value, nullptr);
  EXPECT_EQ(value->kind, ast::Jump::Kind::Return);
  ASSERT_NE(as<ast::Integer>(value->value), nullptr);
}

TEST(Statement, DeleteIsACall) {
  auto p = parse_text("begin { delete(@m, 1); delete(@m[2]); }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 2u);
  auto *two = as<ast::Call>(as<ast::ExprStatement>(stmts[0])->expr);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->name, "delete");
  ASSERT_EQ(two->args.size(), 2u);
  EXPECT_NE(as<ast::Map>(two->args[0]), nullptr);
  auto *one = as<ast::Call>(as<ast::ExprStatement>(stmts[1])->expr);
  ASSERT_NE(one, nullptr);
  ASSERT_EQ(one->args.size(), 1u);
  EXPECT_NE(as<ast::MapAccess>(one->args[0]), nullptr);
}

TEST(Statement, NestedBlocks) {
  auto p = parse_text("begin { { $a = 1; { $b = 2; } } }");
  auto *outer = as<ast::BlockStatement>(test::only_statement(*p));
  ASSERT_NE(outer, nullptr);
  ASSERT_EQ(outer->block->stmts.size(), 2u);
  EXPECT_NE(as<ast::Assignment>(outer->block->stmts[0]), nullptr);
  auto *inner = as<ast::BlockStatement>(outer->block->stmts[1]);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->block->stmts.size(), 1u);
}

TEST(Statement, BlockExpression) {
  auto p = parse_text("begin { $a = { let $b = 1; $b }; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  auto *a = as<ast::Assignment>(test::only_statement(*p));
  ASSERT_NE(a, nullptr);
  auto *be = as<ast::BlockExpr>(a->value);
  ASSERT_NE(be, nullptr);
  ASSERT_EQ(be->block->stmts.size(), 1u);
  EXPECT_NE(as<ast::VarDecl>(be->block->stmts[0]), nullptr);
  ASSERT_NE(as<ast::Variable>(be->block->value), nullptr);
  EXPECT_EQ(as<ast::Variable>(be->block->value)->name, "b");
}

TEST(Statement, DiscardAssignment) {
  auto p = parse_text("begin { _ = f(); }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  auto *a = as<ast::Assignment>(test::only_statement(*p));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(as<ast::Identifier>(a->target), nullptr);
  EXPECT_EQ(as<ast::Identifier>(a->target)->name, "_");
  EXPECT_NE(as<ast::Call>(a->value), nullptr);
}

TEST(Statement, FinalExpressionWithoutSemicolonIsTheBlockValue) {
  auto p = parse_text("begin { $a = 1; $a + 1 }");
  ASSERT_EQ(p->program->probes.size(), 1u);
  const ast::Block &body = *p->program->probes[0]->body;
  EXPECT_EQ(body.stmts.size(), 1u);
  ASSERT_NE(body.value, nullptr);
  EXPECT_EQ(print_source(*body.value), "($a + 1)");
}

TEST(Statement, FinalAssignmentWithoutSemicolonIsAStatement) {
  auto p = parse_text("begin { $a = 1 }");
  ASSERT_EQ(p->program->probes.size(), 1u);
  EXPECT_EQ(p->program->probes[0]->body->value, nullptr);
  EXPECT_NE(as<ast::Assignment>(test::only_statement(*p)), nullptr);
}

TEST(Statement, EmptyStatementsAreIgnored) {
  auto p = parse_text("begin { ;; $a = 1;; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  EXPECT_NE(as<ast::Assignment>(test::only_statement(*p)), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Expressions

TEST(Expression, Literals) {
  EXPECT_NE(as<ast::Integer>(parse_expr("42").expr), nullptr);
  EXPECT_NE(as<ast::String>(parse_expr("\"s\"").expr), nullptr);
  EXPECT_NE(as<ast::Boolean>(parse_expr("true").expr), nullptr);
}

TEST(Expression, BuiltinsAreIdentifiers) {
  for (const char *name : {"pid", "tid", "comm", "nsecs", "kstack", "curtask", "args", "retval",
                           "arg0", "probe", "cgroup"}) {
    auto e = parse_expr(name);
    auto *id = as<ast::Identifier>(e.expr);
    ASSERT_NE(id, nullptr) << name;
    EXPECT_EQ(id->name, name);
  }
}

TEST(Expression, MapWithOneKey) {
  auto e = parse_expr("@m[comm]");
  auto *ma = as<ast::MapAccess>(e.expr);
  ASSERT_NE(ma, nullptr);
  EXPECT_EQ(ma->map->name, "m");
  ASSERT_NE(as<ast::Identifier>(ma->key), nullptr);
}

TEST(Expression, SeveralMapKeysAreOneTupleKey) {
  auto e = parse_expr("@m[pid, \"x\", 3]");
  auto *ma = as<ast::MapAccess>(e.expr);
  ASSERT_NE(ma, nullptr);
  auto *key = as<ast::Tuple>(ma->key);
  ASSERT_NE(key, nullptr);
  ASSERT_EQ(key->elems.size(), 3u);
  EXPECT_NE(as<ast::Identifier>(key->elems[0]), nullptr);
  EXPECT_NE(as<ast::String>(key->elems[1]), nullptr);
  EXPECT_NE(as<ast::Integer>(key->elems[2]), nullptr);
  // The same tree as an explicit tuple key, as in bpftrace.
  auto explicit_tuple = parse_text("begin { $x = @m[(pid, \"x\", 3)]; }");
  EXPECT_EQ(tree(*e.parsed->program), tree(*explicit_tuple->program));
}

TEST(Expression, AnonymousMap) {
  auto bare = parse_expr("@");
  ASSERT_NE(as<ast::Map>(bare.expr), nullptr);
  EXPECT_EQ(as<ast::Map>(bare.expr)->name, "");
  auto keyed = parse_expr("@[1]");
  ASSERT_NE(as<ast::MapAccess>(keyed.expr), nullptr);
  EXPECT_EQ(as<ast::MapAccess>(keyed.expr)->map->name, "");
}

TEST(Expression, Calls) {
  struct Case {
    const char *text;
    const char *name;
    size_t args;
  };
  for (const Case &c :
       {Case{"exit()", "exit", 0}, Case{"str(arg0)", "str", 1},
        Case{"printf(\"%d %s\", 1, \"a\")", "printf", 3}, Case{"nsecs(monotonic)", "nsecs", 1}}) {
    auto e = parse_expr(c.text);
    auto *call = as<ast::Call>(e.expr);
    ASSERT_NE(call, nullptr) << c.text;
    EXPECT_EQ(call->name, c.name);
    EXPECT_EQ(call->args.size(), c.args) << c.text;
  }
}

TEST(Expression, FieldAccessWithDotAndArrow) {
  auto e = parse_expr("curtask->parent.pid");
  auto *dot = as<ast::FieldAccess>(e.expr);
  ASSERT_NE(dot, nullptr);
  EXPECT_EQ(dot->field, "pid");
  EXPECT_FALSE(dot->arrow);
  auto *arrow = as<ast::FieldAccess>(dot->base);
  ASSERT_NE(arrow, nullptr);
  EXPECT_EQ(arrow->field, "parent");
  EXPECT_TRUE(arrow->arrow);
  EXPECT_NE(as<ast::Identifier>(arrow->base), nullptr);
}

TEST(Expression, TypeNamesAreFieldNames) {
  auto e = parse_expr("args.string");
  auto *f = as<ast::FieldAccess>(e.expr);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->field, "string");
}

TEST(Expression, Indexing) {
  auto e = parse_expr("$a[1][$i + 1]");
  auto *outer = as<ast::Index>(e.expr);
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(print_source(*outer->index), "($i + 1)");
  auto *inner = as<ast::Index>(outer->base);
  ASSERT_NE(inner, nullptr);
  EXPECT_NE(as<ast::Variable>(inner->base), nullptr);
}

TEST(Expression, Tuples) {
  struct Case {
    const char *text;
    size_t size;
  };
  for (const Case &c : {Case{"(1, \"a\")", 2}, Case{"(1,)", 1}, Case{"()", 0},
                        Case{"(1, 2, 3,)", 3}, Case{"((1, 2), 3)", 2}}) {
    auto e = parse_expr(c.text);
    auto *t = as<ast::Tuple>(e.expr);
    ASSERT_NE(t, nullptr) << c.text;
    EXPECT_EQ(t->elems.size(), c.size) << c.text;
  }
}

TEST(Expression, ParenthesesAloneDoNotMakeATuple) {
  EXPECT_NE(as<ast::Integer>(parse_expr("(1)").expr), nullptr);
  EXPECT_NE(as<ast::Integer>(parse_expr("((1))").expr), nullptr);
}

TEST(Expression, TupleAccess) {
  auto e = parse_expr("$t.1.0");
  auto *outer = as<ast::TupleAccess>(e.expr);
  ASSERT_NE(outer, nullptr);
  EXPECT_EQ(outer->index, 0u);
  auto *inner = as<ast::TupleAccess>(outer->base);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->index, 1u);
  EXPECT_NE(as<ast::Variable>(inner->base), nullptr);
}

TEST(Expression, Records) {
  auto e = parse_expr("(a = 1, b = \"x\")");
  auto *r = as<ast::Record>(e.expr);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->fields.size(), 2u);
  EXPECT_EQ(r->fields[0].name, "a");
  EXPECT_NE(as<ast::Integer>(r->fields[0].value), nullptr);
  EXPECT_EQ(r->fields[1].name, "b");
  EXPECT_NE(as<ast::String>(r->fields[1].value), nullptr);
  auto one = parse_expr("(a = 1,)");
  ASSERT_NE(as<ast::Record>(one.expr), nullptr);
  EXPECT_EQ(as<ast::Record>(one.expr)->fields.size(), 1u);
}

// A type's suffixes as written: "*" for a pointer, "[N]" for an array.
std::string suffixes(const ast::TypeSpec &t) {
  std::string out;
  for (const ast::TypeSpec::Suffix &s : t.suffixes)
    out += s.pointer ? "*" : "[" + std::to_string(s.size) + "]";
  return out;
}

struct CastCase {
  const char *name;
  const char *text;
  ast::TypeSpec::Base base;
  const char *type_name;
  const char *suffixes;
};

class CastTo : public ::testing::TestWithParam<CastCase> {};

TEST_P(CastTo, Type) {
  const CastCase &c = GetParam();
  auto e = parse_expr(c.text);
  auto *cast = as<ast::Cast>(e.expr);
  ASSERT_NE(cast, nullptr) << c.text;
  EXPECT_EQ(cast->target->base, c.base);
  EXPECT_EQ(cast->target->name, c.type_name);
  EXPECT_EQ(suffixes(*cast->target), c.suffixes);
  EXPECT_NE(cast->operand, nullptr);
}

using Base = ast::TypeSpec::Base;
INSTANTIATE_TEST_SUITE_P(
    Parser, CastTo,
    ::testing::Values(CastCase{"Integer", "(uint32)arg0", Base::Named, "uint32", ""},
                      CastCase{"IntegerPointer", "(uint8 *)arg0", Base::Named, "uint8", "*"},
                      CastCase{"StructPointer", "(struct task_struct *)p", Base::Struct,
                               "task_struct", "*"},
                      CastCase{"PointerToPointer", "(struct foo **)p", Base::Struct, "foo", "**"},
                      CastCase{"Struct", "(struct foo)$x", Base::Struct, "foo", ""},
                      CastCase{"Union", "(union u *)p", Base::Union, "u", "*"},
                      CastCase{"Enum", "(enum e)1", Base::Enum, "e", ""},
                      CastCase{"Array", "(int8[8])$x", Base::Named, "int8", "[8]"},
                      CastCase{"ArrayOfPointers", "(uint8 *[4])$x", Base::Named, "uint8", "*[4]"},
                      CastCase{"Typeof", "(typeof($y))1", Base::Typeof, "", ""}),
    case_name<CastCase>);

// `(name) value` can only be a cast: an unknown type is reported at the name, not as a syntax
// error at the value.
// `(name) value` with a name that is not one of scry's types is a cast to a named type (a
// typedef, or a struct of that name), looked up by sema: the parser reports nothing, and the
// cast's type is the name.
TEST(Expression, CastToANamedTypeParsesAsACast) {
  for (const char *text :
       {"begin { $x = (u32)pid; }", "begin { $x = (u32)str(1); }", "begin { $x = (u32)!1; }",
        "begin { $x = (u32)~1; }", "begin { $x = (u32) pid->x; }", "begin { $x = (u32)$y->f; }"}) {
    auto p = parse_text(text);
    EXPECT_THAT(diags_of(p->diags), IsEmpty()) << text;
    EXPECT_NE(print_source(*p->program).find("(u32)"), std::string::npos) << text;
  }
  // (name *) and (name **): one token, so that `(a * b)` stays a product.
  auto p = parse_text("begin { $x = (bio **)arg0; $y = ($a * $b); }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
}

TEST(Expression, ParenthesisedNameIsStillAnExpression) {
  for (const char *text : {"(pid) + 1", "(pid) - 1", "(pid) * 2", "((pid))", "(pid)[1]",
                           "f((pid), 1)", "((pid), 1)", "(pid) ? 1 : 2"}) {
    auto e = parse_expr(text);
    EXPECT_NE(e.expr, nullptr) << text;
    EXPECT_EQ(as<ast::Cast>(e.expr), nullptr) << text;
  }
  auto p = parse_text("config = { a = (b) c = 1 } begin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_NE(p->program->config, nullptr);
  ASSERT_EQ(p->program->config->entries.size(), 2u);
  EXPECT_EQ(p->program->config->entries[1].key, "c");
  // `!=` after a parenthesised name is a comparison, not a cast of a negation.
  auto e = parse_expr("(pid) != 1");
  auto *b = as<ast::Binary>(e.expr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->op, ast::BinaryOp::Ne);
}

TEST(Expression, ZeroSizedArrayTypeIsInvalid) {
  auto p = parse_text("begin { $x = (int8[0])1; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidTypeSize, 1, 20, 21}));
}

TEST(Expression, TypeofOfAnExpressionAndOfAType) {
  auto p = parse_text("begin { let $a: typeof($b) = 1; let $c: typeof(struct foo *) = 0; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 2u);
  ast::TypeSpec *of_expr = as<ast::VarDecl>(stmts[0])->type;
  ast::TypeSpec *of_type = as<ast::VarDecl>(stmts[1])->type;
  ASSERT_TRUE(of_expr && of_type);
  EXPECT_EQ(of_expr->base, Base::Typeof);
  EXPECT_NE(as<ast::Variable>(of_expr->typeof_arg), nullptr);
  EXPECT_EQ(of_type->base, Base::Typeof);
  EXPECT_NE(as<ast::TypeSpec>(of_type->typeof_arg), nullptr);
}

TEST(Expression, SizeofTypeAndExpression) {
  auto type = parse_expr("sizeof(struct task_struct)");
  auto *st = as<ast::Sizeof>(type.expr);
  ASSERT_NE(st, nullptr);
  ASSERT_NE(st->type_spec, nullptr);
  EXPECT_EQ(st->type_spec->name, "task_struct");
  EXPECT_EQ(st->expr, nullptr);

  auto expr = parse_expr("sizeof($x + 1)");
  auto *se = as<ast::Sizeof>(expr.expr);
  ASSERT_NE(se, nullptr);
  EXPECT_EQ(se->type_spec, nullptr);
  ASSERT_NE(se->expr, nullptr);
  EXPECT_EQ(print_source(*se->expr), "($x + 1)");

  auto array = parse_expr("sizeof(uint8[4])");
  auto *sa = as<ast::Sizeof>(array.expr);
  ASSERT_NE(sa, nullptr);
  ASSERT_NE(sa->type_spec, nullptr);
  EXPECT_EQ(suffixes(*sa->type_spec), "[4]");
}

TEST(Expression, OffsetofWithAFieldPath) {
  auto type = parse_expr("offsetof(struct foo, a.b.c)");
  auto *ot = as<ast::Offsetof>(type.expr);
  ASSERT_NE(ot, nullptr);
  ASSERT_NE(ot->type_spec, nullptr);
  EXPECT_EQ(ot->type_spec->name, "foo");
  EXPECT_EQ(ot->fields, (std::vector<std::string>{"a", "b", "c"}));

  auto expr = parse_expr("offsetof($x, f)");
  auto *oe = as<ast::Offsetof>(expr.expr);
  ASSERT_NE(oe, nullptr);
  EXPECT_EQ(oe->type_spec, nullptr);
  EXPECT_NE(as<ast::Variable>(oe->expr), nullptr);
  EXPECT_EQ(oe->fields, std::vector<std::string>{"f"});
}

TEST(Expression, TernaryAndElvis) {
  auto full = parse_expr("$a ? 1 : 2");
  auto *t = as<ast::Ternary>(full.expr);
  ASSERT_NE(t, nullptr);
  EXPECT_NE(t->then_expr, nullptr);
  auto elvis = parse_expr("$a ?: 2");
  auto *e = as<ast::Ternary>(elvis.expr);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->then_expr, nullptr);
  EXPECT_NE(as<ast::Integer>(e->else_expr), nullptr);
}

TEST(Expression, UnaryOperators) {
  struct Case {
    const char *text;
    ast::UnaryOp op;
  };
  using U = ast::UnaryOp;
  for (const Case &c : {Case{"-$a", U::Neg}, Case{"+$a", U::Plus}, Case{"!$a", U::LogicalNot},
                        Case{"~$a", U::BitNot}, Case{"*$p", U::Deref}, Case{"&$a", U::AddressOf}}) {
    auto e = parse_expr(c.text);
    auto *u = as<ast::Unary>(e.expr);
    ASSERT_NE(u, nullptr) << c.text;
    EXPECT_EQ(u->op, c.op) << c.text;
    EXPECT_NE(as<ast::Variable>(u->operand), nullptr) << c.text;
  }
}

TEST(Expression, EveryBinaryOperator) {
  using B = ast::BinaryOp;
  struct Case {
    const char *op;
    B binop;
  };
  for (const Case &c : {Case{"*", B::Mul}, Case{"/", B::Div}, Case{"%", B::Mod}, Case{"+", B::Add},
                        Case{"-", B::Sub}, Case{"<<", B::Shl}, Case{">>", B::Shr}, Case{"<", B::Lt},
                        Case{">", B::Gt}, Case{"<=", B::Le}, Case{">=", B::Ge}, Case{"==", B::Eq},
                        Case{"!=", B::Ne}, Case{"&", B::BitAnd}, Case{"^", B::BitXor},
                        Case{"|", B::BitOr}, Case{"&&", B::LogicalAnd}, Case{"||", B::LogicalOr}}) {
    auto e = parse_expr(std::string("$a ") + c.op + " $b");
    auto *b = as<ast::Binary>(e.expr);
    ASSERT_NE(b, nullptr) << c.op;
    EXPECT_EQ(b->op, c.binop) << c.op;
    EXPECT_EQ(print_source(*b->lhs), "$a");
    EXPECT_EQ(print_source(*b->rhs), "$b");
  }
}

TEST(Expression, LocationsCoverTheWholeExpression) {
  auto e = parse_expr("$a + @m[1] * 2");
  ASSERT_NE(e.expr, nullptr);
  EXPECT_EQ(e.expr->loc.begin.line, 1);
  EXPECT_EQ(e.expr->loc.begin.column, kExprColumn);
  EXPECT_EQ(e.expr->loc.end.column, kExprColumn + 14);
  auto *mul = as<ast::Binary>(as<ast::Binary>(e.expr)->rhs);
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(mul->loc.begin.column, kExprColumn + 5);
}

// ---------------------------------------------------------------------------------------------
// Precedence and associativity, shown by print_source's parentheses

struct PrecCase {
  const char *name;
  const char *text;
  const char *parsed;
};

class PrecedenceTable : public ::testing::TestWithParam<PrecCase> {};

TEST_P(PrecedenceTable, FollowsC) {
  EXPECT_EQ(expr_source(GetParam().text), GetParam().parsed);
}

INSTANTIATE_TEST_SUITE_P(
    Parser, PrecedenceTable,
    ::testing::Values(PrecCase{"MulOverAdd", "1 + 2 * 3", "(1 + (2 * 3))"},
                      PrecCase{"SubIsLeftAssociative", "a - b - c", "((a - b) - c)"},
                      PrecCase{"DivModMulLeftToRight", "a / b % c * d", "(((a / b) % c) * d)"},
                      PrecCase{"AndOverOr", "a || b && c", "(a || (b && c))"},
                      PrecCase{"AndOrMixed", "a && b || c && d", "((a && b) || (c && d))"},
                      PrecCase{"EqualityOverBitAnd", "a & b == c", "(a & (b == c))"},
                      PrecCase{"BitAndXorOr", "a | b ^ c & d", "(a | (b ^ (c & d)))"},
                      PrecCase{"BitOrOverLogicalAnd", "a && b | c", "(a && (b | c))"},
                      PrecCase{"AddOverShift", "a << 1 + 2", "(a << (1 + 2))"},
                      PrecCase{"ShiftIsLeftAssociative", "a >> b >> c", "((a >> b) >> c)"},
                      PrecCase{"ShiftOverRelational", "a < b << c", "(a < (b << c))"},
                      PrecCase{"RelationalOverEquality", "a < b == c > d", "((a < b) == (c > d))"},
                      PrecCase{"RelationalIsLeftAssociative", "1 < 2 < 3", "((1 < 2) < 3)"},
                      PrecCase{"EqualityIsLeftAssociative", "a == b != c", "((a == b) != c)"},
                      PrecCase{"NegationOverMul", "-a * b", "((-a) * b)"},
                      PrecCase{"NotOverEquality", "!a == b", "((!a) == b)"},
                      PrecCase{"NestedUnary", "- -a", "(-(-a))"},
                      PrecCase{"NegativeOperand", "$x - -1", "($x - (-1))"},
                      PrecCase{"TernaryIsRightAssociative", "a ? b : c ? d : e",
                               "(a ? b : (c ? d : e))"},
                      PrecCase{"TernaryInTheMiddle", "a ? b ? c : d : e", "(a ? (b ? c : d) : e)"},
                      PrecCase{"OrOverTernary", "a || b ? c : d", "((a || b) ? c : d)"},
                      PrecCase{"ElvisIsRightAssociative", "a ?: b ?: c", "(a ?: (b ?: c))"},
                      PrecCase{"CastOverAdd", "(uint8)a + b", "(((uint8)a) + b)"},
                      PrecCase{"CastOverMul", "(uint64)$a * 2", "(((uint64)$a) * 2)"},
                      PrecCase{"PointerCastOverAdd", "(int8 *)p + 1", "(((int8 *)p) + 1)"},
                      PrecCase{"CastOfNegation", "(uint8)-a", "((uint8)(-a))"},
                      PrecCase{"PostfixOverDeref", "*p->x", "(*p->x)"},
                      PrecCase{"DerefInParentheses", "(*p)->x", "(*p)->x"},
                      PrecCase{"PostfixOverBitNot", "~a->b[1]", "(~a->b[1])"},
                      PrecCase{"PostfixOverAddressOf", "&a.b", "(&a.b)"},
                      PrecCase{"PostIncOverDeref", "*$p++", "(*($p++))"},
                      PrecCase{"PostIncOverAdd", "$x++ + 1", "(($x++) + 1)"},
                      PrecCase{"LongestTokenIncrement", "a+++b", "((a++) + b)"},
                      PrecCase{"LongestTokenDecrement", "a---b", "((a--) - b)"},
                      PrecCase{"ParenthesesOverride", "(1 + 2) * 3", "((1 + 2) * 3)"},
                      PrecCase{"PostfixChain", "f(a, b)[0].1", "f(a, b)[0].1"},
                      PrecCase{"MapKeysAreATuple", "@m[1, 2].x", "@m[(1, 2)].x"}),
    case_name<PrecCase>);

TEST(Precedence, PostfixBindsTighterThanPrefix) {
  // `*p->x` is `*(p->x)`: the dereference applies to the field, not to p.
  auto e = parse_expr("*p->x");
  auto *deref = as<ast::Unary>(e.expr);
  ASSERT_NE(deref, nullptr);
  EXPECT_EQ(deref->op, ast::UnaryOp::Deref);
  auto *field = as<ast::FieldAccess>(deref->operand);
  ASSERT_NE(field, nullptr);
  EXPECT_TRUE(field->arrow);
  EXPECT_NE(as<ast::Identifier>(field->base), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Round trip: parse -> print_source -> parse gives the same tree

struct RoundTripCase {
  const char *name;
  const char *text;
};

class RoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, PrintedSourceParsesToTheSameTree) {
  auto first = parse_text(GetParam().text);
  ASSERT_THAT(diags_of(first->diags), IsEmpty());
  std::string printed = print_source(*first->program);
  auto second = parse_text(printed);
  EXPECT_THAT(diags_of(second->diags), IsEmpty()) << printed;
  EXPECT_EQ(tree(*first->program), tree(*second->program)) << printed;
  // Printing is a fixed point after one round.
  EXPECT_EQ(print_source(*second->program), printed);
}

// Representative programs: every statement and expression form, several probes and attach
// points, and the preamble. The comment-insertion test below reuses them.
const RoundTripCase kRoundTripCases[] = {
    RoundTripCase{"Hello", R"(BEGIN { printf("hello\n"); exit(); })"},
    RoundTripCase{"PredicateAndMapKey",
                  R"(kprobe:do_sys_open /comm == "bash"/ { @opens[str(arg1)] = count(); })"},
    RoundTripCase{"Wildcard", "tracepoint:syscalls:sys_enter_* { @[probe] = count(); }"},
    RoundTripCase{"SeveralAttachPoints",
                  "uprobe:/bin/bash:readline, uretprobe:/bin/bash:readline { @[tid] = nsecs; }"},
    RoundTripCase{"AttachPointForms",
                  R"ap(name=kprobe:f+16, kprobe:mod:f, uprobe:/bin/x:0x1234,
                         uprobe:/bin/x:cpp:"ns::f(int)", uprobe:/bin/x:cpp:ns::f,
                         usdt:/bin/x:ns:probe, interval:5s, interval:ms:100, profile:99,
                         software:faults:10, hardware:cycles, watchpoint:0x1000:8:rw,
                         iter:task, self:signal:SIGUSR1, rt:sched_switch { })ap"},
    RoundTripCase{"SeveralProbes",
                  "BEGIN { @start = nsecs; } interval:s:1 { print(@); clear(@); } END { }"},
    RoundTripCase{"Assignments", "BEGIN { $x = 1; $x += 2; $x -= 1; $x *= 3; $x /= 2; "
                                 "$x %= 5; $x &= 7; $x |= 8; $x ^= 1; $x <<= 2; $x >>= 1; "
                                 "@m[1] += 1; @ = 1; _ = f(); }"},
    RoundTripCase{"IncrementDecrement",
                  "BEGIN { $x++; $x--; ++$x; --$x; @m[1]++; --@m[2]; @c++; }"},
    RoundTripCase{"Let", "BEGIN { let $a; let $b = 1; let $c: uint16 = 2; "
                         "let $d: struct task_struct *; let $e: int8[8] = 0; "
                         "let $f: typeof($b) = 3; }"},
    RoundTripCase{"ControlFlow",
                  "BEGIN { if ($x > 1) { $y = 1; } else if $x < 0 { $y = 2; } else { $y = 3; }"
                  " unroll (4) { @i++; } while ($i < 10) { $i++; if ($i == 5) { break; } "
                  "continue; } for ($kv : @m) { print($kv.0); } "
                  "for ($i : 0..10) { @s += $i; } { $a = 1; { $b = 2; } } return; }"},
    RoundTripCase{"BlockExpressionAndValue",
                  "BEGIN { $a = { let $b = 1; $b + 1 }; delete(@m, 1); $a }"},
    RoundTripCase{"TuplesAndRecords",
                  R"(BEGIN { $t = (1, "a"); $u = (1,); $v = (); $w = $t.1;
                               $r = (a = 1, b = "x"); $q = $r.a; $s = (a = 1,);
                               @m[1] = (1, (2, 3), (a = 4)); print(((1, 2), 3)); })"},
    RoundTripCase{"Casts", "BEGIN { $a = (uint32)arg0; $b = (struct task_struct *)curtask; "
                           "$c = (int8[8])$x; $d = ((struct foo *)0)->bar; "
                           "$e = (union u *)0; $f = (enum e)1; $g = (uint8 *[4])0; "
                           "$h = (typeof($a))1; $i = (uint8)-1 + 1; }"},
    RoundTripCase{"SizeofOffsetof", "BEGIN { $a = sizeof(struct task_struct); $b = sizeof($x); "
                                    "$c = offsetof(struct foo, a.b.c); $d = offsetof($x, f); "
                                    "$e = sizeof(typeof($x)); }"},
    RoundTripCase{"BinaryOperators", "BEGIN { $a = 1 + 2 * 3 - 4 / 5 % 6; $b = 1 << 2 >> 3; "
                                     "$c = 1 < 2 && 3 > 4 || 5 <= 6 && 7 >= 8; $d = 1 == 2 != 3; "
                                     "$e = 1 & 2 | 3 ^ 4; $f = (1 + 2) * 3; }"},
    RoundTripCase{"UnaryOperators", "BEGIN { $a = -$x; $b = +$x; $c = !$x; $d = ~$x; "
                                    "$e = *$p; $f = &$x; $g = - -$x; $h = *p->x; }"},
    RoundTripCase{"Ternaries", "BEGIN { $a = $x ? 1 : 2; $b = $x ?: 3; "
                               "$c = $x ? $y ? 1 : 2 : $z ? 3 : 4; }"},
    RoundTripCase{"Postfix", "BEGIN { $a = curtask->parent->pid; $b = args.filename; "
                             "$c = $x[1][2]; $d = @m[1, 2, \"x\"]; $e = @[1]; "
                             "$f = f(a, b)[0].1; }"},
    RoundTripCase{"Positional", "BEGIN { $a = $1 + $2; $b = $#; $c = str($3); }"},
    RoundTripCase{"Strings",
                  R"(BEGIN { $s = "tab\there \"q\" back\\slash \x41\101 nul\0 e\e cr\r"; })"},
    RoundTripCase{"ControlCharacters", R"(BEGIN { $s = "\x7f\x01\0017"; })"},
    // Escaped bytes that are not UTF-8 must print as escapes, or the output is not a program.
    RoundTripCase{"NonUtf8Bytes", R"(BEGIN { $s = "\xff\x80\300"; })"},
    RoundTripCase{"Integers",
                  "BEGIN { $a = 0x10 + 0b101 + 017 + 1_000 + 1e3 + 10u + 5ul + 3l + 1ns + "
                  "1d; $b = 18446744073709551615; $c = 9223372036854775808; $d = 0u; }"},
    RoundTripCase{"Booleans", "BEGIN { $a = true; $b = false; }"},
    RoundTripCase{"Preprocessor", "#include <linux/sched.h>\n#define MAX 10\nBEGIN { }"},
    RoundTripCase{"CDefinitions", "struct foo { int a; char b[4]; };\nunion u { int x; };\n"
                                  "enum e { A, B = 2 };\ntypedef unsigned long ul_t;\n"
                                  "BEGIN { }"},
    RoundTripCase{"CDefinitionWithoutSemicolon", "struct foo { int x; }\nBEGIN { }"},
    RoundTripCase{"Config", "config = { max_map_keys = 1000; stack_mode = perf }\nBEGIN { }"},
    RoundTripCase{"Import", "import \"lib.bt\";\nBEGIN { }"},
    RoundTripCase{"Macros", "macro add($a, $b) { $a + $b }\nmacro inc(@m, key) { @m[key]++; }\n"
                            "macro zero { 0 }\nBEGIN { $x = add(1, 2); inc(@m, 3); }"},
    RoundTripCase{"MapDeclarations", "let @a = hash(100);\nlet @b = lruhash(10);\n"
                                     "let @c = percpuhash(5);\nlet @d = percpulruhash(6);\n"
                                     "BEGIN { @a[1] = 1; }"},
    RoundTripCase{"PredicateWithDivision", "kprobe:g / $1 / 2 > 0 / { }"},
    RoundTripCase{"PredicatesOnSeveralProbes",
                  "kprobe:f, kprobe:g /pid > 0 && ($1 / 2) > 1/ { @[comm, pid] = count(); }\n"
                  "END /@x[1] == 0/ { print(@); }"},
    RoundTripCase{"ForWithoutParentheses",
                  "BEGIN { for $i : 0..10 { @s += $i; } for $j : $a + 1..$b { } "
                  "for $kv : @m { print($kv.0); } }"},
};

INSTANTIATE_TEST_SUITE_P(Parser, RoundTrip, ::testing::ValuesIn(kRoundTripCases),
                         case_name<RoundTripCase>);

// ---------------------------------------------------------------------------------------------
// Comments and white space between any two tokens leave the tree as it was

// Byte offset of `at` in `text` (columns count bytes).
size_t offset_of(const std::string &text, Position at) {
  size_t offset = 0;
  for (int line = 1; line < at.line; ++line)
    offset = text.find('\n', offset) + 1;
  return offset + static_cast<size_t>(at.column - 1);
}

// What is inserted between two tokens: comments padded with white space, white space alone, and
// a comment that touches the tokens on both sides.
const char *const kInserts[] = {
    " /* c */ ", " // c\n", " /* a\n * { / } */ ", "\n \t\r\n  ", "/*c*/",
};

// Whether inserting `insert` at byte `at` of `text` changes only the program's layout. `before`
// is the token before `at`, if any. False where the neighbouring tokens make the insertion
// change the meaning instead, as the same insertion would in C.
bool only_layout(const std::string &text, const Token *before, size_t at,
                 const std::string &insert) {
  if (!before || offset_of(text, before->range.end) != at)
    return true; // white space separates `at` from the token before
  bool comment = insert.find('/') != std::string::npos;
  // A preprocessor directive runs to the end of its line, comments included.
  if (before->name == "preprocessor directive" && (comment || insert[0] != '\n'))
    return false;
  if (insert[0] == '/') {
    // "//*" starts a line comment.
    if (text[at - 1] == '/')
      return false;
    // Attach points may contain '/' and '*' (paths, wildcards), so a comment glued to one is
    // part of it; so it is after the top-level words that must be followed by white space.
    if (before->name == "attach point" || before->name == "macro" || before->name == "import" ||
        before->name == "let")
      return false;
  }
  return true;
}

class CommentsBetweenTokens : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(CommentsBetweenTokens, LeaveTheTreeUnchanged) {
  const std::string text = GetParam().text;
  auto original = parse_text(text);
  ASSERT_THAT(diags_of(original->diags), IsEmpty());
  const std::string expected = tree(*original->program);

  Diagnostics lex_diags;
  const std::vector<Token> tokens = lex(SourceFile("stdin", text), lex_diags);
  ASSERT_THAT(diags_of(lex_diags), IsEmpty());
  ASSERT_FALSE(tokens.empty());

  // Between two tokens, the insertion goes right after the first and right before the second
  // (the same place when nothing separates them); also before the first and after the last.
  std::vector<std::pair<size_t, const Token *>> positions; // (byte, token before it)
  positions.push_back({0, nullptr});
  for (size_t i = 0; i < tokens.size(); ++i) {
    size_t begin = offset_of(text, tokens[i].range.begin);
    if (i > 0 && begin != positions.back().first)
      positions.push_back({begin, &tokens[i - 1]});
    positions.push_back({offset_of(text, tokens[i].range.end), &tokens[i]});
  }

  int checked = 0;
  std::vector<std::string> failures;
  for (const auto &[at, before] : positions) {
    for (const std::string insert : kInserts) {
      if (!only_layout(text, before, at, insert))
        continue;
      ++checked;
      std::string changed = text.substr(0, at) + insert + text.substr(at);
      auto p = parse_text(changed);
      if (!diags_of(p->diags).empty() || tree(*p->program) != expected)
        failures.push_back(changed);
    }
  }
  // Every position takes at least the white space.
  EXPECT_GE(checked, static_cast<int>(positions.size()));
  EXPECT_THAT(failures, IsEmpty())
      << failures.size() << " of " << checked << " variants parse differently";
}

INSTANTIATE_TEST_SUITE_P(Parser, CommentsBetweenTokens, ::testing::ValuesIn(kRoundTripCases),
                         case_name<RoundTripCase>);

// ---------------------------------------------------------------------------------------------
// Providers and aliases

struct ProviderCase {
  const char *name;
  const char *attach_point;
  ast::ProbeType type;
  const char *provider; // canonical
};

class Provider : public ::testing::TestWithParam<ProviderCase> {};

TEST_P(Provider, MapsToItsProbeType) {
  const ProviderCase &c = GetParam();
  auto p = parse_full(std::string(c.attach_point) + " { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  ASSERT_EQ(p->program->probes[0]->attach_points.size(), 1u);
  const ast::AttachPoint &ap = *p->program->probes[0]->attach_points[0];
  EXPECT_EQ(ap.type, c.type);
  EXPECT_EQ(ap.provider, c.provider);
}

using PT = ast::ProbeType;
INSTANTIATE_TEST_SUITE_P(
    Parser, Provider,
    ::testing::Values(
        ProviderCase{"begin", "begin", PT::Begin, "begin"},
        ProviderCase{"BEGIN", "BEGIN", PT::Begin, "begin"},
        ProviderCase{"Begin", "Begin", PT::Begin, "begin"},
        ProviderCase{"end", "end", PT::End, "end"}, ProviderCase{"END", "END", PT::End, "end"},
        ProviderCase{"kprobe", "kprobe:f", PT::Kprobe, "kprobe"},
        ProviderCase{"KPROBE", "KPROBE:f", PT::Kprobe, "kprobe"},
        ProviderCase{"k", "k:f", PT::Kprobe, "kprobe"},
        ProviderCase{"kretprobe", "kretprobe:f", PT::Kretprobe, "kretprobe"},
        ProviderCase{"kr", "kr:f", PT::Kretprobe, "kretprobe"},
        ProviderCase{"fentry", "fentry:f", PT::Fentry, "fentry"},
        ProviderCase{"f", "f:f", PT::Fentry, "fentry"},
        ProviderCase{"kfunc", "kfunc:f", PT::Fentry, "fentry"},
        ProviderCase{"fexit", "fexit:f", PT::Fexit, "fexit"},
        ProviderCase{"fr", "fr:f", PT::Fexit, "fexit"},
        ProviderCase{"kretfunc", "kretfunc:f", PT::Fexit, "fexit"},
        ProviderCase{"uprobe", "uprobe:/bin/sh:main", PT::Uprobe, "uprobe"},
        ProviderCase{"u", "u:/bin/sh:main", PT::Uprobe, "uprobe"},
        ProviderCase{"uretprobe", "uretprobe:/bin/sh:main", PT::Uretprobe, "uretprobe"},
        ProviderCase{"ur", "ur:/bin/sh:main", PT::Uretprobe, "uretprobe"},
        ProviderCase{"usdt", "usdt:/bin/x:probe", PT::Usdt, "usdt"},
        ProviderCase{"U", "U:/bin/x:probe", PT::Usdt, "usdt"},
        ProviderCase{"tracepoint", "tracepoint:sched:sched_switch", PT::Tracepoint, "tracepoint"},
        ProviderCase{"Tracepoint", "Tracepoint:sched:sched_switch", PT::Tracepoint, "tracepoint"},
        ProviderCase{"t", "t:sched:sched_switch", PT::Tracepoint, "tracepoint"},
        ProviderCase{"rawtracepoint", "rawtracepoint:sched_switch", PT::RawTracepoint,
                     "rawtracepoint"},
        ProviderCase{"rt", "rt:sched_switch", PT::RawTracepoint, "rawtracepoint"},
        ProviderCase{"profile", "profile:hz:99", PT::Profile, "profile"},
        ProviderCase{"p", "p:hz:99", PT::Profile, "profile"},
        ProviderCase{"interval", "interval:s:1", PT::Interval, "interval"},
        ProviderCase{"i", "i:s:1", PT::Interval, "interval"},
        ProviderCase{"software", "software:faults:10", PT::Software, "software"},
        ProviderCase{"s", "s:faults:10", PT::Software, "software"},
        ProviderCase{"hardware", "hardware:cycles", PT::Hardware, "hardware"},
        ProviderCase{"h", "h:cycles", PT::Hardware, "hardware"},
        ProviderCase{"watchpoint", "watchpoint:0x1000:8:rw", PT::Watchpoint, "watchpoint"},
        ProviderCase{"w", "w:0x1000:8:rw", PT::Watchpoint, "watchpoint"},
        ProviderCase{"iter", "iter:task", PT::Iter, "iter"},
        ProviderCase{"it", "it:task", PT::Iter, "iter"},
        ProviderCase{"self", "self:signal:SIGUSR1", PT::Self, "self"},
        ProviderCase{"test", "test:name", PT::Test, "test"},
        ProviderCase{"bench", "bench:name", PT::Bench, "bench"}),
    case_name<ProviderCase>);

// ---------------------------------------------------------------------------------------------
// Attach point fields, filled by the attach-point pass

struct ParsedAp {
  std::unique_ptr<test::Parsed> parsed;
  ast::AttachPoint *ap = nullptr;
};

// Runs the whole front end over `<text> { }` and returns its only attach point.
ParsedAp attach_point(const std::string &text, const std::vector<std::string> &params = {}) {
  ParsedAp out{parse_full(text + " { }", params)};
  if (out.parsed->diags.has_errors()) {
    ADD_FAILURE() << text << ": " << ::testing::PrintToString(diags_of(out.parsed->diags));
    return out;
  }
  const ast::Program &prog = *out.parsed->program;
  if (prog.probes.size() != 1 || prog.probes[0]->attach_points.size() != 1) {
    ADD_FAILURE() << text << ": expected one probe with one attach point";
    return out;
  }
  out.ap = prog.probes[0]->attach_points[0];
  return out;
}

TEST(AttachPoint, KprobeOffset) {
  auto r = attach_point("kprobe:f+16");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, PT::Kprobe);
  EXPECT_EQ(r.ap->func, "f");
  EXPECT_TRUE(r.ap->has_offset);
  EXPECT_EQ(r.ap->offset, 16u);
  EXPECT_FALSE(r.ap->has_address);
}

TEST(AttachPoint, KprobeModule) {
  auto r = attach_point("kprobe:mod:f");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->target, "mod");
  EXPECT_EQ(r.ap->func, "f");
  EXPECT_FALSE(r.ap->has_offset);
}

TEST(AttachPoint, KprobeAddress) {
  auto r = attach_point("kprobe:0xffff1234");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_TRUE(r.ap->has_address);
  EXPECT_EQ(r.ap->address, 0xffff1234u);
}

TEST(AttachPoint, UprobeAddress) {
  auto r = attach_point("uprobe:/bin/x:0x1234");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, PT::Uprobe);
  EXPECT_EQ(r.ap->target, "/bin/x");
  EXPECT_TRUE(r.ap->has_address);
  EXPECT_EQ(r.ap->address, 0x1234u);
  EXPECT_EQ(r.ap->func, "");
}

TEST(AttachPoint, UprobeOffset) {
  auto r = attach_point("uprobe:/bin/x:f+4");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->func, "f");
  EXPECT_TRUE(r.ap->has_offset);
  EXPECT_EQ(r.ap->offset, 4u);
}

TEST(AttachPoint, UprobeCppSymbolQuoted) {
  auto r = attach_point(R"ap(uprobe:/bin/x:cpp:"ns::f(int)")ap");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->target, "/bin/x");
  EXPECT_EQ(r.ap->lang, "cpp");
  EXPECT_EQ(r.ap->func, "ns::f(int)");
}

TEST(AttachPoint, UprobeCppSymbolUnquoted) {
  auto r = attach_point("uprobe:/bin/x:cpp:ns::f");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->lang, "cpp");
  EXPECT_EQ(r.ap->func, "ns::f");
}

TEST(AttachPoint, UsdtWithAndWithoutNamespace) {
  auto with = attach_point("usdt:/bin/x:ns:probe");
  ASSERT_NE(with.ap, nullptr);
  EXPECT_EQ(with.ap->target, "/bin/x");
  EXPECT_EQ(with.ap->ns, "ns");
  EXPECT_EQ(with.ap->func, "probe");
  auto without = attach_point("usdt:/bin/x:probe");
  ASSERT_NE(without.ap, nullptr);
  EXPECT_EQ(without.ap->target, "/bin/x");
  EXPECT_EQ(without.ap->ns, "");
  EXPECT_EQ(without.ap->func, "probe");
}

TEST(AttachPoint, Tracepoint) {
  auto r = attach_point("tracepoint:syscalls:sys_enter_openat");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->target, "syscalls");
  EXPECT_EQ(r.ap->func, "sys_enter_openat");
  EXPECT_FALSE(r.ap->wildcard);
}

TEST(AttachPoint, RawTracepointWithModule) {
  auto r = attach_point("rawtracepoint:mod:ev");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->target, "mod");
  EXPECT_EQ(r.ap->func, "ev");
}

struct TimerCase {
  const char *name;
  const char *text;
  ast::ProbeType type;
  const char *unit;
  uint64_t freq;
};

class Timer : public ::testing::TestWithParam<TimerCase> {};

TEST_P(Timer, UnitAndRate) {
  const TimerCase &c = GetParam();
  auto r = attach_point(c.text);
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, c.type);
  EXPECT_EQ(r.ap->unit, c.unit);
  EXPECT_EQ(r.ap->freq, c.freq);
}

INSTANTIATE_TEST_SUITE_P(
    Parser, Timer,
    ::testing::Values(TimerCase{"IntervalSeconds", "interval:s:5", PT::Interval, "s", 5},
                      TimerCase{"IntervalMilliseconds", "interval:ms:100", PT::Interval, "ms", 100},
                      TimerCase{"IntervalShortForm", "interval:5s", PT::Interval, "s", 5},
                      TimerCase{"IntervalMinutesInSeconds", "interval:2m", PT::Interval, "s", 120},
                      TimerCase{"IntervalHertz", "interval:hz:2", PT::Interval, "hz", 2},
                      TimerCase{"ProfileHertz", "profile:hz:99", PT::Profile, "hz", 99},
                      TimerCase{"ProfileBareRateIsHertz", "profile:99", PT::Profile, "hz", 99},
                      TimerCase{"ProfileMicroseconds", "profile:us:500", PT::Profile, "us", 500}),
    case_name<TimerCase>);

TEST(AttachPoint, SoftwareEventShortNameAndCount) {
  auto r = attach_point("software:faults:10");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, PT::Software);
  EXPECT_EQ(r.ap->target, "page-faults");
  EXPECT_EQ(r.ap->freq, 10u);
}

TEST(AttachPoint, HardwareEventWithoutCount) {
  auto r = attach_point("hardware:cycles");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, PT::Hardware);
  EXPECT_EQ(r.ap->target, "cpu-cycles");
  EXPECT_EQ(r.ap->freq, 0u);
}

TEST(AttachPoint, Watchpoint) {
  auto r = attach_point("watchpoint:0x1000:8:rw");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_TRUE(r.ap->has_address);
  EXPECT_EQ(r.ap->address, 0x1000u);
  EXPECT_EQ(r.ap->length, 8u);
  EXPECT_EQ(r.ap->mode, "rw");
}

TEST(AttachPoint, IterSelfTestBench) {
  auto iter = attach_point("iter:task");
  ASSERT_NE(iter.ap, nullptr);
  EXPECT_EQ(iter.ap->func, "task");
  auto self = attach_point("self:signal:SIGUSR1");
  ASSERT_NE(self.ap, nullptr);
  EXPECT_EQ(self.ap->target, "signal");
  EXPECT_EQ(self.ap->func, "SIGUSR1");
  auto t = attach_point("test:name");
  ASSERT_NE(t.ap, nullptr);
  EXPECT_EQ(t.ap->func, "name");
}

TEST(AttachPoint, WildcardsAreMarked) {
  for (const char *text : {"kprobe:vfs_*", "kprobe:vfs_rea?", "tracepoint:syscalls:sys_enter_*",
                           "tracepoint:*:sys_enter_read", "tracepoint:sched:sched_[ws]*",
                           "uprobe:/bin/x:read*", "fentry:mod*:f"}) {
    auto r = attach_point(text);
    ASSERT_NE(r.ap, nullptr) << text;
    EXPECT_TRUE(r.ap->wildcard) << text;
  }
  auto plain = attach_point("kprobe:vfs_read");
  ASSERT_NE(plain.ap, nullptr);
  EXPECT_FALSE(plain.ap->wildcard);
}

TEST(AttachPoint, QuotedPartsKeepColonsAndSpaces) {
  auto path = attach_point(R"(uprobe:"/bin/my app":main)");
  ASSERT_NE(path.ap, nullptr);
  EXPECT_EQ(path.ap->target, "/bin/my app");
  EXPECT_EQ(path.ap->func, "main");
  EXPECT_EQ(path.ap->raw, R"(uprobe:"/bin/my app":main)");
  auto colon = attach_point(R"(tracepoint:"a:b":c)");
  ASSERT_NE(colon.ap, nullptr);
  EXPECT_EQ(colon.ap->target, "a:b");
  EXPECT_EQ(colon.ap->func, "c");
}

TEST(AttachPoint, NamedProbe) {
  auto r = attach_point("name=kprobe:f");
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->type, PT::Kprobe);
  EXPECT_EQ(r.ap->func, "f");
  EXPECT_EQ(r.parsed->program->probes[0]->name, "name");
}

TEST(AttachPoint, PositionalParameterIsSubstituted) {
  auto r = attach_point("uprobe:$1:main", {"/bin/sh"});
  ASSERT_NE(r.ap, nullptr);
  EXPECT_EQ(r.ap->target, "/bin/sh");
  EXPECT_EQ(r.ap->func, "main");
  EXPECT_EQ(r.ap->raw, "uprobe:$1:main");
}

TEST(AttachPoint, MissingPositionalParameterIsReportedAtIt) {
  auto p = parse_full("uprobe:$2:main { }", {"/bin/sh"});
  EXPECT_THAT(diags_of(p->diags),
              ElementsAre(DiagAt{DiagCode::InvalidPositionalParameter, 1, 8, 10}));
}

TEST(AttachPoint, ErrorAfterSubstitutionMarksTheWholeAttachPoint) {
  // After substitution the columns no longer match the source.
  auto p = parse_full("tracepoint:$1 { }", {"a"});
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidAttachPoint, 1, 1, 14}));
}

// ---------------------------------------------------------------------------------------------
// Errors: each one has its code and location, and parsing returns

struct ErrorCase {
  const char *name;
  std::string text;
  std::vector<DiagAt> diags;
};

class BadProgram : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(BadProgram, IsReportedWithCodeAndLocation) {
  const ErrorCase &c = GetParam();
  auto p = parse_full(c.text);
  ASSERT_NE(p->program, nullptr);
  EXPECT_THAT(diags_of(p->diags), ::testing::ElementsAreArray(c.diags)) << c.text;
}

using D = DiagCode;
INSTANTIATE_TEST_SUITE_P(
    Parser, BadProgram,
    ::testing::Values(
        ErrorCase{
            "UnterminatedString", R"(begin { $s = "abc; })", {{D::UnterminatedString, 1, 14, 21}}},
        ErrorCase{"UnterminatedComment", "begin { /* abc }", {{D::UnterminatedComment, 1, 9, 11}}},
        ErrorCase{"StrayClosingBrace", "begin { } }", {{D::SyntaxError, 1, 11, 12}}},
        ErrorCase{"UnclosedParenthesis", "begin { $x = (1 + 2; }", {{D::SyntaxError, 1, 20, 21}}},
        ErrorCase{"StrayClosingParenthesis", "begin { $x = 1); }", {{D::SyntaxError, 1, 15, 16}}},
        ErrorCase{"UnclosedBracket", "begin { $x = @m[1; }", {{D::SyntaxError, 1, 18, 19}}},
        ErrorCase{"StrayClosingBracket", "begin { $x = 1]; }", {{D::SyntaxError, 1, 15, 16}}},
        ErrorCase{"MissingAttachPoint", "{ }", {{D::MissingAttachPoint, 1, 1, 2}}},
        // At the block's '{', not at the end of the probe before it.
        ErrorCase{"MissingAttachPointOnTheNextLine",
                  "begin { exit(); }\n{ printf(\"orphan\"); }",
                  {{D::MissingAttachPoint, 2, 1, 2}}},
        ErrorCase{"MissingAttachPointAfterATab",
                  "begin { }\n\n\t{ exit(); }",
                  {{D::MissingAttachPoint, 3, 2, 3}}},
        ErrorCase{
            "MissingAttachPointBeforePredicate", "/pid/ { }", {{D::MissingAttachPoint, 1, 1, 2}}},
        ErrorCase{"TrailingComma", "kprobe:f, { }", {{D::MissingAttachPoint, 1, 9, 10}}},
        ErrorCase{"EmptyFunction", "kprobe: { }", {{D::EmptyAttachPointPart, 1, 8, 9}}},
        ErrorCase{"EmptyTracepointEvent",
                  "tracepoint:syscalls: { }",
                  {{D::EmptyAttachPointPart, 1, 21, 22}}},
        ErrorCase{"EmptyMiddlePart", "tracepoint::x { }", {{D::EmptyAttachPointPart, 1, 12, 13}}},
        ErrorCase{"EmptyProvider", ":f { }", {{D::EmptyAttachPointPart, 1, 1, 2}}},
        ErrorCase{
            "PredicateWithoutSpace", "kprobe:f/pid==1/ { }", {{D::InvalidAttachPoint, 1, 9, 17}}},
        ErrorCase{"SyntaxAndAttachPointErrorsTogether",
                  "foo:x { } begin { 1 1; }",
                  {{D::SyntaxError, 1, 21, 22}, {D::UnknownProvider, 1, 1, 4}}},
        ErrorCase{"UnknownProvider", "foo:bar { }", {{D::UnknownProvider, 1, 1, 4}}},
        ErrorCase{"AliasesAreCaseSensitive", "K:f { }", {{D::UnknownProvider, 1, 1, 2}}},
        ErrorCase{"TooFewParts", "tracepoint:a { }", {{D::InvalidAttachPoint, 1, 1, 13}}},
        ErrorCase{"TooManyParts", "kprobe:a:b:c { }", {{D::InvalidAttachPoint, 1, 1, 13}}},
        ErrorCase{"ArgumentToBegin", "begin:x { }", {{D::InvalidAttachPoint, 1, 1, 8}}},
        ErrorCase{"IntervalWithoutUnit", "interval:5 { }", {{D::InvalidAttachPoint, 1, 10, 11}}},
        ErrorCase{"ZeroRate", "profile:hz:0 { }", {{D::InvalidAttachPoint, 1, 12, 13}}},
        ErrorCase{
            "WatchpointLength", "watchpoint:0x1000:3:rw { }", {{D::InvalidAttachPoint, 1, 19, 20}}},
        ErrorCase{"UnknownSoftwareEvent", "software:foo { }", {{D::InvalidAttachPoint, 1, 10, 13}}},
        ErrorCase{"OffsetOnFentry", "fentry:f+4 { }", {{D::InvalidAttachPoint, 1, 10, 11}}},
        ErrorCase{"MissingOffset", "kprobe:f+ { }", {{D::InvalidAttachPoint, 1, 10, 11}}},
        ErrorCase{"HexPrefixWithoutDigits", "begin { $x = 0x; }", {{D::InvalidNumber, 1, 14, 16}}},
        ErrorCase{"NineInOctal", "begin { $x = 09; }", {{D::InvalidNumber, 1, 14, 16}}},
        ErrorCase{"TwoInBinary", "begin { $x = 0b2; }", {{D::InvalidNumber, 1, 14, 17}}},
        ErrorCase{"TrailingSeparator", "begin { $x = 1_; }", {{D::InvalidNumber, 1, 14, 16}}},
        ErrorCase{"DoubleSeparator", "begin { $x = 1__0; }", {{D::InvalidNumber, 1, 14, 18}}},
        ErrorCase{"UnknownSuffix", "begin { $x = 5q; }", {{D::InvalidNumber, 1, 14, 16}}},
        ErrorCase{"DurationOnHex", "begin { $x = 0x10s; }", {{D::InvalidNumber, 1, 14, 19}}},
        ErrorCase{"DecimalOverflow",
                  "begin { $x = 99999999999999999999999; }",
                  {{D::NumberOverflow, 1, 14, 37}}},
        ErrorCase{"HexOverflow",
                  "begin { $x = 0x1_0000_0000_0000_0000; }",
                  {{D::NumberOverflow, 1, 14, 37}}},
        ErrorCase{"ExponentOverflow", "begin { $x = 1e20; }", {{D::NumberOverflow, 1, 14, 18}}},
        // Every digit of the exponent is read: its last one is no suffix.
        ErrorCase{"ThreeDigitExponentOverflow",
                  "begin { $x = 1e999; }",
                  {{D::NumberOverflow, 1, 14, 19}}},
        ErrorCase{"DurationOverflow", "begin { $x = 300000d; }", {{D::NumberOverflow, 1, 14, 21}}},
        ErrorCase{"StrayInteger", "begin { $x = 1 1; }", {{D::SyntaxError, 1, 16, 17}}},
        ErrorCase{"StrayBacktick", "begin { ` }", {{D::InvalidCharacter, 1, 9, 10}}},
        ErrorCase{"MissingOperand", "begin { $x = ; }", {{D::SyntaxError, 1, 14, 15}}},
        ErrorCase{"ChainedAssignment", "begin { $x = 1 = 2; }", {{D::SyntaxError, 1, 16, 17}}},
        ErrorCase{"AssignToIdentifier", "begin { x = 1; }", {{D::NotAssignable, 1, 9, 10}}},
        ErrorCase{"AssignToInteger", "begin { 1 = 2; }", {{D::NotAssignable, 1, 9, 10}}},
        ErrorCase{"AssignToCall", "begin { f() = 1; }", {{D::NotAssignable, 1, 9, 12}}},
        ErrorCase{"AssignToSum", "begin { $x + 1 = 2; }", {{D::NotAssignable, 1, 9, 15}}},
        ErrorCase{"AssignToField", "begin { $x.a = 1; }", {{D::NotAssignable, 1, 9, 13}}},
        ErrorCase{"CompoundAssignToDiscard", "begin { _ += 1; }", {{D::NotAssignable, 1, 9, 10}}},
        ErrorCase{"InvalidEscape", R"(begin { $s = "\q"; })", {{D::InvalidEscape, 1, 15, 17}}},
        // The whole escape `\400` is marked, not only its first two characters.
        ErrorCase{
            "OctalEscapeAbove377", R"(begin { $s = "\400"; })", {{D::InvalidEscape, 1, 15, 19}}},
        ErrorCase{"EmptyProgram", "", {{D::NoProbes, 1, 1, 2}}},
        ErrorCase{"OnlyComments", "// nothing\n/* here */", {{D::NoProbes, 1, 1, 2}}},
        ErrorCase{"OnlyPreamble", "#include <linux/sched.h>\n", {{D::NoProbes, 1, 1, 2}}},
        ErrorCase{"DollarZero", "begin { $0; }", {{D::InvalidPositionalParameter, 1, 9, 11}}},
        ErrorCase{"DollarZeroInAttachPoint",
                  "uprobe:$0:main { }",
                  {{D::InvalidPositionalParameter, 1, 8, 10}}},
        ErrorCase{"NulByte", std::string("begin { $x = 1;\0 }", 18), {{D::InvalidUtf8, 1, 16, 17}}},
        ErrorCase{"Latin1Byte", "begin { $s = \"caf\xe9\"; }", {{D::InvalidUtf8, 1, 18, 19}}},
        ErrorCase{"TruncatedSequence", "begin { } \xc3", {{D::InvalidUtf8, 1, 11, 12}}},
        ErrorCase{
            "OverlongEncoding", "begin { $s = \"\xc0\xaf\"; }", {{D::InvalidUtf8, 1, 15, 16}}},
        ErrorCase{
            "EncodedSurrogate", "begin { $s = \"\xed\xa0\x80\"; }", {{D::InvalidUtf8, 1, 15, 16}}},
        // Columns count bytes: the two-byte U+00E9 takes columns 9 and 10.
        ErrorCase{"InvalidByteAfterMultibyte",
                  "begin {\n  $s = \"\xc3\xa9\xff\"; }",
                  {{D::InvalidUtf8, 2, 11, 12}}}),
    case_name<ErrorCase>);

TEST(Encoding, ValidUtf8IsAcceptedInStringsAndComments) {
  auto p = parse_full("// caf\xc3\xa9 \xe6\x97\xa5\nbegin { $s = \"\xf0\x9f\x90\x9d\"; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
}

struct EofCase {
  const char *name;
  const char *text;
  int end_column; // one past the last byte of `text`
};

class UnclosedAtEndOfFile : public ::testing::TestWithParam<EofCase> {};

TEST_P(UnclosedAtEndOfFile, IsReportedAtTheEndWithAHint) {
  const EofCase &c = GetParam();
  auto p = parse_full(c.text);
  ASSERT_NE(p->program, nullptr);
  EXPECT_THAT(diags_of(p->diags),
              ElementsAre(DiagAt{DiagCode::SyntaxError, 1, c.end_column, c.end_column + 1}));
  ASSERT_EQ(p->diags.all().size(), 1u);
  EXPECT_FALSE(p->diags.all()[0].hint.empty()) << "the hint should point at the open bracket";
}

INSTANTIATE_TEST_SUITE_P(Parser, UnclosedAtEndOfFile,
                         ::testing::Values(EofCase{"Brace", "begin { $x = 1;", 16},
                                           EofCase{"InnerBrace", "begin { if (1) { $x = 1; }", 27},
                                           EofCase{"Parenthesis", "begin { $x = (1", 16},
                                           EofCase{"Bracket", "begin { $x = @m[1", 18},
                                           EofCase{"AfterAComment", "begin { $x = 1; // hi", 22}),
                         case_name<EofCase>);

// ---------------------------------------------------------------------------------------------
// Several errors in one run, and recovery

TEST(Recovery, BadStatementsInDifferentProbesAreAllReported) {
  auto p = parse_text("begin { $x = 1 1; } end { $y = 2 2; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 16, 17},
                                              DiagAt{DiagCode::SyntaxError, 1, 34, 35}));
  EXPECT_EQ(p->program->probes.size(), 2u);
}

TEST(Recovery, BadStatementsInOneProbeAreAllReported) {
  auto p = parse_text("begin { $x = 1 1; $y = 2 2; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 16, 17},
                                              DiagAt{DiagCode::SyntaxError, 1, 26, 27}));
}

TEST(Recovery, LexicalAndSyntaxErrorsTogether) {
  auto p = parse_text(R"(begin { $x = 1 1; } end { $s = "\q"; } kprobe:f { $x = 5q; x = 1; })");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 16, 17},
                                              DiagAt{DiagCode::InvalidEscape, 1, 33, 35},
                                              DiagAt{DiagCode::InvalidNumber, 1, 56, 58},
                                              DiagAt{DiagCode::NotAssignable, 1, 60, 61}));
}

TEST(Recovery, StatementsAfterABadOneAreKept) {
  auto p = parse_text("begin { $x = ; $y = 1; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 14, 15}));
  auto *a = as<ast::Assignment>(test::only_statement(*p));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(print_source(*a->target), "$y");
}

TEST(Recovery, ProbesAfterAStrayClosingBraceAreParsed) {
  auto p = parse_text("begin { } } end { $y = 2 2; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 11, 12},
                                              DiagAt{DiagCode::SyntaxError, 1, 26, 27}));
  EXPECT_EQ(p->program->probes.size(), 2u);
}

TEST(Recovery, SeveralAttachPointErrorsAreAllReported) {
  auto p = parse_full("foo:bar { } kprobe: { } begin { }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::UnknownProvider, 1, 1, 4},
                                              DiagAt{DiagCode::EmptyAttachPointPart, 1, 20, 21}));
}

// ---------------------------------------------------------------------------------------------
// Limits: deep and large programs get an error or parse, never a crash

TEST(Limits, TenThousandNestedParentheses) {
  const int n = 10000;
  auto p = parse_full("begin { $x = " + std::string(n, '(') + "1" + std::string(n, ')') + "; }");
  ASSERT_NE(p->program, nullptr);
  // The probe's `{` is the first level, so the parenthesis that passes the limit is number
  // kMaxNesting, at column kExprColumn + kMaxNesting - 1.
  const int col = kExprColumn + ast::kMaxNesting - 1;
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::NestingTooDeep, 1, col, col + 1}));
}

TEST(Limits, TenThousandNestedBlocks) {
  const int n = 10000;
  auto p = parse_full("begin " + std::string(n, '{') + std::string(n, '}'));
  ASSERT_NE(p->program, nullptr);
  const int col = 7 + ast::kMaxNesting; // `begin ` is 6 characters
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::NestingTooDeep, 1, col, col + 1}));
}

TEST(Limits, HundredThousandTermSum) {
  std::string sum = "1";
  for (int i = 1; i < 100000; ++i)
    sum += "+1";
  auto p = parse_full("begin { $x = " + sum + "; }");
  ASSERT_NE(p->program, nullptr);
  // The first sum deeper than the limit is the one of kMaxNesting + 1 terms.
  const int end = kExprColumn + 1 + 2 * ast::kMaxNesting;
  EXPECT_THAT(diags_of(p->diags),
              ElementsAre(DiagAt{DiagCode::NestingTooDeep, 1, kExprColumn, end}));
}

TEST(Limits, HundredThousandUnaryOperators) {
  const int n = 100000;
  auto p = parse_full("begin { $x = " + std::string(n, '!') + "1; }");
  ASSERT_NE(p->program, nullptr);
  // Unary operators nest to the right: the first too deep is the kMaxNesting-th from the end.
  const int begin = kExprColumn + n - ast::kMaxNesting;
  EXPECT_THAT(diags_of(p->diags),
              ElementsAre(DiagAt{DiagCode::NestingTooDeep, 1, begin, kExprColumn + n + 1}));
}

TEST(Limits, LongElseIfChain) {
  std::string text = "begin { if 1 {}";
  const int n = 600;
  for (int i = 0; i < n; ++i)
    text += " else if 1 {}";
  auto p = parse_full(text + " }");
  ASSERT_NE(p->program, nullptr);
  // The chain from the k-th ` else if 1 {}` to the end is kMaxNesting + 1 long. That text is 13
  // characters and starts at column 16 + 13 * (k - 1); its `if` is 6 further.
  const int k = n - ast::kMaxNesting;
  const int col = 16 + 13 * (k - 1) + 6;
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::NestingTooDeep, 1, col, col + 2}));
}

TEST(Limits, OneMebibyteProgramParses) {
  std::string text = "begin {\n";
  size_t lines = 0;
  while (text.size() < (1u << 20)) {
    text += "  @m[$x, \"key\"] = count(); $x = $x + 1;\n";
    ++lines;
  }
  text += "}\n";
  auto p = parse_full(text);
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  EXPECT_EQ(p->program->probes[0]->body->stmts.size(), 2 * lines);
}

TEST(Limits, NestingJustUnderTheLimitParses) {
  // 1 level for the probe's brace plus kMaxNesting - 1 parentheses.
  const int n = ast::kMaxNesting - 1;
  auto p = parse_full("begin { $x = " + std::string(n, '(') + "1" + std::string(n, ')') + "; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
}

} // namespace
} // namespace scry
