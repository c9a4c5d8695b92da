// Tests src/runtime/aggregation: the hist/lhist bucket functions (the reference the BPF code must
// match), their labels and ranges, per-CPU merging, and print order.
#include "runtime/aggregation.h"

#include <cstring>
#include <gtest/gtest.h>
#include <random>

namespace scry {
namespace {

std::vector<uint8_t> u64s(std::initializer_list<uint64_t> values) {
  std::vector<uint8_t> out(values.size() * 8);
  size_t i = 0;
  for (uint64_t v : values) {
    std::memcpy(out.data() + 8 * i, &v, 8);
    ++i;
  }
  return out;
}

uint64_t u64_at(const std::vector<uint8_t> &v, size_t offset) {
  uint64_t x;
  std::memcpy(&x, v.data() + offset, 8);
  return x;
}

/// Values worth testing for any k: 0, 1, 2, 3, every power of two and its neighbours, extremes.
std::vector<int64_t> edge_values() {
  std::vector<int64_t> v = {INT64_MIN, INT64_MIN + 1, -1024, -2, -1, 0, 1, 2, 3, INT64_MAX};
  for (int m = 1; m < 63; ++m) {
    const int64_t p = int64_t{1} << m;
    v.push_back(p - 1);
    v.push_back(p);
    v.push_back(p + 1);
    v.push_back(p + p / 2);
  }
  return v;
}

// --- hist ---------------------------------------------------------------------------------------

TEST(HistBucket, PlainHistMatchesBpftrace) {
  // k = 0 is bpftrace's classic hist(): 0 -> [0], 1 -> [1], then one bucket per power of two.
  EXPECT_EQ(hist_bucket(INT64_MIN, 0), 0u);
  EXPECT_EQ(hist_bucket(-1, 0), 0u);
  EXPECT_EQ(hist_bucket(0, 0), 1u);
  EXPECT_EQ(hist_bucket(1, 0), 2u);
  EXPECT_EQ(hist_bucket(2, 0), 3u);
  EXPECT_EQ(hist_bucket(3, 0), 3u);
  EXPECT_EQ(hist_bucket(4, 0), 4u);
  EXPECT_EQ(hist_bucket(7, 0), 4u);
  EXPECT_EQ(hist_bucket(8, 0), 5u);
  EXPECT_EQ(hist_bucket(1023, 0), 11u);
  EXPECT_EQ(hist_bucket(1024, 0), 12u);
  EXPECT_EQ(hist_bucket(1025, 0), 12u);
  EXPECT_EQ(hist_bucket(int64_t{1} << 32, 0), 34u); // bpftrace 0.17's log2 stopped below this
  EXPECT_EQ(hist_bucket(INT64_MAX, 0), 64u);
  for (int m = 0; m < 63; ++m) {
    const int64_t p = int64_t{1} << m;
    EXPECT_EQ(hist_bucket(p, 0), static_cast<uint64_t>(m + 2)) << m;
    EXPECT_EQ(hist_bucket(p + (p - 1), 0), static_cast<uint64_t>(m + 2)) << m;
  }
}

TEST(HistBucket, SubBucketsMatchUpstreamHist2Args) {
  // bpftrace's runtime test hist_2args: hist($i, 3) for $i in 0..1023 gives 16 one-value
  // buckets, then 8 buckets per power of two: [16,17], [18,19], ..., [32,35], ..., [960,1023].
  for (int64_t v = 0; v < 16; ++v)
    EXPECT_EQ(hist_bucket(v, 3), static_cast<uint64_t>(v + 1));
  EXPECT_EQ(hist_bucket(16, 3), 17u);
  EXPECT_EQ(hist_bucket(17, 3), 17u);
  EXPECT_EQ(hist_bucket(18, 3), 18u);
  EXPECT_EQ(hist_bucket(31, 3), 24u);
  EXPECT_EQ(hist_bucket(32, 3), 25u);
  EXPECT_EQ(hist_bucket(35, 3), 25u);
  EXPECT_EQ(hist_bucket(36, 3), 26u);
  EXPECT_EQ(hist_bucket(959, 3), 63u);
  EXPECT_EQ(hist_bucket(960, 3), 64u);
  EXPECT_EQ(hist_bucket(1023, 3), 64u);
  EXPECT_EQ(hist_bucket(1024, 3), 65u);
  const BucketRange r = hist_bucket_range(64, 3);
  EXPECT_EQ(r.min, 960);
  EXPECT_EQ(r.max, 1023);
  EXPECT_EQ(hist_bucket_range(17, 3).min, 16);
  EXPECT_EQ(hist_bucket_range(17, 3).max, 17);
}

TEST(HistBucket, EveryKBelowTwoNIsOneValuePerBucket) {
  for (int k = 0; k <= kHistMaxBits; ++k) {
    const int64_t n = int64_t{1} << k;
    for (int64_t v = 0; v < 2 * n; ++v) {
      EXPECT_EQ(hist_bucket(v, k), static_cast<uint64_t>(v + 1)) << "k=" << k << " v=" << v;
      EXPECT_EQ(hist_bucket_label(v + 1, k), "[" + std::to_string(v) + "]");
    }
    EXPECT_EQ(hist_bucket(-1, k), 0u);
    EXPECT_EQ(hist_bucket(INT64_MIN, k), 0u);
    EXPECT_EQ(hist_bucket_label(0, k), "(..., 0)");
  }
}

TEST(HistBucket, LargestIndexForEveryK) {
  const uint64_t expected[] = {64, 126, 248, 488, 960, 1888};
  for (int k = 0; k <= kHistMaxBits; ++k) {
    EXPECT_EQ(hist_bucket(INT64_MAX, k), expected[k]) << k;
    EXPECT_EQ(hist_bucket_count(k), expected[k] + 1) << k;
    EXPECT_EQ(hist_bucket_range(expected[k], k).max, INT64_MAX) << k;
  }
}

TEST(HistBucket, RangesTileTheIntegersAndAgreeWithTheFunction) {
  for (int k = 0; k <= kHistMaxBits; ++k) {
    const uint64_t count = hist_bucket_count(k);
    EXPECT_FALSE(hist_bucket_range(0, k).min.has_value());
    EXPECT_EQ(hist_bucket_range(0, k).max, -1);
    for (uint64_t i = 1; i < count; ++i) {
      const BucketRange r = hist_bucket_range(i, k);
      ASSERT_TRUE(r.min && r.max) << "k=" << k << " i=" << i;
      EXPECT_LE(*r.min, *r.max);
      EXPECT_EQ(*r.min, *hist_bucket_range(i - 1, k).max + 1) << "k=" << k << " i=" << i;
      EXPECT_EQ(hist_bucket(*r.min, k), i) << "k=" << k << " i=" << i;
      EXPECT_EQ(hist_bucket(*r.max, k), i) << "k=" << k << " i=" << i;
    }
  }
}

TEST(HistBucket, EdgeValuesFallInsideTheirBucket) {
  std::mt19937_64 rng(42);
  std::vector<int64_t> values = edge_values();
  for (int i = 0; i < 2000; ++i)
    values.push_back(static_cast<int64_t>(rng() >> (rng() % 63)));
  for (int k = 0; k <= kHistMaxBits; ++k) {
    for (int64_t v : values) {
      const uint64_t i = hist_bucket(v, k);
      ASSERT_LT(i, hist_bucket_count(k));
      const BucketRange r = hist_bucket_range(i, k);
      if (r.min) {
        EXPECT_LE(*r.min, v) << "k=" << k << " v=" << v;
      }
      EXPECT_LE(v, *r.max) << "k=" << k << " v=" << v;
    }
  }
}

TEST(HistBucket, LabelsAsBpftracePrintsThem) {
  EXPECT_EQ(hist_bucket_label(1, 0), "[0]");
  EXPECT_EQ(hist_bucket_label(2, 0), "[1]");
  EXPECT_EQ(hist_bucket_label(3, 0), "[2, 4)");
  EXPECT_EQ(hist_bucket_label(4, 0), "[4, 8)");
  EXPECT_EQ(hist_bucket_label(11, 0), "[512, 1K)");
  EXPECT_EQ(hist_bucket_label(12, 0), "[1K, 2K)");
  EXPECT_EQ(hist_bucket_label(21, 0), "[512K, 1M)");
  EXPECT_EQ(hist_bucket_label(22, 0), "[1M, 2M)");
  EXPECT_EQ(hist_bucket_label(32, 0), "[1G, 2G)");
  EXPECT_EQ(hist_bucket_label(42, 0), "[1T, 2T)");
  EXPECT_EQ(hist_bucket_label(52, 0), "[1P, 2P)");
  EXPECT_EQ(hist_bucket_label(62, 0), "[1E, 2E)");
  EXPECT_EQ(hist_bucket_label(64, 0), "[4E, 8E)");
  // k = 2: one-value buckets up to [7], then widths 2, 4, ... with mixed suffixes at 1024.
  EXPECT_EQ(hist_bucket_label(8, 2), "[7]");
  EXPECT_EQ(hist_bucket_label(9, 2), "[8, 10)");
  EXPECT_EQ(hist_bucket_label(44, 2), "[3584, 4K)");
  EXPECT_EQ(hist_bucket_label(45, 2), "[4K, 5K)");
  EXPECT_EQ(hist_bucket_label(46, 2), "[5K, 6K)");
  // The suffix follows the bucket width's power of two, not the value: bpftrace prints this.
  EXPECT_EQ(hist_bucket_label(hist_bucket(INT64_MAX, 5), 5), "[8064P, 8192P)");
}

// --- lhist --------------------------------------------------------------------------------------

TEST(LhistBucket, ZeroToHundredStepTen) {
  EXPECT_EQ(lhist_bucket(INT64_MIN, 0, 100, 10), 0u);
  EXPECT_EQ(lhist_bucket(-1, 0, 100, 10), 0u);
  EXPECT_EQ(lhist_bucket(0, 0, 100, 10), 1u);
  EXPECT_EQ(lhist_bucket(9, 0, 100, 10), 1u);
  EXPECT_EQ(lhist_bucket(10, 0, 100, 10), 2u);
  EXPECT_EQ(lhist_bucket(99, 0, 100, 10), 10u);
  EXPECT_EQ(lhist_bucket(100, 0, 100, 10), 11u);
  EXPECT_EQ(lhist_bucket(101, 0, 100, 10), 11u);
  EXPECT_EQ(lhist_bucket(INT64_MAX, 0, 100, 10), 11u);
  EXPECT_EQ(lhist_bucket_count(0, 100, 10), 12u);
  EXPECT_EQ(lhist_bucket_label(0, 0, 100, 10), "(..., 0)");
  EXPECT_EQ(lhist_bucket_label(1, 0, 100, 10), "[0, 10)");
  EXPECT_EQ(lhist_bucket_label(10, 0, 100, 10), "[90, 100)");
  EXPECT_EQ(lhist_bucket_label(11, 0, 100, 10), "[100, ...)");
  EXPECT_EQ(lhist_bucket_range(0, 0, 100, 10).max, -1);
  EXPECT_FALSE(lhist_bucket_range(0, 0, 100, 10).min);
  EXPECT_EQ(lhist_bucket_range(11, 0, 100, 10).min, 100);
  EXPECT_FALSE(lhist_bucket_range(11, 0, 100, 10).max);
}

TEST(LhistBucket, StepNotDividingTheRange) {
  // B = 9: the last bucket starts at 90, below max = 95.
  EXPECT_EQ(lhist_bucket(89, 0, 95, 10), 9u);
  EXPECT_EQ(lhist_bucket(90, 0, 95, 10), 10u);
  EXPECT_EQ(lhist_bucket(95, 0, 95, 10), 10u);
  EXPECT_EQ(lhist_bucket(96, 0, 95, 10), 10u);
  EXPECT_EQ(lhist_bucket_count(0, 95, 10), 11u);
  EXPECT_EQ(lhist_bucket_label(9, 0, 95, 10), "[80, 90)");
  EXPECT_EQ(lhist_bucket_label(10, 0, 95, 10), "[90, ...)");
}

TEST(LhistBucket, LabelsWithSuffixesAndSingleValues) {
  EXPECT_EQ(lhist_bucket_label(6, 0, 10, 1), "[5]");
  EXPECT_EQ(lhist_bucket_label(11, 0, 10, 1), "[10, ...)");
  EXPECT_EQ(lhist_bucket_label(0, 0, 8192, 1024), "(..., 0)");
  EXPECT_EQ(lhist_bucket_label(1, 0, 8192, 1024), "[0, 1K)");
  EXPECT_EQ(lhist_bucket_label(3, 0, 8192, 1024), "[2K, 3K)");
  EXPECT_EQ(lhist_bucket_label(9, 0, 8192, 1024), "[8K, ...)");
  EXPECT_EQ(lhist_bucket_label(2, 0, 4 << 20, 1 << 20), "[1M, 2M)");
  // Without a multiple of 1024 as step, no suffixes even on round numbers.
  EXPECT_EQ(lhist_bucket_label(2, 0, 4096, 1000), "[1000, 2000)");
  EXPECT_EQ(lhist_bucket_label(2, 0, 8192, 2048 + 1), "[2049, 4098)");
}

TEST(LhistBucket, NegativeMin) {
  EXPECT_EQ(lhist_bucket(-11, -10, 10, 5), 0u);
  EXPECT_EQ(lhist_bucket(-10, -10, 10, 5), 1u);
  EXPECT_EQ(lhist_bucket(-6, -10, 10, 5), 1u);
  EXPECT_EQ(lhist_bucket(-5, -10, 10, 5), 2u);
  EXPECT_EQ(lhist_bucket(9, -10, 10, 5), 4u);
  EXPECT_EQ(lhist_bucket(10, -10, 10, 5), 5u);
  EXPECT_EQ(lhist_bucket_label(0, -10, 10, 5), "(..., -10)");
  EXPECT_EQ(lhist_bucket_label(1, -10, 10, 5), "[-10, -5)");
  EXPECT_EQ(lhist_bucket_label(5, -10, 10, 5), "[10, ...)");
}

TEST(LhistBucket, RangesAgreeWithTheFunction) {
  const int64_t cases[][3] = {{0, 100, 10},    {0, 95, 10}, {0, 10, 1},      {-10, 10, 5},
                              {0, 8192, 1024}, {7, 8, 1},   {-1000, 1000, 3}};
  for (const auto &c : cases) {
    const uint64_t count = lhist_bucket_count(c[0], c[1], c[2]);
    for (uint64_t i = 0; i < count; ++i) {
      const BucketRange r = lhist_bucket_range(i, c[0], c[1], c[2]);
      if (r.min) {
        EXPECT_EQ(lhist_bucket(*r.min, c[0], c[1], c[2]), i);
      }
      if (r.max) {
        EXPECT_EQ(lhist_bucket(*r.max, c[0], c[1], c[2]), i);
      }
      if (i > 0) {
        EXPECT_EQ(*r.min, *lhist_bucket_range(i - 1, c[0], c[1], c[2]).max + 1);
      }
    }
    for (int64_t v : edge_values()) {
      const uint64_t i = lhist_bucket(v, c[0], c[1], c[2]);
      ASSERT_LT(i, count);
      const BucketRange r = lhist_bucket_range(i, c[0], c[1], c[2]);
      if (r.min) {
        EXPECT_LE(*r.min, v);
      }
      if (r.max) {
        EXPECT_LE(v, *r.max);
      }
    }
  }
}

// --- merging ------------------------------------------------------------------------------------

TEST(MergePerCpu, CountSumsEveryCpu) {
  const auto data = u64s({1, 2, 3, 4});
  const auto merged = merge_per_cpu(make_aggregation(TypeKind::Count, false), data.data(), 4, 8);
  EXPECT_EQ(u64_at(merged, 0), 10u);
}

TEST(MergePerCpu, SignedSumWraps) {
  const auto data = u64s({static_cast<uint64_t>(-5), 3});
  const auto merged = merge_per_cpu(make_aggregation(TypeKind::Sum, true), data.data(), 2, 8);
  EXPECT_EQ(static_cast<int64_t>(u64_at(merged, 0)), -2);
}

TEST(MergePerCpu, MinAndMaxIgnoreCpusWithoutAValue) {
  // { value, valid } per CPU, 16 bytes each.
  const auto data = u64s({static_cast<uint64_t>(-7), 0, 4, 1, static_cast<uint64_t>(-2), 1, 9, 1});
  const auto mn = merge_per_cpu(make_aggregation(TypeKind::Min, true), data.data(), 4, 16);
  EXPECT_EQ(static_cast<int64_t>(u64_at(mn, 0)), -2);
  EXPECT_EQ(u64_at(mn, 8), 1u);
  const auto mx = merge_per_cpu(make_aggregation(TypeKind::Max, true), data.data(), 4, 16);
  EXPECT_EQ(static_cast<int64_t>(u64_at(mx, 0)), 9);
  // Unsigned: -2 is a huge number.
  const auto umx = merge_per_cpu(make_aggregation(TypeKind::Max, false), data.data(), 4, 16);
  EXPECT_EQ(u64_at(umx, 0), static_cast<uint64_t>(-2));
  const auto none = u64s({5, 0, 6, 0});
  const auto empty = merge_per_cpu(make_aggregation(TypeKind::Min, true), none.data(), 2, 16);
  EXPECT_EQ(u64_at(empty, 0), 0u);
  EXPECT_EQ(u64_at(empty, 8), 0u);
}

TEST(MergePerCpu, AvgSumsTotalsAndCounts) {
  const auto data = u64s({static_cast<uint64_t>(-7), 1, 2, 1});
  const Type avg = make_aggregation(TypeKind::Avg, true);
  const auto merged = merge_per_cpu(avg, data.data(), 2, 16);
  EXPECT_EQ(static_cast<int64_t>(u64_at(merged, 0)), -5);
  EXPECT_EQ(u64_at(merged, 8), 2u);
  const StatsValue s = stats_value(avg, merged.data());
  EXPECT_EQ(s.average.to_string(), "-2"); // integer division toward zero, as bpftrace
  EXPECT_EQ(s.count.to_string(), "2");
  EXPECT_EQ(s.total.to_string(), "-5");
  EXPECT_EQ(stats_value(avg, u64s({0, 0}).data()).average.to_string(), "0");
}

Type tseries_type(TseriesAgg agg, bool is_signed, int64_t intervals = 5) {
  Type t = make_aggregation(TypeKind::Tseries, is_signed);
  t.tseries_agg = agg;
  t.tseries_interval_ns = 100;
  t.tseries_intervals = intervals;
  return t;
}

TEST(MergeTseriesSlot, OnlyTheNewestEpochCountsAndUnwrittenCopiesAreSkipped) {
  // { value, meta, epoch } per CPU: CPU 1 holds an older interval of the slot, CPU 3 none.
  const auto data = u64s({4, 1, 12, 100, 1, 7, 6, 1, 12, 0, 0, 0});
  const auto sum = merge_tseries_slot(tseries_type(TseriesAgg::Sum, true), data.data(), 4, 24);
  ASSERT_TRUE(sum.has_value());
  EXPECT_EQ(sum->epoch, 12u);
  EXPECT_EQ(sum->bits, 10u);
  const auto none = u64s({0, 0, 0, 0, 0, 0});
  EXPECT_FALSE(merge_tseries_slot(tseries_type(TseriesAgg::Sum, true), none.data(), 2, 24));
}

TEST(MergeTseriesSlot, EachAggregation) {
  const uint64_t m3 = static_cast<uint64_t>(-3);
  // CPU 0: value -3 (meta: time 50, count 2, set); CPU 1: value 8 (time 40, count 1, set).
  auto slot = [&](uint64_t meta0, uint64_t meta1) { return u64s({m3, meta0, 9, 8, meta1, 9}); };
  auto merged = [&](TseriesAgg agg, bool is_signed, uint64_t meta0, uint64_t meta1) {
    const auto d = slot(meta0, meta1);
    return merge_tseries_slot(tseries_type(agg, is_signed), d.data(), 2, 24)->bits;
  };
  EXPECT_EQ(merged(TseriesAgg::None, true, 50, 40), m3); // the copy written last
  EXPECT_EQ(merged(TseriesAgg::None, true, 30, 40), 8u);
  EXPECT_EQ(merged(TseriesAgg::Min, true, 1, 1), m3);
  EXPECT_EQ(merged(TseriesAgg::Max, true, 1, 1), 8u);
  EXPECT_EQ(merged(TseriesAgg::Max, false, 1, 1), m3); // unsigned: -3 is huge
  EXPECT_EQ(merged(TseriesAgg::Min, true, 0, 1), 8u);  // CPU 0's copy was never set
  // avg: (-3 + 8) / (2 + 1) = 1 in integer division; (-3 + -3) / 4 toward zero = -1.
  EXPECT_EQ(merged(TseriesAgg::Avg, true, 2, 1), 1u);
  const auto neg = u64s({m3, 2, 9, m3, 2, 9});
  EXPECT_EQ(merge_tseries_slot(tseries_type(TseriesAgg::Avg, true), neg.data(), 2, 24)->bits,
            static_cast<uint64_t>(-1));
}

TEST(TseriesRows, WindowEndsAtTheNewestIntervalOfAnySeries) {
  const Type t = tseries_type(TseriesAgg::Sum, true, 4);
  // a: epochs 10..13; b: 12, then nothing after 12; c: only epochs before the window.
  const std::vector<TseriesPoint> a = {{10, 1}, {11, 2}, {12, 3}, {13, 4}};
  const std::vector<TseriesPoint> b = {{12, 7}};
  const std::vector<TseriesPoint> c = {{5, 9}};
  const auto rows = tseries_rows(t, {&a, &b, &c});
  ASSERT_EQ(rows.size(), 3u);
  // The window is epochs 10..13 (4 intervals ending at 13).
  ASSERT_EQ(rows[0].size(), 4u);
  EXPECT_EQ(rows[0][0].start_ns, 1000u);
  EXPECT_EQ(rows[0][3].value->to_string(), "4");
  // b starts at its first interval in the window, and its later ones have no value.
  ASSERT_EQ(rows[1].size(), 2u);
  EXPECT_EQ(rows[1][0].start_ns, 1200u);
  EXPECT_EQ(rows[1][0].value->to_string(), "7");
  EXPECT_FALSE(rows[1][1].value.has_value());
  // c has nothing in the window: one row, at its end, without a value.
  ASSERT_EQ(rows[2].size(), 1u);
  EXPECT_EQ(rows[2][0].start_ns, 1300u);
  EXPECT_FALSE(rows[2][0].value.has_value());
  // No interval at all: no rows.
  const std::vector<TseriesPoint> empty;
  EXPECT_TRUE(tseries_rows(t, {&empty})[0].empty());
}

TEST(MergePerCpu, StrideLargerThanTheValue) {
  // A 4-byte integer value takes 8 bytes per CPU.
  std::vector<uint8_t> data(16, 0);
  int32_t a = -3, b = 1;
  std::memcpy(data.data(), &a, 4);
  std::memcpy(data.data() + 8, &b, 4);
  const auto merged = merge_per_cpu(make_int(4, true), data.data(), 2, 8);
  ASSERT_EQ(merged.size(), 4u);
  int32_t sum;
  std::memcpy(&sum, merged.data(), 4);
  EXPECT_EQ(sum, -2);
}

TEST(Number, DivisionAndOrder) {
  EXPECT_EQ((Number{static_cast<uint64_t>(-7), true}.divided(2).to_string()), "-3");
  EXPECT_EQ((Number{7, false}.divided(2).to_string()), "3");
  EXPECT_EQ((Number{7, false}.divided(0).to_string()), "7");
  EXPECT_LT((Number{static_cast<uint64_t>(-1), true}), (Number{0, false}));
  EXPECT_LT((Number{1, true}), (Number{static_cast<uint64_t>(-1), false}));
  EXPECT_FALSE((Number{3, true}) < (Number{3, false}));
}

// --- print order --------------------------------------------------------------------------------

MapEntry count_entry(const std::string &key, uint64_t count) {
  MapEntry e;
  e.key.assign(8, 0);
  std::memcpy(e.key.data(), key.data(), std::min<size_t>(key.size(), 7));
  e.value = u64s({count});
  return e;
}

MapInfo count_map() {
  MapInfo info;
  info.name = "@c";
  info.key = make_string(8);
  info.value = make_aggregation(TypeKind::Count, false);
  return info;
}

std::vector<std::string> keys_of(const std::vector<const MapEntry *> &order) {
  std::vector<std::string> out;
  for (const MapEntry *e : order)
    out.emplace_back(reinterpret_cast<const char *>(e->key.data()));
  return out;
}

TEST(PrintOrder, AscendingByValueTiesByKey) {
  const std::vector<MapEntry> entries = {count_entry("b", 3), count_entry("z", 1),
                                         count_entry("a", 3), count_entry("c", 2)};
  EXPECT_EQ(keys_of(print_order(count_map(), entries, 0)),
            (std::vector<std::string>{"z", "c", "a", "b"}));
  EXPECT_EQ(keys_of(print_order(count_map(), entries, 2)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(keys_of(print_order(count_map(), entries, 10)).size(), 4u);
}

TEST(PrintOrder, SignedValuesAndNonNumericValuesByKey) {
  MapInfo info;
  info.key = make_int(8, true);
  info.value = make_int(8, true);
  auto entry = [](int64_t k, int64_t v) {
    MapEntry e;
    e.key = u64s({static_cast<uint64_t>(k)});
    e.value = u64s({static_cast<uint64_t>(v)});
    return e;
  };
  std::vector<MapEntry> entries = {entry(1, -10), entry(2, 100), entry(3, -200)};
  auto order = print_order(info, entries, 0);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0], &entries[2]);
  EXPECT_EQ(order[1], &entries[0]);
  EXPECT_EQ(order[2], &entries[1]);

  info.value = make_string(8); // strings are not numbers: by key, negative keys first
  entries = {entry(5, 0), entry(-5, 0), entry(0, 0)};
  order = print_order(info, entries, 0);
  EXPECT_EQ(order[0], &entries[1]);
  EXPECT_EQ(order[1], &entries[2]);
  EXPECT_EQ(order[2], &entries[0]);
}

TEST(PrintOrder, HistogramsByTotalCount) {
  MapInfo info;
  info.key = make_int(8, false);
  info.value = make_aggregation(TypeKind::Hist, false);
  std::vector<MapEntry> entries(3);
  entries[0].key = u64s({1});
  entries[0].buckets = {0, 5, 5};
  entries[1].key = u64s({2});
  entries[1].buckets = {1};
  entries[2].key = u64s({3});
  entries[2].buckets = {0, 0, 0, 3};
  auto order = print_order(info, entries, 0);
  EXPECT_EQ(order[0], &entries[1]);
  EXPECT_EQ(order[1], &entries[2]);
  EXPECT_EQ(order[2], &entries[0]);
}

TEST(CompareKeys, TuplesFieldByField) {
  const Type key = make_tuple_type({make_int(4, true), make_string(4)});
  std::vector<uint8_t> a(key.size, 0), b(key.size, 0);
  int32_t x = -1, y = 1;
  std::memcpy(a.data(), &x, 4);
  std::memcpy(b.data(), &y, 4);
  EXPECT_LT(compare_keys(key, a.data(), b.data()), 0);
  std::memcpy(a.data(), &y, 4);
  a[4] = 'b';
  b[4] = 'a';
  b[5] = 'z';
  EXPECT_GT(compare_keys(key, a.data(), b.data()), 0);
  b[4] = 'b';
  b[5] = 0;
  EXPECT_EQ(compare_keys(key, a.data(), b.data()), 0);
}

TEST(HistogramRows, TrimsEmptyEndsAndDivides) {
  Type h = make_aggregation(TypeKind::Hist, false);
  EXPECT_TRUE(histogram_rows(h, {}, 1).empty());
  EXPECT_TRUE(histogram_rows(h, {0, 0, 0}, 1).empty());
  const auto rows = histogram_rows(h, {0, 0, 4, 0, 6, 0, 0}, 2);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].label, "[1]");
  EXPECT_EQ(rows[0].count, 2u);
  EXPECT_EQ(rows[1].label, "[2, 4)");
  EXPECT_EQ(rows[1].count, 0u);
  EXPECT_EQ(rows[2].label, "[4, 8)");
  EXPECT_EQ(rows[2].count, 3u);
  EXPECT_EQ(rows[2].range.min, 4);
  EXPECT_EQ(rows[2].range.max, 7);

  Type l = make_aggregation(TypeKind::Lhist, false);
  l.lhist_min = 0;
  l.lhist_max = 100;
  l.lhist_step = 10;
  const auto lrows = histogram_rows(l, {3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8}, 2);
  ASSERT_EQ(lrows.size(), 12u);
  EXPECT_EQ(lrows.front().label, "(..., 0)");
  EXPECT_EQ(lrows.front().count, 3u); // lhist ignores the divisor, as bpftrace
  EXPECT_EQ(lrows.back().label, "[100, ...)");
}

} // namespace
} // namespace scry
