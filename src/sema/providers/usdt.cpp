// The USDT provider: usdt:BINARY:PROVIDER:NAME, usdt:BINARY:NAME (any provider), and with -p
// usdt:NAME or usdt:*:PROVIDER:NAME (every file the process maps); wildcards in every part.
// The binaries are found as uprobes find them (user_binaries, uprobe.cpp), the probes they
// declare read from their notes (symbols/usdt_notes.h); each matching probe is one program,
// which libbpf attaches at every site of the probe (runtime/attach.cpp).
#include "parser/suggest.h"
#include "sema/providers/providers.h"
#include "symbols/usdt_notes.h"

#include <fnmatch.h>
#include <string>
#include <vector>

namespace scry {

void expand_usdt(Expansion &x, ast::Probe &probe, ast::AttachPoint &ap) {
  auto matches = [](const std::string &pattern, const std::string &name) {
    return pattern.empty() || fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  };
  const bool wildcard = ap.target.find_first_of("*?[") != std::string::npos ||
                        ap.ns.find_first_of("*?[") != std::string::npos ||
                        ap.func.find_first_of("*?[") != std::string::npos;
  size_t added = 0;
  std::vector<std::string> seen; // "provider:name" of every probe of every binary, for hints
  const std::vector<std::string> binaries = user_binaries(x, ap);
  if (binaries.empty())
    return; // reported (or left out, as config missing_probes says)
  for (const std::string &path : binaries) {
    std::string error;
    std::vector<UsdtProbe> probes = read_usdt_probes(path, error);
    if (!error.empty()) {
      if (!wildcard)
        x.diags.error(DiagCode::UnknownBinary, ap.loc, error);
      continue;
    }
    for (const UsdtProbe &u : probes) {
      seen.push_back(u.provider + ":" + u.name);
      if (!matches(ap.ns, u.provider) || !matches(ap.func, u.name))
        continue;
      ProbeProgram &p = x.add_program(probe, ap, "usdt:" + path + ":" + u.provider + ":" + u.name);
      p.usdt = {path, u.provider, u.name};
      ++added;
    }
  }
  if (added || x.diags.has_errors())
    return;
  std::string wanted = (ap.ns.empty() ? "" : ap.ns + ":") + ap.func;
  x.missing_probe(ap,
                  "no USDT probe matches '" + wanted + "'" +
                      (ap.target.empty() ? "" : " in '" + ap.target + "'"),
                  seen.empty() ? "the file declares no USDT probes (readelf -n shows its notes)"
                               : did_you_mean(wanted, seen, "readelf -n lists its USDT probes"));
}

} // namespace scry
