#include "runtime/info.h"

#include "runtime/kernel_features.h"
#include "symbols/instructions.h"

#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <llvm/Config/llvm-config.h>
#include <string>
#include <sys/utsname.h>

namespace scry {

namespace {

using F = KernelFeature;

// --info's rows after the build's, section by section, in bpftrace's order with scry's
// additions after bpftrace's rows.
constexpr F kHelpers[] = {
    F::HelperProbeRead,
    F::HelperProbeReadStr,
    F::HelperProbeReadUser,
    F::HelperProbeReadUserStr,
    F::HelperProbeReadKernel,
    F::HelperProbeReadKernelStr,
    F::HelperGetCurrentCgroupId,
    F::HelperSendSignal,
    F::HelperOverrideReturn,
    F::HelperKtimeGetBootNs,
    F::HelperDPath,
    F::HelperSkbOutput,
    F::HelperKtimeGetTaiNs,
    F::HelperGetFuncIp,
    F::HelperJiffies64,
    F::HelperForEachMapElem,
    F::HelperGetNsCurrentPidTgid,
    F::HelperMapLookupPercpuElem,
    F::HelperLoop,
    F::HelperProbeWriteUser,
};
constexpr F kFeatures[] = {F::Loop,           F::Btf,         F::ModuleBtf, F::MapBatch,
                           F::UprobeRefcount, F::KallsymsData};
constexpr F kMapTypes[] = {
    F::MapHash,           F::MapPercpuHash, F::MapArray,   F::MapPercpuArray,   F::MapStackTrace,
    F::MapPerfEventArray, F::MapRingbuf,    F::MapLruHash, F::MapLruPercpuHash,
};
constexpr F kProbeTypes[] = {
    F::Kprobe,           F::KprobeMulti, F::KprobeSession, F::Uprobe,
    F::UprobeMulti,      F::Tracepoint,  F::RawTracepoint, F::TpBtf,
    F::Fentry,           F::PerfEvent,   F::Iter,          F::HardwareBreakpoint,
    F::RawTracepointRun,
};

template <size_t N>
void print_rows(std::FILE *out, const F (&rows)[N]) {
  for (F f : rows)
    fmt::print(out, "  {}: {}\n", kernel_feature_name(f), kernel_has(f) ? "yes" : "no");
}

} // namespace

void print_info(std::FILE *out, const char *version) {
  struct utsname u {};
  uname(&u);
  fmt::print(out, "System\n  OS: {} {} {}\n  Arch: {}\n\n", u.sysname, u.release, u.version,
             u.machine);

  std::string error;
  bool disassembler = x86_64_disassembler(error) != nullptr;
  fmt::print(out, "Build\n  version: v{}\n  LLVM: {}\n  libbpf: {}.{}\n", version,
             LLVM_VERSION_STRING, libbpf_major_version(), libbpf_minor_version());
  fmt::print(out, "  libdw (DWARF support): yes\n");
  fmt::print(out, "  x86 disassembler (libLLVM-16.so.1, uprobe offsets): {}\n\n",
             disassembler ? "yes" : "no");

  fmt::print(out, "Kernel helpers\n");
  print_rows(out, kHelpers);
  fmt::print(out, "\nKernel features\n  Instruction limit: {}\n", kernel_instruction_limit());
  print_rows(out, kFeatures);
  fmt::print(out, "\nMap types\n");
  print_rows(out, kMapTypes);
  fmt::print(out, "\nProbe types\n");
  print_rows(out, kProbeTypes);
}

} // namespace scry
