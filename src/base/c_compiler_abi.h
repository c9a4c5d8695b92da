// The interface of libscry-cc.so, scry's C compiler for imported `.bpf.c` files
// (src/cc/compile_bpf_c.cpp): plain C types, because scry loads the library with dlopen only for
// a program that imports C (sema/c_imports.h), and the library links the Clang 16 libraries that
// scry itself never links.
#pragma once

#include <stddef.h>

extern "C" {

/// Bumped whenever a struct below or a function's meaning changes; scry refuses a library whose
/// scry_cc_abi_version() differs.
#define SCRY_CC_ABI_VERSION 1

/// A file given to the compiler in memory: a header a `.bpf.c` file may #include by `name`.
struct ScryCcFile {
  const char *name; // as #include names it: "lib.h", "vmlinux.h"
  const char *text;
  size_t size; // bytes of text
};

/// One `.bpf.c` file to compile for BPF.
struct ScryCcRequest {
  const char *name; // the file's absolute path: its name in diagnostics
  const char *text;
  size_t size;
  const ScryCcFile *headers; // searched by #include "..." and <...> before the file system
  size_t header_count;
};

/// What scry_cc_compile() made; every pointer is owned by the library (scry_cc_free()).
struct ScryCcResult {
  int ok;        // 1 when the file compiled; 0 with `diagnostics` saying why
  char *bitcode; // the optimised LLVM module, as bitcode (BPF, little-endian, with debug info)
  size_t bitcode_size;
  char *object;       // the same module as a BPF ELF object, whose .BTF section describes its
  size_t object_size; // functions (their prototypes are what a script may call)
  char *diagnostics;  // clang's errors and warnings, as clang prints them (NUL-terminated)
};

typedef int (*ScryCcAbiVersionFn)(void);
typedef void (*ScryCcCompileFn)(const ScryCcRequest *request, ScryCcResult *result);
typedef void (*ScryCcFreeFn)(ScryCcResult *result);

} // extern "C"
