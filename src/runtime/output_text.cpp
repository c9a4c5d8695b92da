// Text output in the layout of bpftrace master's src/output/text.cpp, and the text form of values
// shared with printf's %s and the JSON output's keys.
#include "runtime/aggregation.h"
#include "runtime/output.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fnmatch.h>
#include <fstream>
#include <map>
#include <sys/stat.h>

namespace scry {

namespace {

/// config str_trunc_trailer (bpftrace's default ".."): appended to a string that fills its
/// buffer without a NUL, the sign that it was cut.
std::string &trunc_trailer() {
  static std::string trailer = "..";
  return trailer;
}

/// How a value is being written.
struct TextContext {
  uint64_t div = 1; // print(@m, top, div): numbers are divided by it
  std::string_view tuple_separator = ", ";
};

/// A string as it is, never quoted, also inside tuples, records and arrays (bpftrace's
/// src/output/text.cpp emits every string primitive as it is).
void append_string(std::string &out, const uint8_t *data, uint32_t size) {
  const auto *chars = reinterpret_cast<const char *>(data);
  const size_t len = strnlen(chars, size);
  out.append(chars, len);
  if (len == size && size > 0)
    out += trunc_trailer();
}

/// A buf() value: { u32 length; u8 data[size - 4] }, printable ASCII as is, other bytes as \xNN
/// (bpftrace's hex_format_buffer with its defaults).
void append_buffer(std::string &out, const uint8_t *data, uint32_t size) {
  if (size < 4)
    return;
  uint32_t length;
  std::memcpy(&length, data, 4);
  length = std::min(length, size - 4);
  for (uint32_t i = 0; i < length; ++i) {
    const uint8_t c = data[4 + i];
    if (c >= 32 && c <= 126)
      out += static_cast<char>(c);
    else
      out += fmt::format("\\x{:02x}", c);
  }
}

ValueSymbols *g_symbols = nullptr;

/// One frame's symbol as bpftrace's resolvers write it (src/ksyms.cpp, src/usyms.cpp with bcc):
/// `name+offset`, for user frames in perf mode followed by ` (file)`; unresolved, the address
/// as `0x...` (perf mode, user: then ` ([unknown])`).
std::string frame_text(const std::optional<FrameSymbol> &sym, uint64_t address, bool user,
                       bool perf, bool with_offset) {
  if (!sym)
    return fmt::format("0x{:x}", address) + (perf && user ? " ([unknown])" : "");
  std::string text = sym->name;
  if (with_offset)
    text += "+" + std::to_string(sym->offset);
  if (perf && user)
    text += " (" + sym->module + ")";
  return text;
}

std::optional<FrameSymbol> resolve(uint64_t address, bool user, int32_t pid, int32_t probe) {
  if (!g_symbols)
    return std::nullopt;
  return user ? g_symbols->user(address, pid, probe) : g_symbols->kernel(address);
}

/// A kstack or ustack (base/types.h's layout) as bpftrace's get_stack() writes it, with the
/// indent of 8 it uses everywhere (print, printf's %s, map keys).
void append_stack(std::string &out, const Type &type, const uint8_t *data) {
  const bool user = type.is_user_stack;
  const uint32_t header = user ? kUstackHeader : kKstackHeader;
  int32_t pid = 0, probe = -1;
  if (user) {
    std::memcpy(&pid, data, 4);
    std::memcpy(&probe, data + 4, 4);
  }
  uint64_t used;
  std::memcpy(&used, data + header - 8, 8);
  used = std::min<uint64_t>(used, type.count);
  if (type.stack_mode == StackMode::Folded) {
    // Outermost frame first, names only (flame graphs merge a function's samples whatever the
    // offset), ';' between frames and so never inside one; an unresolved frame as perf's
    // stackcollapse writes it.
    for (uint64_t i = used; i-- > 0;) {
      uint64_t address;
      std::memcpy(&address, data + header + 8 * i, 8);
      std::optional<FrameSymbol> sym = resolve(address, user, pid, probe);
      std::string name = sym ? sym->name : "[unknown]";
      std::replace(name.begin(), name.end(), ';', ':');
      out += name;
      if (i > 0)
        out += ';';
    }
    return;
  }
  out += '\n';
  if (type.stack_mode == StackMode::BuildId) {
    // bpftrace's format_build_id_stack: a frame whose build id the kernel found (status 1,
    // BPF_STACK_BUILD_ID_VALID) as the 40 hex digits and the offset in its file; any other as
    // its address, in hex.
    for (uint64_t i = 0; i < used; ++i) {
      const uint8_t *frame = data + header + kBuildIdFrameBytes * i;
      int32_t status;
      uint64_t offset_or_ip;
      std::memcpy(&status, frame, 4);
      std::memcpy(&offset_or_ip, frame + 24, 8);
      if (status == 1) {
        for (int b = 0; b < 20; ++b)
          out += fmt::format("{:02x}", frame[4 + b]);
        out += fmt::format(" 0x{:02x}\n", offset_or_ip);
      } else {
        out += fmt::format("{:x}\n", offset_or_ip);
      }
    }
    return;
  }
  for (uint64_t i = 0; i < used; ++i) {
    uint64_t address;
    std::memcpy(&address, data + header + 8 * i, 8);
    switch (type.stack_mode) {
    case StackMode::Raw:
      out += fmt::format("{:x}\n", address);
      break;
    case StackMode::Bpftrace:
      out +=
          "        " + frame_text(resolve(address, user, pid, probe), address, user, false, true);
      out += '\n';
      break;
    case StackMode::Perf:
      out += fmt::format("\t{:x} ", address) +
             frame_text(resolve(address, user, pid, probe), address, user, true, true);
      out += '\n';
      break;
    case StackMode::BuildId: // printed above
    case StackMode::Folded:
      break;
    }
  }
}

/// An integer of enum type as bpftrace's types_format.cpp writes it: the enumerator's name, or
/// for a value no enumerator has, its unsigned number at the value's width. Never divided.
void append_enum(std::string &out, const Type &type, const uint8_t *data) {
  uint64_t bits = value_number(type, data).bits;
  if (const std::string *name = type.enumeration->name_of(bits, type.size)) {
    out += *name;
    return;
  }
  if (type.size < 8)
    bits &= (1ULL << (type.size * 8)) - 1;
  out += std::to_string(bits);
}

void append_value(std::string &out, const Type &type, const uint8_t *data, const TextContext &ctx) {
  switch (type.kind) {
  case TypeKind::None:
  case TypeKind::Void:
  case TypeKind::Hist:
  case TypeKind::Lhist:
  case TypeKind::Tseries:
    return;
  case TypeKind::Boolean:
    out += data[0] != 0 ? "true" : "false";
    return;
  case TypeKind::String:
    append_string(out, data, type.size);
    return;
  case TypeKind::Buffer:
    append_buffer(out, data, type.size);
    return;
  case TypeKind::Pointer:
    out += fmt::format("0x{:x}", value_number(type, data).bits);
    return;
  case TypeKind::Array: {
    out += '[';
    for (uint32_t i = 0; type.elem && i < type.count; ++i) {
      if (i > 0)
        out += ',';
      append_value(out, *type.elem, data + static_cast<size_t>(i) * type.elem->size, ctx);
    }
    out += ']';
    return;
  }
  case TypeKind::Record: {
    if (!type.fields || type.fields->empty()) {
      out += "{}";
      return;
    }
    out += "{ ";
    bool first = true;
    for (const Field &f : *type.fields) {
      if (!first)
        out += ", ";
      first = false;
      out += '.';
      out += f.name;
      out += " = ";
      append_value(out, *f.type, data + f.offset, ctx);
    }
    out += " }";
    return;
  }
  case TypeKind::Tuple: {
    out += '(';
    bool first = true;
    for (const Field &f : type.fields ? *type.fields : std::vector<Field>{}) {
      if (!first)
        out += ctx.tuple_separator;
      first = false;
      append_value(out, *f.type, data + f.offset, ctx);
    }
    out += ')';
    return;
  }
  case TypeKind::Stats: {
    const StatsValue s = stats_value(type, data);
    // A record, as bpftrace prints stats since its output rework (0.17: count N, average A,
    // total T).
    out += fmt::format("{{ .count = {}, .average = {}, .total = {} }}", s.count.to_string(),
                       s.average.divided(ctx.div).to_string(), s.total.to_string());
    return;
  }
  case TypeKind::Integer:
    if (type.enumeration) {
      append_enum(out, type, data);
      return;
    }
    out += value_number(type, data).divided(ctx.div).to_string();
    return;
  case TypeKind::Count:
  case TypeKind::Sum:
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
    out += value_number(type, data).divided(ctx.div).to_string();
    return;
  case TypeKind::Stack:
    append_stack(out, type, data);
    return;
  case TypeKind::Ksym: {
    uint64_t address;
    std::memcpy(&address, data, 8);
    out += frame_text(resolve(address, false, 0, -1), address, false, false, false);
    return;
  }
  case TypeKind::Usym: {
    uint64_t address;
    int32_t pid, probe;
    std::memcpy(&address, data, 8);
    std::memcpy(&pid, data + 8, 4);
    std::memcpy(&probe, data + 12, 4);
    out += frame_text(resolve(address, true, pid, probe), address, true, false, false);
    return;
  }
  case TypeKind::Timestamp:
    out += timestamp_text(type.name, value_number(type, data).bits, type.count == 1);
    return;
  case TypeKind::Inet:
    out += inet_text(data);
    return;
  case TypeKind::Username:
    out += username_text(value_number(type, data).bits);
    return;
  case TypeKind::CgroupPath:
    out += cgroup_path_text(value_number(type, data).bits, type.name);
    return;
  case TypeKind::MacAddress:
    out += fmt::format("{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}", data[0], data[1], data[2],
                       data[3], data[4], data[5]);
    return;
  }
}

std::string key_text(const Type &key, const uint8_t *data, std::string_view separator) {
  std::string out;
  TextContext ctx;
  ctx.tuple_separator = separator;
  if (key.is(TypeKind::Tuple) && key.fields) {
    // The parts of a multi-key map print without the tuple's parentheses: @x[1, a].
    bool first = true;
    for (const Field &f : *key.fields) {
      if (!first)
        out += separator;
      first = false;
      append_value(out, *f.type, data + f.offset, ctx);
    }
    return out;
  }
  append_value(out, key, data, ctx);
  return out;
}

std::string entry_name(const MapInfo &info, const MapEntry &entry) {
  if (info.key.is(TypeKind::None))
    return info.name;
  if (entry.key.size() < info.key.size)
    return info.name + "[?]";
  return info.name + "[" + key_text(info.key, entry.key.data(), ", ") + "]";
}

void append_histogram(std::string &out, const std::vector<HistRow> &rows) {
  constexpr int kBarWidth = 52;
  uint64_t max_count = 0;
  for (const HistRow &r : rows)
    max_count = std::max(max_count, r.count);
  for (const HistRow &r : rows) {
    // Same float arithmetic as bpftrace, so bars truncate the same way.
    int bar = 0;
    if (max_count > 0)
      bar = static_cast<int>(static_cast<float>(r.count) / static_cast<float>(max_count) *
                             static_cast<float>(kBarWidth));
    out += fmt::format("{:<16}{:>8} |{:<52}|\n", r.label, r.count,
                       std::string(static_cast<size_t>(std::clamp(bar, 0, kBarWidth)), '@'));
  }
}

/// `value - other` as bpftrace's tseries chart measures it (its distance()).
int64_t distance(const std::optional<Number> &value, const std::optional<Number> &other) {
  auto wide = [](const std::optional<Number> &n) -> __int128 {
    if (!n)
      return 0;
    return n->is_signed ? static_cast<__int128>(n->as_signed()) : static_cast<__int128>(n->bits);
  };
  return static_cast<int64_t>(wide(value) - wide(other));
}

/// A tseries value as the chart's labels and rows print it ("null" for none, as bpftrace).
std::string tseries_value_text(const std::optional<Number> &n) {
  return n ? n->to_string() : "null";
}

/// `text` padded with spaces to `width` bytes (std::setw's count, which the chart follows).
std::string pad_bytes(const std::string &text, size_t width, bool left) {
  if (text.size() >= width)
    return text;
  const std::string fill(width - text.size(), ' ');
  return left ? text + fill : fill + text;
}

/// A tseries as bpftrace master's src/output/text.cpp draws it (TextEmitter<TimeSeries>): the
/// value range above and below a 53-column chart, one row per interval with its local start
/// time (hh:mm:ss and the fraction of the interval's unit), `*` at the value, `.` at zero when
/// the range crosses it, ` -` for an interval without a value; `<no data>` when it has no row.
/// `range`, from print(@m, min, max), fixes the chart's ends (values outside it print at them).
void append_tseries(std::string &out, const std::vector<TseriesRow> &rows,
                    std::optional<std::pair<int64_t, int64_t>> range_given) {
  constexpr int kGraphWidth = 53, kPadding = 21;
  if (rows.empty()) {
    out += "<no data>";
    return;
  }
  std::optional<Number> min = rows.front().value, max = rows.front().value;
  for (const TseriesRow &r : rows) {
    if (!r.value)
      continue;
    if (!min || *r.value < *min)
      min = r.value;
    if (!max || *max < *r.value)
      max = r.value;
  }
  if (range_given) {
    min = Number{static_cast<uint64_t>(range_given->first), true};
    max = Number{static_cast<uint64_t>(range_given->second), true};
  } else if (min && max && !(*min < *max) && !(*max < *min)) {
    // Some room on both sides of a flat line, unless at the type's bounds.
    if (min->is_signed ? min->as_signed() > INT64_MIN : min->bits > 0)
      min->bits -= 1;
    if (max->is_signed ? max->as_signed() < INT64_MAX : max->bits < UINT64_MAX)
      max->bits += 1;
  }
  // The unit of the interval (bpftrace's util::duration_str), for the time column.
  const uint64_t interval =
      (rows.back().start_ns - rows.front().start_ns) / (rows.size() > 1 ? rows.size() - 1 : 1);
  int digits = 9;
  std::string unit = "ns";
  if (interval >= 1000000000)
    digits = 0, unit = "s";
  else if (interval >= 1000000)
    digits = 3, unit = "ms";
  else if (interval >= 1000)
    digits = 6, unit = "\u03bcs"; // bpftrace writes "μs"
  std::string time_fmt = "hh:mm:ss";
  size_t time_size = time_fmt.size();
  if (digits > 0) {
    time_fmt += "." + unit;
    time_size += 1 + static_cast<size_t>(digits);
  }
  const std::string range = pad_bytes(tseries_value_text(min), kPadding, true) +
                            pad_bytes(tseries_value_text(max), kGraphWidth - kPadding, false);
  out += std::string(time_size + 1, ' ') + range + "\n";
  out += pad_bytes(time_fmt, time_size + 1, true) + "|" + std::string(kGraphWidth - 2, '_') + "|\n";
  int zero_offset = 0;
  if (distance(min, Number{}) < 0 && distance(Number{}, max) < 0)
    zero_offset = static_cast<int>(static_cast<float>(kGraphWidth) *
                                   static_cast<float>(distance(min, Number{})) /
                                   static_cast<float>(distance(min, max)));
  const bool flat = !min || !max || (!(*min < *max) && !(*max < *min));
  for (const TseriesRow &r : rows) {
    const time_t seconds = static_cast<time_t>(r.start_ns / 1000000000);
    const uint64_t ns = r.start_ns % 1000000000;
    struct tm local;
    localtime_r(&seconds, &local);
    char clock[32];
    strftime(clock, sizeof clock, "%H:%M:%S", &local);
    out += clock;
    if (digits == 9)
      out += fmt::format(".{:09}", ns);
    else if (digits == 6)
      out += fmt::format(".{:06}", ns / 1000);
    else if (digits == 3)
      out += fmt::format(".{:03}", ns / 1000000);
    out += ' ';
    std::string line(kGraphWidth, ' ');
    line[0] = '|';
    line[kGraphWidth - 1] = '|';
    if (zero_offset > 0)
      line[static_cast<size_t>(std::min(zero_offset, kGraphWidth - 1))] = '.';
    if (r.value) {
      int point = kGraphWidth / 2;
      if (!flat)
        point = static_cast<int>(static_cast<float>(kGraphWidth - 1) *
                                 static_cast<float>(distance(min, r.value)) /
                                 static_cast<float>(distance(min, max)));
      line[static_cast<size_t>(std::clamp(point, 0, kGraphWidth - 1))] = '*';
      out += line + " " + r.value->to_string() + "\n";
    } else {
      out += line + " -\n";
    }
  }
  std::string bottom(kGraphWidth, '_');
  bottom.front() = 'v';
  bottom.back() = 'v';
  out += std::string(time_size, ' ') + " " + bottom + "\n";
  out += std::string(time_size, ' ') + " " + range + "\n";
}

/// A duration in its largest whole unit, as bpftrace's util::duration_str: 40ns, 12us, 3ms.
std::string duration_text(uint64_t ns) {
  if (ns >= 1000000000)
    return std::to_string(ns / 1000000000) + "s";
  if (ns >= 1000000)
    return std::to_string(ns / 1000000) + "ms";
  if (ns >= 1000)
    return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

class TextOutput final : public Output {
public:
  TextOutput(FILE *out, FILE *err) : out_(out), err_(err) {}

  void printf_text(std::string_view text) override { write_out(out_, text); }

  void map(const MapInfo &info, const std::vector<MapEntry> &entries, uint64_t top,
           uint64_t div) override {
    const bool args_given = top != 0 || div != 0; // print(@m, top, div); for a tseries, a range
    if (div == 0)
      div = 1;
    std::string text;
    const bool is_hist = info.value.is(TypeKind::Hist) || info.value.is(TypeKind::Lhist);
    if (info.value.is(TypeKind::Tseries)) {
      // Each series a chart under its name, and a blank line. print(@m, min, max) passes the
      // chart's range as top and div.
      std::optional<std::pair<int64_t, int64_t>> range;
      if (args_given)
        range = {static_cast<int64_t>(top), static_cast<int64_t>(div)};
      const auto ordered = print_order(info, entries, 0);
      std::vector<const std::vector<TseriesPoint> *> series;
      for (const MapEntry *e : ordered)
        series.push_back(&e->series);
      const auto rows = tseries_rows(info.value, series);
      for (size_t i = 0; i < ordered.size(); ++i) {
        text += entry_name(info, *ordered[i]) + ":\n";
        append_tseries(text, rows[i], range);
        text += '\n';
      }
      write_out(out_, text);
      return;
    }
    for (const MapEntry *e : print_order(info, entries, top)) {
      text += entry_name(info, *e);
      if (is_hist) {
        text += ":\n";
        append_histogram(text, histogram_rows(info.value, e->buckets, div));
        text += '\n';
        continue;
      }
      text += ": ";
      if (e->value.size() >= info.value.size) {
        TextContext ctx;
        ctx.div = div;
        append_value(text, info.value, e->value.data(), ctx);
      }
      text += '\n';
    }
    write_out(out_, text);
  }

  void value(const Type &type, const uint8_t *data) override {
    write_out(out_, value_to_text(type, data) + "\n");
  }

  void time(std::string_view text) override { write_out(out_, text); }

  void cat(std::string_view text) override { write_out(out_, text); }

  void join(std::string_view text) override { write_out(out_, std::string(text) + "\n"); }
  void syscall(std::string_view text) override { write_out(out_, text); }

  void attached_probes(size_t count) override {
    write(err_, fmt::format("Attached {} {}\n", count, count == 1 ? "probe" : "probes"));
  }

  void lost_events(uint64_t count, std::string_view probe) override {
    flush_out(out_); // after the output the loss makes incomplete
    write(err_, fmt::format("Lost {} events from {}\n", count, probe));
  }

  void map_full(const MapInfo &info, uint64_t count) override {
    flush_out(out_);
    write(err_, fmt::format("{} update{} of {} failed: the map is full ({} keys); raise "
                            "max_map_keys\n",
                            count, count == 1 ? "" : "s", info.name, info.max_entries));
  }

  void runtime_warning(const RuntimeWarning &w) override { runtime_error(w.text); }

  void message(const RuntimeWarning &w, bool) override { runtime_error(w.text); }

  void runtime_error(std::string_view message) override {
    std::string line(message);
    if (line.empty() || line.back() != '\n')
      line += '\n';
    flush_out(out_); // keep the message after the output it follows
    write(err_, line);
  }

  void end_of_run() override { write_out(out_, "\n\n"); }

  void test_result(std::string_view name, bool passed) override {
    write_out(out_, fmt::format("{} {}\n", passed ? "PASS" : "FAIL", name));
  }

  void benchmark_results(const std::vector<std::pair<std::string, uint64_t>> &rows) override {
    const std::string_view name_header = "BENCHMARK", time_header = "AVERAGE TIME";
    size_t width = name_header.size();
    for (const auto &row : rows)
      width = std::max(width, row.first.size());
    const std::string rule =
        "+" + std::string(width + 2, '-') + "+" + std::string(time_header.size() + 2, '-') + "+\n";
    std::string text =
        rule + fmt::format("| {:<{}} | {} |\n", name_header, width, time_header) + rule;
    for (const auto &[name, ns] : rows)
      text +=
          fmt::format("| {:<{}} | {:<{}} |\n", name, width, duration_text(ns), time_header.size());
    write_out(out_, text + rule + "\n");
  }

  void flush() override {
    flush_out(out_);
    fflush(err_);
  }

private:
  /// Notices on `err_`: a failure there does not end the run.
  static void write(FILE *f, std::string_view text) {
    if (!text.empty())
      fwrite(text.data(), 1, text.size(), f);
  }

  FILE *out_;
  FILE *err_;
};

} // namespace

void set_value_symbols(ValueSymbols *symbols) {
  g_symbols = symbols;
}

std::string value_to_text(const Type &type, const uint8_t *data) {
  std::string out;
  append_value(out, type, data, TextContext{});
  return out;
}

std::string map_key_text(const Type &key, const uint8_t *data, std::string_view separator) {
  return key_text(key, data, separator);
}

std::unique_ptr<Output> make_text_output(FILE *out, FILE *err) {
  return std::make_unique<TextOutput>(out, err);
}

void set_str_trunc_trailer(std::string trailer) {
  trunc_trailer() = std::move(trailer);
}

std::string timestamp_text(const std::string &format, uint64_t ns, bool tai) {
  // CLOCK_REALTIME minus the clock `ns` counts on, read once.
  auto offset = [](clockid_t clock) {
    struct timespec real, other;
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(clock, &other);
    return (real.tv_sec - other.tv_sec) * 1000000000LL + (real.tv_nsec - other.tv_nsec);
  };
  static const int64_t boot_ns = offset(CLOCK_BOOTTIME);
  static const int64_t tai_ns = offset(CLOCK_TAI);
  const int64_t wall = (tai ? tai_ns : boot_ns) + static_cast<int64_t>(ns);
  const int64_t micros = ((wall % 1000000000LL) + 1000000000LL) % 1000000000LL / 1000;
  std::string fmt;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] == '%' && i + 1 < format.size() && format[i + 1] == '%') {
      fmt += "%%";
      ++i;
    } else if (format[i] == '%' && i + 1 < format.size() && format[i + 1] == 'f') {
      fmt += fmt::format("{:06}", micros);
      ++i;
    } else {
      fmt += format[i];
    }
  }
  time_t seconds =
      static_cast<time_t>(wall >= 0 ? wall / 1000000000LL : (wall - 999999999) / 1000000000LL);
  struct tm local;
  localtime_r(&seconds, &local);
  char text[512];
  size_t n = fmt.empty() ? 0 : strftime(text, sizeof(text), fmt.c_str(), &local);
  if (n == 0 && !fmt.empty())
    return "(?)";
  return std::string(text, n);
}

