// Tests src/codegen: that the kernel's verifier accepts the code generated for every expression
// form, statement, builtin, function and aggregation the semantic analyser accepts, and the shape
// of the object: one program per attach point, scry's own maps and one per scry map, with their
// kinds and sizes. Nothing is attached.
//
// Loading needs root and a kernel with BPF (the test skips, saying why, otherwise); the
// structural checks only open the object and run anywhere. On a refused load the test prints
// libbpf's log, which ends with the verifier's complaint.
#include "codegen/codegen.h"
#include "sema_test_util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace scry {
namespace {

using test::Analysed;
using test::describe;
using test::PrintTo;

// --- libbpf --------------------------------------------------------------------------------------

std::string &libbpf_log() {
  static std::string log;
  return log;
}

int capture_libbpf(enum libbpf_print_level, const char *format, va_list args) {
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n > 0) {
    std::string text(static_cast<size_t>(n) + 1, '\0');
    std::vsnprintf(text.data(), text.size(), format, args);
    text.resize(static_cast<size_t>(n));
    libbpf_log() += text;
  }
  return 0;
}

/// The last `lines` lines of `text`: the verifier's complaint is at the end of its log.
std::string tail(const std::string &text, size_t lines) {
  size_t pos = text.size();
  for (size_t i = 0; i <= lines && pos > 0; ++i)
    pos = text.rfind('\n', pos - 1);
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

/// Why this machine cannot load BPF programs, or empty when it can.
const std::string &bpf_unavailable() {
  static const std::string reason = []() -> std::string {
    if (geteuid() != 0)
      return "loading BPF programs needs root";
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "scry_probe", 4, 8, 1, nullptr);
    if (fd < 0)
      return std::string("the kernel refuses BPF: bpf(BPF_MAP_CREATE): ") + std::strerror(errno);
    close(fd);
    return {};
  }();
  return reason;
}

#define SKIP_WITHOUT_BPF()                                                                         \
  do {                                                                                             \
    if (!bpf_unavailable().empty())                                                                \
      GTEST_SKIP() << bpf_unavailable();                                                           \
  } while (0)

#define SKIP_WITHOUT_TRACEFS(program)                                                              \
  do {                                                                                             \
    if (std::string(program).find("tracepoint:") != std::string::npos &&                           \
        test::tracefs_root().empty())                                                              \
      GTEST_SKIP() << "this machine has no tracefs";                                               \
  } while (0)

/// A BPF object opened from memory; closed (unloading it) when it goes.
class Object {
public:
  Object() = default;
  Object(const Object &) = delete;
  Object &operator=(const Object &) = delete;
  ~Object() {
    if (obj_)
      bpf_object__close(obj_);
  }

  /// Opens `bytes`; false (with libbpf's log in libbpf_log()) when libbpf rejects the ELF.
  bool open(const std::vector<uint8_t> &bytes) {
    libbpf_log().clear();
    libbpf_set_print(capture_libbpf);
    LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "scry_test");
    obj_ = bpf_object__open_mem(bytes.data(), bytes.size(), &opts);
    return obj_ != nullptr;
  }

  /// Creates the maps and loads every program; false (with the log) when the kernel refuses.
  bool load() {
    libbpf_log().clear();
    return bpf_object__load(obj_) == 0;
  }

  bpf_object *get() const { return obj_; }

private:
  bpf_object *obj_ = nullptr;
};

/// A program through the whole compiler: parse, analyse, generate.
struct Compiled {
  std::unique_ptr<Analysed> analysed;
  CodegenResult code;
  bool ok = false;
};

std::unique_ptr<Compiled> compile(const std::string &program,
                                  const std::vector<std::string> &params = {},
                                  bool has_child = false, bool raw_tracepoints = true) {
  auto c = std::make_unique<Compiled>();
  c->analysed = test::analyse_text(program, params, has_child, raw_tracepoints);
  if (!c->analysed->ok) {
    ADD_FAILURE() << "sema refused '" << program << "':" << describe(c->analysed->diags);
    return c;
  }
  CodegenOptions options;
  options.params = params;
  options.child_pid = has_child ? 4242 : 0;
  options.ringbuf_bytes = 1u << 16; // the size does not matter to the verifier
  const test::Parsed &p = *c->analysed->parsed;
  c->code = generate(*p.program, c->analysed->sema, p.source, options);
  if (!c->code.error.empty()) {
    ADD_FAILURE() << "codegen failed for '" << program << "': " << c->code.error;
    return c;
  }
  if (c->code.object.empty()) {
    ADD_FAILURE() << "codegen produced no object for '" << program << "'";
    return c;
  }
  c->ok = true;
  return c;
}

