// Maps: keys (padding zeroed, hist buckets appended), reads (per-CPU values combined over every
// CPU), writes that count failed updates, aggregations (count, sum, min, max, avg, stats, hist,
// lhist) and len(). Reads each map's MapInfo (Resources) and the typed AST; writes map helper
// calls into the program's function.
#include "codegen/generator.h"

namespace scry::codegen_detail {

void Generator::visit(Map &n) {
  result_ = map_read(n, nullptr);
}

void Generator::visit(MapAccess &n) {
  result_ = map_read(*n.map, n.key);
}

void Generator::emit_len(Call &n) {
  const Type &t = n.args[0]->type;
  if (t.kind == TypeKind::Stack) { // its frame count, before the frames (base/types.h)
    llvm::Value *stack = emit(n.args[0]);
    const uint32_t header = t.is_user_stack ? kUstackHeader : kKstackHeader;
    result_ = b_.CreateLoad(i64_, b_.CreateGEP(i8_, stack, b_.getInt64(header - 8)));
    return;
  }
  auto *m = static_cast<Map *>(n.args[0]);
  const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
  if (info.is_array) {
    result_ = b_.getInt64(1);
    return;
  }
  // bpf_for_each_map_elem returns the number of elements it visited (linux/bpf.h): the
  // callback only goes on. (A counter the callback adds to would be a value the verifier tracks
  // through every possible iteration once a condition reads it: "program is too large".)
  if (!count_callback_) {
    llvm::IRBuilder<> cb(ctx_);
    count_callback_ = mod_.add_map_callback("count_entries", cb);
    cb.CreateRet(cb.getInt64(0));
  }
  result_ =
      call(ForEachMapElem, i64_,
           {map_ptr(*m), count_callback_, llvm::ConstantPointerNull::get(ptr_), b_.getInt64(0)});
}

Type Generator::read_type_of(const MapInfo &info) {
  switch (info.value.kind) {
  case TypeKind::Count:
    return make_int(8, false);
  case TypeKind::Sum:
    return make_int(8, info.value.is_signed);
  case TypeKind::Min:
  case TypeKind::Max:
  case TypeKind::Avg:
    return make_int(8, true);
  default:
    return info.value;
  }
}

llvm::Value *Generator::build_key(const MapInfo &info, Expression *key, llvm::Value *bucket) {
  if (info.is_array)
    return stack_u32(0);
  // Small keys live on the stack: no scratch lookup for a program whose only composite is its
  // key (`@[comm] = count()`).
  llvm::Value *dst = info.bpf_key_size <= kStackKeyBytes ? entry_alloca(info.bpf_key_size)
                                                         : scratch(info.bpf_key_size);
  const uint32_t user_bytes = info.bpf_key_size - (bucket ? 8 : 0);
  auto *id = dynamic_cast<Identifier *>(key);
  if (id && id->builtin == BuiltinVariable::Comm && info.key.kind == TypeKind::String &&
      info.key.size == 16 && user_bytes == 16) {
    // Straight into the key, no copy. The key is cleared first: bpf_get_current_comm() pads
    // with zeros only on newer kernels (strscpy_pad in kernel/bpf/helpers.c; 6.1's strscpy
    // leaves the bytes after the name as they were, and equal names would be different keys).
    zero(dst, 16, 8);
    call(GetCurrentComm, i64_, {dst, b_.getInt64(16)});
  } else if (key && !is_composite(info.key) && info.key.size == user_bytes) {
    store_converted(dst, emit(key), key->type, info.key); // fills the key: no padding
  } else {
    zero(dst, info.bpf_key_size, 8);
    if (key)
      store_converted(dst, emit(key), key->type, info.key);
  }
  if (bucket)
    b_.CreateStore(bucket, b_.CreateGEP(i8_, dst, b_.getInt64(info.bpf_key_size - 8)));
  return dst;
}

llvm::Value *Generator::map_read(const Map &m, Expression *key) {
  const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
  llvm::Value *k = build_key(info, key, nullptr);
  if (info.per_cpu)
    return percpu_read(m, info, k);
  Type t = info.value;
  llvm::Value *p = check_helper(call(MapLookupElem, ptr_, {map_ptr(m), k}), MapLookupElem);
  if (is_composite(t)) {
    llvm::Value *dst = scratch(t.size);
    zero(dst, t.size, 8);
    conditional_nonnull(p, [&](llvm::Value *v) { copy(dst, v, t.size, 8); });
    return dst;
  }
  llvm::Value *slot = entry_alloca();
  b_.CreateStore(b_.getInt64(0), slot);
  conditional_nonnull(p, [&](llvm::Value *v) { b_.CreateStore(load_value(v, t), slot); });
  return b_.CreateLoad(i64_, slot);
}

llvm::Value *Generator::percpu_read(const Map &m, const MapInfo &info, llvm::Value *key) {
  llvm::Value *total = entry_alloca(), *count = entry_alloca(), *found = entry_alloca();
  bool is_min = info.value.kind == TypeKind::Min, is_max = info.value.kind == TypeKind::Max;
  b_.CreateStore(b_.getInt64(0), total);
  b_.CreateStore(b_.getInt64(0), count);
  b_.CreateStore(b_.getInt64(0), found);
  for (uint32_t cpu = 0; cpu < possible_cpus_; ++cpu) {
    llvm::Value *p = call(MapLookupPercpuElem, ptr_, {map_ptr(m), key, b_.getInt64(cpu)});
    conditional_nonnull(p, [&](llvm::Value *v) {
      llvm::Value *first = b_.CreateLoad(i64_, v);
      if (is_min || is_max) {
        llvm::Value *valid = b_.CreateLoad(i64_, b_.CreateGEP(i8_, v, b_.getInt64(8)));
        llvm::Value *have = b_.CreateLoad(i64_, found);
        llvm::Value *cur = b_.CreateLoad(i64_, total);
        llvm::Value *better = is_min ? b_.CreateICmpSLT(first, cur) : b_.CreateICmpSGT(first, cur);
        llvm::Value *take =
            b_.CreateAnd(truth(valid), b_.CreateOr(b_.CreateNot(truth(have)), better));
        b_.CreateStore(b_.CreateSelect(take, first, cur), total);
        b_.CreateStore(b_.CreateSelect(truth(valid), b_.getInt64(1), have), found);
      } else {
        b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, total), first), total);
        if (info.value.kind == TypeKind::Avg)
          b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, count),
                                      b_.CreateLoad(i64_, b_.CreateGEP(i8_, v, b_.getInt64(8)))),
                         count);
      }
    });
  }
  llvm::Value *t = b_.CreateLoad(i64_, total);
  if (info.value.kind == TypeKind::Avg)
    return signed_div(t, b_.CreateLoad(i64_, count), false);
  return t;
}

