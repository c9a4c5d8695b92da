// Statements: blocks, assignments to variables and maps, variable declarations, if, unroll,
// while, for over short constant ranges (the other loops are in loops.cpp), break, continue and
// return. Reads the typed AST of a probe's body and sema's types
// of variables and maps (SemaResult, Resources); writes LLVM IR into the program's function.
#include "codegen/generator.h"

namespace scry::codegen_detail {

void Generator::emit_block(Block &block, bool value_is_statement) {
  for (Statement *s : block.stmts) {
    if (b_.GetInsertBlock()->getTerminator())
      start_dead_block();
    at(s->loc);
    TempMark mark = temp_mark();
    s->accept(*this);
    temp_release(mark);
  }
  if (block.value && value_is_statement) {
    if (b_.GetInsertBlock()->getTerminator())
      start_dead_block();
    at(block.value->loc);
    emit(block.value);
  }
}

void Generator::visit(Block &n) {
  emit_block(n, true);
}

void Generator::visit(BlockStatement &n) {
  emit_block(*n.block, true);
}

void Generator::visit(ExprStatement &n) {
  emit(n.expr);
}

void Generator::visit(Assignment &n) {
  if (dynamic_cast<Identifier *>(n.target)) {
    emit(n.value);
    return;
  }
  if (auto *var = dynamic_cast<Variable *>(n.target)) {
    const Type &vt = variable_type(*var);
    llvm::Value *value;
    if (n.compound) {
      value = arithmetic(n.op, load_value(variable_slot(*var), vt), vt, emit(n.value),
                         n.value->type, vt, n.division_warning);
      store_value(variable_slot(*var), value, vt);
    } else {
      value = emit(n.value);
      store_converted(variable_slot(*var), value, n.value->type, vt);
    }
    return;
  }
  Map *map = nullptr;
  Expression *key = nullptr;
  if (auto *m = dynamic_cast<Map *>(n.target))
    map = m;
  else if (auto *ma = dynamic_cast<MapAccess *>(n.target))
    map = ma->map, key = ma->key;
  const MapInfo &info = res_.maps[static_cast<size_t>(map->map_id)];
  if (info.value.is_aggregation()) {
    if (n.compound) {
      // `@count += n` on a count or sum map adds to this CPU's value.
      llvm::Value *v = to_i64(emit(n.value), n.value->type);
      if (n.op == BinaryOp::Sub)
        v = b_.CreateNeg(v);
      aggregate_add(*map, key, v);
    } else {
      emit_aggregation(*map, key, *static_cast<Call *>(n.value));
    }
    return;
  }
  llvm::Value *value;
  if (n.compound) {
    Type rt = read_type_of(info);
    value = arithmetic(n.op, map_read(*map, key), rt, emit(n.value), n.value->type, info.value,
                       n.division_warning);
    map_write(*map, key, value, info.value);
  } else {
    value = emit(n.value);
    map_write(*map, key, value, n.value->type);
  }
}

void Generator::visit(VarDecl &n) {
  const Type &vt = variable_type(*n.var);
  llvm::Value *slot = variable_slot(*n.var);
  if (n.init)
    store_converted(slot, emit(n.init), n.init->type, vt);
  else
    zero(slot, vt.size, 8);
}

void Generator::visit(If &n) {
  if (n.comptime) { // only the branch sema took (types_statements.cpp)
    if (n.taken == 1)
      emit_block(*n.then_block, true);
    else if (n.taken == 2 && n.else_branch)
      n.else_branch->accept(*this);
    return;
  }
  llvm::Value *cond = truth(emit(n.cond));
  auto *then_bb = llvm::BasicBlock::Create(ctx_, "then", fn_);
  auto *else_bb = llvm::BasicBlock::Create(ctx_, "else", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "endif", fn_);
  b_.CreateCondBr(cond, then_bb, else_bb);
  b_.SetInsertPoint(then_bb);
  emit_block(*n.then_block, true);
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(done);
  b_.SetInsertPoint(else_bb);
  if (n.else_branch)
    n.else_branch->accept(*this);
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void Generator::visit(Unroll &n) {
  int64_t count = constant_int(n.count);
  for (int64_t i = 0; i < count; ++i) {
    if (b_.GetInsertBlock()->getTerminator())
      start_dead_block();
    emit_block(*n.body, true);
  }
}

void Generator::visit(While &n) {
  auto *cond_bb = llvm::BasicBlock::Create(ctx_, "while.cond", fn_);
  auto *body_bb = llvm::BasicBlock::Create(ctx_, "while.body", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "while.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  b_.CreateCondBr(truth(emit(n.cond)), body_bb, done);
  b_.SetInsertPoint(body_bb);
  loops_.push_back({done, cond_bb});
  emit_block(*n.body, true);
  loops_.pop_back();
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(cond_bb);
  b_.SetInsertPoint(done);
}

void Generator::visit(ForRange &n) {
  if (range_uses_bpf_loop(n)) {
    emit_range_with_bpf_loop(n); // loops.cpp
    return;
  }
  // A short constant range: an ordinary loop, which the verifier walks once per iteration.
  llvm::Value *start = to_i64(emit(n.start), n.start->type);
  llvm::Value *end = to_i64(emit(n.end), n.end->type);
  llvm::Value *slot = variable_slot(*n.var);
  // A hidden counter, so that assigning to the loop variable cannot change the iterations.
  llvm::Value *counter = entry_alloca();
  b_.CreateStore(start, counter);
  auto *cond_bb = llvm::BasicBlock::Create(ctx_, "for.cond", fn_);
  auto *body_bb = llvm::BasicBlock::Create(ctx_, "for.body", fn_);
  auto *step_bb = llvm::BasicBlock::Create(ctx_, "for.step", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "for.end", fn_);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(cond_bb);
  llvm::Value *i = b_.CreateLoad(i64_, counter);
  b_.CreateCondBr(b_.CreateICmpSLT(i, end), body_bb, done);
  b_.SetInsertPoint(body_bb);
  b_.CreateStore(i, slot);
  loops_.push_back({done, step_bb});
  emit_block(*n.body, true);
  loops_.pop_back();
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(step_bb);
  b_.SetInsertPoint(step_bb);
  b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, counter), b_.getInt64(1)), counter);
  b_.CreateBr(cond_bb);
  b_.SetInsertPoint(done);
}

void Generator::visit(Jump &n) {
  switch (n.kind) {
  case Jump::Kind::Break:
    b_.CreateBr(loops_.back().break_target);
    break;
  case Jump::Kind::Continue:
    b_.CreateBr(loops_.back().continue_target);
    break;
  case Jump::Kind::Return:
    if (n.value) // a test probe's result (sema allows a value nowhere else)
      b_.CreateStore(b_.CreateSExtOrTrunc(emit(n.value), i64_), return_value_);
    b_.CreateBr(return_block_);
    break;
  }
}

} // namespace scry::codegen_detail
