// Glob patterns to DFAs. See glob.h.
#include "base/glob.h"

#include <map>

namespace scry {

namespace {

/// One pattern item: a byte set, or a star; matching it takes the pattern from `at` to `to`.
struct Item {
  bool star = false;
  bool bytes[256] = {};
};

/// The items of `pattern`: one per byte, a class is one item, a '[' never closed is itself.
std::vector<Item> items_of(std::string_view p) {
  std::vector<Item> items;
  for (size_t j = 0; j < p.size(); ++j) {
    Item it;
    const auto d = static_cast<unsigned char>(p[j]);
    if (d == '*') {
      it.star = true;
    } else if (d == '?') {
      for (int c = 1; c < 256; ++c)
        it.bytes[c] = true;
    } else if (d == '[') {
      size_t k = j + 1;
      const bool invert = k < p.size() && p[k] == '!';
      k += invert;
      const size_t first = k;
      while (k < p.size() && (p[k] != ']' || k == first))
        ++k;
      if (k >= p.size()) { // never closed: the '[' is itself
        it.bytes['['] = true;
        items.push_back(it);
        continue;
      }
      bool in[256] = {};
      for (size_t m = first; m < k; ++m) {
        auto lo = static_cast<unsigned char>(p[m]);
        auto hi = lo;
        if (m + 2 < k && p[m + 1] == '-') {
          hi = static_cast<unsigned char>(p[m + 2]);
          m += 2;
        }
        for (int c = lo; c <= hi; ++c)
          in[c] = true;
      }
      for (int c = 1; c < 256; ++c)
        it.bytes[c] = in[c] != invert;
      j = k;
    } else {
      it.bytes[d] = true;
    }
    items.push_back(it);
  }
  return items;
}

/// The positions reachable from `set` without a byte: a star may match nothing.
uint64_t closure(const std::vector<Item> &items, uint64_t set) {
  for (size_t j = 0; j < items.size(); ++j)
    if (items[j].star && (set >> j & 1))
      set |= uint64_t{1} << (j + 1);
  return set;
}

uint64_t step(const std::vector<Item> &items, uint64_t set, unsigned char c) {
  uint64_t next = 0;
  for (size_t j = 0; j < items.size(); ++j) {
    if (!(set >> j & 1))
      continue;
    if (items[j].star)
      next |= uint64_t{1} << j;
    else if (items[j].bytes[c])
      next |= uint64_t{1} << (j + 1);
  }
  return closure(items, next);
}

} // namespace

std::optional<GlobDfa> compile_glob(std::string_view pattern, uint32_t max_states,
                                    std::string &error) {
  if (pattern.size() > 62) {
    error = "globmatch()'s pattern is " + std::to_string(pattern.size()) +
            " bytes; it can be at most 62";
    return std::nullopt;
  }
  const std::vector<Item> items = items_of(pattern);
  const uint64_t end = uint64_t{1} << items.size();
  std::map<uint64_t, uint32_t> ids;
  std::vector<uint64_t> sets;
  auto id_of = [&](uint64_t set) {
    auto [it, added] = ids.emplace(set, static_cast<uint32_t>(sets.size()));
    if (added)
      sets.push_back(set);
    return it->second;
  };
  id_of(closure(items, 1));
  std::vector<uint32_t> raw; // sets.size() * 256, grown as states appear
  for (size_t s = 0; s < sets.size(); ++s) {
    if (sets.size() > max_states) {
      error = "globmatch()'s pattern needs more than " + std::to_string(max_states) +
              " matching states";
      return std::nullopt;
    }
    raw.resize((s + 1) * 256);
    for (int c = 1; c < 256; ++c)
      raw[s * 256 + c] = id_of(step(items, sets[s], static_cast<unsigned char>(c)));
  }
  if (sets.size() > max_states) {
    error =
        "globmatch()'s pattern needs more than " + std::to_string(max_states) + " matching states";
    return std::nullopt;
  }
  GlobDfa dfa;
  dfa.states = 1;
  while (dfa.states < sets.size())
    dfa.states *= 2;
  dfa.next.assign(size_t{dfa.states} * 256, 0);
  for (size_t i = 0; i < raw.size(); ++i)
    dfa.next[i] = static_cast<uint8_t>(raw[i]);
  for (size_t s = 0; s < sets.size(); ++s)
    if (sets[s] & end)
      dfa.accept |= uint64_t{1} << s;
  return dfa;
}

bool glob_matches(std::string_view pattern, std::string_view text) {
  std::string error;
  auto dfa = compile_glob(pattern, 64, error);
  if (!dfa)
    return false;
  uint32_t state = 0;
  for (char ch : text) {
    if (ch == '\0')
      break;
    state = dfa->next[state * 256 + static_cast<unsigned char>(ch)];
  }
  return dfa->accept >> state & 1;
}

} // namespace scry
