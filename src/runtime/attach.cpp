#include "runtime/attach.h"

#include "runtime/kernel_attach.h"
#include "runtime/kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace scry {

namespace {

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
}

/// BPF_LINK_CREATE's attributes for a uprobe_multi link (include/uapi/linux/bpf.h, union
/// bpf_attr, link_create with its uprobe_multi member, kernel 6.6), which libbpf 1.1's copy of
/// the header does not have.
struct UprobeMultiLinkAttr {
  uint32_t prog_fd;
  uint32_t target_fd;
  uint32_t attach_type;
  uint32_t flags;
  uint64_t path;            // const char *
  uint64_t offsets;         // const u64 *: file offsets
  uint64_t ref_ctr_offsets; // const u64 *: USDT semaphores, none here
  uint64_t cookies;         // const u64 *
  uint32_t cnt;
  uint32_t multi_flags; // BPF_F_UPROBE_MULTI_RETURN (1) for return probes
  uint32_t pid;         // only this process, or 0
  uint32_t padding;
};
constexpr uint32_t kUprobeMultiReturn = 1;

/// Creates a uprobe_multi link; returns its fd, or -1 with errno set.
int create_uprobe_multi_link(int prog_fd, const char *path, const std::vector<uint64_t> &offsets,
                             const std::vector<uint64_t> &cookies, bool retprobe, pid_t pid) {
  UprobeMultiLinkAttr attr{};
  attr.prog_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = kAttachUprobeMulti;
  attr.path = reinterpret_cast<uint64_t>(path);
  attr.offsets = reinterpret_cast<uint64_t>(offsets.data());
  attr.cookies = reinterpret_cast<uint64_t>(cookies.data());
  attr.cnt = static_cast<uint32_t>(offsets.size());
  attr.multi_flags = retprobe ? kUprobeMultiReturn : 0;
  attr.pid = pid > 0 ? static_cast<uint32_t>(pid) : 0;
  return static_cast<int>(syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr)));
}

