// See program_generator.h. The typing rules followed here are sema's
// (src/sema/semantic_analyser.cpp): where a rule below looks arbitrary, it is one of those.
#include "program_generator.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace scry::fuzz {

namespace {

// ---- types ---------------------------------------------------------------------------------

// The value kinds the generator tracks. Integer sizes and signedness are not tracked: sema
// unifies any two integers (and any two strings, widening), so only the kind must agree.
enum class Kind : uint8_t { Int, Bool, Str, Task, Tuple };

struct VType {
  Kind kind = Kind::Int;
  std::vector<VType> elems; // Tuple: two or three scalar elements
  bool record = false;      // Tuple: a record, its elements named a, b, c: (a = 1, b = "x")
};

const char *const kFieldNames[] = {"a", "b", "c"};

bool same_type(const VType &a, const VType &b) {
  if (a.kind != b.kind || a.record != b.record || a.elems.size() != b.elems.size())
    return false;
  for (size_t i = 0; i < a.elems.size(); ++i)
    if (!same_type(a.elems[i], b.elems[i]))
      return false;
  return true;
}

// ---- tracepoints -----------------------------------------------------------------------------

// How an expression reads a tracepoint field (the types come from tracefs's format files).
enum class FieldUse : uint8_t {
  Int,         // an integer field
  Str,         // char[N]: already a string
  StrPtr,      // const char *: str(args.f)
  DataLoc,     // __data_loc char[]: typed as a pointer too, str(args.f)
  StrPtrArray, // const char *const *: str(args.f[i])
  IntArray,    // unsigned long args[6] (raw_syscalls:sys_enter)
  Timespec,    // struct __kernel_timespec * (user memory, typed through BTF)
};

struct TpField {
  const char *name;
  FieldUse use;
};

// Tracepoints whose fields have the same names and types, so one probe can attach to several
// and read `args` (sema requires a field to have one type across the probe's tracepoints).
struct TpGroup {
  std::vector<const char *> events;
  std::vector<TpField> fields;
};

const std::vector<TpGroup> &tracepoint_groups() {
  static const std::vector<TpGroup> groups = {
      {{"syscalls:sys_enter_openat"},
       {{"dfd", FieldUse::Int},
        {"filename", FieldUse::StrPtr},
        {"flags", FieldUse::Int},
        {"mode", FieldUse::Int}}},
      {{"syscalls:sys_enter_read", "syscalls:sys_enter_write"},
       {{"fd", FieldUse::Int}, {"buf", FieldUse::StrPtr}, {"count", FieldUse::Int}}},
      {{"syscalls:sys_exit_read", "syscalls:sys_exit_openat", "syscalls:sys_exit_write"},
       {{"ret", FieldUse::Int}}},
      {{"syscalls:sys_enter_execve"},
       {{"filename", FieldUse::StrPtr},
        {"argv", FieldUse::StrPtrArray},
        {"envp", FieldUse::StrPtrArray}}},
      {{"syscalls:sys_enter_kill"}, {{"pid", FieldUse::Int}, {"sig", FieldUse::Int}}},
      {{"syscalls:sys_enter_nanosleep"},
       {{"rqtp", FieldUse::Timespec}, {"rmtp", FieldUse::Timespec}}},
      {{"raw_syscalls:sys_enter"}, {{"id", FieldUse::Int}, {"args", FieldUse::IntArray}}},
      {{"raw_syscalls:sys_exit"}, {{"id", FieldUse::Int}, {"ret", FieldUse::Int}}},
      {{"sched:sched_switch"},
       {{"prev_comm", FieldUse::Str},
        {"prev_pid", FieldUse::Int},
        {"prev_prio", FieldUse::Int},
        {"prev_state", FieldUse::Int},
        {"next_comm", FieldUse::Str},
        {"next_pid", FieldUse::Int},
        {"next_prio", FieldUse::Int}}},
      {{"sched:sched_process_exec"},
       {{"filename", FieldUse::DataLoc}, {"pid", FieldUse::Int}, {"old_pid", FieldUse::Int}}},
      {{"sched:sched_process_fork"},
       {{"parent_comm", FieldUse::DataLoc},
        {"parent_pid", FieldUse::Int},
        {"child_comm", FieldUse::DataLoc},
        {"child_pid", FieldUse::Int}}},
      {{"sched:sched_process_exit"},
       {{"comm", FieldUse::Str}, {"pid", FieldUse::Int}, {"prio", FieldUse::Int}}},
      {{"sched:sched_wakeup", "sched:sched_wakeup_new"},
       {{"comm", FieldUse::Str},
        {"pid", FieldUse::Int},
        {"prio", FieldUse::Int},
        {"target_cpu", FieldUse::Int}}},
      {{"signal:signal_generate"},
       {{"sig", FieldUse::Int},
        {"errno", FieldUse::Int},
        {"code", FieldUse::Int},
        {"comm", FieldUse::Str},
        {"pid", FieldUse::Int},
        {"group", FieldUse::Int},
        {"result", FieldUse::Int}}},
      {{"task:task_newtask"},
       {{"pid", FieldUse::Int},
        {"comm", FieldUse::Str},
        {"clone_flags", FieldUse::Int},
        {"oom_score_adj", FieldUse::Int}}},
  };
  return groups;
}

// Wildcards that match a handful of events. Each event costs a BPF program (codegen time grows
// with it) and a format file read, so they are drawn rarely.
const std::vector<TpGroup> &wildcard_groups() {
  static const std::vector<TpGroup> groups = {
      {{"syscalls:sys_exit_readlink*"}, {{"ret", FieldUse::Int}}}, // readlink, readlinkat
      {{"syscalls:sys_enter_getres*id"}, {}},                      // getresuid, getresgid
  };
  return groups;
}

// ---- maps and variables ----------------------------------------------------------------------

enum class MapValue : uint8_t {
  Int,
  Bool,
  Str,
  Task,
  Tuple,
  Count,
  Sum,
  Min,
  Max,
  Avg,
  Stats,
  Hist,
  Lhist
};

bool is_aggregation(MapValue v) {
  return v >= MapValue::Count;
}

struct MapDef {
  std::string name; // with its '@'
  bool keyed = false;
  VType key;
  MapValue value = MapValue::Int;
  VType value_type;       // Int, Bool, Str, Task, Tuple values
  std::string agg_params; // hist's ", k" and lhist's ", min, max, step", fixed per map
};

/// Whether ++, -- and += apply to the map: integer, count and sum maps.
bool incrementable(const MapDef &m) {
  return m.value == MapValue::Int || m.value == MapValue::Count || m.value == MapValue::Sum;
}

struct Var {
  std::string name; // with its '$'
  VType type;
  bool frozen = false; // a loop counter: never assigned in its loop's body
  /// The depth of the innermost scope (scopes_.size()) in which the variable is certainly
  /// assigned, or kMaybeUnassigned once the block that assigned it has ended.
  size_t assigned_at = 0;
};

constexpr size_t kMaybeUnassigned = SIZE_MAX;

const char *const kIntBuiltins[] = {"pid",  "tid",   "uid",     "gid",     "cpu",   "ncpus",
                                    "rand", "nsecs", "elapsed", "jiffies", "cgroup"};
const char *const kTaskIntFields[] = {"pid",          "tgid",        "prio",
                                      "flags",        "se.vruntime", "cred->uid.val",
                                      "mm->total_vm", "parent->pid", "real_parent->tgid",
                                      "exit_code"};
const char *const kTaskTaskFields[] = {"parent", "real_parent", "group_leader"};
const char *const kIntTypes[] = {"int8",  "int16",  "int32",  "int64",
                                 "uint8", "uint16", "uint32", "uint64"};
// Source text of string literals, escapes included.
const char *const kStrings[] = {"",
                                "a",
                                "bash",
                                "hello",
                                "/etc/passwd",
                                "with space",
                                "tab\\there",
                                "quote\\\"d",
                                "nl\\n",
                                "\\x41\\102C",
                                "nul\\0after",
                                "caf\xc3\xa9",
                                "a rather long string that is longer than comm's sixteen bytes",
                                "%d %s %%"};

class Generator {
public:
  Generator(FuzzedDataProvider &data, const GeneratorOptions &options)
      : d_(data), options_(options) {}

