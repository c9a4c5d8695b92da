// The self provider: self:signal:SIGUSR1, a program scry runs (BPF_PROG_TEST_RUN) each time it
// receives the signal (runtime/self_probes.h). bpftrace allows SIGUSR1 only, and since 0.22 no
// longer prints the maps on SIGUSR1 by itself: a program that wants that prints them here.
#include "sema/providers/providers.h"

#include <csignal>

namespace scry {

void expand_self(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  // The attach-point pass has checked the trigger ("signal").
  if (ap.func != "SIGUSR1") {
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                          ap.func + " is not a supported signal",
                          "self:signal supports SIGUSR1 (as bpftrace does)");
    return;
  }
  expansion.add_program(probe, ap, "self:signal:" + ap.func).signal = SIGUSR1;
}

} // namespace scry
