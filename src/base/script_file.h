// Reading the program's file (or stdin) for the command line: whole, up to a size limit, with
// failures reported on stderr as the command line reports its own.
#pragma once

#include <optional>
#include <string>

namespace scry {

/// The text of the script at `path` ("-" is stdin): at most 16 MiB, read from a regular file
/// or a pipe (never a device or a directory: /dev/zero would never end). Nullopt after
/// reporting on stderr why it cannot be read ("ERROR: failed to open file 'x': ...", as bpftrace
/// words it; "scry: cannot read script 'x': not a regular file"), a program
/// larger than the limit as the diagnostic program-too-large, in JSON with `json`.
std::optional<std::string> read_script(const std::string &path, bool json);

} // namespace scry
