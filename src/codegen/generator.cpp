// Code generation's top level: the object's maps, one BPF program per ProbeProgram of the plan
// (its ELF section, its context, the -p filter, the scratch region) and the syscall
// dispatchers, and the stack and scratch memory the other files allocate from. Reads SemaResult
// (Resources, each probe's typed AST, tracepoint formats) and CodegenOptions; writes the
// BpfModule, then the ELF object.
#include "codegen/generator.h"

#include "sema/constant.h"

#include <bpf/libbpf.h>
#include <unistd.h>

namespace scry::codegen_detail {

Generator::Generator(const SemaResult &sema, const SourceFile &source,
                     const CodegenOptions &options)
    : sema_(sema), res_(sema.resources), options_(options), mod_(source.name(), source.text()),
      ctx_(mod_.context()), b_(ctx_), i8_(llvm::Type::getInt8Ty(ctx_)),
      i32_(llvm::Type::getInt32Ty(ctx_)), i64_(llvm::Type::getInt64Ty(ctx_)),
      ptr_(llvm::PointerType::get(ctx_, 0)) {
  int possible = libbpf_num_possible_cpus();
  possible_cpus_ = possible > 0 ? static_cast<uint32_t>(possible) : 1;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  online_cpus_ = online > 0 ? static_cast<uint64_t>(online) : 1;
  // The program's C types, as sema saw them: field offsets of its structs come from them.
  if (sema.c_types && !sema.c_types->btf.empty())
    btf_.add_script_types(sema.c_types->btf, sema.c_types->split);
  // The program's imported .bpf.c files (their bitcode) and .bpf.o files (their objects),
  // linked when the module is emitted.
  if (sema.c_imports) {
    for (const CImports::Module &m : sema.c_imports->modules)
      mod_.add_imported_bitcode({m.file, m.bitcode});
    for (const CImports::Object &o : sema.c_imports->objects)
      mod_.add_imported_object({o.file, o.bytes});
  }
  // config license: the BpfModule's section says "GPL"; another of the kernel's GPL-compatible
  // licenses replaces it.
  if (res_.config.license != "GPL")
    if (llvm::GlobalVariable *old = mod_.module().getGlobalVariable("_license")) {
      llvm::Constant *text = llvm::ConstantDataArray::getString(ctx_, res_.config.license, true);
      auto *license = new llvm::GlobalVariable(mod_.module(), text->getType(), true,
                                               llvm::GlobalValue::ExternalLinkage, text);
      license->setSection("license");
      old->eraseFromParent();
      license->setName("_license");
    }
}

CodegenResult Generator::run() {
  CodegenResult result;
  declare_maps();
  for (size_t i = 0; i < res_.programs.size(); ++i)
    if (res_.programs[i].shares_program_of < 0)
      generate_program(i);
  for (const SyscallDispatcher &d : res_.dispatchers)
    generate_dispatcher(d);
  if (!error_.empty()) {
    result.error = error_;
    result.error_loc = error_loc_;
    return result;
  }
  result.helper_errors = helper_errors_;
  finish_maps();
  if (options_.report_fatal)
    mod_.on_fatal_error([&](const std::string &function, const char *reason) {
      CodegenResult fatal;
      fatal.error = "'" + function +
                    "' compiles to more code than a BPF program can hold: a jump would span "
                    "more than the 32767 instructions a BPF jump reaches (LLVM: " +
                    reason + ")";
      name_probe(fatal);
      options_.report_fatal(fatal);
    });
  std::string before, after;
  if (!mod_.emit(result.object, result.error, options_.dump_ir ? &before : nullptr,
                 options_.dump_ir_opt ? &after : nullptr)) {
    name_probe(result);
    return result;
  }
  result.ir = before + after;
  return result;
}

void Generator::name_probe(CodegenResult &result) const {
  for (size_t i = res_.programs.size(); i-- > 0;) {
    std::string from = "'" + res_.programs[i].function + "'";
    size_t at = result.error.find(from);
    if (at == std::string::npos)
      continue;
    result.error_loc = res_.programs[i].loc;
    // LLVM's words for the BPF backend's stack check (BPFRegisterInfo.cpp) name neither
    // the probe nor what to do.
    if (result.error.find("BPF stack limit") != std::string::npos)
      result.error = "probe " + res_.programs[i].probe_name +
                     " needs more than the 512 bytes of stack a BPF program has";
    else
      result.error.replace(at, from.size(), "probe " + res_.programs[i].probe_name);
    return;
  }
}

void Generator::declare_maps() {
  for (const MapInfo &m : res_.maps) {
    uint32_t type = m.is_array ? (m.per_cpu ? kMapPercpuArray : kMapArray)
                    : m.lru    ? (m.per_cpu ? kMapLruPercpuHash : kMapLruHash)
                               : (m.per_cpu ? kMapPercpuHash : kMapHash);
    maps_.push_back(
        mod_.add_map(m.bpf_name, type, m.max_entries, m.bpf_key_size, m.bpf_value_size));
  }
  uint32_t ringbuf_bytes = options_.ringbuf_bytes;
  if (!ringbuf_bytes && res_.config.perf_rb_pages) // config perf_rb_pages, a power of two
    ringbuf_bytes = static_cast<uint32_t>(std::min<uint64_t>(
        uint64_t{res_.config.perf_rb_pages} * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
        uint64_t{1} << 30));
  if (!ringbuf_bytes)
    ringbuf_bytes = res_.printfs.empty() && res_.print_values.empty() &&
                            res_.time_formats.empty() && res_.join_separators.empty()
                        ? kRingbufBytesControl
                        : kRingbufBytesEvents;
  ringbuf_ = mod_.add_map(kRingBufMap, kMapRingbuf, ringbuf_bytes, 0, 0);
  for (const SyscallDispatcher &d : res_.dispatchers) {
    prog_arrays_.push_back(
        mod_.add_map(d.prog_array, kMapProgArray, kSyscallDispatchEntries, 4, 4));
    probe_names_.push_back(d.probe_names.empty()
                               ? nullptr
                               : mod_.add_map(d.probe_names, kMapArray, kSyscallDispatchEntries, 4,
                                              d.probe_name_bytes));
  }
  for (size_t i = 0; i < res_.programs.size(); ++i) {
    const ProbeProgram &p = res_.programs[i];
    if (!p.probe_group.empty())
      group_names_[static_cast<uint32_t>(i)] =
          mod_.add_map(p.group_names, kMapArray, static_cast<uint32_t>(p.probe_group.size()), 4,
                       p.group_probe_bytes + p.group_func_bytes);
  }
  state_ = mod_.add_map(kStateMap, kMapArray, 1, 4, sizeof(RunState));
  // One lost-event counter per program, so that a loss is reported with its probe.
  lost_ = mod_.add_map(kLostMap, kMapPercpuArray,
                       std::max<uint32_t>(1, static_cast<uint32_t>(res_.programs.size())), 4, 8);
  map_errors_ = mod_.add_map(kMapErrorsMap, kMapPercpuArray,
                             std::max<uint32_t>(1, static_cast<uint32_t>(res_.maps.size())), 4, 8);
  if (res_.user_symbols)
    seen_processes_ = mod_.add_map(kSeenProcessesMap, kMapLruHash, kSeenProcessesEntries, 4, 8);
  // One perf buffer per CPU: max_entries 0 lets libbpf size it to the possible CPUs.
  if (!res_.skb_outputs.empty())
    skb_output_ = mod_.add_map(kSkbOutputMap, kMapPerfEventArray, 0, 4, 4);
}

void Generator::finish_maps() {
  // The scratch map is sized last, once every program's needs are known.
  uint32_t size = std::max<uint32_t>(8, align8(max_scratch_));
  const uint32_t programs = std::max<uint32_t>(1, static_cast<uint32_t>(res_.programs.size()));
  const bool per_cpu_map = size <= kMaxPercpuScratch;
  const uint32_t cpus =
      per_cpu_map ? 1 : static_cast<uint32_t>(std::max(1, libbpf_num_possible_cpus()));
  llvm::GlobalVariable *scratch = mod_.add_map(
      kScratchMap, per_cpu_map ? kMapPercpuArray : kMapArray, programs * cpus, 4, size);
  if (!per_cpu_map)
    for (auto [lookup, index] : scratch_lookups_) {
      // The key becomes cpu * programs + index.
      llvm::Function *fn = lookup->getFunction();
      llvm::IRBuilder<> eb(&fn->getEntryBlock(), fn->getEntryBlock().begin());
      llvm::AllocaInst *key = eb.CreateAlloca(i32_);
      key->setAlignment(llvm::Align(8));
      llvm::IRBuilder<> lb(lookup);
      llvm::Value *cpu =
          lb.CreateTrunc(lb.CreateCall(llvm::FunctionType::get(i64_, false),
                                       lb.CreateIntToPtr(lb.getInt64(GetSmpProcessorId), ptr_)),
                         i32_);
      lb.CreateStore(lb.CreateAdd(lb.CreateMul(cpu, lb.getInt32(programs)), lb.getInt32(index)),
                     key);
      lookup->setArgOperand(1, key);
    }
  scratch_placeholder_->replaceAllUsesWith(scratch);
  scratch_placeholder_->eraseFromParent();
}

void Generator::generate_program(size_t index) {
  const ProbeProgram &p = res_.programs[index];
  prog_ = &p;
  prog_index_ = static_cast<uint32_t>(index);
  format_ = sema_.tracepoint_formats[index].get();
  scratch_used_ = scratch_peak_ = 0;
  var_slots_.clear();
  u32_slots_.clear();
  stack_pool_.clear();
  stack_next_.clear();
  loops_.clear();

  fn_ = mod_.add_program(p.function, p.section, b_, p.probe->loc.begin.line);
  ctx_arg_ = fn_->getArg(0);
  entry_ = &fn_->getEntryBlock();
  return_block_ = llvm::BasicBlock::Create(ctx_, "return", fn_);
  return_value_ = entry_alloca(8);
  b_.CreateStore(b_.getInt64(0), return_value_);

  // What the program's context holds (ContextKind). The cheapest checks first: a raw syscall
  // program for one system call returns at once for the others, before anything else is looked
  // up.
  llvm::Value *syscall_nr = nullptr;
  bool raw_arguments = false;
  switch (p.context) {
  case ContextKind::None:
  case ContextKind::PerfSample:       // nothing reads the sample yet
  case ContextKind::Registers:        // argN and retval read the registers themselves
  case ContextKind::BtfArguments:     // argN, args.NAME and retval read the context themselves
  case ContextKind::TracepointRecord: // args.* read the context itself
    break;
  case ContextKind::UsdtArguments:
    // libbpf attaches a USDT probe only to an object with usdt.bpf.h's maps, which come with
    // stdlib/usdt.bpf.c: declaring its function links it in even when no argN calls it.
    mod_.module().getOrInsertFunction("__scry_usdt_arg",
                                      llvm::FunctionType::get(i64_, {ptr_, i64_}, false));
    break;
  case ContextKind::RawTracepointArgs:
    raw_arguments = true;
    syscall_nr = raw_syscall_number(p);
    break;
  case ContextKind::Iterator: {
    // After the last object the kernel calls the program once more with the object (the
    // context's first member after `meta`) NULL (bpf_iter.h's bpf_iter_run_prog callers).
    llvm::Value *object = b_.CreateLoad(i64_, b_.CreateGEP(i8_, ctx_arg_, b_.getInt64(8)));
    branch_unless(b_.CreateICmpNE(object, b_.getInt64(0)), return_block_);
    break;
  }
  }
  syscall_nr_ = syscall_nr;
  if (options_.filter_pid && p.pid_filter) {
    llvm::Value *pid = b_.CreateLShr(call(GetCurrentPidTgid, i64_, {}), 32);
    branch_unless(b_.CreateICmpEQ(pid, b_.getInt64(static_cast<uint64_t>(options_.filter_pid))),
                  return_block_);
  }

  // This program's scratch region. The lookup is removed again below when the program turns
  // out to need no scratch memory.
  if (!scratch_placeholder_)
    scratch_placeholder_ = new llvm::GlobalVariable(
        mod_.module(), llvm::StructType::get(ctx_, std::vector<llvm::Type *>{ptr_}), false,
        llvm::GlobalValue::ExternalLinkage, nullptr, "scratch_placeholder");
  llvm::Value *key = stack_u32(prog_index_);
  scratch_base_ = call(MapLookupElem, ptr_, {scratch_placeholder_, key});
  llvm::BasicBlock *scratch_check = b_.GetInsertBlock();
  branch_if_null(scratch_base_, return_block_);
  // Variables get their slots first, below every statement's temporaries, which are reused
  // from one statement to the next (see emit_block). A probe with loop callbacks keeps them
  // all in scratch memory, which the callbacks reach too (loops.cpp).
  scratch_offsets_.clear();
  variables_in_scratch_ = has_callback_loops(*p.probe);
  return_flag_ = callback_return_value_ = nullptr;
  allocate_variables(*p.probe);
  if (variables_in_scratch_) {
    return_flag_ = scratch(8);
    callback_return_value_ = scratch(8);
    b_.CreateStore(b_.getInt64(0), return_flag_);
  }

  record_ = ctx_arg_;
  if (raw_arguments && p.raw_record != RawRecord::None)
    record_ = raw_syscall_record(p, syscall_nr);
  if (p.probe->predicate) {
    at(p.probe->predicate->loc);
    branch_unless(truth(emit(p.probe->predicate)), return_block_);
  }
  emit_block(*p.probe->body, true);
  if (!b_.GetInsertBlock()->getTerminator())
    b_.CreateBr(return_block_);
  b_.SetInsertPoint(return_block_);
  b_.CreateRet(b_.CreateLoad(i64_, return_value_));
  if (scratch_peak_ == 0)
    drop_scratch_lookup(scratch_check);
  else
    scratch_lookups_.emplace_back(llvm::cast<llvm::CallInst>(scratch_base_), prog_index_);

  if (scratch_peak_ > kMaxScratch && error_.empty()) {
    error_loc_ = p.loc;
    error_ = "probe " + p.probe_name + " needs " + std::to_string(scratch_peak_) +
             " bytes of scratch space; the limit is " + std::to_string(kMaxScratch) +
             " (lower max_strlen, or split the probe)";
  }
  max_scratch_ = std::max(max_scratch_, scratch_peak_);
}

void Generator::generate_dispatcher(const SyscallDispatcher &d) {
  size_t index = static_cast<size_t>(&d - res_.dispatchers.data());
  fn_ = mod_.add_program(d.function, "raw_tp/" + d.raw_tracepoint, b_, 1);
  ctx_arg_ = fn_->getArg(0);
  entry_ = &fn_->getEntryBlock();
  stack_pool_.clear();
  stack_next_.clear();
  u32_slots_.clear();
  at(SourceRange{});
  ProbeProgram probe;
  probe.raw_tracepoint = d.raw_tracepoint;
  probe.raw_record = RawRecord::SyscallEnter; // only asks raw_syscall_number() for the number
  return_block_ = llvm::BasicBlock::Create(ctx_, "return", fn_);
  llvm::Value *nr = raw_syscall_number(probe);
  call(TailCall, i64_, {ctx_arg_, prog_arrays_[index], b_.CreateTrunc(nr, i32_)});
  b_.CreateBr(return_block_);
  b_.SetInsertPoint(return_block_);
  b_.CreateRet(b_.getInt64(0));
}

llvm::Value *Generator::probe_name_by_nr(uint32_t size) {
  size_t index = 0;
  while (index < res_.dispatchers.size() &&
         res_.dispatchers[index].raw_tracepoint != prog_->raw_tracepoint)
    ++index;
  llvm::Value *key = entry_alloca(8);
  b_.CreateStore(b_.CreateTrunc(syscall_nr_, i32_), key);
  llvm::Value *name = call(MapLookupElem, ptr_, {probe_names_.at(index), key});
  branch_if_null(name, return_block_);
  llvm::Value *dst = scratch(size);
  store_converted(dst, name, make_string(res_.dispatchers[index].probe_name_bytes),
                  make_string(size));
  return dst;
}

llvm::Value *Generator::group_name(uint32_t offset, uint32_t bytes, uint32_t size) {
  // bpf_get_attach_cookie (linux/bpf.h): the cookie the runtime gave this offset's attachment,
  // its position in the group.
  llvm::Value *cookie = call(GetAttachCookie, i64_, {ctx_arg_});
  llvm::Value *key = entry_alloca(8);
  b_.CreateStore(b_.CreateTrunc(cookie, i32_), key);
  llvm::Value *names = call(MapLookupElem, ptr_, {group_names_.at(prog_index_), key});
  branch_if_null(names, return_block_);
  llvm::Value *dst = scratch(size);
  store_converted(dst, b_.CreateGEP(i8_, names, b_.getInt64(offset)), make_string(bytes),
                  make_string(size));
  return dst;
}

void Generator::drop_scratch_lookup(llvm::BasicBlock *check) {
  auto *br = llvm::cast<llvm::BranchInst>(check->getTerminator());
  llvm::BasicBlock *next = br->getSuccessor(1);
  auto *cmp = llvm::cast<llvm::Instruction>(br->getCondition());
  llvm::IRBuilder<>(br).CreateBr(next);
  br->eraseFromParent();
  cmp->eraseFromParent();
  auto *lookup = llvm::cast<llvm::Instruction>(scratch_base_);
  if (lookup->use_empty())
    lookup->eraseFromParent();
}

void Generator::allocate_variables(Probe &probe) {
  struct Collector : Walker {
    std::vector<const Variable *> vars;
    using Walker::visit;
    void visit(Variable &v) override { vars.push_back(&v); }
  } collector;
  probe.accept(collector);
  for (const Variable *v : collector.vars) {
    if (v->var_id < 0 || var_slots_.count(v->var_id))
      continue;
    llvm::Value *slot = variable_slot(*v);
    // A variable read on a path that did not assign it is 0 (or zeroed bytes), as in
    // bpftrace: never LLVM's undef (which let LLVM delete code and stored leftovers; found
    // by tests/fuzz's middle_fuzz), nor a composite's (string, tuple) leftover bytes in
    // scratch memory from the probe's previous event.
    const Type &t = variable_type(*v);
    if (is_composite(t))
      zero(slot, t.size, 8);
    else
      b_.CreateStore(b_.getInt64(0), slot);
  }
}

llvm::Value *Generator::call(int64_t helper, llvm::Type *ret, std::vector<llvm::Value *> args) {
  std::vector<llvm::Type *> types;
  for (llvm::Value *a : args)
    types.push_back(a->getType());
  auto *fn_type = llvm::FunctionType::get(ret, types, false);
  llvm::Value *fn = b_.CreateIntToPtr(b_.getInt64(static_cast<uint64_t>(helper)), ptr_);
  return b_.CreateCall(fn_type, fn, args);
}

llvm::Value *Generator::call_stdlib(const char *name, llvm::Type *ret,
                                    std::vector<llvm::Value *> args) {
  std::vector<llvm::Type *> types;
  for (llvm::Value *a : args)
    types.push_back(a->getType());
  llvm::FunctionCallee fn =
      mod_.module().getOrInsertFunction(name, llvm::FunctionType::get(ret, types, false));
  return b_.CreateCall(fn, args);
}

void Generator::internal_error(const SourceRange &loc, const std::string &what) {
  if (error_.empty()) {
    error_ = "internal error: " + what + " (sema accepted it; please report this)";
    error_loc_ = loc;
  }
  result_ = b_.getInt64(0);
}

llvm::Value *Generator::entry_alloca(uint32_t bytes) {
  bytes = align8(std::max<uint32_t>(bytes, 8));
  std::vector<llvm::Value *> &pool = stack_pool_[bytes];
  size_t &next = stack_next_[bytes];
  if (next < pool.size())
    return pool[next++];
  llvm::IRBuilder<> eb(entry_, entry_->begin());
  llvm::Type *t =
      bytes == 8 ? static_cast<llvm::Type *>(i64_) : llvm::ArrayType::get(i64_, bytes / 8);
  auto *a = eb.CreateAlloca(t);
  a->setAlignment(llvm::Align(8));
  pool.push_back(a);
  ++next;
  return a;
}

llvm::Value *Generator::stack_u32(uint32_t v) {
  auto it = u32_slots_.find(v);
  if (it != u32_slots_.end())
    return it->second;
  llvm::IRBuilder<> eb(entry_, entry_->begin());
  auto *a = eb.CreateAlloca(i32_);
  a->setAlignment(llvm::Align(8));
  eb.SetInsertPoint(entry_, std::next(a->getIterator()));
  eb.CreateStore(eb.getInt32(v), a);
  u32_slots_[v] = a;
  return a;
}

llvm::Value *Generator::scratch(uint32_t bytes) {
  uint32_t offset = scratch_used_;
  scratch_used_ += align8(std::max<uint32_t>(bytes, 1));
  scratch_peak_ = std::max(scratch_peak_, scratch_used_);
  if (scratch_used_ > kMaxScratch)
    return entry_alloca(8); // reported after the program is generated
  llvm::Value *p = b_.CreateGEP(i8_, scratch_base_, b_.getInt64(offset));
  scratch_offsets_[p] = offset;
  return p;
}

llvm::Value *Generator::lookup_state() {
  llvm::Value *p = call(MapLookupElem, ptr_, {state_, stack_u32(0)});
  // The array always has its entry; the check is for the verifier.
  branch_if_null(p, return_block_);
  return p;
}

void Generator::increment_counter(llvm::GlobalVariable *map, uint32_t index) {
  llvm::Value *p = call(MapLookupElem, ptr_, {map, stack_u32(index)});
  conditional_nonnull(p, [&](llvm::Value *v) {
    b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, v), b_.getInt64(1)), v);
  });
}

