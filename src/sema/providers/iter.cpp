// The iter provider: iter:NAME[:PIN], a BPF iterator over kernel objects (task, task_file,
// task_vma, bpf_map, tcp, ...: those the kernel's BTF has both a bpf_iter_NAME function and a
// struct bpf_iter__NAME context for). `ctx` is a pointer to that context, typed from BTF by the
// type checker. The runtime reads the iterator to its end and exits, or pins it under bpffs
// (runtime/iterators.h). As in bpftrace, an iterator cannot be mixed with other probes.
#include "sema/providers/providers.h"

#include <bpf/btf.h>
#include <linux/btf.h>
#include <string>
#include <vector>

namespace scry {

namespace {

/// The iterators of the running kernel, from its BTF (empty when it has none).
const std::vector<std::string> &kernel_iterators() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    struct btf *btf = btf__load_vmlinux_btf();
    if (!btf)
      return out;
    const std::string prefix = "bpf_iter__";
    for (__u32 id = 1; id < btf__type_cnt(btf); ++id) {
      const struct btf_type *t = btf__type_by_id(btf, id);
      if (!btf_is_struct(t))
        continue;
      std::string name = btf__name_by_offset(btf, t->name_off);
      if (name.rfind(prefix, 0) != 0)
        continue;
      name = name.substr(prefix.size());
      if (btf__find_by_name_kind(btf, ("bpf_iter_" + name).c_str(), BTF_KIND_FUNC) > 0)
        out.push_back(name);
    }
    btf__free(btf);
    return out;
  }();
  return names;
}

// Iterators that need a map, a socket map or a file to walk, which the attach point cannot
// name (bpf_iter_link_info).
bool needs_a_target(const std::string &name) {
  return name == "bpf_map_elem" || name == "bpf_sk_storage_map" || name == "sockmap";
}

} // namespace

void expand_iter(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  Diagnostics &diags = expansion.diags;
  const std::vector<std::string> &known = kernel_iterators();
  bool found = false;
  std::string names;
  for (const std::string &name : known) {
    found |= name == ap.func;
    if (!needs_a_target(name))
      names += (names.empty() ? "" : ", ") + name;
  }
  if (known.empty()) {
    diags.error(DiagCode::NotSupported, ap.loc,
                "this kernel has no BPF iterators (its BTF, /sys/kernel/btf/vmlinux, lists none)",
                "iterators need kernel 5.8 with CONFIG_DEBUG_INFO_BTF");
    return;
  }
  if (!found) {
    diags.error(DiagCode::InvalidAttachPoint, ap.loc, "unknown iterator '" + ap.func + "'",
                "this kernel's iterators: " + names);
    return;
  }
  if (needs_a_target(ap.func)) {
    diags.error(DiagCode::NotSupported, ap.loc,
                "iter:" + ap.func + " walks a map or a socket map, which scry cannot name yet");
    return;
  }
  ProbeProgram &p = expansion.add_program(probe, ap, "iter:" + ap.func);
  p.section = "iter/" + ap.func;
  p.iterator = ap.func;
  // A relative pin is under bpffs's mount point, as in bpftrace.
  if (!ap.target.empty())
    p.iterator_pin = ap.target[0] == '/' ? ap.target : "/sys/fs/bpf/" + ap.target;
}

} // namespace scry
