// Tests src/sema/tracepoint_format: format files -> scry types, reading them from tracefs, and
// listing and matching tracepoint names. The format texts below are verbatim copies of this
// project's test machine's tracefs (Linux 6.18, x86-64); the last tests read the live tracefs
// when it is there.
#include "sema/tracepoint_format.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using scry::AddressSpace;
using scry::TracepointField;
using scry::TracepointFormat;
using scry::TypeKind;

namespace {

/// An Integer of enum type naming only the enum, as the parser makes `enum NAME` fields.
scry::Type named_enum_int(uint32_t bytes, bool is_signed, const char *name) {
  scry::Type t = scry::make_int(bytes, is_signed);
  auto e = std::make_shared<scry::EnumInfo>();
  e->name = name;
  t.enumeration = e;
  return t;
}

// syscalls/sys_enter_openat/format
constexpr const char *kSysEnterOpenat = R"tp(name: sys_enter_openat
ID: 782
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:int dfd;	offset:16;	size:8;	signed:0;
	field:const char * filename;	offset:24;	size:8;	signed:0;
	field:int flags;	offset:32;	size:8;	signed:0;
	field:umode_t mode;	offset:40;	size:8;	signed:0;

print fmt: "dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))
)tp";

// syscalls/sys_enter_execve/format
constexpr const char *kSysEnterExecve = R"tp(name: sys_enter_execve
ID: 862
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const char * filename;	offset:16;	size:8;	signed:0;
	field:const char *const * argv;	offset:24;	size:8;	signed:0;
	field:const char *const * envp;	offset:32;	size:8;	signed:0;

print fmt: "filename: 0x%08lx, argv: 0x%08lx, envp: 0x%08lx", ((unsigned long)(REC->filename)), ((unsigned long)(REC->argv)), ((unsigned long)(REC->envp))
)tp";

// syscalls/sys_enter_lseek/format
constexpr const char *kSysEnterLseek = R"tp(name: sys_enter_lseek
ID: 844
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:unsigned int fd;	offset:16;	size:8;	signed:0;
	field:off_t offset;	offset:24;	size:8;	signed:0;
	field:unsigned int whence;	offset:32;	size:8;	signed:0;

print fmt: "fd: 0x%08lx, offset: 0x%08lx, whence: 0x%08lx", ((unsigned long)(REC->fd)), ((unsigned long)(REC->offset)), ((unsigned long)(REC->whence))
)tp";

// syscalls/sys_enter_clock_nanosleep/format
constexpr const char *kSysEnterClockNanosleep = R"tp(name: sys_enter_clock_nanosleep
ID: 474
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:int __syscall_nr;	offset:8;	size:4;	signed:1;
	field:const clockid_t which_clock;	offset:16;	size:8;	signed:0;
	field:int flags;	offset:24;	size:8;	signed:0;
	field:const struct __kernel_timespec * rqtp;	offset:32;	size:8;	signed:0;
	field:struct __kernel_timespec * rmtp;	offset:40;	size:8;	signed:0;

print fmt: "which_clock: 0x%08lx, flags: 0x%08lx, rqtp: 0x%08lx, rmtp: 0x%08lx", ((unsigned long)(REC->which_clock)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->rqtp)), ((unsigned long)(REC->rmtp))
)tp";

// sched/sched_switch/format
constexpr const char *kSchedSwitch = R"tp(name: sched_switch
ID: 372
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
	field:pid_t prev_pid;	offset:24;	size:4;	signed:1;
	field:int prev_prio;	offset:28;	size:4;	signed:1;
	field:long prev_state;	offset:32;	size:8;	signed:1;
	field:char next_comm[16];	offset:40;	size:16;	signed:0;
	field:pid_t next_pid;	offset:56;	size:4;	signed:1;
	field:int next_prio;	offset:60;	size:4;	signed:1;

print fmt: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1), "|", { 0x00000001, "S" }, { 0x00000002, "D" }, { 0x00000004, "T" }, { 0x00000008, "t" }, { 0x00000010, "X" }, { 0x00000020, "Z" }, { 0x00000040, "P" }, { 0x00000080, "I" }) : "R", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio
)tp";

// sched/sched_process_exec/format
constexpr const char *kSchedProcessExec = R"tp(name: sched_process_exec
ID: 365
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
	field:pid_t pid;	offset:12;	size:4;	signed:1;
	field:pid_t old_pid;	offset:16;	size:4;	signed:1;

print fmt: "filename=%s pid=%d old_pid=%d", __get_str(filename), REC->pid, REC->old_pid
)tp";

