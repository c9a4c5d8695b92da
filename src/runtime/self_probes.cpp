#include "runtime/self_probes.h"

#include "runtime/attach.h"

#include <atomic>
#include <csignal>

namespace scry {

namespace {

// Lock-free on every platform scry builds for; a counter, so that two signals that arrive
// between two polls run the probes twice.
std::atomic<unsigned> g_usr1_pending{0};

void on_usr1(int) {
  g_usr1_pending.fetch_add(1, std::memory_order_relaxed);
}

} // namespace

void self_signals_install() {
  g_usr1_pending.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; // no SA_RESTART: the signal interrupts the event loop's poll
  sigaction(SIGUSR1, &sa, nullptr);
}

bool self_signal_take() {
  unsigned n = g_usr1_pending.load(std::memory_order_relaxed);
  while (n > 0 && !g_usr1_pending.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
  }
  return n > 0;
}

void self_probes_run(const std::vector<ProbeProgram> &programs,
                     const std::vector<bpf_program *> &progs, int signal, Output &out) {
  for (size_t i = 0; i < programs.size() && i < progs.size(); ++i) {
    if (programs[i].attach != AttachMechanism::RunOnSignal || programs[i].signal != signal)
      continue;
    std::string err = run_special_probe(programs[i], progs[i]);
    if (!err.empty())
      out.runtime_error(err);
  }
}

} // namespace scry
