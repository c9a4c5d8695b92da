// Library functions computed in the probe: bswap, ntop, strftime, buf, join and syscall_name
// (cat is a printf record: calls.cpp). Reads the typed calls; writes LLVM IR.
#include "base/bpf_abi.h"
#include "base/glob.h"
#include "codegen/generator.h"

#include <llvm/IR/Intrinsics.h>
#include <sys/socket.h>

namespace scry::codegen_detail {

void Generator::emit_library_call(Call &n) {
  switch (n.builtin) {
  case BuiltinFunction::Bswap: {
    llvm::Value *v = emit(n.args[0]);
    const uint32_t bytes = n.type.size;
    if (bytes == 1) {
      result_ = b_.CreateAnd(v, 0xff);
      break;
    }
    llvm::Type *narrow = b_.getIntNTy(bytes * 8);
    llvm::Value *swapped =
        b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, b_.CreateTrunc(v, narrow));
    result_ = b_.CreateZExt(swapped, i64_);
    break;
  }
  case BuiltinFunction::Ntop: {
    // base/types.h's Inet: { i64 family; u8 address[16] }.
    Expression *addr = n.args.back();
    llvm::Value *family = n.args.size() == 2 ? emit(n.args[0]) : nullptr;
    llvm::Value *a = emit_bytes(addr);
    const bool v6 = addr->type.kind != TypeKind::Integer && addr->type.size == 16;
    llvm::Value *dst = scratch(kInetSize);
    zero(dst, kInetSize, 8);
    b_.CreateStore(family ? family : b_.getInt64(v6 ? AF_INET6 : AF_INET), dst);
    llvm::Value *bytes = b_.CreateGEP(i8_, dst, b_.getInt64(8));
    if (addr->type.kind == TypeKind::Integer)
      b_.CreateStore(b_.CreateTrunc(a, i32_), bytes); // the integer's bytes in memory order
    else
      copy(bytes, a, addr->type.size, 1);
    result_ = dst;
    break;
  }
  case BuiltinFunction::Strftime:
    result_ = emit(n.args[1]); // the format is the type's; user space formats the time
    break;
  case BuiltinFunction::Buf:
    result_ = emit_buf(n);
    break;
  case BuiltinFunction::SyscallName: {
    llvm::Value *nr = emit(n.args[0]);
    llvm::Value *dst = scratch(kSyscallNameBytes);
    call_stdlib("__scry_syscall_name", b_.getVoidTy(), {nr, dst});
    result_ = dst;
    break;
  }
  case BuiltinFunction::Override:
    call(OverrideReturn, i64_, {ctx_arg_, to_i64(emit(n.args[0]), n.args[0]->type)});
    result_ = nullptr;
    break;
  case BuiltinFunction::PercpuKaddr: {
    // The variable as a typed __ksym (libbpf turns its address into the kernel's per-CPU
    // BTF id, which bpf_this_cpu_ptr and bpf_per_cpu_ptr take).
    const KernelVariable &var = res_.kernel_variables.at(static_cast<size_t>(n.id));
    llvm::GlobalVariable *gv = mod_.kernel_variable(var);
    llvm::Value *ptr =
        n.args.size() == 2
            ? call(PerCpuPtr, ptr_,
                   {gv, b_.CreateTrunc(to_i64(emit(n.args[1]), n.args[1]->type), i32_)})
            : call(ThisCpuPtr, ptr_, {gv});
    result_ = b_.CreatePtrToInt(ptr, i64_);
    break;
  }
  case BuiltinFunction::WriteUser: {
    // The value's bytes from BPF memory (an integer is stored first, in memory order); the
    // count is the constant sema checked against the value's size, as the verifier wants.
    const Type &t = n.args[1]->type;
    llvm::Value *dst = to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::Value *src = emit(n.args[1]);
    if (t.kind == TypeKind::Integer) {
      llvm::Value *slot = scratch(8);
      b_.CreateStore(to_i64(src, t), slot);
      src = slot;
    }
    llvm::Value *ret =
        call(ProbeWriteUser, i64_, {b_.CreateIntToPtr(dst, ptr_), src, b_.getInt32(n.address)});
    result_ = b_.CreateZExt(b_.CreateICmpEQ(ret, b_.getInt64(0)), i64_);
    break;
  }
  case BuiltinFunction::SkbOutput: {
    // bpf_skb_output(skb, map, flags, meta, 24): the length goes in flags' BPF_F_CTXLEN_MASK
    // bits (include/uapi/linux/bpf.h), the sample to this CPU's buffer. A length beyond the
    // mask's 20 bits is clamped to 2^20, which the helper refuses (-EINVAL) as it would the
    // length itself; one beyond the packet gets -EFAULT.
    llvm::Value *skb = emit(n.args[1]);
    llvm::Value *len = to_i64(emit(n.args[2]), n.args[2]->type);
    len = b_.CreateSelect(b_.CreateICmpUGT(len, b_.getInt64(1u << 20)), b_.getInt64(1u << 20), len);
    llvm::Value *meta = scratch(sizeof(SkbOutputHeader));
    b_.CreateStore(b_.getInt64(static_cast<uint64_t>(n.id)), meta);
    b_.CreateStore(call(KtimeGetBootNs, i64_, {}), b_.CreateGEP(i8_, meta, b_.getInt64(8)));
    b_.CreateStore(len, b_.CreateGEP(i8_, meta, b_.getInt64(16)));
    llvm::Value *flags = b_.CreateOr(b_.CreateShl(len, 32), b_.getInt64(BPF_F_CURRENT_CPU));
    llvm::Value *ret = call(SkbOutput, i64_,
                            {skb, skb_output_, flags, meta, b_.getInt64(sizeof(SkbOutputHeader))});
    result_ = b_.CreateZExt(b_.CreateTrunc(ret, i32_), i64_);
    break;
  }
  case BuiltinFunction::Path: {
    // The path, NUL-terminated, at the start of the buffer (bpf_d_path moves it there); a
    // failure (a path longer than the buffer: ENAMETOOLONG) leaves it empty and is reported
    // with -k.
    llvm::Value *p = emit(n.args[0]);
    llvm::Value *dst = scratch(n.type.size);
    zero(dst, n.type.size, 1);
    check_helper(call(DPath, i64_, {p, dst, b_.getInt64(n.type.size)}), DPath);
    result_ = dst;
    break;
  }
  case BuiltinFunction::SocketCookie:
    // The socket pointer as the probe's context gave it: the verifier knows its BTF type.
    result_ = call(GetSocketCookie, i64_, {emit(n.args[0])});
    break;
  case BuiltinFunction::CommPid: {
    llvm::Value *pid = to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::Value *dst = scratch(kCommBytes);
    zero(dst, kCommBytes, 1);
    call_stdlib("__scry_task_comm", b_.getVoidTy(),
                {pid, b_.getInt64(static_cast<uint64_t>(n.address)), dst});
    result_ = dst;
    break;
  }
  case BuiltinFunction::StrConcat: {
    llvm::Value *a = emit(n.args[0]);
    llvm::Value *b = emit(n.args[1]);
    llvm::Value *dst = scratch(n.type.size);
    zero(dst, n.type.size, 1); // the bytes after the text: equal strings are equal keys
    call_stdlib("__scry_str_concat", b_.getVoidTy(),
                {a, b_.getInt64(n.args[0]->type.size), b, b_.getInt64(n.args[1]->type.size), dst});
    result_ = dst;
    break;
  }
  case BuiltinFunction::Globmatch: {
    // The pattern, a literal, is a DFA in .rodata (base/glob.h): one lookup per byte of the
    // string, bounded by masking the state with the table's power-of-two size.
    std::string error;
    auto dfa = compile_glob(static_cast<String *>(n.args[1])->value, kGlobMaxStates, error);
    if (!dfa) {
      internal_error(n.loc, error);
      break;
    }
    auto *table = llvm::ConstantDataArray::get(ctx_, llvm::ArrayRef<uint8_t>(dfa->next));
    auto *gv = new llvm::GlobalVariable(mod_.module(), table->getType(), true,
                                        llvm::GlobalValue::PrivateLinkage, table, "globmatch");
    gv->setAlignment(llvm::Align(8));
    llvm::Value *s = emit(n.args[0]);
    result_ = call_stdlib("__scry_globmatch", i64_,
                          {s, b_.getInt64(n.args[0]->type.size), gv, b_.getInt64(dfa->states - 1),
                           b_.getInt64(dfa->accept)});
    break;
  }
  case BuiltinFunction::Strncmp:
  case BuiltinFunction::Strstr: {
    // stdlib/strings.bpf.c's loops, bounded by the strings' capacities (constants here).
    llvm::Value *a = emit(n.args[0]);
    llvm::Value *b = emit(n.args[1]);
    llvm::Value *a_cap = b_.getInt64(n.args[0]->type.size);
    llvm::Value *b_cap = b_.getInt64(n.args[1]->type.size);
    if (n.builtin == BuiltinFunction::Strstr) {
      result_ = call_stdlib("__scry_strstr", i64_, {a, a_cap, b, b_cap});
    } else {
      llvm::Value *len = to_i64(emit(n.args[2]), n.args[2]->type);
      result_ = call_stdlib("__scry_strncmp", i64_, {a, a_cap, b, b_cap, len});
    }
    break;
  }
  case BuiltinFunction::Signal:
  case BuiltinFunction::SignalThread: {
    // The helper signals the task the probe interrupted (kernel/trace/bpf_trace.c); a failure
    // (-EPERM for a kernel thread, -EBUSY with interrupts off) is reported once per call site.
    const int64_t helper = n.builtin == BuiltinFunction::Signal ? SendSignal : SendSignalThread;
    llvm::Value *sig =
        n.address ? b_.getInt64(n.address) : to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::BasicBlock *done = nullptr;
    if (!n.address) {
      // 1..64 only: sig - 1 < 64 unsigned.
      llvm::Value *bad = b_.CreateICmpUGE(b_.CreateSub(sig, b_.getInt64(1)), b_.getInt64(64));
      if (n.id >= 0)
        warn_if(bad, n.id + 1, "signal.range", sig);
      auto *send = llvm::BasicBlock::Create(ctx_, "signal.send", fn_);
      done = llvm::BasicBlock::Create(ctx_, "signal.done", fn_);
      b_.CreateCondBr(bad, done, send);
      b_.SetInsertPoint(send);
    }
    llvm::Value *ret = call(helper, i64_, {b_.CreateTrunc(sig, i32_)});
    if (n.id >= 0)
      warn_if(b_.CreateICmpNE(ret, b_.getInt64(0)), n.id, "signal.failed", ret);
    if (done) {
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
    }
    result_ = b_.getInt64(0);
    break;
  }
  case BuiltinFunction::Pton: // the address's bytes, in network order (sema)
    result_ = constant_bytes(n.constant_text);
    break;
  case BuiltinFunction::Cgroupid:
    result_ = b_.getInt64(n.address);
    break;
  case BuiltinFunction::Memcmp: {
    // At most the smaller value's size (sema), also when the count is known only at run time.
    llvm::Value *a = emit_bytes(n.args[0]);
    llvm::Value *b = emit_bytes(n.args[1]);
    llvm::Value *count = to_i64(emit(n.args[2]), n.args[2]->type);
    const uint64_t limit = std::min(n.args[0]->type.size, n.args[1]->type.size);
    count = b_.CreateSelect(b_.CreateICmpULT(count, b_.getInt64(limit)), count, b_.getInt64(limit));
    result_ = call_stdlib("__scry_memcmp", i64_, {a, b, count});
    break;
  }
  case BuiltinFunction::Reg:
    // The interrupted task's saved registers: the context of a kprobe or uprobe (struct
    // pt_regs), or the start of a perf event's (struct bpf_perf_event_data's regs).
    result_ = load_context(static_cast<uint32_t>(n.address), make_int(8, false));
    break;
  case BuiltinFunction::IsStr:
  case BuiltinFunction::IsPtr:
  case BuiltinFunction::IsArray:
  case BuiltinFunction::IsInteger:
  case BuiltinFunction::IsUnsignedInteger:
  case BuiltinFunction::IsLiteral:
  case BuiltinFunction::KfuncExist:
  case BuiltinFunction::KfuncAllowed:
    result_ = b_.getInt64(n.address); // known when compiling (sema); the argument is not run
    break;
  case BuiltinFunction::StaticAssert:
  case BuiltinFunction::Fail:
    result_ = nullptr; // checked when compiling; nothing runs
    break;
  case BuiltinFunction::Strcap:
    if (n.args[0]->type.kind == TypeKind::Pointer) {
      // A char *: the length of the string there, at most max_strlen (Call::id).
      const Type &t = n.args[0]->type;
      const uint32_t cap = static_cast<uint32_t>(n.id);
      llvm::Value *s = read_memory(emit(n.args[0]), make_string(cap), t.address_space);
      result_ = string_length(s, cap);
    } else {
      result_ = b_.getInt64(n.address);
    }
    break;
  case BuiltinFunction::Debugf: {
    // bpf_trace_printk(fmt, fmt_size, up to 3 u64s): strings are passed by address.
    const std::string &fmt = n.constant_text;
    std::vector<llvm::Value *> args{constant_string(fmt, static_cast<uint32_t>(fmt.size() + 1)),
                                    b_.getInt64(fmt.size() + 1)};
    for (size_t i = 1; i < n.args.size(); ++i) {
      llvm::Value *v = emit(n.args[i]);
      args.push_back(n.args[i]->type.kind == TypeKind::String ? v : to_i64(v, n.args[i]->type));
    }
    call(TracePrintk, i64_, args);
    result_ = nullptr;
    break;
  }
  case BuiltinFunction::CgroupPath:
    result_ = to_i64(emit(n.args[0]), n.args[0]->type);
    break;
  case BuiltinFunction::NsecsClock:
    result_ = clock_ns(static_cast<Clock>(n.id));
    break;
  case BuiltinFunction::PidNs:
  case BuiltinFunction::TidNs:
    result_ = current_pid_tid(n.builtin == BuiltinFunction::TidNs, n.id == 1);
    break;
  case BuiltinFunction::SignalName: {
    llvm::Value *sig = to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::Value *dst = scratch(kSignalNameBytes);
    call_stdlib("__scry_signal_name", b_.getVoidTy(), {sig, dst});
    result_ = dst;
    break;
  }
  case BuiltinFunction::Macaddr: {
    const Type &t = n.args[0]->type;
    llvm::Value *src = emit_bytes(n.args[0]);
    llvm::Value *dst = scratch(6);
    if (t.kind == TypeKind::Array || t.kind == TypeKind::String) { // a char[N] field is a string
      copy(dst, src, 6, 1);
    } else {
      // 6 bytes at an address; zeros when they cannot be read.
      zero(dst, 6, 1);
      const int64_t read = t.address_space == AddressSpace::User ? ProbeReadUser : ProbeReadKernel;
      check_helper(call(read, i64_, {dst, b_.getInt64(6), b_.CreateIntToPtr(src, ptr_)}), read);
    }
    result_ = dst;
    break;
  }
  case BuiltinFunction::Strerror: {
    llvm::Value *err = to_i64(emit(n.args[0]), n.args[0]->type);
    llvm::Value *dst = scratch(kErrnoTextBytes);
    call_stdlib("__scry_strerror", b_.getVoidTy(), {err, dst});
    result_ = dst;
    break;
  }
  default:
    internal_error(n.loc, n.name + "() has no code here");
    break;
  }
}

