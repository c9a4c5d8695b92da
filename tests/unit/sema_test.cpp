// Tests src/sema/semantic_analyser: the type of every builtin and expression form, the C layout of
// tuples and records, what a program's maps become (key, value, BPF map kind and sizes), wildcard
// expansion, and every class of error by its code and source range (never by wording).
//
// Tracepoint cases read this machine's tracefs and skip without one; curtask reads vmlinux BTF.
#include "sema_test_util.h"

#include <algorithm>
#include <filesystem>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace scry {
namespace {

using test::analyse_text;
using test::Analysed;
using test::describe;
using test::DiagAt;
using test::DiagOn;
using test::PrintTo;

bool needs_tracefs(const std::string &program) {
  return program.find("tracepoint:") != std::string::npos;
}

#define SKIP_WITHOUT_TRACEFS(program)                                                              \
  do {                                                                                             \
    if (needs_tracefs(program) && test::tracefs_root().empty())                                    \
      GTEST_SKIP() << "this machine has no tracefs";                                               \
  } while (0)

/// The value of the last statement of the first probe's body, which must be an assignment.
const ast::Expression *last_assigned(const Analysed &a) {
  const auto &stmts = test::first_body(*a.parsed);
  auto *assign = stmts.empty() ? nullptr : dynamic_cast<ast::Assignment *>(stmts.back());
  if (!assign) {
    ADD_FAILURE() << "the program does not end with an assignment";
    return nullptr;
  }
  return assign->value;
}

/// The program's map named `name` ("@x"), or null with a test failure.
const MapInfo *map_named(const Analysed &a, const std::string &name) {
  for (const MapInfo &m : a.sema.resources.maps)
    if (m.name == name)
      return &m;
  ADD_FAILURE() << "no map " << name;
  return nullptr;
}

// --- the type of every expression ----------------------------------------------------------------

struct TypeCase {
  const char *name;
  const char *program; // ends with `$x = <the expression>;`
  const char *type;    // type_name() of the expression
};

class SemaExprType : public ::testing::TestWithParam<TypeCase> {};

TEST_P(SemaExprType, IsAsBpftraceSpellsIt) {
  const TypeCase &c = GetParam();
  SKIP_WITHOUT_TRACEFS(std::string(c.program));
  auto a = analyse_text(c.program);
  ASSERT_TRUE(a->ok) << c.program << describe(a->diags);
  const ast::Expression *e = last_assigned(*a);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(type_name(e->type), c.type) << c.program;
}

const TypeCase kBuiltinTypes[] = {
    {"pid", "begin { $x = pid; }", "uint32"},
    {"tid", "begin { $x = tid; }", "uint32"},
    {"uid", "begin { $x = uid; }", "uint32"},
    {"gid", "begin { $x = gid; }", "uint32"},
    {"cpu", "begin { $x = cpu; }", "uint32"},
    {"rand", "begin { $x = rand; }", "uint32"},
    {"comm", "begin { $x = comm; }", "string[16]"},
    {"nsecs", "begin { $x = nsecs; }", "uint64"},
    {"elapsed", "begin { $x = elapsed; }", "uint64"},
    {"jiffies", "begin { $x = jiffies; }", "uint64"},
    {"cgroup", "begin { $x = cgroup; }", "uint64"},
    {"curtask", "begin { $x = curtask; }", "struct task_struct *"},
    {"curtask_pid", "begin { $x = curtask->pid; }", "int32"},
    {"curtask_comm", "begin { $x = curtask->comm; }", "string[16]"},
    {"curtask_parent", "begin { $x = curtask->real_parent; }", "struct task_struct *"},
    {"curtask_parent_tgid", "begin { $x = curtask->real_parent->tgid; }", "int32"},
    {"curtask_dot", "begin { $x = curtask.pid; }", "int32"},
    {"probe_begin", "begin { $x = probe; }", "string[6]"},
    {"probe_tracepoint", "tracepoint:sched:sched_switch { $x = probe; }",
     "string[30]"}, // "tracepoint:sched:sched_switch" and a NUL
    {"positional_count", "begin { $x = $#; }", "int64"},
    {"openat_flags", "tracepoint:syscalls:sys_enter_openat { $x = args.flags; }",
     "int32"}, // the slot's low bytes: bpftrace says int64 (see tracepoint_format.cpp)
    {"switch_prev_comm", "tracepoint:sched:sched_switch { $x = args.prev_comm; }", "string[16]"},
    {"switch_prev_pid", "tracepoint:sched:sched_switch { $x = args.prev_pid; }", "int32"},
    {"switch_prev_state", "tracepoint:sched:sched_switch { $x = args.prev_state; }", "int64"},
    {"exec_pid", "tracepoint:sched:sched_process_exec { $x = args.pid; }", "int32"},
    {"str_of_user_pointer", "tracepoint:syscalls:sys_enter_openat { $x = str(args.filename); }",
     "string[1024]"},
    {"str_of_data_loc", "tracepoint:sched:sched_process_exec { $x = str(args.filename); }",
     "string[1024]"},
};
INSTANTIATE_TEST_SUITE_P(SemaBuiltins, SemaExprType, ::testing::ValuesIn(kBuiltinTypes),
                         test::CaseName());

const TypeCase kOperatorTypes[] = {
    // Integer literals are int64; arithmetic happens in 64 bits.
    {"literal", "begin { $x = 1; }", "int64"},
    {"int_plus_uint", "begin { $x = 1 + pid; }", "int64"},
    {"uint_plus_int", "begin { $x = pid + 1; }", "int64"},
    {"uint_plus_uint", "begin { $x = pid + nsecs; }", "uint64"},
    {"uint_times_uint", "begin { $x = pid * tid; }", "uint64"},
    {"uint_div_uint", "begin { $x = nsecs / 1000u; }", "uint64"},
    {"uint_minus_uint", "begin { $x = nsecs - nsecs; }", "int64"},
    {"uint_minus_int", "begin { $x = pid - 1; }", "int64"},
    {"small_casts", "begin { $x = (uint8)1 + (uint16)2; }", "uint64"},
    // A uint64 operand makes it unsigned, as C's usual arithmetic conversions do (the newest
    // bpftrace makes it signed: README, "Integer arithmetic"); a narrower one is promoted to
    // int64, as in the newest bpftrace.
    {"signed_cast", "begin { $x = (int8)1 * (uint64)2; }", "uint64"},
    {"signed_uint32", "begin { $x = (int8)1 * (uint32)2; }", "int64"},
    {"bit_and", "begin { $x = pid & tid; }", "uint64"},
    {"shift", "begin { $x = 1 << 4; }", "int64"},
    {"negate", "begin { $x = -pid; }", "int64"},
    {"bit_not_uint", "begin { $x = ~nsecs; }", "uint64"},
    {"logical_not", "begin { $x = !pid; }", "bool"},
    {"less", "begin { $x = pid < 10; }", "bool"},
    {"equal", "begin { $x = pid == tid; }", "bool"},
    {"string_equal", "begin { $x = comm == \"bash\"; }", "bool"},
    {"string_not_equal", "begin { $x = \"a\" != comm; }", "bool"},
    {"logical_and", "begin { $x = pid && tid; }", "bool"},
    {"logical_or", "begin { $x = pid > 1 || 0; }", "bool"},
    {"true", "begin { $x = true; }", "bool"},
    {"ternary_ints", "begin { $x = pid ? 1 : 2; }", "int64"},
    {"ternary_strings_widen", "begin { $x = pid ? \"a\" : \"abcd\"; }", "string[5]"},
    {"ternary_comm", "begin { $x = pid ? comm : \"x\"; }", "string[16]"},
    {"cast_uint8", "begin { $x = (uint8)300; }", "uint8"},
    {"cast_int16", "begin { $x = (int16)nsecs; }", "int16"},
    {"cast_pointer", "begin { $x = (struct task_struct *)curtask; }", "struct task_struct *"},
    {"deref", "begin { $x = *(uint32 *)curtask; }", "uint32"},
    {"string_index", "begin { $x = comm[0]; }", "int8"},
    {"sizeof_int", "begin { $x = sizeof(uint16); }", "uint64"},
    {"offsetof", "begin { $x = offsetof(struct task_struct, pid); }", "uint64"},
    {"block_expr", "begin { $x = { let $y = 1; $y + 1 }; }", "int64"},
    {"variable", "begin { $y = comm; $x = $y; }", "string[16]"},
    {"map_read", "begin { @m = 1; $x = @m; }", "int64"},
    {"count_read", "begin { @c = count(); $x = @c; }", "uint64"},
    {"sum_read", "begin { @s = sum(1); $x = @s; }", "int64"},
    {"min_read", "begin { @s = min(1); $x = @s; }", "int64"},
    {"max_read", "begin { @s = max(1); $x = @s; }", "int64"},
    {"avg_read", "begin { @s = avg(1); $x = @s; }", "int64"},
    {"has_key", "begin { @m[1] = 1; $x = has_key(@m, 1); }", "bool"},
    {"len", "begin { @m[1] = 1; $x = len(@m); }", "int64"},
    {"delete", "begin { @m[1] = 1; $x = delete(@m, 1); }", "bool"},
    {"tuple_index", "begin { $t = (1, \"ab\"); $x = $t.1; }", "string[3]"},
    {"record_field", "begin { $r = (a = 1, b = comm); $x = $r.b; }", "string[16]"},
    {"post_increment", "begin { $i = 1; $x = $i++; }", "int64"},
    {"positional_number", "begin { $x = $1; }", "int64"}, // unset: 0
};
INSTANTIATE_TEST_SUITE_P(SemaOperators, SemaExprType, ::testing::ValuesIn(kOperatorTypes),
                         test::CaseName());

const TypeCase kStringSizes[] = {
    // A literal holds its characters and a NUL.
    {"empty_literal", "begin { $x = \"\"; }", "string[1]"},
    {"literal", "begin { $x = \"hello\"; }", "string[6]"},
    {"escape", "begin { $x = \"a\\n\"; }", "string[3]"},
    // str() reads up to max_strlen bytes, or up to its length argument, NUL included.
    {"str_default", "begin { $x = str(0); }", "string[1024]"},
    {"str_length", "begin { $x = str(0, 8); }", "string[8]"},
    {"str_length_capped", "begin { $x = str(0, 5000); }", "string[1024]"},
    {"str_config", "config = { max_strlen = 64 } begin { $x = str(0); }", "string[64]"},
    {"str_config_bpftrace_name", "config = { BPFTRACE_MAX_STRLEN = 32 } begin { $x = str(0); }",
     "string[32]"},
    {"str_of_string", "begin { $x = str(comm); }", "string[16]"},
    // A variable holds the largest string assigned to it.
    {"variable_widens", "begin { $y = \"a\"; $y = \"abcd\"; $x = $y; }", "string[5]"},
    {"tuple_variable_widens", "begin { $t = (1, \"a\"); $t = (2, \"abcd\"); $x = $t; }",
     "(int64,string[5])"},
    {"record_variable_widens",
     "begin { $r = (a = 1, b = \"x\"); $r = (a = 2, b = \"yyyy\"); $x = $r; }",
     "record(a=int64,b=string[5])"},
};
INSTANTIATE_TEST_SUITE_P(SemaStrings, SemaExprType, ::testing::ValuesIn(kStringSizes),
                         test::CaseName());

// Tracepoint pointers know which memory they point into: syscall arguments are user addresses,
// a __data_loc string is in the kernel's trace record.
TEST(SemaTracepointArgs, PointersCarryTheirAddressSpace) {
  SKIP_WITHOUT_TRACEFS(std::string("tracepoint:"));
  struct {
    const char *program;
    AddressSpace space;
  } cases[] = {
      {"tracepoint:syscalls:sys_enter_openat { $x = args.filename; }", AddressSpace::User},
      {"tracepoint:sched:sched_process_exec { $x = args.filename; }", AddressSpace::Kernel},
  };
  for (const auto &c : cases) {
    auto a = analyse_text(c.program);
    ASSERT_TRUE(a->ok) << c.program << describe(a->diags);
    const ast::Expression *e = last_assigned(*a);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type.kind, TypeKind::Pointer) << c.program << ": " << type_name(e->type);
    EXPECT_EQ(e->type.address_space, c.space) << c.program;
    ASSERT_TRUE(e->type.elem) << c.program;
    EXPECT_EQ(e->type.elem->size, 1u) << c.program << ": points to " << type_name(*e->type.elem);
  }
}

