// Tests the printed layout of diagnostics (src/base/diagnostics.cpp): the bpftrace-style
// header, the source line, the `~` underline under the range (tabs kept), the HINT line, and the
// window shown for very long lines. Codes keep their stable spellings.
#include "parse_test_util.h"

#include <cstdio>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace scry {
namespace {

using ::testing::StartsWith;

SourceRange range(int line, int column, int end_column) {
  return {{line, column}, {line, end_column}};
}

std::string printed(const Diagnostics &diags, const SourceFile &source) {
  std::ostringstream out;
  diags.print(out, source);
  return out.str();
}

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

TEST(DiagnosticPrint, HeaderSourceLineAndUnderline) {
  SourceFile source("stdin", "BEGIN { x }");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(1, 9, 10), "msg");
  EXPECT_EQ(printed(diags, source), "stdin:1:9-10: ERROR: msg [syntax-error]\n"
                                    "BEGIN { x }\n"
                                    "        ~\n");
}

TEST(DiagnosticPrint, UnderlineCoversTheWholeRange) {
  SourceFile source("stdin", "BEGIN { $s = \"abc; }");
  Diagnostics diags;
  diags.error(DiagCode::UnterminatedString, range(1, 14, 21), "msg");
  EXPECT_EQ(printed(diags, source), "stdin:1:14-21: ERROR: msg [unterminated-string]\n"
                                    "BEGIN { $s = \"abc; }\n"
                                    "             ~~~~~~~\n");
}

TEST(DiagnosticPrint, FileNameAndLineNumber) {
  SourceFile source("probes/x.bt", "BEGIN {\n  $x = 1 1;\n}");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(2, 10, 11), "msg");
  EXPECT_EQ(printed(diags, source), "probes/x.bt:2:10-11: ERROR: msg [syntax-error]\n"
                                    "  $x = 1 1;\n"
                                    "         ~\n");
}

TEST(DiagnosticPrint, TabsBeforeTheRangeAreKeptSoTheUnderlineLinesUp) {
  SourceFile source("stdin", "BEGIN {\n\t\t$x = 1 1;\n}");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(2, 10, 11), "msg");
  EXPECT_EQ(printed(diags, source), "stdin:2:10-11: ERROR: msg [syntax-error]\n"
                                    "\t\t$x = 1 1;\n"
                                    "\t\t       ~\n");
}

TEST(DiagnosticPrint, HintOnItsOwnLine) {
  SourceFile source("stdin", "BEGIN { x = 1; }");
  Diagnostics diags;
  diags.error(DiagCode::NotAssignable, range(1, 9, 10), "msg", "try $x");
  EXPECT_EQ(printed(diags, source), "stdin:1:9-10: ERROR: msg [not-assignable]\n"
                                    "BEGIN { x = 1; }\n"
                                    "        ~\n"
                                    "HINT: try $x\n");
}

// An error about something outside the program (an environment variable) has no location.
TEST(DiagnosticPrint, NoLocationHasNoHeaderPositionOrSourceLine) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.error(DiagCode::InvalidConfig, kNoLocation, "msg", "fix it");
  EXPECT_EQ(printed(diags, source), "ERROR: msg [invalid-config]\n"
                                    "HINT: fix it\n");
}

TEST(DiagnosticPrint, Warning) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.warning(DiagCode::SyntaxError, range(1, 1, 6), "msg");
  EXPECT_THAT(printed(diags, source), StartsWith("stdin:1:1-6: WARNING: msg [syntax-error]\n"));
  EXPECT_FALSE(diags.has_errors());
}

TEST(DiagnosticPrint, SeveralInTheOrderFound) {
  SourceFile source("stdin", "a\nb");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(2, 1, 2), "second line");
  diags.error(DiagCode::SyntaxError, range(1, 1, 2), "first line");
  EXPECT_EQ(printed(diags, source), "stdin:2:1-2: ERROR: second line [syntax-error]\nb\n~\n"
                                    "stdin:1:1-2: ERROR: first line [syntax-error]\na\n~\n");
  EXPECT_EQ(diags.error_count(), 2u);
}

TEST(DiagnosticPrint, RangeOverSeveralLinesIsUnderlinedToTheEndOfItsFirstLine) {
  SourceFile source("stdin", "BEGIN { $x = (1 +\n 2); }");
  Diagnostics diags;
  diags.error(DiagCode::NestingTooDeep, {{1, 14}, {2, 3}}, "msg");
  EXPECT_EQ(printed(diags, source), "stdin:1:14-18: ERROR: msg [nesting-too-deep]\n"
                                    "BEGIN { $x = (1 +\n"
                                    "             ~~~~\n");
}

