// Tests src/runtime/output_text.cpp and output_json.cpp: map, value and notice layouts, checked
// against golden files made with bpftrace (tests/unit/golden/README.md says how and where the
// newest bpftrace differs from 0.17). No BPF here: maps are built as MapEntry values.
#include "runtime/aggregation.h"
#include "runtime/output.h"
#include "runtime/runtime_warning.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sstream>

namespace scry {
namespace {

// --- building values ----------------------------------------------------------------------------

using Bytes = std::vector<uint8_t>;

Bytes u64(uint64_t v) {
  Bytes b(8);
  std::memcpy(b.data(), &v, 8);
  return b;
}
Bytes i64(int64_t v) {
  return u64(static_cast<uint64_t>(v));
}
Bytes pair64(int64_t a, uint64_t b) {
  Bytes out = i64(a), second = u64(b);
  out.insert(out.end(), second.begin(), second.end());
  return out;
}
Bytes str(const std::string &s, uint32_t size) {
  Bytes b(size, 0);
  std::memcpy(b.data(), s.data(), std::min<size_t>(s.size(), size));
  return b;
}
/// The bytes of a tuple or record value: each part copied at its field's offset.
Bytes pack(const Type &t, const std::vector<Bytes> &parts) {
  Bytes out(t.size, 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    const Field &f = (*t.fields)[i];
    std::memcpy(out.data() + f.offset, parts[i].data(),
                std::min<size_t>(parts[i].size(), f.type->size));
  }
  return out;
}

MapInfo map_info(const std::string &name, Type key, Type value, uint32_t max_entries = 0) {
  MapInfo info;
  info.name = name;
  info.max_entries = max_entries;
  info.key = std::move(key);
  info.value = std::move(value);
  info.is_array = info.key.is(TypeKind::None) && !info.value.is(TypeKind::Hist) &&
                  !info.value.is(TypeKind::Lhist);
  return info;
}

MapEntry entry(Bytes key, Bytes value) {
  MapEntry e;
  e.key = std::move(key);
  e.value = std::move(value);
  return e;
}

/// hist/lhist buckets holding `values`, as the BPF side counts them.
std::vector<uint64_t> buckets_of(const Type &t, const std::vector<int64_t> &values) {
  std::vector<uint64_t> b;
  for (int64_t v : values) {
    const uint64_t i = t.is(TypeKind::Hist)
                           ? hist_bucket(v, static_cast<int>(t.hist_bits))
                           : lhist_bucket(v, t.lhist_min, t.lhist_max, t.lhist_step);
    if (b.size() <= i)
      b.resize(i + 1, 0);
    ++b[i];
  }
  return b;
}

MapEntry hist_entry(Bytes key, const Type &t, const std::vector<int64_t> &values) {
  MapEntry e;
  e.key = std::move(key);
  e.buckets = buckets_of(t, values);
  return e;
}

Type hist_type(int k = 0) {
  Type t = make_aggregation(TypeKind::Hist, true);
  t.hist_bits = k;
  return t;
}

Type lhist_type(int64_t min, int64_t max, int64_t step) {
  Type t = make_aggregation(TypeKind::Lhist, true);
  t.lhist_min = min;
  t.lhist_max = max;
  t.lhist_step = step;
  return t;
}

// --- capturing output ---------------------------------------------------------------------------

class Capture {
public:
  Capture() : file_(open_memstream(&buf_, &len_)) {}
  ~Capture() {
    fclose(file_);
    free(buf_);
  }
  FILE *file() { return file_; }
  std::string text() {
    fflush(file_);
    return std::string(buf_, len_);
  }

private:
  char *buf_ = nullptr;
  size_t len_ = 0;
  FILE *file_;
};

struct Map {
  MapInfo info;
  std::vector<MapEntry> entries;
};

/// What a run prints at exit: end_of_run(), then every map in name order (bpftrace iterates
/// its maps in a std::map keyed by name).
void print_at_exit(Output &out, std::vector<Map> maps) {
  std::sort(maps.begin(), maps.end(),
            [](const Map &a, const Map &b) { return a.info.name < b.info.name; });
  out.end_of_run();
  for (const Map &m : maps)
    out.map(m.info, m.entries, 0, 0);
}

std::string golden(const std::string &name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "golden" / name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing golden file " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string text_at_exit(std::vector<Map> maps) {
  Capture out, err;
  auto o = make_text_output(out.file(), err.file());
  print_at_exit(*o, std::move(maps));
  o->flush();
  EXPECT_EQ(err.text(), "");
  return out.text();
}

// --- golden files -------------------------------------------------------------------------------

TEST(TextOutputGolden, Maps) {
  const Type s8 = make_string(8);
  const Type tuple_key = make_tuple_type({make_int(8, true), s8});
  const Type i64t = make_int(8, true);
  std::vector<Map> maps;
  maps.push_back(
      {map_info("@c", s8, make_aggregation(TypeKind::Count, false)),
       {entry(str("b", 8), u64(3)), entry(str("a", 8), u64(1)), entry(str("c", 8), u64(2))}});
  maps.push_back({map_info("@m", tuple_key, i64t),
                  {entry(pack(tuple_key, {i64(1), str("x", 8)}), i64(10)),
                   entry(pack(tuple_key, {i64(2), str("y", 8)}), i64(-3)),
                   entry(pack(tuple_key, {i64(-5), str("z", 8)}), i64(7))}});
  maps.push_back({map_info("@s", Type{}, i64t), {entry({}, i64(5))}});
  maps.push_back(
      {map_info("@sum", Type{}, make_aggregation(TypeKind::Sum, true)), {entry({}, i64(7))}});
  maps.push_back(
      {map_info("@mn", Type{}, make_aggregation(TypeKind::Min, true)), {entry({}, pair64(-2, 1))}});
  maps.push_back(
      {map_info("@mx", Type{}, make_aggregation(TypeKind::Max, true)), {entry({}, pair64(9, 1))}});
  maps.push_back({map_info("@neg", i64t, i64t),
                  {entry(i64(1), i64(-10)), entry(i64(2), i64(100)), entry(i64(3), i64(-200))}});
  EXPECT_EQ(text_at_exit(std::move(maps)), golden("maps.txt"));
}

TEST(TextOutputGolden, Hist) {
  const Type h = hist_type();
  std::vector<Map> maps;
  maps.push_back({map_info("@h", Type{}, h),
                  {hist_entry({}, h,
                              {-1, 0, 1, 1, 2, 3, 4, 7, 8, 1023, 1024, 1025, 2048, 1048576, 1048576,
                               1048577})}});
  EXPECT_EQ(text_at_exit(std::move(maps)), golden("hist.txt"));
}

TEST(TextOutputGolden, KeyedHist) {
  const Type h = hist_type();
  const Type s4 = make_string(4);
  std::vector<Map> maps;
  maps.push_back({map_info("@h", s4, h),
                  {hist_entry(str("bb", 4), h, {5, 6}), hist_entry(str("a", 4), h, {100}),
                   hist_entry(str("c", 4), h, {1, 1, 1, 1000})}});
  EXPECT_EQ(text_at_exit(std::move(maps)), golden("keyed_hist.txt"));
}

TEST(TextOutputGolden, Lhist) {
  std::vector<Map> maps;
  auto add = [&](const std::string &name, const Type &t, const std::vector<int64_t> &values) {
    maps.push_back({map_info(name, Type{}, t), {hist_entry({}, t, values)}});
  };
  add("@l", lhist_type(0, 100, 10), {-5, 0, 15, 15, 99, 100, 1000});
  add("@o", lhist_type(0, 95, 10), {3, 93, 96});
  add("@one", lhist_type(0, 10, 1), {5, 7});
  add("@k", lhist_type(0, 8192, 1024), {3000, 9000});
  add("@mid", lhist_type(0, 100, 10), {35, 55});
  EXPECT_EQ(text_at_exit(std::move(maps)), golden("lhist.txt"));
}

TEST(TextOutputGolden, StatsAndAvg) {
  const Type stats = make_aggregation(TypeKind::Stats, true);
  const Type avg = make_aggregation(TypeKind::Avg, true);
  std::vector<Map> maps;
  maps.push_back({map_info("@s", Type{}, stats), {entry({}, pair64(13, 2))}});
  maps.push_back({map_info("@a", Type{}, avg), {entry({}, pair64(13, 2))}});
  maps.push_back({map_info("@ks", make_string(4), stats),
                  {entry(str("y", 4), pair64(101, 2)), entry(str("x", 4), pair64(5, 1))}});
  maps.push_back({map_info("@ka", make_int(8, true), avg),
                  {entry(i64(2), pair64(50, 1)), entry(i64(1), pair64(-5, 2))}});
  EXPECT_EQ(text_at_exit(std::move(maps)), golden("stats.txt"));
}

TEST(TextOutputGolden, PrintValuesAndMaps) {
  Capture out, err;
  auto o = make_text_output(out.file(), err.file());
  const Type s8 = make_string(8);
  const Type i64t = make_int(8, true);
  const Type t1 = make_tuple_type({i64t, s8});
  o->value(t1, pack(t1, {i64(1), str("hello", 8)}).data());
  o->value(i64t, i64(5).data());
  o->value(i64t, i64(-5).data());
  o->value(s8, str("str", 8).data());
  const Type inner = make_tuple_type({i64t, make_string(2)});
  const Type t2 = make_tuple_type({i64t, inner, make_string(2)});
  o->value(t2, pack(t2, {i64(1), pack(inner, {i64(2), str("x", 2)}), str("y", 2)}).data());
  Map d{map_info("@d", i64t, i64t),
        {entry(i64(1), i64(2)), entry(i64(2), i64(1)), entry(i64(3), i64(7))}};
  o->map(d.info, d.entries, 2, 0);
  o->map(d.info, d.entries, 0, 2);
  print_at_exit(*o, {d});
  EXPECT_EQ(out.text(), golden("print.txt"));
}

TEST(JsonOutputGolden, EverythingInOneRun) {
  Capture out;
  auto o = make_json_output(out.file());
  o->attached_probes(1);
  o->printf_text("hi \"there\"\n\t");
  o->value(make_int(8, true), i64(5).data());
  const Type t1 = make_tuple_type({make_int(8, true), make_string(2)});
  o->value(t1, pack(t1, {i64(1), str("x", 2)}).data());

  const Type s2 = make_string(2);
  const Type h = hist_type();
  const Type kh_key = make_tuple_type({s2, make_int(8, true)});
  const Type inner = make_tuple_type({make_int(8, true), make_int(8, true)});
  const Type t = make_tuple_type({make_int(8, true), s2, inner});
  std::vector<Map> maps;
  maps.push_back({map_info("@c", s2, make_aggregation(TypeKind::Count, false)),
                  {entry(str("a", 2), u64(2)), entry(str("b", 2), u64(1))}});
  maps.push_back(
      {map_info("@m", make_tuple_type({make_int(8, true), s2}), make_int(8, true)),
       {entry(pack(make_tuple_type({make_int(8, true), s2}), {i64(1), str("x", 2)}), i64(10))}});
  maps.push_back({map_info("@s", Type{}, make_int(8, true)), {entry({}, i64(5))}});
  maps.push_back({map_info("@h", Type{}, h), {hist_entry({}, h, {-1, 0, 5})}});
  maps.push_back({map_info("@l", Type{}, lhist_type(0, 100, 10)),
                  {hist_entry({}, lhist_type(0, 100, 10), {-1, 150})}});
  maps.push_back({map_info("@st", Type{}, make_aggregation(TypeKind::Stats, true)),
                  {entry({}, pair64(4, 1))}});
  maps.push_back({map_info("@av", s2, make_aggregation(TypeKind::Avg, true)),
                  {entry(str("q", 2), pair64(4, 1))}});
  maps.push_back({map_info("@t", Type{}, t),
                  {entry({}, pack(t, {i64(1), str("a", 2), pack(inner, {i64(2), i64(3)})}))}});
  maps.push_back({map_info("@kh", kh_key, h),
                  {hist_entry(pack(kh_key, {str("b", 2), i64(1)}), h, {3, 300}),
                   hist_entry(pack(kh_key, {str("a", 2), i64(2)}), h, {3})}});
  print_at_exit(*o, std::move(maps));
  EXPECT_EQ(out.text(), golden("json.txt"));
}

// --- text details -------------------------------------------------------------------------------

std::string text_of(const Map &m, uint64_t top = 0, uint64_t div = 0) {
  Capture out, err;
  auto o = make_text_output(out.file(), err.file());
  o->map(m.info, m.entries, top, div);
  return out.text();
}

TEST(TextOutput, TopAndDivisor) {
  const Type s4 = make_string(4);
  Map m{map_info("@x", s4, make_aggregation(TypeKind::Count, false)),
        {entry(str("a", 4), u64(10)), entry(str("b", 4), u64(30)), entry(str("c", 4), u64(20))}};
  EXPECT_EQ(text_of(m, 2, 0), "@x[c]: 20\n@x[b]: 30\n");
  EXPECT_EQ(text_of(m, 0, 10), "@x[a]: 1\n@x[c]: 2\n@x[b]: 3\n");
  EXPECT_EQ(text_of(m, 1, 7), "@x[b]: 4\n");
}

TEST(TextOutput, EmptyMapsAndZeroedScalars) {
  Map keyed{map_info("@x", make_int(8, true), make_aggregation(TypeKind::Count, false)), {}};
  EXPECT_EQ(text_of(keyed), "");
  // A map without keys is a one-entry array: it prints 0 until set (newest bpftrace).
  Map scalar{map_info("@n", Type{}, make_aggregation(TypeKind::Count, false)), {entry({}, u64(0))}};
  EXPECT_EQ(text_of(scalar), "@n: 0\n");
  Map never_set_min{map_info("@m", Type{}, make_aggregation(TypeKind::Min, true)),
                    {entry({}, pair64(0, 0))}};
  EXPECT_EQ(text_of(never_set_min), "@m: 0\n");
  // zero(@h) keeps the entries: the header and the blank line print, no rows.
  Map zeroed{map_info("@h", Type{}, hist_type()), {hist_entry({}, hist_type(), {})}};
  zeroed.entries[0].buckets = {0, 0, 0};
  EXPECT_EQ(text_of(zeroed), "@h:\n\n");
  Map no_hist{map_info("@h", Type{}, hist_type()), {}};
  EXPECT_EQ(text_of(no_hist), "");
}

/// A tseries of `values` in consecutive intervals from epoch `first` (interval 100 ns, or
/// `interval`): what read_map() gives print.
MapEntry tseries_entry(Bytes key, uint64_t first, const std::vector<int64_t> &values) {
  MapEntry e;
  e.key = std::move(key);
  for (size_t i = 0; i < values.size(); ++i)
    e.series.push_back({first + i, static_cast<uint64_t>(values[i])});
  return e;
}

Type tseries_type(int64_t interval_ns, int64_t intervals) {
  Type t = make_aggregation(TypeKind::Tseries, true);
  t.tseries_interval_ns = interval_ns;
  t.tseries_intervals = intervals;
  return t;
}

// bpftrace's tests/runtime/outputs/print_tseries_zigzag_min_max_args.txt (its hour in UTC):
// print(@, -10, 10) of a zigzag from -5 to 5 and back, 100 ms intervals.
TEST(TextOutput, TseriesChartAsBpftraceDrawsIt) {
  setenv("TZ", "UTC", 1);
  tzset();
  const Type t = tseries_type(100000000, 20);
  Map m{map_info("@", Type{}, t), {tseries_entry({}, 1, {-5, -4, -3, -2, -1, 0, 1,  2,  3,  4,
                                                         5,  4,  3,  2,  1,  0, -1, -2, -3, -4})}};
  m.info.has_bucket_key = true;
  m.info.is_array = false;
  EXPECT_EQ(
      text_of(m, static_cast<uint64_t>(-10), 10),
      "@:\n             -10                                                10\nhh:mm:ss.ms  "
      "|___________________________________________________|\n00:00:00.100 |            *          "
      "  .                         | -5\n00:00:00.200 |              *          .                  "
      "       | -4\n00:00:00.300 |                 *       .                         | "
      "-3\n00:00:00.400 |                   *     .                         | -2\n00:00:00.500 |   "
      "                   *  .                         | -1\n00:00:00.600 |                        "
      " *                         | 0\n00:00:00.700 |                         . *                  "
      "     | 1\n00:00:00.800 |                         .    *                    | "
      "2\n00:00:00.900 |                         .      *                  | 3\n00:00:01.000 |     "
      "                    .         *               | 4\n00:00:01.100 |                         . "
      "           *            | 5\n00:00:01.200 |                         .         *             "
      "  | 4\n00:00:01.300 |                         .      *                  | 3\n00:00:01.400 | "
      "                        .    *                    | 2\n00:00:01.500 |                       "
      "  . *                       | 1\n00:00:01.600 |                         *                   "
      "      | 0\n00:00:01.700 |                      *  .                         | "
      "-1\n00:00:01.800 |                   *     .                         | -2\n00:00:01.900 |   "
      "              *       .                         | -3\n00:00:02.000 |              *         "
      " .                         | -4\n             "
      "v___________________________________________________v\n             -10                     "
      "                           10\n\n");
  // tseries.txt: five intervals of 9 from .500; the range is fitted around a flat line.
  Map flat{map_info("@a", Type{}, t), {tseries_entry({}, 5, {9, 9, 9, 9, 9})}};
  const std::string text = text_of(flat);
  EXPECT_NE(text.find("             8                                                  10\n"
                      "hh:mm:ss.ms  |___________________________________________________|\n"
                      "00:00:00.500 |                         *                         | 9\n"),
            std::string::npos)
      << text;
  // An interval without a value, and a series with none in the window.
  Map gaps{map_info("@g", make_int(8, true), t),
           {tseries_entry(i64(1), 1, {3, 4}), tseries_entry(i64(2), 2, {5, 6})}};
  gaps.entries[1].series.push_back({4, 7});
  const std::string g = text_of(gaps);
  EXPECT_NE(g.find("00:00:00.300 |                                                   | -\n"),
            std::string::npos)
      << g;
  Map none{map_info("@z", Type{}, t), {MapEntry{}}};
  EXPECT_EQ(text_of(none), "@z:\n<no data>\n");
}

TEST(JsonOutput, TseriesIntervalsWithValues) {
  const Type t = tseries_type(100000000, 5);
  Map m{map_info("@a", make_string(4), t),
        {tseries_entry(str("one", 4), 0, {0, 5}), tseries_entry(str("two", 4), 3, {4, 4})}};
  Capture out;
  auto o = make_json_output(out.file());
  o->map(m.info, m.entries, 0, 0);
  EXPECT_EQ(out.text(),
            "{\"type\": \"tseries\", \"data\": {\"@a\": {"
            "\"one\": [{\"interval_start\":\"1970-01-01 00:00:00.000000000\",\"value\":0},"
            "{\"interval_start\":\"1970-01-01 00:00:00.100000000\",\"value\":5}], "
            "\"two\": [{\"interval_start\":\"1970-01-01 00:00:00.300000000\",\"value\":4},"
            "{\"interval_start\":\"1970-01-01 00:00:00.400000000\",\"value\":4}]}}}\n");
}

TEST(TextOutput, HistWithSixtyFourBitValuesAndDivisor) {
  const Type h = hist_type();
  Map m{map_info("@big", Type{}, h),
        {hist_entry({}, h, {int64_t{1} << 40, INT64_MAX, int64_t{1} << 62, INT64_MAX})}};
  const std::string text = text_of(m);
  EXPECT_EQ(
      text.substr(0, text.find('\n', 6) + 1),
      "@big:\n[1T, 2T)               1 |@@@@@@@@@@@@@@@@@                                   |\n");
  EXPECT_NE(
      text.find(
          "\n[4E, 8E)               3 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n\n"),
      std::string::npos);
  // print(@h, 0, 2) divides the counts; the bar scales to the divided counts.
  Map d{map_info("@h", Type{}, h), {hist_entry({}, h, {1, 1, 1, 1, 4, 4})}};
  EXPECT_EQ(text_of(d, 0, 2),
            "@h:\n"
            "[1]                    2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
            "[2, 4)                 0 |                                                    |\n"
            "[4, 8)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
            "\n");
}

TEST(TextOutput, SubBucketHistLabels) {
  const Type h = hist_type(2);
  Map m{map_info("@h", Type{}, h), {hist_entry({}, h, {7, 9})}};
  EXPECT_EQ(text_of(m),
            "@h:\n"
            "[7]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
            "[8, 10)                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
            "\n");
}

TEST(TextOutput, ValuesAsPrintShowsThem) {
  EXPECT_EQ(value_to_text(make_bool(), Bytes{1}.data()), "true");
  EXPECT_EQ(value_to_text(make_bool(), Bytes{0}.data()), "false");
  EXPECT_EQ(value_to_text(make_int(1, true), Bytes{0xff}.data()), "-1");
  EXPECT_EQ(value_to_text(make_int(1, false), Bytes{0xff}.data()), "255");
  EXPECT_EQ(value_to_text(make_int(8, false), u64(UINT64_MAX).data()), "18446744073709551615");
  EXPECT_EQ(value_to_text(make_pointer(make_int(4, true), AddressSpace::Kernel),
                          u64(0xffff8880deadbeef).data()),
            "0xffff8880deadbeef");
  // A string without a NUL in its buffer was cut: bpftrace appends "..".
  EXPECT_EQ(value_to_text(make_string(4), str("abcd", 4).data()), "abcd..");
  EXPECT_EQ(value_to_text(make_string(4), str("abc", 4).data()), "abc");
  const Type rec = make_record_type({{"a", make_int(4, true)}, {"b", make_string(4)}});
  int32_t one = 1;
  Bytes a(4);
  std::memcpy(a.data(), &one, 4);
  EXPECT_EQ(value_to_text(rec, pack(rec, {a, str("x", 4)}).data()), "{ .a = 1, .b = x }");
  EXPECT_EQ(value_to_text(make_record_type({}), Bytes(1).data()), "{}");
  const Type arr = make_array(make_int(4, true), 2);
  Bytes ab(8);
  int32_t two = 2;
  std::memcpy(ab.data(), &one, 4);
  std::memcpy(ab.data() + 4, &two, 4);
  EXPECT_EQ(value_to_text(arr, ab.data()), "[1,2]");
  const Type buf = make_buffer(4);
  Bytes bb = {3, 0, 0, 0, 'a', 1, 'b', 'z'};
  EXPECT_EQ(value_to_text(buf, bb.data()), "a\\x01b");
  EXPECT_EQ(value_to_text(make_aggregation(TypeKind::Stats, true), pair64(-9, 2).data()),
            "{ .count = 2, .average = -4, .total = -9 }");
}

TEST(TextOutput, KeysAreNeverQuoted) {
  const Type inner = make_tuple_type({make_int(8, true), make_string(4)});
  const Type key = make_tuple_type({make_string(4), inner});
  const Bytes k = pack(key, {str("a b", 4), pack(inner, {i64(1), str("x", 4)})});
  EXPECT_EQ(map_key_text(key, k.data(), ", "), "a b, (1, x)");
  EXPECT_EQ(map_key_text(key, k.data(), ","), "a b,(1,x)");
  Map m{map_info("@k", key, make_aggregation(TypeKind::Count, false)), {entry(k, u64(1))}};
  EXPECT_EQ(text_of(m), "@k[a b, (1, x)]: 1\n");
}

TEST(TextOutput, TupleValuesDoNotQuoteStrings) {
  const Type t = make_tuple_type({make_int(8, true), make_string(4)});
  Map m{map_info("@t", make_string(4), t), {entry(str("k", 4), pack(t, {i64(7), str("v", 4)}))}};
  EXPECT_EQ(text_of(m), "@t[k]: (7, v)\n");
}

TEST(TextOutput, NoticesGoToStderr) {
  Capture out, err;
  auto o = make_text_output(out.file(), err.file());
  o->attached_probes(1);
  o->attached_probes(3);
  o->lost_events(12, "tracepoint:sched:sched_switch");
  o->map_full(map_info("@m", make_int(8, true), make_int(8, true), 10), 3);
  o->runtime_error("stdin:1:9-20: WARNING: Map full; can't update element.");
  o->printf_text("hello\n");
  o->time("12:00:00\n");
  o->flush();
  EXPECT_EQ(out.text(), "hello\n12:00:00\n");
  EXPECT_EQ(err.text(), "Attached 1 probe\nAttached 3 probes\n"
                        "Lost 12 events from tracepoint:sched:sched_switch\n"
                        "3 updates of @m failed: the map is full (10 keys); raise max_map_keys\n"
                        "stdin:1:9-20: WARNING: Map full; can't update element.\n");
}

// An enum as the kernel's BTF gives it: enum tcp_state-like, 4 bytes, unsigned, and a signed
// one with a negative enumerator.
std::shared_ptr<const EnumInfo> test_enum() {
  auto e = std::make_shared<EnumInfo>();
  e->name = "tcp_state";
  e->size = 4;
  e->values = {{1, "TCP_ESTABLISHED"}, {2, "TCP_SYN_SENT"}, {7, "TCP_CLOSE"}};
  return e;
}

TEST(TextOutput, EnumValuesPrintByName) {
  const Type e4 = make_enum_int(4, test_enum());
  uint32_t two = 2, unknown = 0xfffffff0;
  Bytes b(4), u(4);
  std::memcpy(b.data(), &two, 4);
  std::memcpy(u.data(), &unknown, 4);
  EXPECT_EQ(value_to_text(e4, b.data()), "TCP_SYN_SENT");
  // No enumerator: the unsigned number at the value's width (bpftrace's types_format.cpp).
  EXPECT_EQ(value_to_text(e4, u.data()), "4294967280");
  // Stored in a map or variable the value is 8 bytes wide and still of the enum.
  Type e8 = make_int(8, false);
  e8.enumeration = test_enum();
  EXPECT_EQ(value_to_text(e8, u64(7).data()), "TCP_CLOSE");
  EXPECT_EQ(value_to_text(make_tuple_type({e8, make_int(8, true)}),
                          pack(make_tuple_type({e8, make_int(8, true)}), {u64(1), i64(5)}).data()),
            "(TCP_ESTABLISHED, 5)");
  // A signed enum's negative enumerator, read zero-extended from a 4-byte field.
  auto s = std::make_shared<EnumInfo>();
  s->name = "signed_e";
  s->size = 4;
  s->is_signed = true;
  s->values = {{static_cast<uint64_t>(-1), "MINUS_ONE"}};
  EXPECT_EQ(value_to_text(make_enum_int(8, s), u64(0xffffffff).data()), "MINUS_ONE");
  // Keys and values of a map, in text; in JSON the key names the enumerator and the value is
  // its number, as bpftrace's JSON output writes symbolic values.
  Map m{map_info("@s", e8, e8), {entry(u64(2), u64(7))}};
  EXPECT_EQ(text_of(m), "@s[TCP_SYN_SENT]: TCP_CLOSE\n");
  Capture out;
  auto o = make_json_output(out.file());
  o->map(m.info, m.entries, 0, 0);
  o->value(e8, u64(2).data());
  o->flush();
  EXPECT_EQ(out.text(), "{\"type\": \"map\", \"data\": {\"@s\": {\"TCP_SYN_SENT\": 7}}}\n"
                        "{\"type\": \"value\", \"data\": 2}\n");
}

// --- JSON details -------------------------------------------------------------------------------

std::string json_of(const Map &m, uint64_t top = 0, uint64_t div = 0) {
  Capture out;
  auto o = make_json_output(out.file());
  o->map(m.info, m.entries, top, div);
  return out.text();
}

TEST(JsonOutput, NumbersDoublesCannotHoldAreStrings) {
  Map m{map_info("@x", make_int(8, true), make_int(8, true)),
        {entry(i64(1), i64(INT64_MAX)), entry(i64(2), i64(INT64_MIN)),
         entry(i64(3), i64((int64_t{1} << 53) + 1)), entry(i64(4), i64(-(int64_t{1} << 53)))}};
  EXPECT_EQ(json_of(m), "{\"type\": \"map\", \"data\": {\"@x\": {\"2\": -9223372036854775808, "
                        "\"4\": -9007199254740992, \"3\": \"9007199254740993\", "
                        "\"1\": \"9223372036854775807\"}}}\n");
}

TEST(JsonOutput, StatsAndAvgTopDiv) {
  const Type avg = make_aggregation(TypeKind::Avg, true);
  const Type s2 = make_string(2);
  Map m{map_info("@", s2, avg),
        {entry(str("a", 2), pair64(10, 1)), entry(str("b", 2), pair64(20, 1)),
         entry(str("c", 2), pair64(30, 1)), entry(str("d", 2), pair64(40, 1))}};
  // bpftrace's runtime test print_avg_map_args.
  EXPECT_EQ(json_of(m, 2, 10), "{\"type\": \"stats\", \"data\": {\"@\": {\"c\": 3, \"d\": 4}}}\n");
  Map s{map_info("@stats", s2, make_aggregation(TypeKind::Stats, true)),
        {entry(str("z", 2), pair64(10, 1)), entry(str("c", 2), pair64(2, 1))}};
  EXPECT_EQ(json_of(s), "{\"type\": \"stats\", \"data\": {\"@stats\": {\"c\": {\"count\": 1, "
                        "\"average\": 2, \"total\": 2}, \"z\": {\"count\": 1, \"average\": 10, "
                        "\"total\": 10}}}}\n");
}

TEST(JsonOutput, HistWithTopAndEmptyHist) {
  const Type h = hist_type();
  const Type k = make_int(8, true);
  Map m{map_info("@", k, h),
        {hist_entry(i64(1), h, {10}), hist_entry(i64(2), h, {20, 20}),
         hist_entry(i64(3), h, {30, 30, 30})}};
  EXPECT_EQ(json_of(m, 2),
            "{\"type\": \"hist\", \"data\": {\"@\": {\"2\": [{\"min\": 16, \"max\": 31, "
            "\"count\": 2}], \"3\": [{\"min\": 16, \"max\": 31, \"count\": 3}]}}}\n");
  Map zeroed{map_info("@hist", Type{}, h), {hist_entry({}, h, {})}};
  zeroed.entries[0].buckets = {0, 0};
  EXPECT_EQ(json_of(zeroed), "{\"type\": \"hist\", \"data\": {\"@hist\": []}}\n");
  Map none{map_info("@hist", Type{}, h), {}};
  EXPECT_EQ(json_of(none), "");
}

TEST(RuntimeWarnings, LocatedTextAndBpftraceJsonObjects) {
  SourceFile source("stdin", "BEGIN { @x = *(uint64 *)8; }\n");
  RuntimeErrorInfo read{DiagCode::HelperError, "", {{1, 14}, {1, 26}}, BPF_FUNC_probe_read_kernel};
  RuntimeWarning w = describe_runtime_warning(read, -14, &source);
  EXPECT_EQ(w.text, "stdin:1:14-26: WARNING: Bad address [helper-error]\n"
                    "BEGIN { @x = *(uint64 *)8; }\n"
                    "             ~~~~~~~~~~~~\n"
                    "Additional Info - helper: 113, retcode: -14\n");
  RuntimeErrorInfo div{DiagCode::DivisionByZero, "division by zero", {{1, 9}, {1, 11}}, 0};
  RuntimeWarning d = describe_runtime_warning(div, 0, &source);
  Capture out, err;
  auto text = make_text_output(out.file(), err.file());
  text->runtime_warning(w);
  text->flush();
  EXPECT_EQ(err.text(), w.text);
  Capture json;
  auto o = make_json_output(json.file());
  o->runtime_warning(w);
  o->runtime_warning(d);
  o->flush();
  EXPECT_EQ(json.text(),
            "{\"type\": \"helper_error\", \"msg\": \"Bad address\", \"helper\": \"113\", "
            "\"retcode\": -14, \"filename\": \"stdin\", \"line\": 1, \"col\": 14}\n"
            "{\"type\": \"runtime_error\", \"msg\": \"division by zero\", \"filename\": "
            "\"stdin\", \"line\": 1, \"col\": 9}\n");
}

TEST(Messages, ErrorfAndWarnfAsTextOnStderrAndJsonObjects) {
  RuntimeWarning e;
  e.text = "stdin:1:9-29: ERROR: bad 10\n";
  e.msg = "bad 10";
  e.filename = "stdin";
  e.line = 1;
  e.column = 9;
  RuntimeWarning w = e;
  w.text = "stdin:1:31-45: WARNING: \"w\"\n";
  w.msg = "\"w\"";
  w.column = 31;
  Capture out, err;
  auto text = make_text_output(out.file(), err.file());
  text->printf_text("before\n");
  text->message(e, true);
  text->message(w, false);
  text->flush();
  EXPECT_EQ(out.text(), "before\n");
  EXPECT_EQ(err.text(), e.text + w.text);
  Capture json;
  auto o = make_json_output(json.file());
  o->message(e, true);
  o->message(w, false);
  o->flush();
  EXPECT_EQ(json.text(), "{\"type\": \"errorf\", \"msg\": \"bad 10\", \"filename\": \"stdin\", "
                         "\"line\": 1, \"col\": 9}\n"
                         "{\"type\": \"warnf\", \"msg\": \"\\\"w\\\"\", \"filename\": \"stdin\", "
                         "\"line\": 1, \"col\": 31}\n");
}

TEST(JsonOutput, ValuesNoticesAndEscapes) {
  Capture out;
  auto o = make_json_output(out.file());
  const Type rec = make_record_type({{"m", make_int(4, true)}, {"n", make_bool()}});
  Bytes r(rec.size, 0);
  int32_t two = 2;
  std::memcpy(r.data(), &two, 4);
  r[4] = 1;
  o->value(rec, r.data());
  o->value(make_string(8), str("a\x01\"\\", 8).data());
  o->value(make_string(4), str("\xff\xfe", 4).data()); // not UTF-8: replaced, not thrown
  o->printf_text("x\ty\r\n");
  o->time("12:00:00\n");
  o->lost_events(5, "interval:ms:1");
  o->map_full(map_info("@m", make_int(8, true), make_int(8, true), 10), 1);
  o->runtime_error("map full");
  o->end_of_run();
  EXPECT_EQ(out.text(),
            "{\"type\": \"value\", \"data\": {\"m\": 2, \"n\": true}}\n"
            "{\"type\": \"value\", \"data\": \"a\\u0001\\\"\\\\\"}\n"
            "{\"type\": \"value\", \"data\": \"\xef\xbf\xbd\xef\xbf\xbd\"}\n"
            "{\"type\": \"printf\", \"data\": \"x\\ty\\r\\n\"}\n"
            "{\"type\": \"time\", \"data\": \"12:00:00\\n\"}\n"
            "{\"type\": \"lost_events\", \"count\": 5, \"data\": {\"events\": 5, "
            "\"probe\": \"interval:ms:1\"}}\n"
            "{\"type\": \"map_full\", \"data\": {\"map\": \"@m\", \"failed_updates\": 1, "
            "\"max_entries\": 10}}\n"
            "{\"type\": \"runtime_error\", \"msg\": \"map full\"}\n");
}

} // namespace
} // namespace scry

