// Loops whose body is a BPF callback: `for ($kv : @map)` through bpf_for_each_map_elem, and
// ranges the verifier cannot walk through bpf_loop. Reads the typed AST of the loop and its
// map's MapInfo; writes one callback function per loop into the module and the helper call
// into the probe's program (or the enclosing callback).
//
// Kernel facts relied on (kernel/bpf/verifier.c, bpf_iter.c, hashtab.c): a callback returns
// 0 to go on and 1 to stop, nothing else; its frame counts toward the 512-byte stack of the
// whole call chain; its context argument points into the caller's stack, through which a
// pointer spilled there (the probe's context) reads back with its type; bpf_loop runs at most
// BPF_MAX_LOOPS (1 << 23) iterations and none when asked for more; a callback may update and
// delete entries of the hash map it iterates.
#include "codegen/generator.h"
#include "sema/constant.h"

namespace scry::codegen_detail {

namespace {

constexpr uint64_t kMaxLoops = 1 << 23; // BPF_MAX_LOOPS, kernel/bpf/bpf_iter.c

} // namespace

bool Generator::range_uses_bpf_loop(ForRange &n) {
  auto start = fold_constant(n.start, options_.params);
  auto end = fold_constant(n.end, options_.params);
  if (!start || !end)
    return true;
  return *end > *start && static_cast<uint64_t>(*end) - static_cast<uint64_t>(*start) >
                              static_cast<uint64_t>(kInlineRangeIterations);
}

bool Generator::has_callback_loops(Probe &probe) {
  struct Finder : Walker {
    Generator &g;
    bool found = false;
    explicit Finder(Generator &g) : g(g) {}
    using Walker::visit;
    void visit(ForMap &) override { found = true; }
    void visit(ForRange &n) override {
      if (g.range_uses_bpf_loop(n))
        found = true;
      else
        Walker::visit(n);
    }
  } finder(*this);
  probe.accept(finder);
  return finder.found;
}

llvm::Value *Generator::loop_frame() {
  llvm::Value *frame = entry_alloca(16);
  b_.CreateStore(ctx_arg_, frame);
  if (syscall_nr_)
    b_.CreateStore(syscall_nr_, b_.CreateGEP(i8_, frame, b_.getInt64(8)));
  return frame;
}

llvm::Value *Generator::rebase_scratch(llvm::Value *v) {
  auto it = scratch_offsets_.find(v);
  if (it == scratch_offsets_.end()) {
    // Only a program past the scratch limit (reported after it) has slots outside scratch.
    if (scratch_peak_ <= kMaxScratch)
      internal_error(SourceRange{}, "a loop body uses a value outside scratch memory");
    return entry_alloca(8);
  }
  llvm::Value *p = b_.CreateGEP(i8_, scratch_base_, b_.getInt64(it->second));
  scratch_offsets_[p] = it->second;
  return p;
}

Generator::FunctionState Generator::enter_callback(llvm::Function *cb, llvm::Value *frame,
                                                   const SourceRange &loc) {
  FunctionState saved{fn_,
                      entry_,
                      return_block_,
                      return_value_,
                      return_flag_,
                      scratch_base_,
                      ctx_arg_,
                      record_,
                      syscall_nr_,
                      std::move(var_slots_),
                      std::move(u32_slots_),
                      std::move(stack_pool_),
                      std::move(stack_next_),
                      std::move(loops_),
                      {},
                      {}};
  var_slots_.clear();
  u32_slots_.clear();
  stack_pool_.clear();
  stack_next_.clear();
  loops_.clear();
  fn_ = cb;
  entry_ = &cb->getEntryBlock();
  at(loc);
  // The same per-CPU scratch bytes as the caller's: the kernel runs the callback on the
  // caller's CPU, inside the same run of the program.
  scratch_base_ = call(MapLookupElem, ptr_, {scratch_placeholder_, stack_u32(prog_index_)});
  auto *none = llvm::BasicBlock::Create(ctx_, "scratch.none", fn_);
  auto *ok = llvm::BasicBlock::Create(ctx_, "scratch.ok", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(scratch_base_, llvm::ConstantPointerNull::get(ptr_)), none, ok);
  b_.SetInsertPoint(none);
  b_.CreateRet(b_.getInt64(1));
  b_.SetInsertPoint(ok);
  for (const auto &[id, slot] : saved.var_slots)
    var_slots_[id] = rebase_scratch(slot);
  return_flag_ = rebase_scratch(saved.return_flag);
  return_value_ = rebase_scratch(callback_return_value_);
  ctx_arg_ = b_.CreateLoad(ptr_, frame);
  syscall_nr_ =
      saved.syscall_nr ? b_.CreateLoad(i64_, b_.CreateGEP(i8_, frame, b_.getInt64(8))) : nullptr;
  if (saved.record == saved.ctx_arg)
    record_ = ctx_arg_;
  else
    record_ = saved.record ? rebase_scratch(saved.record) : nullptr;
  // `return` (and exit(), and a failed lookup that ends the probe) in the body: the flag tells
  // every caller up to the probe's program to leave too.
  return_block_ = llvm::BasicBlock::Create(ctx_, "callback.return", fn_);
  {
    llvm::IRBuilder<> rb(return_block_);
    rb.SetCurrentDebugLocation(b_.getCurrentDebugLocation());
    rb.CreateStore(rb.getInt64(1), return_flag_);
    rb.CreateRet(rb.getInt64(1));
  }
  return saved;
}

void Generator::leave_callback(const FunctionState &saved) {
  fn_ = saved.fn;
  entry_ = saved.entry;
  return_block_ = saved.return_block;
  return_value_ = saved.return_value;
  return_flag_ = saved.return_flag;
  scratch_base_ = saved.scratch_base;
  ctx_arg_ = saved.ctx_arg;
  record_ = saved.record;
  syscall_nr_ = saved.syscall_nr;
  var_slots_ = saved.var_slots;
  u32_slots_ = saved.u32_slots;
  stack_pool_ = saved.stack_pool;
  stack_next_ = saved.stack_next;
  loops_ = saved.loops;
  b_.restoreIP(saved.ip);
  b_.SetCurrentDebugLocation(saved.debug_loc);
}

void Generator::emit_callback_body(Block &body) {
  auto *next = llvm::BasicBlock::Create(ctx_, "callback.continue", fn_);
  auto *stop = llvm::BasicBlock::Create(ctx_, "callback.break", fn_);
  loops_.push_back({stop, next});
  emit_block(body, true);
  loops_.pop_back();
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(next);
  b_.SetInsertPoint(next);
  b_.CreateRet(b_.getInt64(0));
  b_.SetInsertPoint(stop);
  b_.CreateRet(b_.getInt64(1));
}

void Generator::after_callback_loop() {
  auto *leave = llvm::BasicBlock::Create(ctx_, "loop.return", fn_);
  auto *next = llvm::BasicBlock::Create(ctx_, "loop.end", fn_);
  b_.CreateCondBr(truth(b_.CreateLoad(i64_, return_flag_)), leave, next);
  b_.SetInsertPoint(leave);
  // In the probe's program, what a test probe's `return N` returns; in a callback the value is
  // already where the next caller reads it.
  llvm::Value *value = rebase_scratch(callback_return_value_);
  if (value != return_value_)
    b_.CreateStore(b_.CreateLoad(i64_, value), return_value_);
  b_.CreateBr(return_block_);
  b_.SetInsertPoint(next);
}

void Generator::visit(ForMap &n) {
  const MapInfo &info = res_.maps[static_cast<size_t>(n.map->map_id)];
  llvm::Value *frame = loop_frame();
  std::string name = "loop" + std::to_string(callbacks_++) + "_" + prog_->function;
  llvm::IRBuilderBase::InsertPoint ip = b_.saveIP();
  llvm::DebugLoc debug_loc = b_.getCurrentDebugLocation();
  llvm::Function *cb = mod_.add_map_callback(name, b_);
  {
    FunctionState caller = enter_callback(cb, cb->getArg(3), n.loc);
    caller.ip = ip;
    caller.debug_loc = debug_loc;
    // $kv = (key, value), zeroed first so that its padding is no stale bytes when it is used
    // as a map key or printed.
    const Type &kv_type = variable_type(*n.var);
    llvm::Value *kv = variable_slot(*n.var);
    const Field &key_field = (*kv_type.fields)[0], &value_field = (*kv_type.fields)[1];
    llvm::Value *key = b_.CreateGEP(i8_, kv, b_.getInt64(key_field.offset));
    llvm::Value *value = b_.CreateGEP(i8_, kv, b_.getInt64(value_field.offset));
    // The kernel's keys and values are 8-byte aligned (struct htab_elem); copy() knows
    // nothing of an argument's alignment and would move single bytes.
    auto copy_from_map = [&](llvm::Value *dst, llvm::Value *src, uint32_t size) {
      uint32_t align = known_align(dst), off = 0;
      for (uint32_t chunk : {8u, 4u, 2u, 1u}) {
        if (chunk > align)
          continue;
        llvm::Type *t = b_.getIntNTy(chunk * 8);
        for (; size - off >= chunk; off += chunk) {
          llvm::Value *at = b_.CreateGEP(i8_, src, b_.getInt64(off));
          auto *v = b_.CreateAlignedLoad(t, at, llvm::Align(chunk), true);
          b_.CreateAlignedStore(v, b_.CreateGEP(i8_, dst, b_.getInt64(off)), llvm::Align(chunk),
                                true);
        }
      }
    };
    zero(kv, kv_type.size, 8);
    copy_from_map(key, cb->getArg(1), info.key.size);
    if (info.per_cpu) {
      // The callback sees this CPU's value only; the loop reads what @map[key] reads.
      b_.CreateStore(percpu_read(*n.map, info, key), value);
    } else {
      copy_from_map(value, cb->getArg(2), info.value.size);
    }
    emit_callback_body(*n.body);
    leave_callback(caller);
  }
  at(n.loc);
  call(ForEachMapElem, i64_, {map_ptr(*n.map), cb, frame, b_.getInt64(0)});
  after_callback_loop();
}

void Generator::emit_range_with_bpf_loop(ForRange &n) {
  llvm::Value *start = to_i64(emit(n.start), n.start->type);
  llvm::Value *end = to_i64(emit(n.end), n.end->type);
  llvm::Value *count =
      b_.CreateSelect(b_.CreateICmpSGT(end, start), b_.CreateSub(end, start), b_.getInt64(0));
  // The first value lives in scratch memory, where the callback finds it.
  llvm::Value *first = scratch(8);
  b_.CreateStore(start, first);
  llvm::Value *frame = loop_frame();
  std::string name = "loop" + std::to_string(callbacks_++) + "_" + prog_->function;
  llvm::IRBuilderBase::InsertPoint ip = b_.saveIP();
  llvm::DebugLoc debug_loc = b_.getCurrentDebugLocation();
  llvm::Function *cb = mod_.add_loop_callback(name, b_);
  {
    FunctionState caller = enter_callback(cb, cb->getArg(1), n.loc);
    caller.ip = ip;
    caller.debug_loc = debug_loc;
    llvm::Value *i = b_.CreateAdd(b_.CreateLoad(i64_, rebase_scratch(first)), cb->getArg(0));
    b_.CreateStore(i, variable_slot(*n.var));
    emit_callback_body(*n.body);
    leave_callback(caller);
  }
  at(n.loc);
  auto *run = llvm::BasicBlock::Create(ctx_, "range.run", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "range.end", fn_);
  auto *too_long = llvm::BasicBlock::Create(ctx_, "range.too_long", fn_);
  b_.CreateCondBr(b_.CreateICmpUGT(count, b_.getInt64(kMaxLoops)), too_long, run);
  b_.SetInsertPoint(too_long);
  if (n.too_long_warning >= 0) {
    llvm::Value *rec =
        reserve(16, AsyncKind::RuntimeError, static_cast<uint32_t>(n.too_long_warning));
    with_record(rec, 16, [&](llvm::Value *p) {
      b_.CreateStore(b_.getInt64(0), b_.CreateGEP(i8_, p, b_.getInt64(8)));
    });
  }
  b_.CreateBr(done);
  b_.SetInsertPoint(run);
  call(BpfLoop, i64_, {count, cb, frame, b_.getInt64(0)});
  after_callback_loop();
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

} // namespace scry::codegen_detail
