// self probes (self:signal:SIGUSR1): programs scry runs each time it receives the signal.
// scry catches SIGUSR1 for the whole run whether or not a probe waits for it, as bpftrace does
// since it stopped printing the maps on SIGUSR1 (0.22): the signal no longer ends the run.
#pragma once

#include "runtime/output.h"
#include "sema/resources.h"

#include <vector>

struct bpf_program;

namespace scry {

/// Installs scry's SIGUSR1 handler (async-signal-safe: it only counts the signal).
void self_signals_install();

/// Whether SIGUSR1 has arrived since the last call; clears it. Signals that arrive together are
/// counted: each call takes one.
bool self_signal_take();

/// Runs every self program of `programs` (`progs` parallel to it) waiting for `signal`, in
/// declaration order, with BPF_PROG_TEST_RUN. A program that cannot run is reported on `out`.
void self_probes_run(const std::vector<ProbeProgram> &programs,
                     const std::vector<bpf_program *> &progs, int signal, Output &out);

} // namespace scry
