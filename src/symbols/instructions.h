// Whether a byte offset into a function is the start of one of its machine instructions, which a
// uprobe at FUNCTION+OFFSET must be: the kernel writes its breakpoint at that byte, and one
// written inside an instruction corrupts the traced program (bpftrace refuses it the same way).
// The function's bytes are read from its ELF file and decoded from its first byte with LLVM's
// MC disassembler, through LLVM's C API in LLVM 16's shared library (libLLVM-16.so.1), which
// the first check loads with dlopen. Linked statically instead, LLVM's x86 tables cost every
// start of scry, offset probe or not, about 400 page faults and 3 MiB to relocate; loading the
// library costs only a program with an offset probe (about 15 ms and 50 MiB: it relocates all
// of LLVM). Only x86-64 is decoded.
// Uses only base (and dlopen, and LLVM's C header for its types); sema's uprobe provider calls it.
#pragma once

#include "symbols/elf_image.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace scry {

/// Where an offset lies among a function's instructions. Offsets are bytes from the function's
/// first byte (its symbol's address).
struct InstructionBoundary {
  bool at_start = false; // the offset is the first byte of an instruction
  /// The instruction holding the offset starts at `before` (== the offset when at_start) and
  /// the next one at `after` (the function's size when the offset is in its last instruction).
  uint64_t before = 0, after = 0;
};

/// LLVM's x86-64 disassembler: the functions of LLVM's C API that decoding needs, found in a
/// shared LLVM library. Opaque.
struct X86Disassembler;

/// Opens the first of `libraries` (names or paths, as dlopen takes them) that dlopen opens,
/// finds LLVM's disassembler functions in it and initializes its x86 target. The library stays
/// loaded for the life of the process. Returns null with `error` set to a sentence when none
/// opens (it gives dlopen's reason for the first and says to install libLLVM-16.so.1, Debian's
/// package libllvm16) or when the one that opens lacks one of the functions (it names it).
/// decode_instruction_boundary calls it once, at its first call, with libLLVM-16.so.1 and
/// libLLVM-16.so; tests name other libraries.
const X86Disassembler *load_x86_64_disassembler(std::initializer_list<const char *> libraries,
                                                std::string &error);

/// libLLVM-16's disassembler (load_x86_64_disassembler of libLLVM-16.so.1, then libLLVM-16.so),
/// loaded at the first call and kept; when it cannot be, every call gives the same error.
const X86Disassembler *x86_64_disassembler(std::string &error);

/// `function`'s `function.size` bytes as its ELF file holds them: read at the file offset of
/// its address in the executable PT_LOAD segment that holds all of them. Returns nullopt with
/// `error` set to a sentence naming the function when its symbol has no size (st_size 0: where
/// it ends is unknown), when no executable segment holds its bytes, or when image.path cannot
/// be read.
std::optional<std::vector<uint8_t>>
read_function_code(const ElfImage &image, const ElfFunction &function, std::string &error);

/// Decodes `code` as x86-64 instructions from its first byte, in order, until the one that
/// holds `offset` (bytes from the start of `code`, which must be less than code.size()), and
/// says where `offset` lies. Returns nullopt with `error` set when an instruction before or at
/// `offset` does not decode (data among the instructions, or not x86-64 code; the sentence
/// gives its offset), when `offset` is not inside `code`, or when the disassembler cannot be
/// loaded (load_x86_64_disassembler's sentence; later calls give the same one).
std::optional<InstructionBoundary> decode_instruction_boundary(std::span<const uint8_t> code,
                                                               uint64_t offset, std::string &error);

/// Both of the above for `function` of `image` (its ELF file is read again for the bytes):
/// whether `offset` (bytes from the function's address, less than function.size) starts one of
/// its instructions. Returns nullopt with `error` set to a sentence when scry cannot tell: the
/// file is not x86-64 (ELF header's class and e_machine; other architectures are not decoded),
/// the disassembler cannot be loaded, or read_function_code or decode_instruction_boundary
/// fails. The caller gives the way around it (--unsafe).
std::optional<InstructionBoundary> check_instruction_boundary(const ElfImage &image,
                                                              const ElfFunction &function,
                                                              uint64_t offset, std::string &error);

} // namespace scry