TEST(DiagnosticPrint, RangeJustPastTheEndOfTheLine) {
  SourceFile source("stdin", "BEGIN { $x = 1;");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(1, 16, 17), "msg");
  EXPECT_EQ(printed(diags, source), "stdin:1:16-17: ERROR: msg [syntax-error]\n"
                                    "BEGIN { $x = 1;\n"
                                    "               ~\n");
}

TEST(DiagnosticPrint, EmptyRangeStillGetsOneMark) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(1, 7, 7), "msg");
  EXPECT_EQ(printed(diags, source), "stdin:1:7-8: ERROR: msg [syntax-error]\n"
                                    "BEGIN { }\n"
                                    "      ~\n");
}

// ---------------------------------------------------------------------------------------------
// Long lines are shown as a window around the range

// A long line whose every position is recognisable: "  $v0000 = 0;  $v0001 = 0; ...".
std::string long_line(size_t length) {
  std::string line;
  for (int i = 0; line.size() < length; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "$v%04d = 0; ", i);
    line += buf;
  }
  line.resize(length);
  return line;
}

struct Window {
  std::string header, shown, marks;
};

Window print_one(const std::string &line, int column, int end_column) {
  SourceFile source("stdin", line);
  Diagnostics diags;
  diags.error(DiagCode::SyntaxError, range(1, column, end_column), "msg");
  std::vector<std::string> lines = lines_of(printed(diags, source));
  EXPECT_EQ(lines.size(), 3u);
  lines.resize(3);
  return {lines[0], lines[1], lines[2]};
}

// The underline sits under the same text as the range in the source line.
void expect_underline_under(const Window &w, const std::string &line, int column, int end_column) {
  size_t mark = w.marks.find('~');
  ASSERT_NE(mark, std::string::npos);
  size_t marks = w.marks.size() - mark;
  EXPECT_EQ(w.marks.find_first_not_of('~', mark), std::string::npos);
  EXPECT_EQ(w.marks.substr(0, mark), std::string(mark, ' '));
  size_t length = static_cast<size_t>(end_column - column);
  EXPECT_EQ(marks, length);
  EXPECT_EQ(w.shown.substr(mark, length), line.substr(static_cast<size_t>(column - 1), length));
}

TEST(DiagnosticPrint, LongLineIsCutOnBothSidesAroundTheRange) {
  std::string line = long_line(1000);
  Window w = print_one(line, 500, 505);
  EXPECT_EQ(w.header, "stdin:1:500-505: ERROR: msg [syntax-error]");
  EXPECT_THAT(w.shown, StartsWith("..."));
  EXPECT_EQ(w.shown.substr(w.shown.size() - 3), "...");
  EXPECT_LT(w.shown.size(), 200u);
  expect_underline_under(w, line, 500, 505);
}

TEST(DiagnosticPrint, LongLineWithTheRangeNearItsStartIsCutOnTheRight) {
  std::string line = long_line(1000);
  Window w = print_one(line, 10, 14);
  EXPECT_EQ(w.shown.substr(0, 9), line.substr(0, 9));
  EXPECT_EQ(w.shown.substr(w.shown.size() - 3), "...");
  EXPECT_LT(w.shown.size(), 200u);
  expect_underline_under(w, line, 10, 14);
}

TEST(DiagnosticPrint, LongLineWithTheRangeNearItsEndIsCutOnTheLeft) {
  std::string line = long_line(1000);
  Window w = print_one(line, 990, 995);
  EXPECT_THAT(w.shown, StartsWith("..."));
  EXPECT_EQ(w.shown.substr(w.shown.size() - 10), line.substr(990));
  expect_underline_under(w, line, 990, 995);
}

TEST(DiagnosticPrint, UnderlineOfARangeWiderThanTheWindowStopsAtTheWindow) {
  std::string line = long_line(1000);
  Window w = print_one(line, 300, 800);
  size_t mark = w.marks.find('~');
  ASSERT_NE(mark, std::string::npos);
  EXPECT_EQ(w.shown.substr(mark, 10), line.substr(299, 10));
  // The last mark is under the last character shown, before the closing "...".
  EXPECT_EQ(w.marks.size(), w.shown.size() - 3);
}

TEST(DiagnosticPrint, ShortLineIsNotCut) {
  std::string line = long_line(150);
  Window w = print_one(line, 140, 142);
  EXPECT_EQ(w.shown, line);
  expect_underline_under(w, line, 140, 142);
}

// ---------------------------------------------------------------------------------------------
// From the parser to the printed text

TEST(DiagnosticPrint, ParserErrorEndToEnd) {
  auto p = test::parse_text("BEGIN {\n\tx = 1;\n}");
  ASSERT_EQ(p->diags.all().size(), 1u);
  std::vector<std::string> lines = lines_of(printed(p->diags, p->source));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_THAT(lines[0], StartsWith("stdin:2:2-3: ERROR: "));
  EXPECT_EQ(lines[1], "\tx = 1;");
  EXPECT_EQ(lines[2], "\t~");
  EXPECT_THAT(lines[3], StartsWith("HINT: "));
}

