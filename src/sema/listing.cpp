// -l: reads the sources listing.h names, writes only to its output stream and stderr.
#include "sema/listing.h"

#include "base/perf_events.h"
#include "parser/probe_types.h"
#include "sema/listing_btf.h"
#include "sema/passes.h"
#include "sema/tracepoint_format.h"
#include "symbols/binary_path.h"
#include "symbols/dwarf_params.h"
#include "symbols/elf_image.h"
#include "symbols/kernel_symbols.h"
#include "symbols/usdt_notes.h"

#include <algorithm>
#include <fmt/format.h>
#include <fnmatch.h>
#include <fstream>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unordered_set>

namespace scry {

ListSearch parse_list_search(std::string_view search) {
  if (search.empty())
    return {"*", "*"};
  size_t colon = search.find(':');
  if (colon == std::string_view::npos)
    return {"*", std::string(search)};
  return {std::string(search.substr(0, colon)), std::string(search.substr(colon + 1))};
}

bool list_wildcard_match(std::string_view pattern, std::string_view text) {
  return fnmatch(std::string(pattern).c_str(), std::string(text).c_str(), 0) == 0;
}

bool is_list_type_search(std::string_view search) {
  return search.starts_with("struct ") || search.starts_with("union ") ||
         search.starts_with("enum ");
}

namespace {

using ast::ProbeType;

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

void list_error(const std::string &message) {
  fmt::print(stderr, "scry: -l: {}\n", message);
}

// The probe types a wildcard over types can list, in alphabetical order (bpftrace lists the
// types of a wildcard from a sorted set); `userspace` ones only with -p or an existing file.
struct ListedType {
  ProbeType type;
  bool userspace;
};
constexpr ListedType kListedTypes[] = {
    {ProbeType::Fentry, false},        {ProbeType::Hardware, false}, {ProbeType::Interval, false},
    {ProbeType::Iter, false},          {ProbeType::Kprobe, false},   {ProbeType::Profile, false},
    {ProbeType::RawTracepoint, false}, {ProbeType::Software, false}, {ProbeType::Tracepoint, false},
    {ProbeType::Uprobe, true},         {ProbeType::Usdt, true},
};

/// One listed probe: its text after "TYPE:" and what -v looks its arguments up by (category
/// and event, function and module, binary and function).
struct Match {
  std::string text;
  std::string a, b;
  bool operator<(const Match &o) const { return text < o.text; }
  bool operator==(const Match &o) const { return text == o.text; }
};

/// The kernel feature (kernel_feature_name's name) a probe type needs to attach, or null.
const char *needed_feature(ProbeType type) {
  switch (type) {
  case ProbeType::Kprobe:
  case ProbeType::Kretprobe:
    return "kprobe";
  case ProbeType::Fentry:
  case ProbeType::Fexit:
    return "fentry";
  case ProbeType::RawTracepoint:
    return "tp_btf";
  case ProbeType::Iter:
    return "iter";
  case ProbeType::Uprobe:
  case ProbeType::Uretprobe:
  case ProbeType::Usdt:
    return "uprobe";
  case ProbeType::Tracepoint:
    return "tracepoint";
  case ProbeType::Invalid:
  case ProbeType::Begin:
  case ProbeType::End:
  case ProbeType::Profile:
  case ProbeType::Interval:
  case ProbeType::Software:
  case ProbeType::Hardware:
  case ProbeType::Watchpoint:
  case ProbeType::Self:
  case ProbeType::Test:
  case ProbeType::Bench:
    return nullptr;
  }
  return nullptr;
}

/// The listing of one search or program: each source read once, on first use.
class Lister {
public:
  Lister(const ListOptions &options, std::FILE *out) : options_(options), out_(out) {}

  /// The matches of `rest` among `type`'s probes, sorted, each once. False after an error.
  bool matches(ProbeType type, std::string_view rest, std::vector<Match> &found);

  /// Prints "TYPE:text" for each match, then with -v its arguments.
  void print(ProbeType type, const std::vector<Match> &found);

  /// -l 'struct NAME' and -lv 'struct NAME'.
  bool list_types(std::string_view search);

private:
  bool tracepoints(std::string_view rest, std::vector<Match> &found);
  bool kernel_functions(ProbeType type, std::string_view rest, std::vector<Match> &found);
  bool binaries(ProbeType type, std::string_view rest, std::vector<Match> &found);
  bool btf(std::string &error) { return btf_.load(error); }
  std::vector<std::string> params(ProbeType type, const Match &m);
  std::vector<std::string> tracepoint_fields(const Match &m);

