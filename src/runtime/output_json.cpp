// JSON lines in the layout of bpftrace master's src/output/json.cpp: one object per line,
// {"type": T, "data": D}. Values are built as nlohmann::ordered_json and written by
// append_json() (base/json_text.h), which spaces objects and arrays the way bpftrace does.
#include "base/json_text.h"
#include "runtime/aggregation.h"
#include "runtime/output.h"

#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scry {

namespace {

using Json = nlohmann::ordered_json;

/// True when a double holds this magnitude exactly (at most 53 significant bits).
bool fits_double(uint64_t magnitude) {
  return magnitude == 0 || (magnitude >> __builtin_ctzll(magnitude)) < (uint64_t{1} << 53);
}

/// An integer, or its decimal string when a JSON reader (a double) would change it; bpftrace
/// does the same (RFC 8259 only promises doubles).
Json json_number(const Number &n) {
  if (n.is_signed) {
    const int64_t v = n.as_signed();
    const uint64_t magnitude = v < 0 ? uint64_t{0} - n.bits : n.bits;
    if (fits_double(magnitude))
      return v;
    return std::to_string(v);
  }
  if (fits_double(n.bits))
    return n.bits;
  return std::to_string(n.bits);
}

Json json_number(int64_t v) {
  return json_number(Number{static_cast<uint64_t>(v), true});
}

Json json_value(const Type &type, const uint8_t *data, uint64_t div) {
  switch (type.kind) {
  case TypeKind::None:
  case TypeKind::Void:
  case TypeKind::Hist:
  case TypeKind::Lhist:
  case TypeKind::Tseries:
    return nullptr;
  case TypeKind::Boolean:
    return data[0] != 0;
  case TypeKind::String:
  case TypeKind::Stack:
  case TypeKind::Ksym:
  case TypeKind::Usym:
  case TypeKind::Timestamp:
  case TypeKind::Inet:
  case TypeKind::Username:
  case TypeKind::MacAddress:
  case TypeKind::CgroupPath: {
    // The same text as the text output: a string up to the NUL (".." when the buffer has
    // none); a stack or symbol resolved as bpftrace's JSON output writes it, as that text.
    return value_to_text(type, data);
  }
  case TypeKind::Buffer: {
    Json bytes = Json::array();
    if (type.size >= 4) {
      uint32_t length;
      std::memcpy(&length, data, 4);
      length = std::min(length, type.size - 4);
      for (uint32_t i = 0; i < length; ++i)
        bytes.push_back(static_cast<int8_t>(data[4 + i])); // signed chars, as bpftrace writes them
    }
    return bytes;
  }
  case TypeKind::Array: {
    Json a = Json::array();
    for (uint32_t i = 0; type.elem && i < type.count; ++i)
      a.push_back(json_value(*type.elem, data + static_cast<size_t>(i) * type.elem->size, div));
    return a;
  }
  case TypeKind::Tuple: {
    Json a = Json::array();
    for (const Field &f : type.fields ? *type.fields : std::vector<Field>{})
      a.push_back(json_value(*f.type, data + f.offset, div));
    return a;
  }
  case TypeKind::Record: {
    Json o = Json::object();
    for (const Field &f : type.fields ? *type.fields : std::vector<Field>{})
      o[f.name] = json_value(*f.type, data + f.offset, div);
    return o;
  }
  case TypeKind::Stats: {
    const StatsValue s = stats_value(type, data);
    Json o = Json::object();
    o["count"] = json_number(s.count);
    o["average"] = json_number(s.average.divided(div));
    o["total"] = json_number(s.total);
    return o;
  }
  case TypeKind::Integer:
  case TypeKind::Count:
  case TypeKind::Sum:
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
    return json_number(value_number(type, data).divided(div));
  case TypeKind::Pointer:
    return json_number(value_number(type, data));
  }
  return nullptr;
}

Json json_histogram(const Type &value, const std::vector<uint64_t> &buckets, uint64_t div) {
  Json rows = Json::array();
  for (const HistRow &r : histogram_rows(value, buckets, div)) {
    Json row = Json::object();
    if (r.range.min)
      row["min"] = json_number(*r.range.min);
    if (r.range.max)
      row["max"] = json_number(*r.range.max);
    row["count"] = json_number(Number{r.count, false});
    rows.push_back(std::move(row));
  }
  return rows;
}

class JsonOutput final : public Output {
public:
  explicit JsonOutput(FILE *out) : out_(out) {}

  void printf_text(std::string_view text) override { line("printf", Json(std::string(text))); }

  void map(const MapInfo &info, const std::vector<MapEntry> &entries, uint64_t top,
           uint64_t div) override {
    if (div == 0)
      div = 1;
    if (info.value.is(TypeKind::Tseries)) {
      tseries_map(info, entries);
      return;
    }
    const bool is_hist = info.value.is(TypeKind::Hist) || info.value.is(TypeKind::Lhist);
    const bool is_stats = info.value.is(TypeKind::Avg) || info.value.is(TypeKind::Stats);
    const auto ordered = print_order(info, entries, top);
    if (ordered.empty())
      return; // bpftrace prints nothing for a map without entries
    auto value_of = [&](const MapEntry &e) -> Json {
      if (is_hist)
        return json_histogram(info.value, e.buckets, div);
      if (e.value.size() < info.value.size)
        return nullptr;
      return json_value(info.value, e.value.data(), div);
    };
    Json data;
    if (info.key.is(TypeKind::None)) {
      data = value_of(*ordered.back());
    } else {
      data = Json::object();
      for (const MapEntry *e : ordered) {
        const std::string key = e->key.size() >= info.key.size
                                    ? map_key_text(info.key, e->key.data(), ",")
                                    : std::string("?");
        data[key] = value_of(*e);
      }
    }
    Json named = Json::object();
    named[info.name] = std::move(data);
    line(is_hist ? "hist" : (is_stats ? "stats" : "map"), named);
  }

