// Type checking of library functions whose value user space formats or whose arguments need
// more than one type (part of the TypeChecker, type_checker.h): bswap, ntop, strftime, buf,
// cat and syscall_name. bpftrace's docs/stdlib.md is the reference for each.
// Reads the calls and their arguments; writes Call::type and Call::id, Resources::printfs (cat)
// and join_separators.
#include "base/bpf_abi.h"
#include "sema/type_checker.h"

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
    n.type = make_timestamp(fmt->value);
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
  case BuiltinFunction::Strncmp:
  case BuiltinFunction::Strstr: {
    // strncmp(a, b, n), strstr(haystack, needle): strings (read a pointer with str() first).
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
