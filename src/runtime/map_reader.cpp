#include "runtime/map_reader.h"

#include "runtime/aggregation.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <linux/bpf.h>
#include <map>
#include <set>

namespace scry {

namespace {

/// The kernel's "operation not supported" (not in errno.h); old kernels answer batch
/// operations on some map types with it.
constexpr int kENOTSUPP = 524;

/// Largest bucket index accepted from a hist/lhist key; anything above is corrupt data.
constexpr uint64_t kMaxBucketIndex = uint64_t{1} << 22;

/// How many entries one BPF_MAP_LOOKUP_BATCH call asks for at first.
constexpr uint32_t kBatchEntries = 4096;

size_t round_up8(size_t n) {
  return (n + 7) / 8 * 8;
}

/// What the kernel says about the map, and how a lookup's value is laid out.
struct Shape {
  uint32_t type = 0;
  uint32_t key_size = 0;
  uint32_t value_size = 0; // per CPU for per-CPU maps
  uint32_t max_entries = 0;
  bool per_cpu = false;
  bool is_array = false;  // BPF_MAP_TYPE_ARRAY or PERCPU_ARRAY: keys are u32 indices
  size_t stride = 0;      // bytes between two CPUs' copies
  size_t lookup_size = 0; // bytes one lookup writes
};

bool has_buckets(const MapInfo &info) {
  return info.has_bucket_key || info.value.is(TypeKind::Hist) || info.value.is(TypeKind::Lhist);
}

uint32_t user_key_size(const MapInfo &info) {
  return info.key.is(TypeKind::None) ? 0 : info.key.size;
}

std::string failure(const MapInfo &info, const char *what, int err) {
  return fmt::format("map '{}': {}: {}", info.name, what, std::strerror(err < 0 ? -err : err));
}

bool get_shape(int fd, const MapInfo &info, int ncpus, Shape &shape, std::string &error) {
  bpf_map_info kinfo{};
  uint32_t len = sizeof kinfo;
  if (int r = bpf_obj_get_info_by_fd(fd, &kinfo, &len); r != 0) {
    error = failure(info, "bpf_obj_get_info_by_fd", r);
    return false;
  }
  shape.type = kinfo.type;
  shape.key_size = kinfo.key_size;
  shape.value_size = kinfo.value_size;
  shape.max_entries = kinfo.max_entries;
  shape.per_cpu = kinfo.type == BPF_MAP_TYPE_PERCPU_HASH ||
                  kinfo.type == BPF_MAP_TYPE_PERCPU_ARRAY ||
                  kinfo.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  shape.is_array = kinfo.type == BPF_MAP_TYPE_ARRAY || kinfo.type == BPF_MAP_TYPE_PERCPU_ARRAY;
  if (shape.per_cpu && ncpus <= 0) {
    error = fmt::format("map '{}': invalid number of possible CPUs ({})", info.name, ncpus);
    return false;
  }
  shape.stride = shape.per_cpu ? round_up8(shape.value_size) : shape.value_size;
  shape.lookup_size = shape.per_cpu ? shape.stride * static_cast<size_t>(ncpus) : shape.stride;

  // The layout the formatters expect must fit in what the kernel holds.
  const uint32_t need_key = has_buckets(info)
                                ? static_cast<uint32_t>(round_up8(user_key_size(info))) + 8
                            : info.is_array ? 4
                                            : user_key_size(info);
  const uint32_t need_value = info.value.is(TypeKind::Tseries) ? 24
                              : has_buckets(info)              ? 8
                                                               : info.value.size;
  if ((info.bpf_key_size != 0 && info.bpf_key_size != shape.key_size) ||
      shape.key_size < need_key) {
    error = fmt::format("map '{}': key size {} in the kernel, expected {}", info.name,
                        shape.key_size, info.bpf_key_size ? info.bpf_key_size : need_key);
    return false;
  }
  if ((info.bpf_value_size != 0 && info.bpf_value_size != shape.value_size) ||
      shape.value_size < need_value) {
    error = fmt::format("map '{}': value size {} in the kernel, expected {}", info.name,
                        shape.value_size, info.bpf_value_size ? info.bpf_value_size : need_value);
    return false;
  }
  return true;
}

using EntryFn = std::function<void(const uint8_t *key, const uint8_t *value)>;

/// Collects every key with bpf_map_get_next_key. A key deleted under our feet makes the kernel
/// restart from the first key, so keys are deduplicated and the walk is bounded.
bool collect_keys(int fd, const MapInfo &info, const Shape &shape,
                  std::vector<std::vector<uint8_t>> &keys, std::string &error) {
  std::set<std::vector<uint8_t>> seen;
  std::vector<uint8_t> current(shape.key_size), next(shape.key_size);
  const uint64_t limit = 2 * static_cast<uint64_t>(shape.max_entries) + 64;
  int r = bpf_map_get_next_key(fd, nullptr, next.data());
  for (uint64_t steps = 0; r == 0 && steps < limit; ++steps) {
    if (seen.insert(next).second)
      keys.push_back(next);
    current.swap(next);
    r = bpf_map_get_next_key(fd, current.data(), next.data());
  }
  if (r != 0 && r != -ENOENT) {
    error = failure(info, "bpf_map_get_next_key", r);
    return false;
  }
  return true;
}

bool walk_key_by_key(int fd, const MapInfo &info, const Shape &shape, const EntryFn &fn,
                     std::string &error) {
  std::vector<std::vector<uint8_t>> keys;
  if (!collect_keys(fd, info, shape, keys, error))
    return false;
  std::vector<uint8_t> value(shape.lookup_size);
  for (const auto &key : keys) {
    const int r = bpf_map_lookup_elem(fd, key.data(), value.data());
    if (r == -ENOENT)
      continue; // deleted since we saw its key
    if (r != 0) {
      error = failure(info, "bpf_map_lookup_elem", r);
      return false;
    }
    fn(key.data(), value.data());
  }
  return true;
}

/// Walks the map with BPF_MAP_LOOKUP_BATCH. Sets `unsupported` (and returns false) when the
/// kernel does not offer it for this map before anything was read.
bool walk_batch(int fd, const MapInfo &info, const Shape &shape, const EntryFn &fn,
                std::string &error, bool &unsupported) {
  unsupported = false;
  // The batch token is opaque; hash maps use a u32 bucket, arrays a key.
  std::vector<uint8_t> in_batch(std::max<size_t>(shape.key_size, 8));
  std::vector<uint8_t> out_batch(in_batch.size());
  uint32_t chunk = std::clamp<uint32_t>(shape.max_entries, 1, kBatchEntries);
  std::vector<uint8_t> keys, values;
  bool first = true;
  for (;;) {
    keys.resize(static_cast<size_t>(chunk) * shape.key_size);
    values.resize(static_cast<size_t>(chunk) * shape.lookup_size);
    uint32_t count = chunk;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    const int r = bpf_map_lookup_batch(fd, first ? nullptr : in_batch.data(), out_batch.data(),
                                       keys.data(), values.data(), &count, &opts);
    const bool done = r == -ENOENT;
    if (r != 0 && !done) {
      if (r == -ENOSPC && chunk < shape.max_entries) {
        chunk = std::min(chunk * 2, shape.max_entries); // one hash bucket holds more than chunk
        continue;
      }
      if (first && (r == -EINVAL || r == -EOPNOTSUPP || r == -kENOTSUPP)) {
        unsupported = true;
        return false;
      }
      error = failure(info, "bpf_map_lookup_batch", r);
      return false;
    }
    for (uint32_t i = 0; i < count; ++i)
      fn(keys.data() + static_cast<size_t>(i) * shape.key_size,
         values.data() + static_cast<size_t>(i) * shape.lookup_size);
    if (done)
      return true;
    in_batch.swap(out_batch);
    first = false;
  }
}

bool walk(int fd, const MapInfo &info, const Shape &shape, MapReadMethod method, const EntryFn &fn,
          std::string &error) {
  if (info.is_array) {
    // A map without keys: one entry at index 0.
    std::vector<uint8_t> key(shape.key_size, 0), value(shape.lookup_size);
    const int r = bpf_map_lookup_elem(fd, key.data(), value.data());
    if (r == -ENOENT)
      return true;
    if (r != 0) {
      error = failure(info, "bpf_map_lookup_elem", r);
      return false;
    }
    fn(key.data(), value.data());
    return true;
  }
  if (method != MapReadMethod::KeyByKey) {
    bool unsupported = false;
    if (walk_batch(fd, info, shape, fn, error, unsupported))
      return true;
    if (!unsupported || method == MapReadMethod::Batch) {
      if (unsupported)
        error = failure(info, "bpf_map_lookup_batch", EOPNOTSUPP);
      return false;
    }
  }
  return walk_key_by_key(fd, info, shape, fn, error);
}

/// Sets every value of the map to zero; with `remove`, deletes the keys instead (not possible
/// for arrays, which are zeroed).
bool empty_map(int fd, const MapInfo &info, int ncpus, bool remove, std::string &error) {
  Shape shape;
  if (!get_shape(fd, info, ncpus, shape, error))
    return false;
  std::vector<std::vector<uint8_t>> keys;
  if (info.is_array && shape.is_array)
    keys.emplace_back(shape.key_size, 0);
  else if (!collect_keys(fd, info, shape, keys, error))
    return false;
  const std::vector<uint8_t> zeros(shape.lookup_size, 0);
  for (const auto &key : keys) {
    int r;
    const char *what;
    if (remove && !shape.is_array) {
      r = bpf_map_delete_elem(fd, key.data());
      what = "bpf_map_delete_elem";
    } else {
      r = bpf_map_update_elem(fd, key.data(), zeros.data(), shape.is_array ? BPF_ANY : BPF_EXIST);
      what = "bpf_map_update_elem";
    }
    if (r != 0 && r != -ENOENT) {
      error = failure(info, what, r);
      return false;
    }
  }
  return true;
}

} // namespace

std::vector<MapEntry> read_map(int map_fd, const MapInfo &info, int num_possible_cpus,
                               std::string *error, MapReadMethod method) {
  std::string err;
  std::vector<MapEntry> entries;
  Shape shape;
  if (!get_shape(map_fd, info, num_possible_cpus, shape, err)) {
    if (error)
      *error = err;
    return entries;
  }
  const uint32_t ukey = user_key_size(info);
  const int ncpus = shape.per_cpu ? num_possible_cpus : 1;

  if (info.value.is(TypeKind::Tseries)) {
    // One BPF entry per (user key, slot): each slot holds the newest interval it was written in.
    std::map<std::vector<uint8_t>, std::vector<TseriesPoint>> groups;
    auto add = [&](const uint8_t *key, const uint8_t *value) {
      auto &series = groups[std::vector<uint8_t>(key, key + ukey)];
      if (auto point = merge_tseries_slot(info.value, value, ncpus, shape.stride))
        series.push_back(*point);
    };
    walk(map_fd, info, shape, method, add, err);
    for (auto &[key, series] : groups) {
      MapEntry e;
      e.key = key;
      std::sort(series.begin(), series.end(),
                [](const TseriesPoint &a, const TseriesPoint &b) { return a.epoch < b.epoch; });
      e.series = std::move(series);
      entries.push_back(std::move(e));
    }
  } else if (has_buckets(info)) {
    // One BPF entry per (user key, bucket): group the buckets under their user key.
    Type count_type = make_aggregation(TypeKind::Count, false);
    std::map<std::vector<uint8_t>, std::vector<uint64_t>> groups;
    uint64_t bad_index = 0;
    bool have_bad = false;
    auto add = [&](const uint8_t *key, const uint8_t *value) {
      uint64_t index, count;
      std::memcpy(&index, key + shape.key_size - 8, 8);
      const std::vector<uint8_t> merged = merge_per_cpu(count_type, value, ncpus, shape.stride);
      std::memcpy(&count, merged.data(), 8);
      if (index >= kMaxBucketIndex) {
        bad_index = index;
        have_bad = true;
        return;
      }
      auto &buckets = groups[std::vector<uint8_t>(key, key + ukey)];
      if (buckets.size() <= index)
        buckets.resize(index + 1, 0);
      buckets[index] += count;
    };
    const bool ok = walk(map_fd, info, shape, method, add, err);
    for (auto &[key, buckets] : groups) {
      MapEntry e;
      e.key = key;
      e.buckets = std::move(buckets);
      entries.push_back(std::move(e));
    }
    if (ok && have_bad)
      err = fmt::format("map '{}': bucket index {} out of range", info.name, bad_index);
  } else {
    auto add = [&](const uint8_t *key, const uint8_t *value) {
      MapEntry e;
      if (!info.is_array)
        e.key.assign(key, key + ukey);
      if (shape.per_cpu)
        e.value = merge_per_cpu(info.value, value, ncpus, shape.stride);
      else
        e.value.assign(value, value + info.value.size);
      entries.push_back(std::move(e));
    };
    walk(map_fd, info, shape, method, add, err);
  }
  if (error)
    *error = err;
  return entries;
}

bool clear_map(int map_fd, const MapInfo &info, int num_possible_cpus, std::string *error) {
  std::string err;
  const bool ok = empty_map(map_fd, info, num_possible_cpus, /*remove=*/true, err);
  if (error)
    *error = err;
  return ok;
}

bool zero_map(int map_fd, const MapInfo &info, int num_possible_cpus, std::string *error) {
  std::string err;
  const bool ok = empty_map(map_fd, info, num_possible_cpus, /*remove=*/false, err);
  if (error)
    *error = err;
  return ok;
}

} // namespace scry
