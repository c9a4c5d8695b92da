#include "parser/suggest.h"

#include <algorithm>

namespace scry {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of two adjacent
  // characters ("prinft" is one edit from "printf").
  const size_t w = b.size() + 1;
  std::vector<size_t> d((a.size() + 1) * w);
  for (size_t i = 0; i <= a.size(); ++i)
    d[i * w] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t v =
          std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = std::min(v, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = v;
    }
  }
  return d[a.size() * w + b.size()];
}

std::string closest_match(std::string_view name, const std::vector<std::string> &candidates) {
  size_t limit = std::max<size_t>(1, name.size() / 3);
  size_t best = limit + 1;
  std::string match;
  for (const std::string &c : candidates) {
    size_t d = edit_distance(name, c);
    if (c == name)
      continue;
    // On a tie, prefer the candidate of the same length (a swap or a substitution rather than
    // a missing or extra letter).
    if (d < best ||
        (d == best && !match.empty() && c.size() == name.size() && match.size() != name.size())) {
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
