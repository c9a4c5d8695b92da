#include "base/diagnostics.h"

#include "base/json_text.h"

#include <algorithm>
#include <ostream>

namespace scry {

std::string_view diag_code_name(DiagCode code) {
  switch (code) {
#define SCRY_DIAG_CASE(name, spelling)                                                             \
  case DiagCode::name:                                                                             \
    return spelling;
    SCRY_DIAG_CODES(SCRY_DIAG_CASE)
#undef SCRY_DIAG_CASE
  }
  return "unknown";
}

void Diagnostics::error(DiagCode code, const SourceRange &range, std::string message,
                        std::string hint) {
  add({Severity::Error, code, range, std::move(message), std::move(hint)});
}

void Diagnostics::add(Diagnostic d) {
  // A macro's body is analysed once per call: the same finding at the same place is one line.
  auto same = [&d](const Diagnostic &o) {
    return o.code == d.code && o.severity == d.severity &&
           o.range.begin.line == d.range.begin.line &&
           o.range.begin.column == d.range.begin.column && o.range.end.line == d.range.end.line &&
           o.range.end.column == d.range.end.column && o.message == d.message && o.hint == d.hint;
  };
  if (std::any_of(list_.begin(), list_.end(), same))
    return;
  if (d.severity == Severity::Error)
    ++errors_;
  list_.push_back(std::move(d));
}

void Diagnostics::warning(DiagCode code, const SourceRange &range, std::string message,
                          std::string hint) {
  add({Severity::Warning, code, range, std::move(message), std::move(hint)});
}

namespace {

/// The column one past the underlined range of `r` on its first line: a range that runs past
/// its first line is underlined to the end of that line, and an empty one gets one mark.
int end_column(const SourceRange &r, std::string_view line) {
  int end_col = r.end.line == r.begin.line ? r.end.column : static_cast<int>(line.size()) + 1;
  return std::max(end_col, r.begin.column + 1);
}

const char *severity_name(Severity s, bool upper) {
  if (s == Severity::Error)
    return upper ? "ERROR" : "error";
  return upper ? "WARNING" : "warning";
}

} // namespace

std::string location_text(const SourceRange &r, const SourceFile &source) {
  auto [file, number] = source.locate(r.begin.line);
  return file->name() + ':' + std::to_string(number) + ':' + std::to_string(r.begin.column) + '-' +
         std::to_string(end_column(r, source.line(r.begin.line)));
}

void Diagnostics::print_json(std::ostream &out, const SourceFile &source) const {
  for (const Diagnostic &d : list_) {
    const SourceRange &r = d.range;
    nlohmann::ordered_json data;
    data["code"] = std::string(diag_code_name(d.code));
    if (r.begin.line != 0) {
      auto [file, line] = source.locate(r.begin.line);
      data["file"] = file->name();
      data["line"] = line;
      data["column"] = r.begin.column;
      data["end_line"] = line;
      data["end_column"] = end_column(r, source.line(r.begin.line));
    }
    data["message"] = d.message;
    if (!d.hint.empty())
      data["hint"] = d.hint;
    std::string line;
    append_json(line, {{"type", severity_name(d.severity, false)}, {"data", data}});
    out << line << '\n';
  }
}

void Diagnostics::print(std::ostream &out, const SourceFile &source) const {
  for (const Diagnostic &d : list_) {
    const SourceRange &r = d.range;
    const char *severity = severity_name(d.severity, true);
    if (r.begin.line == 0) {
      out << severity << ": " << d.message << " [" << diag_code_name(d.code) << "]\n";
      if (!d.hint.empty())
        out << "HINT: " << d.hint << '\n';
      continue;
    }
    std::string_view line = source.line(r.begin.line);
    int end_col = end_column(r, line);
    out << location_text(r, source) << ": " << severity << ": " << d.message << " ["
        << diag_code_name(d.code) << "]\n";

    // Very long lines (generated programs) are shown as a window around the range.
    constexpr size_t kContext = 60, kWidth = 160;
    size_t first = 0;
    size_t begin = static_cast<size_t>(r.begin.column - 1);
    size_t end = static_cast<size_t>(end_col - 1);
    std::string prefix;
    if (line.size() > kWidth && begin > kContext) {
      first = begin - kContext;
      prefix = "...";
    }
    std::string_view shown = line.substr(std::min(first, line.size()), kWidth);
    std::string suffix = first + shown.size() < line.size() ? "..." : "";
    out << prefix << shown << suffix << '\n';

    std::string marks(prefix.size(), ' ');
    for (size_t i = first; i < begin; ++i)
      marks += (i < line.size() && line[i] == '\t') ? '\t' : ' ';
    size_t last = std::min(end, first + std::max(shown.size(), begin - first + 1));
    marks.append(std::max<size_t>(last - begin, 1), '~');
    out << marks << '\n';
    if (!d.hint.empty())
      out << "HINT: " << d.hint << '\n';
  }
}

} // namespace scry