// --- the verifier accepts every language form ----------------------------------------------------

struct LoadCase {
  const char *name;
  const char *program;
  std::vector<std::string> params = {};
  bool has_child = false;
};

class CodegenLoad : public ::testing::TestWithParam<LoadCase> {};

TEST_P(CodegenLoad, VerifierAccepts) {
  const LoadCase &c = GetParam();
  SKIP_WITHOUT_TRACEFS(c.program);
  auto compiled = compile(c.program, c.params, c.has_child);
  ASSERT_TRUE(compiled->ok);
  SKIP_WITHOUT_BPF();
  Object obj;
  ASSERT_TRUE(obj.open(compiled->code.object))
      << "libbpf cannot open the object: " << std::strerror(errno) << "\n"
      << libbpf_log();
  EXPECT_TRUE(obj.load()) << "the kernel refused '" << c.program << "': " << std::strerror(errno)
                          << "\n"
                          << tail(libbpf_log(), 40);
}

// Tracepoint probes attach through raw tracepoints where they can (sema/tracepoint_attach.h); the
// same programs must also load as classic tracepoints, which is what SCRY_CLASSIC_TRACEPOINTS
// and kernels without the raw tracepoint get.
TEST(CodegenObject, TracepointProgramsLoadRawAndClassic) {
  const char *program =
      "config = { max_strlen = 64 } "
      "tracepoint:raw_syscalls:sys_enter { print((args->id, args->args[0], args->args[5])); } "
      "tracepoint:raw_syscalls:sys_exit { print((args->id, args->ret)); } "
      "tracepoint:syscalls:sys_enter_openat { print((args->__syscall_nr, args->dfd, "
      "str(args->filename), args->flags, args->mode)); } "
      "tracepoint:syscalls:sys_exit_read { print(args->ret); } "
      "tracepoint:syscalls:sys_enter_getppid { @ = count(); } "
      "tracepoint:sched:sched_switch { @s = count(); }";
  SKIP_WITHOUT_TRACEFS(program);
  SKIP_WITHOUT_BPF();
  for (bool raw : {true, false}) {
    auto c = compile(program, {}, false, raw);
    ASSERT_TRUE(c->ok);
    for (const ProbeProgram &p : c->analysed->sema.resources.programs)
      EXPECT_EQ(p.attach, raw ? AttachMechanism::RawTracepoint : AttachMechanism::Tracepoint)
          << p.probe_name;
    Object obj;
    ASSERT_TRUE(obj.open(c->code.object)) << libbpf_log();
    EXPECT_TRUE(obj.load()) << (raw ? "raw: " : "classic: ") << tail(libbpf_log(), 40);
  }
}

// syscalls:* probes behind a dispatcher (tail calls through a program array) load too.
TEST(CodegenObject, SyscallDispatcherLoads) {
  const char *program = "tracepoint:syscalls:sys_enter_getp* { @[probe] = count(); } "
                        "tracepoint:syscalls:sys_exit_getp* { @r[probe] = sum(args->ret); }";
  SKIP_WITHOUT_TRACEFS(program);
  SKIP_WITHOUT_BPF();
  auto c = compile(program);
  ASSERT_TRUE(c->ok);
  ASSERT_EQ(c->analysed->sema.resources.dispatchers.size(), 2u);
  Object obj;
  ASSERT_TRUE(obj.open(c->code.object)) << libbpf_log();
  for (const char *name : {"dispatch_sys_enter", "dispatch_sys_exit"}) {
    bpf_program *prog = bpf_object__find_program_by_name(obj.get(), name);
    ASSERT_NE(prog, nullptr) << name;
    EXPECT_EQ(bpf_program__type(prog), BPF_PROG_TYPE_RAW_TRACEPOINT);
  }
  bpf_map *array = bpf_object__find_map_by_name(obj.get(), "tail_sys_enter");
  ASSERT_NE(array, nullptr);
  EXPECT_EQ(bpf_map__type(array), BPF_MAP_TYPE_PROG_ARRAY);
  EXPECT_TRUE(obj.load()) << tail(libbpf_log(), 40);
}

