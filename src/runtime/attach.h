// Attaching BPF programs to their events, one case per attach mechanism (ProbeProgram::attach).
// Every attachment is a libbpf link (or a perf event file descriptor owned by one), so closing the
// links - or the process dying - detaches everything: nothing is written to tracefs.
#pragma once

#include "sema/resources.h"

#include <string>
#include <sys/types.h>
#include <vector>

struct bpf_link;
struct bpf_object;
struct bpf_program;

namespace scry {

/// The links of one attached program. Destroying them detaches it.
struct Attachment {
  std::vector<bpf_link *> links;
  std::vector<int> link_fds; // BPF links libbpf 1.1 cannot create (uprobe_multi)
};

/// linux/bpf.h's BPF_TRACE_UPROBE_MULTI (kernel 6.6), which Debian's libbpf 1.1 headers lack: the
/// expected attach type of a program attached with a uprobe_multi link.
inline constexpr int kAttachUprobeMulti = 48;

/// Whether this kernel has uprobe_multi links (6.6+, CONFIG_UPROBES):
/// kernel_has(KernelFeature::UprobeMulti), runtime/kernel_features.h. Checked once per run.
bool kernel_has_uprobe_multi();

/// Attaches `prog` for `probe` by its attach mechanism (a perf event, a tracepoint, a raw
/// tracepoint, a uprobe). Uprobes fire only in `process` (-p or -c) when it is > 0, else in
/// every process that runs the binary. Returns an empty string on success, else one line for the
/// user naming the probe, the kernel's reason and what to do (e.g. "hardware:cycles: this machine
/// has no hardware performance counters"). begin, end, self, test and bench programs are not
/// attached: run_special_probe() and runtime/test_runs.h run them. An iterator's link is created
/// here and read by runtime/iterators.h; a watchpoint is a hardware breakpoint in `process`, or
/// on every CPU for a kernel address when there is none.
std::string attach_probe(const ProbeProgram &probe, bpf_program *prog, pid_t process,
                         Attachment &out);

/// Runs a begin, end or self program once, now, with BPF_PROG_TEST_RUN (a raw tracepoint
/// program).
std::string run_special_probe(const ProbeProgram &probe, bpf_program *prog);

/// Attaches the shared program `prog` of a uprobe group (ProbeProgram::probe_group, `lead` its
/// first member) at every member's offset, member k with cookie k: one uprobe_multi link when
/// `multi` (the program was loaded as kAttachUprobeMulti), else one uprobe per offset. Functions
/// the kernel cannot place a uprobe on (ENOTSUPP) are left out of a uprobe_multi link, found by
/// trying halves of the group, and named in `warning`. Returns "" or the reason the group could
/// not be attached at all, naming the member that failed.
std::string attach_uprobe_group(const std::vector<ProbeProgram> &programs, const ProbeProgram &lead,
                                bpf_program *prog, pid_t process, bool multi, Attachment &out,
                                std::string &warning);

/// How program `index` of `programs` attaches, for -v: " (uprobe at offset 4660 of /bin/x; its
/// program serves 3 functions through one uprobe_multi link)", or "" when there is nothing more
/// to say than its id. `uprobe_multi` and `kprobe_multi`: whether groups use multi links.
std::string describe_attachment(const std::vector<ProbeProgram> &programs, size_t index,
                                bool uprobe_multi, bool kprobe_multi);

/// Writes each uprobe or kprobe group's names map in the loaded object `obj`: member k's probe
/// name and function at cookie k. Returns "" or what failed.
std::string fill_group_names(bpf_object *obj, const std::vector<ProbeProgram> &programs);

/// Detaches everything in `a`.
void detach(Attachment &a);

} // namespace scry
