// The USDT probes an ELF file declares: the provider and name of each SystemTap SDT note
// (.note.stapsdt, https://sourceware.org/systemtap/wiki/UserSpaceProbeImplementation), enough
// to expand `usdt:binary:provider:name` wildcards and to report a probe that does not exist.
// Argument specifications, locations and semaphores are libbpf's part: it reads the same notes
// when it attaches (bpf_program__attach_usdt) and gives the BPF side what stdlib/usdt.bpf.c
// reads. Uses only base.
#pragma once

#include <string>
#include <vector>

namespace scry {

struct UsdtProbe {
  std::string provider, name;
  bool has_semaphore = false;
};

/// The USDT probes of the ELF file `path`, each (provider, name) once, sorted. Returns an empty
/// list with `error` set when the file cannot be read (none declared is not an error).
std::vector<UsdtProbe> read_usdt_probes(const std::string &path, std::string &error);

} // namespace scry
