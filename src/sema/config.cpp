// The config pass: the program's config block, then the BPFTRACE_* environment variables, which
// override it (as in bpftrace). Reads Program::config, the program's `&` operators (for
// unstable_addr) and the environment; writes what the keys set: Resources::max_strlen,
// max_map_keys, stack_mode, missing_probes and Resources::config (for codegen and the runtime),
// and ConfigLimits (for probe expansion and the program count). Every key bpftrace has is
// known (sema/config_keys.h); one whose feature scry lacks is validated and reported with a
// warning saying it has no effect. Reports unknown, renamed and environment-only keys, keys set
// twice and invalid values (invalid-config).
#include "parser/suggest.h"
#include "sema/config_keys.h"
#include "sema/passes.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

using namespace ast;

namespace {

/// Where a value came from: a config block entry (located) or an environment variable.
struct Origin {
  SourceRange loc = kNoLocation;
  std::string env; // the variable's name, empty for the config block
};

/// The `&` operators of the program (unstable_addr = error refuses them).
class AddressOfFinder : public Walker {
public:
  using Walker::visit;
  void visit(Unary &n) override {
    if (n.op == UnaryOp::AddressOf)
      uses.push_back(n.loc);
    Walker::visit(n);
  }
  std::vector<SourceRange> uses;
};

/// The calls of tseries(), an unstable feature of the newest bpftrace (unstable_tseries).
class TseriesFinder : public Walker {
public:
  using Walker::visit;
  void visit(Call &n) override {
    if (n.name == "tseries")
      uses.push_back(n.loc);
    Walker::visit(n);
  }
  std::vector<SourceRange> uses;
};

class ConfigPass {
public:
  ConfigPass(const Program &program, Resources &resources, Diagnostics &diags)
      : program_(program), resources_(resources), diags_(diags) {}

  ConfigLimits run() {
    if (program_.config)
      for (Config::Entry &e : program_.config->entries)
        read_entry(e);
    read_environment();
    return limits_;
  }

private:
  void read_entry(Config::Entry &e) {
    std::string canon = config_key_canonical(e.key);
    if (const char *to = config_key_renamed(canon)) {
      // As bpftrace: the old name still sets the key, with a warning.
      diags_.warning(DiagCode::Deprecated, e.loc,
                     "config key '" + e.key + "' is deprecated: it was renamed to '" + to + "'",
                     "write " + std::string(to) + " instead");
      canon = to;
    }
    if (config_key_env_only(canon)) {
      std::string env = "BPFTRACE_" + canon;
      for (char &c : env)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      diags_.error(DiagCode::InvalidConfig, e.loc,
                   "'" + e.key + "' can only be set as an environment variable",
                   "set " + env + " in the environment instead");
      return;
    }
    if (config_key_retired(canon)) {
      diags_.warning(DiagCode::NotSupported, e.loc,
                     "config key '" + e.key + "' has no effect: bpftrace retired it", "remove it");
      return;
    }
    const ConfigKey *key = find_config_key(canon);
    if (!key) {
      std::vector<std::string> names;
      for (const ConfigKey &k : config_keys())
        names.push_back(k.name);
      std::string all;
      for (const std::string &n : names)
        all += (all.empty() ? "" : ", ") + n;
      diags_.error(DiagCode::InvalidConfig, e.loc, "unknown config key '" + e.key + "'",
                   did_you_mean(canon, names, "the keys are " + all));
      return;
    }
    // bpftrace keeps the first value and silently drops the second; either is a surprise.
    if (auto [it, fresh] = seen_.emplace(key->name, e.loc); !fresh) {
      diags_.error(DiagCode::InvalidConfig, e.loc, std::string(key->name) + " is set twice",
                   "it was first set at " + position_text(it->second.begin) + "; keep one of them");
      return;
    }
    if (std::optional<ConfigValue> v = value_of(*key, *e.value))
      apply(*key, *v, Origin{e.loc, {}});
  }