// raw_syscalls/sys_enter/format
constexpr const char *kRawSysEnter = R"tp(name: sys_enter
ID: 443
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:long id;	offset:8;	size:8;	signed:1;
	field:unsigned long args[6];	offset:16;	size:48;	signed:0;

print fmt: "NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)", REC->id, REC->args[0], REC->args[1], REC->args[2], REC->args[3], REC->args[4], REC->args[5]
)tp";

// sock/inet_sock_set_state/format
constexpr const char *kInetSockSetState = R"tp(name: inet_sock_set_state
ID: 2287
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:const void * skaddr;	offset:8;	size:8;	signed:0;
	field:int oldstate;	offset:16;	size:4;	signed:1;
	field:int newstate;	offset:20;	size:4;	signed:1;
	field:__u16 sport;	offset:24;	size:2;	signed:0;
	field:__u16 dport;	offset:26;	size:2;	signed:0;
	field:__u16 family;	offset:28;	size:2;	signed:0;
	field:__u16 protocol;	offset:30;	size:2;	signed:0;
	field:__u8 saddr[4];	offset:32;	size:4;	signed:0;
	field:__u8 daddr[4];	offset:36;	size:4;	signed:0;
	field:__u8 saddr_v6[16];	offset:40;	size:16;	signed:0;
	field:__u8 daddr_v6[16];	offset:56;	size:16;	signed:0;

print fmt: "family=%s protocol=%s sport=%hu dport=%hu saddr=%pI4 daddr=%pI4 saddrv6=%pI6c daddrv6=%pI6c oldstate=%s newstate=%s", __print_symbolic(REC->family, { 2, "AF_INET" }, { 10, "AF_INET6" }), __print_symbolic(REC->protocol, { 6, "IPPROTO_TCP" }, { 132, "IPPROTO_SCTP" }, { 262, "IPPROTO_MPTCP" }), REC->sport, REC->dport, REC->saddr, REC->daddr, REC->saddr_v6, REC->daddr_v6, __print_symbolic(REC->oldstate, { 1, "TCP_ESTABLISHED" }, { 2, "TCP_SYN_SENT" }, { 3, "TCP_SYN_RECV" }, { 4, "TCP_FIN_WAIT1" }, { 5, "TCP_FIN_WAIT2" }, { 6, "TCP_TIME_WAIT" }, { 7, "TCP_CLOSE" }, { 8, "TCP_CLOSE_WAIT" }, { 9, "TCP_LAST_ACK" }, { 10, "TCP_LISTEN" }, { 11, "TCP_CLOSING" }, { 12, "TCP_NEW_SYN_RECV" }), __print_symbolic(REC->newstate, { 1, "TCP_ESTABLISHED" }, { 2, "TCP_SYN_SENT" }, { 3, "TCP_SYN_RECV" }, { 4, "TCP_FIN_WAIT1" }, { 5, "TCP_FIN_WAIT2" }, { 6, "TCP_TIME_WAIT" }, { 7, "TCP_CLOSE" }, { 8, "TCP_CLOSE_WAIT" }, { 9, "TCP_LAST_ACK" }, { 10, "TCP_LISTEN" }, { 11, "TCP_CLOSING" }, { 12, "TCP_NEW_SYN_RECV" })
)tp";

// ipi/ipi_send_cpumask/format
constexpr const char *kIpiSendCpumask = R"tp(name: ipi_send_cpumask
ID: 353
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:__data_loc cpumask_t cpumask;	offset:8;	size:4;	signed:0;
	field:void * callsite;	offset:16;	size:8;	signed:0;
	field:void * callback;	offset:24;	size:8;	signed:0;

print fmt: "cpumask=%s callsite=%pS callback=%pS", __get_cpumask(cpumask), REC->callsite, REC->callback
)tp";

// ftrace/print/format
constexpr const char *kFtracePrint = R"tp(name: print
ID: 5
format:
	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
	field:int common_pid;	offset:4;	size:4;	signed:1;

	field:unsigned long ip;	offset:8;	size:8;	signed:0;
	field:char buf[];	offset:16;	size:0;	signed:0;

print fmt: "%ps: %s", (void *)REC->ip, REC->buf
)tp";

const TracepointField &field(const TracepointFormat &fmt, std::string_view name) {
  const TracepointField *f = fmt.find(name);
  if (!f) {
    ADD_FAILURE() << "no field " << name;
    static const TracepointField none;
    return none;
  }
  return *f;
}

std::string errors_of(const TracepointFormat &fmt) {
  std::string s;
  for (const auto &e : fmt.errors)
    s += "line " + std::to_string(e.line) + ": " + e.message + "\n";
  return s;
}