namespace scry {
namespace {

// --- stacks and symbols -------------------------------------------------------------------------

/// Resolves two kernel and two user addresses; everything else is unknown.
struct FakeSymbols : ValueSymbols {
  std::optional<FrameSymbol> kernel(uint64_t address) override {
    if (address >= 0xffffffff81000000 && address < 0xffffffff81000100)
      return FrameSymbol{"vfs_read", address - 0xffffffff81000000, ""};
    if (address >= 0xffffffff81000100 && address < 0xffffffff81000200)
      return FrameSymbol{"ksys_read", address - 0xffffffff81000100, ""};
    return std::nullopt;
  }
  std::optional<FrameSymbol> user(uint64_t address, int32_t pid, int32_t probe) override {
    last_pid = pid, last_probe = probe;
    if (address >= 0x1000 && address < 0x1100)
      return FrameSymbol{"scry_add", address - 0x1000, "/bin/app"};
    return std::nullopt;
  }
  int32_t last_pid = 0, last_probe = 0;
};

/// A stack value: { [i32 pid; i32 probe;] u64 used; u64 frames[limit] }.
Bytes stack_value(const Type &t, std::vector<uint64_t> frames, int32_t pid = 0, int32_t probe = 0) {
  Bytes b(t.size, 0);
  uint32_t header = t.is_user_stack ? kUstackHeader : kKstackHeader;
  if (t.is_user_stack) {
    std::memcpy(b.data(), &pid, 4);
    std::memcpy(b.data() + 4, &probe, 4);
  }
  uint64_t used = frames.size();
  std::memcpy(b.data() + header - 8, &used, 8);
  if (!frames.empty()) // memcpy from an empty vector's null data() is undefined
    std::memcpy(b.data() + header, frames.data(), 8 * frames.size());
  return b;
}

struct WithSymbols : ::testing::Test {
  void SetUp() override { set_value_symbols(&symbols); }
  void TearDown() override { set_value_symbols(nullptr); }
  FakeSymbols symbols;
};

TEST_F(WithSymbols, KernelStackModes) {
  std::vector<uint64_t> frames = {0xffffffff81000005, 0xffffffff81000110, 0xffffffff90000000};
  Type t = make_stack(false, StackMode::Bpftrace, 4);
  EXPECT_EQ(value_to_text(t, stack_value(t, frames).data()),
            "\n        vfs_read+5\n        ksys_read+16\n        0xffffffff90000000\n");
  t = make_stack(false, StackMode::Perf, 4);
  EXPECT_EQ(value_to_text(t, stack_value(t, frames).data()),
            "\n\tffffffff81000005 vfs_read+5\n\tffffffff81000110 ksys_read+16\n"
            "\tffffffff90000000 0xffffffff90000000\n");
  t = make_stack(false, StackMode::Raw, 4);
  EXPECT_EQ(value_to_text(t, stack_value(t, frames).data()),
            "\nffffffff81000005\nffffffff81000110\nffffffff90000000\n");
  // No frames: only the newline, as bpftrace prints an empty stack.
  EXPECT_EQ(value_to_text(t, stack_value(t, {}).data()), "\n");
}

TEST_F(WithSymbols, UserStackCarriesItsProcessAndProbe) {
  Type t = make_stack(true, StackMode::Perf, 2);
  EXPECT_EQ(value_to_text(t, stack_value(t, {0x1004, 0x9000}, 4242, 3).data()),
            "\n\t1004 scry_add+4 (/bin/app)\n\t9000 0x9000 ([unknown])\n");
  EXPECT_EQ(symbols.last_pid, 4242);
  EXPECT_EQ(symbols.last_probe, 3);
  // A frame count above the limit (a corrupt value) prints no more than the limit.
  Bytes v = stack_value(t, {0x1004, 0x1008}, 1, 0);
  uint64_t too_many = 99;
  std::memcpy(v.data() + 8, &too_many, 8);
  EXPECT_EQ(value_to_text(make_stack(true, StackMode::Bpftrace, 2), v.data()),
            "\n        scry_add+4\n        scry_add+8\n");
}

TEST_F(WithSymbols, SymbolsPrintTheirNameWithoutOffset) {
  Bytes k = u64(0xffffffff81000105);
  EXPECT_EQ(value_to_text(make_ksym(), k.data()), "ksys_read");
  Bytes unknown = u64(0x77);
  EXPECT_EQ(value_to_text(make_ksym(), unknown.data()), "0x77");
  Bytes u = u64(0x1010);
  int32_t pid = 7, probe = 1;
  u.resize(16);
  std::memcpy(u.data() + 8, &pid, 4);
  std::memcpy(u.data() + 12, &probe, 4);
  EXPECT_EQ(value_to_text(make_usym(), u.data()), "scry_add");
  EXPECT_EQ(symbols.last_pid, 7);
}

TEST(StackText, WithoutAResolverFramesAreAddresses) {
  Type t = make_stack(false, StackMode::Bpftrace, 1);
  EXPECT_EQ(value_to_text(t, stack_value(t, {0xffffffff81000005}).data()),
            "\n        0xffffffff81000005\n");
}

} // namespace
} // namespace scry
