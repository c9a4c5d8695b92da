// Expressions that compute: literals, variables, unary and binary operators (arithmetic, shifts,
// comparisons, && and ||, ++ and --), ?:, casts, tuple and record literals, block expressions.
// Reads the typed AST (each node's Type) and sema's variable types; writes LLVM IR values: an i64
// for a scalar, a pointer to scratch memory for a composite.
#include "codegen/generator.h"

namespace scry::codegen_detail {

llvm::Value *Generator::emit(Expression *e) {
  result_ = nullptr;
  const SourceRange *outer = expr_loc_;
  expr_loc_ = &e->loc;
  e->accept(*this);
  expr_loc_ = outer;
  if (!result_)
    result_ = is_composite(e->type) ? scratch(e->type.size) : b_.getInt64(0);
  llvm::Value *r = result_;
  result_ = nullptr;
  return r;
}

void Generator::visit(Integer &n) {
  result_ = b_.getInt64(n.value);
}

void Generator::visit(Boolean &n) {
  result_ = b_.getInt64(n.value ? 1 : 0);
}

void Generator::visit(String &n) {
  result_ = constant_string(n.value, n.type.size);
}

void Generator::visit(Variable &n) {
  result_ = load_value(variable_slot(n), variable_type(n));
}

void Generator::visit(Unary &n) {
  switch (n.op) {
  case UnaryOp::Neg:
    result_ = b_.CreateNeg(to_i64(emit(n.operand), n.operand->type));
    break;
  case UnaryOp::Plus:
    result_ = to_i64(emit(n.operand), n.operand->type);
    break;
  case UnaryOp::BitNot:
    result_ = b_.CreateNot(to_i64(emit(n.operand), n.operand->type));
    break;
  case UnaryOp::LogicalNot:
    result_ = b_.CreateZExt(b_.CreateNot(truth(emit(n.operand))), i64_);
    break;
  case UnaryOp::Deref: {
    llvm::Value *p = emit(n.operand);
    result_ = read_memory(p, n.type, n.operand->type.address_space);
    break;
  }
  case UnaryOp::AddressOf:
    // A field or element behind a pointer: its address, unread; else a place in scry's memory.
    result_ =
        kernel_memory(n.operand) ? kernel_address(n.operand).address : held_address(n.operand);
    break;
  case UnaryOp::PreInc:
  case UnaryOp::PreDec:
  case UnaryOp::PostInc:
  case UnaryOp::PostDec:
    emit_increment(n);
    break;
  }
}

void Generator::visit(Binary &n) {
  if (n.op == BinaryOp::LogicalAnd || n.op == BinaryOp::LogicalOr) {
    emit_logical(n);
    return;
  }
  const Type &lt = n.lhs->type, &rt = n.rhs->type;
  if (lt.kind == TypeKind::String && rt.kind == TypeKind::String) {
    llvm::Value *eq = strings_equal(emit(n.lhs), lt.size, emit(n.rhs), rt.size);
    result_ = b_.CreateZExt(n.op == BinaryOp::Eq ? eq : b_.CreateNot(eq), i64_);
    return;
  }
  if (lt.kind == TypeKind::Array && rt.kind == TypeKind::Array) { // integer arrays (sema)
    llvm::Value *diff =
        call_stdlib("__scry_memcmp", i64_, {emit(n.lhs), emit(n.rhs), b_.getInt64(lt.size)});
    llvm::Value *eq = b_.CreateICmpEQ(diff, b_.getInt64(0));
    result_ = b_.CreateZExt(n.op == BinaryOp::Eq ? eq : b_.CreateNot(eq), i64_);
    return;
  }
  llvm::Value *l = emit(n.lhs);
  llvm::Value *r = emit(n.rhs);
  result_ = arithmetic(n.op, l, lt, r, rt, n.type, n.division_warning);
}

void Generator::visit(Ternary &n) {
  llvm::Value *cond_value = emit(n.cond);
  llvm::Value *cond = truth(cond_value);
  auto *then_bb = llvm::BasicBlock::Create(ctx_, "tern.then", fn_);
  auto *else_bb = llvm::BasicBlock::Create(ctx_, "tern.else", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "tern.end", fn_);
  llvm::Value *slot = is_composite(n.type) ? scratch(n.type.size) : nullptr;
  b_.CreateCondBr(cond, then_bb, else_bb);

  b_.SetInsertPoint(then_bb);
  llvm::Value *a;
  const Type &at = n.then_expr ? n.then_expr->type : n.cond->type;
  if (n.then_expr)
    a = emit(n.then_expr);
  else
    a = cond_value;
  if (slot)
    store_converted(slot, a, at, n.type);
  else
    a = convert_scalar(a, at, n.type);
  llvm::BasicBlock *then_end = b_.GetInsertBlock();
  b_.CreateBr(done);

  b_.SetInsertPoint(else_bb);
  llvm::Value *c = emit(n.else_expr);
  if (slot)
    store_converted(slot, c, n.else_expr->type, n.type);
  else
    c = convert_scalar(c, n.else_expr->type, n.type);
  llvm::BasicBlock *else_end = b_.GetInsertBlock();
  b_.CreateBr(done);

  b_.SetInsertPoint(done);
  if (slot) {
    result_ = slot;
  } else {
    llvm::PHINode *phi = b_.CreatePHI(i64_, 2);
    phi->addIncoming(a, then_end);
    phi->addIncoming(c, else_end);
    result_ = phi;
  }
}

void Generator::visit(Cast &n) {
  llvm::Value *v = emit(n.operand);
  const Type &from = n.operand->type, &to = n.type;
  // Array casts reinterpret bytes (sema checked that both sides have the same size; a
  // constant may fill a smaller array): little-endian, as the kernel holds them.
  if (to.kind == TypeKind::Array || to.kind == TypeKind::String) {
    llvm::Value *dst = scratch(to.size);
    if (is_composite(from))
      copy(dst, v, to.size, 1);
    else
      store_value(dst, to_i64(v, from), make_int(std::min<uint32_t>(to.size, 8), false));
    result_ = dst;
    return;
  }
  if (from.kind == TypeKind::Array && to.kind == TypeKind::Integer) {
    llvm::Type *it = llvm::IntegerType::get(ctx_, 8 * to.size);
    llvm::Value *bits = b_.CreateAlignedLoad(it, v, llvm::Align(1));
    result_ = to.size == 8   ? bits
              : to.is_signed ? b_.CreateSExt(bits, i64_)
                             : b_.CreateZExt(bits, i64_);
    return;
  }
  result_ = convert_scalar(v, from, to);
}

void Generator::visit(Tuple &n) {
  llvm::Value *dst = scratch(n.type.size);
  zero_padding(dst, n.type, n.type.size);
  for (size_t i = 0; i < n.elems.size(); ++i) {
    const Field &f = (*n.type.fields)[i];
    store_converted(b_.CreateGEP(i8_, dst, b_.getInt64(f.offset)), emit(n.elems[i]),
                    n.elems[i]->type, *f.type);
  }
  result_ = dst;
}

void Generator::visit(Record &n) {
  llvm::Value *dst = scratch(n.type.size);
  zero_padding(dst, n.type, n.type.size);
  for (size_t i = 0; i < n.fields.size(); ++i) {
    const Field &f = (*n.type.fields)[i];
    store_converted(b_.CreateGEP(i8_, dst, b_.getInt64(f.offset)), emit(n.fields[i].value),
                    n.fields[i].value->type, *f.type);
  }
  result_ = dst;
}

void Generator::visit(Sizeof &n) {
  result_ = b_.getInt64(n.value);
}

void Generator::visit(Offsetof &n) {
  result_ = b_.getInt64(n.value);
}

void Generator::visit(BlockExpr &n) {
  emit_block(*n.block, false);
  // `{ return; 5 }`: the value is never reached, but the code around still needs one.
  if (b_.GetInsertBlock()->getTerminator())
    start_dead_block();
  result_ = emit(n.block->value);
}

llvm::Value *Generator::arithmetic(BinaryOp op, llvm::Value *l, const Type &lt, llvm::Value *r,
                                   const Type &rt, const Type &result, int division_warning) {
  bool is_signed = is_signed_operation(lt, rt);
  if (lt.kind == TypeKind::Pointer && (op == BinaryOp::Add || op == BinaryOp::Sub) &&
      rt.kind != TypeKind::Pointer) {
    uint32_t scale = lt.elem && lt.elem->size ? lt.elem->size : 1;
    llvm::Value *d = b_.CreateMul(r, b_.getInt64(scale));
    return op == BinaryOp::Add ? b_.CreateAdd(l, d) : b_.CreateSub(l, d);
  }
  if (rt.kind == TypeKind::Pointer && op == BinaryOp::Add) {
    uint32_t scale = rt.elem && rt.elem->size ? rt.elem->size : 1;
    return b_.CreateAdd(r, b_.CreateMul(l, b_.getInt64(scale)));
  }
  llvm::Value *v = nullptr;
  switch (op) {
  case BinaryOp::Add:
    v = b_.CreateAdd(l, r);
    break;
  case BinaryOp::Sub:
    v = b_.CreateSub(l, r);
    break;
  case BinaryOp::Mul:
    v = b_.CreateMul(l, r);
    break;
  case BinaryOp::Div:
    r = nonzero_divisor(r, division_warning);
    v = is_signed ? signed_div(l, r, false) : b_.CreateUDiv(l, r);
    break;
  case BinaryOp::Mod:
    r = nonzero_divisor(r, division_warning);
    v = is_signed ? signed_div(l, r, true) : b_.CreateURem(l, r);
    break;
  case BinaryOp::BitAnd:
    v = b_.CreateAnd(l, r);
    break;
  case BinaryOp::BitOr:
    v = b_.CreateOr(l, r);
    break;
  case BinaryOp::BitXor:
    v = b_.CreateXor(l, r);
    break;
  case BinaryOp::Shl:
  case BinaryOp::Shr: {
    // The amount is taken modulo 64, as BPF's shift instructions take it (so 5 << 65 is 10,
    // as in bpftrace), and as sema's constant folding does. A shift by 64 or more is LLVM
    // poison: on it LLVM deleted a branch's code and the verifier refused the program (found
    // by tests/fuzz's middle_fuzz).
    llvm::Value *amount = b_.CreateAnd(r, b_.getInt64(63));
    v = op == BinaryOp::Shl ? b_.CreateShl(l, amount)
        : lt.is_signed      ? b_.CreateAShr(l, amount)
                            : b_.CreateLShr(l, amount);
    break;
  }
  case BinaryOp::Lt:
    v = is_signed ? b_.CreateICmpSLT(l, r) : b_.CreateICmpULT(l, r);
    break;
  case BinaryOp::Gt:
    v = is_signed ? b_.CreateICmpSGT(l, r) : b_.CreateICmpUGT(l, r);
    break;
  case BinaryOp::Le:
    v = is_signed ? b_.CreateICmpSLE(l, r) : b_.CreateICmpULE(l, r);
    break;
  case BinaryOp::Ge:
    v = is_signed ? b_.CreateICmpSGE(l, r) : b_.CreateICmpUGE(l, r);
    break;
  case BinaryOp::Eq:
    v = b_.CreateICmpEQ(l, r);
    break;
  case BinaryOp::Ne:
    v = b_.CreateICmpNE(l, r);
    break;
  case BinaryOp::LogicalAnd:
  case BinaryOp::LogicalOr:
    v = b_.CreateAnd(truth(l), truth(r));
    break;
  }
  if (v->getType() != i64_)
    v = b_.CreateZExt(v, i64_);
  return convert_scalar(v, result, result);
}

llvm::Value *Generator::nonzero_divisor(llvm::Value *r, int warning) {
  if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(r); c && !c->isZero())
    return r;
  llvm::Value *is_zero = b_.CreateICmpEQ(r, llvm::ConstantInt::get(r->getType(), 0));
  if (warning >= 0)
    warn_if(is_zero, warning, "div.zero");
  return b_.CreateSelect(is_zero, llvm::ConstantInt::get(r->getType(), 1), r);
}