  /// The value of a config block entry, or nullopt after reporting why it is not valid.
  std::optional<ConfigValue> value_of(const ConfigKey &key, Expression &value) {
    ConfigValue v;
    const std::string name = key.name;
    auto fail = [&](const std::string &why) {
      diags_.error(DiagCode::InvalidConfig, value.loc, why,
                   name + " must be " + config_key_valid_values(key));
      return std::nullopt;
    };
    auto *integer = dynamic_cast<Integer *>(&value);
    // "from 1 to 1048576" ("a power of two from 1 to 65536"), after "is out of range: it must be".
    std::string range = config_key_valid_values(key);
    if (range.rfind("an integer ", 0) == 0)
      range = range.substr(11);
    switch (key.kind) {
    case ConfigValueKind::Integer: {
      auto *neg = dynamic_cast<Unary *>(&value);
      if (neg && neg->op == UnaryOp::Neg && dynamic_cast<Integer *>(neg->operand))
        return fail(name + " = -" + std::to_string(static_cast<Integer *>(neg->operand)->value) +
                    " is out of range: it must be " + range);
      if (!integer)
        return fail(name + " must be " + config_key_valid_values(key));
      if (!config_integer_valid(key, integer->value))
        return fail(name + " = " + std::to_string(integer->value) +
                    " is out of range: it must be " + range);
      v.number = integer->value;
      return v;
    }
    case ConfigValueKind::Boolean:
      if (auto *b = dynamic_cast<Boolean *>(&value)) {
        v.flag = b->value;
        return v;
      }
      if (integer && integer->value <= 1) {
        v.flag = integer->value == 1;
        return v;
      }
      return fail(name + " must be " + config_key_valid_values(key));
    case ConfigValueKind::Text:
      if (auto *s = dynamic_cast<String *>(&value)) {
        v.text = s->value;
        return v;
      }
      return fail(name + " must be a string, e.g. " + name + " = \"...\"");
    case ConfigValueKind::Word: {
      std::string text;
      if (auto *id = dynamic_cast<Identifier *>(&value))
        text = id->name;
      else if (auto *s = dynamic_cast<String *>(&value))
        text = s->value;
      else
        return fail(name + " must be " + config_key_valid_values(key));
      const std::string *word = config_key_word(key, text);
      if (!word)
        return fail(name + " = " + text + " is not valid: it must be " +
                    config_key_valid_values(key));
      v.text = *word;
      return v;
    }
    }
    return std::nullopt;
  }

  void read_environment() {
    for (const ConfigKey &key : config_keys()) {
      const std::string env = config_key_env_name(key);
      const char *text = std::getenv(env.c_str());
      if (!text)
        continue;
      if (std::optional<ConfigValue> v = config_value_from_text(key, text))
        apply(key, *v, Origin{kNoLocation, env});
      else
        diags_.error(DiagCode::InvalidConfig, kNoLocation,
                     "environment variable " + env + "='" + text + "' is not valid: " + key.name +
                         " must be " + config_key_valid_values(key),
                     "fix or unset " + env);
    }
    // bpftrace's environment-only settings scry has nothing to apply to: said, not ignored.
    static const std::pair<const char *, const char *> kEnvOnly[] = {
        {"BPFTRACE_BTF", "it reads the running kernel's BTF (/sys/kernel/btf)"},
        {"BPFTRACE_VMLINUX", "it resolves kernel symbols from /proc/kallsyms"},
    };
    for (const auto &[env, why] : kEnvOnly)
      if (std::getenv(env))
        diags_.warning(DiagCode::NotSupported, kNoLocation,
                       "environment variable " + std::string(env) +
                           " has no effect in scry: " + why);
    // bpftrace's old names still set the renamed key, with a warning; the new name wins when
    // both are set. (no_cpp_demangle's meaning is cpp_demangle's inverse.)
    for (const char *old : {"strlen", "map_keys_max", "cat_bytes_max", "no_cpp_demangle"}) {
      std::string env = "BPFTRACE_" + std::string(old);
      for (char &c : env)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const char *text = std::getenv(env.c_str());
      if (!text)
        continue;
      const ConfigKey *key = find_config_key(config_key_renamed(old));
      const std::string to = config_key_env_name(*key);
      diags_.warning(DiagCode::Deprecated, kNoLocation,
                     "environment variable " + env + " is deprecated: it was renamed to " + to,
                     "set " + to + " instead");
      if (std::getenv(to.c_str()))
        continue;
      std::string value = text;
      if (std::string_view(old) == "no_cpp_demangle")
        value = value == "1" || value == "true" ? "false" : "true";
      if (std::optional<ConfigValue> v = config_value_from_text(*key, value))
        apply(*key, *v, Origin{kNoLocation, env});
      else
        diags_.error(DiagCode::InvalidConfig, kNoLocation,
                     "environment variable " + env + "='" + text + "' is not valid: " + key->name +
                         " must be " + config_key_valid_values(*key),
                     "fix or unset " + env);
    }
  }

