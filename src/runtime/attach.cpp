#include "runtime/attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace scry {

namespace {

std::string errno_text(int err) {
  return std::strerror(err < 0 ? -err : err);
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
  case AttachMechanism::RunAtStart:
  case AttachMechanism::RunAtExit:
    return {}; // run_special_probe() runs them
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
}

} // namespace scry
