// Tests the lexer (src/parser/lexer.l and literals.cpp) through parse() and the tree it builds:
// literals and their values, comments, the top-level captures (shebang, preprocessor lines, C
// definitions), and how words split into keywords, type names, identifiers, variables and maps.
#include "parse_test_util.h"

#include <cstdint>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <string>
#include <tuple>
#include <vector>

namespace scry {
namespace {

using namespace std::string_literals;
using test::as;
using test::DiagAt;
using test::diags_of;
using test::parse_expr;
using test::parse_text;
using test::PrintTo;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// `begin { $x = ` is 13 characters: an expression under test starts at column 14.
constexpr int kExprColumn = 14;

// ---------------------------------------------------------------------------------------------
// Integer literals

struct IntCase {
  const char *name;
  const char *text;
  uint64_t value;
  bool is_unsigned;
};

class IntegerLiteral : public ::testing::TestWithParam<IntCase> {};

TEST_P(IntegerLiteral, IsOneTokenWithItsDecodedValue) {
  const IntCase &c = GetParam();
  test::ParsedExpr e = parse_expr(c.text);
  ASSERT_NE(e.expr, nullptr);
  auto *i = as<ast::Integer>(e.expr);
  ASSERT_NE(i, nullptr) << c.text << " is not an integer literal";
  EXPECT_EQ(i->value, c.value);
  EXPECT_EQ(i->is_unsigned, c.is_unsigned);
  EXPECT_EQ(i->loc.begin.column, kExprColumn);
  EXPECT_EQ(i->loc.end.column, kExprColumn + static_cast<int>(std::string(c.text).size()));
}

constexpr uint64_t kSecond = 1000ULL * 1000 * 1000;

INSTANTIATE_TEST_SUITE_P(
    Lexer, IntegerLiteral,
    ::testing::Values(
        IntCase{"Zero", "0", 0, false}, IntCase{"Decimal", "42", 42, false},
        IntCase{"Hex", "0x10", 16, false}, IntCase{"HexUpperCase", "0XfF", 255, false},
        IntCase{"HexWithSeparators", "0xdead_beef", 0xdeadbeef, false},
        IntCase{"Octal", "017", 15, false}, IntCase{"Binary", "0b101", 5, false},
        IntCase{"BinaryUpperCase", "0B11", 3, false},
        IntCase{"DecimalWithSeparators", "1_000_000", 1000000, false},
        IntCase{"Exponent", "1e3", 1000, false}, IntCase{"ExponentUpperCase", "2E2", 200, false},
        IntCase{"ZeroWithAHugeExponent", "0e99999999999999999999", 0, false},
        IntCase{"SuffixU", "10u", 10, true}, IntCase{"SuffixUpperU", "10U", 10, true},
        IntCase{"SuffixUl", "5ul", 5, true}, IntCase{"SuffixLu", "5lu", 5, true},
        IntCase{"SuffixUll", "7ull", 7, true}, IntCase{"SuffixUpperUll", "7ULL", 7, true},
        IntCase{"SuffixL", "3l", 3, false}, IntCase{"SuffixLl", "3ll", 3, false},
        IntCase{"HexSuffixU", "0x10u", 16, true},
        IntCase{"Int64Max", "9223372036854775807", 9223372036854775807ULL, false},
        // A value that does not fit int64 is unsigned without a suffix.
        IntCase{"AboveInt64Max", "9223372036854775808", 9223372036854775808ULL, true},
        IntCase{"Uint64Max", "0xffffffffffffffff", UINT64_MAX, true},
        // Duration suffixes are converted to nanoseconds.
        IntCase{"Nanoseconds", "1ns", 1, false}, IntCase{"Microseconds", "1us", 1000, false},
        IntCase{"Milliseconds", "1ms", 1000 * 1000, false},
        IntCase{"Seconds", "1s", kSecond, false}, IntCase{"Minutes", "1m", 60 * kSecond, false},
        IntCase{"Hours", "1h", 3600 * kSecond, false},
        IntCase{"Days", "1d", 86400 * kSecond, false},
        IntCase{"FiveMilliseconds", "5ms", 5 * 1000 * 1000, false},
        IntCase{"DurationWithSeparators", "1_500us", 1500 * 1000, false}),
    [](const auto &info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// String literals

struct StringCase {
  const char *name;
  const char *literal; // as written, quotes included
  std::string value;
};

class StringEscape : public ::testing::TestWithParam<StringCase> {};

TEST_P(StringEscape, IsDecoded) {
  const StringCase &c = GetParam();
  test::ParsedExpr e = parse_expr(c.literal);
  ASSERT_NE(e.expr, nullptr);
  auto *s = as<ast::String>(e.expr);
  ASSERT_NE(s, nullptr) << c.literal << " is not a string literal";
  EXPECT_EQ(s->value, c.value);
  EXPECT_EQ(s->loc.begin.column, kExprColumn);
  EXPECT_EQ(s->loc.end.column, kExprColumn + static_cast<int>(std::string(c.literal).size()));
}

INSTANTIATE_TEST_SUITE_P(
    Lexer, StringEscape,
    ::testing::Values(
        StringCase{"Plain", R"("hello")", "hello"}, StringCase{"Empty", R"("")", ""},
        StringCase{"Newline", R"("a\nb")", "a\nb"}, StringCase{"Tab", R"("a\tb")", "a\tb"},
        StringCase{"CarriageReturn", R"("a\rb")", "a\rb"},
        StringCase{"Escape", R"("\e[0m")", "\x1b[0m"}, StringCase{"Backslash", R"("a\\b")", "a\\b"},
        StringCase{"Quote", R"("say \"hi\"")", "say \"hi\""}, StringCase{"Hex", R"("\x41")", "A"},
        // \x takes at most two hex digits, \NNN at most three octal digits.
        StringCase{"HexTakesTwoDigits", R"("\x414")", "A4"}, StringCase{"Octal", R"("\101")", "A"},
        StringCase{"OctalTakesThreeDigits", R"("\1014")", "A4"},
        StringCase{"Nul", R"("a\0b")", "a\0b"s},
        StringCase{"CommentMarkersAreText", R"("// x /* y */")", "// x /* y */"},
        StringCase{"Utf8IsKept", "\"caf\xc3\xa9 \xf0\x9f\x90\x9d\"",
                   "caf\xc3\xa9 \xf0\x9f\x90\x9d"}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(StringLiteral, InvalidEscapeIsReportedAtTheEscape) {
  auto p = parse_text(R"(begin { $s = "ab\qc"; })");
  // The escape `\q` is at columns 17-18; the string itself starts at 14.
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidEscape, 1, 17, 19}));
}

TEST(StringLiteral, HexEscapeWithoutDigitsIsInvalid) {
  auto p = parse_text(R"(begin { $s = "\xg"; })");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidEscape, 1, 15, 17}));
}

// ---------------------------------------------------------------------------------------------
// Comments

TEST(Comments, LineCommentRunsToTheEndOfTheLine) {
  auto p = parse_text("begin { // $x = 1 1;\n  $y = 2; }\n// end");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  auto *a = as<ast::Assignment>(test::only_statement(*p));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(as<ast::Variable>(a->target)->name, "y");
}

TEST(Comments, BlockCommentMaySpanLinesAndKeepsLineNumbers) {
  auto p = parse_text("/* one\n * two **/ begin {\n  $x = 1 /* inline */ 2; }");
  // The stray `2` is on line 3, after the comment.
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 3, 23, 24}));
}