// `probe` in programs shared by several system calls comes from the dispatcher's names map, whose
// values are sized for the system calls' names; the probe's string type is sized for all of its
// attach points. Every combination of the two must load, whichever is longer (issue 8: a probe
// with three syscalls and sched:sched_process_exec, or a longer tracepoint, was refused).
TEST(CodegenObject, ProbeNameInDispatchedProgramsLoadsForEveryCombination) {
  SKIP_WITHOUT_TRACEFS("tracepoint:");
  SKIP_WITHOUT_BPF();
  const std::vector<std::string> syscalls = {"sys_enter_read", "sys_enter_write", "sys_enter_close",
                                             "sys_enter_getpgid"};
  // Names shorter and longer than the system calls' (up to 48 bytes), and raw_syscalls itself.
  const std::vector<std::string> others = {"sched:sched_switch", "sched:sched_process_exec",
                                           "raw_syscalls:sys_enter",
                                           "writeback:writeback_dirty_inode_start"};
  const std::vector<std::string> actions = {"@[probe] = count();", "printf(\"%s\\n\", probe);",
                                            "@k[probe, comm] = count(); $p = probe;"};
  int loaded = 0;
  for (size_t n = 3; n <= syscalls.size(); ++n)
    for (const std::string &other : others)
      for (const std::string &action : actions)
        for (bool same_probe : {false, true}) {
          std::string attach;
          for (size_t i = 0; i < n; ++i)
            attach += (i ? "," : "") + std::string("tracepoint:syscalls:") + syscalls[i];
          std::string program = same_probe ? attach + ",tracepoint:" + other + " { " + action + " }"
                                           : attach + " { " + action + " } tracepoint:" + other +
                                                 " { " + action + " }";
          auto c = compile(program);
          ASSERT_TRUE(c->ok) << program;
          Object obj;
          ASSERT_TRUE(obj.open(c->code.object)) << libbpf_log();
          EXPECT_TRUE(obj.load()) << program << "\n" << tail(libbpf_log(), 20);
          ++loaded;
        }
  EXPECT_EQ(loaded, 2 * 4 * 3 * 2);
}

