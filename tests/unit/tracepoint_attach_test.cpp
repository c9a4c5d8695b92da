// Tests src/sema/tracepoint_attach: which tracepoint probes attach through raw tracepoints, with
// which system call number and record source. That the programs then load and see the same
// `args` is tested by codegen_test (TracepointProgramsLoadRawAndClassic) and by the runtime
// tests, which run every args test through the raw path and tracepoint-raw-and-classic.test
// through both.
#include "sema/tracepoint_attach.h"
#include "sema_test_util.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>

namespace scry {
namespace {

using test::analyse_text;
using test::describe;

#define SKIP_WITHOUT_TRACEFS()                                                                     \
  do {                                                                                             \
    if (test::tracefs_root().empty())                                                              \
      GTEST_SKIP() << "this machine has no tracefs";                                               \
  } while (0)

TEST(SyscallNumber, NamesFromTheSyscallHeader) {
  EXPECT_EQ(syscall_number("getppid"), SYS_getppid);
  EXPECT_EQ(syscall_number("openat"), SYS_openat);
  EXPECT_EQ(syscall_number("read"), SYS_read);
  EXPECT_EQ(syscall_number("no_such_syscall"), -1);
  EXPECT_EQ(syscall_number(""), -1);
}

#if defined(__x86_64__)
TEST(SyscallNumber, KernelSpellingsOfX86_64) {
  EXPECT_EQ(syscall_number("newfstat"), SYS_fstat);
  EXPECT_EQ(syscall_number("newstat"), SYS_stat);
  EXPECT_EQ(syscall_number("newuname"), SYS_uname);
  EXPECT_EQ(syscall_number("sendfile64"), SYS_sendfile);
  EXPECT_EQ(syscall_number("umount"), SYS_umount2);
}
#endif

TEST(RawTracepoints, FoundInVmlinuxBtf) {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    GTEST_SKIP() << "no /sys/kernel/btf/vmlinux";
  std::vector<bool> found = kernel_has_raw_tracepoints(
      {"sched_switch", "no_such_tracepoint_at_all", "sys_enter", "sched_process_exec", "sched_"});
  EXPECT_EQ(found, (std::vector<bool>{true, false, true, true, false}));
}

TEST(RawTracepoints, MissingBtfFindsNothing) {
  EXPECT_EQ(kernel_has_raw_tracepoints({"sched_switch"}, "/nonexistent/vmlinux"),
            std::vector<bool>{false});
}

const ProbeProgram &only_program(const test::Analysed &a) {
  EXPECT_EQ(a.sema.resources.programs.size(), 1u);
  return a.sema.resources.programs.at(0);
}

TEST(PlanTracepointAttach, SyscallEnterWithArgumentsIsRaw) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:syscalls:sys_enter_openat { @[str(args->filename)] = "
                        "count(); @n = sum(args->__syscall_nr); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  const ProbeProgram &p = only_program(*a);
  EXPECT_EQ(p.attach, AttachMechanism::RawTracepoint);
  EXPECT_EQ(p.context, ContextKind::RawTracepointArgs);
  EXPECT_EQ(p.section, "raw_tp/sys_enter");
  EXPECT_EQ(p.raw_tracepoint, "sys_enter");
  EXPECT_EQ(p.raw_record, RawRecord::SyscallEnter);
  EXPECT_EQ(p.syscall_nr, SYS_openat);
  EXPECT_EQ(p.args_fields, (std::vector<std::string>{"__syscall_nr", "filename"}));
}

TEST(PlanTracepointAttach, SyscallExitWithoutArgumentsStillChecksTheNumber) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:syscalls:sys_exit_read { @ = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  const ProbeProgram &p = only_program(*a);
  EXPECT_EQ(p.attach, AttachMechanism::RawTracepoint);
  EXPECT_EQ(p.raw_tracepoint, "sys_exit");
  EXPECT_EQ(p.raw_record, RawRecord::SyscallExit);
  EXPECT_EQ(p.syscall_nr, SYS_read);
  EXPECT_TRUE(p.args_fields.empty());
}

TEST(PlanTracepointAttach, RawSyscallsNeedARecordOnlyForArgs) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(only_program(*a).attach, AttachMechanism::RawTracepoint);
  EXPECT_EQ(only_program(*a).raw_record, RawRecord::None);
  EXPECT_EQ(only_program(*a).syscall_nr, -1);

