// Attaching kernel probes: kprobe and kretprobe (one function, or a group on one kprobe_multi
// link), and BPF-typed tracing programs (fentry, fexit, tp_btf). On a kernel that lacks what a
// probe needs, the error names the missing kernel support (runtime/kernel_features.h says
// which) and what covers the same ground on it: the tracepoints closest to the function.
#pragma once

#include "runtime/attach.h"
#include "sema/resources.h"

#include <string>
#include <vector>

struct bpf_program;

namespace scry {

/// Attaches a Kprobe program (ProbeProgram::kprobe): FUNCTION[+OFFSET], MODULE:FUNCTION or an
/// address, through the kernel's kprobe PMU. Returns "" or one line for the user.
std::string attach_kprobe(const ProbeProgram &probe, bpf_program *prog, Attachment &out);

/// Attaches the shared program of a kprobe group (`lead`'s ProbeProgram::probe_group), member k
/// with cookie k: one kprobe_multi link when `multi` (the program was loaded with the attach
/// type BPF_TRACE_KPROBE_MULTI), else one kprobe each. Returns "" or one line for the user.
std::string attach_kprobe_group(const std::vector<ProbeProgram> &programs, const ProbeProgram &lead,
                                bpf_program *prog, bool multi, Attachment &out);

/// Attaches an fentry, fexit or tp_btf program, loaded for its target, with a tracing link.
std::string attach_tracing(const ProbeProgram &probe, bpf_program *prog, Attachment &out);

/// Why a kernel probe's program could not be loaded or attached, when the reason is kernel
/// support (no kprobes, no BPF trampolines): one sentence naming it and what to use instead,
/// or "" when the kernel has what the probe needs.
std::string missing_kernel_support(const ProbeProgram &probe);

} // namespace scry