  std::string program() {
    // Most programs are small: LLVM's time, most of an execution's, grows with each probe and
    // statement, and a long run needs hundreds of executions a second. One in 25 is larger.
    large_ = chance(4);
    // Reading a kernel struct's field makes codegen parse vmlinux BTF again (~10 ms), so only
    // some programs do.
    btf_fields_ = chance(6);
    std::string out = config();
    int probes = 1 + (chance(large_ ? 60 : 20) ? (chance(30) ? 2 : 1) : 0);
    for (int i = 0; i < probes; ++i)
      out += probe();
    return out;
  }

private:
  // ---- choices -------------------------------------------------------------------------------

  /// 0 .. n-1; 0 once the input is used up.
  int pick(int n) { return n <= 1 ? 0 : d_.ConsumeIntegralInRange<int>(0, n - 1); }
  /// True `percent` times in a hundred; false once the input is used up.
  bool chance(int percent) { return d_.ConsumeIntegralInRange<int>(0, 99) >= 100 - percent; }
  template <typename T, size_t N>
  T one_of(T const (&items)[N]) {
    return items[pick(static_cast<int>(N))];
  }
  /// Takes one unit of the program's size budget; false when it is spent.
  bool spend() {
    if (budget_ <= 0)
      return false;
    --budget_;
    return true;
  }

  std::string nl() const { return "\n" + std::string(static_cast<size_t>(indent_) * 2, ' '); }

  /// Declares `name` in `scope` (an index into scopes_), assigned in the current scope.
  void declare(size_t scope, const std::string &name, const VType &t, bool frozen = false) {
    scopes_[scope].push_back({name, t, frozen, scopes_.size()});
  }

  /// Leaves the innermost scope. A variable assigned in it stays readable: on a path that did
  /// not assign it, it reads 0 or zeroed bytes.
  void pop_scope() { scopes_.pop_back(); }

  /// Whether `v` can be read here.
  static bool readable(const Var &v) { return v.assigned_at != kMaybeUnassigned; }

  // ---- top level -------------------------------------------------------------------------------

  std::string config() {
    // Small limits keep an execution fast: strings live in scratch space and LLVM's time grows
    // with max_strlen (a str() at the default 1024 compiles five times slower than at 64), and
    // maps are preallocated. The defaults are kept now and then.
    if (chance(3))
      return {};
    std::string entries;
    if (!chance(3)) {
      static const int strlens[] = {16, 1, 8, 32, 48, 64, 64, 128, 200};
      entries += "max_strlen = " + std::to_string(chance(2) ? 1024 : one_of(strlens)) + "; ";
    }
    if (chance(85)) {
      static const int keys[] = {16, 1, 128, 1024, 4096};
      entries += "max_map_keys = " + std::to_string(one_of(keys)) + "; ";
    }
    if (chance(5))
      entries += "max_probes = 64; ";
    return "config = { " + entries + "}\n";
  }

  std::string attach_point(bool allow_args, const TpGroup *&group) {
    group = nullptr;
    switch (pick(9)) {
    case 0:
      return one_of({"begin", "BEGIN", "Begin"});
    case 1:
      return one_of({"end", "END"});
    case 2:
      return one_of({"interval:ms:100", "interval:s:1", "interval:100ms", "interval:1s",
                     "interval:us:500000", "i:ms:10", "interval:hz:5"});
    case 3:
      return one_of({"profile:hz:99", "profile:ms:10", "p:hz:49", "profile:us:1000000"});
    case 4:
      return one_of({"software:cpu-clock:100000", "software:page-faults:1", "s:cs:1",
                     "software:task-clock:1000000"});
    default: {
      const auto &groups = chance(5) ? wildcard_groups() : tracepoint_groups();
      const TpGroup &g = groups[static_cast<size_t>(pick(static_cast<int>(groups.size())))];
      if (allow_args)
        group = &g;
      std::string event = g.events[static_cast<size_t>(pick(static_cast<int>(g.events.size())))];
      return (chance(20) ? "t:" : "tracepoint:") + event;
    }
    }
  }

