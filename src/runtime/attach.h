// Attaching BPF programs to their events, one case per attach mechanism (ProbeProgram::attach).
// Every attachment is a libbpf link (or a perf event file descriptor owned by one), so closing the
// links - or the process dying - detaches everything: nothing is written to tracefs.
#pragma once

#include "sema/resources.h"

#include <string>
#include <sys/types.h>
#include <vector>

struct bpf_link;
struct bpf_program;

namespace scry {

/// The links of one attached program. Destroying them detaches it.
struct Attachment {
  std::vector<bpf_link *> links;
};

/// Attaches `prog` for `probe` by its attach mechanism (a perf event, a tracepoint, a raw
/// tracepoint, a uprobe). Uprobes fire only in `process` (-p or -c) when it is > 0, else in
/// every process that runs the binary. Returns an empty string on success, else one line for the
/// user naming the probe, the kernel's reason and what to do (e.g. "hardware:cycles: this machine
/// has no hardware performance counters"). begin/end programs are not attached: run_special_probe()
/// runs them.
std::string attach_probe(const ProbeProgram &probe, bpf_program *prog, pid_t process,
                         Attachment &out);

/// Runs a begin or end program once, now, with BPF_PROG_TEST_RUN (a raw tracepoint program).
std::string run_special_probe(const ProbeProgram &probe, bpf_program *prog);

/// Detaches everything in `a`.
void detach(Attachment &a);

} // namespace scry