int perf_event_open(perf_event_attr *attr, int cpu) {
  return static_cast<int>(syscall(SYS_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

std::vector<int> online_cpus() {
  std::vector<int> cpus;
  long n = sysconf(_SC_NPROCESSORS_CONF);
  // /sys/devices/system/cpu/online is the truth; CPUs that are offline fail perf_event_open
  // with ENODEV and are skipped below.
  for (int i = 0; i < n; ++i)
    cpus.push_back(i);
  return cpus;
}

/// Opens the perf event `attr` on `cpus` and attaches `prog` to each.
std::string attach_perf(const ProbeProgram &probe, bpf_program *prog, perf_event_attr attr,
                        const std::vector<int> &cpus, Attachment &out) {
  size_t opened = 0;
  for (int cpu : cpus) {
    int fd = perf_event_open(&attr, cpu);
    if (fd < 0) {
      int err = errno;
      if (err == ENODEV && opened + 1 < cpus.size())
        continue; // an offline CPU
      if (attr.type == PERF_TYPE_HARDWARE && (err == ENOENT || err == EOPNOTSUPP || err == ENODEV))
        return probe.probe_name +
               ": this machine has no hardware performance counters (perf_event_open: " +
               errno_text(err) + "); use software:cpu-clock or profile:hz:N instead";
      return probe.probe_name + ": perf_event_open failed: " + errno_text(err);
    }
    bpf_link *link = bpf_program__attach_perf_event(prog, fd);
    if (!link) {
      int err = errno;
      close(fd);
      return probe.probe_name +
             ": cannot attach the BPF program to its perf event: " + errno_text(err);
    }
    out.links.push_back(link);
    ++opened;
  }
  return {};
}

/// Attaches `prog` to a hardware breakpoint: on `process`'s threads (-p, -c) at a user address,
/// else on every CPU at a kernel address.
std::string attach_watchpoint(const ProbeProgram &probe, bpf_program *prog, pid_t process,
                              Attachment &out) {
  perf_event_attr attr{};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_BREAKPOINT;
  attr.bp_addr = probe.watchpoint.address;
  attr.bp_len = probe.watchpoint.length;
  attr.bp_type = probe.watchpoint.type;
  attr.sample_period = 1; // every access
  attr.exclude_kernel = process > 0;
  std::vector<int> cpus = process > 0 ? std::vector<int>{-1} : online_cpus();
  // A breakpoint the kernel accepts but that never fires would count nothing: refused.
  if (!kernel_has(KernelFeature::HardwareBreakpoint))
    return probe.probe_name +
           ": hardware breakpoints do not fire on this machine (a VM whose hypervisor does not "
           "pass the debug registers through, or a kernel without CONFIG_HAVE_HW_BREAKPOINT): "
           "the watchpoint would see nothing";
  for (int cpu : cpus) {
    int fd = static_cast<int>(syscall(SYS_perf_event_open, &attr, process > 0 ? process : -1, cpu,
                                      -1, PERF_FLAG_FD_CLOEXEC));
    if (fd < 0) {
      int err = errno;
      if (err == ENODEV && cpu >= 0 && static_cast<size_t>(cpu) + 1 < cpus.size())
        continue; // an offline CPU
      std::string why = errno_text(err);
      if (err == ENOSPC)
        why = "no hardware breakpoint register is free (x86 has 4 per thread)";
      else if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV ||
               !kernel_has(KernelFeature::HardwareBreakpoint))
        why = "this kernel has no hardware breakpoints (CONFIG_HAVE_HW_BREAKPOINT), or this "
              "machine (a VM) exposes no debug registers (perf_event_open: " +
              errno_text(err) + ")";
      else if (err == ESRCH)
        why = "process " + std::to_string(process) + " does not exist";
      else if (err == EINVAL)
        why += " (the address, length or mode is not one the CPU can watch)";
      return probe.probe_name + ": cannot open the hardware breakpoint: " + why;
    }
    bpf_link *link = bpf_program__attach_perf_event(prog, fd);
    if (!link) {
      int err = errno;
      close(fd);
      return probe.probe_name +
             ": cannot attach the BPF program to its hardware breakpoint: " + errno_text(err);
    }
    out.links.push_back(link);
  }
  return {};
}

} // namespace

std::string attach_probe(const ProbeProgram &probe, bpf_program *prog, pid_t process,
                         Attachment &out) {
  switch (probe.attach) {
  case AttachMechanism::Uprobe: {
    const UprobeSpec &u = probe.uprobe;
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = u.retprobe);
    bpf_link *link = bpf_program__attach_uprobe_opts(prog, process > 0 ? process : -1,
                                                     u.path.c_str(), u.offset, &opts);
    if (!link) {
      int err = errno;
      std::string why = errno_text(err);
      if (err == ENOENT || err == EINVAL)
        why += " (the kernel needs CONFIG_UPROBE_EVENTS, and the offset must be in the file)";
      if (err == ESRCH)
        why = "process " + std::to_string(process) + " does not exist";
      return probe.probe_name + ": cannot attach the uprobe at offset " + std::to_string(u.offset) +
             " of " + u.path + ": " + why;
    }
    out.links.push_back(link);
    return {};
  }
  case AttachMechanism::Usdt: {
    const UsdtSpec &u = probe.usdt;
    bpf_link *link = bpf_program__attach_usdt(prog, process > 0 ? process : -1, u.path.c_str(),
                                              u.provider.c_str(), u.name.c_str(), nullptr);
    if (!link)
      return probe.probe_name + ": cannot attach the USDT probe " + u.provider + ":" + u.name +
             " of " + u.path + ": " + errno_text(errno);
    out.links.push_back(link);
    return {};
  }
  case AttachMechanism::Kprobe:
    return attach_kprobe(probe, prog, out);
  case AttachMechanism::Tracing:
    return attach_tracing(probe, prog, out);
  case AttachMechanism::Tracepoint: {
    bpf_link *link =
        bpf_program__attach_tracepoint(prog, probe.category.c_str(), probe.event.c_str());
    if (!link)
      return probe.probe_name + ": cannot attach: " + errno_text(errno);
    out.links.push_back(link);
    return {};
  }
  case AttachMechanism::RawTracepoint: {
    bpf_link *link = bpf_program__attach_raw_tracepoint(prog, probe.raw_tracepoint.c_str());
    if (!link)
      return probe.probe_name + ": cannot attach to the raw tracepoint " + probe.raw_tracepoint +
             ": " + errno_text(errno);
    out.links.push_back(link);
    return {};
  }
  case AttachMechanism::PerfEvent: {
    const PerfEventSpec &spec = probe.perf_event;
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = spec.type;
    attr.config = spec.config;
    if (spec.frequency) {
      attr.freq = 1;
      attr.sample_freq = spec.frequency;
    } else {
      attr.sample_period = spec.period;
    }
    return attach_perf(probe, prog, attr, spec.every_cpu ? online_cpus() : std::vector<int>{0},
                       out);
  }
  case AttachMechanism::Iterator: {
    bpf_link *link = bpf_program__attach_iter(prog, nullptr);
    if (!link)
      return probe.probe_name + ": cannot create the iterator: " + errno_text(errno) +
             (kernel_has(KernelFeature::Iter) ? "" : " (this kernel has no BPF iterators)");
    out.links.push_back(link);
    return {}; // read or pinned by runtime/iterators.h
  }
  case AttachMechanism::Watchpoint:
    return attach_watchpoint(probe, prog, process, out);
  case AttachMechanism::RunAtStart:
  case AttachMechanism::RunAtExit:
  case AttachMechanism::RunOnSignal:
  case AttachMechanism::RunAsTest:
  case AttachMechanism::RunAsBench:
    return {}; // run with run_special_probe()
  case AttachMechanism::None:
    break; // refused by semantic analysis
  }
  return probe.probe_name + ": probes of this type cannot be attached by scry yet";
}