TEST(Comments, BothKindsAreAllowedAtTopLevelAndBetweenAttachPointAndBlock) {
  auto p = parse_text("// top\n/* top */ kprobe:f /* here */ // and here\n{ }\n/* after */");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->probes.size(), 1u);
  EXPECT_EQ(p->program->probes[0]->attach_points[0]->raw, "kprobe:f");
}

// The names of the tokens of `text`, as lex() splits it.
std::vector<std::string> token_names(const std::string &text) {
  Diagnostics diags;
  std::vector<std::string> names;
  for (const Token &t : lex(SourceFile("stdin", text), diags))
    names.push_back(t.name);
  EXPECT_THAT(diags_of(diags), IsEmpty()) << text;
  return names;
}

TEST(Comments, DoNotHideTheEndOfAPredicate) {
  // A '/' followed by '{' ends the predicate; comments between the two do not change that.
  for (const char *text : {"kprobe:f /pid/ /* c */ { }", "kprobe:f /pid/ // c\n{ }",
                           "kprobe:f /pid/\n/* a\n{ */ // b\n\n  /**/{ }"}) {
    EXPECT_THAT(token_names(text),
                ElementsAre("attach point", "/", "identifier", "end of predicate", "{", "}"))
        << text;
  }
}

TEST(Comments, ASlashFollowedByACommentAndNoBraceIsDivision) {
  EXPECT_THAT(token_names("kprobe:f /$1 / /* { */ 2/ { }"),
              ElementsAre("attach point", "/", "positional parameter", "/", "integer",
                          "end of predicate", "{", "}"));
}

