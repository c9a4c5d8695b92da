// What a probe reads: its context (tracepoint records, raw syscall arguments and saved user
// registers), kernel and user memory (fields through pointers, BTF records, indexing), and fields
// of scry's own records and tuples. Reads the typed AST, KernelBtf's field offsets and the
// tracepoint formats of SemaResult; writes bpf_probe_read_* calls, loads and bounds checks.
#include "base/arch.h"
#include "codegen/generator.h"

#include <algorithm>
#include <llvm/IR/InlineAsm.h>

namespace scry::codegen_detail {

llvm::Value *Generator::load_context(uint32_t offset, const Type &t) {
  uint32_t size = t.size ? t.size : 8;
  const char *width = size == 1 ? "u8" : size == 2 ? "u16" : size == 4 ? "u32" : "u64";
  if (size != 1 && size != 2 && size != 4 && size != 8)
    return load_value(b_.CreateGEP(i8_, ctx_arg_, b_.getInt64(offset)), t);
  // The verifier allows a context access only as *(ctx + constant), with the context register
  // itself unmodified ("dereference of modified ctx ptr"). A load through a GEP lets LLVM keep
  // ctx + offset in a register and load through it later (found by tests/fuzz's middle_fuzz:
  // a tracepoint field read in an unrolled loop and in a ternary); LLVM 16 has no
  // preserve_static_offset, so the load is one BPF instruction written out.
  auto *type = llvm::FunctionType::get(i64_, {ptr_}, false);
  std::string text = "$0 = *(" + std::string(width) + " *)($1 + " + std::to_string(offset) + ")";
  llvm::Value *v = b_.CreateCall(type, llvm::InlineAsm::get(type, text, "=r,r", false), {ctx_arg_});
  if (size < 8 && t.is_signed)
    v = b_.CreateSExt(b_.CreateTrunc(v, llvm::IntegerType::get(ctx_, size * 8)), i64_);
  return v;
}

llvm::Value *Generator::raw_argument(uint32_t index) {
  return load_context(8 * index, make_int(8, false));
}

void Generator::read_syscall_register(llvm::Value *dst, uint32_t offset) {
  llvm::Value *regs = b_.CreateIntToPtr(raw_argument(0), ptr_);
  call(ProbeReadKernel, i64_, {dst, b_.getInt64(8), b_.CreateGEP(i8_, regs, b_.getInt64(offset))});
}

llvm::Value *Generator::raw_syscall_number(const ProbeProgram &p) {
  if (p.syscall_nr < 0 && p.raw_record == RawRecord::None)
    return nullptr;
  llvm::Value *nr;
  if (p.raw_tracepoint == "sys_enter") {
    nr = raw_argument(1);
  } else {
    llvm::Value *slot = entry_alloca(8);
    b_.CreateStore(b_.getInt64(~0ULL), slot);
    read_syscall_register(slot, arch::kSyscallNrOffset);
    nr = b_.CreateLoad(i64_, slot);
  }
  // A program shared by several system calls is reached only through its dispatcher.
  if (p.syscall_nr >= 0 && !p.probe_name_by_nr)
    branch_unless(b_.CreateICmpEQ(nr, b_.getInt64(static_cast<uint64_t>(p.syscall_nr))),
                  return_block_);
  return nr;
}

llvm::Value *Generator::function_argument(uint32_t index) {
  // The first six in registers; the others on the stack above the return address, which is at
  // sp when the probe fires at the function's first instruction (SysV AMD64 ABI, 3.2.3).
  if (index < std::size(arch::kArgOffsets))
    return load_context(arch::kArgOffsets[index], make_int(8, false));
  llvm::Value *sp = load_context(arch::kSpOffset, make_int(8, false));
  uint64_t above = 8 * (index - std::size(arch::kArgOffsets) + 1);
  return read_memory(b_.CreateAdd(sp, b_.getInt64(above)), make_int(8, false),
                     prog_->attach == AttachMechanism::Kprobe ? AddressSpace::Kernel
                                                              : AddressSpace::User);
}

llvm::Value *Generator::btf_argument(uint32_t index, const Type &t) {
  // The context holds every argument in 8 bytes (include/linux/bpf.h, bpf_trace_run*: each
  // argument cast to u64); a narrower one is truncated to its type and widened by its sign.
  llvm::Value *raw = raw_argument(index);
  if (t.kind == TypeKind::Boolean)
    return b_.CreateZExt(b_.CreateTrunc(raw, b_.getInt8Ty()), i64_);
  if (t.kind != TypeKind::Integer || t.size >= 8)
    return raw;
  llvm::Value *narrow = b_.CreateTrunc(raw, b_.getIntNTy(8 * t.size));
  return t.is_signed ? b_.CreateSExt(narrow, i64_) : b_.CreateZExt(narrow, i64_);
}

llvm::Value *Generator::btf_arg_field(FieldAccess &n) {
  const std::vector<std::string> &params = prog_->kernel_function.params;
  for (uint32_t i = 0; i < params.size(); ++i)
    if (params[i] == n.field)
      return btf_argument(i, n.type);
  internal_error(n.loc, "args." + n.field + " is not an argument of " + prog_->probe_name);
  return b_.getInt64(0);
}

llvm::Value *Generator::btf_args_record(const Type &t) {
  llvm::Value *record = scratch(t.size);
  zero(record, t.size, 8); // padding: a record is a map key too
  const std::vector<std::string> &params = prog_->kernel_function.params;
  for (const Field &f : *t.fields) {
    auto it = std::find(params.begin(), params.end(), f.name);
    if (it == params.end()) {
      internal_error(SourceRange{}, "args." + f.name + " is not an argument");
      break;
    }
    llvm::Value *v = btf_argument(static_cast<uint32_t>(it - params.begin()), *f.type);
    store_value(b_.CreateGEP(i8_, record, b_.getInt64(f.offset)), v, *f.type);
  }
  return record;
}

llvm::Value *Generator::uprobe_arg_field(FieldAccess &n) {
  for (const UprobeArg &a : prog_->uprobe.args) {
    if (a.name != n.field)
      continue;
    // The register holds the parameter in its low bytes (SysV AMD64 ABI: the upper bytes of a
    // narrower argument are unspecified): truncate it to the type, then widen it by its sign.
    llvm::Value *raw = function_argument(a.index);
    if (n.type.size >= 8 || n.type.kind != TypeKind::Integer)
      return raw;
    llvm::Value *narrow = b_.CreateTrunc(raw, b_.getIntNTy(8 * n.type.size));
    return n.type.is_signed ? b_.CreateSExt(narrow, i64_) : b_.CreateZExt(narrow, i64_);
  }
  internal_error(n.loc, "args." + n.field + " has no register");
  return b_.getInt64(0);
}

llvm::Value *Generator::uprobe_args_record(const Type &t) {
  llvm::Value *record = scratch(t.size);
  zero(record, t.size, 8); // padding: a record is a map key too
  for (const Field &f : *t.fields) {
    const UprobeArg *arg = nullptr;
    for (const UprobeArg &a : prog_->uprobe.args)
      if (a.name == f.name)
        arg = &a;
    if (!arg) {
      internal_error(SourceRange{}, "args." + f.name + " has no register");
      break;
    }
    store_value(b_.CreateGEP(i8_, record, b_.getInt64(f.offset)), function_argument(arg->index),
                *f.type);
  }
  return record;
}

llvm::Value *Generator::raw_syscall_record(const ProbeProgram &p, llvm::Value *nr) {
  uint32_t size = 8;
  for (const TracepointField &f : format_->fields)
    size = std::max(size, f.offset + f.size);
  llvm::Value *record = scratch(size);
  for (const std::string &name : p.args_fields) {
    const TracepointField *f = format_->find(name);
    if (!f || f->is_common)
      continue;
    llvm::Value *at = b_.CreateGEP(i8_, record, b_.getInt64(f->offset));
    if (name == "__syscall_nr" || name == "id") {
      b_.CreateStore(b_.CreateTrunc(nr, b_.getIntNTy(8 * std::min<uint32_t>(f->size, 8))), at);
    } else if (name == "ret") {
      b_.CreateStore(raw_argument(1), at);
    } else if (p.raw_record == RawRecord::RawSyscallEnter && name == "args") {
      for (uint32_t i = 0; i < 6 && 8 * (i + 1) <= f->size; ++i)
        read_syscall_register(b_.CreateGEP(i8_, at, b_.getInt64(8 * i)),
                              arch::kSyscallArgOffsets[i]);
    } else if (p.raw_record == RawRecord::SyscallEnter && f->offset >= 16 && f->size == 8 &&
               (f->offset - 16) / 8 < 6) {
      read_syscall_register(at, arch::kSyscallArgOffsets[(f->offset - 16) / 8]);
    }
  }
  return record;
}

void Generator::visit(FieldAccess &n) {
  if (auto *id = dynamic_cast<Identifier *>(n.base); id && id->name == "args") {
    result_ = prog_->context == ContextKind::Registers      ? uprobe_arg_field(n)
              : prog_->context == ContextKind::BtfArguments ? btf_arg_field(n)
                                                            : tracepoint_field(n);
    return;
  }
  const Type &bt = n.base->type;
  if (bt.kind == TypeKind::Pointer ||
      (bt.kind == TypeKind::Record && bt.btf_id > 0 && kernel_memory(n.base))) {
    auto addr = kernel_address(&n);
    result_ = read_at(addr.address, n.type, addr.space, addr.bitfield_shift, addr.bitfield_bits);
    return;
  }
  if (bt.kind == TypeKind::Record && bt.btf_id > 0) {
    // A kernel struct copied into scry's memory (a variable, a map value).
    llvm::Value *base = emit(n.base);
    auto field = btf_.field(bt, n.field);
    if (!field)
      return;
    llvm::Value *at = b_.CreateGEP(i8_, base, b_.getInt64(field->offset));
    if (field->bitfield_bits) {
      llvm::Value *unit = load_value(at, make_int(field->type.size ? field->type.size : 4, false));
      llvm::Value *v = b_.CreateLShr(unit, field->bitfield_shift);
      result_ =
          b_.CreateAnd(v, field->bitfield_bits >= 64 ? ~0ULL : (1ULL << field->bitfield_bits) - 1);
      return;
    }
    result_ = load_value(at, n.type);
    return;
  }
  // A record in scry's own memory.
  llvm::Value *base = emit(n.base);
  for (const Field &f : *bt.fields) {
    if (f.name == n.field) {
      result_ = load_value(b_.CreateGEP(i8_, base, b_.getInt64(f.offset)), *f.type);
      return;
    }
  }
}

void Generator::visit(TupleAccess &n) {
  llvm::Value *base = emit(n.base);
  const Field &f = (*n.base->type.fields)[n.index];
  result_ = load_value(b_.CreateGEP(i8_, base, b_.getInt64(f.offset)), *f.type);
}

void Generator::visit(Index &n) {
  const Type &bt = n.base->type;
  if (bt.kind == TypeKind::Tuple) {
    const Field &f = (*bt.fields)[static_cast<size_t>(constant_int(n.index))];
    result_ = load_value(b_.CreateGEP(i8_, emit(n.base), b_.getInt64(f.offset)), *f.type);
    return;
  }
  if (bt.kind == TypeKind::Pointer) {
    llvm::Value *p = emit(n.base);
    llvm::Value *i = to_i64(emit(n.index), n.index->type);
    llvm::Value *addr = b_.CreateAdd(p, b_.CreateMul(i, b_.getInt64(n.type.size)));
    result_ = read_at(addr, n.type, bt.address_space, 0, 0);
    return;
  }
  if (kernel_memory(n.base)) {
    auto addr = kernel_address(&n);
    result_ = read_at(addr.address, n.type, addr.space, 0, 0);
    return;
  }
  // An array or string in scry's own memory (scratch or stack): bounds-checked load; out of
  // range, the element is 0 (zeroed for a struct) and the program warns once.
  llvm::Value *base = emit(n.base);
  llvm::Value *i = to_i64(emit(n.index), n.index->type);
  uint32_t elem = bt.kind == TypeKind::String ? 1 : bt.elem->size;
  uint32_t count = bt.kind == TypeKind::String ? bt.size : bt.count;
  Type et = bt.kind == TypeKind::String ? make_int(1, true) : *bt.elem;
  llvm::Value *dst = is_composite(et) ? scratch(et.size) : nullptr;
  if (dst)
    zero(dst, et.size, 1);
  llvm::Value *in_range = index_in_range(i, count, n.bounds_warning);
  llvm::Value *slot = entry_alloca();
  b_.CreateStore(b_.getInt64(0), slot);
  auto *ok = llvm::BasicBlock::Create(ctx_, "index.ok", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "index.end", fn_);
  b_.CreateCondBr(in_range, ok, done);
  b_.SetInsertPoint(ok);
  if (dst) {
    copy(dst, b_.CreateGEP(i8_, base, b_.CreateMul(i, b_.getInt64(elem))), et.size, 1);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    result_ = dst;
    return;
  }
  b_.CreateStore(load_value(b_.CreateGEP(i8_, base, b_.CreateMul(i, b_.getInt64(elem))), et), slot);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  result_ = b_.CreateLoad(i64_, slot);
}

llvm::Value *Generator::held_address(Expression *e) {
  auto plus = [&](Expression *base, llvm::Value *offset) {
    return b_.CreateAdd(held_address(base), offset);
  };
  if (auto *v = dynamic_cast<Variable *>(e))
    return b_.CreatePtrToInt(variable_slot(*v), i64_);
  const Map *m = dynamic_cast<Map *>(e);
  Expression *key = nullptr;
  if (auto *a = dynamic_cast<MapAccess *>(e)) {
    m = a->map;
    key = a->key;
  }
  if (m) {
    // The value's place in the map; 0 while the map holds no value for the key.
    const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
    llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(*m), build_key(info, key, nullptr)});
    return b_.CreatePtrToInt(p, i64_);
  }
  if (auto *t = dynamic_cast<TupleAccess *>(e))
    return plus(t->base, b_.getInt64((*t->base->type.fields)[t->index].offset));
  if (auto *f = dynamic_cast<FieldAccess *>(e)) {
    const Type &bt = f->base->type;
    if (bt.btf_id > 0) {
      auto field = btf_.field(bt, f->field);
      return plus(f->base, b_.getInt64(field ? field->offset : 0));
    }
    if (bt.fields)
      for (const Field &fd : *bt.fields)
        if (fd.name == f->field)
          return plus(f->base, b_.getInt64(fd.offset));
  }
  if (auto *i = dynamic_cast<Index *>(e)) {
    const Type &bt = i->base->type;
    if (bt.kind == TypeKind::Tuple)
      return plus(i->base,
                  b_.getInt64((*bt.fields)[static_cast<size_t>(constant_int(i->index))].offset));
    const uint64_t elem = bt.kind == TypeKind::String || !bt.elem ? 1 : bt.elem->size;
    llvm::Value *idx = to_i64(emit(i->index), i->index->type);
    return plus(i->base, b_.CreateMul(idx, b_.getInt64(elem)));
  }
  return b_.getInt64(0);
}

