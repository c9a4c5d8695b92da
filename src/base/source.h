// Source text, positions and ranges shared by every front-end stage.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// A point in the source: 1-based line, 1-based column counted in bytes.
struct Position {
  int line = 1;
  int column = 1;
};

/// A half-open range [begin, end) of source text. `end.column` is one past the last byte,
/// so a one-byte token at column 9 is 9-10, as in bpftrace's "stdin:1:9-10" diagnostics.
/// The member names `begin`/`end` are what Bison's default YYLLOC_DEFAULT expects.
struct SourceRange {
  Position begin;
  Position end;
};

/// One program text and the name diagnostics use for it: the script's path, or "stdin" for -e.
/// Owns the text; lines are found on demand for diagnostics (never on the lexer's hot path).
///
/// The files a program imports (`import "lib.bt";`) belong to the main one, and their lines
/// are numbered on from it: imported file k (from 1) has lines k * kImportedLines + 1 on, so
/// that a SourceRange alone says which file it is in. line() and locate() take such numbers.
class SourceFile {
public:
  static constexpr int kImportedLines = 1 << 20;
  static constexpr size_t kMaxImported = 1000; // below the standard library's lines (1 << 30)

  SourceFile(std::string name, std::string text, int first_line = 1);
  SourceFile(const SourceFile &) = delete;
  SourceFile &operator=(const SourceFile &) = delete;

  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }
  /// The number of this file's first line: 1, or an imported file's base + 1.
  int first_line() const { return first_line_; }

  /// The text of line `line` (of this file, or of an imported one) without its newline; empty
  /// if out of range.
  std::string_view line(int line) const;

  /// The file that holds line `line` and the line's 1-based number in that file.
  std::pair<const SourceFile *, int> locate(int line) const;

  /// Adds imported file `name`; null when kMaxImported files are already imported.
  const SourceFile *add_imported(std::string name, std::string text);

  ~SourceFile();

private:
  std::string name_;
  std::string text_;
  int first_line_ = 1;
  mutable std::vector<size_t> line_starts_; // filled on the first line() call
  std::vector<std::unique_ptr<SourceFile>> imported_;
};

/// "line L, column C" of `p`, L counted in the file that holds it, followed by " of NAME" in a
/// program that imports files. Names the files of the SourceFile that imported files last (the
/// program being compiled: one per scry process).
std::string position_text(const Position &p);

} // namespace scry
