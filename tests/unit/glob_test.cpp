// Tests src/base/glob.cpp: globmatch()'s patterns compiled to DFAs, against known answers and
// against glibc's fnmatch(3) (no flags: '/' and a leading '.' are not special, as in
// bpftrace's globmatch) on random patterns and strings over a small alphabet.
#include "base/glob.h"

#include <fnmatch.h>
#include <gtest/gtest.h>
#include <random>

namespace scry {
namespace {

TEST(Glob, KnownAnswers) {
  EXPECT_TRUE(glob_matches("*", ""));
  EXPECT_TRUE(glob_matches("", ""));
  EXPECT_FALSE(glob_matches("", "a"));
  EXPECT_TRUE(glob_matches("lg_*", "lg_glob"));
  EXPECT_TRUE(glob_matches("lg_g?ob", "lg_glob"));
  EXPECT_FALSE(glob_matches("lg_glob?", "lg_glob"));
  EXPECT_TRUE(glob_matches("*o*", "lg_glob"));
  EXPECT_FALSE(glob_matches("lg_glo", "lg_glob"));             // the whole string
  EXPECT_TRUE(glob_matches("/etc/*", "/etc/ssh/sshd_config")); // '/' is not special
  EXPECT_TRUE(glob_matches("[a-c]x", "bx"));
  EXPECT_FALSE(glob_matches("[!a-c]x", "bx"));
  EXPECT_TRUE(glob_matches("[!a-c]x", "dx"));
  EXPECT_TRUE(glob_matches("[]]", "]"));   // a ']' first is itself
  EXPECT_TRUE(glob_matches("[-a]", "-"));  // so is a '-' first
  EXPECT_TRUE(glob_matches("[a-]", "-"));  // and last
  EXPECT_TRUE(glob_matches("a[b", "a[b")); // a '[' never closed is itself
  EXPECT_FALSE(glob_matches("?", ""));
  EXPECT_TRUE(glob_matches("**b", "b"));
  EXPECT_TRUE(glob_matches("*a?????", "xa12345"));
  EXPECT_FALSE(glob_matches("*a?????", "xa1234"));
}

TEST(Glob, LimitsAreErrors) {
  std::string error;
  EXPECT_FALSE(compile_glob(std::string(63, 'a'), kGlobMaxStates, error));
  EXPECT_EQ(error, "globmatch()'s pattern is 63 bytes; it can be at most 62");
  EXPECT_TRUE(compile_glob(std::string(62, 'a'), kGlobMaxStates, error));
  EXPECT_FALSE(compile_glob("*a??????", kGlobMaxStates, error)); // 2^7 states
  EXPECT_EQ(error, "globmatch()'s pattern needs more than 64 matching states");
  auto dfa = compile_glob("*a?", kGlobMaxStates, error);
  ASSERT_TRUE(dfa);
  EXPECT_EQ(dfa->states & (dfa->states - 1), 0u); // a power of two
  EXPECT_EQ(dfa->next.size(), dfa->states * 256u);
}

TEST(Glob, AgreesWithFnmatch) {
  std::mt19937 rng(1234);
  const char pattern_chars[] = "ab*?[]!-";
  const char text_chars[] = "ab-]";
  int compared = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string pattern, text;
    for (int i = std::uniform_int_distribution<int>(0, 7)(rng); i > 0; --i)
      pattern += pattern_chars[std::uniform_int_distribution<int>(0, 7)(rng)];
    for (int i = std::uniform_int_distribution<int>(0, 6)(rng); i > 0; --i)
      text += text_chars[std::uniform_int_distribution<int>(0, 3)(rng)];
    std::string error;
    if (!compile_glob(pattern, kGlobMaxStates, error))
      continue;
    ++compared;
    EXPECT_EQ(glob_matches(pattern, text), fnmatch(pattern.c_str(), text.c_str(), 0) == 0)
        << "pattern '" << pattern << "' text '" << text << "'";
  }
  EXPECT_GT(compared, 19000);
}

} // namespace
} // namespace scry
