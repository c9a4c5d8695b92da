// Tests src/runtime/map_reader against real BPF maps made with bpf_map_create: per-CPU values
// are written for every CPU from user space, read back and merged. Needs root (or CAP_BPF);
// without it every test here is skipped, never passed.
#include "runtime/aggregation.h"
#include "runtime/map_reader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

namespace scry {
namespace {

using Bytes = std::vector<uint8_t>;

uint64_t u64_at(const Bytes &b, size_t offset = 0) {
  uint64_t v;
  std::memcpy(&v, b.data() + offset, 8);
  return v;
}

class MapReaderTest : public ::testing::Test {
protected:
  void SetUp() override {
    ncpus_ = libbpf_num_possible_cpus();
    ASSERT_GT(ncpus_, 0);
    // Probe once whether this process may create maps at all.
    const int fd = bpf_map_create(BPF_MAP_TYPE_HASH, nullptr, 4, 4, 1, nullptr);
    if (fd < 0)
      GTEST_SKIP() << "cannot create BPF maps here (" << std::strerror(-fd)
                   << "): needs root or CAP_BPF";
    close(fd);
  }
  void TearDown() override {
    for (int fd : fds_)
      close(fd);
  }

  int create(bpf_map_type type, uint32_t key_size, uint32_t value_size, uint32_t max_entries) {
    const int fd = bpf_map_create(type, "scry_test", key_size, value_size, max_entries, nullptr);
    EXPECT_GE(fd, 0) << std::strerror(-fd);
    if (fd >= 0)
      fds_.push_back(fd);
    return fd;
  }

  /// A per-CPU value buffer: `ncpus_` copies of `stride` bytes, CPU i's copy from `per_cpu(i)`.
  template <typename F>
  Bytes per_cpu_value(size_t stride, F per_cpu) {
    Bytes b(stride * static_cast<size_t>(ncpus_), 0);
    for (int cpu = 0; cpu < ncpus_; ++cpu) {
      const Bytes v = per_cpu(cpu);
      std::memcpy(b.data() + stride * static_cast<size_t>(cpu), v.data(), v.size());
    }
    return b;
  }

  static Bytes u64s(std::initializer_list<uint64_t> values) {
    Bytes out;
    for (uint64_t v : values) {
      const auto *p = reinterpret_cast<const uint8_t *>(&v);
      out.insert(out.end(), p, p + 8);
    }
    return out;
  }

  int ncpus_ = 0;
  std::vector<int> fds_;
};

MapInfo count_by_u64_key() {
  MapInfo info;
  info.name = "@c";
  info.key = make_int(8, false);
  info.value = make_aggregation(TypeKind::Count, false);
  info.per_cpu = true;
  info.bpf_key_size = 8;
  info.bpf_value_size = 8;
  return info;
}

TEST_F(MapReaderTest, PerCpuCountsAreSummed) {
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 64);
  for (uint64_t key = 1; key <= 5; ++key) {
    const Bytes value = per_cpu_value(8, [&](int cpu) { return u64s({key * 100 + cpu}); });
    ASSERT_EQ(bpf_map_update_elem(fd, &key, value.data(), BPF_ANY), 0);
  }
  for (MapReadMethod method :
       {MapReadMethod::Batch, MapReadMethod::KeyByKey, MapReadMethod::Auto}) {
    std::string error = "stale";
    const auto entries = read_map(fd, count_by_u64_key(), ncpus_, &error, method);
    EXPECT_EQ(error, "");
    ASSERT_EQ(entries.size(), 5u);
    for (const MapEntry &e : entries) {
      const uint64_t key = u64_at(e.key);
      const uint64_t cpus = static_cast<uint64_t>(ncpus_);
      EXPECT_EQ(u64_at(e.value), key * 100 * cpus + cpus * (cpus - 1) / 2) << key;
      EXPECT_TRUE(e.buckets.empty());
    }
  }
}

TEST_F(MapReaderTest, ManyEntriesTakeSeveralBatches) {
  const uint32_t n = 10000;
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 8, 8, n);
  const Bytes value = per_cpu_value(8, [](int) { return u64s({1}); });
  for (uint64_t key = 0; key < n; ++key)
    ASSERT_EQ(bpf_map_update_elem(fd, &key, value.data(), BPF_NOEXIST), 0);
  MapInfo info = count_by_u64_key();
  for (MapReadMethod method : {MapReadMethod::Batch, MapReadMethod::KeyByKey}) {
    std::string error;
    const auto entries = read_map(fd, info, ncpus_, &error, method);
    EXPECT_EQ(error, "");
    ASSERT_EQ(entries.size(), n);
    std::vector<bool> seen(n, false);
    for (const MapEntry &e : entries) {
      const uint64_t key = u64_at(e.key);
      ASSERT_LT(key, n);
      EXPECT_FALSE(seen[key]);
      seen[key] = true;
      EXPECT_EQ(u64_at(e.value), static_cast<uint64_t>(ncpus_));
    }
  }
}