  auto b = analyse_text("tracepoint:raw_syscalls:sys_exit { @[args->id] = sum(args->ret); }");
  ASSERT_TRUE(b->ok) << describe(b->diags);
  EXPECT_EQ(only_program(*b).raw_record, RawRecord::RawSyscallExit);
  EXPECT_EQ(only_program(*b).raw_tracepoint, "sys_exit");
}

TEST(PlanTracepointAttach, OtherTracepointsAreRawOnlyWithoutArgs) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:sched:sched_switch { @ = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(only_program(*a).attach, AttachMechanism::RawTracepoint);
  EXPECT_EQ(only_program(*a).raw_tracepoint, "sched_switch");

  // The record's fields are computed by the event's TP_fast_assign, which a raw program skips.
  auto b = analyse_text("tracepoint:sched:sched_switch { @[args->next_pid] = count(); }");
  ASSERT_TRUE(b->ok) << describe(b->diags);
  EXPECT_EQ(only_program(*b).attach, AttachMechanism::Tracepoint);
  EXPECT_EQ(only_program(*b).context, ContextKind::TracepointRecord);
  EXPECT_EQ(only_program(*b).section, "tracepoint/sched/sched_switch");
  EXPECT_TRUE(only_program(*b).raw_tracepoint.empty());
}

TEST(PlanTracepointAttach, WildcardsPlanEveryExpansion) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:syscalls:sys_enter_getpg* { @[probe] = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  ASSERT_EQ(a->sema.resources.programs.size(), 2u);
  std::vector<int32_t> numbers;
  for (const ProbeProgram &p : a->sema.resources.programs) {
    EXPECT_EQ(p.attach, AttachMechanism::RawTracepoint) << p.probe_name;
    numbers.push_back(p.syscall_nr);
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<int32_t> expected{SYS_getpgid, SYS_getpgrp};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(numbers, expected);
}

TEST(PlanTracepointAttach, ManySyscallProbesShareADispatcher) {
  SKIP_WITHOUT_TRACEFS();
  // getpgid twice: an array slot holds one program, so both stay attached themselves.
  auto a = analyse_text("tracepoint:syscalls:sys_enter_getp* { @[probe] = count(); } "
                        "tracepoint:syscalls:sys_enter_getpgid { @g = count(); } "
                        "tracepoint:syscalls:sys_exit_getpgid { @e = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  const Resources &res = a->sema.resources;
  ASSERT_EQ(res.dispatchers.size(), 1u);
  EXPECT_EQ(res.dispatchers[0].raw_tracepoint, "sys_enter");
  EXPECT_EQ(res.dispatchers[0].prog_array, "tail_sys_enter");
  size_t tail_called = 0;
  for (const ProbeProgram &p : res.programs) {
    bool getpgid = p.syscall_nr == SYS_getpgid;
    if (p.raw_tracepoint == "sys_exit" || getpgid)
      EXPECT_FALSE(p.tail_called) << p.probe_name;
    else
      EXPECT_TRUE(p.tail_called) << p.probe_name;
    tail_called += p.tail_called;
  }
  EXPECT_GE(tail_called, 2u); // getppid, getpgrp, getpid, getpriority, getpeername, ...

  // The tail-called expansions of the wildcard read no args field: one program for them all,
  // whose `probe` comes from names_sys_enter.
  EXPECT_EQ(res.dispatchers[0].probe_names, "names_sys_enter");
  const ProbeProgram *lead = nullptr;
  for (const ProbeProgram &p : res.programs)
    if (p.probe_name_by_nr)
      lead = &p;
  ASSERT_NE(lead, nullptr);
  for (const ProbeProgram &p : res.programs) {
    if (!p.tail_called || &p == lead)
      continue;
    EXPECT_EQ(p.function, lead->function) << p.probe_name;
    EXPECT_GE(p.shares_program_of, 0) << p.probe_name;
    EXPECT_GE(res.dispatchers[0].probe_name_bytes, p.probe_name.size() + 1);
  }
}

TEST(PlanTracepointAttach, FewSyscallProbesAttachThemselves) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:syscalls:sys_enter_getpgid, "
                        "tracepoint:syscalls:sys_enter_getppid { @[probe] = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_TRUE(a->sema.resources.dispatchers.empty());
  for (const ProbeProgram &p : a->sema.resources.programs)
    EXPECT_FALSE(p.tail_called) << p.probe_name;
}

TEST(PlanTracepointAttach, ClassicWhenRawIsOff) {
  SKIP_WITHOUT_TRACEFS();
  auto a = analyse_text("tracepoint:raw_syscalls:sys_enter { @ = count(); }", {}, false,
                        /*raw_tracepoints=*/false);
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(only_program(*a).attach, AttachMechanism::Tracepoint);
}

} // namespace
} // namespace scry
