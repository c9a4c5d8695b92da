#include "runtime/test_runs.h"

#include "base/bpf_abi.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <linux/bpf.h>
#include <unistd.h>

namespace scry {

namespace {

/// Runs the raw tracepoint program `fd` once and sets `retval` to what it returned; false, with
/// errno set, when the kernel refused to run it.
bool test_run(int fd, uint64_t &retval) {
  // A raw tracepoint program's context is an array of u64 arguments; test and bench probes read
  // none. BPF_PROG_TEST_RUN of a raw_tp program takes no repeat count and reports no duration
  // (bpf_prog_test_run_raw_tp), so a bench repeats the call (time_runs).
  uint64_t args[1] = {0};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
  if (bpf_prog_test_run_opts(fd, &opts) != 0)
    return false;
  retval = opts.retval;
  return true;
}

/// Whether a probe called exit() since the last call (the flag in the `state` map, which
/// cannot be lost as a ring-buffer record can); clears it for the next probe.
bool take_exit(int state_fd) {
  RunState state{};
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(state_fd, &zero, &state) != 0 || !state.exit_requested)
    return false;
  state.exit_requested = 0;
  state.exit_code = 0;
  bpf_map_update_elem(state_fd, &zero, &state, BPF_ANY);
  return true;
}

/// The kernel's count of the runs of program `fd` and of the time they took (bpf_prog_info's
/// run_cnt and run_time_ns, kept while BPF_ENABLE_STATS is on).
std::pair<uint64_t, uint64_t> run_stats(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return {0, 0};
  return {info.run_cnt, info.run_time_ns};
}

/// The average time in ns of a run of program `fd`, over `runs` runs in chunks, with `between`
/// called after each chunk. With the kernel's run-time statistics on (`stats`), it is what the
/// kernel measured around the program alone (bpf_prog_run's sched_clock() pair); else the
/// wall-clock time of the whole BPF_PROG_TEST_RUN call, the best of the chunks.
uint64_t time_runs(int fd, int runs, bool stats, const std::function<void()> &between) {
  constexpr int kChunks = 4;
  uint64_t best = UINT64_MAX, retval = 0;
  const auto [count_before, ns_before] = run_stats(fd);
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < runs / kChunks; ++i)
      test_run(fd, retval);
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    best = std::min(best, static_cast<uint64_t>(ns) / static_cast<uint64_t>(runs / kChunks));
    if (between)
      between();
  }
  const auto [count_after, ns_after] = run_stats(fd);
  if (stats && count_after > count_before)
    return (ns_after - ns_before) / (count_after - count_before);
  return best;
}

/// A raw tracepoint program that returns 0 at once: the cost of BPF_PROG_TEST_RUN itself, which
/// is subtracted from every bench probe's time. -1 when it cannot be loaded.
int load_empty_program() {
  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                  // exit
  };
  return bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "scry_bench_base", "GPL", insns, 2, nullptr);
}

// Runs per bench probe (~20 ms for a small probe).
constexpr int kBenchRuns = 20000;

int run_tests(const std::vector<ProbeProgram> &programs, const std::vector<bpf_program *> &progs,
              Output &out, const TestRunHooks &hooks) {
  int status = 0;
  for (size_t i = 0; i < programs.size() && i < progs.size(); ++i) {
    const ProbeProgram &p = programs[i];
    if (p.attach != AttachMechanism::RunAsTest)
      continue;
    take_exit(hooks.state_fd); // a flag left by an earlier probe is not this one's
    const size_t errors_before = *hooks.runtime_errors;
    uint64_t retval = 0;
    bool passed = test_run(bpf_program__fd(progs[i]), retval);
    if (!passed)
      out.runtime_error(p.probe_name + ": cannot run: " + std::strerror(errno));
    // A failing test's output is shown, a passing one's dropped; a runtime error found while
    // dropping it still fails the test.
    passed = passed && retval == 0 && !take_exit(hooks.state_fd);
    hooks.drain(!passed);
    hooks.drain(false); // what a probe sent after its exit()
    passed = passed && *hooks.runtime_errors == errors_before;
    out.test_result(p.probe_name, passed);
    if (!passed)
      status = 1;
  }
  return status;
}

std::vector<std::pair<std::string, uint64_t>>
run_benchmarks(const std::vector<ProbeProgram> &programs, const std::vector<bpf_program *> &progs,
               Output &out, const TestRunHooks &hooks) {
  std::vector<std::pair<std::string, uint64_t>> rows;
  // The kernel times each run while a BPF_ENABLE_STATS file descriptor is open (5.8).
  const int stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
  const bool stats = stats_fd >= 0;
  const int empty = load_empty_program();
  const uint64_t base = empty >= 0 ? time_runs(empty, kBenchRuns, stats, {}) : 0;
  const size_t prefix = std::strlen("bench:");
  for (size_t i = 0; i < programs.size() && i < progs.size(); ++i) {
    const ProbeProgram &p = programs[i];
    if (p.attach != AttachMechanism::RunAsBench)
      continue;
    const int fd = bpf_program__fd(progs[i]);
    uint64_t retval = 0;
    if (!test_run(fd, retval)) {
      out.runtime_error(p.probe_name + ": cannot run: " + std::strerror(errno));
      continue;
    }
    // The ring buffer is emptied between chunks: a probe that prints would otherwise fill it
    // and the rest would time failed reservations.
    const uint64_t ns = time_runs(fd, kBenchRuns, stats, [&] { hooks.drain(false); });
    take_exit(hooks.state_fd);
    rows.emplace_back(p.probe_name.substr(prefix), ns > base ? ns - base : 0);
  }
  if (empty >= 0)
    close(empty);
  if (stats_fd >= 0)
    close(stats_fd);
  return rows;
}

} // namespace

int test_mode_run(RunMode mode, const std::vector<ProbeProgram> &programs,
                  const std::vector<bpf_program *> &progs, Output &out, const TestRunHooks &hooks,
                  bool quiet) {
  const AttachMechanism kind =
      mode == RunMode::Test ? AttachMechanism::RunAsTest : AttachMechanism::RunAsBench;
  if (!quiet)
    out.attached_probes(static_cast<size_t>(
        std::count_if(programs.begin(), programs.end(),
                      [&](const ProbeProgram &p) { return p.attach == kind; })));
  if (mode == RunMode::Test) {
    int status = run_tests(programs, progs, out, hooks);
    out.end_of_run();
    return status;
  }
  auto rows = run_benchmarks(programs, progs, out, hooks);
  out.end_of_run();
  out.benchmark_results(rows);
  return 0;
}

} // namespace scry
