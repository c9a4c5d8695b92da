// The table of config keys and the parsing of their values from text. See config_keys.h.
#include "sema/config_keys.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace scry {

namespace {

using K = ConfigValueKind;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::vector<std::string> kUnstableWords = {"enable", "warn", "error"};

} // namespace

const std::vector<ConfigKey> &config_keys() {
  static const std::vector<ConfigKey> table = {
      {"cache_user_symbols", K::Word, 0, 0, {"PER_PID", "PER_PROGRAM", "NONE"}},
      {"cpp_demangle", K::Boolean},
      {"lazy_symbolication", K::Boolean},
      // The licenses the kernel counts as GPL-compatible (include/linux/license.h), which
      // bpftrace accepts: GPL-only helpers need one.
      {"license",
       K::Word,
       0,
       0,
       {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL",
        "Dual MPL/GPL"},
       true},
      // The kernel refuses a log buffer under 128 bytes or of 2^30 bytes and more
      // (kernel/bpf/log.c, bpf_vlog_init).
      {"log_size", K::Integer, 128, (1u << 30) - 1},
      // Each program is compiled, verified and holds file descriptors; 65536 matches
      // max_probes' bound.
      {"max_bpf_progs", K::Integer, 1, 1u << 16},
      {"max_cat_bytes", K::Integer, 1, 1u << 20},
      // Hash maps are preallocated: each costs max_entries * (key + value + ~50 bytes of
      // kernel bookkeeping) up front, times the CPU count for per-CPU aggregations. The kernel
      // refuses more than 2^31 entries (E2BIG), and the value is stored as a u32; 2^22 (1024
      // times the default) keeps the simplest map near 256 MiB, well below exhausting memory.
      {"max_map_keys", K::Integer, 1, 1u << 22},
      // Each probe holds a BPF program and a link (two file descriptors) and takes time to
      // attach; 65536 is far beyond an intended program and within common fd limits.
      {"max_probes", K::Integer, 1, 1u << 16},
      // Strings live in per-CPU scratch space and map values of exactly this size. bpftrace
      // sets no upper bound; 1 MiB is far beyond any string worth printing and keeps one
      // scratch buffer per CPU affordable.
      {"max_strlen", K::Integer, 1, 1u << 20},
      {"missing_probes", K::Word, 0, 0, {"error", "warn", "ignore"}},
      // The BPF stack is 512 bytes.
      {"on_stack_limit", K::Integer, 0, 512},
      // The ring buffer's pages: the kernel wants a power of two (checked by the config pass);
      // 65536 pages are 256 MiB of locked memory, mapped into scry twice.
      {"perf_rb_pages", K::Integer, 1, 1u << 16},
      {"print_maps_on_exit", K::Boolean},
      {"show_debug_info", K::Boolean},
      {"stack_mode", K::Word, 0, 0, {"bpftrace", "perf", "raw", "build_id", "folded"}},
      {"str_trunc_trailer", K::Text},
      {"unstable_addr", K::Word, 0, 0, kUnstableWords},
      {"unstable_dw_ustack", K::Word, 0, 0, kUnstableWords},
      {"unstable_import", K::Word, 0, 0, kUnstableWords},
      {"unstable_import_statement", K::Word, 0, 0, kUnstableWords},
      {"unstable_tseries", K::Word, 0, 0, kUnstableWords},
      {"unstable_typeinfo", K::Word, 0, 0, kUnstableWords},
      {"use_blazesym", K::Boolean},
  };
  return table;
}

std::string config_key_canonical(std::string_view name) {
  std::string key = lower(name);
  if (key.rfind("bpftrace_", 0) == 0)
    key = key.substr(9);
  return key;
}

const ConfigKey *find_config_key(std::string_view canonical) {
  for (const ConfigKey &k : config_keys())
    if (canonical == k.name)
      return &k;
  return nullptr;
}

const char *config_key_renamed(std::string_view canonical) {
  static const std::pair<const char *, const char *> renamed[] = {
      {"strlen", "max_strlen"},
      {"map_keys_max", "max_map_keys"},
      {"cat_bytes_max", "max_cat_bytes"},
      {"no_cpp_demangle", "cpp_demangle"},
  };
  for (const auto &[from, to] : renamed)
    if (canonical == from)
      return to;
  return nullptr;
}

bool config_key_retired(std::string_view canonical) {
  for (const char *k :
       {"symbol_source", "max_type_res_iterations", "unstable_macro", "unstable_map_decl"})
    if (canonical == k)
      return true;
  return false;
}

bool config_key_env_only(std::string_view canonical) {
  for (const char *k : {"btf", "kernel_build", "kernel_source", "vmlinux"})
    if (canonical == k)
      return true;
  return false;
}

std::string config_key_env_name(const ConfigKey &key) {
  std::string env = std::string("BPFTRACE_") + key.name;
  for (char &c : env)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

std::string config_key_valid_values(const ConfigKey &key) {
  switch (key.kind) {
  case K::Integer:
    if (std::string_view(key.name) == "perf_rb_pages")
      return "a power of two from " + std::to_string(key.min) + " to " + std::to_string(key.max);
    return "an integer from " + std::to_string(key.min) + " to " + std::to_string(key.max);
  case K::Boolean:
    return "true or false (or 1 or 0)";
  case K::Text:
    return "a string";
  case K::Word: {
    std::string text = "one of ";
    for (size_t i = 0; i < key.words.size(); ++i)
      text += (i ? ", " : "") + (key.exact_case ? '"' + key.words[i] + '"' : key.words[i]);
    return text;
  }
  }
  return {};
}

bool config_integer_valid(const ConfigKey &key, uint64_t n) {
  if (n < key.min || n > key.max)
    return false;
  return std::string_view(key.name) != "perf_rb_pages" || (n & (n - 1)) == 0;
}

const std::string *config_key_word(const ConfigKey &key, std::string_view text) {
  for (const std::string &w : key.words)
    if (key.exact_case ? text == w : lower(text) == lower(w))
      return &w;
  return nullptr;
}

std::optional<ConfigValue> config_value_from_text(const ConfigKey &key, std::string_view text) {
  ConfigValue v;
  switch (key.kind) {
  case K::Integer: {
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v.number);
    if (!digits || ec != std::errc() || p != text.data() + text.size() ||
        !config_integer_valid(key, v.number))
      return std::nullopt;
    return v;
  }
  case K::Boolean: {
    std::string t = lower(text);
    if (t == "true" || t == "1")
      v.flag = true;
    else if (t != "false" && t != "0")
      return std::nullopt;
    return v;
  }
  case K::Text:
    v.text = std::string(text);
    return v;
  case K::Word:
    if (const std::string *w = config_key_word(key, text)) {
      v.text = *w;
      return v;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

} // namespace scry