void Generator::map_write(const Map &m, Expression *key, llvm::Value *value, const Type &from) {
  const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
  llvm::Value *k = build_key(info, key, nullptr);
  llvm::Value *v = scratch(info.bpf_value_size);
  zero(v, info.bpf_value_size, 8);
  store_converted(v, value, from, info.value);
  update(m, k, v);
}

void Generator::update(const Map &m, llvm::Value *key, llvm::Value *value) {
  llvm::Value *r = check_helper(
      call(MapUpdateElem, i64_, {map_ptr(m), key, value, b_.getInt64(kBpfAny)}), MapUpdateElem);
  // A failed update (the map is full) is counted per map and reported at exit.
  auto *fail = llvm::BasicBlock::Create(ctx_, "update.fail", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "update.end", fn_);
  b_.CreateCondBr(b_.CreateICmpNE(r, b_.getInt64(0)), fail, done);
  b_.SetInsertPoint(fail);
  increment_counter(map_errors_, static_cast<uint32_t>(m.map_id));
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

template <typename Modify, typename Init>
void Generator::update_in_place(const Map &m, const MapInfo &info, llvm::Value *key, Modify modify,
                                Init init) {
  llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(m), key});
  auto *found = llvm::BasicBlock::Create(ctx_, "agg.found", fn_);
  auto *missing = llvm::BasicBlock::Create(ctx_, "agg.missing", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "agg.end", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(p, llvm::ConstantPointerNull::get(ptr_)), missing, found);
  b_.SetInsertPoint(found);
  modify(p);
  b_.CreateBr(done);
  b_.SetInsertPoint(missing);
  if (!info.is_array) {
    llvm::Value *fresh = entry_alloca(info.bpf_value_size);
    zero(fresh, info.bpf_value_size, 8);
    init(fresh);
    update(m, key, fresh);
  }
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

void Generator::aggregate_add(const Map &m, Expression *key, llvm::Value *delta) {
  const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
  llvm::Value *k = build_key(info, key, nullptr);
  update_in_place(
      m, info, k,
      [&](llvm::Value *p) { b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, p), delta), p); },
      [&](llvm::Value *fresh) { b_.CreateStore(delta, fresh); });
}

