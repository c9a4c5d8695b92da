// How tracepoint probes attach: through a classic tracepoint (a perf event whose program reads
// the event's record) or through a raw tracepoint (a program called with the tracepoint's C
// arguments). Raw tracepoints cost less per event (no record is built: ~71 ns against ~112 ns for
// an empty program on raw_syscalls:sys_enter here) and detach in microseconds instead of an RCU
// grace period (~70 ms per classic tracepoint).
//
// A probe attaches through a raw tracepoint when the kernel has one for its event and scry can
// give it the same `args` as the record would:
//  - syscalls:sys_enter_NAME and sys_exit_NAME are not tracepoints of their own: the kernel emits
//    them from raw_syscalls' sys_enter / sys_exit (kernel/trace/trace_syscalls.c). Their raw
//    program runs on raw_syscalls' raw tracepoint and returns early unless the system call
//    number is NAME's. Arguments come from the saved user registers, as the kernel's own
//    syscall_get_arguments() takes them.
//  - raw_syscalls:sys_enter and sys_exit: the same, for every system call.
//  - any other tracepoint only when the probe reads no field of `args` (the record's fields are
//    computed by the event's TP_fast_assign, which a raw program does not run), and vmlinux BTF
//    names its raw tracepoint (a btf_trace_NAME typedef).
// Everything else stays a classic tracepoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

struct SemaResult;

/// The number of the system call whose tracepoints are syscalls:sys_enter_`name` and
/// sys_exit_`name` on this architecture (x86_64: "openat" -> 257, "newfstat" -> 5), or -1 when
/// scry does not know it. Numbers are from the build machine's <sys/syscall.h>; names the kernel
/// spells differently from the __NR_ macro ("newstat" for __NR_stat) are translated.
int32_t syscall_number(std::string_view name);

/// For each of `names` (tracepoint names such as "sched_switch"), whether the kernel's BTF at
/// `btf_path` has the typedef btf_trace_NAME, which every raw tracepoint of vmlinux has. Reads
/// the BTF string section in chunks (it is a few MiB), without parsing types. All false when
/// the file cannot be read.
std::vector<bool>
kernel_has_raw_tracepoints(const std::vector<std::string> &names,
                           const std::string &btf_path = "/sys/kernel/btf/vmlinux");

/// Decides how every tracepoint program of `result` attaches (ProbeProgram::attach, context,
/// section, raw_tracepoint, raw_record, syscall_nr, args_fields), as the header comment describes.
/// With `allow_raw` false every one stays a classic tracepoint. Only x86_64 knows where the syscall
/// arguments are saved (base/arch.h); elsewhere syscall probes that read `args` stay classic.
void plan_tracepoint_attach(SemaResult &result, bool allow_raw);

} // namespace scry