TEST(Comments, MayComeBetweenConfigAndItsEquals) {
  for (const char *text :
       {"config /* c */ = { max_map_keys = 1 } begin { }", "config // c\n= { } begin { }"}) {
    auto p = parse_text(text);
    EXPECT_THAT(diags_of(p->diags), IsEmpty()) << text;
    EXPECT_NE(p->program->config, nullptr) << text;
  }
}

// ---------------------------------------------------------------------------------------------
// Token boundaries, as lex() reports them

TEST(Tokens, LexSplitsTheTextAsTheParserSeesIt) {
  EXPECT_THAT(token_names("kprobe:f /$1/ { $x = 0..10; $y = $p->a; }"),
              ElementsAre("attach point", "/", "positional parameter", "end of predicate", "{",
                          "scratch variable", "=", "integer", "..", "integer", ";",
                          "scratch variable", "=", "scratch variable", "->", "identifier", ";",
                          "}"));
}

TEST(Tokens, RangesCoverEachTokenAndNothingBetween) {
  Diagnostics diags;
  std::vector<Token> tokens = lex(SourceFile("stdin", "begin /* c */ {\n  @m[1] = 22; }"), diags);
  // begin { @m [ 1 ] = 22 ; }
  ASSERT_EQ(tokens.size(), 10u);
  // (line, first column, column after the token)
  auto at = [](const Token &t) {
    return std::tuple(t.range.begin.line, t.range.begin.column, t.range.end.column);
  };
  EXPECT_EQ(at(tokens[0]), std::tuple(1, 1, 6));   // begin
  EXPECT_EQ(at(tokens[1]), std::tuple(1, 15, 16)); // {
  EXPECT_EQ(at(tokens[2]), std::tuple(2, 3, 5));   // @m
  EXPECT_EQ(at(tokens[7]), std::tuple(2, 11, 13)); // 22
}

TEST(Tokens, InvalidTextIsReportedAndNotLexed) {
  Diagnostics diags;
  EXPECT_THAT(lex(SourceFile("stdin", "begin { \xff }"), diags), IsEmpty());
  EXPECT_THAT(diags_of(diags), ElementsAre(DiagAt{DiagCode::InvalidUtf8, 1, 9, 10}));
}

// ---------------------------------------------------------------------------------------------
// The top level: shebang, preprocessor lines, C definitions

TEST(Shebang, FirstLineIsIgnored) {
  auto p = parse_text("#!/usr/bin/env scry\nbegin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  EXPECT_THAT(p->program->c_definitions, IsEmpty());
  EXPECT_EQ(p->program->probes.size(), 1u);
}

TEST(Shebang, IsAnErrorAfterTheFirstLine) {
  auto p = parse_text("begin { }\n#!/bin/x\n");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidCharacter, 2, 1, 9}));
}

TEST(Preprocessor, IncludeAndDefineLinesAreKeptAsText) {
  auto p = parse_text("#include <linux/sched.h>\n#define MAX 10\nbegin { }\n#include \"late.h\"");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->c_definitions.size(), 3u);
  for (ast::CDefinition *d : p->program->c_definitions)
    EXPECT_EQ(d->kind, ast::CDefinition::Kind::Preprocessor);
  EXPECT_EQ(p->program->c_definitions[0]->text, "#include <linux/sched.h>");
  EXPECT_EQ(p->program->c_definitions[1]->text, "#define MAX 10");
  EXPECT_EQ(p->program->c_definitions[2]->text, "#include \"late.h\"");
  EXPECT_EQ(p->program->probes.size(), 1u);
}

