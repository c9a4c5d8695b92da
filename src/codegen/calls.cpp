// Builtin variables (pid, comm, nsecs, probe, $1, ...) and builtin functions (printf, print,
// clear, zero, delete, has_key, exit, time, str, len), and the ring-buffer records (base/bpf_abi.h)
// that carry printf, print, exit, time and runtime errors to the runtime. Reads the typed AST,
// Resources (printf and print types) and CodegenOptions (params, cpid); writes LLVM IR.
#include "base/arch.h"
#include "codegen/generator.h"
#include "parser/probe_types.h"

#include <cstdlib>
#include <ctime>
#include <string_view>

namespace scry::codegen_detail {

namespace {

/// CLOCK_TAI minus CLOCK_BOOTTIME in ns, as bpftrace measures it for sw_tai: the boot clock read
/// between two reads of TAI, keeping the closest pair of five.
uint64_t tai_minus_boottime_ns() {
  auto ns = [](clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  };
  int64_t best_gap = INT64_MAX, delta = 0;
  for (int i = 0; i < 5; ++i) {
    int64_t before = ns(CLOCK_TAI), boot = ns(CLOCK_BOOTTIME), after = ns(CLOCK_TAI);
    if (after >= before && after - before < best_gap) {
      best_gap = after - before;
      delta = before + (after - before) / 2 - boot;
    }
  }
  return static_cast<uint64_t>(delta);
}

} // namespace

llvm::Value *Generator::current_pid_tid(bool tid, bool init) {
  llvm::Value *ids;
  if (init || options_.pid_namespace_ino == 0) {
    ids = call(GetCurrentPidTgid, i64_, {});
  } else {
    // struct bpf_pidns_info { u32 pid; u32 tgid; } (linux/bpf.h): the layout of pid_tgid.
    llvm::Value *info = entry_alloca();
    b_.CreateStore(b_.getInt64(0), info);
    call(GetNsCurrentPidTgid, i64_,
         {b_.getInt64(options_.pid_namespace_dev), b_.getInt64(options_.pid_namespace_ino), info,
          b_.getInt64(8)});
    ids = b_.CreateLoad(i64_, info);
  }
  return tid ? b_.CreateAnd(ids, 0xffffffffULL) : b_.CreateLShr(ids, 32);
}

llvm::Value *Generator::usermode() {
  const ContextKind k = prog_->context;
  if (k != ContextKind::Registers && k != ContextKind::UsdtArguments &&
      k != ContextKind::PerfSample)
    return b_.getInt64(std::string_view(probetype_value(prog_->type)) == "special" ? 1 : 0);
  uint32_t cs = 0;
  for (size_t i = 0; i < std::size(arch::kRegisterNames); ++i)
    if (std::string_view(arch::kRegisterNames[i]) == "cs")
      cs = static_cast<uint32_t>(8 * i);
  llvm::Value *level = b_.CreateAnd(load_context(cs, make_int(8, false)), 3);
  return b_.CreateZExt(b_.CreateICmpEQ(level, b_.getInt64(3)), i64_);
}

llvm::Value *Generator::clock_ns(Clock clock) {
  switch (clock) {
  case Clock::Boot:
    return call(KtimeGetBootNs, i64_, {});
  case Clock::Monotonic:
    return call(KtimeGetNs, i64_, {});
  case Clock::Tai:
    return call(KtimeGetTaiNs, i64_, {});
  case Clock::SwTai:
    return b_.CreateAdd(call(KtimeGetBootNs, i64_, {}), b_.getInt64(tai_minus_boottime_ns()));
  }
  return b_.getInt64(0);
}

void Generator::visit(Identifier &n) {
  switch (n.builtin) {
  case BuiltinVariable::Pid:
  case BuiltinVariable::Tid:
    result_ = current_pid_tid(n.builtin == BuiltinVariable::Tid, false);
    break;
  case BuiltinVariable::Usermode:
    result_ = usermode();
    break;
  case BuiltinVariable::Username:
  case BuiltinVariable::Uid: { // also username's value
    result_ = b_.CreateAnd(call(GetCurrentUidGid, i64_, {}), 0xffffffffULL);
    break;
  }
  case BuiltinVariable::Gid: {
    result_ = b_.CreateLShr(call(GetCurrentUidGid, i64_, {}), 32);
    break;
  }
  case BuiltinVariable::Cpu: {
    result_ = b_.CreateAnd(call(GetSmpProcessorId, i64_, {}), 0xffffffffULL);
    break;
  }
  case BuiltinVariable::Ncpus: {
    result_ = b_.getInt64(online_cpus_);
    break;
  }
  case BuiltinVariable::Numaid: {
    result_ = b_.CreateAnd(call(GetNumaNodeId, i64_, {}), 0xffffffffULL);
    break;
  }
  case BuiltinVariable::Comm: {
    llvm::Value *buf = scratch(16);
    zero(buf, 16, 8); // the helper pads only on newer kernels (see build_key)
    call(GetCurrentComm, i64_, {buf, b_.getInt64(16)});
    result_ = buf;
    break;
  }
  case BuiltinVariable::Nsecs: {
    // Nanoseconds since boot, suspended time included (CLOCK_BOOTTIME), as bpftrace's nsecs
    // and what strftime() takes.
    result_ = call(KtimeGetBootNs, i64_, {});
    break;
  }
  case BuiltinVariable::Elapsed: {
    llvm::Value *now = call(KtimeGetNs, i64_, {});
    llvm::Value *state = lookup_state();
    llvm::Value *start =
        b_.CreateLoad(i64_, b_.CreateGEP(i8_, state, b_.getInt64(offsetof(RunState, start_ns))));
    result_ = b_.CreateSub(now, start);
    break;
  }
  case BuiltinVariable::Jiffies: {
    result_ = call(Jiffies64, i64_, {});
    break;
  }
  case BuiltinVariable::Curtask: {
    result_ = call(GetCurrentTask, i64_, {});
    break;
  }
  case BuiltinVariable::Rand: {
    result_ = b_.CreateAnd(call(GetPrandomU32, i64_, {}), 0xffffffffULL);
    break;
  }
  case BuiltinVariable::Cgroup: {
    result_ = call(GetCurrentCgroupId, i64_, {});
    break;
  }
  case BuiltinVariable::Probe: {
    result_ = prog_->probe_name_by_nr       ? probe_name_by_nr(n.type.size)
              : !prog_->probe_group.empty() ? group_name(0, prog_->group_probe_bytes, n.type.size)
                                            : constant_string(prog_->probe_name, n.type.size);
    break;
  }
  case BuiltinVariable::Probetype:
    result_ = constant_string(probetype_value(prog_->type), n.type.size);
    break;
  case BuiltinVariable::HasCpid:
    result_ = b_.getInt64(options_.child_pid > 0 ? 1 : 0);
    break;
  case BuiltinVariable::Cpid: {
    if (n.warning >= 0)
      warn_if(b_.getTrue(), n.warning, "cpid.none");
    result_ = b_.getInt64(static_cast<uint64_t>(options_.child_pid));
    break;
  }
  case BuiltinVariable::Arg: {
    uint32_t index = static_cast<uint32_t>(builtin_arg_index(n.name));
    result_ = prog_->context == ContextKind::UsdtArguments
                  ? call_stdlib("__scry_usdt_arg", i64_, {ctx_arg_, b_.getInt64(index)})
              : prog_->context == ContextKind::BtfArguments ? raw_argument(index)
                                                            : function_argument(index);
    break;
  }
  case BuiltinVariable::Retval: {
    // fexit: the return value follows the arguments in the context.
    result_ = prog_->context == ContextKind::BtfArguments
                  ? btf_argument(prog_->kernel_function.arg_count, n.type)
                  : load_context(arch::kReturnOffset, make_int(8, false));
    break;
  }
  case BuiltinVariable::Func: {
    result_ = !prog_->probe_group.empty()
                  ? group_name(prog_->group_probe_bytes, prog_->group_func_bytes, n.type.size)
                  : constant_string(prog_->traced_function(), n.type.size);
    break;
  }
  case BuiltinVariable::Kstack:
  case BuiltinVariable::Ustack:
    result_ = emit_stack(n.type);
    break;
  case BuiltinVariable::Ctx: // an iterator's context, read with probe_read_kernel (memory.cpp)
    result_ = b_.CreatePtrToInt(ctx_arg_, i64_);
    break;
  case BuiltinVariable::Args: // a uprobe's parameters as a record (fields: memory.cpp)
    if (prog_->context == ContextKind::Registers && n.type.kind == TypeKind::Record) {
      result_ = uprobe_args_record(n.type);
      break;
    }
    if (prog_->context == ContextKind::BtfArguments && n.type.kind == TypeKind::Record) {
      result_ = btf_args_record(n.type);
      break;
    }
    internal_error(n.loc, "'" + n.name + "' has no code");
    break;
  case BuiltinVariable::None:
    if (n.constant && n.type.kind == TypeKind::String) { // #define NAME "text"
      result_ = constant_string(n.constant_text, n.type.size);
      break;
    }
    if (n.constant) { // an enum constant (TCP_SYN_SENT): its value, resolved by sema
      result_ = b_.getInt64(*n.constant);
      break;
    }
    internal_error(n.loc, "'" + n.name + "' has no code");
    break;
  }
}

void Generator::visit(PositionalParameter &n) {
  if (n.index == 0) {
    result_ = b_.getInt64(options_.params.size());
    return;
  }
  std::string value = static_cast<size_t>(n.index) <= options_.params.size()
                          ? options_.params[static_cast<size_t>(n.index) - 1]
                          : "";
  if (n.type.kind == TypeKind::String)
    result_ = constant_string(value, n.type.size);
  else
    result_ = b_.getInt64(
        static_cast<uint64_t>(value.empty() ? 0 : std::strtoll(value.c_str(), nullptr, 0)));
}

void Generator::visit(Call &n) {
  switch (n.builtin) {
  case BuiltinFunction::Printf: {
    emit_printf(n);
    break;
  }
  case BuiltinFunction::Print: {
    if (auto *m = dynamic_cast<Map *>(n.args[0])) {
      llvm::Value *rec = reserve(24, AsyncKind::PrintMap, static_cast<uint32_t>(m->map_id));
      with_record(rec, 24, [&](llvm::Value *p) {
        uint64_t top = n.args.size() > 1 ? static_cast<uint64_t>(constant_int(n.args[1])) : 0;
        uint64_t div = n.args.size() > 2 ? static_cast<uint64_t>(constant_int(n.args[2])) : 0;
        b_.CreateStore(b_.getInt64(top), b_.CreateGEP(i8_, p, b_.getInt64(8)));
        b_.CreateStore(b_.getInt64(div), b_.CreateGEP(i8_, p, b_.getInt64(16)));
      });
    } else {
      const Type &t = res_.print_values[static_cast<size_t>(n.id)];
      llvm::Value *v = emit(n.args[0]);
      uint32_t size = 8 + align8(t.size);
      llvm::Value *rec = reserve(size, AsyncKind::PrintValue, static_cast<uint32_t>(n.id));
      with_record(rec, size, [&](llvm::Value *p) {
        store_converted(b_.CreateGEP(i8_, p, b_.getInt64(8)), v, n.args[0]->type, t);
      });
    }
    break;
  }
  case BuiltinFunction::Clear:
  case BuiltinFunction::Zero: {
    auto *m = static_cast<Map *>(n.args[0]);
    llvm::Value *rec =
        reserve(8, n.builtin == BuiltinFunction::Clear ? AsyncKind::Clear : AsyncKind::Zero,
                static_cast<uint32_t>(m->map_id));
    with_record(rec, 8, [](llvm::Value *) {});
    break;
  }
  case BuiltinFunction::Delete: {
    Map *m;
    Expression *key;
    if (auto *whole = dynamic_cast<Map *>(n.args[0]); whole && n.args.size() == 1) {
      m = whole, key = nullptr; // delete(@x) of a map without keys
    } else if (n.args.size() == 1) {
      auto *ma = static_cast<MapAccess *>(n.args[0]);
      m = ma->map, key = ma->key;
    } else {
      m = static_cast<Map *>(n.args[0]), key = n.args[1];
    }
    const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
    if (info.is_array) {
      // A map without keys: deleting its only entry sets it to zero.
      llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(*m), stack_u32(0)});
      conditional_nonnull(p, [&](llvm::Value *v) { zero(v, info.bpf_value_size, 8); });
      result_ = b_.getInt64(1);
    } else {
      // A delete whose value is unused warns when the key is missing, -k or not (bpftrace).
      llvm::Value *r =
          check_helper(call(MapDeleteElem, i64_, {map_ptr(*m), build_key(info, key, nullptr)}),
                       MapDeleteElem, n.discarded);
      result_ = b_.CreateZExt(b_.CreateICmpEQ(r, b_.getInt64(0)), i64_);
    }
    break;
  }
  case BuiltinFunction::HasKey: { // stdlib/map.bt's has_key
    auto *m = static_cast<Map *>(n.args[0]);
    const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
    llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(*m), build_key(info, n.args[1], nullptr)});
    result_ = b_.CreateZExt(b_.CreateICmpNE(p, llvm::ConstantPointerNull::get(ptr_)), i64_);
    break;
  }
  case BuiltinFunction::Find: {
    // One lookup: a miss leaves the variable as it was (not a helper error: it is the answer).
    auto *m = static_cast<Map *>(n.args[0]);
    auto *var = static_cast<Variable *>(n.args[2]);
    const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
    llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(*m), build_key(info, n.args[1], nullptr)});
    conditional_nonnull(p, [&](llvm::Value *v) {
      llvm::Value *value = is_composite(info.value) ? v : load_value(v, info.value);
      store_converted(variable_slot(*var), value, info.value, var->type);
    });
    result_ = b_.CreateZExt(b_.CreateICmpNE(p, llvm::ConstantPointerNull::get(ptr_)), i64_);
    break;
  }
  case BuiltinFunction::Exit: {
    llvm::Value *code = n.args.empty() ? b_.getInt64(0) : to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::Value *state = lookup_state();
    b_.CreateStore(code, b_.CreateGEP(i8_, state, b_.getInt64(offsetof(RunState, exit_code))));
    b_.CreateStore(b_.getInt64(1),
                   b_.CreateGEP(i8_, state, b_.getInt64(offsetof(RunState, exit_requested))));
    llvm::Value *rec = reserve(16, AsyncKind::Exit, 0);
    with_record(rec, 16, [&](llvm::Value *p) {
      b_.CreateStore(code, b_.CreateGEP(i8_, p, b_.getInt64(8)));
    });
    // exit() ends the current probe.
    b_.CreateBr(return_block_);
    start_dead_block();
    break;
  }
  case BuiltinFunction::Time: {
    llvm::Value *rec = reserve(8, AsyncKind::Time, static_cast<uint32_t>(n.id));
    with_record(rec, 8, [](llvm::Value *) {});
    break;
  }
  case BuiltinFunction::Str: {
    emit_str(n);
    break;
  }
  case BuiltinFunction::Len: {
    emit_len(n);
    break;
  }
  case BuiltinFunction::Strnlen: { // stdlib/strings.bt's strlen (stdlib/strings.bpf.c)
    llvm::Value *s = emit(n.args[0]);
    result_ = string_length(s, n.args[0]->type.size);
    break;
  }
  case BuiltinFunction::Kstack:
  case BuiltinFunction::Ustack:
    result_ = emit_stack(n.type);
    break;
  case BuiltinFunction::Ksym:
    result_ = to_i64(emit(n.args[0]), n.args[0]->type);
    break;
  case BuiltinFunction::Usym:
    result_ = emit_usym(to_i64(emit(n.args[0]), n.args[0]->type));
    break;
  case BuiltinFunction::Kaddr:
    result_ = b_.getInt64(n.address);
    break;
  case BuiltinFunction::Getopt: // its value, resolved by sema from the command line
    result_ = n.type.kind == TypeKind::String ? constant_string(n.constant_text, n.type.size)
                                              : b_.getInt64(n.address);
    break;
  case BuiltinFunction::Uaddr:
    // bpf_get_func_ip (linux/bpf.h) gives a uprobe program the address it fired at: the
    // binary's load address is that minus the probed instruction's link-time address.
    result_ = b_.getInt64(n.address);
    if (prog_->uprobe.needs_load_address)
      result_ = b_.CreateAdd(
          b_.CreateSub(call(GetFuncIp, i64_, {ctx_arg_}), b_.getInt64(prog_->uprobe.address)),
          result_);
    break;
  case BuiltinFunction::Cat:
  case BuiltinFunction::System:
  case BuiltinFunction::Errorf:
  case BuiltinFunction::Warnf:
    emit_printf(n);
    break;
  case BuiltinFunction::Join:
    emit_join(n);
    break;
  case BuiltinFunction::Bswap:
  case BuiltinFunction::Ntop:
  case BuiltinFunction::Strftime:
  case BuiltinFunction::Buf:
  case BuiltinFunction::Signal:
  case BuiltinFunction::SignalThread:
  case BuiltinFunction::Reg:
  case BuiltinFunction::Pton:
  case BuiltinFunction::Cgroupid:
  case BuiltinFunction::Memcmp:
  case BuiltinFunction::Debugf:
  case BuiltinFunction::CgroupPath:
  case BuiltinFunction::StrConcat:
  case BuiltinFunction::CommPid:
  case BuiltinFunction::SocketCookie:
  case BuiltinFunction::Path:
  case BuiltinFunction::Override:
  case BuiltinFunction::WriteUser:
  case BuiltinFunction::PercpuKaddr:
  case BuiltinFunction::SkbOutput:
  case BuiltinFunction::NsecsClock:
  case BuiltinFunction::PidNs:
  case BuiltinFunction::TidNs:
  case BuiltinFunction::SignalName:
  case BuiltinFunction::Macaddr:
  case BuiltinFunction::IsStr:
  case BuiltinFunction::IsPtr:
  case BuiltinFunction::IsArray:
  case BuiltinFunction::IsInteger:
  case BuiltinFunction::IsUnsignedInteger:
  case BuiltinFunction::IsLiteral:
  case BuiltinFunction::StaticAssert:
  case BuiltinFunction::Fail:
  case BuiltinFunction::Strcap:
  case BuiltinFunction::KfuncExist:
  case BuiltinFunction::KfuncAllowed:
  case BuiltinFunction::Strncmp:
  case BuiltinFunction::Strstr:
  case BuiltinFunction::Globmatch:
  case BuiltinFunction::Strerror:
  case BuiltinFunction::SyscallName:
    emit_library_call(n);
    break;
  case BuiltinFunction::Uptr:
  case BuiltinFunction::Kptr: // only the type changes (sema)
    result_ = to_i64(emit(n.args[0]), n.args[0]->type);
    break;
  case BuiltinFunction::CFunction:
    emit_c_function_call(n);
    break;
  case BuiltinFunction::Count:
  case BuiltinFunction::Sum:
  case BuiltinFunction::Min:
  case BuiltinFunction::Max:
  case BuiltinFunction::Avg:
  case BuiltinFunction::Stats:
  case BuiltinFunction::Hist:
  case BuiltinFunction::Tseries:
  case BuiltinFunction::Lhist: // the value of a map assignment: emit_aggregation() (maps.cpp)
  case BuiltinFunction::None:
    internal_error(n.loc, n.name + "() has no code here");
    break;
  }
}

