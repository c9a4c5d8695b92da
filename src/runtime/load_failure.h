// What scry says when the kernel refuses to load a program: the end of libbpf's log and one
// located error (runner.cpp's load step calls it).
#pragma once

#include "base/diagnostics.h"
#include "runtime/runner.h"
#include "sema/resources.h"

#include <string>

namespace scry {

/// Replaces BPF program names ("probe_3") in libbpf's messages with the probes they implement.
std::string name_probes(std::string log, const Resources &res);

/// Reports an error of the kernel's through RunOptions::report (or as "scry: message" and
/// "HINT: hint" on stderr).
void report_kernel_error(const RunOptions &options, DiagCode code, const SourceRange &range,
                         std::string message, std::string hint = {});

/// Explains why bpf_object__load() failed with `err` (an errno), given libbpf's log of the
/// load: the end of the log (all of it with -v, none with -f json), then a located error: the
/// source line the verifier stopped on, from the BTF line info codegen emits (the verifier
/// names lines, not columns, so the line's text is underlined), a map the kernel could not
/// create at its first assignment, else the attach point of the probe whose program failed.
/// Without root, only that root is needed.
void report_load_failure(int err, std::string libbpf_log, const Resources &res,
                         const RunOptions &options);

} // namespace scry