TEST(DiagnosticCode, StableSpellings) {
  struct Case {
    DiagCode code;
    const char *name;
  };
  for (const Case &c : {
           Case{DiagCode::InvalidCharacter, "invalid-character"},
           Case{DiagCode::InvalidUtf8, "invalid-utf8"},
           Case{DiagCode::UnterminatedString, "unterminated-string"},
           Case{DiagCode::InvalidEscape, "invalid-escape"},
           Case{DiagCode::UnterminatedComment, "unterminated-comment"},
           Case{DiagCode::InvalidNumber, "invalid-number"},
           Case{DiagCode::NumberOverflow, "number-overflow"},
           Case{DiagCode::NestingTooDeep, "nesting-too-deep"},
           Case{DiagCode::SyntaxError, "syntax-error"},
           Case{DiagCode::MissingAttachPoint, "missing-attach-point"},
           Case{DiagCode::NotAssignable, "not-assignable"},
           Case{DiagCode::InvalidMapDeclaration, "invalid-map-declaration"},
           Case{DiagCode::InvalidTypeSize, "invalid-type-size"},
           Case{DiagCode::UnknownProvider, "unknown-provider"},
           Case{DiagCode::EmptyAttachPointPart, "empty-attach-point-part"},
           Case{DiagCode::InvalidAttachPoint, "invalid-attach-point"},
           Case{DiagCode::InvalidPositionalParameter, "invalid-positional-parameter"},
           Case{DiagCode::NoProbes, "no-probes"},
           Case{DiagCode::ProgramTooLarge, "program-too-large"},
           Case{DiagCode::ProbeTooLarge, "probe-too-large"},
       })
    EXPECT_EQ(diag_code_name(c.code), c.name);
}

} // namespace
} // namespace scry

namespace scry {
namespace {

std::string printed_json(const Diagnostics &diags, const SourceFile &source) {
  std::ostringstream out;
  diags.print_json(out, source);
  return out.str();
}

TEST(DiagnosticJson, LocatedErrorHasCodeFileLineAndColumns) {
  SourceFile source("x.bt", "BEGIN {\n  @x = \"a\\\"b\"; }");
  Diagnostics diags;
  diags.error(DiagCode::TypeMismatch, range(2, 3, 5), "map @x holds \"a\"");
  EXPECT_EQ(printed_json(diags, source),
            "{\"type\": \"error\", \"data\": {\"code\": \"type-mismatch\", \"file\": \"x.bt\", "
            "\"line\": 2, \"column\": 3, \"end_line\": 2, \"end_column\": 5, "
            "\"message\": \"map @x holds \\\"a\\\"\"}}\n");
}

TEST(DiagnosticJson, RangeOverSeveralLinesEndsWithItsFirstLineAsInText) {
  SourceFile source("stdin", "BEGIN { $x = (1 +\n 2); }");
  Diagnostics diags;
  diags.error(DiagCode::NestingTooDeep, {{1, 14}, {2, 3}}, "msg");
  EXPECT_THAT(printed_json(diags, source), ::testing::HasSubstr("\"end_line\": 1, "
                                                                "\"end_column\": 18"));
}

TEST(DiagnosticJson, WarningWithHintAndUnlocatedError) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.warning(DiagCode::DivisionByZero, range(1, 1, 6), "w", "h");
  diags.error(DiagCode::NeedsRoot, kNoLocation, "root");
  EXPECT_EQ(
      printed_json(diags, source),
      "{\"type\": \"warning\", \"data\": {\"code\": \"division-by-zero\", \"file\": \"stdin\", "
      "\"line\": 1, \"column\": 1, \"end_line\": 1, \"end_column\": 6, \"message\": \"w\", "
      "\"hint\": \"h\"}}\n"
      "{\"type\": \"error\", \"data\": {\"code\": \"needs-root\", \"message\": \"root\"}}\n");
}

TEST(DiagnosticJson, InvalidUtf8InAMessageIsReplacedNotThrown) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.error(DiagCode::InvalidUtf8, range(1, 1, 2), "bad \xff byte");
  EXPECT_THAT(printed_json(diags, source), ::testing::HasSubstr("bad \xef\xbf\xbd byte"));
}

TEST(DiagnosticText, UnlocatedErrorShowsItsCode) {
  SourceFile source("stdin", "BEGIN { }");
  Diagnostics diags;
  diags.error(DiagCode::NeedsRoot, kNoLocation, "root", "run as root");
  EXPECT_EQ(printed(diags, source), "ERROR: root [needs-root]\nHINT: run as root\n");
}

} // namespace
} // namespace scry