TEST(TracepointFormat, SysEnterOpenat) {
  TracepointFormat fmt = scry::parse_tracepoint_format(kSysEnterOpenat, "syscalls");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(fmt.category, "syscalls");
  EXPECT_EQ(fmt.name, "sys_enter_openat");
  EXPECT_EQ(fmt.id, 782u);
  ASSERT_EQ(fmt.fields.size(), 9u);
  EXPECT_TRUE(fmt.print_fmt.starts_with("\"dfd: 0x%08lx, filename: 0x%08lx"));
  EXPECT_TRUE(fmt.print_fmt.ends_with("((unsigned long)(REC->mode))"));

  const TracepointField &type = fmt.fields[0];
  EXPECT_EQ(type.name, "common_type");
  EXPECT_TRUE(type.is_common);
  EXPECT_EQ(type.type, scry::make_int(2, false));
  EXPECT_EQ(field(fmt, "common_pid").type, scry::make_int(4, true));
  EXPECT_EQ(field(fmt, "common_pid").offset, 4u);

  const TracepointField &nr = field(fmt, "__syscall_nr");
  EXPECT_FALSE(nr.is_common);
  EXPECT_EQ(nr.offset, 8u);
  EXPECT_EQ(nr.type, scry::make_int(4, true));

  // Syscall arguments sit in 8-byte slots whatever their C type; a signed `int` reads as the
  // int32 of the slot's low bytes (the kernel writes signed:0 for every syscall argument).
  const TracepointField &dfd = field(fmt, "dfd");
  EXPECT_EQ(dfd.offset, 16u);
  EXPECT_EQ(dfd.size, 8u);
  EXPECT_FALSE(dfd.is_signed);
  EXPECT_EQ(dfd.c_type, "int");
  EXPECT_EQ(dfd.type, scry::make_int(4, true));
  EXPECT_EQ(scry::type_name(dfd.type), "int32");

  const TracepointField &filename = field(fmt, "filename");
  EXPECT_EQ(filename.offset, 24u);
  EXPECT_EQ(filename.c_type, "const char *");
  ASSERT_EQ(filename.type.kind, TypeKind::Pointer);
  EXPECT_EQ(filename.type.address_space, AddressSpace::User);
  EXPECT_EQ(*filename.type.elem, scry::make_int(1, true));
  EXPECT_EQ(scry::type_name(filename.type), "int8 *");
  EXPECT_FALSE(filename.is_data_loc);

  EXPECT_EQ(field(fmt, "flags").type, scry::make_int(4, true));
  EXPECT_EQ(field(fmt, "mode").type, scry::make_int(8, false)); // umode_t
  EXPECT_EQ(fmt.find("nope"), nullptr);
}

TEST(TracepointFormat, SyscallArgumentSignsComeFromTheCType) {
  TracepointFormat fmt = scry::parse_tracepoint_format(kSysEnterLseek, "syscalls");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(field(fmt, "fd").type, scry::make_int(8, false));     // unsigned int
  EXPECT_EQ(field(fmt, "offset").type, scry::make_int(8, true));  // off_t
  EXPECT_EQ(field(fmt, "whence").type, scry::make_int(8, false)); // unsigned int
}

TEST(TracepointFormat, SyscallPointersToPointersAndStructsAreUserPointers) {
  TracepointFormat exec = scry::parse_tracepoint_format(kSysEnterExecve, "syscalls");
  ASSERT_TRUE(exec.ok()) << errors_of(exec);
  const scry::Type &argv = field(exec, "argv").type;
  EXPECT_EQ(field(exec, "argv").c_type, "const char *const *");
  EXPECT_EQ(argv,
            scry::make_pointer(scry::make_pointer(scry::make_int(1, true), AddressSpace::User),
                               AddressSpace::User));
  EXPECT_EQ(scry::type_name(argv), "int8 * *");

  TracepointFormat sleep = scry::parse_tracepoint_format(kSysEnterClockNanosleep, "syscalls");
  ASSERT_TRUE(sleep.ok()) << errors_of(sleep);
  EXPECT_EQ(field(sleep, "which_clock").type, scry::make_int(4, true)); // const clockid_t
  const scry::Type &rqtp = field(sleep, "rqtp").type;
  ASSERT_EQ(rqtp.kind, TypeKind::Pointer);
  EXPECT_EQ(rqtp.address_space, AddressSpace::User);
  // An incomplete struct: sema completes it from BTF by name.
  EXPECT_EQ(rqtp.elem->kind, TypeKind::Record);
  EXPECT_EQ(rqtp.elem->name, "__kernel_timespec");
  EXPECT_EQ(rqtp.elem->fields, nullptr);
  EXPECT_EQ(rqtp.elem->size, 0u);
  EXPECT_EQ(scry::type_name(rqtp), "struct __kernel_timespec *");
}

