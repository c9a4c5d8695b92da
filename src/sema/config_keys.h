// The config keys scry knows: bpftrace's (src/config.h and docs/language.md "Config Variables"
// on bpftrace's main branch), each with the kind of value it takes and its valid values, and
// the parsing of a value given as text (an environment variable). The config pass
// (sema/config.cpp) applies them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// What a config key's value is.
enum class ConfigValueKind : uint8_t {
  Integer, // a number in [min, max]
  Boolean, // true or false (1 or 0)
  Text,    // any string
  Word,    // one of `words`: a bare word or a string in the config block
};

/// One config key. Its environment variable is BPFTRACE_ and the key in upper case.
struct ConfigKey {
  const char *name;
  ConfigValueKind kind;
  uint64_t min = 0, max = 0;           // Integer
  std::vector<std::string> words = {}; // Word: the valid values, in their canonical spelling
  /// Word: whether the words match exactly (license: the kernel compares the text) rather than
  /// in any case (bpftrace lower-cases the others).
  bool exact_case = false;
};

/// A parsed value: `number` for Integer, `flag` for Boolean, `text` for Text and Word (the
/// word's canonical spelling).
struct ConfigValue {
  uint64_t number = 0;
  bool flag = false;
  std::string text;
};

/// Every key, in name order.
const std::vector<ConfigKey> &config_keys();

/// `name` in lower case without bpftrace's "BPFTRACE_" prefix: the form keys are looked up in
/// (the config block accepts `BPFTRACE_MAX_STRLEN`, `MAX_STRLEN` and `max_strlen` alike).
std::string config_key_canonical(std::string_view name);

/// The key named `canonical` (config_key_canonical's form), or null.
const ConfigKey *find_config_key(std::string_view canonical);

/// The key an old name was renamed to in bpftrace (strlen -> max_strlen, map_keys_max ->
/// max_map_keys, cat_bytes_max -> max_cat_bytes, no_cpp_demangle -> cpp_demangle), or null.
const char *config_key_renamed(std::string_view canonical);

/// Whether `canonical` is a key bpftrace dropped (it now has no effect there): symbol_source,
/// max_type_res_iterations, unstable_macro, unstable_map_decl.
bool config_key_retired(std::string_view canonical);

/// Whether `canonical` is one of bpftrace's environment-only settings (btf, kernel_build,
/// kernel_source, vmlinux), which a config block may not set.
bool config_key_env_only(std::string_view canonical);

/// The environment variable of `key`: "BPFTRACE_" and its name in upper case.
std::string config_key_env_name(const ConfigKey &key);

/// "an integer from 1 to 1048576", "true or false", "a string", "one of error, warn, ignore".
std::string config_key_valid_values(const ConfigKey &key);

/// `text` (an environment variable's value) as a value of `key`, or nullopt when it is not one
/// (an Integer must be decimal digits only, in range; a Boolean true, false, 1 or 0).
std::optional<ConfigValue> config_value_from_text(const ConfigKey &key, std::string_view text);

/// Whether `n` is a valid value of the Integer key `key`: in range (and a power of two for
/// perf_rb_pages, the ring buffer's pages).
bool config_integer_valid(const ConfigKey &key, uint64_t n);

/// The word of a Word key `text` names (case-insensitively unless exact_case), or null.
const std::string *config_key_word(const ConfigKey &key, std::string_view text);

} // namespace scry
