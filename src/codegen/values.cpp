// How values are held: scalars as i64 narrowed to and widened from their type's size, composites
// copied, converted and zeroed in aligned chunks, string constants and string equality. Reads the
// Types of the typed AST; writes loads, stores and conversions into the program's function.
#include "codegen/generator.h"

#include <cstring>

namespace scry::codegen_detail {

llvm::Value *Generator::convert_scalar(llvm::Value *v, const Type &from, const Type &to) {
  if (to.kind == TypeKind::Boolean)
    return b_.CreateZExt(truth(v), i64_);
  if (to.kind == TypeKind::Integer && to.size < 8) {
    llvm::Type *narrow = llvm::IntegerType::get(ctx_, to.size * 8);
    llvm::Value *t = b_.CreateTrunc(v, narrow);
    return to.is_signed ? b_.CreateSExt(t, i64_) : b_.CreateZExt(t, i64_);
  }
  (void)from;
  return v;
}

llvm::Value *Generator::load_value(llvm::Value *ptr, const Type &t) {
  if (is_composite(t))
    return ptr;
  uint32_t size = t.size ? t.size : 8;
  if (size > 8)
    size = 8;
  llvm::Type *it = llvm::IntegerType::get(ctx_, size * 8);
  llvm::Value *v = b_.CreateLoad(it, ptr);
  if (size == 8)
    return v;
  return t.is_signed ? b_.CreateSExt(v, i64_) : b_.CreateZExt(v, i64_);
}

void Generator::store_value(llvm::Value *ptr, llvm::Value *v, const Type &t) {
  if (is_composite(t)) {
    copy(ptr, v, t.size, 1);
    return;
  }
  uint32_t size = t.size ? std::min<uint32_t>(t.size, 8) : 8;
  if (size == 8)
    b_.CreateStore(v, ptr);
  else
    b_.CreateStore(b_.CreateTrunc(v, llvm::IntegerType::get(ctx_, size * 8)), ptr);
}

void Generator::store_converted(llvm::Value *dst, llvm::Value *v, const Type &from,
                                const Type &to) {
  if (!is_composite(to)) {
    store_value(dst, convert_scalar(v, from, to), to);
    return;
  }
  if (to.kind == TypeKind::String && from.kind == TypeKind::String) {
    uint32_t n = std::min(from.size, to.size);
    if (to.size > n)
      zero(b_.CreateGEP(i8_, dst, b_.getInt64(n)), to.size - n, 1);
    copy(dst, v, n, 1);
    if (from.size > to.size) // truncated: keep the terminator
      b_.CreateStore(b_.getInt8(0), b_.CreateGEP(i8_, dst, b_.getInt64(to.size - 1)));
    return;
  }
  if ((to.kind == TypeKind::Tuple || (to.kind == TypeKind::Record && to.btf_id == 0)) &&
      from.kind == to.kind && from.fields && to.fields && !(from == to)) {
    zero(dst, to.size, 1);
    for (size_t i = 0; i < to.fields->size(); ++i) {
      const Field &tf = (*to.fields)[i], &ff = (*from.fields)[i];
      llvm::Value *src = b_.CreateGEP(i8_, v, b_.getInt64(ff.offset));
      store_converted(b_.CreateGEP(i8_, dst, b_.getInt64(tf.offset)), load_value(src, *ff.type),
                      *ff.type, *tf.type);
    }
    return;
  }
  copy(dst, v, std::min(from.size, to.size), 1);
}

uint32_t Generator::known_align(llvm::Value *ptr) {
  uint64_t offset = 0;
  while (auto *gep = llvm::dyn_cast<llvm::GEPOperator>(ptr)) {
    if (gep->getNumIndices() != 1 || !gep->getSourceElementType()->isIntegerTy(8))
      return 1;
    auto *c = llvm::dyn_cast<llvm::ConstantInt>(gep->idx_begin()->get());
    if (!c)
      return 1;
    offset += c->getZExtValue();
    ptr = gep->getPointerOperand();
  }
  if (llvm::isa<llvm::IntToPtrInst>(ptr) || llvm::isa<llvm::Argument>(ptr))
    return 1;
  uint32_t a = 8;
  while (a > 1 && offset % a)
    a /= 2;
  return a;
}

void Generator::move_bytes(llvm::Value *dst, llvm::Value *src, uint32_t size) {
  if (size > kInlineMoveBytes) {
    // One helper call instead of size/8 loads and stores, which cost LLVM's instruction
    // selection and scheduling time quadratic in the block's size. A read from NULL fails and
    // the helper clears the destination (kernel/trace/bpf_trace.c,
    // bpf_probe_read_kernel_common), as bpftrace clears large buffers.
    call(ProbeReadKernel, i64_,
         {dst, b_.getInt64(size), src ? src : llvm::ConstantPointerNull::get(b_.getPtrTy())});
    return;
  }
  uint32_t align = known_align(dst);
  if (src)
    align = std::min(align, known_align(src));
  uint32_t off = 0;
  for (uint32_t chunk : {8u, 4u, 2u, 1u}) {
    if (chunk > align)
      continue;
    llvm::Type *t = llvm::IntegerType::get(ctx_, chunk * 8);
    while (size - off >= chunk) {
      llvm::Value *v =
          src ? static_cast<llvm::Value *>(b_.CreateAlignedLoad(
                    t, b_.CreateGEP(i8_, src, b_.getInt64(off)), llvm::Align(chunk), true))
              : static_cast<llvm::Value *>(llvm::ConstantInt::get(t, 0));
      b_.CreateAlignedStore(v, b_.CreateGEP(i8_, dst, b_.getInt64(off)), llvm::Align(chunk), true);
      off += chunk;
    }
  }
}

void Generator::zero_padding(llvm::Value *dst, const Type &t, uint32_t total) {
  uint32_t covered = 0;
  for (const Field &f : *t.fields) {
    if (f.offset > covered)
      zero(b_.CreateGEP(i8_, dst, b_.getInt64(covered)), f.offset - covered, 1);
    covered = std::max(covered, f.offset + f.type->size);
  }
  if (total > covered)
    zero(b_.CreateGEP(i8_, dst, b_.getInt64(covered)), total - covered, 1);
}

llvm::Value *Generator::constant_string(const std::string &value, uint32_t size) {
  std::string bytes = value.substr(0, size > 0 ? size - 1 : 0);
  bytes.resize(size, '\0');
  return constant_bytes(bytes);
}

llvm::Value *Generator::constant_bytes(const std::string &bytes) {
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  llvm::Value *dst = scratch(size);
  for (uint32_t off = 0; off < size;) {
    uint32_t chunk = size - off >= 8 ? 8 : size - off >= 4 ? 4 : size - off >= 2 ? 2 : 1;
    uint64_t v = 0;
    std::memcpy(&v, bytes.data() + off, chunk);
    b_.CreateAlignedStore(llvm::ConstantInt::get(llvm::IntegerType::get(ctx_, chunk * 8), v),
                          b_.CreateGEP(i8_, dst, b_.getInt64(off)), llvm::Align(chunk), true);
    off += chunk;
  }
  return dst;
}

llvm::Value *Generator::strings_equal(llvm::Value *a, uint32_t a_size, llvm::Value *b,
                                      uint32_t b_size) {
  uint32_t n = std::min(a_size, b_size);
  llvm::Value *result = entry_alloca();
  b_.CreateStore(b_.getInt64(1), result);
  auto *done = llvm::BasicBlock::Create(ctx_, "streq.end", fn_);
  auto *differ = llvm::BasicBlock::Create(ctx_, "streq.differ", fn_);
  if (n > kLoopCompareBytes) {
    // The kernel's bpf_loop: its callback is verified once, where the verifier would walk a
    // loop's every iteration and give up past 8192 pending branches ("The sequence of 8193
    // jumps is too complex"). Needs Linux 5.17.
    llvm::Value *frame = entry_alloca(24);
    b_.CreateStore(a, frame);
    b_.CreateStore(b, b_.CreateGEP(i8_, frame, b_.getInt64(8)));
    b_.CreateStore(b_.getInt64(1), b_.CreateGEP(i8_, frame, b_.getInt64(16)));
    call(BpfLoop, i64_,
         {b_.getInt64(n), byte_loop_callback(ByteLoop::Compare, n), frame, b_.getInt64(0)});
    b_.CreateStore(b_.CreateLoad(i64_, b_.CreateGEP(i8_, frame, b_.getInt64(16))), result);
    b_.CreateBr(done);
    b_.SetInsertPoint(differ);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    return truth(b_.CreateLoad(i64_, result));
  }
  if (n > kInlineCompareBytes) {
    // A loop the verifier walks once per byte, kept rolled: unrolled, a long string costs
    // LLVM time quadratic in its length.
    auto *head = llvm::BasicBlock::Create(ctx_, "streq.loop", fn_);
    auto *same = llvm::BasicBlock::Create(ctx_, "streq.same", fn_);
    auto *next = llvm::BasicBlock::Create(ctx_, "streq.next", fn_);
    llvm::BasicBlock *pre = b_.GetInsertBlock();
    b_.CreateBr(head);
    b_.SetInsertPoint(head);
    llvm::PHINode *i = b_.CreatePHI(i64_, 2);
    i->addIncoming(b_.getInt64(0), pre);
    llvm::Value *ca = b_.CreateLoad(i8_, b_.CreateGEP(i8_, a, i));
    llvm::Value *cb = b_.CreateLoad(i8_, b_.CreateGEP(i8_, b, i));
    b_.CreateCondBr(b_.CreateICmpNE(ca, cb), differ, same);
    b_.SetInsertPoint(same);
    b_.CreateCondBr(b_.CreateICmpEQ(ca, b_.getInt8(0)), done, next);
    b_.SetInsertPoint(next);
    llvm::Value *i1 = b_.CreateAdd(i, b_.getInt64(1));
    i->addIncoming(i1, next);
    auto *tail = llvm::BasicBlock::Create(ctx_, "streq.tail", fn_);
    llvm::BranchInst *back = b_.CreateCondBr(b_.CreateICmpULT(i1, b_.getInt64(n)), head, tail);
    llvm::MDNode *disable =
        llvm::MDNode::get(ctx_, llvm::MDString::get(ctx_, "llvm.loop.unroll.disable"));
    llvm::MDNode *loop = llvm::MDNode::getDistinct(ctx_, {nullptr, disable});
    loop->replaceOperandWith(0, loop);
    back->setMetadata(llvm::LLVMContext::MD_loop, loop);
    b_.SetInsertPoint(tail);
    n = 0;
  }
  for (uint32_t i = 0; i < n; ++i) {
    llvm::Value *ca = b_.CreateLoad(i8_, b_.CreateGEP(i8_, a, b_.getInt64(i)));
    llvm::Value *cb = b_.CreateLoad(i8_, b_.CreateGEP(i8_, b, b_.getInt64(i)));
    auto *same = llvm::BasicBlock::Create(ctx_, "streq.same", fn_);
    b_.CreateCondBr(b_.CreateICmpNE(ca, cb), differ, same);
    b_.SetInsertPoint(same);
    auto *next = llvm::BasicBlock::Create(ctx_, "streq.next", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(ca, b_.getInt8(0)), done, next);
    b_.SetInsertPoint(next);
  }
  b_.CreateBr(done);
  b_.SetInsertPoint(differ);
  b_.CreateStore(b_.getInt64(0), result);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  return truth(b_.CreateLoad(i64_, result));
}

llvm::Value *Generator::string_length(llvm::Value *s, uint32_t size) {
  if (size <= kLoopCompareBytes)
    return call_stdlib("__scry_strnlen", i64_, {s, b_.getInt64(size)});
  llvm::Value *frame = entry_alloca(16);
  b_.CreateStore(s, frame);
  b_.CreateStore(b_.getInt64(size), b_.CreateGEP(i8_, frame, b_.getInt64(8)));
  call(BpfLoop, i64_,
       {b_.getInt64(size), byte_loop_callback(ByteLoop::Length, size), frame, b_.getInt64(0)});
  return b_.CreateLoad(i64_, b_.CreateGEP(i8_, frame, b_.getInt64(8)));
}

llvm::Function *Generator::byte_loop_callback(ByteLoop kind, uint32_t n) {
  llvm::Function *&cb = byte_loop_callbacks_[{kind, n}];
  if (cb)
    return cb;
  // long cb(u64 index, void *frame): frame holds the string pointer(s) and the result slot.
  // The index is checked against n, so the verifier knows every access is in bounds.
  llvm::IRBuilder<> ib(ctx_);
  const char *what = kind == ByteLoop::Compare ? "streq" : "strlen";
  cb = mod_.add_loop_callback(what + std::to_string(n), ib);
  llvm::Value *index = cb->getArg(0), *frame = cb->getArg(1);
  auto *body = llvm::BasicBlock::Create(ctx_, "body", cb);
  auto *stop = llvm::BasicBlock::Create(ctx_, "stop", cb);
  ib.CreateCondBr(ib.CreateICmpUGE(index, ib.getInt64(n)), stop, body);
  ib.SetInsertPoint(stop);
  ib.CreateRet(ib.getInt64(1));
  ib.SetInsertPoint(body);
  llvm::Value *a = ib.CreateLoad(ptr_, frame);
  llvm::Value *ca = ib.CreateLoad(i8_, ib.CreateGEP(i8_, a, index));
  auto *found = llvm::BasicBlock::Create(ctx_, "found", cb);
  auto *next = llvm::BasicBlock::Create(ctx_, "next", cb);
  if (kind == ByteLoop::Compare) {
    // frame: a, b, equal (1 until a byte differs)
    llvm::Value *b = ib.CreateLoad(ptr_, ib.CreateGEP(i8_, frame, ib.getInt64(8)));
    llvm::Value *cb_byte = ib.CreateLoad(i8_, ib.CreateGEP(i8_, b, index));
    auto *same = llvm::BasicBlock::Create(ctx_, "same", cb);
    ib.CreateCondBr(ib.CreateICmpNE(ca, cb_byte), found, same);
    ib.SetInsertPoint(found);
    ib.CreateStore(ib.getInt64(0), ib.CreateGEP(i8_, frame, ib.getInt64(16)));
    ib.CreateRet(ib.getInt64(1));
    ib.SetInsertPoint(same);
    ib.CreateCondBr(ib.CreateICmpEQ(ca, ib.getInt8(0)), stop, next);
  } else {
    // frame: s, length (n until a NUL is found)
    ib.CreateCondBr(ib.CreateICmpEQ(ca, ib.getInt8(0)), found, next);
    ib.SetInsertPoint(found);
    ib.CreateStore(index, ib.CreateGEP(i8_, frame, ib.getInt64(8)));
    ib.CreateRet(ib.getInt64(1));
  }
  ib.SetInsertPoint(next);
  ib.CreateRet(ib.getInt64(0));
  return cb;
}

} // namespace scry::codegen_detail
