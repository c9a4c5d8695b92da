// The run's symbol resolver for stacks, ksym and usym (runtime/output.h's ValueSymbols): kernel
// addresses from /proc/kallsyms, read at the first kernel frame printed; user addresses from
// each process's mappings, captured while it lives (symbols/process_symbols.h). Uses symbols/.
#pragma once

#include "runtime/output.h"
#include "sema/resources.h"
#include "symbols/kernel_symbols.h"
#include "symbols/process_symbols.h"

#include <map>
#include <memory>
#include <string>
#include <sys/types.h>

namespace scry {

/// Resolves the addresses of one run's stacks and symbols.
///
/// A process's mappings are captured when its programs announce it (AsyncKind::ProcessSeen, the
/// first time one of its stacks or symbols is taken) and when a -c child is about to exit, so
/// that maps printed after it has exited still show function names. A process that ended
/// before its mappings were read falls back to the probed binary when that is a non-PIE
/// executable (its addresses are fixed), as bpftrace does; otherwise its frames print as
/// addresses.
class Symbolizer final : public ValueSymbols {
public:
  explicit Symbolizer(const Resources &resources) : res_(resources) {}

  /// Reads the mappings of `pid` now (see ProcessSymbols::capture). False when it is gone.
  bool capture(pid_t pid) { return processes_.capture(pid); }

  std::optional<FrameSymbol> kernel(uint64_t address) override;
  std::optional<FrameSymbol> user(uint64_t address, int32_t pid, int32_t probe) override;

private:
  const Resources &res_;
  std::unique_ptr<KernelSymbols> kernel_;
  bool kernel_loaded_ = false;
  ProcessSymbols processes_;
  std::map<std::string, bool> fixed_address_; // probed binary -> linked at fixed addresses
};

} // namespace scry
