// The attach-point pass: splits each attach point's raw text ("uprobe:/bin/sh:main+4") into its
// provider and parts, checks their form, and substitutes positional parameters.
//
// Reads: Probe::attach_points[*]->raw. Writes: every other AttachPoint field, Probe::name.
// Forms follow bpftrace's newest probe documentation (see shared/notes/bpftrace-reference.md §4).
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "parser/probe_types.h" // the providers' names, which this pass reads

#include <string>
#include <vector>

namespace scry {

/// Runs the pass over every probe of `program`. `params` are the positional parameters ($1 is
/// params[0]); `$N` in an attach point is replaced by its value. Errors carry the attach
/// point's range, narrowed to the offending part where possible.
void parse_attach_points(ast::Program &program, const std::vector<std::string> &params,
                         Diagnostics &diags);

} // namespace scry