void Generator::warn_if(llvm::Value *bad, int warning, const char *name, llvm::Value *detail) {
  auto *warn = llvm::BasicBlock::Create(ctx_, name, fn_);
  auto *next = llvm::BasicBlock::Create(ctx_, std::string(name) + ".next", fn_);
  b_.CreateCondBr(bad, warn, next);
  b_.SetInsertPoint(warn);
  llvm::Value *rec = reserve(16, AsyncKind::RuntimeError, static_cast<uint32_t>(warning));
  with_record(rec, 16, [&](llvm::Value *p) {
    b_.CreateStore(detail ? detail : b_.getInt64(0), b_.CreateGEP(i8_, p, b_.getInt64(8)));
  });
  b_.CreateBr(next);
  b_.SetInsertPoint(next);
}

llvm::Value *Generator::check_helper(llvm::Value *ret, int64_t helper, bool always) {
  if (!options_.helper_warnings && !always)
    return ret;
  const int id = static_cast<int>(res_.runtime_errors.size() + helper_errors_.size());
  helper_errors_.push_back({DiagCode::HelperError, "", expr_loc_ ? *expr_loc_ : stmt_loc_, helper});
  if (ret->getType()->isPointerTy()) {
    warn_if(b_.CreateICmpEQ(ret, llvm::ConstantPointerNull::get(ptr_)), id, "helper.failed");
    return ret;
  }
  // Helpers return a C int in a 64-bit register: its low 32 bits, sign-extended.
  llvm::Value *rc = b_.CreateSExt(b_.CreateTrunc(ret, i32_), i64_);
  warn_if(b_.CreateICmpSLT(rc, b_.getInt64(0)), id, "helper.failed", rc);
  return ret;
}

