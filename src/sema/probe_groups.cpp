// The uprobe-group pass: which uprobe programs share one BPF program. Reads the plan's uprobe
// programs (after type checking, which fills UprobeSpec::args); writes ProbeProgram's
// uprobe_group, uprobe_names and sizes, shares_program_of and function.
//
// A wildcard over hundreds of functions costs one program then: one to compile and verify, one
// uprobe_multi link to attach and, above all, to detach (closing a uprobe's perf event waits for
// the kernel to unregister it, ~90 ms each here, one after another; a uprobe_multi link
// unregisters all its uprobes at once).
#include "sema/passes.h"

#include <map>
#include <tuple>

namespace scry {

namespace {

uint32_t padded(size_t bytes) {
  return static_cast<uint32_t>((bytes + 7) / 8 * 8);
}

} // namespace

void plan_uprobe_groups(Resources &resources) {
  std::vector<ProbeProgram> &programs = resources.programs;
  std::map<std::tuple<const ast::Probe *, std::string, bool>, std::vector<uint32_t>> groups;
  std::vector<const std::vector<uint32_t> *> order; // groups in the order of their first member
  for (size_t i = 0; i < programs.size(); ++i) {
    const ProbeProgram &p = programs[i];
    // A program that reads args or finds its binary's load address from where it fired
    // (uaddr) needs its own code per function.
    if (p.attach != AttachMechanism::Uprobe || !p.probe || !p.uprobe.args.empty() ||
        p.uprobe.needs_load_address)
      continue;
    auto [it, fresh] = groups.try_emplace({p.probe, p.uprobe.path, p.uprobe.retprobe});
    it->second.push_back(static_cast<uint32_t>(i));
    if (fresh)
      order.push_back(&it->second);
  }
  for (const std::vector<uint32_t> *group : order) {
    if (group->size() < 2)
      continue;
    ProbeProgram &lead = programs[group->front()];
    size_t probe_bytes = 1, func_bytes = 1;
    for (uint32_t i : *group) {
      probe_bytes = std::max(probe_bytes, programs[i].probe_name.size() + 1);
      func_bytes = std::max(func_bytes, programs[i].uprobe.function.size() + 1);
    }
    lead.uprobe_group = *group;
    lead.uprobe_names = "names_" + lead.function;
    lead.uprobe_probe_bytes = padded(probe_bytes);
    lead.uprobe_func_bytes = padded(func_bytes);
    for (size_t k = 1; k < group->size(); ++k) {
      ProbeProgram &member = programs[(*group)[k]];
      member.shares_program_of = static_cast<int32_t>(group->front());
      member.function = lead.function;
    }
  }
}

} // namespace scry
