// The begin and end providers: `begin` and `end` (bpftrace's BEGIN and END), one program each,
// which scry runs once itself (AttachMechanism::RunAtStart, RunAtExit) in declaration order.
#include "parser/probe_types.h"
#include "sema/providers/providers.h"

namespace scry {

void expand_begin_end(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  expansion.add_program(probe, ap, probe_type_name(ap.type));
}

} // namespace scry