void Generator::emit_c_function_call(Call &n) {
  const CFunction *f = sema_.c_imports ? sema_.c_imports->function(n.name) : nullptr;
  if (!f || f->params.size() != n.args.size()) {
    internal_error(n.loc, n.name + "() is not an imported C function");
    return;
  }
  // The LLVM type clang gives a C type of this kind on BPF: iN for an N-bit integer, i1 for a
  // bool, ptr for a pointer; scry's values are i64 (pointers too) or, for strings, pointers.
  auto c_type = [&](const Type &t) -> llvm::Type * {
    if (t.kind == TypeKind::Pointer)
      return ptr_;
    if (t.kind == TypeKind::Boolean)
      return b_.getInt1Ty();
    if (t.kind == TypeKind::Void)
      return b_.getVoidTy();
    return b_.getIntNTy(t.size * 8);
  };
  std::vector<llvm::Type *> types;
  std::vector<llvm::Value *> args;
  for (size_t i = 0; i < n.args.size(); ++i) {
    const Type &want = f->params[i].type;
    llvm::Type *type = c_type(want);
    llvm::Value *v = emit(n.args[i]);
    if (want.kind == TypeKind::Pointer)
      v = v->getType()->isPointerTy() ? v : b_.CreateIntToPtr(v, ptr_);
    else if (want.kind == TypeKind::Boolean)
      v = truth(v);
    else
      v = b_.CreateTrunc(v, type);
    types.push_back(type);
    args.push_back(v);
  }
  llvm::Type *ret = c_type(f->return_type);
  llvm::FunctionCallee fn =
      mod_.module().getOrInsertFunction(f->name, llvm::FunctionType::get(ret, types, false));
  if (f->object >= 0) // a .bpf.o file's function: the program's BTF declares it for the linker
    if (auto *declared = llvm::dyn_cast<llvm::Function>(fn.getCallee()))
      mod_.describe_imported_function(declared, static_cast<size_t>(f->object), f->proto_id);
  llvm::Value *r = b_.CreateCall(fn, args);
  switch (f->return_type.kind) {
  case TypeKind::Void:
    result_ = b_.getInt64(0);
    break;
  case TypeKind::Pointer:
    result_ = b_.CreatePtrToInt(r, i64_);
    break;
  case TypeKind::Boolean:
    result_ = b_.CreateZExt(r, i64_);
    break;
  default:
    result_ = f->return_type.is_signed ? b_.CreateSExt(r, i64_) : b_.CreateZExt(r, i64_);
    break;
  }
}

