// The probe expansion pass: one ProbeProgram in the plan for each concrete attach point, made by
// its probe type's provider (sema/providers/), then the max_probes check. Reads the probes'
// attach points (after the attach-point pass), SemaOptions::tracefs_root and the tracepoint
// formats there, and ConfigLimits::max_probes; writes Resources::programs (name, type, order,
// and the plan data of the provider table: section, context kind, attach mechanism, -p filter,
// a perf event, a tracepoint's category and event) and SemaResult::tracepoint_formats.
#include "parser/probe_types.h"
#include "sema/passes.h"
#include "sema/providers/providers.h"

#include <memory>
#include <string>
#include <utility>

namespace scry {

using namespace ast;

ProbeProgram &Expansion::add_program(Probe &probe, const AttachPoint &ap, std::string name,
                                     std::shared_ptr<const TracepointFormat> format) {
  const Provider &provider = provider_for(ap.type);
  ProbeProgram p;
  p.function = "probe_" + std::to_string(result.resources.programs.size());
  p.probe_name = std::move(name);
  p.probe = &probe;
  p.loc = ap.loc;
  p.type = ap.type;
  p.order = order++;
  if (provider.section)
    p.section = provider.section;
  p.context = provider.context;
  p.attach = provider.attach;
  p.pid_filter = provider.pid_filter;
  result.resources.programs.push_back(p);
  result.tracepoint_formats.push_back(std::move(format));
  return result.resources.programs.back();
}

void expand_probes(const Program &program, const SemaOptions &options, KernelBtf &btf,
                   SemaResult &result, Diagnostics &diags) {
  Expansion expansion(options, btf, result, diags);
  for (Probe *probe : program.probes) {
    for (AttachPoint *ap : probe->attach_points) {
      if (ap->type == ProbeType::Invalid)
        continue; // the attach-point pass has reported it
      const Provider &provider = provider_for(ap->type);
      if (provider.expand)
        provider.expand(expansion, *probe, *ap);
      else // the hint keeps its words: the table's order would put profile before interval
        diags.error(
            DiagCode::NotSupported, ap->loc,
            std::string(probe_type_name(ap->type)) + " probes are not supported by scry yet",
            "supported today: begin, end, tracepoint, interval, profile, software, hardware");
    }
  }
  // An iterator runs alone: scry reads it and exits (as in bpftrace).
  const std::vector<ProbeProgram> &programs = result.resources.programs;
  for (const ProbeProgram &p : programs)
    if (p.attach == AttachMechanism::Iterator && programs.size() > 1) {
      diags.error(DiagCode::InvalidAttachPoint, p.loc,
                  "an iter probe cannot be mixed with other probes, not even another iter probe",
                  "run each iterator in a program of its own");
      break;
    }
}

bool check_max_probes(const Resources &resources, const ConfigLimits &limits, Diagnostics &diags) {
  // bpftrace's max_probes (default 1024): a wildcard that matches thousands of events is far
  // more likely a mistake than an intent, and each probe costs kernel memory and start-up time.
  if (resources.programs.size() > limits.max_probes) {
    const ProbeProgram &p = resources.programs[limits.max_probes];
    diags.error(DiagCode::InvalidAttachPoint, p.loc,
                "the program attaches " + std::to_string(resources.programs.size()) +
                    " probes, more than max_probes (" + std::to_string(limits.max_probes) + ")",
                "narrow the wildcard, or raise the limit: config = { max_probes = N }");
    return false;
  }
  return true;
}

} // namespace scry
