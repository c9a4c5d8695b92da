// The probe-group pass: which uprobe or kprobe programs share one BPF program. Reads the plan's
// uprobe and kprobe programs (after type checking, which fills UprobeSpec::args); writes
// ProbeProgram's probe_group, group_names and sizes, shares_program_of and function.
//
// A wildcard over hundreds of functions costs one program then: one to compile and verify, one
// uprobe_multi or kprobe_multi link to attach and, above all, to detach (closing a uprobe's
// perf event waits for the kernel to unregister it, ~90 ms each here, one after another; a
// multi link unregisters all its probes at once).
#include "sema/passes.h"

#include <map>
#include <tuple>

namespace scry {

namespace {

uint32_t padded(size_t bytes) {
  return static_cast<uint32_t>((bytes + 7) / 8 * 8);
}

} // namespace

void plan_probe_groups(Resources &resources) {
  std::vector<ProbeProgram> &programs = resources.programs;
  // Keyed by probe, attach mechanism, binary (uprobes) and return or entry.
  std::map<std::tuple<const ast::Probe *, AttachMechanism, std::string, bool>,
           std::vector<uint32_t>>
      groups;
  std::vector<const std::vector<uint32_t> *> order; // groups in the order of their first member
  for (size_t i = 0; i < programs.size(); ++i) {
    const ProbeProgram &p = programs[i];
    // A uprobe program that reads args or finds its binary's load address from where it fired
    // (uaddr) needs its own code per function. A kprobe_multi link takes function names without
    // offsets, and resolves them in vmlinux only on older kernels (6.1).
    const bool uprobe = p.attach == AttachMechanism::Uprobe && p.uprobe.args.empty() &&
                        !p.uprobe.needs_load_address;
    const bool kprobe = p.attach == AttachMechanism::Kprobe && p.kprobe.offset == 0 &&
                        !p.kprobe.function.empty() && p.kprobe.module.empty();
    if (!p.probe || !(uprobe || kprobe))
      continue;
    auto [it, fresh] = groups.try_emplace({p.probe, p.attach, uprobe ? p.uprobe.path : "",
                                           uprobe ? p.uprobe.retprobe : p.kprobe.retprobe});
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
      func_bytes = std::max(func_bytes, programs[i].traced_function().size() + 1);
    }
    lead.probe_group = *group;
    lead.group_names = "names_" + lead.function;
    lead.group_probe_bytes = padded(probe_bytes);
    lead.group_func_bytes = padded(func_bytes);
    for (size_t k = 1; k < group->size(); ++k) {
      ProbeProgram &member = programs[(*group)[k]];
      member.shares_program_of = static_cast<int32_t>(group->front());
      member.function = lead.function;
    }
  }
}

} // namespace scry
