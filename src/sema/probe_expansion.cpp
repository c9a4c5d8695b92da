// The probe expansion pass: one ProbeProgram in the plan for each concrete attach point, a
// tracepoint wildcard expanded against tracefs's list, then the max_probes check. Reads the
// probes' attach points (after the attach-point pass), SemaOptions::tracefs_root and the
// tracepoint formats there, and ConfigLimits::max_probes; writes Resources::programs (name,
// type, order, perf event, a tracepoint's category and event) and SemaResult::tracepoint_formats.
#include "base/perf_events.h"
#include "parser/attach_point.h"
#include "sema/passes.h"
#include "sema/tracepoint_format.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scry {

using namespace ast;

namespace {

std::string probe_name(const AttachPoint &ap) {
  std::string name = probe_type_name(ap.type);
  switch (ap.type) {
  case ProbeType::Begin:
  case ProbeType::End:
    return name;
  case ProbeType::Interval:
  case ProbeType::Profile:
    return name + ":" + ap.unit + ":" + std::to_string(ap.freq);
  case ProbeType::Software:
  case ProbeType::Hardware:
    return name + ":" + ap.target + (ap.freq ? ":" + std::to_string(ap.freq) : "");
  default:
    return name + ":" + ap.target + ":" + ap.func;
  }
}

/// The perf event of an interval, profile, software or hardware attach point
/// (linux/perf_event.h); an empty spec for other probe types.
PerfEventSpec perf_event_spec(const AttachPoint &ap) {
  PerfEventSpec spec;
  switch (ap.type) {
  case ProbeType::Interval:
  case ProbeType::Profile: {
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
    spec.every_cpu = ap.type == ProbeType::Profile; // interval fires on one CPU
    return spec;
  }
  case ProbeType::Software:
  case ProbeType::Hardware: {
    const PerfEventInfo *e = find_perf_event(
        ap.type == ProbeType::Software ? software_events() : hardware_events(), ap.target);
    if (!e)
      return spec; // the attach-point pass has reported it
    spec.type = e->type;
    spec.config = e->config;
    spec.period = ap.freq ? ap.freq : e->default_period;
    return spec;
  }
  case ProbeType::Invalid:
  case ProbeType::Begin:
  case ProbeType::End:
  case ProbeType::Kprobe:
  case ProbeType::Kretprobe:
  case ProbeType::Fentry:
  case ProbeType::Fexit:
  case ProbeType::Uprobe:
  case ProbeType::Uretprobe:
  case ProbeType::Usdt:
  case ProbeType::Tracepoint:
  case ProbeType::RawTracepoint:
  case ProbeType::Watchpoint:
  case ProbeType::Iter:
  case ProbeType::Self:
  case ProbeType::Test:
  case ProbeType::Bench:
    break;
  }
  return spec;
}

/// Adds the program of one concrete attach point to the plan, with what the runtime needs to
/// attach it (perf events here; the caller fills in a tracepoint's category and event).
ProbeProgram &add_program(SemaResult &result, Probe *probe, AttachPoint *ap, std::string name,
                          std::shared_ptr<const TracepointFormat> format, uint32_t order) {
  ProbeProgram p;
  p.function = "probe_" + std::to_string(result.resources.programs.size());
  p.probe_name = std::move(name);
  p.probe = probe;
  p.loc = ap->loc;
  p.type = ap->type;
  p.order = order;
  p.perf_event = perf_event_spec(*ap);
  result.resources.programs.push_back(p);
  result.tracepoint_formats.push_back(std::move(format));
  return result.resources.programs.back();
}

} // namespace

void expand_probes(const Program &program, const SemaOptions &options, SemaResult &result,
                   Diagnostics &diags) {
  Resources &r = result.resources;
  uint32_t order = 0;
  std::vector<std::string> all_tracepoints;
  bool listed = false;
  for (Probe *probe : program.probes) {
    for (AttachPoint *ap : probe->attach_points) {
      switch (ap->type) {
      case ProbeType::Invalid:
        break;
      case ProbeType::Begin:
      case ProbeType::End:
      case ProbeType::Interval:
      case ProbeType::Profile:
      case ProbeType::Software:
      case ProbeType::Hardware:
        add_program(result, probe, ap, probe_name(*ap), nullptr, order++);
        break;
      case ProbeType::Tracepoint: {
        if (options.tracefs_root.empty()) {
          diags.error(DiagCode::UnknownTracepoint, ap->loc, "tracefs is not available");
          break;
        }
        std::string pattern = ap->target + ":" + ap->func;
        std::vector<std::string> names;
        if (ap->wildcard) {
          if (!listed) {
            TracepointList list = list_tracepoints(options.tracefs_root);
            if (!list.ok())
              diags.error(DiagCode::UnknownTracepoint, ap->loc, list.error);
            all_tracepoints = std::move(list.names);
            listed = true;
          }
          names = match_tracepoints(all_tracepoints, pattern);
          if (names.empty())
            diags.error(DiagCode::UnknownTracepoint, ap->loc,
                        "no tracepoint matches '" + pattern + "'",
                        "list them with: ls " + options.tracefs_root + "/events/" + ap->target);
        } else {
          names.push_back(pattern);
        }
        for (const std::string &name : names) {
          size_t colon = name.find(':');
          std::string cat = name.substr(0, colon), event = name.substr(colon + 1);
          TracepointFormatFile file = read_tracepoint_format(options.tracefs_root, cat, event);
          if (!file.format) {
            std::string hint;
            if (file.not_found) {
              if (!listed) {
                all_tracepoints = list_tracepoints(options.tracefs_root).names;
                listed = true;
              }
              std::string s = suggest_tracepoint(all_tracepoints, name);
              if (!s.empty())
                hint = "did you mean 'tracepoint:" + s + "'?";
            }
            diags.error(DiagCode::UnknownTracepoint, ap->loc, file.error, hint);
            continue;
          }
          auto format = std::make_shared<const TracepointFormat>(std::move(*file.format));
          ProbeProgram &p = add_program(result, probe, ap, "tracepoint:" + name, format, order++);
          p.category = cat;
          p.event = event;
        }
        break;
      }
      case ProbeType::Kprobe:
      case ProbeType::Kretprobe:
      case ProbeType::Fentry:
      case ProbeType::Fexit:
      case ProbeType::Uprobe:
      case ProbeType::Uretprobe:
      case ProbeType::Usdt:
      case ProbeType::RawTracepoint:
      case ProbeType::Watchpoint:
      case ProbeType::Iter:
      case ProbeType::Self:
      case ProbeType::Test:
      case ProbeType::Bench:
        diags.error(
            DiagCode::NotSupported, ap->loc,
            std::string(probe_type_name(ap->type)) + " probes are not supported by scry yet",
            "supported today: begin, end, tracepoint, interval, profile, software, hardware");
        break;
      }
    }
  }
  (void)r;
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