bool Generator::kernel_memory(Expression *e) {
  if (auto *u = dynamic_cast<Unary *>(e); u && u->op == UnaryOp::Deref)
    return true;
  if (auto *f = dynamic_cast<FieldAccess *>(e)) {
    if (auto *id = dynamic_cast<Identifier *>(f->base); id && id->name == "args")
      return false;
    return f->base->type.kind == TypeKind::Pointer ||
           (f->base->type.kind == TypeKind::Record && f->base->type.btf_id > 0 &&
            kernel_memory(f->base));
  }
  if (auto *i = dynamic_cast<Index *>(e))
    return i->base->type.kind == TypeKind::Pointer ||
           ((i->base->type.kind == TypeKind::Array || i->base->type.kind == TypeKind::String) &&
            kernel_memory(i->base));
  return false;
}

Generator::KernelAddr Generator::kernel_address(Expression *e) {
  if (auto *u = dynamic_cast<Unary *>(e); u && u->op == UnaryOp::Deref)
    return {emit(u->operand), u->operand->type.address_space};
  if (auto *f = dynamic_cast<FieldAccess *>(e)) {
    const Type &bt = f->base->type;
    KernelAddr base;
    Type record;
    if (bt.kind == TypeKind::Pointer) {
      base = {emit(f->base), bt.address_space};
      record = bt.elem ? *bt.elem : Type{};
    } else {
      base = kernel_address(f->base);
      record = bt;
    }
    auto field = btf_.field(record, f->field);
    if (!field)
      return base;
    base.address = b_.CreateAdd(base.address, b_.getInt64(field->offset));
    base.bitfield_shift = field->bitfield_shift;
    base.bitfield_bits = field->bitfield_bits;
    return base;
  }
  if (auto *i = dynamic_cast<Index *>(e)) {
    const Type &bt = i->base->type;
    KernelAddr base = bt.kind == TypeKind::Pointer ? KernelAddr{emit(i->base), bt.address_space}
                                                   : kernel_address(i->base);
    llvm::Value *idx = to_i64(emit(i->index), i->index->type);
    llvm::Value *at = b_.CreateAdd(base.address, b_.CreateMul(idx, b_.getInt64(i->type.size)));
    if (i->bounds_warning >= 0) {
      // An array (not a pointer) indexed at run time: out of range, the address is 0, which the
      // read helpers refuse, leaving the value zeroed (bpf_probe_read_kernel clears its
      // destination on failure).
      uint32_t count = bt.kind == TypeKind::String ? bt.size : bt.count;
      at = b_.CreateSelect(index_in_range(idx, count, i->bounds_warning), at, b_.getInt64(0));
    }
    base.address = at;
    return base;
  }
  return {emit(e), AddressSpace::Kernel};
}

