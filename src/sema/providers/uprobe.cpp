// The uprobe and uretprobe provider: uprobe:BINARY:FUNCTION[+OFFSET], uprobe:BINARY:0xADDRESS,
// uprobe:BINARY:cpp:"ns::f*" (C++ names, demangled), uprobe:FUNCTION with -p (the process's
// executable); wildcards over binaries and over symbols. The binary is found as
// symbols/binary_path.h says, its functions and segments read from its ELF file
// (symbols/elf_image.h); each matching function is one program, attached at its file offset.
// FUNCTION+OFFSET must be the start of an instruction, checked by decoding the function
// (symbols/instructions.h), unless --unsafe is given.
#include "parser/suggest.h"
#include "sema/providers/providers.h"
#include "symbols/binary_path.h"
#include "symbols/elf_image.h"
#include "symbols/instructions.h"

#include <cstring>
#include <fnmatch.h>
#include <map>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace scry {

namespace {

bool has_wildcard(const std::string &s) {
  return s.find_first_of("*?[") != std::string::npos;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

/// The demangled name of `f` without its parameter list ("ns::Class::method"), and with it.
std::pair<std::string, std::string> cpp_names(const ElfFunction &f) {
  std::string full = demangle(f.name);
  if (full.empty())
    return {};
  size_t paren = full.find('(');
  return {paren == std::string::npos ? full : full.substr(0, paren), full};
}

/// Whether `f` is what the attach point's function names: its symbol (wildcards allowed) or,
/// with the cpp language, its demangled name with or without the parameter list.
bool matches(const ElfFunction &f, const std::string &pattern, bool cpp) {
  auto match = [&](const std::string &name) {
    return !name.empty() && fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
  };
  if (!cpp)
    return match(f.name);
  auto [bare, full] = cpp_names(f);
  return match(bare) || match(full);
}

/// Whether the attach point's offset into `f` starts one of its instructions, as bpftrace
/// checks it: a breakpoint written inside an instruction corrupts the traced program. Reports
/// an offset inside one, or one scry cannot check, at the attach point; --unsafe skips this.
bool at_instruction_start(Expansion &x, const ast::AttachPoint &ap, const ElfImage &image,
                          const ElfFunction &f) {
  const std::string at = f.name + "+" + std::to_string(ap.offset);
  std::string why;
  std::optional<InstructionBoundary> where = check_instruction_boundary(image, f, ap.offset, why);
  if (!where) {
    x.diags.error(DiagCode::UnsafeProbe, ap.loc,
                  "scry cannot check that " + at + " is the start of an instruction: " + why,
                  "check it with objdump -d --disassemble=" + f.name + " " + image.path +
                      ", then add --unsafe, which skips this check");
    return false;
  }
  if (where->at_start)
    return true;
  const std::string before = f.name + "+" + std::to_string(where->before);
  const std::string after = f.name + "+" + std::to_string(where->after);
  const bool last = where->after >= f.size; // `after` is the function's end, not an instruction
  x.diags.error(DiagCode::UnsafeProbe, ap.loc,
                at + " is in the middle of an instruction (" +
                    (last ? "the nearest start is " + before + ", " + f.name + "'s last instruction"
                          : "the nearest starts are " + before + " and " + after) +
                    "): a uprobe there would corrupt the traced program",
                "probe " + before + (last ? "" : " or " + after) + "; --unsafe skips this check");
  return false;
}

} // namespace

std::vector<std::string> user_binaries(Expansion &x, const ast::AttachPoint &ap) {
  pid_t pid = x.options.target_pid;
  // -c: the command has not run yet (it maps nothing); its program and the libraries it will
  // load stand in for its mappings.
  const std::string program = pid > 0 ? std::string() : x.options.child_program;
  if (ap.target.empty() && !program.empty())
    return {program};
  if (ap.target.empty()) {
    if (pid <= 0) {
      x.diags.error(DiagCode::UnknownBinary, ap.loc,
                    "'" + ap.raw + "' names no binary, and there is no -p PID to take it from",
                    "name the binary: " + ap.provider + ":/path/to/program:" + ap.func);
      return {};
    }
    char exe[4096];
    std::string link = "/proc/" + std::to_string(pid) + "/exe";
    ssize_t n = readlink(link.c_str(), exe, sizeof exe - 1);
    if (n <= 0) {
      x.diags.error(DiagCode::UnknownBinary, ap.loc,
                    "cannot read process " + std::to_string(pid) + "'s executable (" + link +
                        "): " + std::strerror(errno));
      return {};
    }
    std::string error, path = resolve_binary(std::string(exe, static_cast<size_t>(n)), pid, error);
    if (path.empty())
      x.diags.error(DiagCode::UnknownBinary, ap.loc, error);
    return path.empty() ? std::vector<std::string>{} : std::vector<std::string>{path};
  }
  if (has_wildcard(ap.target)) {
    if (pid <= 0 && program.empty() && ap.target.find('/') == std::string::npos) {
      x.diags.error(DiagCode::UnknownBinary, ap.loc,
                    "'" + ap.target +
                        "' is a wildcard over the files a process maps, and there "
                        "is no -p PID",
                    "trace one process with -p PID, or give a path pattern such as "
                    "/usr/lib/x86_64-linux-gnu/lib*.so*");
      return {};
    }
    std::vector<std::string> found = expand_binary_wildcard(ap.target, pid, program);
    if (found.empty())
      x.missing_probe(ap, "no file matches '" + ap.target + "'",
                      pid > 0 || !program.empty() ? ""
                                                  : "a wildcard over library names needs -p PID",
                      DiagCode::UnknownBinary);
    return found;
  }
  std::string error, path = resolve_binary(ap.target, pid, error, program);
  if (path.empty()) {
    x.missing_probe(ap, error,
                    ap.target.find('/') != std::string::npos
                        ? ""
                        : "give the binary's path, e.g. " + ap.provider + ":/usr/bin/" + ap.target +
                              ":" + ap.func,
                    DiagCode::UnknownBinary);
    return {};
  }
  // A name PATH resolves to more than one program: the first, as a shell runs it (bpftrace
  // warns the same way).
  if (const std::vector<std::string> all = programs_on_path(ap.target);
      all.size() > 1 && all.front() == path)
    x.diags.warning(DiagCode::AmbiguousBinary, ap.loc,
                    "attaching to uprobe target file '" + path + "' but matched " +
                        std::to_string(all.size()) + " binaries",
                    "give the path of the one to trace: " + all[1] + " is the next on PATH");
  return {path};
}

void expand_uprobe(Expansion &x, ast::Probe &probe, ast::AttachPoint &ap) {
  const bool ret = ap.type == ast::ProbeType::Uretprobe;
  const bool cpp = ap.lang == "cpp";
  const std::string type_name = ret ? "uretprobe" : "uprobe";
  if (ret && ap.has_offset) {
    x.diags.error(DiagCode::InvalidAttachPoint, ap.loc, "a uretprobe cannot have an offset",
                  "a return probe fires when the function returns; use uprobe for an offset");
    return;
  }
  const std::vector<std::string> binaries = user_binaries(x, ap);
  if (binaries.empty())
    return; // reported (or left out, as config missing_probes says)
  for (const std::string &path : binaries) {
    auto cached = x.elf_images.find(path);
    if (cached == x.elf_images.end()) {
      std::string error;
      cached = x.elf_images.emplace(path, read_elf_image(path, error)).first;
      if (!cached->second)
        x.diags.error(DiagCode::UnknownBinary, ap.loc, error);
    }
    if (!cached->second)
      continue;
    const ElfImage &image = *cached->second;
    const std::string prefix = type_name + ":" + path + ":";

    if (ap.has_address) {
      auto offset = image.file_offset(ap.address);
      if (!offset) {
        x.diags.error(DiagCode::UnknownSymbol, ap.loc,
                      hex(ap.address) + " is not in an executable segment of " + path);
        continue;
      }
      ProbeProgram &p = x.add_program(probe, ap, prefix + hex(ap.address));
      p.uprobe = {path, "", "", *offset, ret, {}};
      continue;
    }

    std::vector<const ElfFunction *> found;
    if (has_wildcard(ap.func) || cpp) {
      for (const ElfFunction &f : image.functions)
        if (matches(f, ap.func, cpp))
          found.push_back(&f);
    } else if (const ElfFunction *f = image.find(ap.func)) {
      found.push_back(f);
    }
    if (found.empty()) {
      if (has_wildcard(ap.func) || has_wildcard(ap.target))
        continue; // reported below when no binary has a match
      std::vector<std::string> names;
      for (const ElfFunction &f : image.functions)
        names.push_back(f.name);
      x.missing_probe(ap, "no function '" + ap.func + "' in " + path,
                      did_you_mean(ap.func, names,
                                   cpp ? ""
                                       : "a C++ function is named with its language: " + type_name +
                                             ":" + path + ":cpp:\"ns::f\""));
      continue;
    }
    for (const ElfFunction *f : found) {
      auto offset = image.file_offset(f->address);
      if (!offset) {
        if (!has_wildcard(ap.func))
          x.diags.error(DiagCode::UnknownSymbol, ap.loc,
                        "function '" + f->name + "' of " + path +
                            " is not in an executable segment");
        continue;
      }
      if (ap.has_offset && ap.offset != 0) {
        if (f->size && ap.offset >= f->size) {
          x.diags.error(DiagCode::InvalidAttachPoint, ap.loc,
                        "offset " + std::to_string(ap.offset) + " is past the end of " + f->name +
                            " (" + std::to_string(f->size) + " bytes)");
          continue;
        }
        if (!x.options.unsafe && !at_instruction_start(x, ap, image, *f))
          continue;
      }
      std::string name = cpp ? cpp_names(*f).second : f->name;
      std::string suffix = ap.has_offset && ap.offset ? "+" + std::to_string(ap.offset) : "";
      ProbeProgram &p = x.add_program(probe, ap, prefix + (cpp ? "cpp:" : "") + name + suffix);
      p.uprobe = {path, name, f->name, *offset + (ap.has_offset ? ap.offset : 0), ret, {}};
    }
  }
  bool any = false;
  for (const ProbeProgram &p : x.result.resources.programs)
    any = any || (p.probe == &probe && p.loc.begin.line == ap.loc.begin.line &&
                  p.loc.begin.column == ap.loc.begin.column);
  if (!any && !x.diags.has_errors() && (has_wildcard(ap.func) || has_wildcard(ap.target)))
    x.missing_probe(ap,
                    "no function matches '" + ap.func + "'" +
                        (ap.target.empty() ? "" : " in '" + ap.target + "'"),
                    "list a binary's functions with: nm --defined-only BINARY; nm -D "
                    "--defined-only BINARY");
}

} // namespace scry