  /// A warning that `key` is accepted but scry lacks what it controls.
  void no_effect(const ConfigKey &key, const Origin &origin, const std::string &why) {
    const std::string what =
        origin.env.empty() ? std::string(key.name) : "environment variable " + origin.env;
    diags_.warning(DiagCode::NotSupported, origin.loc, what + " has no effect in scry: " + why);
  }

  void apply(const ConfigKey &key, const ConfigValue &v, const Origin &origin) {
    const std::string_view name = key.name;
    RunConfig &run = resources_.config;
    if (name == "max_strlen")
      resources_.max_strlen = static_cast<uint32_t>(v.number);
    else if (name == "max_map_keys")
      resources_.max_map_keys = static_cast<uint32_t>(v.number);
    else if (name == "max_probes")
      limits_.max_probes = v.number;
    else if (name == "max_bpf_progs")
      limits_.max_bpf_progs = v.number;
    else if (name == "log_size")
      run.log_size = static_cast<uint32_t>(v.number);
    else if (name == "perf_rb_pages")
      run.perf_rb_pages = static_cast<uint32_t>(v.number);
    else if (name == "license")
      run.license = v.text;
    else if (name == "print_maps_on_exit")
      run.print_maps_on_exit = v.flag;
    else if (name == "str_trunc_trailer")
      run.str_trunc_trailer = v.text;
    else if (name == "cpp_demangle") {
      run.cpp_demangle = v.flag;
      if (!v.flag)
        no_effect(key, origin, "it always shows C++ names in stacks demangled");
    } else if (name == "stack_mode") {
      for (StackMode m : kStackModes)
        if (v.text == stack_mode_name(m))
          resources_.stack_mode = m;
    } else if (name == "missing_probes")
      resources_.missing_probes = v.text == "warn"     ? MissingProbes::Warn
                                  : v.text == "ignore" ? MissingProbes::Ignore
                                                       : MissingProbes::Error;
    else if (name == "cache_user_symbols") {
      if (v.text != "PER_PID")
        no_effect(key, origin, "it always caches the symbols of each process (PER_PID)");
    } else if (name == "lazy_symbolication")
      no_effect(key, origin,
                "it reads a process's symbols when a stack or usym of it is first printed");
    else if (name == "max_cat_bytes")
      resources_.max_cat_bytes = static_cast<uint32_t>(v.number);
    else if (name == "on_stack_limit")
      no_effect(key, origin,
                "strings, tuples and records always live in per-CPU scratch memory, not on "
                "the BPF stack");
    else if (name == "show_debug_info" || name == "use_blazesym") {
      if (v.flag)
        no_effect(key, origin, "it has no blazesym: stacks show no file and line");
    } else if (name == "unstable_addr") {
      limits_.refuse_address_of = v.text == "error";
      limits_.warn_address_of = v.text == "warn";
    } else if (name == "unstable_import_statement") {
      limits_.import_statement = v.text;
    } else if (name == "unstable_tseries") {
      limits_.tseries = v.text;
    } else if (name.substr(0, 9) == "unstable_") {
      // import, typeinfo, dw_ustack: features scry does not have (using them is an
      // error whatever this says), or stable in scry (import at the top of a program).
      if (v.text != "error")
        no_effect(key, origin, "the feature it enables is not supported yet");
    }
  }