TEST(TracepointFormat, SchedSwitchCharArraysAreStrings) {
  TracepointFormat fmt = scry::parse_tracepoint_format(kSchedSwitch, "sched");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(fmt.id, 372u);
  ASSERT_EQ(fmt.fields.size(), 11u);
  const TracepointField &prev_comm = field(fmt, "prev_comm");
  EXPECT_EQ(prev_comm.offset, 8u);
  EXPECT_EQ(prev_comm.size, 16u);
  EXPECT_EQ(prev_comm.c_type, "char[16]");
  EXPECT_EQ(prev_comm.type, scry::make_string(16));
  EXPECT_EQ(scry::type_name(prev_comm.type), "string[16]");
  EXPECT_EQ(field(fmt, "prev_pid").type, scry::make_int(4, true));   // pid_t
  EXPECT_EQ(field(fmt, "prev_state").type, scry::make_int(8, true)); // long
  EXPECT_EQ(field(fmt, "next_comm").offset, 40u);
  EXPECT_EQ(field(fmt, "next_prio").offset, 60u);
  EXPECT_TRUE(fmt.print_fmt.starts_with("\"prev_comm=%s prev_pid=%d"));
}

TEST(TracepointFormat, SchedProcessExecDataLoc) {
  TracepointFormat fmt = scry::parse_tracepoint_format(kSchedProcessExec, "sched");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  const TracepointField &filename = field(fmt, "filename");
  EXPECT_TRUE(filename.is_data_loc);
  EXPECT_FALSE(filename.is_rel_loc);
  EXPECT_EQ(filename.offset, 8u);
  EXPECT_EQ(filename.size, 4u);
  EXPECT_EQ(filename.c_type, "__data_loc char[]");
  EXPECT_EQ(filename.type, scry::make_pointer(scry::make_int(1, true), AddressSpace::Kernel));
  EXPECT_EQ(field(fmt, "pid").offset, 12u);
  EXPECT_EQ(field(fmt, "old_pid").type, scry::make_int(4, true));
}

TEST(TracepointFormat, RawSyscallsArgsArray) {
  TracepointFormat fmt = scry::parse_tracepoint_format(kRawSysEnter, "raw_syscalls");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(field(fmt, "id").type, scry::make_int(8, true));
  const TracepointField &args = field(fmt, "args");
  EXPECT_EQ(args.offset, 16u);
  EXPECT_EQ(args.size, 48u);
  EXPECT_EQ(args.c_type, "unsigned long[6]");
  EXPECT_EQ(args.type, scry::make_array(scry::make_int(8, false), 6));
  EXPECT_EQ(scry::type_name(args.type), "uint64[6]");
}

TEST(TracepointFormat, KernelPointersByteArraysCpumaskAndFlexibleArrays) {
  TracepointFormat sock = scry::parse_tracepoint_format(kInetSockSetState, "sock");
  ASSERT_TRUE(sock.ok()) << errors_of(sock);
  EXPECT_EQ(field(sock, "skaddr").type,
            scry::make_pointer(scry::make_void(), AddressSpace::Kernel));
  EXPECT_EQ(field(sock, "saddr").type, scry::make_array(scry::make_int(1, false), 4));
  EXPECT_EQ(field(sock, "daddr_v6").type, scry::make_array(scry::make_int(1, false), 16));
  EXPECT_EQ(field(sock, "sport").type, scry::make_int(2, false));

  // No blank line between the common fields and the others in this one.
  TracepointFormat ipi = scry::parse_tracepoint_format(kIpiSendCpumask, "ipi");
  ASSERT_TRUE(ipi.ok()) << errors_of(ipi);
  const TracepointField &mask = field(ipi, "cpumask");
  EXPECT_TRUE(mask.is_data_loc);
  ASSERT_EQ(mask.type.kind, TypeKind::Pointer);
  EXPECT_EQ(mask.type.elem->kind, TypeKind::Record);
  EXPECT_EQ(mask.type.elem->name, "cpumask_t");
  EXPECT_EQ(field(ipi, "callsite").type.address_space, AddressSpace::Kernel);

  TracepointFormat print = scry::parse_tracepoint_format(kFtracePrint, "ftrace");
  ASSERT_TRUE(print.ok()) << errors_of(print);
  const TracepointField &buf = field(print, "buf");
  EXPECT_EQ(buf.size, 0u);
  EXPECT_EQ(buf.type, scry::make_array(scry::make_int(1, true), 0));
}

// Field lines seen on other kernels or in other categories, typed one at a time.
scry::TracepointFormat one_field(const std::string &line, const std::string &category = "test") {
  return scry::parse_tracepoint_format("name: t\nID: 1\nformat:\n" + line + "\n", category);
}

