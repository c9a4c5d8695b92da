// The user-space side of cat() and system(): reading a file and running a command for the
// records the probes send (the runner prints what they return).
#pragma once

#include <cstdint>
#include <string>

namespace scry {

/// cat(): the first `max_bytes` bytes of the file at `path` into `text`; false with a message in
/// `error` ("ERROR: failed to open file 'PATH': reason", bpftrace's words) when it cannot be
/// opened or read (bpftrace prints what it read before a read error).
bool read_for_cat(const std::string &path, uint32_t max_bytes, std::string &text,
                  std::string &error);

/// system(): runs `command` with /bin/sh and collects what it writes to its standard output
/// into `text` (its standard error goes to scry's), as bpftrace does (popen). Its exit status is
/// not an error; false with a message in `error` when it cannot be started.
bool run_for_system(const std::string &command, std::string &text, std::string &error);

} // namespace scry
