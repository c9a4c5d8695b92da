// The names of the probe types: one row per ast::ProbeType with its canonical name and aliases,
// as attach points spell them (bpftrace 0.24+). The parser's part of the probe-type table; the
// rest (whether scry implements the type, its expansion, and the plan data codegen and the
// runtime switch on) is sema's provider table (sema/providers/providers.h).
#pragma once

#include "parser/ast.h"

#include <span>
#include <string>
#include <string_view>

namespace scry {

/// One probe type's names.
struct ProbeTypeNames {
  ast::ProbeType type;
  const char *name;        // canonical, lower case; matched case-insensitively ("Tracepoint")
  const char *long_alias;  // another full name matched the same way ("kfunc"), or nullptr
  const char *short_alias; // matched exactly, so `u` is uprobe but `U` usdt; or nullptr
  bool listed;             // in the list of unknown_provider_hint() (test and bench are not)
};

/// Every probe type's names, in the order unknown_provider_hint() lists them.
std::span<const ProbeTypeNames> probe_type_names();

/// The canonical provider name of `type` ("tracepoint", "kprobe", "begin", ...); "invalid" for
/// ProbeType::Invalid.
const char *probe_type_name(ast::ProbeType type);

/// The value of `probetype` in a probe of type `type`: its canonical name, but "special" for
/// begin and end, as the newest bpftrace names them (probetype in its docs/stdlib.md).
const char *probetype_value(ast::ProbeType type);

/// The probe type for a provider name or alias, case-insensitively ("t", "Tracepoint", "kfunc");
/// ProbeType::Invalid when unknown.
ast::ProbeType probe_type_from_provider(std::string_view provider);

/// The hint for `provider`, which is neither a name nor an alias: the closest name within two
/// edits ("did you mean 'kprobe'?"), else the list of the listed providers and their short
/// aliases ("providers: begin, end, tracepoint (t), ...").
std::string unknown_provider_hint(std::string_view provider);

} // namespace scry
