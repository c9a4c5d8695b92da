#include "base/source.h"

#include <tuple>
#include <utility>

namespace scry {

SourceFile::SourceFile(std::string name, std::string text, int first_line)
    : name_(std::move(name)), text_(std::move(text)), first_line_(first_line) {}

std::pair<const SourceFile *, int> SourceFile::locate(int line) const {
  if (line > kImportedLines && first_line_ == 1) {
    size_t k = static_cast<size_t>(line / kImportedLines);
    if (line % kImportedLines == 0)
      --k;
    if (k >= 1 && k <= imported_.size())
      return imported_[k - 1]->locate(line);
  }
  return {this, line - first_line_ + 1};
}

namespace {
const SourceFile *g_importing = nullptr; // the SourceFile that imported files last
} // namespace

SourceFile::~SourceFile() {
  if (g_importing == this)
    g_importing = nullptr;
}

std::string position_text(const Position &p) {
  std::string text = "line ";
  const SourceFile *file = nullptr;
  int line = p.line;
  if (g_importing) // a program with imports: every position says its file
    std::tie(file, line) = g_importing->locate(p.line);
  text += std::to_string(line) + ", column " + std::to_string(p.column);
  if (file)
    text += " of " + file->name();
  return text;
}

const SourceFile *SourceFile::add_imported(std::string name, std::string text) {
  g_importing = this;
  if (imported_.size() >= kMaxImported)
    return nullptr;
  const int first = static_cast<int>(imported_.size() + 1) * kImportedLines + 1;
  imported_.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text), first));
  return imported_.back().get();
}

std::string_view SourceFile::line(int global) const {
  auto [file, line] = locate(global);
  if (file != this)
    return file->line(global);
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n')
        line_starts_.push_back(i + 1);
  }
  if (line < 1 || static_cast<size_t>(line) > line_starts_.size())
    return {};
  size_t start = line_starts_[line - 1];
  size_t end = text_.find('\n', start);
  if (end == std::string::npos)
    end = text_.size();
  return std::string_view(text_).substr(start, end - start);
}

} // namespace scry