void Generator::emit_aggregation(const Map &m, Expression *key, Call &call_node) {
  const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
  llvm::Value *v = call_node.args.empty() ? nullptr : emit(call_node.args[0]);
  switch (call_node.builtin) {
  case BuiltinFunction::Count:
    aggregate_add(m, key, b_.getInt64(1));
    break;
  case BuiltinFunction::Sum:
    aggregate_add(m, key, v);
    break;
  case BuiltinFunction::Min:
  case BuiltinFunction::Max: {
    bool is_min = call_node.builtin == BuiltinFunction::Min;
    llvm::Value *k = build_key(info, key, nullptr);
    update_in_place(
        m, info, k,
        [&](llvm::Value *p) {
          llvm::Value *valid_p = b_.CreateGEP(i8_, p, b_.getInt64(8));
          llvm::Value *cur = b_.CreateLoad(i64_, p);
          llvm::Value *valid = truth(b_.CreateLoad(i64_, valid_p));
          llvm::Value *better = is_min ? b_.CreateICmpSLT(v, cur) : b_.CreateICmpSGT(v, cur);
          b_.CreateStore(b_.CreateSelect(b_.CreateOr(b_.CreateNot(valid), better), v, cur), p);
          b_.CreateStore(b_.getInt64(1), valid_p);
        },
        [&](llvm::Value *fresh) {
          b_.CreateStore(v, fresh);
          b_.CreateStore(b_.getInt64(1), b_.CreateGEP(i8_, fresh, b_.getInt64(8)));
        });
    break;
  }
  case BuiltinFunction::Avg:
  case BuiltinFunction::Stats: {
    llvm::Value *k = build_key(info, key, nullptr);
    update_in_place(
        m, info, k,
        [&](llvm::Value *p) {
          llvm::Value *count_p = b_.CreateGEP(i8_, p, b_.getInt64(8));
          b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, p), v), p);
          b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, count_p), b_.getInt64(1)), count_p);
        },
        [&](llvm::Value *fresh) {
          b_.CreateStore(v, fresh);
          b_.CreateStore(b_.getInt64(1), b_.CreateGEP(i8_, fresh, b_.getInt64(8)));
        });
    break;
  }
  case BuiltinFunction::Hist:
  case BuiltinFunction::Lhist: {
    llvm::Value *bucket = call_node.builtin == BuiltinFunction::Hist
                              ? hist_bucket(v, info.value.hist_bits)
                              : lhist_bucket(v, info.value);
    llvm::Value *k = build_key(info, key, bucket);
    update_in_place(
        m, info, k,
        [&](llvm::Value *p) {
          b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, p), b_.getInt64(1)), p);
        },
        [&](llvm::Value *fresh) { b_.CreateStore(b_.getInt64(1), fresh); });
    break;
  }
  case BuiltinFunction::Tseries:
    emit_tseries(m, key, info, v);
    break;
  default: // not an aggregation (base/builtins.cpp marks them)
    internal_error(call_node.loc, call_node.name + "() is not an aggregation");
    break;
  }
}

