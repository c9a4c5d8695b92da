// `--info`: what this system, this build of scry and the running kernel support, in bpftrace's
// sections and wording (bpftrace's src/main.cpp info(), build_info.cpp, bpffeature.cpp).
// Uses base, symbols and runtime/kernel_features.h.
#pragma once

#include <cstdio>

namespace scry {

/// Prints the --info report on `out`: sections "System" (OS from uname(2), architecture),
/// "Build" (`version`, LLVM, libbpf, libdw, the x86 disassembler scry loads from libLLVM),
/// "Kernel helpers", "Kernel features", "Map types" and "Probe types" (kernel_has() for each
/// row), separated by blank lines. Every row is one line, `  name: value`, so that a script can
/// match `^\s*kprobe: yes`. bpftrace since 0.22 prints two rows a line; one a line is 0.17's
/// layout.
void print_info(std::FILE *out, const char *version);

} // namespace scry