std::string run_special_probe(const ProbeProgram &probe, bpf_program *prog) {
  // A raw tracepoint program runs with BPF_PROG_TEST_RUN on this CPU; its context is an array
  // of u64 arguments, unused by begin/end (kernel 5.10+: bpf_prog_test_run_raw_tp).
  uint64_t args[1] = {0};
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args, .ctx_size_in = sizeof(args));
  if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0)
    return probe.probe_name + ": cannot run: " + errno_text(errno);
  return {};
}

void detach(Attachment &a) {
  for (bpf_link *link : a.links)
    bpf_link__destroy(link);
  a.links.clear();
  for (int fd : a.link_fds)
    close(fd);
  a.link_fds.clear();
}

bool kernel_has_uprobe_multi() {
  return kernel_has(KernelFeature::UprobeMulti);
}

std::string attach_uprobe_group(const std::vector<ProbeProgram> &programs, const ProbeProgram &lead,
                                bpf_program *prog, pid_t process, bool multi, Attachment &out,
                                std::string &warning) {
  const std::vector<uint32_t> &group = lead.probe_group;
  if (multi) {
    // One link for the whole group; when the kernel refuses it, because it cannot place a
    // uprobe on one of the functions (ENOTSUPP for an instruction it cannot single-step), the
    // halves are tried, down to the functions it refuses, which are left out with a warning.
    std::vector<uint64_t> offsets, cookies;
    for (size_t k = 0; k < group.size(); ++k) {
      offsets.push_back(programs[group[k]].uprobe.offset);
      cookies.push_back(k);
    }
    std::vector<size_t> refused;
    int refused_errno = 0, fatal_errno = 0;
    auto attach_range = [&](auto &self, size_t lo, size_t hi) -> void {
      std::vector<uint64_t> o(offsets.begin() + lo, offsets.begin() + hi);
      std::vector<uint64_t> c(cookies.begin() + lo, cookies.begin() + hi);
      int fd = create_uprobe_multi_link(bpf_program__fd(prog), lead.uprobe.path.c_str(), o, c,
                                        lead.uprobe.retprobe, process);
      if (fd >= 0) {
        out.link_fds.push_back(fd);
        return;
      }
      int err = errno;
      if (err == ESRCH || err == ENOENT || err == EPERM || err == EBADF || err == ENOMEM) {
        fatal_errno = err; // not about one function: splitting cannot help
        return;
      }
      if (hi - lo == 1) {
        refused.push_back(lo);
        refused_errno = err;
        return;
      }
      size_t mid = lo + (hi - lo) / 2;
      self(self, lo, mid);
      if (!fatal_errno)
        self(self, mid, hi);
    };
    attach_range(attach_range, 0, offsets.size());
    if (fatal_errno || refused.size() == offsets.size()) {
      int err = fatal_errno ? fatal_errno : refused_errno;
      return lead.probe_name + " and the " + std::to_string(group.size() - 1) +
             " other functions of its probe in " + lead.uprobe.path +
             ": cannot attach the uprobe_multi link: " +
             (err == ESRCH ? "process " + std::to_string(process) + " does not exist"
                           : errno_text(err));
    }
    if (!refused.empty()) {
      warning = std::to_string(refused.size()) + " of the " + std::to_string(group.size()) +
                " functions of " + lead.uprobe.path + " that the probe at " + lead.probe_name +
                " matches cannot be probed (" +
                (refused_errno == 524 ? std::string("the kernel cannot place a uprobe there")
                                      : errno_text(refused_errno)) +
                ") and are left out:";
      for (size_t i = 0; i < refused.size() && i < 10; ++i)
        warning += " " + programs[group[refused[i]]].uprobe.function;
      if (refused.size() > 10)
        warning += " ...";
    }
    return {};
  }
  for (size_t k = 0; k < group.size(); ++k) {
    const ProbeProgram &member = programs[group[k]];
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = k, .retprobe = member.uprobe.retprobe);
    bpf_link *link = bpf_program__attach_uprobe_opts(
        prog, process > 0 ? process : -1, member.uprobe.path.c_str(), member.uprobe.offset, &opts);
    if (!link)
      return member.probe_name + ": cannot attach the uprobe at offset " +
             std::to_string(member.uprobe.offset) + " of " + member.uprobe.path + ": " +
             errno_text(errno);
    out.links.push_back(link);
  }
  return {};
}