llvm::Value *Generator::index_in_range(llvm::Value *i, uint32_t count, int warning) {
  llvm::Value *in_range = b_.CreateICmpULT(i, b_.getInt64(count));
  if (warning >= 0)
    warn_if(b_.CreateNot(in_range), warning, "index.bad");
  return in_range;
}

llvm::Value *Generator::read_at(llvm::Value *address, const Type &t, AddressSpace space,
                                uint32_t shift, uint32_t bits) {
  int64_t helper = space == AddressSpace::User ? ProbeReadUser : ProbeReadKernel;
  llvm::Value *src = b_.CreateIntToPtr(address, ptr_);
  if (is_composite(t)) {
    llvm::Value *dst = scratch(t.size);
    if (t.kind == TypeKind::String && !bytes_wanted_) {
      // The helper leaves the bytes after the terminator as they were (scratch memory holds an
      // earlier event's string there): cleared first, so that equal strings are equal keys.
      zero(dst, t.size, 1);
      const int64_t str_helper =
          space == AddressSpace::User ? ProbeReadUserStr : ProbeReadKernelStr;
      check_helper(call(str_helper, i64_, {dst, b_.getInt64(t.size), src}), str_helper);
    } else {
      check_helper(call(helper, i64_, {dst, b_.getInt64(t.size), src}), helper);
    }
    return dst;
  }
  uint32_t size = t.size ? std::min<uint32_t>(t.size, 8) : 8;
  llvm::Value *tmp = entry_alloca();
  b_.CreateStore(b_.getInt64(0), tmp);
  check_helper(call(helper, i64_, {tmp, b_.getInt64(size), src}), helper);
  llvm::Value *v = load_value(tmp, t.size ? t : make_int(8, false));
  if (bits) {
    v = b_.CreateLShr(b_.CreateLoad(i64_, tmp), shift);
    v = b_.CreateAnd(v, bits >= 64 ? ~0ULL : (1ULL << bits) - 1);
  }
  return v;
}

