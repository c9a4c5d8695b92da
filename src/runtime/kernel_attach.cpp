#include "runtime/kernel_attach.h"

#include "runtime/kernel_features.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <glob.h>

namespace scry {

namespace {

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
}

/// Tracepoints that cover the ground of kernel functions often probed with kprobes, for
/// kernels without kprobes. Checked against tracefs before they are suggested.
struct Alternative {
  const char *function; // a prefix when it ends with '*'
  const char *tracepoints;
};
constexpr Alternative kAlternatives[] = {
    {"tcp_connect", "tracepoint:sock:inet_sock_set_state (args.newstate == TCP_SYN_SENT)"},
    {"tcp_v4_connect", "tracepoint:sock:inet_sock_set_state (args.newstate == TCP_SYN_SENT)"},
    {"tcp_v6_connect", "tracepoint:sock:inet_sock_set_state (args.newstate == TCP_SYN_SENT)"},
    {"inet_csk_accept", "tracepoint:sock:inet_sock_set_state (args.newstate == TCP_ESTABLISHED)"},
    {"tcp_set_state", "tracepoint:sock:inet_sock_set_state"},
    {"tcp_close", "tracepoint:sock:inet_sock_set_state (args.newstate == TCP_CLOSE)"},
    {"tcp_retransmit_skb", "tracepoint:tcp:tcp_retransmit_skb"},
    {"tcp_drop", "tracepoint:skb:kfree_skb"},
    {"kfree_skb*", "tracepoint:skb:kfree_skb"},
    {"tcp_rcv_established", "tracepoint:tcp:tcp_probe"},
    {"tcp_sendmsg", "tracepoint:syscalls:sys_enter_sendto, tracepoint:syscalls:sys_enter_write"},
    {"tcp_recvmsg", "tracepoint:syscalls:sys_exit_recvfrom, tracepoint:syscalls:sys_exit_read"},
    {"blk_account_io_done", "tracepoint:block:block_rq_complete"},
    {"blk_account_io_start", "tracepoint:block:block_io_start, tracepoint:block:block_rq_insert"},
    {"blk_mq_start_request", "tracepoint:block:block_rq_issue"},
    {"vfs_read", "tracepoint:syscalls:sys_enter_read, rawtracepoint:sys_enter"},
    {"vfs_write", "tracepoint:syscalls:sys_enter_write, rawtracepoint:sys_enter"},
    {"vfs_open", "tracepoint:syscalls:sys_enter_openat"},
    {"do_sys_open*", "tracepoint:syscalls:sys_enter_openat"},
    {"do_nanosleep", "tracepoint:syscalls:sys_enter_clock_nanosleep"},
    {"oom_kill_process", "tracepoint:oom:mark_victim"},
    {"finish_task_switch*", "tracepoint:sched:sched_switch"},
    {"try_to_wake_up", "tracepoint:sched:sched_wakeup"},
    {"wake_up_new_task", "tracepoint:sched:sched_wakeup_new"},
    {"do_exit", "tracepoint:sched:sched_process_exit"},
    {"__x64_sys_*", "tracepoint:syscalls:sys_enter_* of the same system call"},
    {"ksys_*", "tracepoint:syscalls:sys_enter_* of the same system call"},
};

bool prefix_match(const char *pattern, const std::string &name) {
  size_t n = std::strlen(pattern);
  if (n && pattern[n - 1] == '*')
    return name.compare(0, n - 1, pattern, n - 1) == 0;
  return name == pattern;
}

/// "tracepoint:CATEGORY:NAME" for each tracefs event named like the function, and the table's
/// suggestion; "" when there is none.
std::string alternatives(const std::string &function) {
  std::string out;
  if (!function.empty()) {
    glob_t g{};
    std::string pattern = "/sys/kernel/tracing/events/*/" + function;
    if (glob(pattern.c_str(), GLOB_ONLYDIR, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        size_t end = path.rfind('/'), begin = path.rfind('/', end - 1);
        out += (out.empty() ? "" : ", ") + std::string("tracepoint:") +
               path.substr(begin + 1, end - begin - 1) + ":" + function;
      }
    }
    globfree(&g);
  }
  for (const Alternative &a : kAlternatives)
    if (prefix_match(a.function, function) && out.find(a.tracepoints) == std::string::npos)
      out += (out.empty() ? "" : ", ") + std::string(a.tracepoints);
  return out;
}

std::string with_alternatives(std::string sentence, const std::string &function) {
  std::string alt = alternatives(function);
  if (!alt.empty())
    sentence += "; what covers the same ground here: " + alt;
  else
    sentence += "; use a tracepoint or rawtracepoint near it instead (scry -l 'tracepoint:*')";
  return sentence;
}

} // namespace