TEST(TracepointFormat, IntegerTypesAndTypedefs) {
  struct Case {
    const char *decl;
    uint32_t size;
    int column_signed;
    scry::Type want;
  } cases[] = {
      {"unsigned char x", 1, 0, scry::make_int(1, false)},
      {"signed char x", 1, 1, scry::make_int(1, true)},
      {"char x", 1, 0, scry::make_int(1, false)}, // -funsigned-char: the column decides
      {"char x", 1, 1, scry::make_int(1, true)},
      {"short x", 2, 1, scry::make_int(2, true)},
      {"unsigned short x", 2, 0, scry::make_int(2, false)},
      {"long long x", 8, 1, scry::make_int(8, true)},
      {"unsigned long long x", 8, 0, scry::make_int(8, false)},
      {"long unsigned int x", 8, 0, scry::make_int(8, false)},
      {"unsigned x", 4, 0, scry::make_int(4, false)},
      {"__u32 x", 4, 0, scry::make_int(4, false)},
      {"s64 x", 8, 1, scry::make_int(8, true)},
      {"u8 x", 1, 0, scry::make_int(1, false)},
      {"size_t x", 8, 0, scry::make_int(8, false)},
      {"gfp_t x", 4, 0, scry::make_int(4, false)},
      // A syscall's pid_t slot is u64, as bpftrace's adjust_integer_types() makes it; a
      // 4-byte pid_t stays signed.
      {"pid_t x", 8, 0, scry::make_int(8, false)},
      {"pid_t x", 4, 1, scry::make_int(4, true)},
      {"int x", 8, 0, scry::make_int(4, true)}, // the slot's low bytes, with int's sign
      {"bool x", 1, 0, scry::make_bool()},
      {"xfs_ino_t x", 8, 0, scry::make_int(8, false)}, // unknown typedef: the columns
      {"xfs_daddr_t x", 8, 1, scry::make_int(8, true)},
      // An enum field carries the enum's name only; sema completes it from BTF.
      {"enum migrate_mode x", 4, 0, named_enum_int(4, false, "migrate_mode")},
      {"const enum landlock_rule_type x", 8, 0, named_enum_int(8, false, "landlock_rule_type")},
      {"volatile int x", 4, 1, scry::make_int(4, true)},
  };
  for (const Case &c : cases) {
    std::string line = std::string("\tfield:") + c.decl +
                       ";\toffset:8;\tsize:" + std::to_string(c.size) +
                       ";\tsigned:" + std::to_string(c.column_signed) + ";";
    TracepointFormat fmt = one_field(line);
    ASSERT_TRUE(fmt.ok()) << c.decl << ": " << errors_of(fmt);
    ASSERT_EQ(fmt.fields.size(), 1u) << c.decl;
    EXPECT_EQ(fmt.fields[0].name, "x") << c.decl;
    EXPECT_EQ(fmt.fields[0].type, c.want)
        << c.decl << ": got " << scry::type_name(fmt.fields[0].type);
  }
}

TEST(TracepointFormat, ArraysWithSymbolicAndSeveralDimensions) {
  TracepointFormat comm =
      one_field("\tfield:char comm[TASK_COMM_LEN];\toffset:8;\tsize:16;\tsigned:0;");
  ASSERT_TRUE(comm.ok()) << errors_of(comm);
  EXPECT_EQ(comm.fields[0].type, scry::make_string(16));

  TracepointFormat u32s = one_field("\tfield:u32 ids[NR];\toffset:8;\tsize:16;\tsigned:0;");
  ASSERT_TRUE(u32s.ok()) << errors_of(u32s);
  EXPECT_EQ(u32s.fields[0].type, scry::make_array(scry::make_int(4, false), 4));

  TracepointFormat matrix = one_field("\tfield:int m[2][3];\toffset:8;\tsize:24;\tsigned:1;");
  ASSERT_TRUE(matrix.ok()) << errors_of(matrix);
  EXPECT_EQ(matrix.fields[0].type,
            scry::make_array(scry::make_array(scry::make_int(4, true), 3), 2));

  TracepointFormat names = one_field("\tfield:char names[2][8];\toffset:8;\tsize:16;\tsigned:0;");
  ASSERT_TRUE(names.ok()) << errors_of(names);
  EXPECT_EQ(names.fields[0].type, scry::make_array(scry::make_string(8), 2));

  TracepointFormat ptrs = one_field("\tfield:void * caller[4];\toffset:8;\tsize:32;\tsigned:0;");
  ASSERT_TRUE(ptrs.ok()) << errors_of(ptrs);
  EXPECT_EQ(ptrs.fields[0].type,
            scry::make_array(scry::make_pointer(scry::make_void(), AddressSpace::Kernel), 4));

  TracepointFormat flex = one_field("\tfield:u32 buf[];\toffset:24;\tsize:0;\tsigned:0;");
  ASSERT_TRUE(flex.ok()) << errors_of(flex);
  EXPECT_EQ(flex.fields[0].type, scry::make_array(scry::make_int(4, false), 0));
}