void Generator::emit_str(Call &n) {
  if (auto *sum = dynamic_cast<Binary *>(n.args[0]);
      sum && dynamic_cast<PositionalParameter *>(sum->lhs)) { // str($1 + 2), folded by sema
    result_ = constant_string(n.constant_text, n.type.size);
    return;
  }
  if (auto *p = dynamic_cast<PositionalParameter *>(n.args[0]); p && p->index > 0) {
    const std::string text = static_cast<size_t>(p->index) <= options_.params.size()
                                 ? options_.params[static_cast<size_t>(p->index) - 1]
                                 : "";
    result_ = constant_string(text, n.type.size);
    return;
  }
  const Type &at = n.args[0]->type;
  llvm::Value *v = emit(n.args[0]);
  uint32_t size = n.type.size;
  llvm::Value *dst = scratch(size);
  if (at.kind == TypeKind::String) {
    store_converted(dst, v, at, n.type);
    result_ = dst;
    return;
  }
  llvm::Value *len = b_.getInt64(size);
  if (n.args.size() == 2 && !dynamic_cast<Integer *>(n.args[1])) {
    // A length known only at run time (counting the terminator, as in bpftrace): clamp it to
    // the buffer, so the verifier can bound it.
    llvm::Value *want = emit(n.args[1]);
    len = b_.CreateSelect(b_.CreateICmpULT(want, len), want, len);
  }
  int64_t helper = at.address_space == AddressSpace::User     ? ProbeReadUserStr
                   : at.address_space == AddressSpace::Kernel ? ProbeReadKernelStr
                                                              : ProbeReadStr;
  // The helpers leave the bytes after the terminator as they were (scratch memory holds an
  // earlier event's string there), so the whole buffer is cleared first: a string is a map key
  // and is compared byte by byte, and equal strings must be equal keys.
  zero(dst, size, 1);
  check_helper(call(helper, i64_, {dst, len, b_.CreateIntToPtr(v, ptr_)}), helper);
  result_ = dst;
}

