// Tests src/runtime/gfp_flags.cpp: reading the GFP table out of a kmem tracepoint's print fmt
// (texts as 6.18's and 6.1's tracefs print them, cut to a few entries) and naming flags as the
// kernel's trace_print_flags_seq does.
#include "runtime/gfp_flags.h"

#include <gtest/gtest.h>

namespace scry {
namespace {

// 6.18: bits by shifts, GFP_ATOMIC without __GFP_ATOMIC, and the array's end marker.
constexpr const char *kFmt618 =
    R"(print fmt: "gfp_flags=%s node=%d", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|", )"
    R"({( unsigned long)(((( gfp_t)(((((1UL))) << (10))|((((1UL))) << (11)))) | (( gfp_t)((((1UL))) << (6))) | (( gfp_t)((((1UL))) << (7)))) | (( gfp_t)((((1UL))) << (22)))), "GFP_KERNEL_ACCOUNT"}, )"
    R"({( unsigned long)((( gfp_t)(((((1UL))) << (10))|((((1UL))) << (11)))) | (( gfp_t)((((1UL))) << (6))) | (( gfp_t)((((1UL))) << (7)))), "GFP_KERNEL"}, )"
    R"({( unsigned long)((( gfp_t)((((1UL))) << (5)))|(( gfp_t)((((1UL))) << (11)))), "GFP_ATOMIC"}, )"
    R"({( unsigned long)((((( gfp_t)((((1UL))) << (1))) | (( gfp_t)((((1UL))) << (3)))) & ~(( gfp_t)((((1UL))) << (1))))), "GFP_MASKED"}, )"
    R"({( unsigned long)(( gfp_t)((((1UL))) << (8))), "__GFP_ZERO"}, )"
    R"({( unsigned long)(( gfp_t)((((1UL))) << (13))), "__GFP_NOWARN"}, { 0, ((void *)0) } ) : "none", REC->node)";

// 6.1: hex literals with a U suffix, and __GFP_ATOMIC (0x200) in GFP_ATOMIC.
constexpr const char *kFmt61 =
    R"(print fmt: "gfp_flags=%s", (REC->gfp_flags) ? __print_flags(REC->gfp_flags, "|", )"
    R"({( unsigned long)((( gfp_t)(0x400u|0x800u)) | (( gfp_t)0x40u) | (( gfp_t)0x80u)), "GFP_KERNEL"}, )"
    R"({( unsigned long)((( gfp_t)0x20u)|(( gfp_t)0x200u)|(( gfp_t)0x800u)), "GFP_ATOMIC"}, )"
    R"({( unsigned long)(( gfp_t)0x100u), "__GFP_ZERO"}) : "none")";

TEST(GfpFlags, NamesFromTheKernelsTableInItsOrder) {
  GfpFlags t = GfpFlags::parse(kFmt618);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.format(0xcc0), "GFP_KERNEL");
  EXPECT_EQ(t.format(0xcc0 | 0x400000), "GFP_KERNEL_ACCOUNT");
  EXPECT_EQ(t.format(0xcc0 | 0x100 | 0x2000), "GFP_KERNEL|__GFP_ZERO|__GFP_NOWARN");
  EXPECT_EQ(t.format(0x820), "GFP_ATOMIC");
  EXPECT_EQ(t.format(0x8), "GFP_MASKED"); // (bit 1 | bit 3) & ~bit 1
  EXPECT_EQ(t.format(0x80000000), "0x80000000");
  EXPECT_EQ(t.format(0x100 | 0x80000001), "__GFP_ZERO|0x80000001");
  EXPECT_EQ(t.format(0), "0");
}

TEST(GfpFlags, HexLiteralsOfOlderKernels) {
  GfpFlags t = GfpFlags::parse(kFmt61);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.format(0xcc0), "GFP_KERNEL");
  EXPECT_EQ(t.format(0xa20), "GFP_ATOMIC");
  EXPECT_EQ(t.format(0x820), "0x820"); // no __GFP_ATOMIC: not GFP_ATOMIC on 6.1
}

TEST(GfpFlags, WithoutATableTheNumberInHex) {
  EXPECT_TRUE(GfpFlags::parse("print fmt: \"x=%d\", REC->x").empty());
  EXPECT_TRUE(
      GfpFlags::parse(R"(__print_flags(REC->gfp_flags, "|", {( unsigned long)(sizeof(int)), "X"}))")
          .empty());
  EXPECT_EQ(GfpFlags().format(0xcc0), "0xcc0");
  EXPECT_EQ(GfpFlags().format(0), "0");
}

} // namespace
} // namespace scry