TEST(TracepointFormat, StructsAndUnknownTypedefsByValue) {
  TracepointFormat uuid = one_field("\tfield:uuid_t uuid;\toffset:8;\tsize:16;\tsigned:0;");
  ASSERT_TRUE(uuid.ok()) << errors_of(uuid);
  EXPECT_EQ(uuid.fields[0].type.kind, TypeKind::Record);
  EXPECT_EQ(uuid.fields[0].type.name, "uuid_t");
  EXPECT_EQ(uuid.fields[0].type.size, 16u);

  TracepointFormat st = one_field("\tfield:struct in6_addr addr;\toffset:8;\tsize:16;\tsigned:0;");
  ASSERT_TRUE(st.ok()) << errors_of(st);
  EXPECT_EQ(st.fields[0].type.kind, TypeKind::Record);
  EXPECT_EQ(st.fields[0].type.name, "in6_addr");
  EXPECT_EQ(st.fields[0].c_type, "struct in6_addr");
}

TEST(TracepointFormat, DataLocOfOtherElementsAndRelLoc) {
  TracepointFormat u64s = one_field("\tfield:__data_loc u64[] ips;\toffset:8;\tsize:4;\tsigned:0;");
  ASSERT_TRUE(u64s.ok()) << errors_of(u64s);
  EXPECT_TRUE(u64s.fields[0].is_data_loc);
  EXPECT_EQ(u64s.fields[0].type,
            scry::make_pointer(scry::make_int(8, false), AddressSpace::Kernel));

  // Dynamic data lives in the record, so in kernel memory even for syscall events.
  TracepointFormat rel =
      one_field("\tfield:__rel_loc char[] msg;\toffset:8;\tsize:4;\tsigned:0;", "syscalls");
  ASSERT_TRUE(rel.ok()) << errors_of(rel);
  EXPECT_TRUE(rel.fields[0].is_data_loc);
  EXPECT_TRUE(rel.fields[0].is_rel_loc);
  EXPECT_EQ(rel.fields[0].type, scry::make_pointer(scry::make_int(1, true), AddressSpace::Kernel));

  TracepointFormat bad = one_field("\tfield:__data_loc char[] s;\toffset:8;\tsize:8;\tsigned:0;");
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].line, 4u);
  ASSERT_EQ(bad.fields.size(), 1u);
  EXPECT_EQ(bad.fields[0].type.kind, TypeKind::None);
}

TEST(TracepointFormat, OldKernelsWithoutSignedColumn) {
  TracepointFormat fmt = one_field("\tfield:int x;\toffset:8;\tsize:4;");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(fmt.fields[0].type, scry::make_int(4, true));
  EXPECT_FALSE(fmt.fields[0].is_signed);
}

TEST(TracepointFormat, ErrorsNameTheLineAndKeepTheOtherFields) {
  std::string text = "name: t\n"
                     "ID: 7\n"
                     "format:\n"
                     "\tfield:int good;\toffset:8;\tsize:4;\tsigned:1;\n"
                     "\tfield:int nooffset;\tsize:4;\tsigned:1;\n"
                     "\tfield:void (*fn)(int) cb;\toffset:16;\tsize:8;\tsigned:0;\n"
                     "\tfield:int odd;\toffset:24;\tsize:3;\tsigned:1;\n"
                     "\tfield:int 9bad;\toffset:28;\tsize:4;\tsigned:1;\n"
                     "\tfield:int n;\toffset:x;\tsize:4;\tsigned:1;\n"
                     "garbage here\n"
                     "\tfield:long also_good;\toffset:32;\tsize:8;\tsigned:1;\n"
                     "\n"
                     "print fmt: \"%d\", REC->good\n";
  TracepointFormat fmt = scry::parse_tracepoint_format(text, "test");
  std::vector<uint32_t> lines;
  for (const auto &e : fmt.errors)
    lines.push_back(e.line);
  EXPECT_EQ(lines, (std::vector<uint32_t>{5, 6, 7, 8, 9, 10})) << errors_of(fmt);
  // Fields whose type alone is beyond scry stay, typed None; unreadable lines are dropped.
  ASSERT_NE(fmt.find("good"), nullptr);
  ASSERT_NE(fmt.find("also_good"), nullptr);
  EXPECT_EQ(field(fmt, "also_good").type, scry::make_int(8, true));
  ASSERT_NE(fmt.find("odd"), nullptr);
  EXPECT_EQ(field(fmt, "odd").type.kind, TypeKind::None);
  EXPECT_EQ(fmt.find("nooffset"), nullptr);
  EXPECT_EQ(fmt.print_fmt, "\"%d\", REC->good");
}

