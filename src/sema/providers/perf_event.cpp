// The perf event providers, software and hardware: a sample every N events of a named software
// or hardware event (software:page-faults:100, hardware:cache-misses); the events and their
// default periods are base/perf_events.h's.
#include "base/perf_events.h"
#include "parser/probe_types.h"
#include "sema/providers/providers.h"

#include <string>

namespace scry {

namespace {

/// The perf event of a software or hardware attach point (linux/perf_event.h).
PerfEventSpec perf_event_spec(const ast::AttachPoint &ap) {
  PerfEventSpec spec;
  const PerfEventInfo *e = find_perf_event(
      ap.type == ast::ProbeType::Software ? software_events() : hardware_events(), ap.target);
  if (!e)
    return spec; // the attach-point pass has reported it
  spec.type = e->type;
  spec.config = e->config;
  spec.period = ap.freq ? ap.freq : e->default_period;
  return spec;
}

} // namespace

void expand_perf_event(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  std::string name = std::string(probe_type_name(ap.type)) + ":" + ap.target +
                     (ap.freq ? ":" + std::to_string(ap.freq) : "");
  expansion.add_program(probe, ap, std::move(name)).perf_event = perf_event_spec(ap);
}

} // namespace scry
