#include "runtime/aggregation.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <numeric>

namespace scry {

namespace {

uint64_t load_u64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void store_u64(uint8_t *p, uint64_t v) {
  std::memcpy(p, &v, sizeof v);
}

/// An integer of `size` bytes (1, 2, 4 or 8), sign- or zero-extended to 64 bits.
uint64_t load_int(const uint8_t *p, uint32_t size, bool is_signed) {
  switch (size) {
  case 1: {
    uint8_t v = p[0];
    return is_signed ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(v))) : v;
  }
  case 2: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return is_signed ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(v))) : v;
  }
  case 4: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return is_signed ? static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))) : v;
  }
  default:
    return size >= 8 ? load_u64(p) : 0;
  }
}

void store_int(uint8_t *p, uint32_t size, uint64_t v) {
  std::memcpy(p, &v, std::min<uint32_t>(size, 8)); // little-endian: the low bytes come first
}

// --- hist ---

/// The exclusive upper bound of hist bucket `index` >= 1, saturated at UINT64_MAX for indices
/// past the last one (which no value maps to).
uint64_t hist_upper(uint64_t index, int k) {
  const uint64_t n = uint64_t{1} << k;
  if (index < n)
    return index;
  const uint64_t power = (index >> k) - 1;
  const unsigned __int128 upper =
      (static_cast<unsigned __int128>(1) << std::min<uint64_t>(power, 100)) *
      (n + (index & (n - 1)));
  return upper > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(upper);
}

/// How bpftrace writes the bound hist_upper(index): plain up to 2N, else with the suffix of the
/// power of 1024 below the power of two the bucket is built on.
std::string hist_bound_text(uint64_t index, int k) {
  const uint64_t n = uint64_t{1} << k;
  if (index <= 2 * n)
    return std::to_string(index);
  uint64_t power = (index >> k) - 1;
  const uint64_t decade = std::min<uint64_t>(power / 10, 6);
  power -= 10 * decade;
  static const char *const suffixes[] = {"", "K", "M", "G", "T", "P", "E"};
  const unsigned __int128 value =
      (static_cast<unsigned __int128>(1) << std::min<uint64_t>(power, 100)) *
      (n + (index & (n - 1)));
  const uint64_t shown = value > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(value);
  return std::to_string(shown) + suffixes[decade];
}

int64_t to_i64_saturated(uint64_t v) {
  return v > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(v);
}

// --- lhist ---

/// B = (max - min) / step, the number of in-range buckets; 0 for invalid arguments.
uint64_t lhist_in_range_buckets(int64_t min, int64_t max, int64_t step) {
  if (step <= 0 || max < min)
    return 0;
  return (static_cast<uint64_t>(max) - static_cast<uint64_t>(min)) / static_cast<uint64_t>(step);
}

/// min + i * step, saturated to the int64 range.
int64_t lhist_bound(int64_t min, int64_t step, uint64_t i) {
  const __int128 v = static_cast<__int128>(min) + static_cast<__int128>(step) * i;
  if (v > INT64_MAX)
    return INT64_MAX;
  if (v < INT64_MIN)
    return INT64_MIN;
  return static_cast<int64_t>(v);
}

/// How bpftrace writes an lhist bound: K and M suffixes only when step is a multiple of 1024.
std::string lhist_bound_text(int64_t value, int64_t step) {
  constexpr int64_t kilo = 1024, mega = 1024 * 1024;
  if (step % kilo != 0 || value == 0)
    return std::to_string(value);
  if (value % mega == 0)
    return std::to_string(value / mega) + "M";
  if (value % kilo == 0)
    return std::to_string(value / kilo) + "K";
  return std::to_string(value);
}

// --- keys ---

int compare_numbers(uint64_t a, uint64_t b, bool is_signed) {
  if (is_signed) {
    const auto sa = static_cast<int64_t>(a), sb = static_cast<int64_t>(b);
    return sa < sb ? -1 : (sa > sb ? 1 : 0);
  }
  return a < b ? -1 : (a > b ? 1 : 0);
}

int compare_bytes(const uint8_t *a, const uint8_t *b, size_t size) {
  const int c = size ? std::memcmp(a, b, size) : 0;
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

} // namespace

uint64_t hist_bucket(int64_t value, int k) {
  assert(k >= 0 && k <= kHistMaxBits);
  k = std::clamp(k, 0, kHistMaxBits);
  if (value < 0)
    return 0;
  const auto v = static_cast<uint64_t>(value);
  const uint64_t n = uint64_t{1} << k;
  if (v < 2 * n)
    return v + 1;
  const int l = 63 - __builtin_clzll(v); // floor(log2(v)) >= k + 1
  const int s = l - k;
  return (static_cast<uint64_t>(s + 1) << k) + ((v >> s) & (n - 1)) + 1;
}