TEST_F(MapReaderTest, MinAndAvgMergeTheirStructs) {
  // min(): { i64 value; u64 valid } per CPU; only CPUs with valid != 0 count.
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 4, 16, 8);
  const uint32_t key = 7;
  const Bytes value = per_cpu_value(16, [](int cpu) {
    return u64s({static_cast<uint64_t>(cpu == 0 ? -100 : 10 - cpu), cpu == 0 ? 0u : 1u});
  });
  ASSERT_EQ(bpf_map_update_elem(fd, &key, value.data(), BPF_ANY), 0);
  MapInfo info;
  info.name = "@mn";
  info.key = make_int(4, false);
  info.value = make_aggregation(TypeKind::Min, true);
  info.per_cpu = true;
  std::string error;
  auto entries = read_map(fd, info, ncpus_, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(entries.size(), 1u);
  if (ncpus_ > 1) {
    EXPECT_EQ(static_cast<int64_t>(u64_at(entries[0].value)), 10 - (ncpus_ - 1));
    EXPECT_EQ(u64_at(entries[0].value, 8), 1u);
  } else {
    EXPECT_EQ(u64_at(entries[0].value, 8), 0u); // the only CPU never saw a value
  }

  info.value = make_aggregation(TypeKind::Avg, true);
  const Bytes avg = per_cpu_value(16, [](int cpu) {
    return u64s({static_cast<uint64_t>(cpu), 2});
  });
  ASSERT_EQ(bpf_map_update_elem(fd, &key, avg.data(), BPF_ANY), 0);
  entries = read_map(fd, info, ncpus_, &error);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(u64_at(entries[0].value), static_cast<uint64_t>(ncpus_) * (ncpus_ - 1) / 2);
  EXPECT_EQ(u64_at(entries[0].value, 8), 2u * static_cast<uint64_t>(ncpus_));
}

TEST_F(MapReaderTest, MapWithoutKeysIsAPerCpuArray) {
  const int fd = create(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1);
  const uint32_t zero = 0;
  const Bytes value =
      per_cpu_value(8, [](int cpu) { return u64s({static_cast<uint64_t>(cpu + 1)}); });
  ASSERT_EQ(bpf_map_update_elem(fd, &zero, value.data(), BPF_ANY), 0);
  MapInfo info;
  info.name = "@n";
  info.value = make_aggregation(TypeKind::Sum, true);
  info.per_cpu = true;
  info.is_array = true;
  std::string error;
  auto entries = read_map(fd, info, ncpus_, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].key.empty());
  EXPECT_EQ(u64_at(entries[0].value), static_cast<uint64_t>(ncpus_) * (ncpus_ + 1) / 2);

  // clear() cannot delete an array's entry: it zeroes it, and the map still reads as 0.
  ASSERT_TRUE(clear_map(fd, info, ncpus_, &error)) << error;
  entries = read_map(fd, info, ncpus_, &error);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(u64_at(entries[0].value), 0u);
}

TEST_F(MapReaderTest, PlainHashWithStringKeysAndTupleValues) {
  const Type value_type = make_tuple_type({make_int(4, true), make_string(8)});
  ASSERT_EQ(value_type.size, 12u);
  const int fd = create(BPF_MAP_TYPE_HASH, 16, value_type.size, 16);
  char key[16] = "hello";
  Bytes value(value_type.size, 0);
  const int32_t n = -3;
  std::memcpy(value.data(), &n, 4);
  std::memcpy(value.data() + 4, "abc", 3);
  ASSERT_EQ(bpf_map_update_elem(fd, key, value.data(), BPF_ANY), 0);
  MapInfo info;
  info.name = "@t";
  info.key = make_string(16);
  info.value = value_type;
  std::string error;
  const auto entries = read_map(fd, info, ncpus_, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(entries[0].key.data())), "hello");
  EXPECT_EQ(entries[0].value, value);
  EXPECT_EQ(value_to_text(value_type, entries[0].value.data()), "(-3, abc)");
}

