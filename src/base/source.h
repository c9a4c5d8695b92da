// Source text, positions and ranges shared by every front-end stage.
#pragma once

#include <cstdint>
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
class SourceFile {
public:
  SourceFile(std::string name, std::string text);

  const std::string &name() const { return name_; }
  const std::string &text() const { return text_; }

  /// The text of 1-based line `line` without its newline; empty if out of range.
  std::string_view line(int line) const;

private:
  std::string name_;
  std::string text_;
  mutable std::vector<size_t> line_starts_; // filled on the first line() call
};

} // namespace scry