  std::string probe() {
    scopes_.assign(1, {});
    fields_.clear();
    loop_depth_ = 0;
    trips_ = 1;
    unrolled_ = 1;
    budget_ = large_ ? 20 + pick(40) : 2 + pick(12);
    var_counter_ = 0;
    indent_ = 0;

    const TpGroup *group = nullptr;
    std::string first = attach_point(true, group);
    std::vector<std::string> aps = {first};
    int more = first.find('*') == std::string::npos && chance(20) ? (chance(20) ? 2 : 1) : 0;
    bool same_group = group != nullptr;
    for (int i = 0; i < more; ++i) {
      std::string ap;
      bool keeps_group = group && chance(70);
      if (keeps_group) {
        // Another event of the same group: args keeps its fields.
        ap = "tracepoint:" +
             std::string(
                 group->events[static_cast<size_t>(pick(static_cast<int>(group->events.size())))]);
      } else {
        const TpGroup *other = nullptr;
        ap = attach_point(false, other);
      }
      // A repeated attach point or a wildcard would only add programs (and LLVM time).
      auto same = [&ap](const std::string &other) {
        auto full = [](const std::string &a) {
          return a.rfind("t:", 0) == 0 ? "tracepoint:" + a.substr(2) : a;
        };
        return full(ap) == full(other);
      };
      if (ap.find('*') != std::string::npos || std::any_of(aps.begin(), aps.end(), same))
        continue;
      aps.push_back(ap);
      same_group = same_group && keeps_group;
    }
    if (group && same_group)
      fields_ = group->fields;

    std::string text;
    for (const std::string &ap : aps)
      text += (text.empty() ? "" : ", ") + ap;
    if (chance(30))
      text += " /" + condition(2) + "/";
    text += " " + block() + "\n";
    return text;
  }

  // ---- statements ------------------------------------------------------------------------------

  std::string block() {
    scopes_.emplace_back();
    ++indent_;
    std::string body;
    int count = pick(large_ ? 5 : 4);
    for (int i = 0; i < count && budget_ > 0; ++i)
      body += nl() + statement();
    --indent_;
    pop_scope();
    return "{" + body + nl() + "}";
  }

  std::string statement() {
    spend();
    int depth = static_cast<int>(scopes_.size());
    bool nest = budget_ > (large_ ? 10 : 2) && depth < 5;
    switch (pick(20)) {
    case 0:
    case 1:
      return map_assignment();
    case 2:
    case 3:
      return aggregation();
    case 4:
    case 5:
      return var_assignment();
    case 6:
    case 7:
      return printf_call();
    case 8:
      if (nest)
        return if_statement();
      break;
    case 9:
      if (nest && trips_ <= 16)
        return for_range();
      break;
    case 10:
      if (nest && trips_ <= 16)
        return while_loop();
      break;
    case 11:
      if (nest && unrolled_ <= 4)
        return unroll();
      break;
    case 12:
      return print_call();
    case 13:
      return compound_assignment();
    case 14:
      return map_function();
    case 15:
      return one_of({"exit();", "time();", "return;", "time(\"%H:%M:%S\\n\");"});
    case 16:
      return let_declaration();
    case 17:
      if (loop_depth_ > 0 && chance(50))
        return std::string(one_of({"break;", "continue;"}));
      return "_ = " + any_expr(2) + ";";
    case 18:
      if (nest)
        return block();
      break;
    case 19:
      return "exit(" + int_expr(1) + ");";
    }
    return printf_call();
  }

  std::string map_assignment() {
    MapDef *m = choose_map(false);
    if (!m) {
      MapDef def;
      def.name = new_map_name();
      def.keyed = chance(70);
      if (def.keyed)
        def.key = key_type();
      def.value_type = value_type();
      def.value = def.value_type.kind == Kind::Int    ? MapValue::Int
                  : def.value_type.kind == Kind::Bool ? MapValue::Bool
                  : def.value_type.kind == Kind::Str  ? MapValue::Str
                  : def.value_type.kind == Kind::Task ? MapValue::Task
                                                      : MapValue::Tuple;
      std::string target = map_target(def);
      std::string value = rhs(def.value_type);
      maps_.push_back(def);
      return target + " = " + value + ";";
    }
    std::string target = map_target(*m);
    VType vt = m->value_type;
    return target + " = " + rhs(vt) + ";";
  }

  std::string aggregation() {
    MapDef *m = choose_map(true);
    if (!m) {
      MapDef def;
      def.name = new_map_name();
      def.keyed = chance(70);
      if (def.keyed)
        def.key = key_type();
      def.value = static_cast<MapValue>(static_cast<int>(MapValue::Count) + pick(8));
      if (def.value == MapValue::Hist && chance(50))
        def.agg_params = ", " + std::to_string(pick(6));
      if (def.value == MapValue::Lhist) {
        static const int steps[] = {1, 2, 5, 10, 100};
        static const int mins[] = {0, 1, 10, 1000};
        int step = one_of(steps), min = one_of(mins), buckets = 1 + pick(50);
        def.agg_params = ", " + std::to_string(min) + ", " + std::to_string(min + step * buckets) +
                         ", " + std::to_string(step);
      }
      std::string text = map_target(def) + " = " + aggregation_call(def) + ";";
      maps_.push_back(def);
      return text;
    }
    return map_target(*m) + " = " + aggregation_call(*m) + ";";
  }

