#include "runtime/attach.h"

#include "parser/attach_point.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace scry {

namespace {

using ast::ProbeType;

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

struct PerfEvent {
  const char *name;
  uint32_t type;
  uint64_t config;
  uint64_t default_period; // events between samples when the probe names no count
};

// linux/perf_event.h: perf_sw_ids and perf_hw_id. Default counts as bpftrace's.
constexpr PerfEvent kPerfEvents[] = {
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, 1000000},
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 1000000},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 100},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 1000},
    {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS, 1},
    {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN, 100},
    {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1},
    {"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS, 1},
    {"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS, 1},
    {"dummy", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_DUMMY, 1},
    {"bpf-output", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, 1},
    {"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 1000000},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 1000000},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, 1000000},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 1000000},
    {"branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 100000},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, 100000},
    {"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES, 100000},
    {"frontend-stalls", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1000000},
    {"backend-stalls", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, 1000000},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, 1000000},
};

uint64_t period_ns(const ast::AttachPoint &ap) {
  if (ap.unit == "s")
    return ap.freq * 1000000000ULL;
  if (ap.unit == "ms")
    return ap.freq * 1000000ULL;
  if (ap.unit == "us")
    return ap.freq * 1000ULL;
  return ap.freq; // ns
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

std::string attach_probe(const ProbeProgram &probe, bpf_program *prog, Attachment &out) {
  const ast::AttachPoint &ap = *probe.attach_point;
  switch (probe.type) {
  case ProbeType::Tracepoint: {
    // probe_name is "tracepoint:category:event" with any wildcard already expanded.
    std::string rest = probe.probe_name.substr(std::strlen("tracepoint:"));
    size_t colon = rest.find(':');
    std::string category = rest.substr(0, colon), event = rest.substr(colon + 1);
    bpf_link *link;
    if (probe.tracepoint_attach == TracepointAttach::Raw) {
      link = bpf_program__attach_raw_tracepoint(prog, probe.raw_tracepoint.c_str());
      if (!link)
        return probe.probe_name + ": cannot attach to the raw tracepoint " + probe.raw_tracepoint +
               ": " + errno_text(errno);
    } else {
      link = bpf_program__attach_tracepoint(prog, category.c_str(), event.c_str());
      if (!link)
        return probe.probe_name + ": cannot attach: " + errno_text(errno);
    }
    out.links.push_back(link);
    return {};
  }
  case ProbeType::Interval:
  case ProbeType::Profile: {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    if (ap.unit == "hz") {
      attr.freq = 1;
      attr.sample_freq = ap.freq;
    } else {
      attr.sample_period = period_ns(ap);
    }
    // interval fires on one CPU; profile on every CPU.
    std::vector<int> cpus = probe.type == ProbeType::Interval ? std::vector<int>{0} : online_cpus();
    return attach_perf(probe, prog, attr, cpus, out);
  }
  case ProbeType::Software:
  case ProbeType::Hardware: {
    for (const PerfEvent &e : kPerfEvents) {
      if (ap.target != e.name)
        continue;
      perf_event_attr attr{};
      attr.size = sizeof(attr);
      attr.type = e.type;
      attr.config = e.config;
      attr.sample_period = ap.freq ? ap.freq : e.default_period;
      return attach_perf(probe, prog, attr, online_cpus(), out);
    }
    return probe.probe_name + ": unknown perf event";
  }
  case ProbeType::Begin:
  case ProbeType::End:
    return {};
  case ProbeType::Kprobe:
  case ProbeType::Kretprobe:
  case ProbeType::Fentry:
  case ProbeType::Fexit:
  case ProbeType::Uprobe:
  case ProbeType::Uretprobe:
  case ProbeType::Usdt:
  case ProbeType::RawTracepoint:
  case ProbeType::Watchpoint:
  case ProbeType::Iter:
  case ProbeType::Self:
  case ProbeType::Test:
  case ProbeType::Bench:
  case ProbeType::Invalid:
    return probe.probe_name + ": " + probe_type_name(probe.type) +
           " probes cannot be attached by scry yet";
  }
  return probe.probe_name + ": cannot attach";
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
