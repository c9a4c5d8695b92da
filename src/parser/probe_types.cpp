// The probe types' names. See probe_types.h.
#include "parser/probe_types.h"

#include "parser/suggest.h"

#include <cctype>

namespace scry {

namespace {

using ast::ProbeType;

// clang-format off
constexpr ProbeTypeNames kNames[] = {
    // type                     name             long alias  short  listed
    {ProbeType::Begin,          "begin",         nullptr,    nullptr, true},
    {ProbeType::End,            "end",           nullptr,    nullptr, true},
    {ProbeType::Tracepoint,     "tracepoint",    nullptr,    "t",     true},
    {ProbeType::RawTracepoint,  "rawtracepoint", nullptr,    "rt",    true},
    {ProbeType::Kprobe,         "kprobe",        nullptr,    "k",     true},
    {ProbeType::Kretprobe,      "kretprobe",     nullptr,    "kr",    true},
    {ProbeType::Fentry,         "fentry",        "kfunc",    "f",     true},
    {ProbeType::Fexit,          "fexit",         "kretfunc", "fr",    true},
    {ProbeType::Uprobe,         "uprobe",        nullptr,    "u",     true},
    {ProbeType::Uretprobe,      "uretprobe",     nullptr,    "ur",    true},
    {ProbeType::Usdt,           "usdt",          nullptr,    "U",     true},
    {ProbeType::Profile,        "profile",       nullptr,    "p",     true},
    {ProbeType::Interval,       "interval",      nullptr,    "i",     true},
    {ProbeType::Software,       "software",      nullptr,    "s",     true},
    {ProbeType::Hardware,       "hardware",      nullptr,    "h",     true},
    {ProbeType::Watchpoint,     "watchpoint",    nullptr,    "w",     true},
    {ProbeType::Iter,           "iter",          nullptr,    "it",    true},
    {ProbeType::Self,           "self",          nullptr,    nullptr, true},
    {ProbeType::Test,           "test",          nullptr,    nullptr, false},
    {ProbeType::Bench,          "bench",         nullptr,    nullptr, false},
};
// clang-format on

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

} // namespace

std::span<const ProbeTypeNames> probe_type_names() {
  return kNames;
}

const char *probe_type_name(ast::ProbeType type) {
  for (const ProbeTypeNames &n : kNames)
    if (n.type == type)
      return n.name;
  return "invalid";
}

const char *probetype_value(ast::ProbeType type) {
  return type == ProbeType::Begin || type == ProbeType::End ? "special" : probe_type_name(type);
}

ast::ProbeType probe_type_from_provider(std::string_view provider) {
  for (const ProbeTypeNames &n : kNames)
    if (n.short_alias && provider == n.short_alias)
      return n.type;
  std::string l = lower(provider);
  for (const ProbeTypeNames &n : kNames)
    if (l == n.name || (n.long_alias && l == n.long_alias))
      return n.type;
  return ProbeType::Invalid;
}

std::string unknown_provider_hint(std::string_view provider) {
  // The first of the closest names wins (a name before its long alias).
  std::string hint;
  size_t best = 3;
  for (const ProbeTypeNames &n : kNames) {
    for (const char *name : {n.name, n.long_alias}) {
      if (!name)
        continue;
      size_t d = edit_distance(lower(provider), name);
      if (d < best)
        best = d, hint = std::string("did you mean '") + name + "'?";
    }
  }
  if (!hint.empty())
    return hint;
  std::string out = "providers:";
  const char *separator = " ";
  for (const ProbeTypeNames &n : kNames) {
    if (!n.listed)
      continue;
    out += separator;
    out += n.name;
    separator = ", ";
    if (n.short_alias)
      out += std::string(" (") + n.short_alias + ")";
  }
  return out;
}

} // namespace scry