TEST(TracepointFormat, MissingNameAndIdAreErrorsAtLineZero) {
  TracepointFormat empty = scry::parse_tracepoint_format("", "x");
  ASSERT_EQ(empty.errors.size(), 2u);
  EXPECT_EQ(empty.errors[0].line, 0u);
  EXPECT_EQ(empty.errors[1].line, 0u);

  TracepointFormat bad_id = scry::parse_tracepoint_format("name: t\nID: twelve\n", "x");
  ASSERT_EQ(bad_id.errors.size(), 2u);
  EXPECT_EQ(bad_id.errors[0].line, 2u);
  EXPECT_EQ(bad_id.errors[1].line, 0u);
}

TEST(TracepointFormat, PrintFmtSpanningLines) {
  std::string text = "name: t\nID: 3\nformat:\n\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n\n"
                     "print fmt: \"a=%d\n\", REC->a\nmore: stuff\n";
  TracepointFormat fmt = scry::parse_tracepoint_format(text, "x");
  ASSERT_TRUE(fmt.ok()) << errors_of(fmt);
  EXPECT_EQ(fmt.print_fmt, "\"a=%d\n\", REC->a\nmore: stuff");
}

// A directory laid out like tracefs, for reading and listing.
class TracepointFiles : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "scry-tpformat-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "events/sched/sched_switch");
    write(root_ / "events/sched/sched_switch/format", kSchedSwitch);
    write(root_ / "available_events", "sched:sched_switch\nsched:sched_wakeup\n"
                                      "sched:sched_wakeup_new\nsyscalls:sys_enter_openat\n"
                                      "syscalls:sys_exit_openat\nsyscalls:sys_enter_open\n"
                                      "raw_syscalls:sys_enter\n\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  static void write(const fs::path &path, const std::string &text) { std::ofstream(path) << text; }

  fs::path root_;
};

TEST_F(TracepointFiles, ReadsAFormat) {
  auto result = scry::read_tracepoint_format(root_.string(), "sched", "sched_switch");
  ASSERT_TRUE(result.format) << result.error;
  EXPECT_TRUE(result.error.empty());
  EXPECT_EQ(result.format->category, "sched");
  EXPECT_EQ(result.format->name, "sched_switch");
  EXPECT_EQ(result.format->fields.size(), 11u);
}

TEST_F(TracepointFiles, MissingTracepointIsNotFound) {
  auto result = scry::read_tracepoint_format(root_.string(), "sched", "sched_nope");
  EXPECT_FALSE(result.format);
  EXPECT_TRUE(result.not_found);
  EXPECT_EQ(result.error, "tracepoint not found: sched:sched_nope");

  auto category = scry::read_tracepoint_format(root_.string(), "nope", "x");
  EXPECT_TRUE(category.not_found);
}

TEST_F(TracepointFiles, RejectsNamesThatAreNotPathComponents) {
  for (auto [cat, ev] : {std::pair{"..", "x"}, {"sched", "../../x"}, {"", "x"}, {"sched", "."}}) {
    auto result = scry::read_tracepoint_format(root_.string(), cat, ev);
    EXPECT_FALSE(result.format);
    EXPECT_FALSE(result.not_found);
    EXPECT_TRUE(result.error.starts_with("invalid tracepoint name: ")) << result.error;
  }
}

TEST_F(TracepointFiles, ListsAvailableEvents) {
  scry::TracepointList list = scry::list_tracepoints(root_.string());
  ASSERT_TRUE(list.ok()) << list.error;
  EXPECT_EQ(list.names.size(), 7u);
  EXPECT_EQ(list.names.front(), "sched:sched_switch");

  scry::TracepointList missing = scry::list_tracepoints((root_ / "nope").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.error.find("available_events"), std::string::npos);
}