void Generator::emit_tseries(const Map &m, Expression *key, const MapInfo &info, llvm::Value *v) {
  // As the newest bpftrace: the time is nsecs(sw_tai); interval number `epoch` goes to slot
  // epoch % intervals (in the key), whose { value, meta, epoch } starts over when it last held
  // an older interval. User space keeps, per slot, the CPUs' copies of the newest epoch.
  const Type &t = info.value;
  llvm::Value *now = clock_ns(Clock::SwTai);
  llvm::Value *epoch =
      b_.CreateUDiv(now, b_.getInt64(static_cast<uint64_t>(t.tseries_interval_ns)));
  llvm::Value *slot = b_.CreateURem(epoch, b_.getInt64(static_cast<uint64_t>(t.tseries_intervals)));
  llvm::Value *k = build_key(info, key, slot);
  // The new { value, meta } from the slot's current ones (zero for a new or reused slot).
  auto combine = [&](llvm::Value *cur,
                     llvm::Value *meta) -> std::pair<llvm::Value *, llvm::Value *> {
    switch (t.tseries_agg) {
    case TseriesAgg::None:
      return {v, now};
    case TseriesAgg::Sum:
      return {b_.CreateAdd(cur, v), meta};
    case TseriesAgg::Avg:
      return {b_.CreateAdd(cur, v), b_.CreateAdd(meta, b_.getInt64(1))};
    case TseriesAgg::Min:
    case TseriesAgg::Max: {
      const bool is_min = t.tseries_agg == TseriesAgg::Min;
      llvm::Value *better =
          is_min ? (t.is_signed ? b_.CreateICmpSLT(v, cur) : b_.CreateICmpULT(v, cur))
                 : (t.is_signed ? b_.CreateICmpSGT(v, cur) : b_.CreateICmpUGT(v, cur));
      llvm::Value *unset = b_.CreateICmpEQ(meta, b_.getInt64(0));
      return {b_.CreateSelect(b_.CreateOr(unset, better), v, cur), b_.getInt64(1)};
    }
    }
    return {v, meta};
  };
  auto store = [&](llvm::Value *p, std::pair<llvm::Value *, llvm::Value *> vm) {
    b_.CreateStore(vm.first, p);
    b_.CreateStore(vm.second, b_.CreateGEP(i8_, p, b_.getInt64(8)));
    b_.CreateStore(epoch, b_.CreateGEP(i8_, p, b_.getInt64(16)));
  };
  update_in_place(
      m, info, k,
      [&](llvm::Value *p) {
        llvm::Value *same =
            b_.CreateICmpEQ(b_.CreateLoad(i64_, b_.CreateGEP(i8_, p, b_.getInt64(16))), epoch);
        llvm::Value *cur = b_.CreateSelect(same, b_.CreateLoad(i64_, p), b_.getInt64(0));
        llvm::Value *meta = b_.CreateSelect(
            same, b_.CreateLoad(i64_, b_.CreateGEP(i8_, p, b_.getInt64(8))), b_.getInt64(0));
        store(p, combine(cur, meta));
      },
      [&](llvm::Value *fresh) { store(fresh, combine(b_.getInt64(0), b_.getInt64(0))); });
}

llvm::Value *Generator::hist_bucket(llvm::Value *v, int64_t k) {
  uint64_t n = 1ULL << k;
  // l = floor(log2(v)) for v >= 1, by binary search over shifts (no loops, no branches).
  llvm::Value *x = v, *l = b_.getInt64(0);
  for (int shift : {32, 16, 8, 4, 2, 1}) {
    llvm::Value *big = b_.CreateICmpUGE(x, b_.getInt64(1ULL << shift));
    l = b_.CreateAdd(
        l, b_.CreateSelect(big, b_.getInt64(static_cast<uint64_t>(shift)), b_.getInt64(0)));
    x = b_.CreateSelect(big, b_.CreateLShr(x, static_cast<uint64_t>(shift)), x);
  }
  llvm::Value *s = b_.CreateSub(l, b_.getInt64(static_cast<uint64_t>(k)));
  llvm::Value *high = b_.CreateAdd(
      b_.CreateAdd(b_.CreateShl(b_.CreateAdd(s, b_.getInt64(1)), static_cast<uint64_t>(k)),
                   b_.CreateAnd(b_.CreateLShr(v, s), b_.getInt64(n - 1))),
      b_.getInt64(1));
  llvm::Value *small = b_.CreateAdd(v, b_.getInt64(1));
  llvm::Value *r = b_.CreateSelect(b_.CreateICmpSLT(v, b_.getInt64(2 * n)), small, high);
  return b_.CreateSelect(b_.CreateICmpSLT(v, b_.getInt64(0)), b_.getInt64(0), r);
}

llvm::Value *Generator::lhist_bucket(llvm::Value *v, const Type &t) {
  llvm::Value *min = b_.getInt64(static_cast<uint64_t>(t.lhist_min));
  llvm::Value *max = b_.getInt64(static_cast<uint64_t>(t.lhist_max));
  uint64_t buckets = static_cast<uint64_t>((t.lhist_max - t.lhist_min) / t.lhist_step);
  llvm::Value *inside = b_.CreateAdd(
      b_.CreateUDiv(b_.CreateSub(v, min), b_.getInt64(static_cast<uint64_t>(t.lhist_step))),
      b_.getInt64(1));
  llvm::Value *r = b_.CreateSelect(b_.CreateICmpSGE(v, max), b_.getInt64(buckets + 1), inside);
  return b_.CreateSelect(b_.CreateICmpSLT(v, min), b_.getInt64(0), r);
}

} // namespace scry::codegen_detail