  std::string aggregation_call(const MapDef &m) {
    switch (m.value) {
    case MapValue::Count:
      return "count()";
    case MapValue::Sum:
      return "sum(" + int_expr(2) + ")";
    case MapValue::Min:
      return "min(" + int_expr(2) + ")";
    case MapValue::Max:
      return "max(" + int_expr(2) + ")";
    case MapValue::Avg:
      return "avg(" + int_expr(2) + ")";
    case MapValue::Stats:
      return "stats(" + int_expr(2) + ")";
    case MapValue::Hist:
      return "hist(" + int_expr(2) + m.agg_params + ")";
    case MapValue::Lhist:
      return "lhist(" + int_expr(2) + m.agg_params + ")";
    default:
      return "count()"; // not reached: callers pass aggregation maps
    }
  }

  std::string var_assignment() {
    // An existing variable (same kind), or a new one in the probe's scope.
    std::vector<Var *> vars = visible_vars([](const Var &v) { return !v.frozen; });
    if (!vars.empty() && chance(40)) {
      Var *v = vars[static_cast<size_t>(pick(static_cast<int>(vars.size())))];
      VType t = v->type;
      std::string name = v->name;
      std::string text = name + " = " + rhs(t) + ";";
      v = find_var(name); // rhs() may have declared variables of its own
      v->assigned_at = std::min(v->assigned_at, scopes_.size());
      return text;
    }
    VType t = value_type();
    std::string value = rhs(t);
    std::string name = "$v" + std::to_string(var_counter_++);
    // sema: a variable assigned without `let` lives in the probe's outermost scope.
    declare(0, name, t);
    return name + " = " + value + ";";
  }

  std::string let_declaration() {
    std::string name = "$l" + std::to_string(var_counter_++);
    std::string text;
    VType t;
    switch (pick(4)) {
    case 3: {
      // `let $x;`: typed by its first assignment, and an error to read before that (sema's
      // undefined-variable; it was a crash in codegen, found by the second run).
      t = value_type();
      declare(scopes_.size() - 1, name, t);
      scopes_.back().back().assigned_at = kMaybeUnassigned;
      return "let " + name + ";";
    }
    case 0:
      t = value_type();
      text = "let " + name + " = " + rhs(t) + ";";
      break;
    case 1: {
      t.kind = Kind::Int;
      text = "let " + name + ": " + one_of(kIntTypes) + " = " + int_expr(2) + ";";
      break;
    }
    default:
      t.kind = chance(50) ? Kind::Str : Kind::Bool;
      text = "let " + name + ": " + (t.kind == Kind::Str ? "string" : "bool") + " = " + expr(t, 2) +
             ";";
      break;
    }
    declare(scopes_.size() - 1, name, t);
    return text;
  }

  std::string compound_assignment() {
    static const char *const ops[] = {"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="};
    std::vector<Var *> vars = visible_vars(
        [](const Var &v) { return readable(v) && !v.frozen && v.type.kind == Kind::Int; });
    if (!vars.empty() && chance(50)) {
      const std::string &name =
          vars[static_cast<size_t>(pick(static_cast<int>(vars.size())))]->name;
      if (chance(30))
        return name + one_of({"++", "--"}) + ";";
      std::string op = one_of(ops);
      return name + " " + op + " " + right_operand(op, 2) + ";";
    }
    // Count and sum maps take += too; a new map becomes an integer map.
    MapDef *m = choose_map_where(incrementable);
    if (!m) {
      MapDef def;
      def.name = new_map_name();
      def.keyed = chance(60);
      if (def.keyed)
        def.key = key_type();
      def.value = MapValue::Int;
      def.value_type.kind = Kind::Int;
      std::string text = map_target(def) + (chance(50) ? "++;" : " += " + int_expr(2) + ";");
      maps_.push_back(def);
      return text;
    }
    if (chance(30))
      return (chance(50) ? one_of({"++", "--"}) + map_target(*m) : map_target(*m) + "++") + ";";
    // Other operators than += and -= are refused on count and sum maps.
    if (m->value != MapValue::Int)
      return map_target(*m) + " " + one_of({"+=", "-="}) + " " + int_expr(2) + ";";
    std::string op = one_of(ops);
    return map_target(*m) + " " + op + " " + right_operand(op, 2) + ";";
  }

  std::string printf_call() {
    std::string format, args;
    int count = pick(large_ ? 6 : 4);
    for (int i = 0; i < count; ++i) {
      format += one_of({"", " ", "x=", ": ", "\\t", "%%", "|", "\\n"});
      VType t = scalar_or_tuple_type();
      args += ", " + expr(t, 2);
      format += conversion(t);
    }
    format += one_of({"\\n", "", "done\\n", " %% end\\n"});
    return "printf(\"" + format + "\"" + args + ");";
  }

  std::string conversion(const VType &t) {
    std::string flags;
    if (chance(30))
      flags += one_of({"-", "+", " ", "#", "0", "-0", "+ "});
    if (chance(30))
      flags += std::to_string(pick(20));
    if (t.kind == Kind::Str || t.kind == Kind::Tuple || chance(10)) {
      if (chance(20))
        flags += "." + std::to_string(pick(10));
      return "%" + flags + "s";
    }
    if (t.kind == Kind::Task)
      return std::string("%") + one_of({"p", "lx", "llu", "d"});
    if (chance(20))
      flags += "." + std::to_string(pick(6));
    std::string length = chance(40) ? one_of({"h", "hh", "l", "ll", "z", "j", "t"}) : "";
    return "%" + flags + length + one_of({"d", "i", "u", "x", "X", "o", "c", "p"});
  }

  std::string if_statement() {
    std::string text = "if (" + condition(2) + ") " + block();
    if (chance(40))
      text += " else " + (chance(30) && budget_ > 3 ? if_statement() : block());
    return text;
  }