llvm::Value *Generator::emit_bytes(Expression *e) {
  const bool outer = bytes_wanted_;
  bytes_wanted_ = true;
  llvm::Value *v = emit(e);
  bytes_wanted_ = outer;
  return v;
}

llvm::Value *Generator::tracepoint_field(FieldAccess &n) {
  const TracepointField *f = format_ ? format_->find(n.field) : nullptr;
  if (!f)
    return is_composite(n.type) ? scratch(n.type.size) : b_.getInt64(0);
  const bool in_context = record_ == ctx_arg_; // else a copy of the record (raw syscalls)
  llvm::Value *at = b_.CreateGEP(i8_, record_, b_.getInt64(f->offset));
  if (f->is_data_loc) {
    llvm::Value *loc = in_context ? load_context(f->offset, make_int(4, false))
                                  : b_.CreateZExt(b_.CreateLoad(i32_, at), i64_);
    llvm::Value *off = b_.CreateAnd(loc, 0xffff);
    if (f->is_rel_loc)
      off = b_.CreateAdd(off, b_.getInt64(f->offset + f->size));
    return b_.CreateAdd(b_.CreatePtrToInt(record_, i64_), off);
  }
  if (is_composite(n.type)) {
    llvm::Value *dst = scratch(n.type.size);
    if (n.type.kind == TypeKind::String) {
      // A char array in the record is copied whole by the kernel (memcpy of a task's comm), so
      // bytes after the terminator may hold an older name: only the string is read, into a
      // cleared buffer, so that equal strings are equal map keys.
      zero(dst, n.type.size, 1);
      call(ProbeReadKernelStr, i64_, {dst, b_.getInt64(n.type.size), at});
      return dst;
    }
    call(ProbeReadKernel, i64_, {dst, b_.getInt64(n.type.size), at});
    return dst;
  }
  return in_context ? load_context(f->offset, n.type) : load_value(at, n.type);
}

} // namespace scry::codegen_detail
