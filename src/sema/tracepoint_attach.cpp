#include "sema/tracepoint_attach.h"

#include "base/arch.h"
#include "sema/semantic_analyser.h"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <unistd.h>
#include <utility>

namespace scry {

namespace {

using ast::ProbeType;

struct SyscallNumber {
  const char *name;
  int32_t nr;
};

// Generated at build time by cmake/syscall_numbers.sh, sorted by name.
constexpr SyscallNumber kSyscallNumbers[] = {
#include "syscall_numbers.inc"
};

// Tracepoint names that differ from the __NR_ macro of the same system call (x86_64's
// arch/x86/entry/syscalls/syscall_64.tbl: "4 common stat sys_newstat" makes the event
// sys_enter_newstat for __NR_stat).
constexpr std::pair<const char *, const char *> kSyscallAliases[] = {
    {"newstat", "stat"},   {"newfstat", "fstat"},      {"newlstat", "lstat"},
    {"newuname", "uname"}, {"sendfile64", "sendfile"}, {"umount", "umount2"},
};

/// The fields of `args` a probe reads.
struct ArgsFields : ast::Walker {
  std::set<std::string> fields;
  using Walker::visit;
  void visit(ast::FieldAccess &n) override {
    if (auto *id = dynamic_cast<ast::Identifier *>(n.base); id && id->name == "args")
      fields.insert(n.field);
    Walker::visit(n);
  }
};

/// Whether a probe takes the kernel stack (kstack, kstack(...)).
struct UsesKernelStack : ast::Walker {
  bool found = false;
  using Walker::visit;
  void visit(ast::Identifier &n) override { found = found || n.builtin == BuiltinVariable::Kstack; }
  void visit(ast::Call &n) override {
    found = found || n.builtin == BuiltinFunction::Kstack;
    Walker::visit(n);
  }
};

/// Makes tracepoint program `p` attach through the raw tracepoint `name`: its section, context
/// and attach mechanism (ProbeProgram) change from the classic tracepoint's that the tracepoint
/// provider gave it.
void attach_raw(ProbeProgram &p, std::string name) {
  p.section = "raw_tp/" + name;
  p.context = ContextKind::RawTracepointArgs;
  p.attach = AttachMechanism::RawTracepoint;
  p.raw_tracepoint = std::move(name);
}

/// Puts raw syscalls:* programs behind a SyscallDispatcher when at least kDispatchFrom of them
/// share a raw tracepoint. A program whose system call has another program on the same
/// tracepoint stays attached itself (an array slot holds one program); its number check keeps
/// it to its own calls.
void plan_syscall_dispatch(Resources &res) {
  constexpr size_t kDispatchFrom = 3;
  for (const char *tracepoint : {"sys_enter", "sys_exit"}) {
    std::map<int32_t, size_t> per_nr;
    size_t total = 0;
    for (const ProbeProgram &p : res.programs)
      if (p.attach == AttachMechanism::RawTracepoint && p.raw_tracepoint == tracepoint &&
          p.syscall_nr >= 0 && static_cast<uint32_t>(p.syscall_nr) < kSyscallDispatchEntries) {
        ++per_nr[p.syscall_nr];
        ++total;
      }
    if (total < kDispatchFrom)
      continue;
    bool any = false;
    for (ProbeProgram &p : res.programs)
      if (p.attach == AttachMechanism::RawTracepoint && p.raw_tracepoint == tracepoint &&
          p.syscall_nr >= 0 && per_nr.count(p.syscall_nr) && per_nr[p.syscall_nr] == 1) {
        p.tail_called = true;
        any = true;
      }
    if (!any)
      continue;
    SyscallDispatcher d{tracepoint, std::string("dispatch_") + tracepoint,
                        std::string("tail_") + tracepoint, "", 0};
    // Expansions of one probe that read no args field run the same code but for `probe`:
    // compile it once.
    std::map<const ast::Probe *, int32_t> leader;
    for (size_t i = 0; i < res.programs.size(); ++i) {
      ProbeProgram &p = res.programs[i];
      if (!p.tail_called || p.raw_tracepoint != tracepoint || !p.args_fields.empty())
        continue;
      auto [it, first] = leader.try_emplace(p.probe, static_cast<int32_t>(i));
      if (first)
        continue;
      ProbeProgram &lead = res.programs[static_cast<size_t>(it->second)];
      lead.probe_name_by_nr = true;
      p.shares_program_of = it->second;
      p.function = lead.function;
    }
    for (const ProbeProgram &p : res.programs)
      if (p.raw_tracepoint == tracepoint && (p.probe_name_by_nr || p.shares_program_of >= 0))
        d.probe_name_bytes =
            std::max(d.probe_name_bytes, static_cast<uint32_t>(p.probe_name.size() + 1));
    if (d.probe_name_bytes) {
      d.probe_name_bytes = (d.probe_name_bytes + 7) / 8 * 8;
      d.probe_names = std::string("names_") + tracepoint;
    }
    res.dispatchers.push_back(std::move(d));
  }
}

} // namespace

int32_t syscall_number(std::string_view name) {
  for (const auto &[event_name, nr_name] : kSyscallAliases)
    if (name == event_name) {
      name = nr_name;
      break;
    }
  const SyscallNumber *end = std::end(kSyscallNumbers);
  const SyscallNumber *it =
      std::lower_bound(std::begin(kSyscallNumbers), end, name,
                       [](const SyscallNumber &s, std::string_view n) { return s.name < n; });
  return it != end && it->name == name ? it->nr : -1;
}

std::vector<bool> kernel_has_raw_tracepoints(const std::vector<std::string> &names,
                                             const std::string &btf_path) {
  std::vector<bool> found(names.size(), false);
  if (names.empty())
    return found;
  int fd = open(btf_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return found;
  // struct btf_header (include/uapi/linux/btf.h): magic u16 0xeB9F, version u8, flags u8,
  // hdr_len u32, type_off u32, type_len u32, str_off u32, str_len u32; offsets count from the
  // end of the header.
  uint32_t header[6] = {};
  if (pread(fd, header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
      (header[0] & 0xffff) != 0xeB9F) {
    close(fd);
    return found;
  }
  const uint64_t strings_start = uint64_t{header[1]} + header[4];
  const uint64_t strings_len = header[5];

  // Each needle is "\0btf_trace_NAME\0"; the section starts with the empty string, so the
  // first name has a NUL before it too.
  std::vector<std::string> needles;
  size_t longest = 0;
  for (const std::string &n : names) {
    needles.push_back(std::string(1, '\0') + "btf_trace_" + n + std::string(1, '\0'));
    longest = std::max(longest, needles.back().size());
  }
  constexpr size_t kChunk = 256 * 1024;
  std::string buf(kChunk + longest, '\0');
  size_t carried = 0; // bytes kept from the previous chunk's end, so needles may straddle
  size_t remaining = names.size();
  for (uint64_t pos = 0; pos < strings_len && remaining > 0;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, strings_len - pos));
    ssize_t got = pread(fd, buf.data() + carried, want, static_cast<off_t>(strings_start + pos));
    if (got <= 0)
      break;
    size_t len = carried + static_cast<size_t>(got);
    for (size_t i = 0; i < needles.size(); ++i)
      if (!found[i] && memmem(buf.data(), len, needles[i].data(), needles[i].size())) {
        found[i] = true;
        --remaining;
      }
    carried = std::min(len, longest - 1);
    std::memmove(buf.data(), buf.data() + len - carried, carried);
    pos += static_cast<uint64_t>(got);
  }
  close(fd);
  return found;
}

void plan_tracepoint_attach(SemaResult &result, bool allow_raw) {
  std::vector<ProbeProgram> &programs = result.resources.programs;
  std::map<const ast::Probe *, std::vector<std::string>> fields_by_probe;
  std::map<const ast::Probe *, bool> kernel_stack_by_probe;
  std::vector<size_t> need_btf_check; // programs whose raw tracepoint must be looked up
  for (size_t i = 0; i < programs.size(); ++i) {
    ProbeProgram &p = programs[i];
    if (p.type != ProbeType::Tracepoint || !p.probe)
      continue;
    auto [it, inserted] = fields_by_probe.try_emplace(p.probe);
    if (inserted) {
      ArgsFields walker;
      p.probe->accept(walker);
      it->second.assign(walker.fields.begin(), walker.fields.end());
    }
    p.args_fields = it->second;
    if (!allow_raw)
      continue;
    // kstack stays on the classic tracepoint: the kernel gives it the stack saved at the
    // event's site (perf_syscall_enter, ...), as bpftrace shows it, where a raw tracepoint's
    // would start with the BPF program and bpf_trace_run frames, different in every program.
    auto [ks, fresh] = kernel_stack_by_probe.try_emplace(p.probe, false);
    if (fresh) {
      UsesKernelStack walker;
      p.probe->accept(walker);
      ks->second = walker.found;
    }
    if (ks->second)
      continue;

    std::string_view category = p.category, event = p.event;
    const bool uses_args = !p.args_fields.empty();

    if (category == "syscalls" || category == "raw_syscalls") {
      bool enter;
      int32_t nr = -1;
      if (category == "raw_syscalls") {
        if (event != "sys_enter" && event != "sys_exit")
          continue;
        enter = event == "sys_enter";
      } else if (event.rfind("sys_enter_", 0) == 0 || event.rfind("sys_exit_", 0) == 0) {
        enter = event.rfind("sys_enter_", 0) == 0;
        nr = syscall_number(event.substr(enter ? 10 : 9));
        if (nr < 0)
          continue;
      } else {
        continue;
      }
      if (uses_args && !arch::kKnown)
        continue;
      attach_raw(p, enter ? "sys_enter" : "sys_exit");
      p.syscall_nr = nr;
      // syscalls:* programs always need their record source: it is where the number to
      // compare with comes from.
      if (category == "syscalls")
        p.raw_record = enter ? RawRecord::SyscallEnter : RawRecord::SyscallExit;
      else if (uses_args)
        p.raw_record = enter ? RawRecord::RawSyscallEnter : RawRecord::RawSyscallExit;
      continue;
    }
    if (uses_args)
      continue;
    p.raw_tracepoint = std::string(event);
    need_btf_check.push_back(i);
  }

  plan_syscall_dispatch(result.resources);
  if (need_btf_check.empty())
    return;
  std::vector<std::string> names;
  for (size_t i : need_btf_check)
    names.push_back(programs[i].raw_tracepoint);
  std::vector<bool> found = kernel_has_raw_tracepoints(names);
  for (size_t k = 0; k < need_btf_check.size(); ++k) {
    ProbeProgram &p = programs[need_btf_check[k]];
    if (found[k])
      attach_raw(p, p.raw_tracepoint);
    else
      p.raw_tracepoint.clear();
  }
}

} // namespace scry