// Programs with str() mostly set max_strlen = 64: the code has the same shape, and each copy of a
// 1024-byte string costs LLVM about half a second. data_loc_string_as_key and printf_long_strings
// keep the default size.
const LoadCase kExpressions[] = {
    {"arithmetic", "begin { $a = 10; $b = $a * 3 + 7 - 2; $c = $b / 3; $d = $b % 4; $e = -$a; "
                   "$f = (nsecs / 7) % 13; printf(\"%d %d %d %d %d\\n\", $b, $c, $d, $e, $f); }"},
    {"signed_division",
     "begin { $a = -7; $b = $a / 2; $c = $a % 3; $d = (int64)nsecs / -3; $e = $a / $b; "
     "print(($b, $c, $d, $e)); }"},
    {"division_by_runtime_zero",
     "begin { $d = pid % 1; $x = 100 / $d; $y = 100 % $d; $z = nsecs / $d; print(($x, $y, $z)); }"},
    {"bitwise_and_shifts",
     "begin { $a = pid & 0xff | tid ^ 3; $b = $a << 3; $c = nsecs >> 5; $d = ~$a; "
     "$e = (int64)-8 >> 1; $s = pid % 64; $f = 1 << $s; print(($a, $b, $c, $d, $e, $f)); }"},
    {"comparisons_and_logic",
     "begin { $a = pid > 1 && tid < 100000000 || !cpu; $b = nsecs >= 1 ? 1 : 0; "
     "$c = (int64)-1 < 0; $d = pid <= 5 || pid != 3; "
     "if ($a && $b != 0) { print(($a, $c, $d)); } }"},
    {"unsigned_compare", "begin { $a = nsecs > 0xffffffffffff0000; print($a); }"},
    {"casts", "begin { $a = (uint8)nsecs; $b = (int16)-1; $c = (int32)nsecs; $d = (uint64)$b; "
              "$e = (bool)pid; $f = (int8)300 + (uint16)70000; print(($a, $b, $c, $d, $e, $f)); }"},
    {"pointer_cast_and_deref",
     "begin { $p = (uint64 *)curtask; $v = *$p; $q = (struct task_struct *)curtask; "
     "$r = (uint8 *)$q + 8; print(($v, $q->pid, *$r, $p[1])); }"},
    {"sizeof_offsetof",
     "begin { print((sizeof(struct task_struct), sizeof(uint32), sizeof(comm), sizeof(1 + 2), "
     "offsetof(struct task_struct, pid))); }"},
    {"string_literals",
     "begin { $s = \"hello\"; $e = \"\"; $s = \"hi\"; printf(\"%s|%s\\n\", $s, $e); }"},
    {"string_compare",
     "begin { $s = \"hello\"; if ($s == \"hello\") { printf(\"%s\\n\", $s); } "
     "if (comm != \"nope\") { print(comm); } $e = \"\" == \"\"; $f = \"abc\" == \"abcdef\"; "
     "print(($e, $f)); }"},
    {"string_compare_long",
     "config = { max_strlen = 64 } begin { $a = str(0) == str(8); "
     "$b = str(0) != \"a fairly long literal, longer than a word\"; print(($a, $b)); }"},
    {"ternary_ints", "begin { $x = pid > 1 ? pid : -1; $y = pid ?: 5; print(($x, $y)); }"},
    {"ternary_strings", "begin { $s = pid > 1 ? \"big\" : \"small\"; $t = pid ? comm : \"none\"; "
                        "@m[pid ? \"a\" : \"bb\"] = 1; printf(\"%s %s\\n\", $s, $t); }"},
    {"ternary_tuples", "begin { $t = pid ? (1, \"a\") : (2, \"bcd\"); print($t); }"},
    {"tuples", "begin { $t = (1, \"two\", comm, (uint8)3); $u = $t.1; $v = $t[2]; print($t); "
               "printf(\"%d %s %s %d\\n\", $t.0, $u, $v, $t.3); }"},
    {"nested_tuples", "begin { $t = ((1, \"a\"), (pid, comm)); print($t.1.1); @m[$t.0] = $t.1; }"},
    {"records", "begin { $r = (a = 1, b = comm, c = (uint8)2); print($r.b); print($r); @r = $r; "
                "printf(\"%d\\n\", $r.c); }"},
    {"string_index",
     "begin { $c = comm[0]; $i = pid % 16; $d = comm[$i]; $e = \"abc\"[1]; print(($c, $d, $e)); }"},
    {"block_expression", "begin { $x = { let $y = pid; $y * 2 }; print($x); }"},
    {"let_declarations",
     "begin { let $b = 1; let $c: uint16 = 2; let $e: struct task_struct * = curtask; "
     "let $s: string[8]; print(($b, $c, $e->pid, $s)); }"},
    {"variable_increments",
     "begin { $i = 0; $i++; ++$i; $i--; --$i; $i += 5; $i -= 1; $i *= 3; $i /= 2; $i %= 7; "
     "$i <<= 2; $i >>= 1; $i &= 0xff; $i |= 1; $i ^= 2; $j = $i++; print(($i, $j)); }"},
    {"map_increments",
     "begin { @a++; ++@a; @a--; @b[comm]++; @b[comm] += 5; @c -= 1; @d = 1; @d *= 3; "
     "$x = @a++; print(($x, @a, @d)); }"},
    {"positional_parameters",
     "begin { $n = $1 + 1; $s = $2; printf(\"%d %s %d\\n\", $n, $s, $#); @p[$2] = $1; }",
     {"5", "hello"}},
    {"positional_str",
     "config = { max_strlen = 64 } begin { printf(\"%s\\n\", str($2)); }",
     {"5", "hello"}},
    {"variable_widening_string",
     "begin { $s = \"a\"; $s = comm; $s = \"abcdefghijklmnopqrstuvwxyz\"; "
     "print($s); }"},
    {"discard", "begin { _ = pid; _ = comm; }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenExpressions, CodegenLoad, ::testing::ValuesIn(kExpressions),
                         test::CaseName());

const LoadCase kStatements[] = {
    {"if_else_chain",
     "begin { if (pid == 1) { print(1); } else if (pid == 2) { print(2); } else { print(3); } }"},
    {"while_break_continue", "begin { $i = 0; while ($i < 100) { $i++; if ($i == 50) { break; } "
                             "if ($i % 2) { continue; } @w = $i; } }"},
    {"for_range", "begin { for ($i : 0..10) { @f[$i] = $i * 2; } }"},
    {"for_range_break_continue",
     "begin { for ($i : 0..100) { if ($i == 3) { continue; } if ($i > 20) { break; } "
     "@s = sum($i); } }"},
    // A bound known only at run time: bpftrace runs these loops with bpf_loop().
    {"nested_loops",
     "begin { for ($i : 0..5) { $j = 0; while ($j < 5) { $j++; if ($j == $i) { continue; } "
     "@n[$i, $j] = 1; } } }"},
    {"unroll", "begin { $i = 0; unroll (10) { $i++; @u[$i] = comm; } }"},
    {"unroll_positional", "begin { unroll ($1) { @u++; } }", {"3"}},
    {"return_early", "begin { if (pid) { return; } print(1); }"},
    {"predicate",
     "tracepoint:syscalls:sys_enter_openat /pid > 1 && comm != \"x\"/ { @[comm] = count(); }"},
    {"exit", "begin { exit(); }"},
    {"exit_code_then_dead_code", "begin { exit(pid % 2); print(1); @x = 1; }"},
    {"several_probes",
     "begin { @x = 1; } end { print(@x); } interval:s:1 { @x++; } interval:ms:100 { } "
     "profile:hz:99 { @p[cpu] = count(); } software:cpu-clock:100000 { } "
     "hardware:cpu-cycles:1000000 { }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenStatements, CodegenLoad, ::testing::ValuesIn(kStatements),
                         test::CaseName());

const LoadCase kBuiltins[] = {
    {"every_builtin",
     "begin { printf(\"%d %d %d %d %d %d %s %d %d %d %d %d %s\\n\", pid, tid, uid, gid, cpu, "
     "ncpus, comm, nsecs, elapsed, jiffies, rand, cgroup, probe); }"},
    {"builtins_in_tracepoint",
     "tracepoint:sched:sched_switch { @[comm, pid, tid, cpu, probe] = count(); @t = nsecs; }"},
    {"cpid", "begin { printf(\"%d\\n\", cpid); }", {}, true},
    {"curtask_fields",
     "begin { printf(\"%d %d %s %d\\n\", curtask->pid, curtask->tgid, curtask->comm, "
     "curtask->real_parent->pid); }"},
    {"curtask_deep", "begin { $mm = curtask->mm; if ($mm) { print($mm->total_vm); } "
                     "print(curtask->real_parent->real_parent->comm); }"},
    {"curtask_bitfield", "begin { print((curtask->in_iowait, curtask->sched_reset_on_fork)); }"},
    {"curtask_embedded_struct", "begin { print(curtask->se.vruntime); print(curtask.se.on_rq); }"},
    {"curtask_arrays",
     "begin { print(curtask->comm[0]); print(curtask->signal->rlim[7].rlim_cur); }"},
    {"struct_value_in_variable", "begin { $x = curtask->se; print($x.vruntime); }"},
    {"whole_struct_copy", "begin { $t = *curtask; print($t.pid); }"},
    {"curtask_as_map_key_and_value", "begin { @t[curtask] = curtask->pid; @c = curtask; }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenBuiltins, CodegenLoad, ::testing::ValuesIn(kBuiltins),
                         test::CaseName());

const LoadCase kTracepointArgs[] = {
    {"openat", "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_openat { printf(\"%d %s "
               "%d %d\\n\", args.dfd, "
               "str(args.filename), args.flags, args.mode); }"},
    {"sched_switch_arrays",
     "tracepoint:sched:sched_switch { @[args.prev_comm, args.next_comm] = count(); "
     "printf(\"%s %d %d\\n\", args.next_comm, args.prev_pid, args.prev_state); }"},
    {"data_loc_string", "config = { max_strlen = 64 } tracepoint:sched:sched_process_exec { "
                        "printf(\"%s %d\\n\", str(args.filename), args.pid); }"},
    {"data_loc_string_as_key",
     "tracepoint:sched:sched_process_exec { @e[str(args.filename)] = count(); }"},
    {"user_string_as_key", "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_openat { "
                           "@o[comm, str(args.filename)] = count(); }"},
    {"user_pointer_array", "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_execve { "
                           "printf(\"%s %s\\n\", str(args.filename), "
                           "str(args.argv[0])); }"},
    {"str_lengths", "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_openat { "
                    "printf(\"%s\\n\", str(args.filename, 16)); "
                    "$n = 8; $s = str(args.filename, $n); print($s); }"},
    {"str_compare", "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_openat { if "
                    "(str(args.filename) == \"/etc/passwd\") "
                    "{ printf(\"passwd\\n\"); } }"},
    {"exit_tracepoint_hist", "tracepoint:syscalls:sys_exit_read { @r = hist(args.ret); }"},
    {"array_field", "tracepoint:raw_syscalls:sys_enter { @[args.id] = count(); $a = args.args[0]; "
                    "print($a); }"},
    {"wildcard", "tracepoint:syscalls:sys_enter_getpg* { @[probe] = count(); }"},
    {"config_max_strlen",
     "config = { max_strlen = 64 } tracepoint:syscalls:sys_enter_openat "
     "{ @[str(args.filename)] = count(); printf(\"%s\\n\", str(args.filename)); }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenTracepoints, CodegenLoad, ::testing::ValuesIn(kTracepointArgs),
                         test::CaseName());

const LoadCase kFunctions[] = {
    {"printf_many_arguments",
     "begin { printf(\"%d %u %x %X %o %c %s %s %d %d %s %d %p %5d %-8s %lld\\n\", 1, pid, tid, "
     "nsecs, 8, 65, comm, \"lit\", (int8)-1, (uint16)7, (1, \"t\"), true, curtask, cpu, "
     "\"x\", (int64)-5); }"},
    {"printf_long_format",
     "begin { printf(\"0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567"
     "8901234567890123456789012345678901234567890123456789 %s\\n\", comm); }"},
    {"printf_long_strings", "begin { printf(\"%s %s %s\\n\", str(0), str(8), comm); }"},
    {"print_values", "config = { max_strlen = 64 } begin { print(1); print(comm); print((1, "
                     "\"a\")); print(str(0)); print(true); "
                     "print((a = 1, b = \"x\")); }"},
    {"print_map", "begin { @a[1] = 1; print(@a); print(@a, 5); print(@a, 5, 10); }"},
    {"clear_zero_delete",
     "begin { @a[1] = 1; @b = count(); clear(@a); zero(@b); delete(@a[1]); delete(@a, 2); "
     "$ok = delete(@a, 3); @h = hist(1); clear(@h); zero(@h); print($ok); }"},
    // bpftrace: delete() of a map without keys resets its value.
    {"delete_map_without_keys", "begin { @c = 1; delete(@c); @s = sum(1); delete(@s); }"},
    {"has_key",
     "begin { @a[comm] = 1; if (has_key(@a, comm)) { print(1); } $x = has_key(@a, \"x\"); "
     "@t[1, \"a\"] = 1; $y = has_key(@t, (1, \"a\")); print(($x, $y)); }"},
    {"len", "begin { @a[1] = 1; @b = 2; @c[comm] = count(); print((len(@a), len(@b), len(@c))); }"},
    {"time", "begin { time(); time(\"%Y-%m-%d %H:%M:%S\\n\"); }"},
    {"str_of_integer_and_string",
     "config = { max_strlen = 64 } begin { $a = str(0); $b = str(comm); $c = str(nsecs, 4); "
     "print(($a, $b, $c)); }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenFunctions, CodegenLoad, ::testing::ValuesIn(kFunctions),
                         test::CaseName());

const LoadCase kAggregations[] = {
    {"count", "begin { @ = count(); @k[comm, pid] = count(); }"},
    {"sum_min_max_avg_stats",
     "begin { @s = sum(pid); @mi = min(-5); @ma = max(nsecs); @a = avg(tid); @st = stats(pid); "
     "@k[comm] = sum(1); @s2[1] = stats(2); @m2[\"x\"] = min(pid); @x2[1, 2] = max(-1); }"},
    {"hist",
     "begin { @h = hist(nsecs); @h1 = hist(pid, 1); @h5[comm] = hist(nsecs, 5); @hn = hist(-1); "
     "@h0 = hist(0); }"},
    {"lhist", "begin { @l = lhist(pid % 100, 0, 100, 10); @lk[comm] = lhist(5, 10, 1000, 7); "
              "@ln = lhist(-5, 0, 10, 1); }"},
    {"aggregation_reads",
     "begin { @c = count(); @s = sum(1); @mi = min(1); @ma = max(1); @a = avg(1); "
     "if (@c > 0) { print((@c, @s, @mi, @ma, @a)); } @k[1] = count(); $v = @k[1]; print($v); }"},
    {"count_and_sum_compound", "begin { @c = count(); @c += 2; @s = sum(3); @s -= 1; @c++; }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenAggregations, CodegenLoad, ::testing::ValuesIn(kAggregations),
                         test::CaseName());

const LoadCase kMaps[] = {
    {"keys",
     "begin { @i[1] = 1; @s[\"str\"] = 2; @c[comm] = 3; @t[(1, \"a\")] = 4; @m[pid, comm, 3] = 5; "
     "@p[probe] = 6; @b[true] = 7; @u[(uint8)1] = 8; }"},
    {"values",
     "begin { @s = comm; @t = (1, comm); @r = (a = 1, b = \"x\"); @b = true; @p = curtask; "
     "@k[1] = (pid, \"v\"); }"},
    {"reads_of_missing_keys",
     "begin { $x = @m[5]; @m[1] = 2; $y = @s[\"k\"]; @s[\"kk\"] = \"v\"; $z = @t[1].0; "
     "@t[2] = (1, 2); print(($x, $y, $z)); }"},
    {"string_key_widening", "begin { @s[\"a\"] = 1; @s[\"abcdefghijklmnop\"] = 2; @s[comm]++; }"},
    {"many_maps",
     "begin { @a = 1; @b = 2; @c = 3; @d = 4; @e = 5; @f = 6; @g = 7; @h = 8; @i = 9; @j = 10; "
     "@k = 11; @l = 12; @m = 13; @n = 14; @o = 15; @p = 16; @q = 17; @r = 18; @s = 19; @t = 20; }"},
};
INSTANTIATE_TEST_SUITE_P(CodegenMaps, CodegenLoad, ::testing::ValuesIn(kMaps), test::CaseName());

// --- the object's shape --------------------------------------------------------------------------

TEST(CodegenObject, OneProgramPerAttachPoint) {
  const char *program = "begin { } tracepoint:syscalls:sys_enter_getpg* { @[probe] = count(); } "
                        "interval:s:1, profile:hz:99 { } end { }";
  SKIP_WITHOUT_TRACEFS(program);
  auto c = compile(program);
  ASSERT_TRUE(c->ok);
  Object obj;
  ASSERT_TRUE(obj.open(c->code.object)) << libbpf_log();
  const auto &programs = c->analysed->sema.resources.programs;
  // begin, two getpg* tracepoints, interval, profile, end.
  ASSERT_EQ(programs.size(), 6u);
  std::vector<std::string> names;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get()) {
    names.push_back(bpf_program__name(prog));
  }
  ASSERT_EQ(names.size(), programs.size());
  for (const ProbeProgram &p : programs) {
    bpf_program *found = bpf_object__find_program_by_name(obj.get(), p.function.c_str());
    ASSERT_NE(found, nullptr) << p.function << " for " << p.probe_name;
    bpf_prog_type expected =
        p.type == ast::ProbeType::Tracepoint
            ? (p.attach == AttachMechanism::RawTracepoint ? BPF_PROG_TYPE_RAW_TRACEPOINT
                                                          : BPF_PROG_TYPE_TRACEPOINT)
        : p.type == ast::ProbeType::Interval || p.type == ast::ProbeType::Profile
            ? BPF_PROG_TYPE_PERF_EVENT
            : BPF_PROG_TYPE_RAW_TRACEPOINT;
    EXPECT_EQ(bpf_program__type(found), expected) << p.probe_name;
  }
}

struct MapShape {
  const char *name; // the BPF map's name
  bpf_map_type type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries; // 0: not checked
};

void expect_map(bpf_object *obj, const MapShape &want) {
  bpf_map *m = bpf_object__find_map_by_name(obj, want.name);
  ASSERT_NE(m, nullptr) << "no map " << want.name;
  EXPECT_EQ(bpf_map__type(m), want.type) << want.name;
  EXPECT_EQ(bpf_map__key_size(m), want.key_size) << want.name;
  EXPECT_EQ(bpf_map__value_size(m), want.value_size) << want.name;
  if (want.max_entries) {
    EXPECT_EQ(bpf_map__max_entries(m), want.max_entries) << want.name;
  }
}

TEST(CodegenObject, ScryOwnMaps) {
  auto c = compile("begin { @x = 1; @y[1] = 2; printf(\"%s\\n\", comm); } end { }");
  ASSERT_TRUE(c->ok);
  Object obj;
  ASSERT_TRUE(obj.open(c->code.object)) << libbpf_log();
  expect_map(obj.get(), {kRingBufMap, BPF_MAP_TYPE_RINGBUF, 0, 0, 1u << 16});
  expect_map(obj.get(), {kStateMap, BPF_MAP_TYPE_ARRAY, 4, sizeof(RunState), 1});
  // One lost-event counter per program (begin and end).
  expect_map(obj.get(), {kLostMap, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2});
  // One failure counter per scry map.
  expect_map(obj.get(), {kMapErrorsMap, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2});
  // Scratch space: one region per program, each large enough for comm, within the 32 KiB a
  // per-CPU value may have.
  bpf_map *scratch = bpf_object__find_map_by_name(obj.get(), kScratchMap);
  ASSERT_NE(scratch, nullptr);
  EXPECT_EQ(bpf_map__type(scratch), BPF_MAP_TYPE_PERCPU_ARRAY);
  EXPECT_EQ(bpf_map__key_size(scratch), 4u);
  EXPECT_GE(bpf_map__value_size(scratch), 16u);
  EXPECT_LE(bpf_map__value_size(scratch), 32u * 1024);
  EXPECT_EQ(bpf_map__value_size(scratch) % 8, 0u);
  EXPECT_EQ(bpf_map__max_entries(scratch), 2u);
}

struct ScryMapCase {
  const char *name;
  const char *program; // defines exactly one map, @m
  bpf_map_type type;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t max_entries; // 0: not checked
};

class CodegenMapShape : public ::testing::TestWithParam<ScryMapCase> {};

TEST_P(CodegenMapShape, KindAndSizes) {
  const ScryMapCase &c = GetParam();
  auto compiled = compile(c.program);
  ASSERT_TRUE(compiled->ok);
  const auto &maps = compiled->analysed->sema.resources.maps;
  ASSERT_EQ(maps.size(), 1u);
  Object obj;
  ASSERT_TRUE(obj.open(compiled->code.object)) << libbpf_log();
  expect_map(obj.get(),
             {maps[0].bpf_name.c_str(), c.type, c.key_size, c.value_size, c.max_entries});
  // scry's five maps and this one, nothing else.
  size_t count = 0;
  bpf_map *m;
  bpf_object__for_each_map(m, obj.get()) {
    ++count;
  }
  EXPECT_EQ(count, 6u);
}

// clang-format off
const ScryMapCase kMapShapes[] = {
    {"scalar", "begin { @m = 1; }", BPF_MAP_TYPE_ARRAY, 4, 8, 1},
    {"int_key", "begin { @m[pid] = 1; }", BPF_MAP_TYPE_HASH, 8, 8, 4096},
    {"string_key_string_value", "begin { @m[comm] = comm; }", BPF_MAP_TYPE_HASH, 16, 16, 4096},
    {"tuple_key", "begin { @m[pid, comm] = 1; }", BPF_MAP_TYPE_HASH, 24, 8, 4096},
    {"tuple_value", "begin { @m = (1, \"ab\"); }", BPF_MAP_TYPE_ARRAY, 4, 16, 1},
    {"count", "begin { @m = count(); }", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1},
    {"count_keyed", "begin { @m[comm] = count(); }", BPF_MAP_TYPE_PERCPU_HASH, 16, 8, 4096},
    {"avg", "begin { @m[1] = avg(1); }", BPF_MAP_TYPE_PERCPU_HASH, 8, 16, 4096},
    {"stats", "begin { @m = stats(1); }", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 16, 1},
    {"hist", "begin { @m = hist(1); }", BPF_MAP_TYPE_PERCPU_HASH, 8, 8, 0},
    {"hist_keyed", "begin { @m[comm] = hist(1); }", BPF_MAP_TYPE_PERCPU_HASH, 24, 8, 0},
    {"lhist_keyed", "begin { @m[1] = lhist(1, 0, 10, 1); }", BPF_MAP_TYPE_PERCPU_HASH, 16, 8, 0},
    {"max_map_keys", "config = { max_map_keys = 100 } begin { @m[1] = 1; }", BPF_MAP_TYPE_HASH, 8,
     8, 100},
};
// clang-format on
INSTANTIATE_TEST_SUITE_P(CodegenMaps, CodegenMapShape, ::testing::ValuesIn(kMapShapes),
                         test::CaseName());

TEST(CodegenObject, ScratchGrowsWithMaxStrlen) {
  auto small = compile("config = { max_strlen = 64 } begin { $s = str(0); print($s); }");
  auto big = compile("config = { max_strlen = 512 } begin { $s = str(0); print($s); }");
  ASSERT_TRUE(small->ok && big->ok);
  Object a, b;
  ASSERT_TRUE(a.open(small->code.object) && b.open(big->code.object)) << libbpf_log();
  uint32_t small_size = bpf_map__value_size(bpf_object__find_map_by_name(a.get(), kScratchMap));
  uint32_t big_size = bpf_map__value_size(bpf_object__find_map_by_name(b.get(), kScratchMap));
  EXPECT_GE(small_size, 64u);
  EXPECT_GE(big_size, 512u);
  EXPECT_LT(small_size, big_size);
}

TEST(CodegenObject, ScratchPast32KiBIsAnArrayWithARegionPerCpu) {
  // Each str() result takes max_strlen bytes of scratch; 40 of them of 1 KiB exceed the 32 KiB
  // of a per-CPU map value.
  std::string program = "config = { max_strlen = 1024 } begin { printf(\"";
  for (int i = 0; i < 40; ++i)
    program += "%s";
  program += "\"";
  for (int i = 0; i < 40; ++i)
    program += ", str(" + std::to_string(i * 8) + ")";
  program += "); } end { print(str(0)); }";
  auto c = compile(program);
  ASSERT_TRUE(c->ok) << c->code.error;
  Object o;
  ASSERT_TRUE(o.open(c->code.object)) << libbpf_log();
  const bpf_map *scratch = bpf_object__find_map_by_name(o.get(), kScratchMap);
  EXPECT_EQ(bpf_map__type(scratch), BPF_MAP_TYPE_ARRAY);
  EXPECT_GE(bpf_map__value_size(scratch), 40u * 1024);
  EXPECT_EQ(bpf_map__max_entries(scratch), 2u * static_cast<uint32_t>(libbpf_num_possible_cpus()));
}

TEST(CodegenObject, ScratchPast1MiBIsACodegenError) {
  auto a = test::analyse_text(
      "config = { max_strlen = 600000 } begin { printf(\"%s %s\", str(0), str(8)); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  CodegenOptions options;
  CodegenResult r = generate(*a->parsed->program, a->sema, a->parsed->source, options);
  EXPECT_NE(r.error.find("bytes of scratch space; the limit is 1048576"), std::string::npos)
      << r.error;
  EXPECT_TRUE(r.object.empty());
}

} // namespace
} // namespace scry
