#include "runtime/load_failure.h"

#include "runtime/kernel_attach.h"
#include "runtime/verifier_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unistd.h>

namespace scry {

namespace {

/// The range of the source line `stop` names: from its first to its last non-blank column.
SourceRange source_line_range(const VerifierStop &stop, const RunOptions &options) {
  std::string_view text = options.source ? options.source->line(stop.line) : "";
  if (text.empty())
    text = stop.text;
  size_t first = text.find_first_not_of(" \t");
  size_t last = text.find_last_not_of(" \t\r");
  if (first == std::string_view::npos)
    first = 0, last = 0;
  return {{stop.line, static_cast<int>(first) + 1}, {stop.line, static_cast<int>(last) + 2}};
}

/// The index of the program libbpf's log says failed to load, or -1.
int failed_program(const std::string &log, const Resources &res) {
  const std::string name = failed_program_name(log);
  for (size_t i = 0; i < res.programs.size() && !name.empty(); ++i)
    if (res.programs[i].function == name)
      return static_cast<int>(i);
  return -1;
}

/// What a helper's refused pointer argument means ("R1 type=scalar expected=ptr_, ...", the
/// verifier's check_reg_type), when the call it stopped at is bpf_skb_output's: skboutput()'s
/// packet must be a pointer the kernel handed the probe. "" for anything else.
std::string untrusted_argument_hint(const std::string &log, const std::string &reason) {
  if (reason.rfind("R1 type=", 0) != 0 || reason.find("expected=ptr_") == std::string::npos)
    return "";
  const size_t call = log.rfind("call bpf_");
  if (call == std::string::npos || log.compare(call, 19, "call bpf_skb_output") != 0)
    return "";
  return "skboutput()'s packet must be the struct sk_buff * the probe's arguments hold "
         "(args.skb): the kernel does not trust one read from memory (args.skb->next)";
}

/// What the verifier's "unknown func bpf_NAME#ID" means (the kernel does not give the helper to
/// this program type: kernel/trace/bpf_trace.c's *_func_proto), or "" for another reason.
std::string unknown_helper_hint(const std::string &reason) {
  // The verifier looks a typed __ksym's address up in kallsyms (kernel/bpf/verifier.c).
  constexpr std::string_view kNoAddress = "failed to find the address for kernel symbol '";
  if (size_t at = reason.find(kNoAddress); at != std::string::npos) {
    std::string name = reason.substr(at + kNoAddress.size());
    name = name.substr(0, name.find('\''));
    return "this kernel's /proc/kallsyms does not list variables (it was built without "
           "CONFIG_KALLSYMS_ALL), so the verifier cannot place " +
           name + ": percpu_kaddr() cannot run on it";
  }
  // "unknown func NAME#ID" (a kernel without the helper) or "program of this type cannot use
  // helper NAME#ID" (one the kernel withholds: from this program type, or in lockdown).
  size_t at = reason.find("unknown func ");
  size_t skip = 13;
  if (at == std::string::npos) {
    at = reason.find("cannot use helper ");
    skip = 18;
  }
  if (at == std::string::npos)
    return "";
  std::string name = reason.substr(at + skip);
  name = name.substr(0, name.find('#'));
  if (name == "bpf_probe_write_user") {
    // security/lockdown: LOCKDOWN_BPF_WRITE_USER is below the integrity level
    // (include/linux/security.h), and kernel/trace/bpf_trace.c withholds the helper then.
    std::string mode;
    if (FILE *f = std::fopen("/sys/kernel/security/lockdown", "r")) {
      char line[128] = {};
      if (std::fgets(line, sizeof line, f)) {
        std::string l = line;
        const size_t open = l.find('['), close = l.find(']');
        if (open != std::string::npos && close != std::string::npos && close > open)
          mode = l.substr(open + 1, close - open - 1);
      }
      std::fclose(f);
    }
    return "the kernel withholds bpf_probe_write_user, which write_user() calls, when it is "
           "locked down" +
           (mode.empty() ? std::string(" (see /sys/kernel/security/lockdown)")
                         : " (this one is: lockdown=" + mode + ")") +
           ": write_user() cannot run on this machine";
  }
  if (name == "bpf_override_return")
    return "override() needs a kernel built with CONFIG_BPF_KPROBE_OVERRIDE (and "
           "CONFIG_FUNCTION_ERROR_INJECTION), which this one is not";
  return "this kernel does not give " + name +
         " to this probe type: a newer kernel, or another probe type, has it";
}

} // namespace

std::string name_probes(std::string log, const Resources &res) {
  for (size_t i = res.programs.size(); i-- > 0;) {
    const std::string from = "'" + res.programs[i].function + "'";
    const std::string to = "'" + res.programs[i].probe_name + "'";
    for (size_t at = log.find(from); at != std::string::npos; at = log.find(from, at + to.size()))
      log.replace(at, from.size(), to);
  }
  return log;
}

void report_kernel_error(const RunOptions &options, DiagCode code, const SourceRange &range,
                         std::string message, std::string hint) {
  if (options.report) {
    options.report({Severity::Error, code, range, std::move(message), std::move(hint)});
    return;
  }
  std::fprintf(stderr, "scry: %s\n", message.c_str());
  if (!hint.empty())
    std::fprintf(stderr, "HINT: %s\n", hint.c_str());
}

void report_load_failure(int err, std::string libbpf_log, const Resources &res,
                         const RunOptions &options) {
  if (err == EPERM && geteuid() != 0 && !options.verbose) {
    // Without privileges libbpf's log is noise about CONFIG_BPF_SYSCALL and RLIMIT_MEMLOCK;
    // the one thing to say is what is missing.
    report_kernel_error(
        options, DiagCode::NeedsRoot, kNoLocation,
        "loading BPF programs needs root (CAP_BPF and CAP_PERFMON): run scry as root");
    return;
  }
  libbpf_log += verifier_log_text();
  std::string log = name_probes(libbpf_log, res);
  // fentry and fexit programs do not even load where BPF trampolines are missing: that is
  // the whole story, and libbpf's log (its guess is RLIMIT_MEMLOCK) is shown only with -v.
  // (Kprobe programs load without kprobes and fail only to attach: their refusal here is the
  // verifier's, said below.)
  const ProbeProgram *unsupported = nullptr;
  std::string missing;
  for (const ProbeProgram &p : res.programs) {
    if (p.type != ast::ProbeType::Fentry && p.type != ast::ProbeType::Fexit)
      continue;
    missing = missing_kernel_support(p);
    if (!missing.empty()) {
      unsupported = &p;
      break;
    }
  }
  if (options.verbose || (!options.json && !unsupported))
    std::fprintf(stderr, "scry: the kernel refused to load the program: %s\n", std::strerror(err));
  if (options.verbose)
    std::fputs(log.c_str(), stderr);
  else if (!options.json && !unsupported)
    std::fputs(tail(log, 25).c_str(), stderr);
  if (unsupported) {
    report_kernel_error(options, DiagCode::LoadRefused, unsupported->loc,
                        unsupported->probe_name + ": " + missing);
    return;
  }
  const std::string hint =
      options.verbose ? std::string() : "run with -v for the verifier's whole log";
  VerifierStop stop = verifier_stop(libbpf_log);
  // A line of an imported C file (a .bpf.c or .bpf.o function): said, at the failing probe.
  if (stop.line > 0 && options.source && !stop.file.empty() &&
      stop.file != options.source->name()) {
    const int failed = failed_program(libbpf_log, res);
    report_kernel_error(options, DiagCode::VerifierRejected,
                        failed >= 0 ? res.programs[static_cast<size_t>(failed)].loc : kNoLocation,
                        "the kernel's verifier refused the program in " + stop.file + ":" +
                            std::to_string(stop.line) + " (" + stop.text + "): " + stop.reason,
                        "the imported C function must satisfy the verifier on its own: a "
                        "global function's pointer arguments may be NULL and point to memory "
                        "of their type's size (run with -v for the verifier's whole log)");
    return;
  }
  if (stop.line > 0) {
    std::string helper = unknown_helper_hint(stop.reason);
    if (helper.empty())
      helper = untrusted_argument_hint(libbpf_log, stop.reason);
    report_kernel_error(
        options, DiagCode::VerifierRejected, source_line_range(stop, options),
        "the kernel's verifier refused the program here: " + stop.reason,
        !helper.empty() ? helper
        : at_complexity_limit(stop.reason)
            ? "the verifier walks every path through a probe, every iteration of its loops, "
              "and gives up after a million instructions: use fewer branches (if, ?:) "
              "inside loops, fewer iterations, or split the probe" +
                  (hint.empty() ? "" : " (" + hint + ")")
            : hint);
    return;
  }
  // A map the kernel cannot create ("map 'NAME': failed to create", libbpf.c) is the map's
  // fault, not a program's: it is reported at the map's first assignment.
  for (const MapInfo &m : res.maps) {
    if (libbpf_log.find("map '" + m.bpf_name + "': failed to create") == std::string::npos)
      continue;
    report_kernel_error(options, DiagCode::LoadRefused, m.loc,
                        "the kernel cannot create map " + m.name + " (" +
                            std::to_string(m.max_entries) + " entries of " +
                            std::to_string(m.bpf_key_size + m.bpf_value_size) +
                            " bytes): " + std::strerror(err),
                        "lower max_map_keys or max_strlen: config = { max_map_keys = N }");
    return;
  }
  int failed = failed_program(libbpf_log, res);
  const SourceRange where = failed >= 0 ? res.programs[failed].loc : kNoLocation;
  if (stop.reason.find("cannot be patched due to 16-bit range") != std::string::npos)
    // The verifier inlines helpers and map lookups after the fact; in a program near the
    // 32767-instruction reach of a BPF jump, a jump over the grown code no longer fits.
    report_kernel_error(options, DiagCode::ProbeTooLarge, where,
                        "this probe is too large for the kernel: " + stop.reason +
                            " (a BPF jump reaches at most 32767 instructions)",
                        "split the probe into several probes on the same event");
  else if (!stop.reason.empty())
    report_kernel_error(
        options, DiagCode::VerifierRejected, where,
        "the kernel's verifier refused the program of this probe: " + stop.reason,
        unknown_helper_hint(stop.reason).empty() ? hint : unknown_helper_hint(stop.reason));
  else if (err == EPERM)
    report_kernel_error(options, DiagCode::NeedsRoot, where,
                        "the kernel refused to load the program: " +
                            std::string(std::strerror(err)),
                        "loading BPF programs needs root (CAP_BPF and CAP_PERFMON)");
  else
    report_kernel_error(
        options, DiagCode::LoadRefused, where,
        "the kernel refused to load the program: " + std::string(std::strerror(err)), hint);
}

} // namespace scry
