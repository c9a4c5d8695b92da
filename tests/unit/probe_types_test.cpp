// Tests the probe-type table: the names (parser/probe_types.h) and the provider rows
// (sema/providers/providers.h), and the plan data each implemented type's programs carry.
#include "parser/probe_types.h"
#include "sema/providers/providers.h"
#include "sema_test_util.h"

#include <gtest/gtest.h>

namespace scry {
namespace {

using ast::ProbeType;
using test::analyse_text;
using test::describe;

std::vector<ProbeType> every_type() {
  std::vector<ProbeType> types;
  for (int t = static_cast<int>(ProbeType::Begin); t <= static_cast<int>(ProbeType::Bench); ++t)
    types.push_back(static_cast<ProbeType>(t));
  return types;
}

TEST(ProbeTypeTable, EveryTypeHasOneNameRowAndOneProviderRow) {
  for (ProbeType t : every_type()) {
    size_t rows = 0;
    for (const ProbeTypeNames &n : probe_type_names()) {
      if (n.type != t)
        continue;
      ++rows;
      EXPECT_EQ(probe_type_from_provider(n.name), t) << n.name;
      if (n.long_alias) {
        EXPECT_EQ(probe_type_from_provider(n.long_alias), t) << n.long_alias;
      }
      if (n.short_alias) {
        EXPECT_EQ(probe_type_from_provider(n.short_alias), t) << n.short_alias;
      }
    }
    EXPECT_EQ(rows, 1u) << probe_type_name(t);
    const Provider &p = provider_for(t);
    EXPECT_EQ(p.type, t) << probe_type_name(t);
    // An implemented type says how its programs run; the others say nothing yet.
    EXPECT_EQ(p.expand != nullptr, p.section != nullptr) << probe_type_name(t);
    EXPECT_EQ(p.expand != nullptr, p.attach != AttachMechanism::None) << probe_type_name(t);
  }
  // Every type the parser can produce has its provider row, also one added after Bench.
  for (const ProbeTypeNames &n : probe_type_names())
    EXPECT_EQ(provider_for(n.type).type, n.type) << n.name;
  EXPECT_EQ(probe_type_name(ProbeType::Invalid), std::string("invalid"));
  EXPECT_EQ(probe_type_from_provider("nosuch"), ProbeType::Invalid);
}

TEST(ProbeTypeTable, UnknownProviderHint) {
  EXPECT_EQ(unknown_provider_hint("kprobee"), "did you mean 'kprobe'?");
  EXPECT_EQ(unknown_provider_hint("kfun"), "did you mean 'kfunc'?");
  EXPECT_EQ(unknown_provider_hint("foo"),
            "providers: begin, end, tracepoint (t), rawtracepoint (rt), kprobe (k), "
            "kretprobe (kr), fentry (f), fexit (fr), uprobe (u), uretprobe (ur), usdt (U), "
            "profile (p), interval (i), software (s), hardware (h), watchpoint (w), "
            "iter (it), self");
}

TEST(ProbeTypeTable, ProgramsCarryTheirTypesPlanData) {
  auto a = analyse_text("begin { } end { } interval:s:1 { } profile:hz:99 { } "
                        "software:cpu-clock { } hardware:cycles:1000 { }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  struct Expected {
    const char *probe_name;
    const char *section;
    ContextKind context;
    AttachMechanism attach;
    bool pid_filter;
  };
  const Expected expected[] = {
      {"begin", "raw_tp", ContextKind::None, AttachMechanism::RunAtStart, false},
      {"end", "raw_tp", ContextKind::None, AttachMechanism::RunAtExit, false},
      {"interval:s:1", "perf_event", ContextKind::None, AttachMechanism::PerfEvent, false},
      {"profile:hz:99", "perf_event", ContextKind::PerfSample, AttachMechanism::PerfEvent, true},
      {"software:cpu-clock", "perf_event", ContextKind::PerfSample, AttachMechanism::PerfEvent,
       true},
      {"hardware:cpu-cycles:1000", "perf_event", ContextKind::PerfSample,
       AttachMechanism::PerfEvent, true},
  };
  const std::vector<ProbeProgram> &programs = a->sema.resources.programs;
  ASSERT_EQ(programs.size(), std::size(expected));
  for (size_t i = 0; i < programs.size(); ++i) {
    const ProbeProgram &p = programs[i];
    const Expected &e = expected[i];
    EXPECT_EQ(p.probe_name, e.probe_name);
    EXPECT_EQ(p.section, e.section) << e.probe_name;
    EXPECT_EQ(p.context, e.context) << e.probe_name;
    EXPECT_EQ(p.attach, e.attach) << e.probe_name;
    EXPECT_EQ(p.pid_filter, e.pid_filter) << e.probe_name;
    EXPECT_EQ(p.order, i) << e.probe_name;
  }
  EXPECT_EQ(programs[2].perf_event.period, 1000000000u);
  EXPECT_FALSE(programs[2].perf_event.every_cpu);
  EXPECT_EQ(programs[3].perf_event.frequency, 99u);
  EXPECT_TRUE(programs[3].perf_event.every_cpu);
  EXPECT_EQ(programs[5].perf_event.period, 1000u);
}

} // namespace
} // namespace scry
