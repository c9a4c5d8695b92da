// GFP flags (the kernel's page-allocation flags, gfp_t) as names, for printf's %gr.
//
// The bits of __GFP_* differ between kernels (6.3 dropped __GFP_ATOMIC and renumbered the rest;
// KASAN and lockdep add bits), so the names come from the running kernel itself: the table its
// kmem tracepoints print with (include/trace/events/mmflags.h, show_gfp_flags), found in the
// "print fmt" of events/kmem/{mm_page_alloc,kmalloc}/format in tracefs, with every value already
// expanded to numbers by the kernel's build.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scry {

/// One kernel's table of GFP names: masks in the kernel's order (compound flags such as
/// GFP_KERNEL first, then each __GFP_ bit).
class GfpFlags {
public:
  /// The running kernel's table, read once from tracefs; empty when tracefs or the kmem events
  /// are missing (then format() prints the number in hex). Thread-safe.
  static const GfpFlags &kernel();

  /// The table in a tracepoint's print fmt text (the `__print_flags(REC->gfp_flags, "|", {MASK,
  /// "NAME"}, ...)` call); empty when `print_fmt` has none or an expression cannot be read.
  static GfpFlags parse(std::string_view print_fmt);

  /// `flags` as the kernel's trace output writes them (trace_print_flags_seq): each name whose
  /// whole mask is set, in table order, its bits then taken away, joined by '|', and what no
  /// name covers as 0x-prefixed hex. 0 is "0" (as bpftrace's %gr). Without a table: "0x" hex.
  std::string format(uint64_t flags) const;

  bool empty() const { return names_.empty(); }

private:
  std::vector<std::pair<uint64_t, std::string>> names_;
};

} // namespace scry
