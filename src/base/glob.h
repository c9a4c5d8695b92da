// globmatch()'s patterns, compiled to a DFA when the program is compiled, so the probe matches a
// string with one table lookup per character (a loop the verifier walks once per byte, where a
// matcher that reads the pattern at run time multiplies its paths with every branch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// A deterministic automaton over bytes. State 0 is the start; `next[s * 256 + c]` is the state
/// after byte c (1..255) in state s; the string matches when its NUL leaves the automaton in a
/// state whose bit is set in `accept`. `states` is a power of two (the table is padded), so the
/// probe bounds a state by masking with states - 1.
struct GlobDfa {
  uint32_t states = 0;
  std::vector<uint8_t> next; // states * 256 entries
  uint64_t accept = 0;
};

/// The most states a globmatch() table has: 64 * 256 bytes, and acceptance fits one uint64.
inline constexpr uint32_t kGlobMaxStates = 64;

/// The DFA of a glob pattern as bpftrace documents globmatch's: `?` is any one byte, `*` any run
/// of bytes (none included), `[abc]`, `[a-z]` and `[!abc]` a class (a `]` or `-` first in it is
/// itself, a `-` last too), any other byte itself, `/` not special, and the pattern matches the
/// whole string. A `[` never closed is itself. nullopt with `error` set when the pattern is
/// longer than 62 bytes or needs more than `max_states` states (at most 64).
std::optional<GlobDfa> compile_glob(std::string_view pattern, uint32_t max_states,
                                    std::string &error);

/// Matches `text` against `pattern` with the same rules, in user space (for tests).
bool glob_matches(std::string_view pattern, std::string_view text);

} // namespace scry
