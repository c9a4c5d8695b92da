// The timer providers, interval and profile: a cpu-clock perf event every N units or N times a
// second (profile:hz:99, interval:s:1). profile runs on every CPU and interrupts whatever runs
// there; interval runs on CPU 0 only, for the tracer itself.
#include "base/perf_events.h"
#include "parser/probe_types.h"
#include "sema/providers/providers.h"

#include <string>

namespace scry {

namespace {

/// The cpu-clock event of a timer attach point (linux/perf_event.h).
PerfEventSpec timer_spec(const ast::AttachPoint &ap) {
  PerfEventSpec spec;
  const PerfEventInfo *clock = find_perf_event(software_events(), "cpu-clock");
  spec.type = clock->type;
  spec.config = clock->config;
  if (ap.unit == "hz") {
    spec.frequency = ap.freq;
  } else {
    const uint64_t ns_per_unit = ap.unit == "s"    ? 1000000000ULL
                                 : ap.unit == "ms" ? 1000000ULL
                                 : ap.unit == "us" ? 1000ULL
                                                   : 1ULL;
    spec.period = ap.freq * ns_per_unit;
  }
  spec.every_cpu = ap.type == ast::ProbeType::Profile; // interval fires on one CPU
  return spec;
}

} // namespace

void expand_timer(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  std::string name =
      std::string(probe_type_name(ap.type)) + ":" + ap.unit + ":" + std::to_string(ap.freq);
  expansion.add_program(probe, ap, std::move(name)).perf_event = timer_spec(ap);
}

} // namespace scry
