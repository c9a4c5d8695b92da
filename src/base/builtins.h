// Every builtin variable and function of the language, declared once: its name and, for a
// function, whether it is an aggregation and how many arguments it takes. Sema resolves a name
// to its enumerator, stores it on the AST node (Identifier::builtin, Call::builtin) and types
// it; codegen switches over the enumerator with no `default:`, so a builtin that sema accepts
// and codegen does not generate is a compile error (-Wswitch), never a silently miscompiled
// program. Names bpftrace has and scry does not implement yet are listed too: they are refused
// as not supported, not as unknown.
//
// Adding a builtin: an enumerator and a row here (builtins.cpp), then the compiler lists the
// switches to extend: its typing in sema (types_expressions.cpp for variables, types_calls.cpp
// for functions) and its value in codegen (calls.cpp). A builtin that can be written in the
// language is a stdlib/*.bt macro instead, over a `__` primitive function here if it needs one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

enum class BuiltinVariable : uint8_t {
  None, // not resolved (before sema), or not a builtin
  Pid,
  Tid,
  Uid,
  Gid,
  Cpu,
  Ncpus,
  Rand,
  Nsecs,
  Elapsed,
  Jiffies,
  Cgroup,
  Comm,
  Curtask,
  Probe,
  Cpid,
  Args,
  Arg, // arg0, arg1, ...: the index is in the name (builtin_arg_index)
  Retval,
  Func,
  Kstack,    // kstack: the kernel stack, as kstack() without arguments
  Ustack,    // ustack: the user stack, as ustack() without arguments
  Ctx,       // ctx: the program's context (iter: struct bpf_iter__NAME *)
  Numaid,    // numaid: the NUMA node of the CPU running the probe
  Probetype, // probetype: the probe's type ("tracepoint"; "special" for begin and end)
  HasCpid,   // has_cpid: whether scry runs a command (-c), so that cpid has a value
  Usermode,  // usermode: 1 when the probe interrupted user code (pt_regs' cs), else 0
  Username,  // username: the uid, printed as its /etc/passwd name
};

