// A generator of well-typed scry programs for the middle-end fuzzer (middle_fuzz.cpp).
//
// The fuzzer's bytes are not the program: they are the generator's decisions, read through
// FuzzedDataProvider (which probe, which statement, which operator, which constant). Every
// choice is made so that semantic analysis accepts the result: a map keeps the key and value
// types of its first use, a scratch variable the type of its first assignment, printf formats
// match their arguments, `args` fields exist in every tracepoint of their probe, loops are
// bounded and small enough for the verifier. A sema error on a generated program is then either
// a generator bug or a sema bug, and everything sema accepts must compile and load.
//
// When the bytes run out, every choice falls to its first option, which always ends the
// recursion: an empty input gives `begin {}`-sized programs, never an endless one.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <vector>

namespace scry::fuzz {

/// The positional parameters generated programs are compiled with: `$1` is a number (it folds
/// to a constant, so it can bound a loop), `$2` is text (typed as a string).
inline const std::vector<std::string> kParams = {"7", "hello"};

/// What the generator leaves out.
struct GeneratorOptions {
  /// Leave out the constructs of compiler bugs already found and reported (each is named where
  /// the generator avoids it), so that a long run finds new ones instead of the same one again.
  /// SCRY_FUZZ_KNOWN_BUGS=1 turns this off, to check a fix.
  bool avoid_known_bugs = true;
};

/// Returns a scry program (1 to 3 probes, an optional config block) built from `data`'s
/// decisions. Deterministic: the same bytes and options give the same program.
std::string generate_program(FuzzedDataProvider &data, const GeneratorOptions &options = {});

} // namespace scry::fuzz