TEST_F(TracepointFiles, MatchesWildcards) {
  auto names = scry::list_tracepoints(root_.string()).names;
  using V = std::vector<std::string>;
  EXPECT_EQ(scry::match_tracepoints(names, "sched:sched_wak*"),
            (V{"sched:sched_wakeup", "sched:sched_wakeup_new"}));
  EXPECT_EQ(scry::match_tracepoints(names, "*:sys_enter_open*"),
            (V{"syscalls:sys_enter_openat", "syscalls:sys_enter_open"}));
  EXPECT_EQ(scry::match_tracepoints(names, "syscalls:sys_*_openat"),
            (V{"syscalls:sys_enter_openat", "syscalls:sys_exit_openat"}));
  EXPECT_EQ(scry::match_tracepoints(names, "sched:sched_switc?"), (V{"sched:sched_switch"}));
  EXPECT_EQ(scry::match_tracepoints(names, "[rs]*:sys_enter"), (V{"raw_syscalls:sys_enter"}));
  EXPECT_EQ(scry::match_tracepoints(names, "sched:sched_switch"), (V{"sched:sched_switch"}));
  EXPECT_EQ(scry::match_tracepoints(names, "sched:sched_swi"), V{});
  EXPECT_EQ(scry::match_tracepoints(names, "*:*").size(), 7u);

  EXPECT_TRUE(scry::tracepoint_pattern_has_wildcard("sched:*"));
  EXPECT_TRUE(scry::tracepoint_pattern_has_wildcard("sched:sched_switc?"));
  EXPECT_TRUE(scry::tracepoint_pattern_has_wildcard("sched:[a]"));
  EXPECT_FALSE(scry::tracepoint_pattern_has_wildcard("sched:sched_switch"));
}

TEST_F(TracepointFiles, SuggestsTheClosestName) {
  auto names = scry::list_tracepoints(root_.string()).names;
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscall:sys_enter_openat"),
            "syscalls:sys_enter_openat");
  EXPECT_EQ(scry::suggest_tracepoint(names, "sched:sched_swich"), "sched:sched_switch");
  EXPECT_EQ(scry::suggest_tracepoint(names, "raw_syscall:sys_entr"), "raw_syscalls:sys_enter");
  EXPECT_EQ(scry::suggest_tracepoint(names, "block:block_rq_issue"), "");
  EXPECT_EQ(scry::suggest_tracepoint({}, "sched:sched_switch"), "");
}

// Names of one category share a long prefix: a distance small next to the whole name can still
// mean the parts that differ have nothing in common.
TEST(SuggestTracepoint, OnlyCloseMatchesOfThePartThatDiffers) {
  const std::vector<std::string> names = {"syscalls:sys_enter_mount", "syscalls:sys_enter_openat",
                                          "syscalls:sys_enter_read", "syscalls:sys_enter_getpgid",
                                          "sched:sched_switch"};
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscalls:sys_enter_nosuch"), "");
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscalls:sys_enter_xyz"), "");
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscalls:sys_enter_opnat"),
            "syscalls:sys_enter_openat");
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscalls:sys_enter_getpgidd"),
            "syscalls:sys_enter_getpgid");
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscalls:sys_enter_rd"), "syscalls:sys_enter_read");
  EXPECT_EQ(scry::suggest_tracepoint(names, "syscall:sys_enter_mount"), "syscalls:sys_enter_mount");
}

// The running kernel's tracefs: every tracepoint it lists must parse without errors.
TEST(TracepointFormatLive, EveryAvailableTracepointParses) {
  const std::string root = "/sys/kernel/tracing";
  if (access((root + "/available_events").c_str(), R_OK) != 0 ||
      access((root + "/events/sched/sched_switch/format").c_str(), R_OK) != 0)
    GTEST_SKIP() << root << " is not mounted or not readable (needs root)";

  scry::TracepointList list = scry::list_tracepoints(root);
  ASSERT_TRUE(list.ok()) << list.error;
  ASSERT_FALSE(list.names.empty());
  size_t parsed = 0;
  for (const std::string &name : list.names) {
    size_t colon = name.find(':');
    auto result = scry::read_tracepoint_format(root, name.substr(0, colon), name.substr(colon + 1));
    if (result.not_found)
      continue; // removed since available_events was read (a module unloaded)
    ASSERT_TRUE(result.format) << name << ": " << result.error;
    EXPECT_TRUE(result.format->ok()) << name << ":\n" << errors_of(*result.format);
    EXPECT_EQ(result.format->name, name.substr(colon + 1));
    ++parsed;
  }
  EXPECT_GT(parsed, 100u);

  auto openat = scry::read_tracepoint_format(root, "syscalls", "sys_enter_openat");
  if (openat.format) {
    EXPECT_EQ(field(*openat.format, "filename").type.address_space, AddressSpace::User);
    EXPECT_EQ(field(*openat.format, "dfd").type, scry::make_int(4, true));
  }
  EXPECT_EQ(scry::match_tracepoints(list.names, "sched:sched_switch"),
            std::vector<std::string>{"sched:sched_switch"});
}

} // namespace
