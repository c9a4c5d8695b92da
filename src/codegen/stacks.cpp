// kstack and ustack (the frames inline, base/types.h's layout, from bpf_get_stack), ksym and
// usym values, and the once-per-process ProcessSeen record that lets the runtime read a
// process's mappings while it lives. Reads the typed AST; writes LLVM IR.
#include "codegen/generator.h"

namespace scry::codegen_detail {

llvm::Value *Generator::emit_stack(const Type &t) {
  const uint32_t header = t.is_user_stack ? kUstackHeader : kKstackHeader;
  llvm::Value *buf = scratch(t.size);
  // begin and end run from scry's own BPF_PROG_TEST_RUN: there is no traced thread, and the
  // stack would be scry's own system call. Their stacks are empty.
  if (prog_->attach == AttachMechanism::RunAtStart || prog_->attach == AttachMechanism::RunAtExit) {
    zero(buf, t.size, 8);
    return buf;
  }
  // bpf_get_stack (linux/bpf.h) writes up to `size` bytes of 8-byte frames and clears the rest
  // of the buffer, all of it on an error (no user stack in a kernel thread): frames past the
  // count are zero, so that equal stacks are equal map keys. It returns the bytes written.
  // build_id: each frame is a struct bpf_stack_build_id (32 bytes) the kernel fills in.
  const bool build_id = t.stack_mode == StackMode::BuildId;
  const uint64_t frame_bytes = build_id ? kBuildIdFrameBytes : 8;
  const uint64_t flags =
      t.is_user_stack ? BPF_F_USER_STACK | (build_id ? BPF_F_USER_BUILD_ID : 0) : 0;
  llvm::Value *written =
      check_helper(call(GetStack, i64_,
                        {ctx_arg_, b_.CreateGEP(i8_, buf, b_.getInt64(header)),
                         b_.getInt64(frame_bytes * t.count), b_.getInt64(flags)}),
                   GetStack);
  llvm::Value *used =
      b_.CreateSelect(b_.CreateICmpSGT(written, b_.getInt64(0)),
                      b_.CreateUDiv(written, b_.getInt64(frame_bytes)), b_.getInt64(0));
  b_.CreateStore(used, b_.CreateGEP(i8_, buf, b_.getInt64(header - 8)));
  if (t.is_user_stack) {
    llvm::Value *tgid = b_.CreateLShr(call(GetCurrentPidTgid, i64_, {}), 32);
    b_.CreateStore(b_.CreateTrunc(tgid, b_.getInt32Ty()), buf);
    b_.CreateStore(b_.getInt32(prog_index_), b_.CreateGEP(i8_, buf, b_.getInt64(4)));
    if (!build_id)
      process_seen(tgid);
  }
  return buf;
}

llvm::Value *Generator::emit_usym(llvm::Value *addr) {
  llvm::Value *buf = scratch(16);
  llvm::Value *tgid = b_.CreateLShr(call(GetCurrentPidTgid, i64_, {}), 32);
  b_.CreateStore(addr, buf);
  b_.CreateStore(b_.CreateTrunc(tgid, b_.getInt32Ty()), b_.CreateGEP(i8_, buf, b_.getInt64(8)));
  b_.CreateStore(b_.getInt32(prog_index_), b_.CreateGEP(i8_, buf, b_.getInt64(12)));
  process_seen(tgid);
  return buf;
}

void Generator::process_seen(llvm::Value *tgid) {
  if (!seen_processes_)
    return;
  llvm::Value *key = entry_alloca(8);
  b_.CreateStore(b_.CreateTrunc(tgid, b_.getInt32Ty()), key);
  // A lookup first: it takes no lock, and an LRU map's update takes a free element before it
  // finds the key present. Only the update that inserts announces the process.
  llvm::Value *found = call(MapLookupElem, ptr_, {seen_processes_, key});
  auto *fresh = llvm::BasicBlock::Create(ctx_, "seen.new", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "seen.end", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(found, llvm::ConstantPointerNull::get(ptr_)), fresh, done);
  b_.SetInsertPoint(fresh);
  llvm::Value *one = entry_alloca(8);
  b_.CreateStore(b_.getInt64(1), one);
  llvm::Value *inserted =
      call(MapUpdateElem, i64_, {seen_processes_, key, one, b_.getInt64(BPF_NOEXIST)});
  auto *announce = llvm::BasicBlock::Create(ctx_, "seen.announce", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(inserted, b_.getInt64(0)), announce, done);
  b_.SetInsertPoint(announce);
  llvm::Value *rec = reserve(16, AsyncKind::ProcessSeen, 0);
  with_record(rec, 16,
              [&](llvm::Value *p) { b_.CreateStore(tgid, b_.CreateGEP(i8_, p, b_.getInt64(8))); });
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

} // namespace scry::codegen_detail
