#include "base/builtins.h"

#include <algorithm>
#include <iterator>

namespace scry {

namespace {

using V = BuiltinVariable;
using F = BuiltinFunction;

constexpr BuiltinVariableInfo kVariables[] = {
    {V::Pid, "pid"},          {V::Tid, "tid"},           {V::Uid, "uid"},
    {V::Gid, "gid"},          {V::Cpu, "cpu"},           {V::Ncpus, "ncpus"},
    {V::Rand, "rand"},        {V::Nsecs, "nsecs"},       {V::Elapsed, "elapsed"},
    {V::Jiffies, "jiffies"},  {V::Cgroup, "cgroup"},     {V::Comm, "comm"},
    {V::Curtask, "curtask"},  {V::Probe, "probe"},       {V::Cpid, "cpid"},
    {V::Args, "args"},        {V::Arg, "argN"},          {V::Retval, "retval"},
    {V::Func, "func"},        {V::Kstack, "kstack"},     {V::Ustack, "ustack"},
    {V::Ctx, "ctx"},          {V::Numaid, "numaid"},     {V::Probetype, "probetype"},
    {V::HasCpid, "has_cpid"}, {V::Usermode, "usermode"}, {V::Username, "username"},
};

// Arities as scry implements each function (bpftrace's docs/stdlib.md allows more for some:
// hist's and print's later arguments come with the work on the rest of the library).
constexpr BuiltinFunctionInfo kFunctions[] = {
    {F::Printf, "printf", false, 1, 255},
    {F::Print, "print", false, 1, 3},
    {F::Clear, "clear", false, 1, 1},
    {F::Zero, "zero", false, 1, 1},
    {F::Delete, "delete", false, 1, 2},
    {F::Exit, "exit", false, 0, 1},
    {F::Time, "time", false, 0, 1},
    {F::Str, "str", false, 1, 2},
    {F::Len, "len", false, 1, 1},
    {F::HasKey, "__has_key", false, 2, 2},
    {F::Strnlen, "__strnlen", false, 1, 1},
    {F::Kstack, "kstack", false, 0, 2},
    {F::Ustack, "ustack", false, 0, 2},
    {F::Ksym, "ksym", false, 1, 1},
    {F::Usym, "usym", false, 1, 1},
    {F::Kaddr, "kaddr", false, 1, 1},
    {F::Uaddr, "uaddr", false, 1, 1},
    {F::Uptr, "uptr", false, 1, 1},
    {F::Kptr, "kptr", false, 1, 1},
    {F::Getopt, "getopt", false, 1, 3},
    {F::Bswap, "bswap", false, 1, 1},
    {F::Ntop, "ntop", false, 1, 2},
    {F::Strftime, "strftime", false, 2, 2},
    {F::Buf, "buf", false, 1, 2},
    {F::Cat, "cat", false, 1, 255},
    {F::SyscallName, "syscall_name", false, 1, 1},
    {F::Join, "join", false, 1, 2},
    {F::System, "system", false, 1, 255},
    {F::Strncmp, "strncmp", false, 3, 3},
    {F::Strstr, "strstr", false, 2, 2},
    {F::Strerror, "strerror", false, 1, 1},
    {F::Errorf, "errorf", false, 1, 255},
    {F::Warnf, "warnf", false, 1, 255},
    {F::Signal, "signal", false, 1, 1},
    {F::SignalThread, "signal_thread", false, 1, 1},
    {F::Reg, "reg", false, 1, 1},
    {F::Pton, "pton", false, 1, 1},
    {F::Cgroupid, "cgroupid", false, 1, 1},
    {F::Memcmp, "memcmp", false, 3, 3},
    {F::NsecsClock, "nsecs", false, 1, 1},
    {F::PidNs, "pid", false, 1, 1},
    {F::TidNs, "tid", false, 1, 1},
    {F::SignalName, "signal_name", false, 1, 1},
    {F::Macaddr, "macaddr", false, 1, 1},
    {F::IsStr, "is_str", false, 1, 1},
    {F::IsPtr, "is_ptr", false, 1, 1},
    {F::IsArray, "is_array", false, 1, 1},
    {F::IsInteger, "is_integer", false, 1, 1},
    {F::IsUnsignedInteger, "is_unsigned_integer", false, 1, 1},
    {F::IsLiteral, "is_literal", false, 1, 1},
    {F::StaticAssert, "static_assert", false, 2, 2},
    {F::Fail, "fail", false, 1, 255},
    {F::Strcap, "strcap", false, 1, 1},
    {F::KfuncExist, "kfunc_exist", false, 1, 1},
    {F::Find, "find", false, 3, 3},
    {F::Debugf, "debugf", false, 1, 4},
    {F::CgroupPath, "cgroup_path", false, 1, 2},
    {F::StrConcat, "str_concat", false, 2, 2},
    {F::CommPid, "comm", false, 1, 1},
    {F::SocketCookie, "socket_cookie", false, 1, 1},
    {F::Path, "path", false, 1, 2},
    {F::Override, "override", false, 1, 1},
    {F::WriteUser, "write_user", false, 3, 3},
    {F::Globmatch, "globmatch", false, 2, 2},
    {F::KfuncAllowed, "kfunc_allowed", false, 1, 1},
    {F::PercpuKaddr, "percpu_kaddr", false, 1, 2},
    {F::SkbOutput, "skboutput", false, 4, 4},
    {F::Count, "count", true, 0, 0},
    {F::Sum, "sum", true, 1, 1},
    {F::Min, "min", true, 1, 1},
    {F::Max, "max", true, 1, 1},
    {F::Avg, "avg", true, 1, 1},
    {F::Stats, "stats", true, 1, 1},
    {F::Hist, "hist", true, 1, 2},
    {F::Lhist, "lhist", true, 4, 4},
    {F::Tseries, "tseries", true, 3, 4},
};

template <typename Table, typename Last>
constexpr bool in_enum_order(const Table &t, Last last) {
  for (size_t i = 0; i < std::size(t); ++i)
    if (static_cast<size_t>(t[i].id) != i + 1)
      return false;
  return static_cast<size_t>(last) == std::size(t);
}
static_assert(in_enum_order(kVariables, V::Username),
              "kVariables lists every BuiltinVariable in order");
static_assert(in_enum_order(kFunctions, F::Tseries),
              "kFunctions lists every BuiltinFunction in order");

// bpftrace's builtins and functions that scry does not implement yet.
constexpr const char *kPlanned[] = {"sarg0", "unwatch"};

template <typename Table>
auto find_in(const Table &table, std::string_view name) {
  for (const auto &row : table)
    if (name == row.name)
      return &row;
  return static_cast<decltype(&table[0])>(nullptr);
}

template <typename Table>
std::vector<std::string> names_of(const Table &table) {
  std::vector<std::string> names;
  for (const auto &row : table)
    if (!is_primitive(row.name))
      names.emplace_back(row.name);
  return names;
}

} // namespace

int builtin_arg_index(std::string_view name) {
  if (name.size() < 4 || name.size() > 6 || name.substr(0, 3) != "arg")
    return -1;
  int n = 0;
  for (char c : name.substr(3)) {
    if (c < '0' || c > '9')
      return -1;
    n = n * 10 + (c - '0');
  }
  return name.size() > 4 && name[3] == '0' ? -1 : n; // "arg01" is not an argument
}

const BuiltinVariableInfo *find_builtin_variable(std::string_view name) {
  if (builtin_arg_index(name) >= 0)
    return find_in(kVariables, "argN");
  return name == "argN" ? nullptr : find_in(kVariables, name);
}

const BuiltinFunctionInfo *find_builtin_function(std::string_view name) {
  return find_in(kFunctions, name);
}

const BuiltinFunctionInfo &builtin_function_info(BuiltinFunction id) {
  return kFunctions[static_cast<size_t>(id) - 1];
}

bool is_variable_call(std::string_view name) {
  const BuiltinVariableInfo *v = find_builtin_variable(name);
  if (!v || v->id == V::Args || v->id == V::Arg || v->id == V::Ctx)
    return false;
  const BuiltinFunctionInfo *f = find_builtin_function(name);
  return !f || f->min_args > 0;
}

bool is_primitive(std::string_view name) {
  return name.starts_with("__");
}

std::vector<std::string> builtin_variable_names() {
  std::vector<std::string> names = names_of(kVariables);
  for (std::string &name : names)
    if (name == "argN")
      name = "arg0";
  return names;
}

std::vector<std::string> builtin_function_names() {
  return names_of(kFunctions);
}

bool is_planned_builtin(std::string_view name) {
  return std::find(std::begin(kPlanned), std::end(kPlanned), name) != std::end(kPlanned);
}

} // namespace scry
