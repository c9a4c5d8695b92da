#include "parser/suggest.h"

#include <algorithm>

namespace scry {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_match(std::string_view name, const std::vector<std::string> &candidates) {
  size_t limit = std::max<size_t>(1, name.size() / 3);
  size_t best = limit + 1;
  std::string match;
  for (const std::string &c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best && c != name) {
      best = d;
      match = c;
    }
  }
  return match;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string> &candidates,
                         std::string fallback) {
  std::string match = closest_match(name, candidates);
  if (match.empty())
    return fallback;
  return "did you mean '" + match + "'?";
}

} // namespace scry