enum class BuiltinFunction : uint8_t {
  None, // not resolved (before sema), or not a builtin
  Printf,
  Print,
  Clear,
  Zero,
  Delete,
  Exit,
  Time,
  Str,
  Len,
  HasKey,       // __has_key, under stdlib/map.bt's has_key
  Strnlen,      // __strnlen, under stdlib/strings.bt's strlen (stdlib/strings.bpf.c)
  Kstack,       // kstack([mode][, frames])
  Ustack,       // ustack([mode][, frames])
  Ksym,         // ksym(addr): printed as the kernel symbol's name
  Usym,         // usym(addr): printed as the user symbol's name in the current process
  Kaddr,        // kaddr("name"): the kernel symbol's address, resolved when compiling
  Uaddr,        // uaddr("name"): the address of a symbol of the probed binary, in the process
  Uptr,         // uptr(p): p, read as an address in the process's memory
  Kptr,         // kptr(p): p, read as an address in the kernel's memory
  Getopt,       // getopt("name"[, default]): a named parameter after `--`, resolved when compiling
  Bswap,        // bswap(n): n with its bytes reversed, as an unsigned integer of n's width
  Ntop,         // ntop([af, ]addr): an IPv4 or IPv6 address, printed as text in user space
  Strftime,     // strftime("fmt", ns): a boot-time timestamp, formatted in user space
  Buf,          // buf(p[, len]): bytes read from memory, printed with %r, %rx or %rh
  Cat,          // cat("fmt", args...): prints a file's contents, in user space
  SyscallName,  // syscall_name(nr): the system call's name (stdlib/strings.bpf.c's table)
  Join,         // join(argv[, "sep"]): prints a NULL-terminated array of strings, in user space
  System,       // system("fmt", args...): runs the formatted command in user space (--unsafe)
  Strncmp,      // strncmp(a, b, n): 0 when the strings agree in their first n bytes, else 1
  Strstr,       // strstr(haystack, needle): the index of needle's first occurrence, or -1
  Strerror,     // strerror(errno): the error's text (stdlib/strings.bpf.c's table)
  Errorf,       // errorf("fmt", args...): an error message with the call's location, in user space
  Warnf,        // warnf("fmt", args...): the same as a warning (silenced by --no-warnings)
  Signal,       // signal(sig): sends a signal to the current process (--unsafe)
  SignalThread, // signal_thread(sig): sends a signal to the current thread (--unsafe)
  Reg,          // reg("name"): a register of the interrupted task (pt_regs probes)
  Pton,         // pton("addr"): an IPv4 or IPv6 address's bytes, resolved when compiling
  Cgroupid,     // cgroupid("path"): a cgroup v2 directory's id, resolved when compiling
  Memcmp,       // memcmp(a, b, n): compares the first n bytes of two values, as C's memcmp
  NsecsClock,   // nsecs(boot|monotonic|tai|sw_tai): a clock's nanoseconds
  PidNs,        // pid(curr_ns|init): the process id as a pid namespace sees it
  TidNs,        // tid(curr_ns|init): the thread id as a pid namespace sees it
  SignalName,   // signal_name(n): the signal's description (stdlib/strings.bpf.c's table)
  Macaddr,      // macaddr(a): 6 bytes printed as a MAC address, in user space
  // Known when compiling (Call::address holds the value): the type predicates, strcap of a
  // string or array, kfunc_exist; static_assert and fail report an error or nothing.
  IsStr,             // is_str(e): e is a string
  IsPtr,             // is_ptr(e): e is a pointer
  IsArray,           // is_array(e): e is an array
  IsInteger,         // is_integer(e): e is an integer
  IsUnsignedInteger, // is_unsigned_integer(e): e is an unsigned integer
  IsLiteral,         // is_literal(e): e is a literal (1, -1, true, "s", or a tuple of them)
  StaticAssert,      // static_assert(cond, "msg"): an error when cond is false, when compiling
  Fail,              // fail("fmt", literals...): an error when compiling, where it is called
  Strcap,            // strcap(s): a string's capacity, an array's length, or strlen of a char *
  KfuncExist,        // kfunc_exist("name"): the kernel has the BPF kfunc
  Find,              // find(@m, key, $v): one lookup; true and $v = the value when key is there
  Debugf,            // debugf("fmt", up to 3 args): bpf_trace_printk into the kernel's trace buffer
  CgroupPath,        // cgroup_path(id[, "filter"]): a cgroup id, printed as its paths in user space
  StrConcat,         // str_concat(a, b): a string holding a's text then b's
  CommPid,           // comm(pid): the name of process `pid` (the bpf_task_from_pid kfunc)
  SocketCookie,      // socket_cookie(sk): the socket's cookie (bpf_get_socket_cookie)
  Path,              // path(p[, size]): the path of a struct path * (bpf_d_path)
  Override,          // override(rc): the kprobed function returns rc (bpf_override_return)
  WriteUser,         // write_user(dst, src, n): n bytes of src into the process at dst
  Globmatch,         // globmatch(s, pattern): s matches the glob pattern (* ? [a-z] [!a])
  KfuncAllowed,      // kfunc_allowed("name"): the kernel lets this probe's programs call it
  PercpuKaddr,       // percpu_kaddr("name"[, cpu]): a per-CPU kernel variable's address
  SkbOutput,         // skboutput("file", skb, len, offset): the packet into a pcap file
  // Aggregations: only as the whole value of a map assignment, `@m[k] = count()`.
  Count,
  Sum,
  Min,
  Max,
  Avg,
  Stats,
  Hist,
  Lhist,
  Tseries,
  // Not in the table of names: a function of an imported .bpf.c file (sema/c_imports.h).
  CFunction,
};

struct BuiltinVariableInfo {
  BuiltinVariable id;
  const char *name;
};

struct BuiltinFunctionInfo {
  BuiltinFunction id;
  const char *name;
  bool aggregation;
  uint8_t min_args, max_args;
};

/// The builtin variable called `name`, or null. "arg" followed by digits is Arg.
const BuiltinVariableInfo *find_builtin_variable(std::string_view name);

/// The builtin function or aggregation called `name`, or null.
const BuiltinFunctionInfo *find_builtin_function(std::string_view name);

/// The table row of `id` (not None).
const BuiltinFunctionInfo &builtin_function_info(BuiltinFunction id);

/// N of "argN" (a function's argument N), or -1 for any other name.
int builtin_arg_index(std::string_view name);

/// Whether a call `name()` without arguments stands for builtin variable `name`, as in the newest
/// bpftrace, whose builtins are macros of no parameters (`pid()`, `comm()`, `nsecs()`): every
/// builtin variable but args, argN and ctx, and not a function's name (`kstack()` is a call).
bool is_variable_call(std::string_view name);

/// Whether `name` is a primitive: a builtin named `__x` that the standard library's macros
/// call and users are not offered ("did you mean" leaves them out).
bool is_primitive(std::string_view name);

/// The names users may use (primitives left out), for "did you mean" suggestions.
std::vector<std::string> builtin_variable_names();
std::vector<std::string> builtin_function_names();

/// Whether bpftrace has a builtin or function `name` that scry does not implement yet.
bool is_planned_builtin(std::string_view name);

} // namespace scry
