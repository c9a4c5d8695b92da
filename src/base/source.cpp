#include "base/source.h"

#include <utility>

namespace scry {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {}

std::string_view SourceFile::line(int line) const {
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
