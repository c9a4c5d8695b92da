// Running a compiled program: load the BPF object through the verifier, run begin probes,
// attach the rest, turn ring-buffer records into output until exit(), a signal or the -c child
// ends it, then run end probes and print the maps.
#pragma once

#include "base/diagnostics.h"
#include "base/source.h"
#include "runtime/output.h"
#include "runtime/test_runs.h"
#include "sema/resources.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace scry {

struct RunOptions {
  bool quiet = false;            // -q: no "Attached N probes"
  bool verbose = false;          // -v: the verifier's log, program ids
  bool notify = false;           // print __BPFTRACE_NOTIFY_PROBES_ATTACHED on stdout once attached
  bool dry_run = false;          // --dry-run: load (verify) but do not attach or run anything
  RunMode mode = RunMode::Trace; // --test, --bench: run those probes instead of tracing
  pid_t child_pid = 0;           // -c: the child to release once attached, and to wait for
  pid_t target_pid = 0;          // -p: scry ends when this process does
  int child_release_fd = -1;     // writing a byte here lets the child exec
  FILE *notify_out = stdout;
  /// Flush the output after every batch of ring-buffer records (-B line, the default): lines
  /// appear as soon as they are read, and a flood of them costs one write(2) per batch, not per
  /// line.
  bool flush_after_batch = false;
  /// Called once every probe is attached, before the first output is written: -o replaces the
  /// file's contents only then, so that a program that fails to load leaves the file as it was.
  std::function<void()> on_attached;
  /// -f json: stderr carries only JSON lines, so the end of libbpf's log is not printed before a
  /// load failure's diagnostic (with -v the whole log still is).
  bool json = false;
  /// --no-warnings: warnf() prints nothing (errorf() still does).
  bool no_warnings = false;
  /// The program's source: the verifier's line numbers (BTF line info) are located in it.
  const SourceFile *source = nullptr;
  /// Receives the kernel's refusals as located diagnostics: VerifierRejected at the source line
  /// the verifier stopped on (or the probe's attach point when the log names no line),
  /// LoadRefused and AttachFailed at the probe's attach point, NeedsRoot unlocated. Without it
  /// they are printed on stderr as "scry: message".
  std::function<void(const Diagnostic &)> report;
};

/// Runs `object`. Returns the process exit status: exit()'s code, 0 after a signal or the child's
/// end, 1 when loading or attaching failed (the reason is printed on stderr, naming the probe).
/// A failed write of the output ends the run early; the caller reads output.write_error().
int run_program(const std::vector<uint8_t> &object, const Resources &resources,
                const RunOptions &options, Output &output);

/// Asks a running run_program() to stop as after Ctrl-C (async-signal-safe).
void request_stop();

} // namespace scry
