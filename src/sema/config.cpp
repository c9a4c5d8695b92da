// The config pass: the program's config block, then the BPFTRACE_* environment variables, which
// override it (as in bpftrace). Reads Program::config and the environment; writes the limits they
// set: Resources::max_strlen, max_map_keys, stack_mode and missing_probes, and
// ConfigLimits::max_probes (for probe expansion). Reports unknown keys, keys set twice and values
// out of range (invalid-config).
#include "sema/passes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

using namespace ast;

namespace {

/// One limit the config block and the environment can set: its canonical key, the names that
/// also mean it (bpftrace's older spellings), and its valid range.
struct Limit {
  const char *key;
  std::vector<std::string> aliases;
  uint64_t min, max;
};

const std::vector<Limit> &limits() {
  static const std::vector<Limit> table = {
      // Strings live in per-CPU scratch space and map values of exactly this size. bpftrace
      // sets no upper bound; 1 MiB is far beyond any string worth printing and keeps one
      // scratch buffer per CPU affordable.
      {"max_strlen", {"strlen"}, 1, 1u << 20},
      // Hash maps are preallocated: each costs max_entries * (key + value + ~50 bytes of
      // kernel bookkeeping) up front, times the CPU count for per-CPU aggregations. The kernel
      // refuses more than 2^31 entries (E2BIG), and the value is stored as a u32; 2^22 (1024
      // times the default) keeps the simplest map near 256 MiB, well below exhausting memory.
      {"max_map_keys", {"map_keys_max"}, 1, 1u << 22},
      // Each probe holds a BPF program and a link (two file descriptors) and takes time to
      // attach; 65536 is far beyond an intended program and within common fd limits.
      {"max_probes", {}, 1, 1u << 16},
  };
  return table;
}

/// The limit `name` sets (case-insensitive, with or without bpftrace's "BPFTRACE_" prefix).
const Limit *find_limit(std::string name) {
  for (char &c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.rfind("bpftrace_", 0) == 0)
    name = name.substr(9);
  for (const Limit &l : limits())
    if (name == l.key || std::find(l.aliases.begin(), l.aliases.end(), name) != l.aliases.end())
      return &l;
  return nullptr;
}

std::string range_text(const Limit &l) {
  return "from " + std::to_string(l.min) + " to " + std::to_string(l.max);
}

void set_limit(const Limit &l, uint64_t value, Resources &resources, ConfigLimits &limits) {
  const std::string key = l.key;
  if (key == "max_strlen")
    resources.max_strlen = static_cast<uint32_t>(value);
  else if (key == "max_map_keys")
    resources.max_map_keys = static_cast<uint32_t>(value);
  else
    limits.max_probes = value;
}

/// "bpftrace", "perf" or "raw" as a stack mode (bpftrace's build_id is not supported).
std::optional<StackMode> parse_stack_mode(std::string_view text) {
  for (StackMode m : {StackMode::Bpftrace, StackMode::Perf, StackMode::Raw})
    if (text == stack_mode_name(m))
      return m;
  return std::nullopt;
}

/// Whether `key` names stack_mode (case-insensitive, with or without "BPFTRACE_").
bool is_stack_mode_key(std::string key) {
  for (char &c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key == "stack_mode" || key == "bpftrace_stack_mode";
}

/// config = { stack_mode = perf } (an identifier, or a string as bpftrace also accepts).
void read_stack_mode(Config::Entry &e, Resources &resources, Diagnostics &diags) {
  std::string text;
  if (auto *id = dynamic_cast<Identifier *>(e.value))
    text = id->name;
  else if (auto *str = dynamic_cast<String *>(e.value))
    text = str->value;
  auto mode = parse_stack_mode(text);
  if (!mode) {
    diags.error(DiagCode::InvalidConfig, e.value->loc,
                "stack_mode must be bpftrace, perf or raw" +
                    (text == "build_id" ? std::string(" (build_id is not supported by scry yet)")
                                        : std::string()));
    return;
  }
  resources.stack_mode = *mode;
}

/// config = { missing_probes = warn } (an identifier or a string, as for stack_mode).
void read_missing_probes(Config::Entry &e, Resources &resources, Diagnostics &diags) {
  std::string text;
  if (auto *id = dynamic_cast<Identifier *>(e.value))
    text = id->name;
  else if (auto *str = dynamic_cast<String *>(e.value))
    text = str->value;
  if (text == "error")
    resources.missing_probes = MissingProbes::Error;
  else if (text == "warn")
    resources.missing_probes = MissingProbes::Warn;
  else if (text == "ignore")
    resources.missing_probes = MissingProbes::Ignore;
  else
    diags.error(DiagCode::InvalidConfig, e.value->loc,
                "missing_probes must be error, warn or ignore");
}

} // namespace

ConfigLimits read_config(const Program &program, Resources &resources, Diagnostics &diags) {
  ConfigLimits limits;
  std::map<std::string, SourceRange> seen; // canonical key -> where it was first set
  if (program.config) {
    for (Config::Entry &e : program.config->entries) {
      // The keys whose values are names: each read once, by its reader.
      const char *named = is_stack_mode_key(e.key)    ? "stack_mode"
                          : e.key == "missing_probes" ? "missing_probes"
                                                      : nullptr;
      if (named) {
        if (auto [it, fresh] = seen.emplace(named, e.loc); !fresh)
          diags.error(DiagCode::InvalidConfig, e.loc, std::string(named) + " is set twice",
                      "it was first set at line " + std::to_string(it->second.begin.line) +
                          "; keep one of them");
        else if (named == std::string_view("stack_mode"))
          read_stack_mode(e, resources, diags);
        else
          read_missing_probes(e, resources, diags);
        continue;
      }
      const Limit *l = find_limit(e.key);
      if (!l) {
        diags.error(DiagCode::NotSupported, e.loc,
                    "config key '" + e.key + "' is not supported yet",
                    "supported: max_strlen, max_map_keys, max_probes, stack_mode, missing_probes");
        continue;
      }
      // bpftrace keeps the first value and silently drops the second; either is a surprise.
      if (auto [it, fresh] = seen.emplace(l->key, e.loc); !fresh) {
        diags.error(DiagCode::InvalidConfig, e.loc, std::string(l->key) + " is set twice",
                    "it was first set at line " + std::to_string(it->second.begin.line) +
                        ", column " + std::to_string(it->second.begin.column) +
                        "; keep one of them");
        continue;
      }
      auto *i = dynamic_cast<Integer *>(e.value);
      auto *neg = dynamic_cast<Unary *>(e.value);
      if (neg && (neg->op != UnaryOp::Neg || !dynamic_cast<Integer *>(neg->operand)))
        neg = nullptr;
      if (!i && !neg) {
        diags.error(DiagCode::InvalidConfig, e.value->loc,
                    std::string(l->key) + " must be an integer " + range_text(*l));
        continue;
      }
      if (neg || i->value < l->min || i->value > l->max) {
        const std::string shown =
            neg ? "-" + std::to_string(static_cast<Integer *>(neg->operand)->value)
                : std::to_string(i->value);
        diags.error(DiagCode::InvalidConfig, e.value->loc,
                    std::string(l->key) + " = " + shown + " is out of range: it must be " +
                        range_text(*l));
        continue;
      }
      set_limit(*l, i->value, resources, limits);
    }
  }
  // The environment overrides the config block, as in bpftrace. A value that is not a number
  // in range is an error (bpftrace refuses it too), never ignored or wrapped.
  for (const char *env : {"BPFTRACE_MAX_STRLEN", "BPFTRACE_STRLEN", "BPFTRACE_MAX_MAP_KEYS",
                          "BPFTRACE_MAP_KEYS_MAX", "BPFTRACE_MAX_PROBES"}) {
    const char *v = std::getenv(env);
    if (!v)
      continue;
    const Limit &l = *find_limit(env);
    const std::string_view text(v);
    uint64_t value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    if (!digits_only || ec != std::errc() || p != text.data() + text.size() || value < l.min ||
        value > l.max) {
      diags.error(DiagCode::InvalidConfig, kNoLocation,
                  "environment variable " + std::string(env) + "='" + std::string(text) +
                      "' is not valid: " + l.key + " must be an integer " + range_text(l),
                  "fix or unset " + std::string(env));
      continue;
    }
    set_limit(l, value, resources, limits);
  }
  if (const char *v = std::getenv("BPFTRACE_STACK_MODE")) {
    if (auto mode = parse_stack_mode(v))
      resources.stack_mode = *mode;
    else
      diags.error(DiagCode::InvalidConfig, kNoLocation,
                  "environment variable BPFTRACE_STACK_MODE='" + std::string(v) +
                      "' is not valid: it must be bpftrace, perf or raw",
                  "fix or unset BPFTRACE_STACK_MODE");
  }
  return limits;
}

} // namespace scry