uint64_t hist_bucket_count(int k) {
  k = std::clamp(k, 0, kHistMaxBits);
  return (static_cast<uint64_t>(64 - k) << k) + 1;
}

BucketRange hist_bucket_range(uint64_t index, int k) {
  k = std::clamp(k, 0, kHistMaxBits);
  if (index == 0)
    return {std::nullopt, -1};
  const uint64_t lower = index == 1 ? 0 : hist_upper(index - 1, k);
  const uint64_t upper = hist_upper(index, k);
  return {to_i64_saturated(lower), to_i64_saturated(upper - 1)};
}

std::string hist_bucket_label(uint64_t index, int k) {
  k = std::clamp(k, 0, kHistMaxBits);
  const uint64_t n = uint64_t{1} << k;
  if (index == 0)
    return "(..., 0)";
  if (index <= 2 * n)
    return "[" + std::to_string(index - 1) + "]";
  return "[" + hist_bound_text(index - 1, k) + ", " + hist_bound_text(index, k) + ")";
}

uint64_t lhist_bucket(int64_t value, int64_t min, int64_t max, int64_t step) {
  assert(step > 0 && min < max);
  const uint64_t b = lhist_in_range_buckets(min, max, step);
  if (step <= 0 || value < min)
    return 0;
  if (value > max)
    return b + 1;
  return 1 +
         (static_cast<uint64_t>(value) - static_cast<uint64_t>(min)) / static_cast<uint64_t>(step);
}

uint64_t lhist_bucket_count(int64_t min, int64_t max, int64_t step) {
  return lhist_in_range_buckets(min, max, step) + 2;
}

BucketRange lhist_bucket_range(uint64_t index, int64_t min, int64_t max, int64_t step) {
  const uint64_t b = lhist_in_range_buckets(min, max, step);
  if (index == 0)
    return {std::nullopt, min == INT64_MIN ? INT64_MIN : min - 1};
  if (index > b)
    return {lhist_bound(min, step, b), std::nullopt};
  const int64_t upper = lhist_bound(min, step, index);
  return {lhist_bound(min, step, index - 1), upper == INT64_MIN ? INT64_MIN : upper - 1};
}

std::string lhist_bucket_label(uint64_t index, int64_t min, int64_t max, int64_t step) {
  const uint64_t b = lhist_in_range_buckets(min, max, step);
  if (index == 0)
    return "(..., " + lhist_bound_text(min, step) + ")";
  if (index > b)
    return "[" + lhist_bound_text(lhist_bound(min, step, b), step) + ", ...)";
  const int64_t lower = lhist_bound(min, step, index - 1);
  // bpftrace prints "[v]" when the two bounds are adjacent plain integers (step 1).
  if (step == 1)
    return "[" + std::to_string(lower) + "]";
  return "[" + lhist_bound_text(lower, step) + ", " +
         lhist_bound_text(lhist_bound(min, step, index), step) + ")";
}

std::vector<uint8_t> merge_per_cpu(const Type &type, const uint8_t *percpu, int ncpus,
                                   size_t stride) {
  const size_t size = type.size;
  std::vector<uint8_t> out(size, 0);
  if (ncpus <= 0 || stride < size)
    return out;
  switch (type.kind) {
  case TypeKind::Count:
  case TypeKind::Sum:
  case TypeKind::Hist:
  case TypeKind::Lhist: {
    uint64_t sum = 0;
    for (int cpu = 0; cpu < ncpus; ++cpu)
      sum += load_u64(percpu + cpu * stride);
    store_u64(out.data(), sum);
    break;
  }
  case TypeKind::Integer: {
    uint64_t sum = 0;
    for (int cpu = 0; cpu < ncpus; ++cpu)
      sum += load_int(percpu + cpu * stride, type.size, type.is_signed);
    store_int(out.data(), type.size, sum);
    break;
  }
  case TypeKind::Min:
  case TypeKind::Max: {
    const bool is_max = type.kind == TypeKind::Max;
    bool any = false;
    uint64_t best = 0;
    for (int cpu = 0; cpu < ncpus; ++cpu) {
      const uint8_t *p = percpu + cpu * stride;
      if (load_u64(p + 8) == 0)
        continue;
      const uint64_t v = load_u64(p);
      const int c = compare_numbers(v, best, type.is_signed);
      if (!any || (is_max ? c > 0 : c < 0))
        best = v;
      any = true;
    }
    store_u64(out.data(), any ? best : 0);
    store_u64(out.data() + 8, any ? 1 : 0);
    break;
  }
  case TypeKind::Avg:
  case TypeKind::Stats: {
    uint64_t total = 0, count = 0;
    for (int cpu = 0; cpu < ncpus; ++cpu) {
      total += load_u64(percpu + cpu * stride);
      count += load_u64(percpu + cpu * stride + 8);
    }
    store_u64(out.data(), total);
    store_u64(out.data() + 8, count);
    break;
  }
  default:
    std::memcpy(out.data(), percpu, size);
    break;
  }
  return out;
}

