// Output of a running program: printf lines, print(), map contents at exit, and scry's own
// notices, in text (bpftrace's layout) or JSON lines (`-f json`). Formatters only format: map
// contents arrive already read and merged (see map_reader.h).
#pragma once

#include "base/types.h"
#include "sema/resources.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scry {

/// A resolved address as stacks and symbols print it.
struct FrameSymbol {
  std::string name;    // the symbol (C++ names demangled)
  uint64_t offset = 0; // bytes from the symbol's start
  std::string module;  // user: the mapped file's path; kernel: the module's name, "" for vmlinux
};

/// A runtime warning a probe sent, worded and located (runtime_warning.h).
struct RuntimeWarning {
  std::string text; // what text output shows: the located warning, ending in a newline
  std::string msg;  // the message alone
  std::string filename;
  unsigned line = 0, column = 0; // 0 when unlocated
  int64_t helper = 0;            // a failed BPF helper's id (-k), else 0
  int64_t retcode = 0;           // that helper's return code
};

/// What the text of kstack, ustack, ksym and usym values needs: addresses resolved to symbols.
/// The runner installs one for the run (set_value_symbols); without one, every frame prints as
/// its address.
class ValueSymbols {
public:
  virtual ~ValueSymbols() = default;
  /// The kernel symbol holding `address`, or nullopt.
  virtual std::optional<FrameSymbol> kernel(uint64_t address) = 0;
  /// The symbol holding user `address` in process `pid`, seen by program `probe`
  /// (Resources::programs index), or nullopt.
  virtual std::optional<FrameSymbol> user(uint64_t address, int32_t pid, int32_t probe) = 0;
};

/// Installs the resolver value_to_text() and the outputs use for stacks and symbols (null:
/// none). The runner sets it for the length of a run; formatting happens on its thread only.
void set_value_symbols(ValueSymbols *symbols);

/// One interval of a tseries: its number (TAI nanoseconds / the interval) and its value's bits
/// (an i64 or a u64, as the tseries' Type::is_signed says).
struct TseriesPoint {
  uint64_t epoch = 0;
  uint64_t bits = 0;
};

/// One entry of a map, as read from the kernel with per-CPU values merged.
struct MapEntry {
  /// The user key's bytes (MapInfo::key layout); empty without keys.
  std::vector<uint8_t> key;
  /// The merged value's bytes (MapInfo::value layout); empty for hist/lhist.
  std::vector<uint8_t> value;
  /// Hist/Lhist: the merged count per bucket index (the index as in the BPF key).
  std::vector<uint64_t> buckets;
  /// Tseries: the intervals its slots hold, ascending by epoch.
  std::vector<TseriesPoint> series;
};

class Output {
public:
  virtual ~Output() = default;
  /// Text produced by printf, already formatted.
  virtual void printf_text(std::string_view text) = 0;
  /// A map: print(@m[, top[, div]]) and the maps printed at exit. top 0 = all entries, div 0 or
  /// 1 = values as they are. For a tseries map, print(@m, min, max) passes its chart's range as
  /// top and div (int64 bits); both 0 when not given.
  virtual void map(const MapInfo &info, const std::vector<MapEntry> &entries, uint64_t top,
                   uint64_t div) = 0;
  /// print(value) of a non-map value.
  virtual void value(const Type &type, const uint8_t *data) = 0;
  /// time(fmt): the formatted local time.
  virtual void time(std::string_view text) = 0;
  /// cat(): a file's contents (at most max_cat_bytes), as read.
  virtual void cat(std::string_view text) = 0;
  /// join(): the array's strings joined by the separator (text output adds a newline).
  virtual void join(std::string_view text) = 0;
  /// system(): the command's standard output, as it wrote it (bpftrace's "syscall" message).
  virtual void syscall(std::string_view text) = 0;
  /// "Attached N probes" (stderr in text mode).
  virtual void attached_probes(size_t count) = 0;
  /// `count` events of `probe` that could not be sent to user space (the ring buffer was full)
  /// since the last report.
  virtual void lost_events(uint64_t count, std::string_view probe) = 0;
  /// `count` updates of map `info` that failed since the last report: the map was full.
  virtual void map_full(const MapInfo &info, uint64_t count) = 0;
  /// A runtime error or warning of scry's own, worded in full.
  virtual void runtime_error(std::string_view message) = 0;
  /// A probe's runtime warning (text: w.text on `err`; JSON: a runtime_error or helper_error
  /// object with msg, filename, line and col, as the newest bpftrace's json.cpp writes them).
  virtual void runtime_warning(const RuntimeWarning &w) = 0;
  /// errorf()'s (`error`) or warnf()'s message, located at the call: `w.text` on stderr, or an
  /// "errorf"/"warnf" object with msg, filename, line and col.
  virtual void message(const RuntimeWarning &w, bool error) = 0;
  /// One test probe's result (--test): its name ("test:okay") and whether it passed.
  virtual void test_result(std::string_view name, bool passed) = 0;
  /// The bench probes' average times (--bench), in nanoseconds per run, in declaration order.
  virtual void benchmark_results(const std::vector<std::pair<std::string, uint64_t>> &rows) = 0;
  /// The blank line bpftrace prints before the maps at exit (text mode only; bpftrace writes
  /// two newlines there). Call it once the event loop is done, then map() for every map in name
  /// order.
  virtual void end_of_run() = 0;
  virtual void flush() = 0;

