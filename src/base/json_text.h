// JSON text in bpftrace's layout, shared by every part of scry that writes JSON lines (the
// diagnostics under -f json and the runtime's JSON output).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace scry {

/// Appends `j` to `out` as bpftrace's src/output/json.cpp writes it: objects spaced
/// (`{"a": 1, "b": 2}`), arrays not (`[1,2]`), no newline. Invalid UTF-8 in strings is replaced
/// with U+FFFD rather than thrown on.
void append_json(std::string &out, const nlohmann::ordered_json &j);

} // namespace scry
