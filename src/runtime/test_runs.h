// --test and --bench: scry runs the program's test or bench probes itself, with
// BPF_PROG_TEST_RUN, instead of tracing. Without either flag those probes are ignored, as in
// bpftrace; with one, every other probe is.
#pragma once

#include "runtime/output.h"
#include "sema/resources.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

struct bpf_program;

namespace scry {

/// What --test and --bench mode run (RunOptions::mode).
enum class RunMode : uint8_t {
  Trace, // attach the probes and trace (test and bench probes are ignored)
  Test,  // run the test probes, report each, exit 1 if one failed
  Bench, // run each bench probe many times, report its average time
};

/// What the runner lends the test runs: its ring buffer and its run state.
struct TestRunHooks {
  /// Reads the ring buffer's records: shown on the output when `show`, else dropped.
  std::function<void(bool show)> drain;
  /// The `state` map (base/bpf_abi.h's RunState): exit() sets its flag.
  int state_fd = -1;
  /// How many runtime errors the probes have reported so far (shown or dropped).
  const size_t *runtime_errors = nullptr;
};

/// Runs the probes of `mode` (Test or Bench) of `programs` (`progs` parallel to it), in
/// declaration order, after "Attached N probes" (unless `quiet`).
///
/// Test: each test probe runs once. It passes when its program returns 0 (`return N;` sets N),
/// calls no exit() and reports no runtime error; what a passing test printed is dropped, a
/// failing one's is shown; each result goes to Output::test_result. Returns 1 when one failed.
///
/// Bench: each bench probe runs many times; its average time per run, the cost of an empty
/// run subtracted, goes to Output::benchmark_results after Output::end_of_run (the maps follow
/// it). What bench probes print is dropped. Returns 0.
int test_mode_run(RunMode mode, const std::vector<ProbeProgram> &programs,
                  const std::vector<bpf_program *> &progs, Output &out, const TestRunHooks &hooks,
                  bool quiet);

} // namespace scry
