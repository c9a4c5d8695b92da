// The provider table: one row per probe type. See providers.h.
#include "sema/providers/providers.h"

#include <cstddef>
#include <iterator>

namespace scry {

namespace {

using PT = ast::ProbeType;
using CK = ContextKind;
using AM = AttachMechanism;

// One row per ProbeType, in the enum's order. A type scry does not implement yet has no
// expansion and no plan data; its -p column is what it will be.
// clang-format off
constexpr Provider kProviders[] = {
  // type             expansion          section       context               attach          -p
  {PT::Invalid,       nullptr,           nullptr,      CK::None,             AM::None,       false},
  {PT::Begin,         expand_begin_end,  "raw_tp",     CK::None,             AM::RunAtStart, false},
  {PT::End,           expand_begin_end,  "raw_tp",     CK::None,             AM::RunAtExit,  false},
  {PT::Kprobe,        expand_kprobe,     "kprobe",     CK::Registers,        AM::Kprobe,     true},
  {PT::Kretprobe,     expand_kprobe,     "kretprobe",  CK::Registers,        AM::Kprobe,     true},
  {PT::Fentry,        expand_fentry,     "fentry",     CK::BtfArguments,     AM::Tracing,    true},
  {PT::Fexit,         expand_fentry,     "fexit",      CK::BtfArguments,     AM::Tracing,    true},
  {PT::Uprobe,        expand_uprobe,     "uprobe",     CK::Registers,        AM::Uprobe,     true},
  {PT::Uretprobe,     expand_uprobe,     "uretprobe",  CK::Registers,        AM::Uprobe,     true},
  {PT::Usdt,          expand_usdt,       "usdt",       CK::UsdtArguments,    AM::Usdt,       true},
  {PT::Tracepoint,    expand_tracepoint, "tracepoint", CK::TracepointRecord, AM::Tracepoint, true},
  {PT::RawTracepoint, expand_rawtracepoint, "tp_btf", CK::BtfArguments, AM::Tracing,  true},
  {PT::Profile,       expand_timer,      "perf_event", CK::PerfSample,       AM::PerfEvent,  true},
  {PT::Interval,      expand_timer,      "perf_event", CK::None,             AM::PerfEvent,  false},
  {PT::Software,      expand_perf_event, "perf_event", CK::PerfSample,       AM::PerfEvent,  true},
  {PT::Hardware,      expand_perf_event, "perf_event", CK::PerfSample,       AM::PerfEvent,  true},
  {PT::Watchpoint,    expand_watchpoint, "perf_event", CK::PerfSample,       AM::Watchpoint, true},
  {PT::Iter,          expand_iter,       "iter",       CK::Iterator,         AM::Iterator,   false},
  {PT::Self,          expand_self,       "raw_tp",     CK::None,             AM::RunOnSignal, false},
  {PT::Test,          expand_test_bench, "raw_tp",     CK::None,             AM::RunAsTest,  false},
  {PT::Bench,         expand_test_bench, "raw_tp",     CK::None,             AM::RunAsBench, false},
};
// clang-format on

constexpr bool in_enum_order() {
  for (size_t i = 0; i < std::size(kProviders); ++i)
    if (static_cast<size_t>(kProviders[i].type) != i)
      return false;
  return true;
}
static_assert(in_enum_order() && std::size(kProviders) == static_cast<size_t>(PT::Bench) + 1,
              "one row per ProbeType, in the order of ast.h (a type added after Bench moves this "
              "bound)");

} // namespace

const Provider &provider_for(ast::ProbeType type) {
  const size_t row = static_cast<size_t>(type);
  // A type without a row is not implemented (and tests/unit/probe_types_test.cpp fails).
  return row < std::size(kProviders) ? kProviders[row] : kProviders[0];
}

} // namespace scry
