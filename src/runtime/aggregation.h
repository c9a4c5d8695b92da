// Aggregations in user space: merging the per-CPU copies of a map value, the hist() and lhist()
// bucket functions and labels, decoding aggregated values as numbers, and the order in which a
// map's entries print. The bucket functions are the reference for the BPF side: codegen must put
// every value in the bucket these functions return.
//
// Upstream sources (bpftrace master, read in 2026): the log2 and linear bucket functions are
// createLog2Function / createLinearFunction in src/ast/passes/codegen_llvm.cpp; the labels and the
// print order are hist_index_label, lhist_index_label, build_histogram, build_linear_histogram
// and format() in src/types_format.cpp; the text layout of a bucket row is src/output/text.cpp.
#pragma once

#include "base/types.h"
#include "runtime/output.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scry {

// --- hist(n[, k])
// ---------------------------------------------------------------------------------

/// The largest k hist(n, k) accepts: 2^5 = 32 sub-buckets per power of two.
inline constexpr int kHistMaxBits = 5;

/// The bucket of `value` in hist(value, k), 0 <= k <= kHistMaxBits. With N = 2^k:
///
///   value < 0                  -> 0                                       label "(..., 0)"
///   0 <= value < 2N            -> value + 1                               label "[value]"
///   value >= 2N                -> ((s + 1) << k) + ((value >> s) & (N - 1)) + 1,
///                                 where l = floor(log2(value)) and s = l - k
///
/// so each power of two [2^l, 2^(l+1)) at or above 2N is cut into N buckets of width 2^s, and
/// below 2N every value has its own bucket. For k = 0 (plain hist(n)): -1 -> 0, 0 -> 1, 1 -> 2,
/// 2..3 -> 3, 4..7 -> 4, 2^m..2^(m+1)-1 -> m + 2, INT64_MAX -> 64. For k = 3: 0..15 -> 1..16,
/// 16..17 -> 17, 18..19 -> 18, ..., 30..31 -> 24, 32..35 -> 25. The largest index, that of
/// INT64_MAX, is (64 - k) << k (64, 126, 248, 488, 960, 1888 for k = 0..5).
/// The same mapping as upstream's log2() with its `k` argument (bpftrace 0.20 and later); for
/// k = 0 it is also bpftrace 0.17's hist() on values below 2^32.
uint64_t hist_bucket(int64_t value, int k);

/// How many bucket indices hist(n, k) can produce: hist_bucket(INT64_MAX, k) + 1.
uint64_t hist_bucket_count(int k);

/// A bucket's values as an inclusive range: min <= v <= max. An open end has no value: the
/// negative bucket of hist() and the underflow bucket of lhist() have no `min`, the overflow
/// bucket of lhist() has no `max`. These are the "min" and "max" of bpftrace's JSON buckets.
struct BucketRange {
  std::optional<int64_t> min;
  std::optional<int64_t> max;
};

/// The values hist(n, k) puts in bucket `index`: index 0 is (-inf, -1], index 1..2N is the
/// single value index - 1, above that [lower, upper - 1] with upper = 2^((index >> k) - 1) *
/// (N + (index & (N - 1))) and lower = the upper of index - 1.
BucketRange hist_bucket_range(uint64_t index, int k);

/// bpftrace's text label of hist bucket `index`: "(..., 0)", "[0]", "[1]", "[2, 4)", "[4, 8)",
/// "[512, 1K)", "[1K, 2K)", "[1M, 2M)". Single-value buckets (index <= 2N) print as "[v]", the
/// others as "[a, b)" where a and b are written with the largest power-of-1024 suffix
/// (K, M, G, T, P, E) of the power of two they are built on: for k = 2 the buckets after
/// [2048, 2560) are "[3584, 4K)", "[4K, 5K)", "[5K, 6K)".
std::string hist_bucket_label(uint64_t index, int k);

// --- lhist(n, min, max, step)
// ---------------------------------------------------------------------

/// The bucket of `value` in lhist(value, min, max, step), for step > 0 and min < max (sema's
/// job). With B = (max - min) / step (integer division):
///
///   value < min                      -> 0                          label "(..., min)"
///   value > max                      -> B + 1
///   min <= value <= max              -> 1 + (value - min) / step
///
/// Index i in 1..B holds [min + (i-1)*step, min + i*step); index B + 1 holds every value from
/// min + B*step up (label "[min + B*step, ...)", which is "[max, ...)" when step divides
/// max - min). Example lhist(v, 0, 100, 10): -1 -> 0, 0..9 -> 1, 90..99 -> 10, 100 and above ->
/// 11. Example lhist(v, 0, 95, 10): 80..89 -> 9, 90 and above -> 10.
uint64_t lhist_bucket(int64_t value, int64_t min, int64_t max, int64_t step);

/// How many bucket indices lhist(n, min, max, step) can produce: B + 2.
uint64_t lhist_bucket_count(int64_t min, int64_t max, int64_t step);

/// The values lhist puts in bucket `index` (see lhist_bucket).
BucketRange lhist_bucket_range(uint64_t index, int64_t min, int64_t max, int64_t step);

/// bpftrace's text label of lhist bucket `index`: "(..., 0)", "[0, 10)", "[100, ...)". A bucket
/// one value wide (step 1) prints as "[5]". When step is a multiple of 1024, bounds that are
/// multiples of 1024 (or 1024^2) print with a K (or M) suffix: "[2K, 3K)", "[8K, ...)".
std::string lhist_bucket_label(uint64_t index, int64_t min, int64_t max, int64_t step);

