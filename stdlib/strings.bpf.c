// scry's standard library: string helpers in C, compiled to BPF bitcode at build time
// (cmake/ScryCore.cmake) and linked into a program only when it calls them
// (src/codegen/stdlib_bitcode.h). A function here is called by the primitive of the same name
// without the `__scry_` prefix; stdlib/strings.bt's macros are the user-facing functions.
//
// Every function is inlined into its caller: keep them small, with loops bounded by their
// arguments (the verifier walks every iteration), and read only the memory they are given.

typedef unsigned long long u64;

// Keeps the compiler from computing an address from `i` before the check that bounds it (as
// libbpf's barrier_var): the verifier refuses pointer arithmetic with an unbounded number, even
// on a path whose result is not used.
#define bounded(i) asm volatile("" : "+r"(i))

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

// strncmp(a, b, n): 0 when strings `a` (capacity `a_cap` bytes) and `b` (`b_cap`) agree in
// their first `n` bytes or up to a NUL both have at the same place, else 1 (bpftrace's values).
// A byte past a string's capacity reads as NUL, so the loop stops by max(a_cap, b_cap).
long __scry_strncmp(const char *a, u64 a_cap, const char *b, u64 b_cap, u64 n) {
  for (u64 i = 0; i < n && (i < a_cap || i < b_cap); i++) {
    char ca = i < a_cap ? a[i] : 0;
    char cb = i < b_cap ? b[i] : 0;
    if (ca != cb)
      return 1;
    if (ca == 0)
      return 0;
  }
  return 0;
}

// strstr(haystack, needle): the index of the first occurrence of the NUL-terminated `needle`
// (capacity `n_cap` bytes) in `haystack` (capacity `h_cap`), or -1; 0 for an empty needle. The
// loops are bounded by the capacities, so the verifier walks at most h_cap * n_cap steps.
long __scry_strstr(const char *h, u64 h_cap, const char *n, u64 n_cap) {
  if (n_cap == 0 || n[0] == 0)
    return 0;
  for (u64 i = 0; i < h_cap && h[i] != 0; i++) {
    u64 j = 0;
    while (j < n_cap && n[j] != 0 && i + j < h_cap && h[i + j] == n[j])
      j++;
    if (j == n_cap || n[j] == 0)
      return (long)i;
  }
  return -1;
}

// globmatch(s, "pattern"): 1 when the whole NUL-terminated string `s` (capacity `s_cap` bytes)
// ends in an accepting state of the pattern's DFA (base/glob.h: `table[state * 256 + byte]`,
// `mask + 1` states, a power of two; bit s of `accept` for state s), else 0. One lookup per
// byte, so the verifier walks s_cap short steps.
long __scry_globmatch(const char *s, u64 s_cap, const unsigned char *table, u64 mask, u64 accept) {
  u64 state = 0;
  for (u64 i = 0; i < s_cap; i++) {
    const unsigned char c = (unsigned char)s[i];
    if (c == 0)
      break;
    state = table[((state & mask) << 8) | c];
  }
  return (long)((accept >> (state & 63)) & 1);
}

// str_concat(a, b): the text of `a` (capacity `a_cap` bytes) then that of `b` (`b_cap`) into
// `out`, which holds a_cap + b_cap - 1 bytes and is zeroed by the caller.
void __scry_str_concat(const char *a, u64 a_cap, const char *b, u64 b_cap, char *out) {
  u64 n = 0;
  for (u64 i = 0; i < a_cap && a[i] != 0; i++)
    out[n++] = a[i];
  for (u64 j = 0; j < b_cap && b[j] != 0; j++) {
    bounded(n);
    if (n >= a_cap + b_cap - 1)
      break;
    out[n++] = b[j];
  }
}

#include "errno_names.h"

// strerror(errno): the text of error `err` (negative or positive: -EPERM and EPERM alike) into
// `out` (64 bytes, NUL-padded), or "Unknown error" for a number without one.
void __scry_strerror(long err, char *out) {
  static const char unknown[64] = "Unknown error";
  const char *text = unknown;
  if (err < 0)
    err = -err;
  if (err >= 0 && err < SCRY_ERRNO_COUNT && scry_errno_texts[err][0] != 0)
    text = scry_errno_texts[err];
  __builtin_memcpy(out, text, 64);
}

#include "signal_names.h"

// signal_name(sig): the description of signal `sig` into `out` (32 bytes, NUL-padded), or "N/A"
// for a number outside 0..64, as bpftrace's.
void __scry_signal_name(long sig, char *out) {
  static const char unknown[32] = "N/A";
  const char *text = unknown;
  u64 i = (u64)sig;
  if (i < SCRY_SIGNAL_COUNT) {
    bounded(i);
    text = scry_signal_names[i];
  }
  __builtin_memcpy(out, text, 32);
}

// memcmp(a, b, n) and array ==: the difference of the first bytes of `a` and `b` that differ
// (as unsigned chars, as C's memcmp compares them), or 0 when their first `n` bytes are equal.
long __scry_memcmp(const unsigned char *a, const unsigned char *b, u64 n) {
  for (u64 i = 0; i < n; i++)
    if (a[i] != b[i])
      return (long)a[i] - (long)b[i];
  return 0;
}