void Generator::emit_join(Call &n) {
  const Type &at = n.args[0]->type;
  llvm::Value *array = emit(n.args[0]);
  const uint32_t element = join_element_bytes(res_.max_strlen);
  const uint32_t size = 8 + kJoinElements * element;
  const AddressSpace space = at.address_space;
  const int64_t read = space == AddressSpace::User     ? ProbeReadUser
                       : space == AddressSpace::Kernel ? ProbeReadKernel
                                                       : ProbeRead;
  const int64_t read_str = space == AddressSpace::User     ? ProbeReadUserStr
                           : space == AddressSpace::Kernel ? ProbeReadKernelStr
                                                           : ProbeReadStr;
  llvm::Value *slot_ptr = entry_alloca();
  llvm::Value *rec = reserve(size, AsyncKind::Join, static_cast<uint32_t>(n.id));
  with_record(rec, size, [&](llvm::Value *p) {
    // Every element starts empty: the first empty one ends the list in user space.
    for (uint32_t i = 0; i < kJoinElements; ++i)
      b_.CreateStore(b_.getInt8(0), b_.CreateGEP(i8_, p, b_.getInt64(8 + i * element)));
    auto *done = llvm::BasicBlock::Create(ctx_, "join.end", fn_);
    for (uint32_t i = 0; i < kJoinElements; ++i) {
      // argv[i]; a NULL (or unreadable) pointer ends the array: what follows it is not argv's.
      b_.CreateStore(b_.getInt64(0), slot_ptr);
      llvm::Value *at_i = b_.CreateAdd(array, b_.getInt64(8 * i));
      call(read, i64_, {slot_ptr, b_.getInt64(8), b_.CreateIntToPtr(at_i, ptr_)});
      llvm::Value *str = b_.CreateLoad(i64_, slot_ptr);
      auto *more = llvm::BasicBlock::Create(ctx_, "join.elem", fn_);
      b_.CreateCondBr(b_.CreateICmpEQ(str, b_.getInt64(0)), done, more);
      b_.SetInsertPoint(more);
      llvm::Value *dst = b_.CreateGEP(i8_, p, b_.getInt64(8 + i * element));
      call(read_str, i64_, {dst, b_.getInt64(element), b_.CreateIntToPtr(str, ptr_)});
    }
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  });
}