Number Number::divided(uint64_t div) const {
  if (div <= 1)
    return *this;
  if (is_signed)
    return {static_cast<uint64_t>(as_signed() / static_cast<int64_t>(div)), true};
  return {bits / div, false};
}

std::string Number::to_string() const {
  return is_signed ? std::to_string(as_signed()) : std::to_string(bits);
}

bool Number::operator<(const Number &o) const {
  const bool neg = is_signed && as_signed() < 0;
  const bool other_neg = o.is_signed && o.as_signed() < 0;
  if (neg != other_neg)
    return neg;
  if (neg) // both negative, both signed
    return as_signed() < o.as_signed();
  return bits < o.bits;
}

StatsValue stats_value(const Type &type, const uint8_t *data) {
  const uint64_t total = load_u64(data), count = load_u64(data + 8);
  StatsValue s;
  s.count = {count, false};
  s.total = {total, type.is_signed};
  if (count == 0)
    s.average = {0, type.is_signed};
  else if (type.is_signed)
    s.average = {static_cast<uint64_t>(static_cast<int64_t>(total) / static_cast<int64_t>(count)),
                 true};
  else
    s.average = {total / count, false};
  return s;
}

Number value_number(const Type &type, const uint8_t *data) {
  switch (type.kind) {
  case TypeKind::Integer:
    return {load_int(data, type.size, type.is_signed), type.is_signed};
  case TypeKind::Boolean:
    return {data[0] != 0 ? 1u : 0u, false};
  case TypeKind::Pointer:
  case TypeKind::Count:
  case TypeKind::Stack:
  case TypeKind::Timestamp:
  case TypeKind::Username:
  case TypeKind::CgroupPath:
    return {load_u64(data), false};
  case TypeKind::Sum:
  case TypeKind::Min:
  case TypeKind::Max:
    return {load_u64(data), type.is_signed};
  case TypeKind::Avg:
  case TypeKind::Stats:
    return stats_value(type, data).average;
  default:
    return {};
  }
}

bool sorts_by_value(const Type &type) {
  switch (type.kind) {
  case TypeKind::Count:
  case TypeKind::Sum:
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
  case TypeKind::Stats:
  case TypeKind::Integer:
    return true;
  default:
    return false;
  }
}

int compare_keys(const Type &key, const uint8_t *a, const uint8_t *b) {
  switch (key.kind) {
  case TypeKind::Integer:
    return compare_numbers(load_int(a, key.size, key.is_signed),
                           load_int(b, key.size, key.is_signed), key.is_signed);
  case TypeKind::String: {
    for (uint32_t i = 0; i < key.size; ++i) {
      if (a[i] != b[i])
        return a[i] < b[i] ? -1 : 1;
      if (a[i] == 0)
        return 0;
    }
    return 0;
  }
  case TypeKind::Tuple:
  case TypeKind::Record:
    if (key.fields) {
      for (const Field &f : *key.fields) {
        const int c = compare_keys(*f.type, a + f.offset, b + f.offset);
        if (c != 0)
          return c;
      }
      return 0;
    }
    return compare_bytes(a, b, key.size);
  case TypeKind::Array:
    if (key.elem && key.elem->size > 0) {
      for (uint32_t i = 0; i < key.count; ++i) {
        const size_t off = static_cast<size_t>(i) * key.elem->size;
        const int c = compare_keys(*key.elem, a + off, b + off);
        if (c != 0)
          return c;
      }
      return 0;
    }
    return compare_bytes(a, b, key.size);
  default:
    return compare_bytes(a, b, key.size);
  }
}

std::vector<const MapEntry *> print_order(const MapInfo &info, const std::vector<MapEntry> &entries,
                                          uint64_t top) {
  const Type &value = info.value;
  const bool is_hist = value.is(TypeKind::Hist) || value.is(TypeKind::Lhist);
  const bool by_value = !is_hist && sorts_by_value(value);
  const bool has_key = !info.key.is(TypeKind::None) && info.key.size > 0;

  struct Item {
    const MapEntry *entry;
    Number metric;
  };
  std::vector<Item> items;
  items.reserve(entries.size());
  for (const MapEntry &e : entries) {
    Number metric;
    if (is_hist)
      metric = {std::accumulate(e.buckets.begin(), e.buckets.end(), uint64_t{0}), false};
    else if (by_value && e.value.size() >= value.size)
      metric = value_number(value, e.value.data());
    items.push_back({&e, metric});
  }

  auto key_cmp = [&](const MapEntry *a, const MapEntry *b) {
    if (!has_key || a->key.size() < info.key.size || b->key.size() < info.key.size)
      return 0;
    return compare_keys(info.key, a->key.data(), b->key.data());
  };
  std::stable_sort(items.begin(), items.end(), [&](const Item &a, const Item &b) {
    if (is_hist || by_value) {
      if (a.metric < b.metric)
        return true;
      if (b.metric < a.metric)
        return false;
    }
    return key_cmp(a.entry, b.entry) < 0;
  });

  size_t skip = 0;
  if (top > 0 && items.size() > top)
    skip = items.size() - top;
  std::vector<const MapEntry *> out;
  out.reserve(items.size() - skip);
  for (size_t i = skip; i < items.size(); ++i)
    out.push_back(items[i].entry);
  return out;
}