  const ListOptions &options_;
  std::FILE *out_;
  std::optional<std::vector<std::string>> tracepoints_;
  std::optional<KernelFunctionList> traceable_;
  ListingBtf btf_;
  std::set<std::string> warned_paths_;
};

bool Lister::tracepoints(std::string_view rest, std::vector<Match> &found) {
  if (!tracepoints_) {
    if (options_.tracefs_root.empty()) {
      list_error("cannot list tracepoints: tracefs is not mounted (as root: mount -t tracefs "
                 "tracefs /sys/kernel/tracing)");
      return false;
    }
    TracepointList list = list_tracepoints(options_.tracefs_root);
    if (!list.ok()) {
      list_error(list.error);
      return false;
    }
    tracepoints_ = std::move(list.names);
  }
  // "tracepoint:sys_enter_*" looks in every category, as bpftrace's "*:sys_enter_*".
  std::string pattern =
      rest.find(':') == std::string_view::npos ? "*:" + std::string(rest) : std::string(rest);
  for (const std::string &name : *tracepoints_) {
    if (!list_wildcard_match(pattern, name))
      continue;
    size_t colon = name.find(':');
    found.push_back({name, name.substr(0, colon), name.substr(colon + 1)});
  }
  return true;
}

bool Lister::kernel_functions(ProbeType type, std::string_view rest, std::vector<Match> &found) {
  std::string error;
  if (type != ProbeType::Kprobe && !btf(error)) {
    list_error(error);
    return false;
  }
  if (type == ProbeType::Iter) {
    for (const std::string &iter : btf_.iterators())
      if (list_wildcard_match(rest, iter))
        found.push_back({iter, iter, ""});
    return true;
  }
  // "kprobe:vfs_*" matches function names in every module; "kprobe:ext4:*" or
  // "fentry:vmlinux:vfs_*" names the module. fentry and raw tracepoints always print the
  // module, as bpftrace does; kprobes only when the search names one.
  const size_t colon = rest.find(':');
  const std::string module_pattern =
      colon == std::string_view::npos ? std::string("*") : std::string(rest.substr(0, colon));
  const std::string name_pattern(colon == std::string_view::npos ? rest : rest.substr(colon + 1));
  const bool with_module = colon != std::string_view::npos || type != ProbeType::Kprobe;
  auto add = [&](const std::string &name, const std::string &module) {
    const std::string mod = module.empty() ? "vmlinux" : module;
    if (name.find(".part.") != std::string::npos || // not traceable (bpftrace skips them too)
        !list_wildcard_match(name_pattern, name) || !list_wildcard_match(module_pattern, mod))
      return;
    found.push_back({with_module ? mod + ":" + name : name, name, module});
  };
  if (type == ProbeType::RawTracepoint) {
    for (const KernelFunction &f : btf_.raw_tracepoints())
      add(f.name, f.module);
    return true;
  }
  if (!traceable_)
    traceable_ = traceable_kernel_functions();
  if (type == ProbeType::Kprobe) {
    if (traceable_->functions.empty()) {
      list_error(traceable_->error);
      return false;
    }
    for (const KernelFunction &f : traceable_->functions)
      add(f.name, f.module);
    return true;
  }
  // fentry: the BTF functions ftrace can trace (when the kernel says which).
  std::unordered_set<std::string_view> traceable;
  for (const KernelFunction &f : traceable_->functions)
    traceable.insert(f.name);
  for (const KernelFunction &f : btf_.functions())
    if (traceable.empty() || traceable.count(f.name))
      add(f.name, f.module);
  return true;
}

bool Lister::binaries(ProbeType type, std::string_view rest, std::vector<Match> &found) {
  // "uprobe:/bin/bash:read*" or, with -p, "uprobe:read*" (every file the process maps).
  const size_t colon = rest.find(':');
  std::string target = colon == std::string_view::npos ? "*" : std::string(rest.substr(0, colon));
  const std::string pattern(colon == std::string_view::npos ? rest : rest.substr(colon + 1));
  std::vector<std::string> paths;
  if (has_wildcard(target)) {
    if (target != "*" || options_.pid > 0)
      paths = expand_binary_wildcard(target, options_.pid);
  } else {
    std::string error;
    std::string path = resolve_binary(target, options_.pid, error);
    if (path.empty()) {
      list_error(error);
      return false;
    }
    paths.push_back(path);
  }
  for (const std::string &path : paths) {
    std::string error;
    if (type == ProbeType::Usdt) {
      // "usdt:BIN:NAME" matches a probe of any provider, as the attach point does.
      const bool any_provider = pattern.find(':') == std::string::npos;
      for (const UsdtProbe &p : read_usdt_probes(path, error)) {
        std::string name = p.provider + ":" + p.name;
        if (list_wildcard_match(pattern, name) ||
            (any_provider && list_wildcard_match(pattern, p.name)))
          found.push_back({path + ":" + name, path, name});
      }
    } else if (std::optional<ElfImage> image = read_elf_image(path, error)) {
      for (const ElfFunction &f : image->functions)
        if (list_wildcard_match(pattern, f.name))
          found.push_back({path + ":" + f.name, path, f.name});
    }
    // A file among a wildcard's that is not an ELF file is not an error.
    if (!error.empty() && !has_wildcard(target)) {
      list_error(error);
      return false;
    }
  }
  return true;
}

bool Lister::matches(ProbeType type, std::string_view rest, std::vector<Match> &found) {
  bool ok = true;
  auto add_name = [&](std::string_view name) {
    std::string with_colon = std::string(name) + ":";
    if (list_wildcard_match(rest, name) || list_wildcard_match(rest, with_colon))
      found.push_back({with_colon, std::string(name), ""});
  };
  switch (type) {
  case ProbeType::Tracepoint:
    ok = tracepoints(rest, found);
    break;
  case ProbeType::Kprobe:
  case ProbeType::Kretprobe:
    ok = kernel_functions(ProbeType::Kprobe, rest, found);
    break;
  case ProbeType::Fentry:
  case ProbeType::Fexit:
    ok = kernel_functions(ProbeType::Fentry, rest, found);
    break;
  case ProbeType::RawTracepoint:
  case ProbeType::Iter:
    ok = kernel_functions(type, rest, found);
    break;
  case ProbeType::Uprobe:
  case ProbeType::Uretprobe:
  case ProbeType::Usdt:
    ok = binaries(type == ProbeType::Usdt ? type : ProbeType::Uprobe, rest, found);
    break;
  case ProbeType::Software:
  case ProbeType::Hardware:
    for (const PerfEventInfo &e :
         type == ProbeType::Software ? software_events() : hardware_events()) {
      add_name(e.name);
      if (e.alias)
        add_name(e.alias);
    }
    break;
  case ProbeType::Profile:
  case ProbeType::Interval:
    for (const char *unit : {"hz", "s", "ms", "us", "ns"}) // the attach-point grammar's units
      add_name(unit);
    break;
  case ProbeType::Invalid:
  case ProbeType::Begin:
  case ProbeType::End:
  case ProbeType::Watchpoint:
  case ProbeType::Self:
  case ProbeType::Test:
  case ProbeType::Bench:
    break; // nothing to look up: their attach points are written, not found
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return ok;
}

std::vector<std::string> Lister::tracepoint_fields(const Match &m) {
  // The fields after the common ones (which end at the first blank line), as written between
  // "field:" and ";": "const char * filename" (bpftrace's get_tracepoints_params).
  std::vector<std::string> out;
  std::ifstream file(options_.tracefs_root + "/events/" + m.a + "/" + m.b + "/format");
  std::string line;
  while (std::getline(file, line) && !line.empty()) {
  }
  while (std::getline(file, line)) {
    if (!line.starts_with("\tfield:"))
      continue;
    size_t start = line.find(':') + 1;
    out.push_back(line.substr(start, line.find(';') - start));
  }
  return out;
}

std::vector<std::string> Lister::params(ProbeType type, const Match &m) {
  std::string error;
  std::optional<std::vector<std::string>> found;
  switch (type) {
  case ProbeType::Tracepoint:
    return tracepoint_fields(m);
  case ProbeType::Kprobe:
  case ProbeType::Kretprobe:
  case ProbeType::Fentry:
  case ProbeType::Fexit:
    if (btf(error))
      found =
          btf_.function_params(m.a, m.b, type == ProbeType::Kretprobe || type == ProbeType::Fexit);
    break;
  case ProbeType::RawTracepoint:
    if (btf(error))
      found = btf_.raw_tracepoint_params(m.a, m.b);
    break;
  case ProbeType::Iter:
    if (btf(error))
      found = btf_.iterator_params(m.a);
    break;
  case ProbeType::Uprobe:
  case ProbeType::Uretprobe:
    if (auto dwarf = read_dwarf_params(m.a, m.b, error)) {
      found.emplace();
      for (const DwarfParam &p : *dwarf)
        found->push_back(p.type_name + (p.type_name.ends_with("*") ? "" : " ") + p.name);
    } else if (error.find(" does not define ") == std::string::npos &&
               warned_paths_.insert(m.a).second) {
      // A file without DWARF; one function without it (a C runtime start file's) is silent.
      fmt::print(stderr, "scry: warning: {}: cannot show the arguments of its functions\n", error);
    }
    break;
  case ProbeType::Invalid:
  case ProbeType::Begin:
  case ProbeType::End:
  case ProbeType::Usdt:
  case ProbeType::Profile:
  case ProbeType::Interval:
  case ProbeType::Software:
  case ProbeType::Hardware:
  case ProbeType::Watchpoint:
  case ProbeType::Self:
  case ProbeType::Test:
  case ProbeType::Bench:
    break;
  }
  return found ? std::move(*found) : std::vector<std::string>{};
}

void Lister::print(ProbeType type, const std::vector<Match> &found) {
  const char *name = probe_type_name(type);
  std::string text;
  for (const Match &m : found) {
    text += name;
    text += ':';
    text += m.text;
    text += '\n';
    if (options_.verbose)
      for (const std::string &p : params(type, m))
        text += "    " + p + "\n";
    if (text.size() > 65536) {
      std::fwrite(text.data(), 1, text.size(), out_);
      text.clear();
    }
  }
  std::fwrite(text.data(), 1, text.size(), out_);
}

bool Lister::list_types(std::string_view search) {
  std::string error;
  if (!btf(error)) {
    list_error(error);
    return false;
  }
  for (const std::string &name : btf_.type_names()) {
    if (!list_wildcard_match(search, name))
      continue;
    std::optional<std::string> definition;
    if (options_.verbose)
      definition = btf_.type_definition(name);
    fmt::print(out_, "{}\n", definition ? *definition : name);
  }
  return true;
}

/// Whether the kernel can attach `type`'s probes, by options.kernel_has (all when unset).
bool kernel_offers(const ListOptions &options, ProbeType type) {
  const char *feature = needed_feature(type);
  return !feature || !options.kernel_has || options.kernel_has(feature);
}

} // namespace

bool list_probes(std::string_view search, const ListOptions &options, std::FILE *out) {
  Lister lister(options, out);
  if (is_list_type_search(search))
    return lister.list_types(search);
  const ListSearch s = parse_list_search(search);
  std::vector<ProbeType> types;
  if (has_wildcard(s.type)) {
    // Userspace types need a process or an existing file to look in (bpftrace's rule).
    std::string target = s.rest.substr(0, s.rest.find(':'));
    struct stat st;
    const bool userspace =
        options.pid > 0 || (s.rest.find(':') != std::string::npos && !has_wildcard(target) &&
                            stat(target.c_str(), &st) == 0);
    for (const ListedType &t : kListedTypes)
      if ((!t.userspace || userspace) && list_wildcard_match(s.type, probe_type_name(t.type)) &&
          kernel_offers(options, t.type))
        types.push_back(t.type);
  } else {
    ProbeType type = probe_type_from_provider(s.type);
    if (type == ProbeType::Invalid) {
      list_error(fmt::format("unknown probe type '{}': {}", s.type, unknown_provider_hint(s.type)));
      return false;
    }
    if (!kernel_offers(options, type))
      fmt::print(stderr,
                 "scry: warning: this kernel cannot attach {} probes (scry --info: {}: no); "
                 "listing them anyway\n",
                 probe_type_name(type), needed_feature(type));
    types.push_back(type);
  }
  for (ProbeType type : types) {
    std::vector<Match> found;
    // A type a wildcard picked whose source cannot be read is left out with its error.
    if (!lister.matches(type, s.rest, found) && types.size() == 1)
      return false;
    lister.print(type, found);
  }
  return true;
}

bool list_program_probes(const ast::Program &program, const SemaOptions &sema_options,
                         KernelBtf &btf, bool verbose, std::FILE *out, Diagnostics &diags) {
  SemaResult result;
  read_config(program, result.resources, diags);
  expand_probes(program, sema_options, btf, result, diags);
  if (diags.has_errors())
    return false;
  ListOptions options;
  options.tracefs_root = sema_options.tracefs_root;
  options.pid = sema_options.target_pid;
  options.verbose = verbose;
  Lister lister(options, out);
  for (const ProbeProgram &p : result.resources.programs) {
    if (p.type == ProbeType::Begin || p.type == ProbeType::End || p.type == ProbeType::Self ||
        p.type == ProbeType::Test || p.type == ProbeType::Bench)
      continue; // bpftrace leaves its special probes out too
    if (!verbose) {
      fmt::print(out, "{}\n", p.probe_name);
      continue;
    }
    // -v: the program's name, looked up again for its arguments.
    std::string_view rest = p.probe_name;
    rest.remove_prefix(std::min(rest.size(), rest.find(':') + 1));
    std::vector<Match> found;
    lister.matches(p.type, rest, found);
    if (found.empty())
      fmt::print(out, "{}\n", p.probe_name);
    else
      lister.print(p.type, {found.front()});
  }
  return true;
}

} // namespace scry