llvm::Value *Generator::emit_buf(Call &n) {
  Expression *src = n.args[0];
  const Type &st = src->type;
  const uint32_t capacity = n.type.size - 4;
  llvm::Value *v = emit_bytes(src);
  llvm::Value *want = n.args.size() == 2 ? emit(n.args[1]) : nullptr;
  llvm::Value *dst = scratch(n.type.size);
  // Cleared first: bytes past the length would otherwise be an earlier event's, and a buffer
  // is a map key compared byte by byte.
  zero(dst, n.type.size, 4);
  llvm::Value *data = b_.CreateGEP(i8_, dst, b_.getInt64(4));
  if (st.kind == TypeKind::Array || st.kind == TypeKind::String) {
    // Already in scry's memory, with a constant length (sema).
    copy(data, v, capacity, 1);
    b_.CreateStore(b_.getInt32(capacity), dst);
    return dst;
  }
  llvm::Value *len = b_.getInt64(capacity);
  if (want && !dynamic_cast<Integer *>(n.args[1])) {
    // A length known only at run time: clamped to the buffer (unsigned, so a negative one is
    // the whole buffer), which also bounds it for the verifier.
    len = b_.CreateSelect(b_.CreateICmpULT(want, len), want, len);
  }
  const int64_t helper = st.address_space == AddressSpace::User     ? ProbeReadUser
                         : st.address_space == AddressSpace::Kernel ? ProbeReadKernel
                                                                    : ProbeRead;
  check_helper(call(helper, i64_, {data, len, b_.CreateIntToPtr(v, ptr_)}), helper);
  b_.CreateStore(b_.CreateTrunc(len, i32_), dst);
  return dst;
}

} // namespace scry::codegen_detail