std::string missing_kernel_support(const ProbeProgram &probe) {
  switch (probe.type) {
  case ast::ProbeType::Kprobe:
  case ast::ProbeType::Kretprobe:
    if (kernel_has(KernelFeature::Kprobe))
      return {};
    return with_alternatives("this kernel has no kprobes (it was built without CONFIG_KPROBES)",
                             probe.kprobe.function);
  case ast::ProbeType::Fentry:
  case ast::ProbeType::Fexit:
    if (kernel_has(KernelFeature::Fentry))
      return {};
    return with_alternatives(
        "this kernel cannot attach fentry and fexit probes: it has no BPF trampolines "
        "(CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS and CONFIG_FUNCTION_TRACER), or refuses them" +
            std::string(kernel_has(KernelFeature::Kprobe)
                            ? "; kprobe:" + probe.kernel_function.name + " works here"
                            : ""),
        probe.kernel_function.name);
  default:
    return {};
  }
}

std::string attach_kprobe(const ProbeProgram &probe, bpf_program *prog, Attachment &out) {
  const KprobeSpec &k = probe.kprobe;
  std::string target = k.module.empty() ? k.function : k.module + ":" + k.function;
  LIBBPF_OPTS(bpf_kprobe_opts, opts, .offset = k.offset, .retprobe = k.retprobe);
  bpf_link *link =
      bpf_program__attach_kprobe_opts(prog, k.function.empty() ? nullptr : target.c_str(), &opts);
  if (!link) {
    int err = errno;
    std::string missing = missing_kernel_support(probe);
    if (!missing.empty())
      return probe.probe_name + ": cannot attach: " + missing;
    std::string why = errno_text(err);
    if (err == EILSEQ)
      why = "the offset is not at the start of an instruction";
    else if (err == ENOENT || err == EINVAL)
      why += " (is " + target + " a traceable function? see scry -l 'kprobe:" + k.function + "')";
    return probe.probe_name + ": cannot attach the " + (k.retprobe ? "kretprobe" : "kprobe") +
           ": " + why;
  }
  out.links.push_back(link);
  return {};
}

std::string attach_kprobe_group(const std::vector<ProbeProgram> &programs, const ProbeProgram &lead,
                                bpf_program *prog, bool multi, Attachment &out) {
  const std::vector<uint32_t> &group = lead.probe_group;
  if (multi) {
    std::vector<const char *> syms;
    std::vector<__u64> cookies;
    for (size_t k = 0; k < group.size(); ++k) {
      syms.push_back(programs[group[k]].kprobe.function.c_str());
      cookies.push_back(k);
    }
    LIBBPF_OPTS(bpf_kprobe_multi_opts, opts, .syms = syms.data(), .cookies = cookies.data(),
                .cnt = syms.size(), .retprobe = lead.kprobe.retprobe);
    bpf_link *link = bpf_program__attach_kprobe_multi_opts(prog, nullptr, &opts);
    if (!link) {
      int err = errno;
      std::string missing = missing_kernel_support(lead);
      return lead.probe_name + " and the " + std::to_string(group.size() - 1) +
             " other functions of its probe: cannot attach the kprobe_multi link: " +
             (missing.empty() ? errno_text(err) + (err == ESRCH || err == ENOENT || err == EINVAL
                                                       ? " (one of the functions is not traceable)"
                                                       : "")
                              : missing);
    }
    out.links.push_back(link);
    return {};
  }
  for (size_t k = 0; k < group.size(); ++k) {
    const ProbeProgram &member = programs[group[k]];
    LIBBPF_OPTS(bpf_kprobe_opts, opts, .bpf_cookie = k, .retprobe = member.kprobe.retprobe);
    bpf_link *link = bpf_program__attach_kprobe_opts(prog, member.kprobe.function.c_str(), &opts);
    if (!link) {
      int err = errno;
      std::string missing = missing_kernel_support(member);
      return member.probe_name +
             ": cannot attach: " + (missing.empty() ? errno_text(err) : missing);
    }
    out.links.push_back(link);
  }
  return {};
}

std::string attach_tracing(const ProbeProgram &probe, bpf_program *prog, Attachment &out) {
  bpf_link *link = bpf_program__attach_trace(prog);
  if (!link) {
    int err = errno;
    std::string missing = missing_kernel_support(probe);
    if (!missing.empty())
      return probe.probe_name + ": cannot attach: " + missing;
    return probe.probe_name + ": cannot attach: " + errno_text(err);
  }
  out.links.push_back(link);
  return {};
}

} // namespace scry