  const Program &program_;
  Resources &resources_;
  Diagnostics &diags_;
  ConfigLimits limits_;
  std::map<std::string, SourceRange> seen_; // key -> where the config block set it
};

} // namespace

ConfigLimits read_config(const Program &program, Resources &resources, Diagnostics &diags) {
  ConfigLimits limits = ConfigPass(program, resources, diags).run();
  // Import statements in blocks are unstable in the newest bpftrace, refused unless enabled.
  bool warned = false;
  for (const Import *imp : program.imports) {
    if (!imp->in_block || limits.import_statement == "enable")
      continue;
    if (limits.import_statement == "error")
      diags.error(DiagCode::UnstableFeature, imp->loc,
                  "import statements in blocks are an unstable feature, refused by config "
                  "unstable_import_statement = error (the default)",
                  "set unstable_import_statement = enable in the config block, or import at the "
                  "top of the program");
    else if (!warned)
      diags.warning(DiagCode::UnstableFeature, imp->loc,
                    "Script is using an unstable feature: import statements in blocks. To "
                    "prevent this warning you must explicitly enable it in the config e.g. "
                    "unstable_import_statement=enable");
    warned = true;
  }
  if (limits.tseries != "enable") {
    TseriesFinder finder;
    for (Probe *p : program.probes)
      p->accept(finder);
    // As the newest bpftrace: an error for each use when refused, else one warning.
    for (const SourceRange &loc : finder.uses) {
      if (limits.tseries == "error")
        diags.error(DiagCode::UnstableFeature, loc,
                    "tseries feature is not enabled by default. To enable this unstable feature, "
                    "set the config flag to enable. unstable_tseries=enable",
                    "config = { unstable_tseries = enable }");
      else
        diags.warning(DiagCode::UnstableFeature, loc,
                      "Script is using an unstable feature: tseries. To prevent this warning you "
                      "must explicitly enable it in the config e.g. unstable_tseries=enable");
      if (limits.tseries != "error")
        break;
    }
  }
  if (limits.refuse_address_of || limits.warn_address_of) {
    AddressOfFinder finder;
    for (Probe *p : program.probes)
      p->accept(finder);
    for (const SourceRange &loc : finder.uses)
      if (limits.refuse_address_of)
        diags.error(DiagCode::InvalidConfig, loc,
                    "the address-of operator (&) is refused by config unstable_addr = error",
                    "set unstable_addr = enable to use it");
    // As the newest bpftrace: one warning per script while the feature is unstable.
    if (!limits.refuse_address_of && !finder.uses.empty())
      diags.warning(DiagCode::UnstableFeature, finder.uses.front(),
                    "Script is using an unstable feature: address-of operator (&). To prevent "
                    "this warning you must explicitly enable it in the config e.g. "
                    "unstable_addr=enable");
  }
  return limits;
}

bool check_max_bpf_progs(const Resources &resources, const ConfigLimits &limits,
                         Diagnostics &diags) {
  // Programs that share another's code (a uprobe or kprobe group's members, a tail-called
  // wildcard's expansions) are one BPF program.
  uint64_t count = 0;
  for (const ProbeProgram &p : resources.programs) {
    if (p.shares_program_of >= 0)
      continue;
    if (++count > limits.max_bpf_progs) {
      uint64_t total = 0;
      for (const ProbeProgram &q : resources.programs)
        total += q.shares_program_of < 0;
      diags.error(DiagCode::InvalidAttachPoint, p.loc,
                  "the program needs " + std::to_string(total) +
                      " BPF programs, more than max_bpf_progs (" +
                      std::to_string(limits.max_bpf_progs) + ")",
                  "narrow the wildcard, or raise the limit: config = { max_bpf_progs = N }");
      return false;
    }
  }
  return true;
}

} // namespace scry