TEST_F(MapReaderTest, HistBucketsAreGroupedByUserKey) {
  // @h[u32] = hist(): BPF key { u32 key; u32 pad; u64 bucket }, value u64 per CPU.
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 16, 8, 64);
  auto put = [&](uint32_t user_key, uint64_t bucket, uint64_t count_per_cpu) {
    uint8_t key[16] = {};
    std::memcpy(key, &user_key, 4);
    std::memcpy(key + 8, &bucket, 8);
    const Bytes value = per_cpu_value(8, [&](int) { return u64s({count_per_cpu}); });
    ASSERT_EQ(bpf_map_update_elem(fd, key, value.data(), BPF_ANY), 0);
  };
  put(1, 3, 1);
  put(1, 5, 2);
  put(2, 0, 4);
  MapInfo info;
  info.name = "@h";
  info.key = make_int(4, false);
  info.value = make_aggregation(TypeKind::Hist, false);
  info.per_cpu = true;
  info.has_bucket_key = true;
  info.bpf_key_size = 16;
  info.bpf_value_size = 8;
  for (MapReadMethod method : {MapReadMethod::Batch, MapReadMethod::KeyByKey}) {
    std::string error;
    const auto entries = read_map(fd, info, ncpus_, &error, method);
    EXPECT_EQ(error, "");
    ASSERT_EQ(entries.size(), 2u);
    const uint64_t cpus = static_cast<uint64_t>(ncpus_);
    EXPECT_EQ(entries[0].key, (Bytes{1, 0, 0, 0}));
    EXPECT_EQ(entries[0].buckets, (std::vector<uint64_t>{0, 0, 0, cpus, 0, 2 * cpus}));
    EXPECT_TRUE(entries[0].value.empty());
    EXPECT_EQ(entries[1].key, (Bytes{2, 0, 0, 0}));
    EXPECT_EQ(entries[1].buckets, (std::vector<uint64_t>{4 * cpus}));
  }

  // zero() keeps every bucket's key; clear() removes them.
  std::string error;
  ASSERT_TRUE(zero_map(fd, info, ncpus_, &error)) << error;
  auto entries = read_map(fd, info, ncpus_, &error);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].buckets, (std::vector<uint64_t>(6, 0)));
  ASSERT_TRUE(clear_map(fd, info, ncpus_, &error)) << error;
  EXPECT_TRUE(read_map(fd, info, ncpus_, &error).empty());
  EXPECT_EQ(error, "");
}

TEST_F(MapReaderTest, ScalarHistHasOnlyTheBucketInItsKey) {
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 64);
  const uint64_t bucket = 2;
  const Bytes value = per_cpu_value(8, [](int cpu) { return u64s({cpu == 0 ? 1u : 0u}); });
  ASSERT_EQ(bpf_map_update_elem(fd, &bucket, value.data(), BPF_ANY), 0);
  MapInfo info;
  info.name = "@h";
  info.value = make_aggregation(TypeKind::Lhist, false);
  info.per_cpu = true;
  info.has_bucket_key = true;
  std::string error;
  const auto entries = read_map(fd, info, ncpus_, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].key.empty());
  EXPECT_EQ(entries[0].buckets, (std::vector<uint64_t>{0, 0, 1}));
}

TEST_F(MapReaderTest, ClearAndZeroOnAHash) {
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 64);
  const Bytes value = per_cpu_value(8, [](int) { return u64s({5}); });
  for (uint64_t key = 0; key < 10; ++key)
    ASSERT_EQ(bpf_map_update_elem(fd, &key, value.data(), BPF_ANY), 0);
  const MapInfo info = count_by_u64_key();
  std::string error;
  ASSERT_TRUE(zero_map(fd, info, ncpus_, &error)) << error;
  auto entries = read_map(fd, info, ncpus_, &error);
  ASSERT_EQ(entries.size(), 10u);
  for (const MapEntry &e : entries)
    EXPECT_EQ(u64_at(e.value), 0u);
  ASSERT_TRUE(clear_map(fd, info, ncpus_, &error)) << error;
  EXPECT_TRUE(read_map(fd, info, ncpus_, &error).empty());
  EXPECT_EQ(error, "");
  // Clearing an empty map is fine.
  EXPECT_TRUE(clear_map(fd, info, ncpus_, &error)) << error;
}

TEST_F(MapReaderTest, ErrorsNameTheMap) {
  const int fd = create(BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 8);
  std::string error;
  // The layout says an 8-byte key; the kernel's map has 4.
  EXPECT_TRUE(read_map(fd, count_by_u64_key(), ncpus_, &error).empty());
  EXPECT_EQ(error, "map '@c': key size 4 in the kernel, expected 8");
  EXPECT_TRUE(read_map(-1, count_by_u64_key(), ncpus_, &error).empty());
  EXPECT_EQ(error.rfind("map '@c': bpf_obj_get_info_by_fd: ", 0), 0u) << error;
  EXPECT_FALSE(clear_map(-1, count_by_u64_key(), ncpus_, &error));
  EXPECT_NE(error, "");
}

} // namespace
} // namespace scry
