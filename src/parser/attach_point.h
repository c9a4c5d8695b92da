// The attach-point pass: splits each attach point's raw text ("uprobe:/bin/sh:main+4") into its
// provider and parts, checks their form, and substitutes positional parameters.
//
// Reads: Probe::attach_points[*]->raw. Writes: every other AttachPoint field, Probe::name.
// Forms follow bpftrace's newest probe documentation (see shared/notes/bpftrace-reference.md §4).
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"

#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// The canonical provider name of `type` ("tracepoint", "kprobe", "begin", ...).
const char *probe_type_name(ast::ProbeType type);

/// The probe type for a provider name or alias, case-insensitively ("t", "Tracepoint", "kfunc");
/// ProbeType::Invalid when unknown.
ast::ProbeType probe_type_from_provider(std::string_view provider);

/// Runs the pass over every probe of `program`. `params` are the positional parameters ($1 is
/// params[0]); `$N` in an attach point is replaced by its value. Errors carry the attach
/// point's range, narrowed to the offending part where possible.
void parse_attach_points(ast::Program &program, const std::vector<std::string> &params,
                         Diagnostics &diags);

} // namespace scry