std::optional<TseriesPoint> merge_tseries_slot(const Type &type, const uint8_t *percpu, int ncpus,
                                               size_t stride) {
  uint64_t newest = 0;
  for (int c = 0; c < ncpus; ++c)
    newest = std::max(newest, load_u64(percpu + static_cast<size_t>(c) * stride + 16));
  if (newest == 0)
    return std::nullopt;
  bool any = false;
  uint64_t value = 0, meta = 0;
  for (int c = 0; c < ncpus; ++c) {
    const uint8_t *p = percpu + static_cast<size_t>(c) * stride;
    if (load_u64(p + 16) != newest)
      continue;
    const uint64_t v = load_u64(p), m = load_u64(p + 8);
    const Number nv{v, type.is_signed}, cur{value, type.is_signed};
    switch (type.tseries_agg) {
    case TseriesAgg::None: // the copy written last: meta is the time of the write
      if (!any || m > meta)
        value = v, meta = m;
      break;
    case TseriesAgg::Sum:
      value += v;
      break;
    case TseriesAgg::Avg:
      value += v;
      meta += m;
      break;
    case TseriesAgg::Min:
    case TseriesAgg::Max:
      if (m != 0 && (meta == 0 || (type.tseries_agg == TseriesAgg::Min ? nv < cur : cur < nv)))
        value = v, meta = 1;
      break;
    }
    any = true;
  }
  if (type.tseries_agg == TseriesAgg::Avg)
    value = meta == 0 ? 0 : Number{value, type.is_signed}.divided(meta).bits;
  return TseriesPoint{newest, value};
}

std::vector<std::vector<TseriesRow>>
tseries_rows(const Type &type, const std::vector<const std::vector<TseriesPoint> *> &series) {
  std::vector<std::vector<TseriesRow>> out(series.size());
  uint64_t last = 0;
  for (const auto *s : series)
    for (const TseriesPoint &p : *s)
      last = std::max(last, p.epoch);
  if (last == 0)
    return out;
  const uint64_t intervals = static_cast<uint64_t>(std::max<int64_t>(type.tseries_intervals, 1));
  const uint64_t first = last >= intervals ? last - intervals + 1 : 0;
  const uint64_t interval_ns = static_cast<uint64_t>(type.tseries_interval_ns);
  for (size_t i = 0; i < series.size(); ++i) {
    uint64_t start = last;
    for (const TseriesPoint &p : *series[i])
      if (p.epoch >= first)
        start = std::min(start, p.epoch);
    for (uint64_t e = start; e <= last; ++e) {
      TseriesRow row{e * interval_ns, std::nullopt};
      for (const TseriesPoint &p : *series[i])
        if (p.epoch == e)
          row.value = Number{p.bits, type.is_signed};
      out[i].push_back(row);
    }
  }
  return out;
}

std::vector<HistRow> histogram_rows(const Type &value, const std::vector<uint64_t> &buckets,
                                    uint64_t div) {
  std::vector<HistRow> rows;
  const auto first = std::find_if(buckets.begin(), buckets.end(), [](uint64_t c) { return c; });
  if (first == buckets.end())
    return rows;
  const auto last = std::find_if(buckets.rbegin(), buckets.rend(), [](uint64_t c) { return c; });
  const auto lo = static_cast<uint64_t>(first - buckets.begin());
  const auto hi = static_cast<uint64_t>(buckets.rend() - last) - 1;
  const bool is_hist = value.is(TypeKind::Hist);
  const int k = static_cast<int>(std::clamp<int64_t>(value.hist_bits, 0, kHistMaxBits));
  if (div == 0)
    div = 1;
  for (uint64_t i = lo; i <= hi; ++i) {
    HistRow row;
    if (is_hist) {
      row.label = hist_bucket_label(i, k);
      row.range = hist_bucket_range(i, k);
      row.count = buckets[i] / div;
    } else {
      row.label = lhist_bucket_label(i, value.lhist_min, value.lhist_max, value.lhist_step);
      row.range = lhist_bucket_range(i, value.lhist_min, value.lhist_max, value.lhist_step);
      row.count = buckets[i];
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace scry