std::string username_text(uint64_t uid) {
  std::ifstream passwd("/etc/passwd");
  const std::string want = std::to_string(uid);
  std::string line;
  while (std::getline(passwd, line)) {
    // name:password:uid:gid:gecos:home:shell (passwd(5))
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    size_t third = second == std::string::npos ? second : line.find(':', second + 1);
    if (third != std::string::npos && line.compare(second + 1, third - second - 1, want) == 0)
      return line.substr(0, first);
  }
  return "";
}

std::string cgroup_path_text(uint64_t id, const std::string &filter) {
  struct Root {
    std::string name, dir;
  };
  std::vector<Root> v2, v1;
  std::ifstream mounts("/proc/mounts");
  std::string device, dir, fstype, rest;
  while (mounts >> device >> dir >> fstype && std::getline(mounts, rest)) {
    if (fstype == "cgroup2")
      v2.push_back({"unified", dir});
    else if (fstype == "cgroup")
      v1.push_back({std::filesystem::path(dir).filename().string(), dir});
  }
  std::sort(v1.begin(), v1.end(), [](const Root &a, const Root &b) { return a.name < b.name; });
  v2.insert(v2.end(), v1.begin(), v1.end());
  // Paths found before, checked again (a cgroup may have gone since).
  static std::map<std::pair<std::string, uint64_t>, std::string> found;
  std::string out;
  for (const Root &root : v2) {
    if (fnmatch(filter.c_str(), root.name.c_str(), 0) != 0)
      continue;
    std::string path;
    struct stat st;
    auto it = found.find({root.dir, id});
    if (it != found.end() && stat((root.dir + it->second).c_str(), &st) == 0 && st.st_ino == id) {
      path = it->second;
    } else if (stat(root.dir.c_str(), &st) == 0 && st.st_ino == id) {
      path = "/";
    } else {
      std::error_code ec;
      for (auto e = std::filesystem::recursive_directory_iterator(
               root.dir, std::filesystem::directory_options::skip_permission_denied, ec);
           !ec && e != std::filesystem::recursive_directory_iterator(); e.increment(ec)) {
        if (!e->is_directory(ec) || ec)
          continue;
        if (stat(e->path().c_str(), &st) == 0 && st.st_ino == id) {
          path = "/" + std::filesystem::relative(e->path(), root.dir, ec).string();
          break;
        }
      }
    }
    if (path.empty())
      continue;
    found[{root.dir, id}] = path;
    out += (out.empty() ? "" : ",") + root.name + ":" + path;
  }
  return out;
}

std::string inet_text(const uint8_t *data) {
  int64_t family;
  std::memcpy(&family, data, 8);
  char text[INET6_ADDRSTRLEN] = {};
  if ((family != AF_INET && family != AF_INET6) ||
      !inet_ntop(static_cast<int>(family), data + 8, text, sizeof(text)))
    return "";
  return text;
}

} // namespace scry