llvm::Value *Generator::reserve(uint32_t size, AsyncKind kind, uint32_t id) {
  llvm::Value *rec = call(RingbufReserve, ptr_, {ringbuf_, b_.getInt64(size), b_.getInt64(0)});
  pending_header_ = static_cast<uint64_t>(kind) | (static_cast<uint64_t>(id) << 32);
  return rec;
}

void Generator::emit_printf(Call &n) {
  if (prog_->context == ContextKind::Iterator && !prog_->iterator_pin.empty())
    return emit_seq_printf(n);
  const PrintfInfo &info = res_.printfs[static_cast<size_t>(n.id)];
  std::vector<llvm::Value *> values;
  for (size_t i = 1; i < n.args.size(); ++i)
    values.push_back(emit(n.args[i]));
  uint32_t size = 8 + align8(info.args.size);
  const AsyncKind kind = n.builtin == BuiltinFunction::Cat      ? AsyncKind::Cat
                         : n.builtin == BuiltinFunction::System ? AsyncKind::System
                         : n.builtin == BuiltinFunction::Errorf ? AsyncKind::Errorf
                         : n.builtin == BuiltinFunction::Warnf  ? AsyncKind::Warnf
                                                                : AsyncKind::Printf;
  llvm::Value *rec = reserve(size, kind, static_cast<uint32_t>(n.id));
  with_record(rec, size, [&](llvm::Value *p) {
    llvm::Value *payload = b_.CreateGEP(i8_, p, b_.getInt64(8));
    zero_padding(payload, info.args, align8(info.args.size));
    for (size_t i = 0; i < values.size(); ++i) {
      const Field &f = (*info.args.fields)[i];
      store_converted(b_.CreateGEP(i8_, payload, b_.getInt64(f.offset)), values[i],
                      n.args[i + 1]->type, *f.type);
    }
  });
}

} // namespace scry::codegen_detail