TEST(Preprocessor, IndentedDirectiveOnTheFirstLine) {
  auto p = parse_text("  #include <a.h>\nbegin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->c_definitions.size(), 1u);
  // The directive is kept without its indentation.
  EXPECT_EQ(p->program->c_definitions[0]->text, "#include <a.h>");
}

TEST(Preprocessor, IndentedDirectiveOnALaterLine) {
  // Indentation is accepted on any line, not only the first.
  auto p = parse_text("#include <a.h>\n  #include <b.h>\nbegin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->c_definitions.size(), 2u);
  EXPECT_EQ(p->program->c_definitions[1]->kind, ast::CDefinition::Kind::Preprocessor);
}

TEST(Preprocessor, BackslashContinuesADefine) {
  auto p = parse_text("#define TWO \\\n  2\nbegin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->c_definitions.size(), 1u);
  EXPECT_EQ(p->program->c_definitions[0]->text, "#define TWO \\\n  2");
}

struct CDefCase {
  const char *name;
  const char *text;
  ast::CDefinition::Kind kind;
};

class CDefinitionCapture : public ::testing::TestWithParam<CDefCase> {};

TEST_P(CDefinitionCapture, KeepsItsText) {
  const CDefCase &c = GetParam();
  auto p = parse_text(std::string(c.text) + "\nbegin { }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  ASSERT_EQ(p->program->c_definitions.size(), 1u);
  EXPECT_EQ(p->program->c_definitions[0]->kind, c.kind);
  EXPECT_EQ(p->program->c_definitions[0]->text, c.text);
  EXPECT_EQ(p->program->probes.size(), 1u);
}

using Kind = ast::CDefinition::Kind;
INSTANTIATE_TEST_SUITE_P(
    Lexer, CDefinitionCapture,
    ::testing::Values(
        CDefCase{"Struct", "struct foo { int x; char name[16]; };", Kind::Struct},
        CDefCase{"NestedStruct", "struct foo { struct { int y; } inner; int z; };", Kind::Struct},
        CDefCase{"MultiLine", "struct foo {\n  int x;\n};", Kind::Struct},
        CDefCase{"BraceInComment", "struct s { int a; /* } */ char b; };", Kind::Struct},
        CDefCase{"Attribute", "struct s { int a; } __attribute__((packed));", Kind::Struct},
        CDefCase{"Union", "union u { int a; long b; };", Kind::Union},
        CDefCase{"Enum", "enum e { A, B = 2 };", Kind::Enum},
        CDefCase{"AnonymousEnum", "enum { A, B };", Kind::Enum},
        CDefCase{"Typedef", "typedef unsigned int u32_t;", Kind::Typedef},
        CDefCase{"TypedefOfFunctionPointer", "typedef int (*fn_t)(int);", Kind::Typedef},
        // The common C idiom: the name follows the struct's closing brace.
        CDefCase{"TypedefOfStruct", "typedef struct foo { int x; } foo_t;", Kind::Typedef},
        // bpftrace accepts a definition without its closing ';'; the text ends at the '}'.
        CDefCase{"WithoutSemicolon", "struct foo { int x; }", Kind::Struct}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(CDefinition, UnterminatedIsReportedFromItsStart) {
  auto p = parse_text("struct foo { int x;");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 1, 20}));
}

// ---------------------------------------------------------------------------------------------
// Words: keywords, type names, identifiers, variables, maps, positional parameters

TEST(Words, NamesThatOnlyStartLikeKeywordsOrTypesAreIdentifiers) {
  for (const char *name : {"iff", "sizeofx", "True", "int32x", "int33", "uint", "struct_x", "if_",
                           "_", "_x1", "pid", "comm", "args"}) {
    test::ParsedExpr e = parse_expr(name);
    ASSERT_NE(e.expr, nullptr) << name;
    auto *id = as<ast::Identifier>(e.expr);
    ASSERT_NE(id, nullptr) << name << " is not an identifier";
    EXPECT_EQ(id->name, name);
  }
}

TEST(Words, TrueAndFalseAreBooleans) {
  auto t = parse_expr("true");
  auto f = parse_expr("false");
  ASSERT_NE(as<ast::Boolean>(t.expr), nullptr);
  ASSERT_NE(as<ast::Boolean>(f.expr), nullptr);
  EXPECT_TRUE(as<ast::Boolean>(t.expr)->value);
  EXPECT_FALSE(as<ast::Boolean>(f.expr)->value);
}

TEST(Words, TypeNamesAreTypesInCasts) {
  for (const char *type : {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                           "uint64", "string", "buffer", "inet"}) {
    test::ParsedExpr e = parse_expr(std::string("(") + type + ")1");
    ASSERT_NE(e.expr, nullptr) << type;
    auto *cast = as<ast::Cast>(e.expr);
    ASSERT_NE(cast, nullptr) << type;
    EXPECT_EQ(cast->target->base, ast::TypeSpec::Base::Named);
    EXPECT_EQ(cast->target->name, type);
  }
}

TEST(Words, ATypeNameIsNotAnExpression) {
  auto p = parse_text("begin { $x = uint64; }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::SyntaxError, 1, 14, 20}));
}

TEST(Words, KeywordsStartTheirStatements) {
  auto p = parse_text("begin { if $a { } while $b { } unroll 2 { } let $c; return; }");
  EXPECT_THAT(diags_of(p->diags), IsEmpty());
  const auto &stmts = test::first_body(*p);
  ASSERT_EQ(stmts.size(), 5u);
  EXPECT_NE(as<ast::If>(stmts[0]), nullptr);
  EXPECT_NE(as<ast::While>(stmts[1]), nullptr);
  EXPECT_NE(as<ast::Unroll>(stmts[2]), nullptr);
  EXPECT_NE(as<ast::VarDecl>(stmts[3]), nullptr);
  EXPECT_NE(as<ast::Jump>(stmts[4]), nullptr);
}

TEST(Words, ScratchVariables) {
  for (const char *name : {"x", "_x1", "long_name_2"}) {
    test::ParsedExpr e = parse_expr(std::string("$") + name);
    auto *v = as<ast::Variable>(e.expr);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_EQ(v->name, name);
  }
}

TEST(Words, PositionalParameters) {
  struct Case {
    const char *text;
    int index;
  };
  for (const Case &c : {Case{"$1", 1}, Case{"$2", 2}, Case{"$10", 10}, Case{"$#", 0}}) {
    test::ParsedExpr e = parse_expr(c.text);
    auto *pp = as<ast::PositionalParameter>(e.expr);
    ASSERT_NE(pp, nullptr) << c.text;
    EXPECT_EQ(pp->index, c.index) << c.text;
  }
}

TEST(Words, Maps) {
  for (const char *name : {"x", "_m1", ""}) {
    test::ParsedExpr e = parse_expr(std::string("@") + name);
    auto *m = as<ast::Map>(e.expr);
    ASSERT_NE(m, nullptr) << "@" << name;
    EXPECT_EQ(m->name, name);
  }
}

TEST(Words, PositionalParameterWithTooManyDigitsIsInvalid) {
  auto p = parse_text("begin { $1234567; }");
  EXPECT_THAT(diags_of(p->diags),
              ElementsAre(DiagAt{DiagCode::InvalidPositionalParameter, 1, 9, 17}));
}

TEST(Words, DollarAloneIsAnInvalidCharacterWithAHint) {
  auto p = parse_text("begin { $ }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidCharacter, 1, 9, 10}));
  EXPECT_FALSE(p->diags.all()[0].hint.empty());
}

TEST(Words, NonAsciiCharacterOutsideAStringIsOneInvalidCharacter) {
  auto p = parse_text("begin { \xc3\xa9 }");
  // The two bytes of U+00E9 are one error, not two.
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidCharacter, 1, 9, 11}));
}

TEST(Words, SingleQuotesAreInvalidCharacters) {
  auto p = parse_text("begin { 'a' }");
  EXPECT_THAT(diags_of(p->diags), ElementsAre(DiagAt{DiagCode::InvalidCharacter, 1, 9, 10},
                                              DiagAt{DiagCode::InvalidCharacter, 1, 11, 12}));
}

} // namespace
} // namespace scry