void Generator::branch_if_null(llvm::Value *p, llvm::BasicBlock *target) {
  auto *next = llvm::BasicBlock::Create(ctx_, "cont", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(p, llvm::ConstantPointerNull::get(ptr_)), target, next);
  b_.SetInsertPoint(next);
}

void Generator::branch_unless(llvm::Value *cond, llvm::BasicBlock *target) {
  auto *next = llvm::BasicBlock::Create(ctx_, "cont", fn_);
  b_.CreateCondBr(cond, next, target);
  b_.SetInsertPoint(next);
}

void Generator::at(const SourceRange &loc) {
  stmt_loc_ = loc;
  b_.SetCurrentDebugLocation(mod_.location(fn_, static_cast<unsigned>(loc.begin.line),
                                           static_cast<unsigned>(loc.begin.column)));
}

llvm::Value *Generator::variable_slot(const Variable &v) {
  auto it = var_slots_.find(v.var_id);
  if (it != var_slots_.end())
    return it->second;
  const Type &t = variable_type(v);
  llvm::Value *slot;
  if (is_composite(t) || variables_in_scratch_) {
    // In the entry block's scratch position: compute it where the scratch base is known.
    llvm::IRBuilder<>::InsertPointGuard guard(b_);
    llvm::Instruction *after_base = llvm::cast<llvm::Instruction>(scratch_base_);
    b_.SetInsertPoint(after_base->getParent(), std::next(after_base->getIterator()));
    slot = scratch(t.size);
  } else {
    slot = entry_alloca();
  }
  var_slots_[v.var_id] = slot;
  return slot;
}

int64_t Generator::constant_int(Expression *e) {
  return fold_constant(e, options_.params).value_or(0);
}

} // namespace scry::codegen_detail

namespace scry {

// The typed AST is reached through the plan: each ProbeProgram points at its probe.
CodegenResult generate(ast::Program & /*program*/, const SemaResult &sema, const SourceFile &source,
                       const CodegenOptions &options) {
  codegen_detail::Generator gen(sema, source, options);
  return gen.run();
}

} // namespace scry
