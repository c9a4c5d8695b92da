// scry's standard library: string helpers in C, compiled to BPF bitcode at build time
// (cmake/ScryCore.cmake) and linked into a program only when it calls them
// (src/codegen/stdlib_bitcode.h). A function here is called by the primitive of the same name
// without the `__scry_` prefix; stdlib/strings.bt's macros are the user-facing functions.
//
// Every function is inlined into its caller: keep them small, with loops bounded by their
// arguments (the verifier walks every iteration), and read only the memory they are given.

typedef unsigned long long u64;

// The length of the NUL-terminated string at `s`, at most `max` bytes (a string's capacity:
// scry's strings are fixed-size buffers, NUL-padded).
u64 __scry_strnlen(const char *s, u64 max) {
  u64 n = 0;
  while (n < max && s[n] != 0)
    n++;
  return n;
}

#include "syscall_names.h"

// syscall_name(nr): the name of x86-64 system call `nr` into `out` (24 bytes, NUL-padded), or
// "Unknown syscall" for a number without one, as bpftrace's.
void __scry_syscall_name(u64 nr, char *out) {
  static const char unknown[24] = "Unknown syscall";
  const char *name = unknown;
  if (nr < SCRY_SYSCALL_COUNT && scry_syscall_names[nr][0] != 0)
    name = scry_syscall_names[nr];
  __builtin_memcpy(out, name, 24);
}
