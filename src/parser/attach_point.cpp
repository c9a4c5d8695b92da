// The attach-point pass. See attach_point.h.
#include "parser/attach_point.h"

#include "base/perf_events.h"
#include "parser/suggest.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace scry {

namespace {

using ast::AttachPoint;
using ast::ProbeType;

/// One part of an attach point after splitting on ':', with quotes removed.
struct Part {
  std::string text;
  size_t offset; // byte offset in the (substituted) raw text, for error columns
  size_t length;
  bool quoted;
};

class AttachPointParser {
public:
  AttachPointParser(AttachPoint &ap, const std::vector<std::string> &params, Diagnostics &diags)
      : ap_(ap), params_(params), diags_(diags) {}

  /// Returns false after reporting an error.
  bool run(std::string &probe_name) {
    // `kprobe:f/pid == 1/` lexes as one attach point: paths may contain '/', so a predicate
    // needs white space before it. No attach point ends in '/'.
    if (ap_.raw.size() > 1 && ap_.raw.back() == '/') {
      size_t slash = ap_.raw.find('/');
      return fail_raw(slash, ap_.raw.size() - slash,
                      "a predicate must be separated from its attach point by a space",
                      "write '" + ap_.raw.substr(0, slash) + " " + ap_.raw.substr(slash) + "'",
                      DiagCode::InvalidAttachPoint);
    }
    if (!substitute())
      return false;
    // `name=provider:...` names the probe (bpftrace 0.25+; reserved for future use).
    size_t eq = text_.find('=');
    size_t colon = text_.find(':');
    if (eq != std::string::npos && (colon == std::string::npos || eq < colon)) {
      std::string name = text_.substr(0, eq);
      bool ident = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                   std::all_of(name.begin(), name.end(), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                   });
      if (!ident)
        return fail(0, eq + 1, "invalid probe name '" + name + "'",
                    "a probe name is an identifier: name=provider:...");
      probe_name = name;
      base_ = eq + 1;
    }
    if (!split())
      return false;
    return dispatch();
  }

private:
  // Replaces $N with the N-th positional parameter (bpftrace allows them anywhere in a probe).
  bool substitute() {
    const std::string &raw = ap_.raw;
    bool in_quote = false;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '"')
        in_quote = !in_quote;
      if (c == '$' && !in_quote && i + 1 < raw.size() &&
          std::isdigit(static_cast<unsigned char>(raw[i + 1]))) {
        size_t j = i + 1;
        while (j < raw.size() && std::isdigit(static_cast<unsigned char>(raw[j])))
          ++j;
        std::string digits = raw.substr(i + 1, j - i - 1);
        size_t n = digits.size() > 6 ? 0 : std::stoul(digits);
        if (n == 0 || n > params_.size()) {
          fail_raw(i, j - i,
                   "positional parameter $" + digits + " is used in an attach point but " +
                       (n == 0 ? std::string("is not valid")
                               : "only " + std::to_string(params_.size()) + " were given"),
                   "pass it after the program: scry -e '...' value",
                   DiagCode::InvalidPositionalParameter);
          return false;
        }
        text_ += params_[n - 1];
        substituted_ = true;
        i = j - 1;
        continue;
      }
      text_ += c;
    }
    return true;
  }

  bool split() {
    Part cur{"", base_, 0, false};
    bool in_quote = false;
    for (size_t i = base_; i < text_.size(); ++i) {
      char c = text_[i];
      if (c == '"') {
        in_quote = !in_quote;
        cur.quoted = true;
        continue;
      }
      if (c == ':' && !in_quote) {
        cur.length = i - cur.offset;
        parts_.push_back(cur);
        cur = Part{"", i + 1, 0, false};
        continue;
      }
      cur.text += c;
    }
    cur.length = text_.size() - cur.offset;
    parts_.push_back(cur);
    return true;
  }

  bool dispatch() {
    const Part &provider = parts_[0];
    ProbeType type = probe_type_from_provider(provider.text);
    if (type == ProbeType::Invalid) {
      std::string hint = unknown_provider_hint(provider.text);
      if (provider.text.empty())
        return fail_part(provider, "missing probe provider before ':'", hint,
                         DiagCode::EmptyAttachPointPart);
      return fail_part(provider, "unknown probe provider '" + provider.text + "'", hint,
                       DiagCode::UnknownProvider);
    }
    ap_.type = type;
    ap_.provider = probe_type_name(type);

    switch (type) {
    case ProbeType::Invalid:
      return false;
    case ProbeType::Begin:
    case ProbeType::End:
      return expect_parts(1, 1, "");
    case ProbeType::Self:
      if (!expect_parts(3, 3, "self:signal:SIGUSR1"))
        return false;
      ap_.target = parts_[1].text;
      ap_.func = parts_[2].text;
      if (ap_.target != "signal")
        return fail_part(parts_[1], "unknown self probe '" + ap_.target + "'",
                         "the self provider has one probe: self:signal:SIGUSR1");
      return true;
    case ProbeType::Test:
    case ProbeType::Bench:
      if (!expect_parts(2, 2, std::string(ap_.provider) + ":name"))
        return false;
      ap_.func = parts_[1].text;
      return true;
    case ProbeType::Kprobe:
    case ProbeType::Kretprobe:
      return kernel_function(type == ProbeType::Kprobe, "kprobe:vfs_read");
    case ProbeType::Fentry:
    case ProbeType::Fexit:
      return kernel_function(false, std::string(ap_.provider) + ":vfs_read");
    case ProbeType::RawTracepoint:
      if (!expect_parts(2, 3, "rawtracepoint:sched_switch"))
        return false;
      assign_module_and_function();
      return true;
    case ProbeType::Tracepoint:
      if (!expect_parts(3, 3, "tracepoint:syscalls:sys_enter_openat"))
        return false;
      ap_.target = parts_[1].text;
      ap_.func = parts_[2].text;
      mark_wildcards(parts_[1]);
      mark_wildcards(parts_[2]);
      return true;
    case ProbeType::Uprobe:
    case ProbeType::Uretprobe:
      return user_function(type == ProbeType::Uprobe);
    case ProbeType::Usdt:
      if (!expect_parts(2, 4, "usdt:/path/to/binary:probe"))
        return false;
      if (parts_.size() == 2) {
        ap_.func = parts_[1].text; // the binary comes from -p
      } else if (parts_.size() == 3) {
        ap_.target = parts_[1].text;
        ap_.func = parts_[2].text;
      } else {
        ap_.target = parts_[1].text;
        ap_.ns = parts_[2].text;
        ap_.func = parts_[3].text;
        mark_wildcards(parts_[2]);
      }
      for (size_t i = 1; i < parts_.size(); ++i)
        mark_wildcards(parts_[i]);
      return true;
    case ProbeType::Profile:
    case ProbeType::Interval:
      return timer(type == ProbeType::Profile);
    case ProbeType::Software:
      return perf_event(software_events(), "software:cpu-clock:100000");
    case ProbeType::Hardware:
      return perf_event(hardware_events(), "hardware:cache-misses:1000000");
    case ProbeType::Watchpoint:
      return watchpoint();
    case ProbeType::Iter:
      if (!expect_parts(2, 3, "iter:task"))
        return false;
      ap_.func = parts_[1].text;
      if (parts_.size() == 3)
        ap_.target = parts_[2].text; // pin path
      return true;
    }
    return false;
  }

  // kprobe:[module:]function[+offset], kprobe:0xaddress; fentry:[module:]function.
  bool kernel_function(bool allow_offset, const std::string &example) {
    if (!expect_parts(2, 3, example))
      return false;
    Part &fn = parts_.back();
    if (parts_.size() == 2 && is_number(fn.text) && fn.text.rfind("0x", 0) == 0) {
      if (!allow_offset)
        return fail_part(fn, "a " + ap_.provider + " probe cannot attach to an address", "");
      return number(fn, fn.text, ap_.address) && (ap_.has_address = true);
    }
    if (!split_offset(fn, allow_offset))
      return false;
    assign_module_and_function();
    return true;
  }

  // uprobe:binary:function[+offset], uprobe:binary:0xaddress, uprobe:binary:cpp:symbol,
  // uprobe:function (binary from -p).
  bool user_function(bool allow_offset) {
    if (parts_.size() < 2)
      return expect_parts(2, 3, "uprobe:/bin/bash:readline");
    if (parts_.size() == 2) {
      ap_.func = parts_[1].text;
      return check_not_empty(parts_[1], "function") && split_offset(parts_[1], allow_offset) &&
             (mark_wildcards(parts_[1]), true);
    }
    ap_.target = parts_[1].text;
    if (!check_not_empty(parts_[1], "binary path"))
      return false;
    mark_wildcards(parts_[1]);
    size_t fn_index = 2;
    if (parts_.size() >= 4 && (parts_[2].text == "cpp" || parts_[2].text == "c") &&
        !parts_[2].quoted) {
      ap_.lang = parts_[2].text;
      fn_index = 3;
    }
    // A C++ symbol may contain "::"; everything after the binary (and language) is the symbol.
    Part fn = parts_[fn_index];
    for (size_t i = fn_index + 1; i < parts_.size(); ++i) {
      if (ap_.lang.empty())
        return fail_part(parts_[i], "too many ':'-separated parts in a uprobe",
                         "quote a C++ symbol, or name its language: uprobe:/bin/x:cpp:ns::f");
      fn.text += ":" + parts_[i].text;
      fn.length = parts_[i].offset + parts_[i].length - fn.offset;
    }
    if (!check_not_empty(fn, "function"))
      return false;
    if (ap_.lang.empty() && fn.text.rfind("0x", 0) == 0 && is_number(fn.text))
      return number(fn, fn.text, ap_.address) && (ap_.has_address = true);
    if (!split_offset(fn, allow_offset))
      return false;
    ap_.func = fn.text;
    mark_wildcards(fn);
    return true;
  }

  bool split_offset(Part &fn, bool allow_offset) {
    size_t plus = fn.quoted ? std::string::npos : fn.text.rfind('+');
    if (plus == std::string::npos)
      return true;
    Part off{fn.text.substr(plus + 1), fn.offset + plus + 1, fn.length - plus - 1, false};
    if (!allow_offset)
      return fail_part(off, "a " + ap_.provider + " probe cannot have an offset",
                       "offsets apply to kprobe and uprobe");
    if (!number(off, off.text, ap_.offset))
      return false;
    ap_.has_offset = true;
    fn.text.resize(plus);
    fn.length = plus;
    return check_not_empty(fn, "function");
  }

  void assign_module_and_function() {
    if (parts_.size() == 3) {
      ap_.target = parts_[1].text;
      mark_wildcards(parts_[1]);
    }
    ap_.func = parts_.size() == 3 ? parts_[2].text : parts_[1].text;
    if (ap_.func.empty())
      ap_.func = parts_.back().text;
    mark_wildcards(parts_.back());
  }

  // profile:hz:99, profile:s:1, profile:99 (hz), profile:10ms; interval:s:1, interval:1s.
  bool timer(bool profile) {
    const char *example = profile ? "profile:hz:99" : "interval:s:1";
    if (!expect_parts(2, 3, example))
      return false;
    static const char *const units[] = {"hz", "s", "ms", "us", "ns"};
    if (parts_.size() == 3) {
      const std::string &unit = parts_[1].text;
      if (std::find_if(std::begin(units), std::end(units),
                       [&](const char *u) { return unit == u; }) == std::end(units))
        return fail_part(parts_[1], "unknown " + ap_.provider + " unit '" + unit + "'",
                         "units: hz, s, ms, us, ns (e.g. " + std::string(example) + ")");
      ap_.unit = unit;
      if (!number(parts_[2], parts_[2].text, ap_.freq))
        return false;
      return positive(parts_[2]);
    }
    // One part: a number with a duration suffix (interval:1s), or a bare rate for profile.
    Part &p = parts_[1];
    size_t digits = 0;
    while (digits < p.text.size() && std::isdigit(static_cast<unsigned char>(p.text[digits])))
      ++digits;
    std::string suffix = p.text.substr(digits);
    if (digits == 0)
      return fail_part(p, "expected a rate or a period, e.g. " + std::string(example), "");
    Part num{p.text.substr(0, digits), p.offset, digits, false};
    if (!number(num, num.text, ap_.freq) || !positive(p))
      return false;
    if (suffix.empty()) {
      if (!profile)
        return fail_part(p, "interval needs a unit",
                         "write interval:s:" + num.text + " or interval:" + num.text + "s");
      ap_.unit = "hz";
      return true;
    }
    static const std::pair<const char *, uint64_t> scaled[] = {
        {"m", 60}, {"h", 3600}, {"d", 86400}};
    for (const auto &[name, factor] : scaled) {
      if (suffix == name) {
        ap_.unit = "s";
        if (__builtin_mul_overflow(ap_.freq, factor, &ap_.freq))
          return fail_part(p, "period is too long", "");
        return true;
      }
    }
    if (std::find_if(std::begin(units), std::end(units),
                     [&](const char *u) { return suffix == u; }) == std::end(units))
      return fail_part(p, "unknown unit '" + suffix + "' in '" + p.text + "'",
                       "units: hz, s, ms, us, ns, m, h, d (e.g. " + ap_.provider + ":1s)");
    ap_.unit = suffix;
    return true;
  }

  bool perf_event(std::span<const PerfEventInfo> events, const std::string &example) {
    if (!expect_parts(2, 3, example))
      return false;
    const std::string &name = parts_[1].text;
    const PerfEventInfo *found = find_perf_event(events, name);
    if (found)
      ap_.target = found->name; // canonical long name
    std::string hint;
    size_t best = 4;
    for (const PerfEventInfo &ev : events) {
      size_t d = edit_distance(name, ev.name);
      if (d < best)
        best = d, hint = std::string("did you mean '") + ev.name + "'?";
    }
    if (!found) {
      if (hint.empty()) {
        hint = "events:";
        for (const PerfEventInfo &ev : events)
          hint += std::string(" ") + ev.name;
      }
      return fail_part(parts_[1], "unknown " + ap_.provider + " event '" + name + "'", hint);
    }
    if (parts_.size() == 3)
      return number(parts_[2], parts_[2].text, ap_.freq) && positive(parts_[2]);
    return true;
  }

  // watchpoint:0xaddress:length:mode
  bool watchpoint() {
    if (!expect_parts(4, 4, "watchpoint:0x10000000:8:rw"))
      return false;
    if (!number(parts_[1], parts_[1].text, ap_.address))
      return false;
    ap_.has_address = true;
    if (!number(parts_[2], parts_[2].text, ap_.length))
      return false;
    if (ap_.length != 1 && ap_.length != 2 && ap_.length != 4 && ap_.length != 8)
      return fail_part(parts_[2], "watchpoint length must be 1, 2, 4 or 8 bytes", "");
    const std::string &mode = parts_[3].text;
    bool ok = !mode.empty() && mode.size() <= 3;
    for (char c : mode)
      ok &= (c == 'r' || c == 'w' || c == 'x') && std::count(mode.begin(), mode.end(), c) == 1;
    if (!ok)
      return fail_part(parts_[3], "invalid watchpoint mode '" + mode + "'",
                       "the mode is a combination of r, w and x, e.g. rw");
    ap_.mode = mode;
    return true;
  }

  // ---- helpers ----

  bool expect_parts(size_t min, size_t max, const std::string &example) {
    for (size_t i = 1; i < parts_.size(); ++i)
      if (parts_[i].text.empty() && !parts_[i].quoted)
        return fail_part(parts_[i], "empty part in attach point '" + text_.substr(base_) + "'",
                         example.empty() ? "" : "for example: " + example,
                         DiagCode::EmptyAttachPointPart);
    if (parts_.size() < min || parts_.size() > max) {
      std::string msg = ap_.provider + " probes take ";
      if (min == max)
        msg += std::to_string(min - 1) + (min == 2 ? " part" : " parts");
      else
        msg += std::to_string(min - 1) + " to " + std::to_string(max - 1) + " parts";
      msg += " after the provider, but '" + text_.substr(base_) + "' has " +
             std::to_string(parts_.size() - 1);
      if (min == 1 && max == 1)
        msg = ap_.provider + " takes no arguments";
      return fail(base_, text_.size() - base_, msg,
                  example.empty() ? "" : "for example: " + example);
    }
    return true;
  }

  bool check_not_empty(const Part &p, const std::string &what) {
    if (!p.text.empty())
      return true;
    return fail_part(p, "missing " + what + " in attach point", "", DiagCode::EmptyAttachPointPart);
  }

  static bool is_number(const std::string &s) {
    if (s.empty())
      return false;
    if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0)
      return s.size() > 2 && std::all_of(s.begin() + 2, s.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
             });
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  }

  bool number(const Part &p, const std::string &s, uint64_t &out) {
    if (!is_number(s))
      return fail_part(p, "expected a number, got '" + s + "'", "");
    errno = 0;
    char *end = nullptr;
    out = std::strtoull(s.c_str(), &end, 0);
    if (errno == ERANGE)
      return fail_part(p, "number '" + s + "' does not fit in 64 bits", "");
    return true;
  }

  bool positive(const Part &p) {
    if (ap_.freq > 0)
      return true;
    return fail_part(p, "must be greater than zero", "");
  }

  void mark_wildcards(const Part &p) {
    if (!p.quoted && p.text.find_first_of("*?[") != std::string::npos)
      ap_.wildcard = true;
  }

  bool fail_part(const Part &p, const std::string &msg, const std::string &hint,
                 DiagCode code = DiagCode::InvalidAttachPoint) {
    return fail(p.offset, std::max<size_t>(p.length, 1), msg, hint, code);
  }

  // Reports an error at [offset, offset+length) of the substituted text. After substitution
  // the columns no longer match the source, so the whole attach point is marked instead.
  bool fail(size_t offset, size_t length, const std::string &msg, const std::string &hint,
            DiagCode code = DiagCode::InvalidAttachPoint) {
    if (substituted_) {
      diags_.error(code, ap_.loc, msg, hint);
      return false;
    }
    return fail_raw(offset, length, msg, hint, code);
  }

  bool fail_raw(size_t offset, size_t length, const std::string &msg, const std::string &hint,
                DiagCode code) {
    SourceRange r = ap_.loc;
    r.begin.column += static_cast<int>(offset);
    r.end = r.begin;
    r.end.column += static_cast<int>(std::max<size_t>(length, 1));
    diags_.error(code, r, msg, hint);
    return false;
  }

  AttachPoint &ap_;
  const std::vector<std::string> &params_;
  Diagnostics &diags_;
  std::string text_; // raw with positional parameters substituted
  size_t base_ = 0;  // where the provider starts (after `name=`)
  bool substituted_ = false;
  std::vector<Part> parts_;
};

} // namespace

void parse_attach_points(ast::Program &program, const std::vector<std::string> &params,
                         Diagnostics &diags) {
  for (ast::Probe *probe : program.probes) {
    for (AttachPoint *ap : probe->attach_points) {
      std::string name;
      AttachPointParser(*ap, params, diags).run(name);
      if (!name.empty())
        probe->name = name;
    }
  }
}

} // namespace scry
