// `-l`: listing the probes this system offers, as bpftrace's -l lists them (bpftrace's
// src/probe_matcher.cpp, get_probes_for_listing, and main.cpp): every probe a search pattern
// matches, `TYPE:...` a line, each type's probes sorted and the types in alphabetical order;
// with -v (`-lv`) each probe's arguments, indented by four spaces, and `-lv 'struct NAME'`
// prints a kernel type's definition. `-l` with a program lists the probes it would attach.
//
// Where each type's probes come from: tracepoints from tracefs's available_events; kprobes from
// the traceable kernel functions (symbols/kernel_symbols.h); fentry, raw tracepoints and
// iterators from the kernel's BTF (vmlinux and modules, sema/listing_btf.h); uprobes and USDT
// probes from the ELF files a target names (symbols/binary_path.h, elf_image.h, usdt_notes.h);
// software and hardware events from base/perf_events.h; profile and interval units from the
// attach-point grammar.
// Uses base, symbols, parser and sema.
#pragma once

#include "base/diagnostics.h"
#include "parser/ast.h"
#include "sema/btf.h"
#include "sema/semantic_analyser.h"

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace scry {

/// A -l search split as bpftrace splits it: "" is "*:*", a search without ':' is "*:SEARCH"
/// (matched against every type's probes), else the probe type (a name, an alias or a wildcard)
/// and the rest after the first ':'.
struct ListSearch {
  std::string type; // "tracepoint", "t", "*", "k*"
  std::string rest; // "syscalls:sys_enter_*", "/bin/bash:*", "*sleep*"
};

/// Splits `search` as above.
ListSearch parse_list_search(std::string_view search);

/// Whether `text` matches the wildcard `pattern`: fnmatch(3) without flags, so `*` matches any
/// run of characters (':' and '/' too, as bpftrace's `*` does), `?` one, `[...]` one of a set.
bool list_wildcard_match(std::string_view pattern, std::string_view text);

/// Whether `search` names a kernel type for -l rather than probes: it starts with "struct ",
/// "union " or "enum " (bpftrace's is_type_name).
bool is_list_type_search(std::string_view search);

/// What a listing reads besides the search.
struct ListOptions {
  std::string tracefs_root; // where tracepoints are listed from; "" when tracefs is not mounted
  pid_t pid = 0;            // -p: uprobes and USDT probes of this process's mapped files
  bool verbose = false;     // -v: arguments, and type definitions
  /// Whether the running kernel has a feature, by its `--info` name ("kprobe", "fentry",
  /// "tp_btf", "iter", "uprobe", "tracepoint"; runtime/kernel_features.h, which sema cannot
  /// include). Unset: every type is taken as supported.
  std::function<bool(std::string_view feature)> kernel_has;
};

/// Prints on `out` every probe `search` matches (bpftrace's -l [SEARCH]); with a type search
/// (is_list_type_search) the matching kernel types instead. A wildcard over probe types lists
/// only the kernel's types, unless -p is given or the search names an existing file, as
/// bpftrace does; a type the kernel lacks (kprobes without CONFIG_KPROBES) is left out of a
/// wildcard and listed with a warning on stderr when named. Returns false after printing an
/// error on stderr ("scry: -l ...") for a search that cannot mean anything: an unknown probe
/// type (with the closest name), a binary that does not exist, a kernel type source that cannot
/// be read. A search that matches nothing prints nothing and succeeds, as in bpftrace.
bool list_probes(std::string_view search, const ListOptions &options, std::FILE *out);

/// Prints on `out` the probes `program` would attach (bpftrace's -l with a program): its
/// attach points expanded by the probe types' providers (the config and probe-expansion passes
/// of analyse()), one program's name a line, begin and end probes left out; with -v each one's
/// arguments. Returns false with the expansion's errors in `diags`.
bool list_program_probes(const ast::Program &program, const SemaOptions &sema_options,
                         KernelBtf &btf, bool verbose, std::FILE *out, Diagnostics &diags);

} // namespace scry