// --- Merging and decoding
// ---------------------------------------------------------------------------

/// Merges the per-CPU copies of one value into one value of the same layout. `percpu` holds
/// `ncpus` copies, `stride` bytes apart (the kernel gives each CPU round_up(value size, 8) bytes).
///   Count, Sum, Hist, Lhist (one bucket's u64 count), Integer: the sum (wrapping).
///   Min, Max ({ i64 value; u64 valid }): the minimum or maximum over the CPUs with valid != 0;
///     valid = 1 if any CPU had one, else the result is { 0, 0 } (bpftrace prints it as 0).
///   Avg, Stats ({ i64 total; u64 count }): both fields summed.
///   Any other type: CPU 0's copy.
/// Comparisons follow Type::is_signed (a min/max of unsigned values compares them unsigned).
std::vector<uint8_t> merge_per_cpu(const Type &type, const uint8_t *percpu, int ncpus,
                                   size_t stride);

/// A 64-bit integer that knows its signedness: what an aggregated or integer value prints as.
struct Number {
  uint64_t bits = 0;
  bool is_signed = false;

  int64_t as_signed() const { return static_cast<int64_t>(bits); }
  /// Division as bpftrace does it: signed values divide as int64 (rounding toward zero).
  /// `div` 0 is taken as 1.
  Number divided(uint64_t div) const;
  std::string to_string() const;
  /// Numeric order (a negative signed value is below every unsigned one).
  bool operator<(const Number &other) const;
};

/// Count, average and total of a merged Avg or Stats value ({ i64 total; u64 count }). The
/// average is total / count in integer division, signed unless the type is unsigned, and 0
/// when count is 0.
struct StatsValue {
  Number count, average, total;
};
StatsValue stats_value(const Type &type, const uint8_t *data);

/// The number a merged aggregation value or an integer prints as: Count, Sum, Min, Max, the
/// average of Avg and Stats, Integer (any size), Boolean (0 or 1), Pointer. Not for other types.
Number value_number(const Type &type, const uint8_t *data);

/// True for the value types whose maps print sorted by value (value_number() applies).
bool sorts_by_value(const Type &type);

// --- Print order
// ----------------------------------------------------------------------------------

/// Orders `a` and `b`, two keys laid out as `key`, as bpftrace sorts map keys: integers
/// numerically (following is_signed), strings byte by byte up to their NUL, tuples field by
/// field; other types byte by byte. Returns <0, 0 or >0.
int compare_keys(const Type &key, const uint8_t *a, const uint8_t *b);

/// The entries in the order bpftrace prints them, after `top`:
///   - Hist and Lhist maps: ascending by the sum of their bucket counts;
///   - Count, Sum, Min, Max, Avg, Stats and integer values: ascending by value (Avg and Stats by
///     their average), so the largest prints last;
///   - any other value: ascending by key.
/// Ties are broken by key, so the order is deterministic (bpftrace leaves ties in the kernel's
/// hash order). top > 0 keeps only the last `top` entries (the largest), as print(@m, top) does.
std::vector<const MapEntry *> print_order(const MapInfo &info, const std::vector<MapEntry> &entries,
                                          uint64_t top);

// --- tseries(value, interval, intervals[, agg])
// ---------------------------------------------------------------------------------

/// The interval one tseries slot holds, from its per-CPU copies ({ i64 value; i64 meta; u64
/// epoch } each, `stride` bytes apart), as bpftrace's reduce_tseries_value: copies with epoch 0
/// were never written; of the others only those of the newest epoch count, combined as the
/// aggregation says (None: the one written last, by meta; Sum: added; Min, Max: over the copies
/// set; Avg: total / count in integer division, signed unless the value is unsigned). Nullopt
/// when no copy was written.
std::optional<TseriesPoint> merge_tseries_slot(const Type &type, const uint8_t *percpu, int ncpus,
                                               size_t stride);

/// One printed row of a tseries: the interval's start (nanoseconds since the Unix epoch, TAI, as
/// bpftrace prints them) and its value, or none for an interval no value was written in.
struct TseriesRow {
  uint64_t start_ns = 0;
  std::optional<Number> value;
};

/// The rows each of `series` prints, as bpftrace's tseries format(): the window is the
/// `type.tseries_intervals` intervals ending at the newest interval of any of them; a series'
/// rows run from its first interval in the window to the window's end (one empty row when it has
/// none in it). No rows at all when no series holds an interval.
std::vector<std::vector<TseriesRow>>
tseries_rows(const Type &type, const std::vector<const std::vector<TseriesPoint> *> &series);

/// One printed row of a histogram.
struct HistRow {
  std::string label; // bpftrace's text label, e.g. "[2, 4)"
  BucketRange range; // the bucket's values, for JSON
  uint64_t count = 0;
};

/// The rows a hist or lhist prints: one per bucket from the first non-empty bucket to the last
/// (empty buckets in between print with count 0; none at all when every bucket is empty).
/// `value` is the map's value type (Hist with hist_bits, or Lhist with its bounds); `buckets`
/// holds the merged count per bucket index. A hist's counts are divided by `div` (0 or 1 = as
/// they are); an lhist ignores `div`, as bpftrace does.
std::vector<HistRow> histogram_rows(const Type &value, const std::vector<uint64_t> &buckets,
                                    uint64_t div);

} // namespace scry