  /// The errno of the first write to, or flush of, the program's output that failed (EPIPE,
  /// ENOSPC, EBADF, ...), or 0 while every one has succeeded. The run ends once it is set;
  /// failures of the notices' stream (stderr) are not counted.
  int write_error() const { return write_error_; }

protected:
  /// Writes `text` to `out` and keeps the first failure for write_error().
  void write_out(FILE *out, std::string_view text) {
    if (!text.empty() && fwrite(text.data(), 1, text.size(), out) != text.size())
      failed(errno);
  }
  void flush_out(FILE *out) {
    if (fflush(out) != 0)
      failed(errno);
  }

private:
  void failed(int err) {
    if (write_error_ == 0)
      write_error_ = err != 0 ? err : EIO;
  }
  int write_error_ = 0;
};

/// Text output in bpftrace's layout: `out` receives the program's output, `err` scry's notices.
///
/// Layouts (bpftrace master's src/output/text.cpp; see tests/unit/golden/README.md for where it
/// differs from bpftrace 0.17):
///   - map(): one line per entry, `@name: value` or `@name[k1, k2]: value` (string keys
///     unquoted); hist and lhist print `@name[key]:` then one row per bucket (label
///     left-justified in 16 columns, count right-justified in 8, ` |`, a bar of up to 52 `@`,
///     `|`) and a blank line after each histogram. Other maps print no blank line after them.
///   - value(): print(v) of a non-map value, then a newline: `5`, `str`, `(1, a)`,
///     `{ .a = 1, .b = x }`, `[1,2]`, `true`.
///   - attached_probes(), lost_events(), runtime_error() write to `err`:
///     "Attached 1 probe", "Attached N probes", "Lost N events from PROBE", the message as
///     given; map_full() too: "N updates of @m failed: the map is full (K keys); ...".
///   - end_of_run(): two newlines on `out`, as bpftrace prints before the maps at exit.
///   - test_result(): `PASS test:okay` or `FAIL test:failure` on `out`.
///   - benchmark_results(): bpftrace's table: `| BENCHMARK | AVERAGE TIME |` between `+---+`
///     rules, one row per bench probe (its name without "bench:"), the time in the largest unit
///     (ns, us, ms, s) it is at least one of, then a blank line.
std::unique_ptr<Output> make_text_output(FILE *out, FILE *err);

/// Sets the text appended to a string that filled its buffer without a NUL, in every output
/// (config str_trunc_trailer; ".." by default, "" for none).
void set_str_trunc_trailer(std::string trailer);
/// JSON lines (bpftrace's -f json objects: {"type": ..., "data": ...}), all on `out`.
///
/// Spacing as bpftrace writes it: `{"k": v, "k2": v2}` for objects, `[a,b]` for arrays. Types:
///   printf  {"type": "printf", "data": "text"}
///   value   {"type": "value", "data": 5}; tuples and arrays are arrays, records objects
///   map     {"type": "map", "data": {"@x": 5}} or {"@x": {"key": 5}}; keys are the text of the
///           key with `,` between the parts of a tuple key ("curl,3")
///   hist    {"type": "hist", "data": {"@h": [{"min": 2, "max": 3, "count": 1}, ...]}}; a
///           bucket's open end has no "min" / "max"; keyed: {"@h": {"key": [...]}}
///   stats   {"type": "stats", "data": {"@s": {"count": 2, "average": 6, "total": 12}}}; avg
///           maps use this type too, with the average as the value
///   test_result       {"type": "test_result", "data": {"name": "test:okay", "passed": true}}
///   benchmark_result  {"type": "benchmark_result", "data": {"name": "count", "average_ns": 40}},
///                     one line per bench probe
///   time, cat ({"type": "cat", "data": "file contents"}), join ({"type": "join", "data":
///   "a b"}), attached_probes ({"count": N,
///   "data": {"probes": N}}), lost_events
///   ({"count": N, "data": {"events": N}}), runtime_error ({"msg": "..."}, with "filename",
///   "line" and "col" when a probe sent it), helper_error ({"msg": "Bad address", "helper":
///   "113", "retcode": -14, "filename": ..., "line": ..., "col": ...}).
/// Integers that a double cannot hold exactly are written as strings ("9223372036854775807"),
/// as bpftrace does. Maps without entries print nothing. An integer of enum type is a number
/// here, as in bpftrace's JSON (which writes symbolic values as numbers), except in a map's
/// key, whose text names it: {"@": {"SKB_DROP_REASON_NO_SOCKET": 1}}.
std::unique_ptr<Output> make_json_output(FILE *out);

