// printf formats as the kernel's bprintf reads them (bpf_seq_printf, bpf_snprintf): the subset
// of scry's printf that the kernel can format itself, for printf in pinned iterators, whose text
// is written by the program into the iterator's seq_file (codegen/seq_printf.cpp).
#pragma once

#include "base/types.h"

#include <cstddef>
#include <string>
#include <vector>

namespace scry {

/// The most arguments bpf_seq_printf takes (linux/bpf.h: MAX_BPRINTF_VARARGS).
inline constexpr size_t kMaxKernelPrintfArgs = 12;

/// `format` (which passed check_printf() against `args`) rewritten for the kernel, each argument
/// passed as a u64: integer conversions of integers, booleans and pointers widened to `ll`, %p
/// as `0x%llx` (the kernel's %p hashes addresses), %s of strings (passed by address), literal
/// '%' doubled. Returns "" and sets `why` ("%5.2d of int64", "13 arguments") when the kernel
/// cannot print it: precision, '#', %s of a non-string, %r, more than 12 arguments.
std::string kernel_printf_format(const std::string &format, const std::vector<Type> &args,
                                 std::string &why);

} // namespace scry
