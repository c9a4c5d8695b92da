// Type checking of library functions whose value user space formats or whose arguments need
// more than one type (part of the TypeChecker, type_checker.h): bswap, ntop, strftime, buf,
// cat and syscall_name. bpftrace's docs/stdlib.md is the reference for each.
// Reads the calls and their arguments; writes Call::type and Call::id, Resources::printfs (cat)
// and join_separators.
#include "base/arch.h"
#include "base/bpf_abi.h"
#include "base/glob.h"
#include "sema/type_checker.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/bpf.h>

namespace scry {

using namespace ast;

namespace {

/// The bytes of an array of integers (uint8[16], uint32[4], ...; a char array is a string, as
/// in bpftrace, and counts with its whole size), or 0 for any other type.
uint32_t integer_array_bytes(const Type &t) {
  if (t.kind == TypeKind::String)
    return t.size;
  if (t.kind != TypeKind::Array || !t.elem || t.elem->kind != TypeKind::Integer)
    return 0;
  return t.size;
}

} // namespace

namespace {

/// The number of signal `name` ("SIGKILL" or "KILL"), or 0: the names of signal(7), as glibc's
/// sigabbrev_np() gives them (x86-64 numbers).
int signal_number(std::string_view name) {
  if (name.starts_with("SIG"))
    name.remove_prefix(3);
  for (int sig = 1; sig < NSIG; ++sig)
    if (const char *abbrev = sigabbrev_np(sig); abbrev && name == abbrev)
      return sig;
  return 0;
}

} // namespace

/// signal(sig), signal_thread(sig): bpf_send_signal(_thread) to the task the probe interrupted,
/// so only in probes that interrupt a task, and only with --unsafe. `sig` is a name ("SIGKILL",
/// "KILL"), a number 1..64, or an integer known at run time (checked then). Sets n.address to
/// the constant signal (0 when known only at run time) and n.id to the first of two runtime
/// errors: the helper's failure, then an out-of-range signal.
void TypeChecker::type_signal(Call &n) {
  n.type = make_void();
  Expression *arg = n.args[0];
  check(arg);
  if (!options_.unsafe) {
    error(DiagCode::UnsafeProbe, n.loc,
          n.name + "() sends a signal to traced processes: it needs --unsafe",
          "run scry with --unsafe to allow it");
    return;
  }
  for (ProbeType t : current_types_) {
    const bool has_task = t == ProbeType::Kprobe || t == ProbeType::Kretprobe ||
                          t == ProbeType::Uprobe || t == ProbeType::Uretprobe ||
                          t == ProbeType::Usdt || t == ProbeType::Tracepoint ||
                          t == ProbeType::Profile || t == ProbeType::Fentry ||
                          t == ProbeType::Fexit || t == ProbeType::RawTracepoint;
    if (!has_task) {
      error(DiagCode::BuiltinNotAvailable, n.loc,
            n.name + "() cannot be used in " + current_probe_kinds(),
            "it signals the task a probe interrupts: use it in kprobe, kretprobe, uprobe, "
            "uretprobe, usdt, tracepoint, rawtracepoint, profile, fentry or fexit probes");
      return;
    }
  }
  if (auto *s = dynamic_cast<String *>(arg)) {
    int sig = signal_number(s->value);
    if (!sig) {
      error(DiagCode::InvalidOperand, arg->loc, "\"" + s->value + "\" is not a valid signal",
            "name it as kill -l does (\"SIGKILL\" or \"KILL\"), or give its number");
      return;
    }
    n.address = static_cast<uint64_t>(sig);
  } else if (arg->type.kind == TypeKind::Integer) {
    if (auto v = constant_value(arg)) {
      if (*v < 1 || *v > 64) {
        error(DiagCode::InvalidOperand, arg->loc,
              std::to_string(*v) + " is not a valid signal, allowed range: [1,64]");
        return;
      }
      n.address = static_cast<uint64_t>(*v);
    }
  } else if (arg->type.kind != TypeKind::None) {
    error(DiagCode::WrongArgumentType, arg->loc,
          n.name + "() takes a signal's name or number, not " + type_name(arg->type));
    return;
  }
  if (quiet_)
    return;
  auto &errors = result_.resources.runtime_errors;
  n.id = static_cast<int>(errors.size());
  errors.push_back(
      {DiagCode::HelperError, "", n.loc,
       n.builtin == BuiltinFunction::Signal ? BPF_FUNC_send_signal : BPF_FUNC_send_signal_thread});
  errors.push_back({DiagCode::InvalidOperand,
                    n.name + "() expects an integer between 1 and 64 (inclusive): no signal sent",
                    n.loc});
}

void TypeChecker::type_library_call(Call &n) {
  if (!arity(n))
    return;
  for (Expression *a : n.args)
    if (n.builtin != BuiltinFunction::Strftime && n.builtin != BuiltinFunction::Cat &&
        n.builtin != BuiltinFunction::System && n.builtin != BuiltinFunction::Errorf &&
        n.builtin != BuiltinFunction::Warnf)
      check(a);
  switch (n.builtin) {
  case BuiltinFunction::Bswap: {
    // bswap(n): n's bytes reversed; an unsigned integer of n's width (a uint8 comes back as it
    // is).
    const Type &t = n.args[0]->type;
    if (t.kind == TypeKind::None)
      return;
    if (t.kind != TypeKind::Integer) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "bswap() needs an integer, not " + type_name(t));
      return;
    }
    n.type = make_int(t.size, false);
    return;
  }
  case BuiltinFunction::Ntop: {
    // ntop([af, ]addr): an integer or char[4] is an IPv4 address, a 16-byte array an IPv6 one;
    // `af` (AF_INET or AF_INET6, known at run time) says which, when given.
    Expression *addr = n.args.back();
    const Type &t = addr->type;
    if (n.args.size() == 2)
      want_integer(n, 0, "address family");
    if (t.kind == TypeKind::None)
      return;
    const uint32_t bytes = integer_array_bytes(t);
    if (t.kind != TypeKind::Integer && bytes != 4 && bytes != 16) {
      error(DiagCode::WrongArgumentType, addr->loc,
            "ntop() needs an IPv4 address (an integer or a 4-byte array) or an IPv6 address (a "
            "16-byte array), not " +
                type_name(t));
      return;
    }
    n.type = make_inet();
    return;
  }
  case BuiltinFunction::Strftime: {
    // strftime("fmt", ns): nanoseconds since boot, printed as local time by user space.
    auto *fmt = dynamic_cast<String *>(n.args[0]);
    check(n.args[0]);
    check(n.args[1]);
    if (!fmt) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "strftime()'s format must be a string literal");
      return;
    }
    want_integer(n, 1, "timestamp (nanoseconds since boot)");
    // nsecs(tai) and nsecs(sw_tai) count from the TAI epoch; a monotonic clock has no date.
    auto *clock = dynamic_cast<Call *>(n.args[1]);
    const bool tai =
        clock && clock->builtin == BuiltinFunction::NsecsClock &&
        (clock->id == static_cast<int>(Clock::Tai) || clock->id == static_cast<int>(Clock::SwTai));
    if (clock && clock->builtin == BuiltinFunction::NsecsClock &&
        clock->id == static_cast<int>(Clock::Monotonic)) {
      error(DiagCode::WrongArgumentType, n.args[1]->loc,
            "strftime() cannot take a monotonic timestamp: it has no date",
            "use nsecs (the boot clock) or nsecs(tai)");
      return;
    }
    n.type = make_timestamp(fmt->value, tai);
    return;
  }
  case BuiltinFunction::Buf: {
    type_buf(n);
    return;
  }
  case BuiltinFunction::Cat: {
    // cat("fmt", args...): the file named by the formatted text, printed by user space.
    type_printf(n);
    n.type = make_void();
    return;
  }
  case BuiltinFunction::Errorf:
  case BuiltinFunction::Warnf: {
    // errorf("fmt", args...), warnf(...): printf's text as an error or a warning located at the
    // call (stderr; "errorf"/"warnf" objects in -f json). The program goes on.
    type_printf(n);
    n.type = make_void();
    return;
  }
  case BuiltinFunction::Debugf: {
    // debugf("fmt", args...): bpf_trace_printk(), at most 3 arguments, %d %i %u %x %p and %s
    // (bpf-helpers(7)); the arguments are 64-bit, so integer conversions get `ll`
    // (n.constant_text holds the format as the helper takes it).
    n.type = make_void();
    warning(DiagCode::DebugOutput, n.loc,
            "The debugf() builtin is not recommended for production use. For more information "
            "see bpf_trace_printk in bpf-helpers(7).",
            "its lines go to /sys/kernel/tracing/trace_pipe, not to scry's output");
    auto *fmt = dynamic_cast<String *>(n.args[0]);
    if (!fmt) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "debugf()'s format must be a string literal");
      return;
    }
    std::string out;
    size_t arg = 1;
    const std::string &f = fmt->value;
    for (size_t i = 0; i < f.size(); ++i) {
      out += f[i];
      if (f[i] != '%')
        continue;
      if (i + 1 < f.size() && f[i + 1] == '%') {
        out += f[++i];
        continue;
      }
      size_t j = i + 1;
      while (j < f.size() &&
             std::string_view("-+ #0123456789").find(f[j]) != std::string_view::npos)
        out += f[j++];
      while (j < f.size() && f[j] == 'l')
        ++j; // every argument is 64-bit: `ll` is added below
      const char conv = j < f.size() ? f[j] : '\0';
      i = j;
      if (conv == '\0' || std::string_view("diuxps").find(conv) == std::string_view::npos) {
        error(DiagCode::InvalidPrintfFormat, fmt->loc,
              std::string("Invalid format specifier for `debugf`: ") +
                  (conv ? std::string(1, conv) : "end of the format"),
              "debugf() formats %d, %i, %u, %x, %p and %s (bpf_trace_printk)");
        return;
      }
      if (arg >= n.args.size()) {
        error(DiagCode::InvalidPrintfFormat, fmt->loc,
              "debugf(): the format has more conversions than arguments");
        return;
      }
      const Type &t = n.args[arg]->type;
      const bool is_text = conv == 's';
      if (t.kind != TypeKind::None &&
          (is_text ? t.kind != TypeKind::String
                   : t.kind != TypeKind::Integer && t.kind != TypeKind::Pointer &&
                         t.kind != TypeKind::Boolean)) {
        error(DiagCode::InvalidPrintfFormat, n.args[arg]->loc,
              std::string("Type does not match format specifier: %") + conv + " takes " +
                  (is_text ? "a string" : "an integer") + ", not " + type_name(t));
        return;
      }
      out += (is_text || conv == 'p') ? std::string(1, conv) : std::string("ll") + conv;
      ++arg;
    }
    if (arg != n.args.size()) {
      error(DiagCode::InvalidPrintfFormat, n.args[arg]->loc,
            "debugf(): the format has fewer conversions than arguments");
      return;
    }
    n.constant_text = out;
    return;
  }
  case BuiltinFunction::System: {
    // system("fmt", args...): the formatted command, run by user space with /bin/sh; its
    // output is printed. It runs whatever the traced data makes of it: only with --unsafe.
    type_printf(n);
    n.type = make_void();
    if (!options_.unsafe)
      error(DiagCode::UnsafeProbe, n.loc,
            "system() runs a command for each event: it needs --unsafe",
            "run scry with --unsafe to allow it");
    return;
  }
  case BuiltinFunction::Signal:
  case BuiltinFunction::SignalThread:
    type_signal(n);
    return;
  case BuiltinFunction::Pton: {
    // pton("addr"): the bytes inet_pton(3) makes of an IPv4 (a '.') or IPv6 (a ':') address,
    // as an int8[4] or int8[16] (bpftrace's char addr[N]); n.constant_text holds them.
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "pton()'s address must be a string literal");
      return;
    }
    const bool v6 = s->value.find(':') != std::string::npos;
    unsigned char bytes[16] = {};
    if (inet_pton(v6 ? AF_INET6 : AF_INET, s->value.c_str(), bytes) != 1) {
      error(DiagCode::InvalidOperand, s->loc,
            "'" + s->value + "' is not an IPv" + (v6 ? "6" : "4") + " address",
            v6 ? "write it as inet_pton(3) reads one: \"::1\", \"fe80::1\""
               : "write it as inet_pton(3) reads one: \"127.0.0.1\"");
      return;
    }
    n.constant_text.assign(reinterpret_cast<const char *>(bytes), v6 ? 16 : 4);
    n.type = make_array(make_int(1, true), v6 ? 16 : 4);
    return;
  }
  case BuiltinFunction::Cgroupid: {
    // cgroupid("path"): the id of a cgroup v2 directory, as the kernel's file handle for it
    // holds it (name_to_handle_at(2) on cgroupfs gives the 8-byte kernfs id that
    // bpf_get_current_cgroup_id() returns); n.address holds it.
    n.type = uint64_type();
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "cgroupid()'s path must be a string literal");
      return;
    }
    struct {
      struct file_handle fh;
      unsigned char bytes[64];
    } handle{};
    handle.fh.handle_bytes = sizeof(handle.bytes);
    int mount_id = 0;
    if (name_to_handle_at(AT_FDCWD, s->value.c_str(), &handle.fh, &mount_id, 0) != 0) {
      error(DiagCode::InvalidOperand, s->loc,
            "cgroupid(): cannot read the cgroup id of " + s->value + ": " + std::strerror(errno),
            "name a directory of the cgroup v2 hierarchy, e.g. /sys/fs/cgroup/system.slice");
      return;
    }
    if (handle.fh.handle_bytes != 8) {
      error(DiagCode::InvalidOperand, s->loc,
            "cgroupid(): " + s->value + " is not in a cgroup v2 file system",
            "name a directory of the cgroup v2 hierarchy, e.g. /sys/fs/cgroup/system.slice");
      return;
    }
    std::memcpy(&n.address, handle.fh.f_handle, 8);
    return;
  }
  case BuiltinFunction::Memcmp: {
    // memcmp(a, b, n): strings, arrays or records (values in memory), n bytes at most the
    // smaller one's size; negative, 0 or positive as C's memcmp.
    n.type = make_int(8, true);
    uint32_t smaller = UINT32_MAX;
    for (size_t i = 0; i < 2; ++i) {
      const Type &t = n.args[i]->type;
      if (t.kind == TypeKind::None)
        return;
      if (t.kind != TypeKind::String && t.kind != TypeKind::Array && t.kind != TypeKind::Record &&
          t.kind != TypeKind::Tuple) {
        error(DiagCode::WrongArgumentType, n.args[i]->loc,
              "memcmp() compares values in memory (strings, arrays, records), not " + type_name(t),
              t.kind == TypeKind::Pointer ? "compare what it points to: memcmp(*p, *q, n)" : "");
        return;
      }
      smaller = std::min(smaller, t.size);
    }
    want_integer(n, 2, "byte count");
    if (auto v = constant_value(n.args[2]); v && (*v < 0 || static_cast<uint64_t>(*v) > smaller))
      error(DiagCode::InvalidOperand, n.args[2]->loc,
            "memcmp() of " + std::to_string(*v) + " bytes: the values hold " +
                std::to_string(smaller) + " (the smaller one)",
            "compare at most " + std::to_string(smaller) + " bytes");
    return;
  }
  case BuiltinFunction::Reg: {
    // reg("name"): a register the probe's context saved (sets n.address to its offset).
    n.type = uint64_type();
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc, "reg()'s register must be a string literal",
            "reg(\"ip\"), reg(\"sp\"), reg(\"di\")");
      return;
    }
    std::string names;
    bool found = false;
    for (size_t i = 0; i < std::size(arch::kRegisterNames); ++i) {
      names += (i ? ", " : "") + std::string(arch::kRegisterNames[i]);
      if (s->value == arch::kRegisterNames[i] ||
          (s->value == "pc" && std::string_view(arch::kRegisterNames[i]) == "ip")) {
        n.address = 8 * i;
        found = true;
      }
    }
    if (!found || !arch::kKnown) {
      error(DiagCode::InvalidOperand, s->loc,
            "'" + s->value + "' is not a register of " + arch::kName,
            "registers: " + names + " (and pc, the same as ip)");
      return;
    }
    for (size_t i : current_programs_) {
      ContextKind k = result_.resources.programs[i].context;
      if (k != ContextKind::Registers && k != ContextKind::UsdtArguments &&
          k != ContextKind::PerfSample) {
        error(DiagCode::BuiltinNotAvailable, n.loc,
              "reg() is only available where the kernel saves the interrupted task's registers "
              "(kprobe, kretprobe, uprobe, uretprobe, usdt, profile, software and hardware "
              "probes), not in " +
                  current_probe_kinds());
        return;
      }
    }
    return;
  }
  case BuiltinFunction::Override:
  case BuiltinFunction::PercpuKaddr:
  case BuiltinFunction::WriteUser:
  case BuiltinFunction::Path:
  case BuiltinFunction::SocketCookie:
  case BuiltinFunction::CommPid:
  case BuiltinFunction::SkbOutput:
    type_kernel_call(n);
    return;
  case BuiltinFunction::StrConcat: {
    // str_concat(a, b): a's text then b's, in a string that holds both whole.
    for (size_t i = 0; i < 2; ++i) {
      const Type &t = n.args[i]->type;
      if (t.kind == TypeKind::None)
        return;
      if (t.kind != TypeKind::String) {
        error(DiagCode::WrongArgumentType, n.args[i]->loc,
              "str_concat() joins strings, not " + type_name(t),
              t.kind == TypeKind::Pointer || t.kind == TypeKind::Integer
                  ? "read the string at an address first: str(p)"
                  : "");
        return;
      }
    }
    n.type = make_string(n.args[0]->type.size + n.args[1]->type.size - 1);
    return;
  }
  case BuiltinFunction::Strncmp:
  case BuiltinFunction::Strstr:
  case BuiltinFunction::Globmatch: {
    // strncmp(a, b, n), strstr(haystack, needle), globmatch(s, "pattern"): strings (read a
    // pointer with str() first).
    for (size_t i = 0; i < 2; ++i) {
      const Type &t = n.args[i]->type;
      if (t.kind != TypeKind::String && t.kind != TypeKind::None) {
        error(DiagCode::WrongArgumentType, n.args[i]->loc,
              n.name + "() compares strings, not " + type_name(t),
              t.kind == TypeKind::Pointer || t.kind == TypeKind::Integer
                  ? "read the string at an address first: str(p)"
                  : "");
        return;
      }
    }
    if (n.builtin == BuiltinFunction::Strncmp) {
      want_integer(n, 2, "length");
      if (auto v = constant_value(n.args[2]); v && *v < 0) {
        error(DiagCode::InvalidOperand, n.args[2]->loc,
              "strncmp()'s length must not be negative, not " + std::to_string(*v));
        return;
      }
    }
    if (n.builtin == BuiltinFunction::Globmatch) {
      n.type = make_bool();
      auto *pattern = dynamic_cast<String *>(n.args[1]);
      if (!pattern) {
        constant_required(n.args[1],
                          "globmatch()'s pattern must be a string literal (scry compiles it "
                          "into a table when it compiles the program)");
        return;
      }
      std::string problem;
      if (!compile_glob(pattern->value, kGlobMaxStates, problem))
        error(DiagCode::InvalidOperand, n.args[1]->loc, problem,
              "split it: globmatch(s, \"a*\") && globmatch(s, \"*b\")");
      return;
    }
    n.type = make_int(8, true);
    return;
  }
  case BuiltinFunction::Strerror: {
    // strerror(errno): the text of an error number, as a string (errno or -errno).
    want_integer(n, 0, "error number");
    n.type = make_string(kErrnoTextBytes);
    return;
  }
  case BuiltinFunction::Join: {
    // join(argv[, "sep"]): the strings of a NULL-terminated array of pointers (argv), printed
    // by user space with `sep` (default " ") between them.
    const Type &t = n.args[0]->type;
    if (t.kind != TypeKind::Pointer && t.kind != TypeKind::Integer && t.kind != TypeKind::None) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "join() needs the address of an array of string pointers (char *argv[]), not " +
                type_name(t));
      return;
    }
    std::string separator = " ";
    if (n.args.size() == 2) {
      auto *s = dynamic_cast<String *>(n.args[1]);
      if (!s) {
        error(DiagCode::ConstantRequired, n.args[1]->loc,
              "join()'s separator must be a string literal");
        return;
      }
      separator = s->value;
    }
    if (!quiet_) {
      n.id = static_cast<int>(result_.resources.join_separators.size());
      result_.resources.join_separators.push_back(separator);
    }
    return;
  }
  case BuiltinFunction::CgroupPath: {
    // cgroup_path(id[, "filter"]): the id is sent; user space finds its paths when printing.
    want_integer(n, 0, "cgroup id");
    std::string filter = "*";
    if (n.args.size() == 2) {
      auto *s = dynamic_cast<String *>(n.args[1]);
      if (!s) {
        error(DiagCode::ConstantRequired, n.args[1]->loc,
              "cgroup_path()'s filter must be a string literal",
              "a pattern of hierarchy names: \"unified\" (cgroup v2), \"cpu*\"");
        return;
      }
      filter = s->value;
    }
    n.type = make_cgroup_path(filter);
    return;
  }
  case BuiltinFunction::SignalName: {
    want_integer(n, 0, "signal number");
    n.type = make_string(kSignalNameBytes);
    return;
  }
  case BuiltinFunction::Macaddr: {
    // macaddr(a): the first 6 bytes of an array, or 6 bytes read at an address (a pointer or an
    // integer), printed as a MAC address.
    const Type &t = n.args[0]->type;
    if (t.kind == TypeKind::None)
      return;
    n.type = make_macaddr();
    if (dynamic_cast<String *>(n.args[0])) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "macaddr() takes the address's 6 bytes (an array or a pointer), not a string literal");
      return;
    }
    if (t.kind == TypeKind::Pointer || t.kind == TypeKind::Integer)
      return;
    if (t.kind != TypeKind::String && integer_array_bytes(t) == 0) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "macaddr() takes an array of bytes or a pointer to them, not " + type_name(t));
      return;
    }
    if (t.size < 6)
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "macaddr() needs 6 bytes; " + type_name(t) + " holds " + std::to_string(t.size),
            "a MAC address is 6 bytes: char[6]");
    return;
  }
  case BuiltinFunction::SyscallName: {
    want_integer(n, 0, "system call number");
    n.type = make_string(kSyscallNameBytes);
    return;
  }
  default:
    return;
  }
}

