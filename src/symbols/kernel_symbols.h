// Kernel symbols from /proc/kallsyms: the table the runtime resolves kernel addresses with
// (kstack, ksym) and the name-to-address lookup sema's kaddr("name") needs. Uses only base.
//
// Format (kernel/kallsyms.c, s_show(); Documentation/filesystems/proc.rst): one symbol a line,
//   ADDRESS TYPE NAME            a symbol of vmlinux
//   ADDRESS TYPE NAME\t[MODULE]  a symbol of a module ("bpf" for JITed BPF programs,
//                                "__builtin__ftrace" for ftrace trampolines)
// ADDRESS is lowercase hexadecimal, zero-padded; TYPE is nm(1)'s letter. vmlinux comes first,
// sorted by address, then each module, not sorted. An unprivileged reader (or any reader when
// kernel.kptr_restrict=2, see Documentation/admin-guide/sysctl/kernel.rst) sees every address
// as 0. Symbol sizes are not listed: a symbol is taken to run up to the next one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scry {

/// A resolved address: the symbol holding it, the byte offset into it, and where it lives
/// (kernel: the module name without brackets, "" for vmlinux; user: the ELF file's path as the
/// process mapped it).
struct SymbolAt {
  std::string name;
  uint64_t offset = 0; // bytes from the symbol's start
  std::string module;
};

/// The kernel's symbol table, loaded once from a kallsyms file and sorted by address.
class KernelSymbols {
public:
  /// How far above the highest symbol an address may be and still resolve to it, in bytes.
  /// Between two symbols an address always resolves to the lower one (kallsyms gives no sizes);
  /// above the last one there is no next symbol to bound it.
  static constexpr uint64_t kMaxLastSymbolSpan = 64 * 1024;

  /// Reads and parses the kallsyms file at `path` (tests pass a fixture). Returns null with
  /// `error` set to a sentence naming the file when it cannot be read, lists no symbol, or lists
  /// every address as 0 (hidden by kernel.kptr_restrict: the message says so). Absolute symbols
  /// (types 'a' and 'A': values, not addresses) are left out; lines that do not parse are skipped.
  static std::unique_ptr<KernelSymbols> load(const std::string &path, std::string &error);

  /// The symbol holding kernel address `addr`: the one with the highest address <= addr (bcc's
  /// rule); of several symbols at one address, the first listed. nullopt below the lowest symbol
  /// and more than kMaxLastSymbolSpan above the highest.
  std::optional<SymbolAt> resolve(uint64_t addr) const;

  /// The number of distinct symbol addresses held.
  size_t size() const { return entries_.size(); }

private:
  struct Entry {
    uint64_t address;
    uint32_t name;      // offset of the name in names_
    uint16_t name_size; // KSYM_NAME_LEN is 512
    uint16_t module;    // index in modules_; 0 is vmlinux ("")
  };
  std::vector<Entry> entries_; // sorted by address, one per address
  std::string names_;          // every name, back to back
  std::vector<std::string> modules_;
};

/// The address of the kernel symbol `name` in the kallsyms file at `path`: the first line naming
/// it, a vmlinux symbol before a module's. Streams the file without building a table (for
/// kaddr("name") at compile time). nullopt when no line names it, the file cannot be read, or
/// its address reads as 0 (hidden by kernel.kptr_restrict).
std::optional<uint64_t> kernel_symbol_address(const std::string &name,
                                              const std::string &path = "/proc/kallsyms");

/// A kernel function by name, and the module it is in ("" for vmlinux).
struct KernelFunction {
  std::string name;
  std::string module;
  bool operator<(const KernelFunction &o) const {
    return name != o.name ? name < o.name : module < o.module;
  }
  bool operator==(const KernelFunction &o) const { return name == o.name && module == o.module; }
};

/// The kernel functions kprobes and fentry can attach to.
struct KernelFunctionList {
  std::vector<KernelFunction> functions; // sorted by name, then module; no duplicates
  /// The list is kallsyms's text symbols (types t and T), because tracefs's
  /// available_filter_functions could not be read: it may name functions that ftrace cannot
  /// trace (inlined copies, notrace functions), which then fail to attach.
  bool from_kallsyms = false;
  std::string error; // why neither file could be read, when `functions` is empty
};

/// The traceable kernel functions: tracefs's available_filter_functions ("NAME" or
/// "NAME [MODULE]" a line: the functions ftrace patched a call into, so neither inlined nor
/// notrace; kernel/trace/ftrace.c, t_show()), else the text symbols of the kallsyms file
/// `kallsyms`, without the padding and CFI stubs (__pfx_*, __cfi_*) and cold parts (*.cold)
/// that are not functions of their own. Some kernels refuse available_filter_functions even to
/// root (EPERM, as this project's CI machines do); kallsyms is the fallback then.
KernelFunctionList
traceable_kernel_functions(const std::string &tracefs_root = "/sys/kernel/tracing",
                           const std::string &kallsyms = "/proc/kallsyms");

} // namespace scry