std::string describe_attachment(const std::vector<ProbeProgram> &programs, size_t index,
                                bool uprobe_multi, bool kprobe_multi) {
  const ProbeProgram &p = programs[index];
  std::string how;
  switch (p.attach) {
  case AttachMechanism::Tracepoint:
    how = " (tracepoint)";
    break;
  case AttachMechanism::RawTracepoint:
    how = " (raw tracepoint " + p.raw_tracepoint +
          (p.syscall_nr >= 0 ? ", system call " + std::to_string(p.syscall_nr) : std::string()) +
          (p.tail_called ? ", through dispatch_" + p.raw_tracepoint : std::string()) + ")";
    break;
  case AttachMechanism::Uprobe:
    how = " (" + std::string(p.uprobe.retprobe ? "uretprobe" : "uprobe") + " at offset " +
          std::to_string(p.uprobe.offset) + " of " + p.uprobe.path;
    if (!p.probe_group.empty())
      how += "; its program serves " + std::to_string(p.probe_group.size()) +
             " functions through " + (uprobe_multi ? "one uprobe_multi link" : "one uprobe each");
    else if (p.shares_program_of >= 0)
      how += "; shares the program of " +
             programs[static_cast<size_t>(p.shares_program_of)].probe_name;
    how += ")";
    break;
  case AttachMechanism::Usdt:
    how = " (usdt " + p.usdt.provider + ":" + p.usdt.name + " of " + p.usdt.path + ")";
    break;
  case AttachMechanism::Kprobe:
    how =
        " (" + std::string(p.kprobe.retprobe ? "kretprobe" : "kprobe") +
        (p.probe_group.empty() ? std::string()
                               : "; its program serves " + std::to_string(p.probe_group.size()) +
                                     " functions through " +
                                     (kprobe_multi ? "one kprobe_multi link" : "one kprobe each")) +
        ")";
    break;
  case AttachMechanism::Tracing:
    how = " (" + p.section + ")";
    break;
  case AttachMechanism::Iterator:
    how = " (iterator " + p.iterator +
          (p.iterator_pin.empty() ? "" : ", pinned at " + p.iterator_pin) + ")";
    break;
  case AttachMechanism::None:
  case AttachMechanism::RunAtStart:
  case AttachMechanism::RunAtExit:
  case AttachMechanism::RunOnSignal:
  case AttachMechanism::RunAsTest:
  case AttachMechanism::RunAsBench:
  case AttachMechanism::PerfEvent:
  case AttachMechanism::Watchpoint:
    break;
  }
  return how;
}

std::string fill_group_names(bpf_object *obj, const std::vector<ProbeProgram> &programs) {
  for (const ProbeProgram &p : programs) {
    if (p.probe_group.empty())
      continue;
    int fd = bpf_object__find_map_fd_by_name(obj, p.group_names.c_str());
    for (uint32_t k = 0; k < p.probe_group.size(); ++k) {
      const ProbeProgram &member = programs[p.probe_group[k]];
      std::string value(p.group_probe_bytes + p.group_func_bytes, '\0');
      // Each name NUL-terminated within its room (sema sized the rooms for the longest).
      member.probe_name.copy(value.data(), p.group_probe_bytes - 1);
      member.traced_function().copy(value.data() + p.group_probe_bytes, p.group_func_bytes - 1);
      if (fd < 0 || bpf_map_update_elem(fd, &k, value.data(), BPF_ANY) != 0)
        return "cannot write " + p.group_names + ": " + std::strerror(errno);
    }
  }
  return {};
}

} // namespace scry