void TypeChecker::type_buf(Call &n) {
  // buf(p, len): `len` bytes at address p, at most max_strlen; buf(array[, len]): the array's
  // bytes (all of them without a length).
  const Type &t = n.args[0]->type;
  if (t.kind == TypeKind::None)
    return;
  const uint32_t limit = result_.resources.max_strlen;
  const uint32_t array_bytes = integer_array_bytes(t);
  const bool address = t.kind == TypeKind::Pointer || t.kind == TypeKind::Integer;
  if (!address && array_bytes == 0) {
    error(DiagCode::WrongArgumentType, n.args[0]->loc,
          "buf() reads bytes from a pointer or an array of integers, not " + type_name(t));
    return;
  }
  uint32_t size = array_bytes ? array_bytes : limit;
  if (n.args.size() == 1) {
    if (address) {
      error(DiagCode::WrongArgumentCount, n.loc, "buf() of a pointer needs a length: buf(p, len)",
            "an array's length is known: buf() of one may leave it out");
      return;
    }
  } else {
    want_integer(n, 1, "length");
    auto v = constant_value(n.args[1]);
    if (!v && array_bytes) {
      error(DiagCode::ConstantRequired, n.args[1]->loc,
            "buf() of an array takes a constant length (or none: the whole array)");
      return;
    }
    if (v) {
      if (*v < 1) {
        error(DiagCode::WrongArgumentType, n.args[1]->loc, "buf()'s length must be positive");
        return;
      }
      if (*v > static_cast<int64_t>(size)) {
        if (array_bytes)
          error(DiagCode::WrongArgumentType, n.args[1]->loc,
                "buf()'s length (" + std::to_string(*v) + ") is more than the array's " +
                    std::to_string(array_bytes) + " bytes");
        else
          warning(DiagCode::IgnoredArgument, n.args[1]->loc,
                  "length param (" + std::to_string(*v) +
                      ") is too long and will be shortened to " + std::to_string(limit) +
                      " bytes (see BPFTRACE_MAX_STRLEN)");
        if (array_bytes)
          return;
      }
      size = static_cast<uint32_t>(std::min<int64_t>(*v, size));
    }
  }
  n.type = make_buffer(size);
}

} // namespace scry
