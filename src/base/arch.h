// The target architecture's registers, as BPF programs read them from a saved struct pt_regs.
// scry compiles for the machine it runs on; every register offset it uses is here, so that a
// port to another architecture is this file (and the places that check kArchKnown).
#pragma once

#include <cstdint>

namespace scry::arch {

#if defined(__x86_64__)
/// Whether the offsets below are known for the build's architecture.
inline constexpr bool kKnown = true;
/// The architecture's name as uname -m and the kernel's arch/ folder spell it.
inline constexpr const char *kName = "x86_64";

// Byte offsets in x86_64's struct pt_regs (arch/x86/include/asm/ptrace.h), whose layout is the
// ptrace ABI's user_regs_struct: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip
// cs flags sp ss, 8 bytes each.

/// The registers of system call arguments 0..5: di, si, dx, r10, r8, r9 (entry_64.S).
inline constexpr uint32_t kSyscallArgOffsets[6] = {112, 104, 96, 56, 72, 64};
/// orig_ax: the system call number, as syscall_get_nr() reads it.
inline constexpr uint32_t kSyscallNrOffset = 120;
/// The registers of function arguments 0..5 in the SysV AMD64 calling convention (argN in
/// kprobes and uprobes): di, si, dx, cx, r8, r9.
inline constexpr uint32_t kArgOffsets[6] = {112, 104, 96, 88, 72, 64};
/// ax: a function's return value (retval in kretprobes and uretprobes).
inline constexpr uint32_t kReturnOffset = 80;
/// ip and sp: the instruction and stack pointers.
inline constexpr uint32_t kIpOffset = 128;
inline constexpr uint32_t kSpOffset = 152;
/// reg(name)'s names, in struct pt_regs order (each 8 bytes): bpftrace's names for x86_64's
/// registers (its arch/x86_64.cpp).
inline constexpr const char *kRegisterNames[] = {
    "r15", "r14", "r13", "r12", "bp",      "bx", "r11", "r10",   "r9", "r8", "ax",
    "cx",  "dx",  "si",  "di",  "orig_ax", "ip", "cs",  "flags", "sp", "ss"};
#else
inline constexpr bool kKnown = false;
inline constexpr const char *kName = "unknown";
inline constexpr uint32_t kSyscallArgOffsets[6] = {};
inline constexpr uint32_t kSyscallNrOffset = 0;
inline constexpr uint32_t kArgOffsets[6] = {};
inline constexpr uint32_t kReturnOffset = 0;
inline constexpr uint32_t kIpOffset = 0;
inline constexpr uint32_t kSpOffset = 0;
inline constexpr const char *kRegisterNames[] = {""};
#endif

} // namespace scry::arch
