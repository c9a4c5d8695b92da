// The test and bench providers: test:NAME and bench:NAME, programs scry runs itself with
// BPF_PROG_TEST_RUN, in declaration order: once each with --test (a test passes when it returns
// 0, calls no exit() and reports no runtime error), many times each with --bench (its average
// time is reported). Without the flag they are ignored, as in bpftrace (runtime/test_runs.h).
#include "parser/probe_types.h"
#include "sema/providers/providers.h"

#include <string>

namespace scry {

void expand_test_bench(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  const std::string name = std::string(probe_type_name(ap.type)) + ":" + ap.func;
  for (const ProbeProgram &other : expansion.result.resources.programs) {
    if (other.type != ap.type || other.probe_name != name)
      continue;
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                          "\"" + ap.func + "\" was used as the name for more than one " +
                              probe_type_name(ap.type) + " probe",
                          "the other is at " + position_text(other.loc.begin));
    return;
  }
  expansion.add_program(probe, ap, name);
}

} // namespace scry
