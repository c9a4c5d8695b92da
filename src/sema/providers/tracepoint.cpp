// The tracepoint provider: tracepoint:category:event, wildcards expanded against tracefs's list
// of events, one program per event with the event's format (the record `args` reads). Whether a
// program then attaches as a classic or a raw tracepoint is decided after type checking, once
// the fields of `args` it reads are known (sema/tracepoint_attach.h).
#include "sema/providers/providers.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scry {

void expand_tracepoint(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  const SemaOptions &options = expansion.options;
  Diagnostics &diags = expansion.diags;
  std::vector<std::string> &all_tracepoints = expansion.all_tracepoints;
  bool &listed = expansion.listed;
  if (options.tracefs_root.empty()) {
    diags.error(DiagCode::UnknownTracepoint, ap.loc, "tracefs is not available");
    return;
  }
  std::string pattern = ap.target + ":" + ap.func;
  std::vector<std::string> names;
  if (ap.wildcard) {
    if (!listed) {
      TracepointList list = list_tracepoints(options.tracefs_root);
      if (!list.ok())
        diags.error(DiagCode::UnknownTracepoint, ap.loc, list.error);
      all_tracepoints = std::move(list.names);
      listed = true;
    }
    names = match_tracepoints(all_tracepoints, pattern);
    if (names.empty())
      expansion.missing_probe(ap, "no tracepoint matches '" + pattern + "'",
                              "list them with: ls " + options.tracefs_root + "/events/" + ap.target,
                              DiagCode::UnknownTracepoint);
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
      if (file.not_found)
        expansion.missing_probe(ap, file.error, hint, DiagCode::UnknownTracepoint);
      else
        diags.error(DiagCode::UnknownTracepoint, ap.loc, file.error, hint);
      continue;
    }
    auto format = std::make_shared<const TracepointFormat>(std::move(*file.format));
    ProbeProgram &p = expansion.add_program(probe, ap, "tracepoint:" + name, format);
    p.section += "/" + cat + "/" + event;
    p.category = cat;
    p.event = event;
  }
}

} // namespace scry
