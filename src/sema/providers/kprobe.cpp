// The kprobe and kretprobe provider: kprobe:FUNCTION[+OFFSET], kprobe:MODULE:FUNCTION,
// kprobe:0xADDRESS, wildcards over functions and modules. Functions are the traceable ones
// (symbols/kernel_symbols.h: tracefs's available_filter_functions, else kallsyms's text
// symbols); each matching function is one program, attached by the runtime with the kernel's
// kprobe PMU or, when the programs of one probe share their code (sema/probe_groups.cpp), one
// kprobe_multi link. Whether this kernel has kprobes at all is known only when attaching:
// --dry-run loads the programs through the verifier even where it has none.
#include "parser/suggest.h"
#include "sema/providers/providers.h"

#include <algorithm>
#include <cstdio>
#include <fnmatch.h>

namespace scry {

namespace {

std::string hex_address(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool glob_match(const std::string &pattern, const std::string &name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

} // namespace

void Expansion::missing_probe(const ast::AttachPoint &ap, std::string message, std::string hint,
                              DiagCode code) {
  switch (result.resources.missing_probes) {
  case MissingProbes::Error:
    diags.error(code, ap.loc, std::move(message), std::move(hint));
    break;
  case MissingProbes::Warn:
    diags.warning(code, ap.loc, std::move(message) + "; left out (config missing_probes = warn)");
    break;
  case MissingProbes::Ignore:
    break;
  }
}

const KernelFunctionList &Expansion::traceable_functions() {
  if (!kernel_functions)
    kernel_functions = traceable_kernel_functions(
        options.tracefs_root.empty() ? "/sys/kernel/tracing" : options.tracefs_root);
  return *kernel_functions;
}

std::vector<KernelFunction> match_kernel_functions(Expansion &x, const ast::AttachPoint &ap,
                                                   const std::vector<KernelFunction> &functions,
                                                   const std::string &what) {
  std::vector<KernelFunction> matches;
  const bool any_module = ap.target.empty() || ap.target == "*";
  for (const KernelFunction &f : functions) {
    if (!glob_match(ap.func, f.name))
      continue;
    if (!any_module && !glob_match(ap.target, f.module.empty() ? "vmlinux" : f.module))
      continue;
    // Without a module, a function several modules define is probed once, by name.
    if (ap.target.empty() && !matches.empty() && matches.back().name == f.name)
      continue;
    matches.push_back(ap.target.empty() ? KernelFunction{f.name, ""} : f);
  }
  if (!matches.empty())
    return matches;
  const std::string where = ap.target.empty() ? "" : " in module " + ap.target;
  if (ap.wildcard) {
    x.missing_probe(ap, "no " + what + " matches '" + ap.func + "'" + where,
                    "list them with: scry -l '" + ap.provider + ":" + ap.func + "'");
    return matches;
  }
  std::vector<std::string> names;
  for (const KernelFunction &f : functions)
    if (!f.name.empty() && f.name[0] == ap.func[0])
      names.push_back(f.name);
  x.missing_probe(ap, "the kernel has no " + what + " '" + ap.func + "'" + where,
                  did_you_mean(ap.func, names,
                               "it may be inlined, static in a module that is not loaded, or "
                               "marked notrace"));
  return matches;
}

void expand_kprobe(Expansion &x, ast::Probe &probe, ast::AttachPoint &ap) {
  const bool ret = ap.type == ast::ProbeType::Kretprobe;
  const std::string provider = ret ? "kretprobe" : "kprobe";
  if (ap.has_address) {
    ProbeProgram &p = x.add_program(probe, ap, provider + ":" + hex_address(ap.address));
    p.kprobe.offset = ap.address;
    p.kprobe.retprobe = ret;
    return;
  }
  const KernelFunctionList &list = x.traceable_functions();
  if (list.functions.empty()) {
    x.diags.error(DiagCode::UnknownSymbol, ap.loc,
                  "scry cannot list the kernel's functions: " + list.error,
                  "scry needs root to read them");
    return;
  }
  std::vector<KernelFunction> targets;
  if (!ap.wildcard && !list.from_kallsyms && ap.target.empty() &&
      !std::binary_search(
          list.functions.begin(), list.functions.end(), KernelFunction{ap.func, ""},
          [](const KernelFunction &a, const KernelFunction &b) { return a.name < b.name; }) &&
      kernel_symbol_address(ap.func)) {
    // A kernel function ftrace does not list (Debian's 6.1 leaves out __x64_sys_getppid) may
    // still take a kprobe, which does not need ftrace: tried, as bpftrace does, with a warning.
    x.diags.warning(DiagCode::UnknownSymbol, ap.loc,
                    ap.func + " is not in tracefs's available_filter_functions: it may be "
                              "inlined or notrace, and attaching may fail");
    targets.push_back({ap.func, ""});
  } else {
    targets = match_kernel_functions(x, ap, list.functions, "traceable kernel function");
  }
  for (const KernelFunction &f : targets) {
    std::string name = provider + ":" + (f.module.empty() ? "" : f.module + ":") + f.name;
    if (ap.has_offset)
      name += "+" + std::to_string(ap.offset);
    ProbeProgram &p = x.add_program(probe, ap, std::move(name));
    p.kprobe.function = f.name;
    p.kprobe.module = f.module;
    p.kprobe.offset = ap.offset;
    p.kprobe.retprobe = ret;
  }
}

} // namespace scry