  std::string for_range() {
    static const char *const starts[] = {"0", "1", "-2", "$#", "1 + 1"};
    static const char *const ends[] = {"0", "1", "3", "8", "$1", "2 * 3", "16"};
    std::string start = one_of(starts), end = one_of(ends);
    int trips = 16; // an upper bound of every choice above
    std::string name = "$i" + std::to_string(var_counter_++);
    scopes_.emplace_back();
    declare(scopes_.size() - 1, name, {Kind::Int, {}}, true);
    int saved = trips_;
    trips_ *= trips;
    ++loop_depth_;
    std::string body = block();
    --loop_depth_;
    trips_ = saved;
    pop_scope();
    return (chance(50) ? "for (" + name + " : " + start + ".." + end + ") "
                       : "for " + name + " : " + start + ".." + end + " ") +
           body;
  }

  std::string while_loop() {
    // The counter is incremented first, so that `continue` in the body cannot loop forever.
    std::string name = "$w" + std::to_string(var_counter_++);
    int bound = 1 + pick(8);
    declare(0, name, {Kind::Int, {}}, true);
    int saved = trips_;
    trips_ *= bound;
    ++loop_depth_;
    ++indent_;
    std::string increment = nl() + name + "++;";
    --indent_;
    std::string body = block();
    --loop_depth_;
    trips_ = saved;
    body.insert(1, increment);
    return name + " = 0;" + nl() + "while (" + name + " < " + std::to_string(bound) + ") " + body;
  }

  std::string unroll() {
    int count = 1 + pick(4);
    int saved = unrolled_;
    unrolled_ *= count;
    std::string body = block();
    unrolled_ = saved;
    return "unroll(" + std::to_string(count) + ") " + body;
  }

  std::string print_call() {
    if (!maps_.empty() && chance(60)) {
      const MapDef &m = maps_[static_cast<size_t>(pick(static_cast<int>(maps_.size())))];
      switch (pick(3)) {
      case 0:
        return "print(" + m.name + ");";
      case 1:
        return "print(" + m.name + ", " + std::to_string(pick(5)) + ");";
      default:
        return "print(" + m.name + ", " + std::to_string(pick(5)) + ", " + std::to_string(pick(3)) +
               ");";
      }
    }
    return "print(" + any_expr(2) + ");";
  }

  std::string map_function() {
    if (maps_.empty())
      return printf_call();
    const MapDef &m = maps_[static_cast<size_t>(pick(static_cast<int>(maps_.size())))];
    switch (pick(5)) {
    case 0:
      return "clear(" + m.name + ");";
    case 1:
      return "zero(" + m.name + ");";
    default:
      if (!m.keyed)
        return "delete(" + m.name + ");";
      if (chance(50))
        return "delete(" + m.name + ", " + key_expr(m.key, 2) + ");";
      return "delete(" + map_target(m) + ");";
    }
  }

  // ---- types -----------------------------------------------------------------------------------

  VType scalar_type() {
    VType t;
    static const Kind kinds[] = {Kind::Int, Kind::Int,  Kind::Int,
                                 Kind::Str, Kind::Bool, Kind::Task};
    t.kind = one_of(kinds);
    return t;
  }

  VType tuple_type() {
    VType t;
    t.kind = Kind::Tuple;
    t.record = chance(25);
    int n = 2 + pick(2);
    for (int i = 0; i < n; ++i) {
      VType e = scalar_type();
      if (e.kind == Kind::Task)
        e.kind = Kind::Int;
      t.elems.push_back(e);
    }
    return t;
  }

  VType scalar_or_tuple_type() { return chance(10) ? tuple_type() : scalar_type(); }
  VType value_type() { return chance(15) ? tuple_type() : scalar_type(); }
  VType key_type() {
    if (chance(25))
      return tuple_type();
    VType t = scalar_type();
    return t;
  }

  // ---- maps ------------------------------------------------------------------------------------

  std::string new_map_name() {
    // The anonymous map `@` first, then @m0, @m1, ...
    bool has_anonymous =
        std::any_of(maps_.begin(), maps_.end(), [](const MapDef &m) { return m.name == "@"; });
    if (!has_anonymous && chance(30))
      return "@";
    return "@m" + std::to_string(maps_.size());
  }

  MapDef *choose_map_where(const std::function<bool(const MapDef &)> &ok) {
    std::vector<MapDef *> fit;
    for (MapDef &m : maps_)
      if (ok(m))
        fit.push_back(&m);
    if (fit.empty() || !chance(60))
      return nullptr;
    return fit[static_cast<size_t>(pick(static_cast<int>(fit.size())))];
  }

  /// An existing map to assign to (an aggregation map when `aggregation`), or null for a new
  /// one.
  MapDef *choose_map(bool aggregation) {
    return choose_map_where(
        [aggregation](const MapDef &m) { return is_aggregation(m.value) == aggregation; });
  }

  /// A key of type `key`. Between a map's brackets, a tuple key's parentheses are optional
  /// (`@m[a, b]`); as a function's argument they are not (`has_key(@m, (a, b))`).
  std::string key_expr(const VType &key, int depth, bool in_brackets = false) {
    if (key.kind != Kind::Tuple)
      return expr(key, depth);
    std::string text;
    for (const VType &e : key.elems)
      text += (text.empty() ? "" : ", ") + expr(e, depth - 1);
    return in_brackets && chance(80) ? text : "(" + text + ")";
  }

  /// `@m` or `@m[key]`, the key an expression of at most `depth` levels.
  std::string map_target(const MapDef &m, int depth = 2) {
    return m.keyed ? m.name + "[" + key_expr(m.key, depth, true) + "]" : m.name;
  }

  // ---- variables -------------------------------------------------------------------------------

  std::vector<Var *> visible_vars(const std::function<bool(const Var &)> &ok) {
    std::vector<Var *> out;
    std::vector<std::string> seen;
    // Innermost first: a `let` in an inner scope hides an outer variable of the same name.
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
      for (Var &v : *scope) {
        if (std::find(seen.begin(), seen.end(), v.name) != seen.end())
          continue;
        seen.push_back(v.name);
        if (ok(v))
          out.push_back(&v);
      }
    }
    return out;
  }