  void value(const Type &type, const uint8_t *data) override {
    line("value", json_value(type, data, 1));
  }

  void time(std::string_view text) override { line("time", Json(std::string(text))); }

  void cat(std::string_view text) override { line("cat", Json(std::string(text))); }

  void join(std::string_view text) override { line("join", Json(std::string(text))); }
  void syscall(std::string_view text) override { line("syscall", Json(std::string(text))); }

  void attached_probes(size_t count) override {
    Json data = Json::object();
    data["probes"] = count;
    counted_line("attached_probes", count, data);
  }

  void lost_events(uint64_t count, std::string_view probe) override {
    Json data = Json::object();
    data["events"] = count;
    data["probe"] = std::string(probe);
    counted_line("lost_events", count, data);
  }

  void map_full(const MapInfo &info, uint64_t count) override {
    Json data = Json::object();
    data["map"] = info.name;
    data["failed_updates"] = count;
    data["max_entries"] = info.max_entries;
    line("map_full", data);
  }

  void runtime_error(std::string_view message) override {
    Json j = Json::object();
    j["type"] = "runtime_error";
    j["msg"] = std::string(message);
    write(j);
  }

  void runtime_warning(const RuntimeWarning &w) override {
    Json j = Json::object();
    j["type"] = w.helper ? "helper_error" : "runtime_error";
    j["msg"] = w.msg;
    if (w.helper) {
      j["helper"] = std::to_string(w.helper);
      j["retcode"] = w.retcode;
    }
    j["filename"] = w.filename;
    j["line"] = w.line;
    j["col"] = w.column;
    write(j);
  }

  void message(const RuntimeWarning &w, bool error) override {
    Json j = Json::object();
    j["type"] = error ? "errorf" : "warnf";
    j["msg"] = w.msg;
    j["filename"] = w.filename;
    j["line"] = w.line;
    j["col"] = w.column;
    write(j);
  }

  void end_of_run() override {}

  void test_result(std::string_view name, bool passed) override {
    Json data = Json::object();
    data["name"] = std::string(name);
    data["passed"] = passed;
    line("test_result", data);
  }

  void benchmark_results(const std::vector<std::pair<std::string, uint64_t>> &rows) override {
    for (const auto &[name, ns] : rows) {
      Json data = Json::object();
      data["name"] = name;
      data["average_ns"] = ns;
      line("benchmark_result", data);
    }
  }

  void flush() override { flush_out(out_); }

private:
  /// A tseries map as bpftrace master's json.cpp writes it: per series an array of
  /// {"interval_start":"<UTC time>","value":N} for the intervals that have a value, its objects
  /// not spaced (bpftrace writes them by hand), in the usual envelope.
  void tseries_map(const MapInfo &info, const std::vector<MapEntry> &entries) {
    const auto ordered = print_order(info, entries, 0);
    if (ordered.empty())
      return;
    std::vector<const std::vector<TseriesPoint> *> series;
    for (const MapEntry *e : ordered)
      series.push_back(&e->series);
    const auto rows = tseries_rows(info.value, series);
    auto array = [&](const std::vector<TseriesRow> &rs) {
      std::string out = "[";
      for (const TseriesRow &r : rs) {
        if (!r.value)
          continue;
        const time_t seconds = static_cast<time_t>(r.start_ns / 1000000000);
        struct tm utc;
        gmtime_r(&seconds, &utc);
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &utc);
        if (out.size() > 1)
          out += ',';
        out += std::string("{\"interval_start\":\"") + when +
               fmt::format(".{:09}", r.start_ns % 1000000000) + "\",\"value\":";
        out += r.value->to_string() + "}"; // as bpftrace: the number as it prints, unquoted
      }
      return out + "]";
    };
    std::string text = "{\"type\": \"tseries\", \"data\": {";
    append_json(text, Json(info.name));
    text += ": ";
    if (info.key.is(TypeKind::None)) {
      text += array(rows.back());
    } else {
      text += '{';
      for (size_t i = 0; i < ordered.size(); ++i) {
        if (i > 0)
          text += ", ";
        const MapEntry &e = *ordered[i];
        append_json(text,
                    Json(e.key.size() >= info.key.size ? map_key_text(info.key, e.key.data(), ",")
                                                       : std::string("?")));
        text += ": " + array(rows[i]);
      }
      text += '}';
    }
    write_out(out_, text + "}}\n");
  }

  void line(const char *type, const Json &data) {
    Json j = Json::object();
    j["type"] = type;
    j["data"] = data;
    write(j);
  }

  /// attached_probes and lost_events carry their number twice, as bpftrace writes them.
  void counted_line(const char *type, uint64_t count, const Json &data) {
    Json j = Json::object();
    j["type"] = type;
    j["count"] = count;
    j["data"] = data;
    write(j);
  }

  void write(const Json &j) {
    std::string text;
    append_json(text, j);
    text += '\n';
    write_out(out_, text);
  }

  FILE *out_;
};

} // namespace

std::unique_ptr<Output> make_json_output(FILE *out) {
  return std::make_unique<JsonOutput>(out);
}

} // namespace scry