/// The text print() shows for a value laid out as `type` at `data` (bpftrace's text layout):
/// integers in decimal, strings up to their NUL (with ".." appended when no NUL fits in the
/// buffer), buffers with non-printable bytes as \xNN, pointers as 0x..., bools as true/false,
/// tuples `(1, a)` and records `{ .a = 1, .b = x }` (strings are never quoted), arrays
/// `[1,2]`, aggregations as their number (stats as `{ .count = N, .average = A, .total = T }`).
/// Stacks print as bpftrace's get_stack() does: a newline, then one line per frame (mode
/// bpftrace: 8 spaces and `symbol+offset`; perf: a tab, the hex address, `symbol+offset`, and for
/// user frames ` (file)`; raw: the hex address), unresolved frames as `0x...`; ksym and usym as
/// the symbol's name. Timestamps (strftime) print as timestamp_text, ntop addresses as
/// inet_text, username as username_text, macaddr as six uppercase hex pairs joined by `:`.
/// An integer of enum type
/// (EnumInfo) prints as its enumerator's name, or its unsigned number when it has none.
std::string value_to_text(const Type &type, const uint8_t *data);

/// strftime(): `ns` nanoseconds since boot (CLOCK_BOOTTIME) as local time, formatted with
/// strftime(3)'s `format`, where `%f` is the microseconds (6 digits, zero-padded), as bpftrace's
/// extension. The boot time is the difference of CLOCK_REALTIME and CLOCK_BOOTTIME, read once.
/// "(?)" when the text does not fit in 512 bytes.
/// With `tai`, `ns` counts CLOCK_TAI's nanoseconds (nsecs(tai)) instead.
std::string timestamp_text(const std::string &format, uint64_t ns, bool tai = false);

/// ntop(): base/types.h's Inet at `data` ({ i64 family; u8 address[16] }) as inet_ntop(3)
/// writes it: "127.0.0.1", "::1". Empty for a family other than AF_INET and AF_INET6, as in
/// bpftrace.
std::string inet_text(const uint8_t *data);

/// username: the name of user `uid` in /etc/passwd (the first line whose third field is the
/// uid), read each time as bpftrace does; empty when no line has it or the file cannot be read.
std::string username_text(uint64_t uid);

/// cgroup_path(): the paths of cgroup `id` (a cgroup directory's inode number), as
/// "NAME:/path" joined by ",", as bpftrace prints them: for each cgroup hierarchy mounted
/// (/proc/mounts) whose name matches `filter` (fnmatch(3); "unified" for cgroup v2, the mount
/// directory's name for a v1 one), v2 first, the directory below its mount point whose inode is
/// `id` ("/" for the root). Empty when no hierarchy has it. Found paths are remembered.
std::string cgroup_path_text(uint64_t id, const std::string &filter);

/// The text of a map key as it prints between `[` and `]`: the parts of a tuple key joined with
/// `separator` (", " in text output, "," in JSON object keys), strings unquoted.
std::string map_key_text(const Type &key, const uint8_t *data, std::string_view separator);

/// Formats one printf record: `args` points at the payload laid out as `info.args` (a Tuple, C
/// layout). Each conversion goes through snprintf with the user's flags, width and precision,
/// the argument widened to 64 bits by its type's signedness; length modifiers cut it as C does
/// (%hhx of 0x1ff prints ff). %c prints the character, %p prints 0x followed by lowercase hex,
/// %r prints printable bytes as they are and others as \xNN, %rx every byte as \xNN, %rh every
/// byte as two hex digits separated by spaces. Strings are never read past their fixed size.
/// `info.format` must have passed check_printf() (base/printf_format.h) against `info.args`.
std::string format_printf(const PrintfInfo &info, const uint8_t *args);

} // namespace scry
