// "Did you mean ...?" hints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// Levenshtein distance between `a` and `b` (insertions, deletions, substitutions).
size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `name` when it is close enough to be a likely typo (distance at most
/// a third of the name's length, at least 1), else an empty string.
std::string closest_match(std::string_view name, const std::vector<std::string> &candidates);

/// "did you mean 'x'?" for the closest candidate, or `fallback` when none is close.
std::string did_you_mean(std::string_view name, const std::vector<std::string> &candidates,
                         std::string fallback = {});

} // namespace scry
