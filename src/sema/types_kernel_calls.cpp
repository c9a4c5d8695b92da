// Type checking of the library functions that call kernel-only helpers and kfuncs, or take
// kernel objects the probe's BTF-typed arguments hold (part of the TypeChecker,
// type_checker.h): override, percpu_kaddr, write_user, path, socket_cookie, comm(pid) and
// skboutput. bpftrace's docs/stdlib.md is the reference for each; the kernel's rules are
// kernel/trace/bpf_trace.c's (which program types get which helper).
// Reads the calls and their arguments; writes Call::type, Call::id and Call::address, and
// Resources::kernel_variables (percpu_kaddr) and skb_outputs (skboutput).
#include "base/bpf_abi.h"
#include "sema/type_checker.h"

namespace scry {

using namespace ast;

namespace {

/// Whether `t` is a pointer to the struct (or union) `name` (a kernel object from BTF).
bool points_to_record(const Type &t, std::string_view name) {
  return t.kind == TypeKind::Pointer && t.elem && t.elem->kind == TypeKind::Record &&
         t.elem->name == name;
}

} // namespace

bool TypeChecker::in_tracing_programs() const {
  for (size_t i : current_programs_) {
    ContextKind k = result_.resources.programs[i].context;
    if (k != ContextKind::BtfArguments && k != ContextKind::Iterator)
      return false;
  }
  return true;
}

void TypeChecker::type_kernel_call(Call &n) {
  switch (n.builtin) {
  case BuiltinFunction::Override: {
    // override(rc): bpf_override_return, for kprobes on the functions the kernel lets fail
    // (ALLOW_ERROR_INJECTION, listed in /sys/kernel/debug/error_injection/list) on kernels built
    // with CONFIG_BPF_KPROBE_OVERRIDE: the attach fails for the others.
    n.type = make_void();
    if (!options_.unsafe) {
      error(DiagCode::UnsafeProbe, n.loc, "override() is unsafe. To use you need the --unsafe flag",
            "it makes the probed kernel function return without running: run scry with "
            "--unsafe to allow it");
      return;
    }
    want_integer(n, 0, "return value");
    for (ProbeType t : current_types_)
      if (t != ProbeType::Kprobe) {
        error(DiagCode::BuiltinNotAvailable, n.loc,
              "override() can only be used inside kprobes, not in " + current_probe_kinds(),
              "kprobe:FUNCTION { override(-12); } on a function of "
              "/sys/kernel/debug/error_injection/list");
        return;
      }
    return;
  }
  case BuiltinFunction::PercpuKaddr: {
    // percpu_kaddr("name"[, cpu]): the address of this CPU's (or cpu's) copy of a per-CPU kernel
    // variable, from bpf_this_cpu_ptr (bpf_per_cpu_ptr: 0 for a CPU the kernel does not have),
    // as a uint64 of the kernel's address space, as bpftrace's. n.id: its
    // resources.kernel_variables entry.
    n.type = uint64_type();
    n.type.address_space = AddressSpace::Kernel;
    auto *s = dynamic_cast<String *>(n.args[0]);
    if (!s) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "percpu_kaddr()'s variable must be a string literal");
      return;
    }
    if (n.args.size() == 2)
      want_integer(n, 1, "CPU");
    std::string why;
    auto var = btf_.percpu_variable(s->value, why);
    if (!var) {
      error(DiagCode::UnknownSymbol, n.args[0]->loc, why,
            "the kernel's BTF describes its per-CPU variables (runqueues, cpu_number, "
            "process_counts, ...): bpftool btf dump file /sys/kernel/btf/vmlinux | grep \"VAR '\"");
      return;
    }
    if (quiet_)
      return;
    auto &vars = result_.resources.kernel_variables;
    size_t i = 0;
    while (i < vars.size() && vars[i].name != var->name)
      ++i;
    if (i == vars.size())
      vars.push_back(*var);
    n.id = static_cast<int>(i);
    return;
  }
  case BuiltinFunction::WriteUser: {
    // write_user(dst, src, n): bpf_probe_write_user, which copies n bytes of a value the program
    // holds (a string, array, record or integer) into the traced process's memory at dst; true
    // when the kernel wrote them. As bpftrace's (PR #5076) it needs --unsafe. The kernel writes
    // only to the current process's user memory (-EPERM for a kernel address, -EFAULT where
    // nothing writable is mapped).
    n.type = make_bool();
    if (!options_.unsafe) {
      error(DiagCode::UnsafeProbe, n.loc,
            "write_user() is unsafe. To use you need the --unsafe flag",
            "it changes the traced process's memory: run scry with --unsafe to allow it");
      return;
    }
    const Type &dst = n.args[0]->type;
    if (dst.kind != TypeKind::None && dst.kind != TypeKind::Integer &&
        dst.kind != TypeKind::Pointer) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "write_user() writes to an address in the process (an integer or a pointer), not " +
                type_name(dst));
      return;
    }
    const Type &src = n.args[1]->type;
    if (src.kind == TypeKind::None)
      return;
    if (src.kind != TypeKind::String && src.kind != TypeKind::Array &&
        src.kind != TypeKind::Record && src.kind != TypeKind::Tuple &&
        src.kind != TypeKind::Integer) {
      error(DiagCode::WrongArgumentType, n.args[1]->loc,
            "write_user() writes a value the program holds (a string, array, record or integer), "
            "not " +
                type_name(src),
            src.kind == TypeKind::Pointer ? "write what it points to: write_user(dst, *p, n)" : "");
      return;
    }
    auto count = constant_value(n.args[2]);
    if (!count) {
      constant_required(n.args[2], "write_user()'s byte count must be a constant");
      return;
    }
    if (*count < 1 || static_cast<uint64_t>(*count) > src.size)
      error(DiagCode::InvalidOperand, n.args[2]->loc,
            "write_user() of " + std::to_string(*count) + " bytes: the value holds " +
                std::to_string(src.size),
            "write from 1 to " + std::to_string(src.size) + " bytes");
    n.address = *count;
    return;
  }
  case BuiltinFunction::Path: {
    // path(p[, size]): bpf_d_path, which the kernel allows only in fentry and fexit probes of
    // the functions its btf_allowlist_d_path names (kernel/trace/bpf_trace.c: vfs_getattr,
    // filp_close, dentry_open, security_file_open, ...); the verifier refuses the others.
    uint32_t size = result_.resources.max_strlen;
    if (n.args.size() == 2) {
      auto v = constant_value(n.args[1]);
      if (!v || *v < 1 || *v > 4096) {
        constant_required(n.args[1], "path()'s size must be a constant from 1 to 4096");
        return;
      }
      size = static_cast<uint32_t>(*v);
    }
    n.type = make_string(size);
    const Type &t = n.args[0]->type;
    if (t.kind == TypeKind::None)
      return;
    if (!points_to_record(t, "path")) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "path() takes a struct path *, not " + type_name(t),
            "the path of a file: path(&args.file->f_path)");
      return;
    }
    for (size_t i : current_programs_) {
      const ast::ProbeType pt = result_.resources.programs[i].type;
      if (pt != ast::ProbeType::Fentry && pt != ast::ProbeType::Fexit) {
        error(DiagCode::BuiltinNotAvailable, n.loc,
              "path() calls bpf_d_path, which the kernel allows only in fentry and fexit probes, "
              "not in " +
                  current_probe_kinds(),
              "probe one of the functions the kernel allows it in: fentry:vfs_getattr, "
              "fentry:filp_close, fentry:security_file_open");
        return;
      }
    }
    return;
  }
  case BuiltinFunction::SocketCookie: {
    // socket_cookie(sk): bpf_get_socket_cookie, which BTF-typed programs may call with a socket
    // the kernel handed them (include/uapi/linux/bpf.h; kernel/trace/bpf_trace.c gives tracing
    // programs the variant taking a struct sock pointer).
    n.type = make_int(8, false);
    const Type &t = n.args[0]->type;
    if (t.kind == TypeKind::None)
      return;
    if (!points_to_record(t, "sock") && !points_to_record(t, "sock_common")) {
      error(DiagCode::WrongArgumentType, n.args[0]->loc,
            "socket_cookie() takes a struct sock *, not " + type_name(t),
            "pass the socket a probe's arguments hold: socket_cookie(args.sk)");
      return;
    }
    for (size_t i : current_programs_)
      if (result_.resources.programs[i].context != ContextKind::BtfArguments) {
        error(DiagCode::BuiltinNotAvailable, n.loc,
              "socket_cookie() calls bpf_get_socket_cookie, which the kernel gives only BTF-typed "
              "probes (fentry, fexit, rawtracepoint with BTF), not in " +
                  current_probe_kinds(),
              "probe a rawtracepoint or fentry that has the socket: "
              "rawtracepoint:inet_sock_set_state { socket_cookie(args.sk) }");
        return;
      }
    return;
  }
  case BuiltinFunction::CommPid: {
    // comm(pid): the bpf_task_from_pid kfunc finds the task; the kernel lets only BTF-typed
    // programs call kfuncs (kernel/bpf/btf.c's kfunc hooks: fentry, fexit, tp_btf, iter).
    want_integer(n, 0, "process id");
    n.type = make_string(kCommBytes);
    if (!btf_.is_kfunc("bpf_task_from_pid")) {
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "comm(pid) needs the bpf_task_from_pid kfunc, which this kernel does not have",
            "it came in Linux 6.2; comm (no argument) is the current task's name");
      return;
    }
    // The offset of task_struct's comm, for the C function to read it at (n.address).
    std::optional<Type> task = btf_.struct_type("task_struct");
    std::optional<BtfField> comm = task ? btf_.field(*task, "comm") : std::nullopt;
    if (!comm) {
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "comm(pid) reads task_struct's comm, which this kernel's BTF lacks");
      return;
    }
    n.address = comm->offset;
    if (!in_tracing_programs())
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "comm(pid) calls the bpf_task_from_pid kfunc, which the kernel allows only in "
            "fentry, fexit, rawtracepoint (with BTF) and iter probes, not in " +
                current_probe_kinds(),
            "probe a rawtracepoint instead: rawtracepoint:sys_enter for system calls");
    return;
  }
  case BuiltinFunction::SkbOutput: {
    // skboutput("file", skb, len, offset): bpf_skb_output copies the first len bytes of the
    // packet (skb->data on) into a perf event array; user space writes them from `offset` on
    // into a pcap file (runtime/skb_capture.h). The helper is the tracing programs' only
    // (kernel/trace/bpf_trace.c, tracing_prog_func_proto): fentry, fexit, rawtracepoint with
    // BTF and iter. Its value is the helper's: 0, or a negative errno as a uint32 (bpftrace's).
    n.type = make_int(4, false);
    auto *path = dynamic_cast<String *>(n.args[0]);
    if (!path || path->value.empty()) {
      error(DiagCode::ConstantRequired, n.args[0]->loc,
            "skboutput()'s file must be a non-empty string literal",
            "name the pcap file to write: skboutput(\"out.pcap\", args.skb, args.skb->len, 0)");
      return;
    }
    const Type &skb = n.args[1]->type;
    if (skb.kind == TypeKind::None)
      return;
    if (!points_to_record(skb, "sk_buff")) {
      error(DiagCode::WrongArgumentType, n.args[1]->loc,
            "skboutput() takes a struct sk_buff *, not " + type_name(skb),
            "pass the packet a probe's arguments hold: skboutput(\"out.pcap\", args.skb, "
            "args.skb->len, 0)");
      return;
    }
    want_integer(n, 2, "length");
    auto offset = constant_value(n.args[3]);
    if (!offset || *offset < 0) {
      constant_required(n.args[3], "skboutput()'s offset must be a constant of 0 or more");
      return;
    }
    if (!in_tracing_programs()) {
      error(DiagCode::BuiltinNotAvailable, n.loc,
            "skboutput() calls bpf_skb_output, which the kernel gives only fentry, fexit, "
            "rawtracepoint (with BTF) and iter probes, not " +
                current_probe_kinds(),
            "probe a function or rawtracepoint that has the packet: "
            "rawtracepoint:net_dev_start_xmit or fentry:__dev_queue_xmit");
      return;
    }
    if (quiet_)
      return;
    auto &sites = result_.resources.skb_outputs;
    n.id = static_cast<int>(sites.size());
    sites.push_back({path->value, static_cast<uint64_t>(*offset), path->loc});
    return;
  }
  default:
    return;
  }
}

} // namespace scry
