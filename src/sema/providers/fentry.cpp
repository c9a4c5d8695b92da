// The fentry and fexit provider (aliases kfunc and kretfunc, f and fr): fentry:[MODULE:]FUNCTION
// with wildcards, over the functions the kernel's BTF describes (vmlinux and loaded modules)
// that ftrace can trace. Each matching function is one program of type tracing, loaded for the
// function's BTF id (the section "fentry/NAME" tells libbpf which) and attached through a BPF
// trampoline. `args.NAME` reads the function's parameters by their BTF names and types; fexit's
// `retval` is its return value, after them in the context.
#include "parser/suggest.h"
#include "sema/providers/providers.h"

#include <algorithm>
#include <set>

namespace scry {

namespace {

/// The BTF functions ftrace can trace too, where the traceable list is ftrace's own: a BTF
/// function that is inlined everywhere or notrace has no trampoline to attach to.
std::vector<KernelFunction> traceable_btf_functions(Expansion &x) {
  std::vector<KernelFunction> btf_functions = x.btf.functions();
  const KernelFunctionList &traceable = x.traceable_functions();
  if (traceable.functions.empty() || traceable.from_kallsyms)
    return btf_functions;
  std::set<std::string> names;
  for (const KernelFunction &f : traceable.functions)
    names.insert(f.name);
  std::erase_if(btf_functions, [&](const KernelFunction &f) { return !names.count(f.name); });
  return btf_functions;
}

} // namespace

void expand_fentry(Expansion &x, ast::Probe &probe, ast::AttachPoint &ap) {
  const bool fexit = ap.type == ast::ProbeType::Fexit;
  const std::string provider = fexit ? "fexit" : "fentry";
  if (!x.btf.load()) {
    x.diags.error(DiagCode::NotSupported, ap.loc,
                  provider + " probes need the kernel's BTF: " + x.btf.error(),
                  "use kprobe:" + ap.func + " instead");
    return;
  }
  std::vector<KernelFunction> targets;
  if (ap.wildcard || ap.target.empty()) {
    if (!x.btf_functions_listed) {
      x.btf_functions = traceable_btf_functions(x);
      x.btf_functions_listed = true;
    }
    targets = match_kernel_functions(x, ap, x.btf_functions, "kernel function with BTF");
  } else {
    targets.push_back({ap.func, ap.target == "vmlinux" ? "" : ap.target});
  }
  for (const KernelFunction &f : targets) {
    std::string error;
    std::optional<BtfFunction> proto = x.btf.function(f.name, f.module, error);
    if (!proto) {
      x.missing_probe(ap, error, "list the functions with: scry -l '" + provider + ":*'");
      continue;
    }
    ProbeProgram &p = x.add_program(
        probe, ap, provider + ":" + (f.module.empty() ? "" : f.module + ":") + f.name);
    p.section += "/" + f.name;
    KernelFunctionSpec &k = p.kernel_function;
    k.name = f.name;
    k.module = f.module;
    k.fexit = fexit;
    k.arg_count = static_cast<uint32_t>(proto->params.size());
    for (const BtfParam &param : proto->params) {
      k.params.push_back(param.name);
      k.param_types.push_back(param.type);
    }
    k.return_type = proto->return_type;
  }
}

void expand_rawtracepoint(Expansion &x, ast::Probe &probe, ast::AttachPoint &ap) {
  std::vector<KernelFunction> targets;
  const bool have_btf = x.btf.load();
  if (ap.wildcard) {
    if (!have_btf) {
      x.diags.error(DiagCode::NotSupported, ap.loc,
                    "a wildcard over raw tracepoints needs the kernel's BTF: " + x.btf.error());
      return;
    }
    targets = match_kernel_functions(x, ap, x.btf.raw_tracepoints(), "raw tracepoint");
  } else {
    targets.push_back({ap.func, ap.target == "vmlinux" ? "" : ap.target});
  }
  for (const KernelFunction &f : targets) {
    std::string error;
    std::optional<BtfFunction> proto =
        have_btf ? x.btf.raw_tracepoint(f.name, f.module, error) : std::nullopt;
    if (have_btf && !proto) {
      std::vector<std::string> names;
      for (const KernelFunction &t : x.btf.raw_tracepoints())
        names.push_back(t.name);
      x.diags.error(DiagCode::UnknownTracepoint, ap.loc, error,
                    did_you_mean(f.name, names, "list them with: scry -l 'rawtracepoint:*'"));
      continue;
    }
    ProbeProgram &p = x.add_program(
        probe, ap, "rawtracepoint:" + (f.module.empty() ? "" : f.module + ":") + f.name);
    KernelFunctionSpec &k = p.kernel_function;
    k.name = f.name;
    k.module = f.module;
    if (proto) {
      // tp_btf: typed arguments, attached with a tracing link.
      p.section += "/" + f.name;
      k.arg_count = static_cast<uint32_t>(proto->params.size());
      for (const BtfParam &param : proto->params) {
        k.params.push_back(param.name);
        k.param_types.push_back(param.type);
      }
    } else {
      // No BTF: a classic raw tracepoint, whose arguments are only arg0..argN.
      p.section = "raw_tp/" + f.name;
      p.attach = AttachMechanism::RawTracepoint;
      p.raw_tracepoint = f.name;
      k.arg_count = 12; // the most any tracepoint passes (TP_ARGS has at most 12)
    }
  }
}

} // namespace scry
