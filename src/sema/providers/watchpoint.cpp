// The watchpoint provider: watchpoint:0xADDR:LEN:MODE, a hardware breakpoint (a perf event of
// PERF_TYPE_BREAKPOINT) on LEN bytes at ADDR, firing on their reads and writes (rw), writes (w)
// or execution (x). With -p or -c the address is the process's, else the kernel's. bpftrace
// 0.25 dropped the function+argN form and asyncwatchpoint; scry has neither.
#include "sema/providers/providers.h"

#include <cstdio>
#include <string>

namespace scry {

namespace {

// linux/hw_breakpoint.h
constexpr uint32_t kBreakpointR = 1, kBreakpointW = 2, kBreakpointX = 4;

} // namespace

void expand_watchpoint(Expansion &expansion, ast::Probe &probe, ast::AttachPoint &ap) {
  // The attach-point pass has checked the form: a number, a length of 1, 2, 4 or 8 and a mode
  // of r, w and x each at most once.
  uint32_t type = 0;
  for (char c : ap.mode)
    type |= c == 'r' ? kBreakpointR : c == 'w' ? kBreakpointW : kBreakpointX;
  if ((type & kBreakpointX) && type != kBreakpointX) {
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                          "a watchpoint cannot watch execution together with reads or writes",
                          "use two probes: watchpoint:ADDR:LEN:x and watchpoint:ADDR:LEN:rw");
    return;
  }
#if defined(__x86_64__)
  // x86's debug registers watch writes, or reads and writes, or execution (arch_build_bp_info).
  if (type == kBreakpointR) {
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc, "x86 cannot watch reads alone",
                          "watch reads and writes: mode rw");
    return;
  }
  if (type == kBreakpointX && ap.length != sizeof(long)) {
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                          "an execution watchpoint's length must be " +
                              std::to_string(sizeof(long)) + " on x86");
    return;
  }
#endif
  if (ap.address % ap.length != 0) {
    expansion.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                          "the address must be aligned to the length (" +
                              std::to_string(ap.length) + " bytes)");
    return;
  }
  char name[80];
  std::snprintf(name, sizeof(name), "watchpoint:0x%llx:%llu:%s",
                static_cast<unsigned long long>(ap.address),
                static_cast<unsigned long long>(ap.length), ap.mode.c_str());
  ProbeProgram &p = expansion.add_program(probe, ap, name);
  p.watchpoint.address = ap.address;
  p.watchpoint.length = static_cast<uint32_t>(ap.length);
  p.watchpoint.type = type;
}

} // namespace scry