llvm::Value *Generator::signed_div(llvm::Value *l, llvm::Value *r, bool remainder) {
  llvm::Value *zero = b_.getInt64(0);
  llvm::Value *ln = b_.CreateICmpSLT(l, zero), *rn = b_.CreateICmpSLT(r, zero);
  llvm::Value *la = b_.CreateSelect(ln, b_.CreateNeg(l), l);
  llvm::Value *ra = b_.CreateSelect(rn, b_.CreateNeg(r), r);
  if (remainder) {
    llvm::Value *m = b_.CreateURem(la, ra);
    return b_.CreateSelect(ln, b_.CreateNeg(m), m);
  }
  llvm::Value *q = b_.CreateUDiv(la, ra);
  return b_.CreateSelect(b_.CreateXor(ln, rn), b_.CreateNeg(q), q);
}

void Generator::emit_logical(Binary &n) {
  bool is_and = n.op == BinaryOp::LogicalAnd;
  llvm::Value *slot = entry_alloca();
  llvm::Value *l = truth(emit(n.lhs));
  b_.CreateStore(b_.CreateZExt(l, i64_), slot);
  auto *rhs_bb = llvm::BasicBlock::Create(ctx_, is_and ? "and.rhs" : "or.rhs", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, is_and ? "and.end" : "or.end", fn_);
  if (is_and)
    b_.CreateCondBr(l, rhs_bb, done);
  else
    b_.CreateCondBr(l, done, rhs_bb);
  b_.SetInsertPoint(rhs_bb);
  b_.CreateStore(b_.CreateZExt(truth(emit(n.rhs)), i64_), slot);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
  result_ = b_.CreateLoad(i64_, slot);
}

