// Reading libbpf's log when bpf_object__load() fails: where the kernel's verifier stopped and
// why, and which program failed. The formats are the kernel's (kernel/bpf/log.c, verifier.c)
// and libbpf's (libbpf.c); none of them is a stable interface, so every reader here returns
// "nothing found" rather than guessing when a line does not match.
#pragma once

#include <bpf/libbpf.h>
#include <cstddef>
#include <cstdint>
#include <string>

namespace scry {

/// Where the verifier stopped: the last source line its BTF line info named before the end
/// ("; TEXT @ FILE:LINE", kernel/bpf/log.c's verbose_linfo()) and its reason (the last line
/// before "processed N insns" that is not a dump of the verifier's state). `line` is 0 when the
/// log names no source line; `reason` is empty when the log has no "processed" line.
struct VerifierStop {
  std::string file, text, reason;
  int line = 0;
};

/// Parses the verifier's log (libbpf's, which contains it) for where and why it stopped.
VerifierStop verifier_stop(const std::string &log);

/// Whether the verifier's `reason` for a rejection is its complexity limit ("BPF program is too
/// large. Processed 1000001 insn", "The sequence of 8193 jumps is too complex."): not a fault
/// of one instruction but of the number of paths (kernel/bpf/verifier.c, BPF_COMPLEXITY_LIMIT_*).
bool at_complexity_limit(const std::string &reason);

/// The name of the BPF program libbpf says failed to load ("prog 'NAME': BPF program load
/// failed" or "prog 'NAME': failed to load", libbpf.c), or "" when the log names none.
std::string failed_program_name(const std::string &log);

/// libbpf's options for opening the BPF object `name` with a verifier log of `log_size` bytes
/// (config log_size; 0 for libbpf's own buffer, which grows to 16 MiB): the log of a program
/// that fails to load goes to a buffer of that size, truncated there, and libbpf no longer
/// prints it: verifier_log_text() returns it.
bpf_object_open_opts verifier_log_open_opts(const char *name, uint32_t log_size);

/// The verifier's log since the last call, in libbpf's layout ("-- BEGIN PROG LOAD LOG --",
/// the log, "-- END PROG LOAD LOG --"), or "" when no program failed to load.
std::string verifier_log_text();

/// The last `lines` lines of `text` (all of it when it has fewer).
std::string tail(const std::string &text, size_t lines);

} // namespace scry