  Var *find_var(const std::string &name) {
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope)
      for (Var &v : *scope)
        if (v.name == name)
          return &v;
    return nullptr;
  }

  std::string var_of(const VType &t) {
    std::vector<Var *> vars =
        visible_vars([&t](const Var &v) { return readable(v) && same_type(v.type, t); });
    if (vars.empty())
      return {};
    return vars[static_cast<size_t>(pick(static_cast<int>(vars.size())))]->name;
  }

  /// A read of a map whose value reads as `t`, or empty when there is none. At depth 0 only
  /// maps without keys: a key is an expression, which may read a map, and so on.
  std::string map_read(const VType &t, int depth) {
    std::vector<const MapDef *> fit;
    for (const MapDef &m : maps_) {
      if (m.keyed && depth <= 0)
        continue;
      bool ok = false;
      switch (m.value) {
      case MapValue::Int:
      case MapValue::Bool:
      case MapValue::Str:
      case MapValue::Task:
      case MapValue::Tuple:
        ok = same_type(m.value_type, t);
        break;
      case MapValue::Count:
      case MapValue::Sum:
      case MapValue::Min:
      case MapValue::Max:
      case MapValue::Avg:
        ok = t.kind == Kind::Int;
        break;
      case MapValue::Stats:
      case MapValue::Hist:
      case MapValue::Lhist:
        break; // not readable in an expression
      }
      if (ok)
        fit.push_back(&m);
    }
    if (fit.empty())
      return {};
    return map_target(*fit[static_cast<size_t>(pick(static_cast<int>(fit.size())))], depth - 1);
  }

  /// `args.FIELD` (or `args->FIELD`) for a field used as `use` or `also`, or empty.
  std::string field_of(FieldUse use, FieldUse also) {
    std::vector<const TpField *> fit;
    for (const TpField &f : fields_)
      if (f.use == use || f.use == also)
        fit.push_back(&f);
    if (fit.empty())
      return {};
    const TpField *f = fit[static_cast<size_t>(pick(static_cast<int>(fit.size())))];
    return std::string(chance(20) ? "args->" : "args.") + f->name;
  }
  std::string field_of(FieldUse use) { return field_of(use, use); }

  // ---- expressions -----------------------------------------------------------------------------

  /// The value of an assignment: an expression, or sometimes a block expression.
  std::string rhs(const VType &t) {
    if (budget_ > 3 && chance(5)) {
      scopes_.emplace_back();
      std::string name = "$b" + std::to_string(var_counter_++);
      std::string text = "{ let " + name + " = " + int_expr(1) + "; ";
      declare(scopes_.size() - 1, name, {Kind::Int, {}});
      text += expr(t, 2) + " }";
      pop_scope();
      return text;
    }
    return expr(t, 3);
  }

  std::string expr(const VType &t, int depth) {
    switch (t.kind) {
    case Kind::Int:
      return int_expr(depth);
    case Kind::Bool:
      return bool_expr(depth);
    case Kind::Str:
      return str_expr(depth);
    case Kind::Task:
      return task_expr(depth);
    case Kind::Tuple:
      return tuple_expr(t, depth);
    }
    return "0";
  }

  std::string any_expr(int depth) { return expr(scalar_or_tuple_type(), depth); }

  /// An integer, bool or pointer: what conditions and predicates accept.
  std::string condition(int depth) {
    switch (pick(5)) {
    case 1:
      return int_expr(depth);
    case 2:
      return task_expr(depth);
    default:
      return bool_expr(depth);
    }
  }

  std::string int_literal() {
    switch (pick(12)) {
    case 0:
      return std::to_string(pick(10));
    case 1:
      return std::to_string(d_.ConsumeIntegral<int64_t>() & 0xffff);
    case 2:
      return std::to_string(d_.ConsumeIntegralInRange<int64_t>(0, INT64_MAX));
    case 3:
      return "0x" + [this] {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%llx",
                      static_cast<unsigned long long>(d_.ConsumeIntegral<uint32_t>()));
        return std::string(buf);
      }();
    case 4:
      return one_of({"0b1011", "017", "1_000_000", "1e3", "5u", "7ul", "3LL", "10ms", "2s", "1us"});
    case 5:
      return one_of({"18446744073709551615", "9223372036854775807", "0xffffffff", "4294967296",
                     "0x8000000000000000"});
    case 6:
      return "(-" + std::to_string(pick(100)) + ")";
    default:
      return std::to_string(pick(64));
    }
  }

  std::string int_expr(int depth) {
    spend();
    bool deeper = depth > 0 && budget_ > 0;
    switch (pick(24)) {
    case 0:
      break;
    case 1:
    case 2:
      return one_of(kIntBuiltins);
    case 3:
      if (auto f = field_of(FieldUse::Int); !f.empty())
        return f;
      break;
    case 4:
      if (auto v = var_of({Kind::Int, {}}); !v.empty())
        return v;
      break;
    case 5:
      if (auto m = map_read({Kind::Int, {}}, depth); !m.empty())
        return m;
      break;
    case 6:
    case 7:
    case 8:
      if (deeper) {
        static const char *const ops[] = {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"};
        std::string op = one_of(ops);
        std::string lhs = int_expr(depth - 1);
        return "(" + lhs + " " + op + " " + right_operand(op, depth - 1) + ")";
      }
      break;
    case 9:
      if (deeper)
        return std::string(one_of({"-", "~", "+"})) + "(" + int_expr(depth - 1) + ")";
      break;
    case 10:
      if (deeper) {
        if (chance(20))
          return "(" + int_expr(depth - 1) + " ?: " + int_expr(depth - 1) + ")";
        return "(" + condition(depth - 1) + " ? " + int_expr(depth - 1) + " : " +
               int_expr(depth - 1) + ")";
      }
      break;
    case 11:
      if (deeper) {
        std::string from = chance(20) ? bool_expr(depth - 1) : int_expr(depth - 1);
        return "(" + std::string(one_of(kIntTypes)) + ")" + "(" + from + ")";
      }
      break;
    case 12:
      if (deeper) {
        VType t = tuple_type();
        std::string tuple = tuple_source(t, depth - 1);
        std::vector<size_t> ints;
        for (size_t i = 0; i < t.elems.size(); ++i)
          if (t.elems[i].kind == Kind::Int)
            ints.push_back(i);
        if (!ints.empty() && !tuple.empty()) {
          size_t i = ints[static_cast<size_t>(pick(static_cast<int>(ints.size())))];
          return element(tuple, t, i);
        }
      }
      break;
    case 13:
      if (btf_fields_)
        return task_expr(0) + "->" + one_of(kTaskIntFields);
      break;
    case 14:
      // comm is a string[16]; a constant index past its end is a sema error.
      return "comm[" + std::to_string(pick(16)) + "]";
    case 15: {
      // Known bug (middle_fuzz, first run): the verifier gives up ("BPF program is too large.
      // Processed 1000001 insn") on a program that branches on len()'s value, e.g.
      // `begin { @m[1] = 1; if (len(@m) > 0) { exit(); } }`: the count that the
      // bpf_for_each_map_elem callback keeps on the stack becomes precise, so the verifier
      // never finds two equal states of the callback's loop.
      if (options_.avoid_known_bugs)
        break;
      std::vector<const MapDef *> keyed;
      for (const MapDef &m : maps_)
        if (m.keyed && m.value != MapValue::Hist && m.value != MapValue::Lhist)
          keyed.push_back(&m);
      if (!keyed.empty())
        return "len(" + keyed[static_cast<size_t>(pick(static_cast<int>(keyed.size())))]->name +
               ")";
      break;
    }
    case 16:
      if (deeper && chance(50))
        return "sizeof(" + any_expr(depth - 1) + ")";
      return one_of({"sizeof(uint32)", "sizeof(struct task_struct)", "sizeof(comm)",
                     "sizeof(task_struct)", "offsetof(struct task_struct, pid)",
                     "offsetof(struct task_struct, se.vruntime)"});
    case 17:
      return one_of({"$1", "$#"});
    case 18: {
      auto vars = visible_vars(
          [](const Var &v) { return readable(v) && !v.frozen && v.type.kind == Kind::Int; });
      if (!vars.empty()) {
        const std::string &n = vars[static_cast<size_t>(pick(static_cast<int>(vars.size())))]->name;
        return chance(50) ? "(" + n + one_of({"++", "--"}) + ")"
                          : "(" + std::string(one_of({"++", "--"})) + n + ")";
      }
      if (MapDef *m = choose_map_where(incrementable); m && (deeper || !m->keyed))
        return "(" + map_target(*m, depth - 1) + "++)";
      break;
    }
    case 19:
      if (auto f = field_of(FieldUse::IntArray); !f.empty())
        return f + "[" + std::to_string(pick(6)) + "]";
      if (auto f = field_of(FieldUse::Timespec); !f.empty() && btf_fields_)
        return f + "->" + one_of({"tv_sec", "tv_nsec"});
      break;
    case 20: {
      // A pointer as a number. Known bug (middle_fuzz, first run): the pointer to a
      // __data_loc field stays a pointer into the context after the cast, and the verifier
      // refuses arithmetic on it: `tracepoint:sched:sched_process_exec {
      // @x = (uint64)args.filename & 0xff; }` ("R1 32-bit pointer arithmetic prohibited").
      FieldUse data_loc = options_.avoid_known_bugs ? FieldUse::StrPtr : FieldUse::DataLoc;
      if (auto f = field_of(FieldUse::StrPtr, data_loc); !f.empty())
        return "(uint64)" + f;
      return "(uint64)" + task_expr(0);
    }
    case 21:
      if (deeper)
        return "(int64)(" + bool_expr(depth - 1) + ")";
      break;
    default:
      break;
    }
    return int_literal();
  }

  /// The right operand of binary operator `op` (also of compound assignments: "<<="). Shift
  /// amounts of 64 and more, and divisors that overflow, were compiler bugs (middle_fuzz's
  /// first run: LLVM poison deleted code; constant folding died with SIGFPE): they come from
  /// int_expr() like any other operand.
  std::string right_operand(const std::string &op, int depth) {
    // Mostly amounts that shift some bits, around the edge at 64 too.
    if ((op == "<<" || op == ">>" || op == "<<=" || op == ">>=") && chance(50))
      return std::to_string(pick(70));
    return int_expr(depth);
  }

  std::string bool_expr(int depth) {
    spend();
    bool deeper = depth > 0 && budget_ > 0;
    switch (pick(12)) {
    case 0:
      break;
    case 1:
    case 2:
    case 3:
      if (deeper) {
        static const char *const ops[] = {"<", ">", "<=", ">=", "==", "!="};
        return "(" + int_expr(depth - 1) + " " + one_of(ops) + " " + int_expr(depth - 1) + ")";
      }
      break;
    case 4:
      if (deeper)
        return "(" + str_expr(depth - 1) + " " + one_of({"==", "!="}) + " " + str_expr(depth - 1) +
               ")";
      break;
    case 5:
      if (deeper)
        return "!" + std::string(chance(50) ? "(" + bool_expr(depth - 1) + ")"
                                            : "(" + int_expr(depth - 1) + ")");
      break;
    case 6:
      if (deeper)
        return "(" + condition(depth - 1) + " " + one_of({"&&", "||"}) + " " +
               condition(depth - 1) + ")";
      break;
    case 7: {
      std::vector<const MapDef *> keyed;
      for (const MapDef &m : maps_)
        if (m.keyed)
          keyed.push_back(&m);
      if (!keyed.empty() && deeper) {
        const MapDef &m = *keyed[static_cast<size_t>(pick(static_cast<int>(keyed.size())))];
        return "has_key(" + m.name + ", " + key_expr(m.key, depth - 1) + ")";
      }
      break;
    }
    case 8:
      if (auto v = var_of({Kind::Bool, {}}); !v.empty())
        return v;
      if (auto m = map_read({Kind::Bool, {}}, depth); !m.empty())
        return m;
      break;
    case 9:
      if (deeper)
        return "(" + condition(depth - 1) + " ? " + bool_expr(depth - 1) + " : " +
               bool_expr(depth - 1) + ")";
      break;
    case 10:
      if (deeper)
        return "(" + task_expr(depth - 1) + " " + one_of({"==", "!="}) + " " +
               task_expr(depth - 1) + ")";
      break;
    case 11:
      if (deeper)
        return "(bool)(" + int_expr(depth - 1) + ")";
      break;
    }
    return one_of({"true", "false"});
  }

  std::string str_expr(int depth) {
    spend();
    bool deeper = depth > 0 && budget_ > 0;
    switch (pick(13)) {
    case 0:
      break;
    case 1:
    case 2:
      return "comm";
    case 3:
      if (auto f = field_of(FieldUse::StrPtr, FieldUse::DataLoc); !f.empty())
        return chance(30) ? "str(" + f + ", " + std::to_string(1 + pick(40)) + ")"
                          : "str(" + f + ")";
      break;
    case 4:
      if (auto f = field_of(FieldUse::Str); !f.empty())
        return f;
      if (auto f = field_of(FieldUse::StrPtrArray); !f.empty())
        return "str(" + f + "[" + std::to_string(pick(3)) + "])";
      break;
    case 5:
      if (auto v = var_of({Kind::Str, {}}); !v.empty())
        return v;
      break;
    case 6:
      if (auto m = map_read({Kind::Str, {}}, depth); !m.empty())
        return m;
      break;
    case 7:
      if (deeper)
        return "(" + condition(depth - 1) + " ? " + str_expr(depth - 1) + " : " +
               str_expr(depth - 1) + ")";
      break;
    case 8:
      return one_of({"probe", "$2", "str($2)", "str($1)"});
    case 9:
      if (deeper)
        return "str(" + str_expr(depth - 1) + ", " + std::to_string(1 + pick(20)) + ")";
      break;
    case 10:
      if (btf_fields_)
        return task_expr(0) + "->comm";
      break;
    case 11:
      if (deeper) {
        VType t = tuple_type();
        std::vector<size_t> strs;
        for (size_t i = 0; i < t.elems.size(); ++i)
          if (t.elems[i].kind == Kind::Str)
            strs.push_back(i);
        std::string tuple = tuple_source(t, depth - 1);
        if (!strs.empty() && !tuple.empty())
          return element(tuple, t, strs[static_cast<size_t>(pick(static_cast<int>(strs.size())))]);
      }
      break;
    default:
      break;
    }
    return "\"" + std::string(one_of(kStrings)) + "\"";
  }

  std::string task_expr(int depth) {
    spend();
    switch (pick(6)) {
    case 1:
      if (btf_fields_)
        return "curtask->" + std::string(one_of(kTaskTaskFields));
      break;
    case 2:
      // In parentheses: callers append ->field, which binds tighter than the cast.
      return "((struct task_struct *)curtask)";
    case 3:
      if (auto v = var_of({Kind::Task, {}}); !v.empty())
        return v;
      break;
    case 4:
      if (auto m = map_read({Kind::Task, {}}, depth); !m.empty())
        return m;
      break;
    case 5:
      if (depth > 0 && budget_ > 0)
        return "(" + condition(depth - 1) + " ? " + task_expr(depth - 1) + " : " +
               task_expr(depth - 1) + ")";
      break;
    }
    return "curtask";
  }

  /// A tuple of type `t`: a tuple literal, a variable or a map read.
  std::string tuple_expr(const VType &t, int depth) {
    spend();
    if (chance(30)) {
      if (auto v = var_of(t); !v.empty())
        return v;
      if (auto m = map_read(t, depth); !m.empty())
        return m;
    }
    if (chance(10) && depth > 0)
      return "(" + condition(depth - 1) + " ? " + tuple_expr(t, depth - 1) + " : " +
             tuple_expr(t, depth - 1) + ")";
    std::string text;
    for (size_t i = 0; i < t.elems.size(); ++i)
      text += std::string(i ? ", " : "") + (t.record ? kFieldNames[i] + std::string(" = ") : "") +
              expr(t.elems[i], std::max(depth - 1, 0));
    return "(" + text + ")";
  }

  /// Element `i` of `source`, of tuple type `t`: `.1`, `[1]` or, of a record, `.b`.
  std::string element(const std::string &source, const VType &t, size_t i) {
    if (t.record)
      return source + "." + kFieldNames[i];
    return chance(70) ? source + "." + std::to_string(i) : source + "[" + std::to_string(i) + "]";
  }

  /// Something of tuple type `t` to take an element of (parenthesised so that `.N` applies to
  /// all of it).
  std::string tuple_source(const VType &t, int depth) {
    if (auto v = var_of(t); !v.empty() && chance(60))
      return v;
    // In parentheses: `@m[1]` would be a map lookup, `(@m)[1]` takes an element.
    if (auto m = map_read(t, depth); !m.empty() && chance(60))
      return "(" + m + ")";
    return "(" + tuple_expr(t, depth) + ")";
  }

  FuzzedDataProvider &d_;
  const GeneratorOptions &options_;
  std::vector<MapDef> maps_;
  std::vector<std::vector<Var>> scopes_; // [0] is the probe's scope
  std::vector<TpField> fields_;          // the args fields this probe can read
  int loop_depth_ = 0;                   // while and for loops around the statement
  int trips_ = 1;                        // the product of the enclosing loops' trip counts
  int unrolled_ = 1;                     // the product of the enclosing unroll counts
  int budget_ = 0;                       // statements and expression nodes left in this probe
  bool large_ = false;                   // a larger program (more probes, a larger budget)
  bool btf_fields_ = false;              // kernel struct fields may be read (curtask->pid)
  int var_counter_ = 0;
  int indent_ = 0;
};

} // namespace

std::string generate_program(FuzzedDataProvider &data, const GeneratorOptions &options) {
  return Generator(data, options).program();
}

} // namespace scry::fuzz