void Generator::emit_increment(Unary &n) {
  bool inc = n.op == UnaryOp::PreInc || n.op == UnaryOp::PostInc;
  bool post = n.op == UnaryOp::PostInc || n.op == UnaryOp::PostDec;
  if (auto *v = dynamic_cast<Variable *>(n.operand)) {
    const Type &t = variable_type(*v);
    llvm::Value *slot = variable_slot(*v);
    llvm::Value *old = load_value(slot, t);
    // A pointer steps by its element's size, as `$p + 1` does (arithmetic()).
    const uint64_t step = t.kind == TypeKind::Pointer && t.elem && t.elem->size ? t.elem->size : 1;
    llvm::Value *nv = convert_scalar(
        inc ? b_.CreateAdd(old, b_.getInt64(step)) : b_.CreateSub(old, b_.getInt64(step)), t, t);
    store_value(slot, nv, t);
    result_ = post ? old : nv;
    return;
  }
  Map *m;
  Expression *key = nullptr;
  if (auto *mm = dynamic_cast<Map *>(n.operand))
    m = mm;
  else {
    auto *ma = static_cast<MapAccess *>(n.operand);
    m = ma->map, key = ma->key;
  }
  const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
  if (info.value.is_aggregation()) {
    aggregate_add(*m, key, b_.getInt64(inc ? 1 : static_cast<uint64_t>(-1)));
    result_ = b_.getInt64(0);
    return;
  }
  llvm::Value *old = map_read(*m, key);
  llvm::Value *nv = inc ? b_.CreateAdd(old, b_.getInt64(1)) : b_.CreateSub(old, b_.getInt64(1));
  map_write(*m, key, nv, info.value);
  result_ = post ? old : nv;
}

} // namespace scry::codegen_detail