TEST(SemaBuiltins, CurtaskIsAKernelPointerWithItsBtfId) {
  auto a = analyse_text("begin { $x = curtask; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  const ast::Expression *e = last_assigned(*a);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->type.address_space, AddressSpace::Kernel);
  ASSERT_TRUE(e->type.elem);
  EXPECT_GT(e->type.elem->btf_id, 0);
  EXPECT_GT(e->type.elem->size, 1000u); // a task_struct is several kilobytes
}

TEST(SemaBuiltins, CpidNeedsAChildAndIsUint32) {
  auto a = analyse_text("begin { $x = cpid; }", {}, /*has_child=*/true);
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(type_name(last_assigned(*a)->type), "uint32");
}

TEST(SemaBuiltins, PositionalParametersAreNumbersOrStrings) {
  auto a = analyse_text("begin { $n = $1; $x = $2; }", {"42", "hello"});
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(type_name(last_assigned(*a)->type), "string[6]");
  EXPECT_EQ(a->sema.positional_count, 2u);
}

// sizeof and offsetof are folded by sema: the value is in the node.
TEST(SemaConstants, SizeofAndOffsetof) {
  struct {
    const char *program;
    uint64_t value;
  } cases[] = {
      {"begin { $x = sizeof(uint16); }", 2},
      {"begin { $x = sizeof(int8[4]); }", 4},
      {"begin { $x = sizeof(comm); }", 16},
      {"begin { $x = sizeof(pid); }", 4},
      {"begin { $x = sizeof((1, \"ab\")); }", 16},
      {"begin { $x = sizeof(struct task_struct *); }", 8},
      {"begin { $r = (a = (uint8)1, b = 2); $x = offsetof($r, b); }", 8},
      {"begin { $x = offsetof(struct list_head, prev); }", 8},
  };
  for (const auto &c : cases) {
    auto a = analyse_text(c.program);
    ASSERT_TRUE(a->ok) << c.program << describe(a->diags);
    const ast::Expression *e = last_assigned(*a);
    uint64_t value = 0;
    if (auto *s = dynamic_cast<const ast::Sizeof *>(e))
      value = s->value;
    else if (auto *o = dynamic_cast<const ast::Offsetof *>(e))
      value = o->value;
    else
      ADD_FAILURE() << c.program << ": not a sizeof or offsetof";
    EXPECT_EQ(value, c.value) << c.program;
    EXPECT_EQ(type_name(e->type), "uint64") << c.program;
  }
}

// --- tuples and records: C struct layout ---------------------------------------------------------

struct LayoutCase {
  const char *name;
  const char *program; // ends with `$x = <tuple or record>;`
  uint32_t size;
  uint32_t align;
  std::vector<uint32_t> offsets;
};

class SemaLayout : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(SemaLayout, PartsSitAtTheirNaturalAlignment) {
  const LayoutCase &c = GetParam();
  auto a = analyse_text(c.program);
  ASSERT_TRUE(a->ok) << c.program << describe(a->diags);
  const ast::Expression *e = last_assigned(*a);
  ASSERT_NE(e, nullptr);
  const Type &t = e->type;
  ASSERT_TRUE(t.fields) << type_name(t);
  std::vector<uint32_t> offsets;
  for (const Field &f : *t.fields)
    offsets.push_back(f.offset);
  EXPECT_EQ(offsets, c.offsets) << type_name(t);
  EXPECT_EQ(t.size, c.size) << type_name(t);
  EXPECT_EQ(t.align, c.align) << type_name(t);
}

const LayoutCase kLayouts[] = {
    {"ints", "begin { $x = (1, 2); }", 16, 8, {0, 8}},
    {"string_then_int", "begin { $x = (\"ab\", 1); }", 16, 8, {0, 8}},
    {"int_then_string", "begin { $x = (1, \"ab\"); }", 16, 8, {0, 8}},
    {"small_ints_pack", "begin { $x = ((uint8)1, (uint16)2, (uint32)3); }", 8, 4, {0, 2, 4}},
    {"padding_after_byte", "begin { $x = ((uint8)1, (uint32)2, (uint8)3); }", 12, 4, {0, 4, 8}},
    {"comm_pid", "begin { $x = (comm, pid); }", 20, 4, {0, 16}},
    {"bool_int", "begin { $x = (true, (int16)1); }", 4, 2, {0, 2}},
    {"nested_tuple", "begin { $x = ((uint8)1, ((uint32)2, (uint8)3)); }", 12, 4, {0, 4}},
    {"only_strings", "begin { $x = (\"a\", \"bcd\"); }", 6, 1, {0, 2}},
    {"record", "begin { $x = (a = (uint8)1, b = 2, c = \"xy\"); }", 24, 8, {0, 8, 16}},
    {"record_comm", "begin { $x = (name = comm, id = tid); }", 20, 4, {0, 16}},
};
INSTANTIATE_TEST_SUITE_P(SemaTuples, SemaLayout, ::testing::ValuesIn(kLayouts), test::CaseName());

TEST(SemaTuples, ElementTypesAreKeptAndNamed) {
  auto a = analyse_text("begin { $x = (1, \"ab\", comm, (uint8)1); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(type_name(last_assigned(*a)->type), "(int64,string[3],string[16],uint8)");
}

// --- maps ----------------------------------------------------------------------------------------

struct MapCase {
  const char *name;
  const char *program;
  const char *map;
  const char *key;   // type_name of the user key ("none" without keys)
  const char *value; // type_name of the value
  bool per_cpu;
  bool is_array;
  bool has_bucket_key;
  uint32_t bpf_key_size;
  uint32_t bpf_value_size;
};

class SemaMap : public ::testing::TestWithParam<MapCase> {};

TEST_P(SemaMap, KeyValueAndBpfLayout) {
  const MapCase &c = GetParam();
  auto a = analyse_text(c.program);
  ASSERT_TRUE(a->ok) << c.program << describe(a->diags);
  const MapInfo *m = map_named(*a, c.map);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(type_name(m->key), c.key);
  EXPECT_EQ(type_name(m->value), c.value);
  EXPECT_EQ(m->per_cpu, c.per_cpu);
  EXPECT_EQ(m->is_array, c.is_array);
  EXPECT_EQ(m->has_bucket_key, c.has_bucket_key);
  EXPECT_EQ(m->bpf_key_size, c.bpf_key_size);
  EXPECT_EQ(m->bpf_value_size, c.bpf_value_size);
  EXPECT_GT(m->max_entries, 0u);
  EXPECT_FALSE(m->bpf_name.empty());
  EXPECT_LE(m->bpf_name.size(), 15u) << m->bpf_name; // the kernel keeps 15 characters
}

const MapCase kMaps[] = {
    // Values: integers widen to 64 bits; strings, tuples and records keep their layout.
    {"scalar", "begin { @x = 1; }", "@x", "none", "int64", false, true, false, 4, 8},
    {"unsigned", "begin { @x = pid; }", "@x", "none", "uint64", false, true, false, 4, 8},
    {"bool", "begin { @x = true; }", "@x", "none", "bool", false, true, false, 4, 8},
    {"string_value", "begin { @x[1] = comm; }", "@x", "int64", "string[16]", false, false, false, 8,
     16},
    {"tuple_value", "begin { @x = (1, \"ab\"); }", "@x", "none", "(int64,string[3])", false, true,
     false, 4, 16},
    {"value_widens_to_64", "begin { @x = (uint8)1; @x = (uint32)2; }", "@x", "none", "uint64",
     false, true, false, 4, 8},
    {"string_value_widens", "begin { @x[1] = \"a\"; @x[2] = \"abcdefghij\"; }", "@x", "int64",
     "string[11]", false, false, false, 8, 16},
    // Keys.
    {"int_key", "begin { @x[pid] = 1; }", "@x", "uint64", "int64", false, false, false, 8, 8},
    {"string_key", "begin { @x[comm] = 1; }", "@x", "string[16]", "int64", false, false, false, 16,
     8},
    {"short_string_key", "begin { @x[\"ab\"] = 1; }", "@x", "string[3]", "int64", false, false,
     false, 8, 8},
    {"string_key_widens", "begin { @x[\"a\"] = 1; @x[\"abcdefghij\"] = 2; }", "@x", "string[11]",
     "int64", false, false, false, 16, 8},
    {"two_keys_make_a_tuple", "begin { @x[pid, comm] = 1; }", "@x", "(uint64,string[16])", "int64",
     false, false, false, 24, 8},
    {"three_keys", "begin { @x[1, \"a\", 2] = 1; }", "@x", "(int64,string[2],int64)", "int64",
     false, false, false, 24, 8},
    {"tuple_key", "begin { @x[(1, 2)] = 1; }", "@x", "(int64,int64)", "int64", false, false, false,
     16, 8},
    // Aggregations: per-CPU; a map without keys is a one-entry array.
    {"count", "begin { @c = count(); }", "@c", "none", "count_t", true, true, false, 4, 8},
    {"count_keyed", "begin { @c[comm] = count(); }", "@c", "string[16]", "count_t", true, false,
     false, 16, 8},
    {"sum", "begin { @s = sum(5); }", "@s", "none", "sum_t", true, true, false, 4, 8},
    {"min", "begin { @s = min(5); }", "@s", "none", "min_t", true, true, false, 4, 16},
    {"max", "begin { @s[1] = max(5); }", "@s", "int64", "max_t", true, false, false, 8, 16},
    {"avg", "begin { @s = avg(5); }", "@s", "none", "avg_t", true, true, false, 4, 16},
    {"stats", "begin { @s = stats(5); }", "@s", "none", "stats_t", true, true, false, 4, 16},
    // hist and lhist: the BPF key is the user key and a u64 bucket index; the value a u64 count.
    {"hist", "begin { @h = hist(5); }", "@h", "none", "hist_t", true, false, true, 8, 8},
    {"hist_keyed", "begin { @h[comm] = hist(5); }", "@h", "string[16]", "hist_t", true, false, true,
     24, 8},
    {"hist_string_key_padded", "begin { @h[\"abc\"] = hist(5); }", "@h", "string[4]", "hist_t",
     true, false, true, 16, 8},
    {"lhist", "begin { @l = lhist(5, 0, 100, 10); }", "@l", "none", "lhist_t", true, false, true, 8,
     8},
    {"lhist_keyed", "begin { @l[pid] = lhist(5, 0, 100, 10); }", "@l", "uint64", "lhist_t", true,
     false, true, 16, 8},
    // Compound assignment and ++ on a plain map.
    {"increment", "begin { @i++; }", "@i", "none", "int64", false, true, false, 4, 8},
    {"compound", "begin { @i[1] += 5; }", "@i", "int64", "int64", false, false, false, 8, 8},
};
INSTANTIATE_TEST_SUITE_P(SemaMaps, SemaMap, ::testing::ValuesIn(kMaps), test::CaseName());

TEST(SemaMaps, AggregationParameters) {
  auto a = analyse_text("begin { @h = hist(1); @h3 = hist(1, 3); @l = lhist(1, 10, 200, 5); "
                        "@su = sum(pid); @ss = sum(-1); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  const MapInfo *h = map_named(*a, "@h"), *h3 = map_named(*a, "@h3"), *l = map_named(*a, "@l");
  const MapInfo *su = map_named(*a, "@su"), *ss = map_named(*a, "@ss");
  ASSERT_TRUE(h && h3 && l && su && ss);
  EXPECT_EQ(h->value.hist_bits, 0);
  EXPECT_EQ(h3->value.hist_bits, 3);
  EXPECT_EQ(l->value.lhist_min, 10);
  EXPECT_EQ(l->value.lhist_max, 200);
  EXPECT_EQ(l->value.lhist_step, 5);
  // sum() of an unsigned value is unsigned.
  EXPECT_FALSE(su->value.is_signed);
  EXPECT_TRUE(ss->value.is_signed);
}

TEST(SemaMaps, ConfigMaxMapKeysSetsMaxEntries) {
  auto a = analyse_text("config = { max_map_keys = 128 } begin { @x[1] = 1; @y = 1; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(map_named(*a, "@x")->max_entries, 128u);
  EXPECT_EQ(map_named(*a, "@y")->max_entries, 1u); // a one-entry array
  EXPECT_EQ(a->sema.resources.max_map_keys, 128u);
}

TEST(SemaMaps, ReadBeforeTheAssigningProbeIsTyped) {
  // The first walk learns @x's type from the end probe, so begin can read it.
  auto a = analyse_text("begin { $x = @x[\"k\"]; } end { @x[\"key\"] = comm; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(type_name(last_assigned(*a)->type), "string[16]");
  ASSERT_EQ(a->sema.resources.maps.size(), 1u);
  EXPECT_EQ(type_name(a->sema.resources.maps[0].key), "string[4]");
}

TEST(SemaMaps, BpfNamesAreDistinct) {
  auto a = analyse_text("begin { @a_very_long_map_name_1 = 1; @a_very_long_map_name_2 = 2; "
                        "@ = 3; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  std::vector<std::string> names;
  for (const MapInfo &m : a->sema.resources.maps)
    names.push_back(m.bpf_name);
  ASSERT_EQ(names.size(), 3u);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

// --- variables -----------------------------------------------------------------------------------

TEST(SemaVariables, TypesAfterEveryAssignment) {
  auto a = analyse_text("begin { $i = 1; $u = nsecs; $s = \"a\"; $s = comm; $t = (1, \"x\"); "
                        "$b = pid > 1; let $p: struct task_struct *; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  std::map<std::string, std::string> types;
  for (const VariableInfo &v : a->sema.variables)
    types[v.name] = type_name(v.type);
  EXPECT_EQ(types["i"], "int64");
  EXPECT_EQ(types["u"], "uint64");
  EXPECT_EQ(types["s"], "string[16]");
  EXPECT_EQ(types["t"], "(int64,string[2])");
  EXPECT_EQ(types["b"], "bool");
  EXPECT_EQ(types["p"], "struct task_struct *");
}

TEST(SemaVariables, DeclaredTypeIsKept) {
  // As in bpftrace: `let $d: uint16` holds 2 bytes, so sizeof($d) is 2 and $d wraps at 65536.
  auto a = analyse_text("begin { let $d: uint16 = 2; let $e: int8; $x = sizeof($d); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  ASSERT_EQ(a->sema.variables.size(), 3u);
  EXPECT_EQ(type_name(a->sema.variables[0].type), "uint16");
  EXPECT_EQ(type_name(a->sema.variables[1].type), "int8");
  auto *size = dynamic_cast<const ast::Sizeof *>(last_assigned(*a));
  ASSERT_NE(size, nullptr);
  EXPECT_EQ(size->value, 2u);
}

TEST(SemaVariables, EachProbeAndLetBlockHasItsOwnScope) {
  // Each probe has its own $x; a `let` inside a block ends with it, so a later $x is another
  // variable.
  auto a = analyse_text("begin { $x = 1; } end { $x = \"s\"; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  auto b = analyse_text("begin { if (pid) { let $x = \"s\"; } $x = 1; $y = $x; }");
  ASSERT_TRUE(b->ok) << describe(b->diags);
  EXPECT_EQ(type_name(last_assigned(*b)->type), "int64");
}

// What bpftrace allows of declaring a name again (its VariablePreCheck): reassignment, sibling
// blocks, loops one after the other, and each macro expansion's own variables.
TEST(SemaVariables, DeclaringANameAgainWhereBpftraceAllowsIt) {
  for (const char *program : {
           "begin { $x = 1; $x = 2; }",
           "begin { let $x = 1; $x = 2; }",
           "begin { let $x = 1; } end { let $x = 2; }",
           "begin { if (pid) { let $y = 1; } else { let $y = 2; } }",
           "begin { { let $y = 1; } { let $y = 2; } }",
           "begin { if (pid) { let $y = 1; } let $y = 2; }",
           "begin { if (pid) { $y = 1; } let $y = 2; }",
           "begin { for ($i : 0..2) { } for ($i : 0..3) { } }",
           "begin { $x = 5; for ($i : 1..10) { print($i); } }",
           // A macro's own variables are renamed per expansion (x#N): two expansions in one
           // scope, or inside a caller's loop of the same name, declare nothing twice.
           "macro sq(v) { let $t = v; $t * $t } begin { let $t = 1; $a = sq(2) + sq(3); }",
           "macro sum3() { let $s = 0; for ($i : 0..3) { $s += $i; } $s }"
           " begin { for ($i : 0..2) { $u = sum3(); } }",
       }) {
    auto a = analyse_text(program);
    EXPECT_TRUE(a->ok) << program << describe(a->diags);
  }
}

TEST(SemaVariables, ForRangeVariableIsInt64) {
  auto a = analyse_text("begin { for ($i : 0..5) { $x = $i; } }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  bool found = false;
  for (const VariableInfo &v : a->sema.variables)
    if (v.name == "i") {
      EXPECT_EQ(type_name(v.type), "int64");
      found = true;
    }
  EXPECT_TRUE(found);
}

// --- probes --------------------------------------------------------------------------------------

std::vector<std::string> tracefs_events(const std::string &category, const std::string &prefix) {
  std::vector<std::string> out;
  for (const auto &e :
       std::filesystem::directory_iterator(test::tracefs_root() + "/events/" + category)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && name.rfind(prefix, 0) == 0)
      out.push_back("tracepoint:" + category + ":" + name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SemaProbes, WildcardExpandsToEveryMatchingTracepoint) {
  SKIP_WITHOUT_TRACEFS(std::string("tracepoint:"));
  auto a = analyse_text("tracepoint:syscalls:sys_enter_getpg* { @[probe] = count(); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  std::vector<std::string> names;
  for (const ProbeProgram &p : a->sema.resources.programs) {
    names.push_back(p.probe_name);
    EXPECT_EQ(p.type, ast::ProbeType::Tracepoint);
  }
  std::vector<std::string> expected = tracefs_events("syscalls", "sys_enter_getpg");
  ASSERT_FALSE(expected.empty());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, expected); // sys_enter_getpgid and sys_enter_getpgrp, not sys_exit_*
  ASSERT_EQ(a->sema.tracepoint_formats.size(), names.size());
  for (const auto &f : a->sema.tracepoint_formats)
    EXPECT_TRUE(f != nullptr);
  // `probe` holds the longest name.
  EXPECT_EQ(a->sema.resources.maps[0].key.size, expected.back().size() + 1);
}

TEST(SemaProbes, OneProgramPerAttachPointWithDistinctFunctions) {
  SKIP_WITHOUT_TRACEFS(std::string("tracepoint:"));
  auto a = analyse_text("begin { } tracepoint:sched:sched_switch, tracepoint:sched:sched_wakeup "
                        "{ } interval:s:1 { } end { } begin { }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  std::vector<std::string> names, functions;
  for (const ProbeProgram &p : a->sema.resources.programs)
    names.push_back(p.probe_name), functions.push_back(p.function);
  EXPECT_EQ(names, (std::vector<std::string>{"begin", "tracepoint:sched:sched_switch",
                                             "tracepoint:sched:sched_wakeup", "interval:s:1", "end",
                                             "begin"}));
  std::sort(functions.begin(), functions.end());
  EXPECT_EQ(std::unique(functions.begin(), functions.end()), functions.end());
  // begin probes keep their declaration order.
  EXPECT_LT(a->sema.resources.programs[0].order, a->sema.resources.programs[5].order);
}

TEST(SemaProbes, WildcardArgsMustExistInEveryMatch) {
  SKIP_WITHOUT_TRACEFS(std::string("tracepoint:"));
  // Both getpg* enter tracepoints have __syscall_nr; only getpgid has pid.
  auto a = analyse_text("tracepoint:syscalls:sys_enter_getpg* { $x = args.__syscall_nr; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(type_name(last_assigned(*a)->type), "int32");
  const std::string program = "tracepoint:syscalls:sys_enter_getpg* { $x = args.pid; }";
  auto b = analyse_text(program);
  EXPECT_FALSE(b->ok);
  EXPECT_EQ(test::diags_of(b->diags),
            std::vector<DiagAt>{test::diag_on(program, {DiagCode::UnknownField, "args.pid"})})
      << describe(b->diags);
}

// --- printf and other resources ------------------------------------------------------------------

TEST(SemaResources, PrintfArgumentsAreLaidOutAsATuple) {
  auto a = analyse_text("begin { printf(\"%d %s %u\\n\", 1, comm, (uint8)3); printf(\"x\\n\"); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  ASSERT_EQ(a->sema.resources.printfs.size(), 2u);
  const PrintfInfo &p = a->sema.resources.printfs[0];
  EXPECT_EQ(p.format, "%d %s %u\n");
  EXPECT_EQ(type_name(p.args), "(int64,string[16],uint8)");
  EXPECT_EQ(p.args.size, 32u);
  EXPECT_EQ(a->sema.resources.printfs[1].args.fields->size(), 0u);
}

TEST(SemaResources, TimeFormatsAndPrintValues) {
  auto a = analyse_text("begin { time(); time(\"%H\\n\"); print(comm); print((1, 2)); }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(a->sema.resources.time_formats, (std::vector<std::string>{"%H:%M:%S\n", "%H\n"}));
  ASSERT_EQ(a->sema.resources.print_values.size(), 2u);
  EXPECT_EQ(type_name(a->sema.resources.print_values[0]), "string[16]");
  EXPECT_EQ(type_name(a->sema.resources.print_values[1]), "(int64,int64)");
}

// --- errors: code and location -------------------------------------------------------------------

struct ErrorCase {
  const char *name;
  const char *program;
  std::vector<DiagOn> expected; // every diagnostic, in order
  std::vector<std::string> params = {};
};

class SemaError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SemaError, CodeAndLocation) {
  const ErrorCase &c = GetParam();
  SKIP_WITHOUT_TRACEFS(std::string(c.program));
  auto a = analyse_text(c.program, c.params);
  EXPECT_FALSE(a->ok) << c.program;
  std::vector<DiagAt> expected;
  for (const DiagOn &on : c.expected)
    expected.push_back(test::diag_on(c.program, on));
  EXPECT_EQ(test::diags_of(a->diags), expected) << c.program << describe(a->diags);
}

using C = DiagCode;

const ErrorCase kErrors[] = {
    // Names.
    {"unknown_identifier", "begin { $x = pdi; }", {{C::UnknownIdentifier, "pdi"}}},
    {"unknown_function", "begin { fooo(1); }", {{C::UnknownFunction, "fooo(1)"}}},
    {"unsupported_function",
     "begin { @p = unwatch(0x1000); }",
     {{C::NotSupported, "unwatch(0x1000)"}}},
    {"signal_without_unsafe",
     "begin { signal(\"KILL\"); }",
     {{C::UnsafeProbe, "signal(\"KILL\")"}}},
    {"unsafe_function", "begin { system(\"ls\"); }", {{C::UnsafeProbe, "system(\"ls\")"}}},
    {"undefined_variable", "begin { $x = $y + 1; }", {{C::UndefinedVariable, "$y"}}},
    {"undefined_variable_compound", "begin { $y += 1; }", {{C::UndefinedVariable, "$y"}}},
    {"map_never_assigned", "begin { $x = @nope; }", {{C::InvalidMapUse, "@nope"}}},
    // Argument counts and types.
    {"count_with_argument", "begin { @x = count(1); }", {{C::WrongArgumentCount, "count(1)"}}},
    {"sum_without_argument", "begin { @x = sum(); }", {{C::WrongArgumentCount, "sum()"}}},
    {"lhist_three_arguments",
     "begin { @x = lhist(1, 0, 10); }",
     {{C::WrongArgumentCount, "lhist(1, 0, 10)"}}},
    {"exit_two_arguments", "begin { exit(1, 2); }", {{C::WrongArgumentCount, "exit(1, 2)"}}},
    {"str_no_argument", "begin { $s = str(); }", {{C::WrongArgumentCount, "str()"}}},
    {"has_key_one_argument",
     "begin { @m[1] = 1; $x = has_key(@m); }",
     {{C::MacroArgument, "has_key(@m)"}}}, // has_key is a stdlib macro
    {"printf_no_format", "begin { printf(); }", {{C::WrongArgumentCount, "printf()"}}},
    {"sum_of_string", "begin { @x = sum(\"a\"); }", {{C::WrongArgumentType, "\"a\""}}},
    {"hist_of_string", "begin { @x = hist(comm); }", {{C::WrongArgumentType, "comm"}}},
    {"exit_string", "begin { exit(\"a\"); }", {{C::WrongArgumentType, "\"a\""}}},
    {"str_of_tuple", "begin { $s = str((1, 2)); }", {{C::WrongArgumentType, "(1, 2)"}}},
    {"clear_not_a_map", "begin { clear(1); }", {{C::WrongArgumentType, "1"}}},
    {"len_of_hist", "begin { @h = hist(1); $n = len(@h); }", {{C::WrongArgumentType, "@h", 1}}},
    {"string_condition", "begin { if (comm) { } }", {{C::WrongArgumentType, "comm", 0}}},
    {"range_bound_string", "begin { for ($i : 0..comm) { } }", {{C::WrongArgumentType, "comm"}}},
    // printf: the offending argument.
    {"printf_too_many_arguments",
     "begin { printf(\"%d\\n\", 1, 22); }",
     {{C::InvalidPrintfFormat, "22"}}},
    {"printf_too_few_arguments",
     "begin { printf(\"%d %d\\n\", 1); }",
     {{C::InvalidPrintfFormat, "printf(\"%d %d\\n\", 1)"}}},
    {"printf_hist_for_string",
     "begin { @h = hist(1); printf(\"%s\\n\", @h); }",
     {{C::InvalidMapUse, "@h", 1}}},
    {"printf_string_for_int",
     "begin { printf(\"%s %d\\n\", comm, comm); }",
     {{C::InvalidPrintfFormat, "comm", 1}}},
    {"printf_format_not_literal", "begin { printf(comm); }", {{C::ConstantRequired, "comm"}}},
    // Builtins where they do not exist.
    {"args_in_begin", "begin { $x = args; }", {{C::BuiltinNotAvailable, "args"}}},
    {"args_field_in_begin",
     "begin { $x = args.filename; }",
     {{C::BuiltinNotAvailable, "args.filename"}}},
    {"args_in_begin_and_tracepoint",
     "begin, tracepoint:sched:sched_switch { $x = args.prev_pid; }",
     {{C::BuiltinNotAvailable, "args.prev_pid"}}},
    {"args_in_interval", "interval:s:1 { $x = args.x; }", {{C::BuiltinNotAvailable, "args.x"}}},
    {"retval_in_tracepoint",
     "tracepoint:syscalls:sys_exit_read { $x = retval; }",
     {{C::BuiltinNotAvailable, "retval"}}},
    {"arg0_in_begin", "begin { $x = arg0; }", {{C::BuiltinNotAvailable, "arg0"}}},
    // Tracepoints and their fields.
    {"unknown_tracepoint",
     "tracepoint:syscalls:sys_enter_opnat { }",
     {{C::UnknownTracepoint, "tracepoint:syscalls:sys_enter_opnat"}}},
    {"wildcard_matches_nothing",
     "tracepoint:syscalls:nothing_here* { }",
     {{C::UnknownTracepoint, "tracepoint:syscalls:nothing_here*"}}},
    {"unknown_field",
     "tracepoint:syscalls:sys_enter_openat { $x = args.nope; }",
     {{C::UnknownField, "args.nope"}}},
    {"common_field_hidden",
     "tracepoint:syscalls:sys_enter_openat { $x = args.common_pid; }",
     {{C::UnknownField, "args.common_pid"}}},
    {"unknown_struct_field", "begin { $x = curtask->nope; }", {{C::UnknownField, "curtask->nope"}}},
    {"unknown_tuple_field", "begin { $r = (a = 1); $x = $r.b; }", {{C::UnknownField, "$r.b"}}},
    {"array_index_out_of_bounds", "begin { $x = curtask->comm[20]; }", {{C::InvalidOperand, "20"}}},
    {"unknown_struct",
     "begin { $x = (struct no_such_struct *)0; }",
     {{C::UnknownType, "struct no_such_struct *"}}},
    // Maps: conflicts are reported at the second use.
    {"map_value_conflict", "begin { @x = 1; @x = \"a\"; }", {{C::TypeMismatch, "@x = \"a\""}}},
    {"map_key_conflict", "begin { @x[1] = 1; @x[\"a\"] = 2; }", {{C::TypeMismatch, "\"a\""}}},
    {"map_key_count_conflict", "begin { @x[1, 2] = 1; @x[3] = 2; }", {{C::TypeMismatch, "3"}}},
    {"map_keyed_and_not", "begin { @x[1] = 1; @x = 2; }", {{C::TypeMismatch, "@x = 2"}}},
    {"map_value_conflict_across_probes",
     "begin { @x = comm; } end { @x = 1; }",
     {{C::TypeMismatch, "@x = 1"}}},
    {"map_aggregation_conflict",
     "begin { @x = count(); @x = sum(1); }",
     {{C::TypeMismatch, "@x = sum(1)"}}},
    {"hist_bits_conflict",
     "begin { @x = hist(1); @x = hist(1, 2); }",
     {{C::TypeMismatch, "@x = hist(1, 2)"}}},
    {"read_with_wrong_key", "begin { @x[1] = 1; $y = @x[\"a\"]; }", {{C::TypeMismatch, "\"a\""}}},
    {"read_keyed_map_without_key", "begin { @x[1] = 1; $y = @x; }", {{C::InvalidMapUse, "@x", 1}}},
    {"read_with_key_from_unkeyed", "begin { @x = 1; $y = @x[1]; }", {{C::InvalidMapUse, "1", 1}}},
    // Variables.
    {"variable_conflict", "begin { $x = 1; $x = \"a\"; }", {{C::TypeMismatch, "\"a\""}}},
    {"variable_tuple_conflict",
     "begin { $x = (1, 2); $x = (1, \"a\"); }",
     {{C::TypeMismatch, "(1, \"a\")"}}},
    {"let_init_conflict", "begin { let $x: uint8 = \"a\"; }", {{C::TypeMismatch, "\"a\""}}},
    {"void_value", "begin { $x = printf(\"a\"); }", {{C::TypeMismatch, "printf(\"a\")"}}},
    // Aggregations outside a map assignment, and reads of hist/lhist/stats.
    {"aggregation_in_variable", "begin { $x = count(); }", {{C::InvalidMapUse, "count()"}}},
    {"aggregation_in_expression", "begin { @x = count() + 1; }", {{C::InvalidMapUse, "count()"}}},
    {"aggregation_in_printf",
     "begin { printf(\"%d\\n\", sum(1)); }",
     {{C::InvalidMapUse, "sum(1)"}}},
    {"aggregation_as_key", "begin { @x[count()] = 1; }", {{C::InvalidMapUse, "count()"}}},
    {"hist_read", "begin { @h = hist(1); $x = @h; }", {{C::InvalidMapUse, "@h", 1}}},
    {"lhist_read",
     "begin { @h = lhist(1, 0, 10, 1); $x = @h + 1; }",
     {{C::InvalidMapUse, "@h", 1}}},
    {"stats_read", "begin { @s[1] = stats(1); $x = @s[1]; }", {{C::InvalidMapUse, "@s[1]", 1}}},
    {"compound_on_hist", "begin { @h = hist(1); @h += 1; }", {{C::InvalidMapUse, "@h += 1"}}},
    {"increment_string_map", "begin { @s = \"a\"; @s++; }", {{C::InvalidOperand, "@s++"}}},
    {"hist_bits_out_of_range", "begin { @h = hist(1, 6); }", {{C::ConstantRequired, "6"}}},
    {"hist_bits_not_constant", "begin { @h = hist(1, pid); }", {{C::ConstantRequired, "pid"}}},
    {"lhist_bad_range",
     "begin { @h = lhist(1, 10, 5, 1); }",
     {{C::WrongArgumentType, "lhist(1, 10, 5, 1)"}}},
    {"lhist_not_constant", "begin { @h = lhist(1, 0, pid, 1); }", {{C::ConstantRequired, "pid"}}},
    // Operators.
    {"string_plus_int", "begin { $x = comm + 1; }", {{C::InvalidOperand, "comm + 1"}}},
    {"string_less", "begin { $x = comm < \"a\"; }", {{C::InvalidOperand, "comm < \"a\""}}},
    {"negate_string", "begin { $x = -comm; }", {{C::InvalidOperand, "-comm"}}},
    {"deref_string", "begin { $x = *comm; }", {{C::InvalidOperand, "*comm"}}},
    {"ternary_branches_differ",
     "begin { $x = pid ? 1 : \"a\"; }",
     {{C::TypeMismatch, "pid ? 1 : \"a\""}}},
    {"tuple_index_out_of_range",
     "begin { $t = (1, 2); $x = $t.2; }",
     {{C::InvalidOperand, "$t.2"}}},
    {"cast_string_to_int", "begin { $x = (uint32)comm; }", {{C::TypeMismatch, "(uint32)comm"}}},
    // Statements.
    {"break_outside_loop", "begin { break; }", {{C::InvalidStatement, "break"}}},
    {"continue_outside_loop",
     "begin { if (pid) { continue; } }",
     {{C::InvalidStatement, "continue"}}},
    {"unroll_not_constant", "begin { $n = 2; unroll ($n) { } }", {{C::ConstantRequired, "$n", 1}}},
    {"unroll_string_parameter",
     "begin { unroll ($1) { } }",
     {{C::ConstantRequired, "$1"}},
     {"abc"}},
    {"unroll_too_many", "begin { unroll (101) { } }", {{C::ConstantRequired, "101"}}},
    {"return_value", "begin { return 1; }", {{C::InvalidStatement, "1"}}},
    // Not supported (yet): a clear error, never a silent wrong answer.
    {"kprobe_unknown_function",
     "kprobe:scry_no_such_function { }",
     {{C::UnknownSymbol, "kprobe:scry_no_such_function"}}},
    {"uprobe",
     "uprobe:/no/such/binary:main { }",
     {{C::UnknownBinary, "uprobe:/no/such/binary:main"}}},
    // Macro expansion runs first (macro_expansion_test has its cases).
    {"macro", "macro m() { @x } begin { $a = m(); }", {{C::MacroHygiene, "@x"}}},
    {"for_over_map_without_keys",
     "begin { @m = 1; for ($kv : @m) { } }",
     {{C::InvalidMapUse, "@m", 1}}},
    // More iterations than bpf_loop() runs (it would run none): refused, not mis-run.
    {"for_range_too_long",
     "begin { for ($i : 0..9000000) { @x += $i; } }",
     {{C::LoopTooLong, "0..9000000"}}},
    {"map_decl_kind_mismatch",
     "let @m = hash(8); begin { @m[1] = count(); }",
     {{C::TypeMismatch, "@m[1] = count()"}}},
    {"address_of_aggregation",
     "begin { @c = count(); $p = &@c; }",
     {{C::UnstableFeature, "&@c"}, {C::InvalidOperand, "&@c"}}},
    {"address_of_value",
     "begin { $x = &pid; }",
     {{C::UnstableFeature, "&pid"}, {C::InvalidOperand, "&pid"}}},
    {"config_unknown_key", "config = { nope = 1 } begin { }", {{C::InvalidConfig, "nope"}}},
    {"config_bad_strlen", "config = { max_strlen = 0 } begin { }", {{C::InvalidConfig, "0"}}},
    // Limits are checked against their range before they are narrowed: 4294967306 once became
    // a 10-key map (uint32 wrap-around), 99999999999 a kernel error.
    {"config_max_map_keys_wraps_u32",
     "config = { max_map_keys = 4294967306 } begin { }",
     {{C::InvalidConfig, "4294967306"}}},
    {"config_max_map_keys_huge",
     "config = { max_map_keys = 99999999999 } begin { }",
     {{C::InvalidConfig, "99999999999"}}},
    {"config_max_map_keys_above_bound",
     "config = { max_map_keys = 4194305 } begin { }",
     {{C::InvalidConfig, "4194305"}}},
    {"config_max_map_keys_u64_max",
     "config = { max_map_keys = 18446744073709551615 } begin { }",
     {{C::InvalidConfig, "18446744073709551615"}}},
    {"config_max_strlen_above_bound",
     "config = { max_strlen = 1048577 } begin { }",
     {{C::InvalidConfig, "1048577"}}},
    {"config_max_strlen_negative",
     "config = { max_strlen = -1 } begin { }",
     {{C::InvalidConfig, "-1"}}},
    {"config_max_probes_zero", "config = { max_probes = 0 } begin { }", {{C::InvalidConfig, "0"}}},
    {"config_max_probes_above_bound",
     "config = { max_probes = 65537 } begin { }",
     {{C::InvalidConfig, "65537"}}},
    {"config_not_an_integer",
     "config = { max_strlen = \"x\" } begin { }",
     {{C::InvalidConfig, "\"x\""}}},
    // A key set twice (under any of its names) is an error at the second.
    {"config_duplicate_key",
     "config = { max_strlen = 10; max_strlen = 20 } begin { }",
     {{C::InvalidConfig, "max_strlen", 1}}},
    {"config_duplicate_key_other_spelling",
     "config = { max_map_keys = 10; BPFTRACE_MAX_MAP_KEYS = 20 } begin { }",
     {{C::InvalidConfig, "BPFTRACE_MAX_MAP_KEYS"}}},
    // A positional parameter used as a number must fit int64 (it was saturated silently).
    {"positional_too_large",
     "begin { $x = $1; }",
     {{C::InvalidPositionalParameter, "$1"}},
     {"99999999999999999999999"}},
    {"positional_too_small",
     "begin { $x = $2 + 1; }",
     {{C::InvalidPositionalParameter, "$2"}},
     {"1", "-99999999999999999999999"}},
    {"positional_hex_too_large",
     "begin { $x = $1 * 2; }",
     {{C::InvalidPositionalParameter, "$1"}},
     {"0x10000000000000000"}},
    // A positional parameter that is not a number where a constant is needed: at the
    // parameter (it was taken as 0).
    {"hist_bits_text_parameter",
     "begin { @h = hist(1, $1); }",
     {{C::ConstantRequired, "$1"}},
     {"two"}},
    {"lhist_min_text_parameter",
     "begin { @l = lhist(1, $1, 10, 1); }",
     {{C::ConstantRequired, "$1"}},
     {"low"}},
    {"lhist_step_text_parameter",
     "begin { @l = lhist(1, 0, 10, $2); }",
     {{C::ConstantRequired, "$2"}},
     {"1", "step"}},
    {"tuple_index_text_parameter",
     "begin { $t = (1, 2); print($t[$1]); }",
     {{C::ConstantRequired, "$1"}},
     {"x"}},
    {"print_top_text_parameter",
     "begin { @m[1] = 1; print(@m, $1); }",
     {{C::ConstantRequired, "$1"}},
     {"top"}},
    {"print_divisor_text_parameter",
     "begin { @m[1] = 1; print(@m, 1, $1); }",
     {{C::ConstantRequired, "$1"}},
     {"div"}},
    {"unroll_text_parameter", "begin { unroll ($1) { } }", {{C::ConstantRequired, "$1"}}, {"n"}},
    // Shadowing, which bpftrace refuses: at the second `let $x`, or at the loop variable.
    {"let_twice_in_one_scope",
     "begin { let $x = 1; let $x = 2; }",
     {{C::InvalidStatement, "let $x", 1}}},
    {"let_shadows_an_assigned_variable",
     "begin { $x = 1; if (pid) { let $x = 2; } }",
     {{C::InvalidStatement, "let $x"}}},
    {"let_shadows_an_outer_let",
     "begin { let $x = 1; { let $x: uint8; } }",
     {{C::InvalidStatement, "let $x", 1}, {C::UnusedVariable, "$x", 1}}},
    {"let_shadows_the_loop_variable",
     "begin { for ($i : 0..2) { let $i = 1; } }",
     {{C::InvalidStatement, "let $i"}}},
    {"loop_variable_shadows_a_variable",
     "begin { $i = 5; for ($i : 1..10) { print($i); } }",
     {{C::InvalidStatement, "$i", 1}}},
    {"nested_loops_with_one_variable",
     "begin { for ($i : 0..10) { for ($i : 0..5) { } } }",
     {{C::InvalidStatement, "$i", 1}}},
    {"macro_let_shadows_its_own_variable",
     "macro m() { let $t = 1; let $t = 2; $t } begin { $a = m(); }",
     {{C::InvalidStatement, "let $t", 1}}},
    // Several errors in one run, in source order.
    {"several",
     "begin { $a = pdi; $b = nope(); }\nend { break; }",
     {{C::UnknownIdentifier, "pdi"},
      {C::UnknownFunction, "nope()"},
      {C::InvalidStatement, "break"}}},
};
INSTANTIATE_TEST_SUITE_P(SemaErrors, SemaError, ::testing::ValuesIn(kErrors), test::CaseName());

// Warnings do not fail the analysis, but have codes and locations like errors.
TEST(SemaWarnings, CodeAndLocation) {
  const ErrorCase cases[] = {
      {"division_by_zero", "begin { $x = 1 / 0; }", {{C::DivisionByZero, "0"}}},
      {"modulo_by_zero", "begin { $x = pid % 0; }", {{C::DivisionByZero, "0"}}},
      {"unused_value", "begin { pid; }", {{C::InvalidStatement, "pid"}}},
      {"unset_positional", "begin { $x = $1; }", {{C::InvalidPositionalParameter, "$1"}}},
      {"no_warning_for_calls", "begin { @m[1] = 1; delete(@m, 1); $i = 0; $i++; }", {}},
      // bpftrace's docs/language.md: "has_key(@a, 1); // Warning".
      {"discarded_has_key",
       "begin { @m[1] = 1; has_key(@m, 1); }",
       {{C::InvalidStatement, "has_key(@m, 1)"}}},
  };
  for (const ErrorCase &c : cases) {
    auto a = analyse_text(c.program);
    EXPECT_TRUE(a->ok) << c.program << describe(a->diags);
    std::vector<DiagAt> expected;
    for (const DiagOn &on : c.expected)
      expected.push_back(test::diag_on(c.program, on));
    EXPECT_EQ(test::diags_of(a->diags), expected) << c.program << describe(a->diags);
    for (const Diagnostic &d : a->diags.all())
      EXPECT_EQ(d.severity, Severity::Warning) << c.program;
  }
}

/// The message of the only diagnostic of `program`.
std::string only_message(const std::string &program, const std::vector<std::string> &params = {}) {
  auto a = analyse_text(program, params);
  if (a->diags.all().size() != 1) {
    ADD_FAILURE() << program << describe(a->diags);
    return {};
  }
  return a->diags.all()[0].message;
}

TEST(SemaMessages, OutOfRangeLimitsNameTheRange) {
  EXPECT_THAT(only_message("config = { max_map_keys = 4294967306 } begin { }"),
              ::testing::HasSubstr("from 1 to 4194304"));
  EXPECT_THAT(only_message("config = { max_strlen = 0 } begin { }"),
              ::testing::HasSubstr("from 1 to 1048576"));
  EXPECT_THAT(only_message("config = { max_probes = 65537 } begin { }"),
              ::testing::HasSubstr("from 1 to 65536"));
  EXPECT_THAT(
      only_message("begin { $x = $1; }", {"99999999999999999999999"}),
      ::testing::AllOf(::testing::HasSubstr("$1"), ::testing::HasSubstr("9223372036854775807")));
}

TEST(SemaConfig, LimitsAtTheirBoundsAreAccepted) {
  auto a = analyse_text("config = { max_map_keys = 4194304; max_strlen = 1048576; max_probes = "
                        "65536 } begin { @x[1] = 1; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(a->sema.resources.max_map_keys, 4194304u);
  EXPECT_EQ(a->sema.resources.max_strlen, 1048576u);
}

// str($1) is the parameter's text: a number too large for an integer is fine there.
TEST(SemaConstants, NumericPositionalParametersAreConstants) {
  for (const char *program :
       {"begin { @h = hist(1, $1); }", "begin { @l = lhist(1, 0, 10, $1); }",
        "begin { $t = (1, 2, 3, 4); print($t[$1]); }", "begin { @m[1] = 1; print(@m, $1, $1); }",
        "begin { unroll ($1) { } }", "begin { for ($i : 0..$1) { } }"}) {
    auto a = analyse_text(program, {"3"});
    EXPECT_TRUE(a->ok) << program << describe(a->diags);
  }
  // $# and an unset parameter are numbers too.
  auto a = analyse_text("begin { @h = hist(1, $#); @g = hist(1, $2); }", {"x"});
  EXPECT_TRUE(a->ok) << describe(a->diags);
}

TEST(SemaBuiltins, StrOfAHugePositionalParameterIsText) {
  auto a = analyse_text("begin { $s = str($1); }", {"99999999999999999999999"});
  EXPECT_TRUE(a->ok) << describe(a->diags);
  EXPECT_TRUE(a->diags.all().empty()) << describe(a->diags);
}

// Two histograms with different parameters cannot share a map; the message says which.
TEST(SemaMessages, HistogramMismatchNamesTheParameters) {
  EXPECT_THAT(only_message("begin { @l = lhist(1, 0, 10, 1); @l = lhist(2, 0, 100, 10); }"),
              ::testing::HasSubstr("holds lhist(min 0, max 10, step 1), not lhist(min 0, max "
                                   "100, step 10)"));
  EXPECT_THAT(only_message("begin { @h = hist(1, 1); @h = hist(2, 2); }"),
              ::testing::HasSubstr("holds hist(k 1), not hist(k 2)"));
}

/// Runs analysis with the environment variable `name` set to `value`, as the command line does.
std::unique_ptr<test::Analysed> analyse_with_env(const char *name, const char *value,
                                                 const std::string &program) {
  auto a = std::make_unique<test::Analysed>();
  a->parsed = test::parse_full(program, {});
  SemaOptions options;
  setenv(name, value, 1);
  a->ok = analyse(*a->parsed->program, options, test::shared_btf(), a->sema, a->diags);
  unsetenv(name);
  return a;
}

// Bad environment values are errors outside the program text that name the variable and the
// range; they were silently ignored or wrapped.
TEST(SemaConfig, BadEnvironmentValuesAreErrors) {
  struct Case {
    const char *name, *value, *range;
  } cases[] = {
      {"BPFTRACE_MAX_STRLEN", "abc", "from 1 to 1048576"},
      {"BPFTRACE_MAX_STRLEN", "", "from 1 to 1048576"},
      {"BPFTRACE_STRLEN", "0", "from 1 to 1048576"},
      {"BPFTRACE_MAX_MAP_KEYS", "-1", "from 1 to 4194304"},
      {"BPFTRACE_MAX_MAP_KEYS", "4294967306", "from 1 to 4194304"},
      {"BPFTRACE_MAP_KEYS_MAX", "99999999999999999999999", "from 1 to 4194304"},
      {"BPFTRACE_PRINT_MAPS_ON_EXIT", "yes", "true or false"},
      {"BPFTRACE_LICENSE", "MIT", "\"Dual BSD/GPL\""},
      {"BPFTRACE_PERF_RB_PAGES", "100", "a power of two from 1 to 65536"},
      {"BPFTRACE_MAX_MAP_KEYS", "12abc", "from 1 to 4194304"},
      {"BPFTRACE_MAX_PROBES", "65537", "from 1 to 65536"},
  };
  for (const Case &c : cases) {
    auto a = analyse_with_env(c.name, c.value, "begin { }");
    EXPECT_FALSE(a->ok) << c.name << "=" << c.value;
    // One error (an old name also warns that it was renamed, before it).
    ASSERT_EQ(a->diags.error_count(), 1u) << c.name << "=" << c.value << describe(a->diags);
    const Diagnostic &d = a->diags.all().back();
    EXPECT_EQ(d.code, DiagCode::InvalidConfig);
    EXPECT_EQ(d.range.begin.line, 0) << "not located in the program";
    EXPECT_THAT(d.message, ::testing::HasSubstr(c.name));
    EXPECT_THAT(d.message, ::testing::HasSubstr(c.range));
  }
}

TEST(SemaConfig, EnvironmentOverridesTheConfigBlock) {
  auto a = analyse_with_env("BPFTRACE_MAX_MAP_KEYS", "128",
                            "config = { max_map_keys = 10 } begin { @x[1] = 1; }");
  ASSERT_TRUE(a->ok) << describe(a->diags);
  EXPECT_EQ(a->sema.resources.max_map_keys, 128u);
}

/// The hint of the only diagnostic of `program`.
std::string only_hint(const std::string &program) {
  auto a = analyse_text(program);
  if (a->diags.all().size() != 1) {
    ADD_FAILURE() << program << describe(a->diags);
    return {};
  }
  return a->diags.all()[0].hint;
}

TEST(SemaErrorHints, DidYouMeanNamesTheCandidate) {
  EXPECT_NE(only_hint("begin { $x = nsec; }").find("nsecs"), std::string::npos);
  EXPECT_NE(only_hint("begin { $x = comn; }").find("comm"), std::string::npos);
  EXPECT_NE(only_hint("begin { printff(\"a\"); }").find("printf"), std::string::npos);
  EXPECT_NE(only_hint("begin { @count = 1; $x = @cuont; }").find("@count"), std::string::npos);
  if (test::tracefs_root().empty())
    GTEST_SKIP() << "this machine has no tracefs";
  EXPECT_NE(only_hint("tracepoint:syscalls:sys_enter_opnat { }").find("sys_enter_openat"),
            std::string::npos);
  EXPECT_NE(only_hint("tracepoint:sched:sched_switch { $x = args.prev_com; }").find("prev_comm"),
            std::string::npos);
}

TEST(SemaErrorHints, UnknownIdentifierWithoutCandidateStillHints) {
  // No builtin is close to `frobnicate`: the hint says how to spell variables and maps.
  EXPECT_FALSE(only_hint("begin { $x = frobnicate; }").empty());
}

} // namespace
} // namespace scry
