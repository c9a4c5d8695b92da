// Code generation. See codegen.h.
//
// Values: every scalar (integers, bools, pointers, aggregation reads) is an i64 in a register,
// sign- or zero-extended from its type's size; every composite value (strings, tuples, records,
// arrays) is a pointer to its bytes, laid out as types.h says. Composite temporaries live in the
// program's region of the per-CPU `scratch` map, not on the 512-byte BPF stack; each gets its
// own offset at compile time. The kernel never runs one program twice at once on a CPU, so a
// region per program is never clobbered by a nested program.
//
// Kernel facts relied on (uapi linux/bpf.h): helper numbers, map types, BPF_ANY; x / 0 is 0 and
// x % 0 is x in BPF; LLVM 16's BPF backend has no signed division, so it is built from unsigned
// division here.
#include "codegen/codegen.h"

#include "base/arch.h"
#include "codegen/bpf_module.h"
#include "parser/attach_point.h"
#include "sema/constant.h"
#include "sema/tracepoint_attach.h"

#include <algorithm>
#include <bpf/libbpf.h>
#include <cstring>
#include <linux/bpf.h>
#include <llvm/IR/Constants.h>
#include <map>
#include <unistd.h>

namespace scry {

namespace {

using namespace ast;

// linux/bpf.h: enum bpf_map_type.
constexpr uint32_t kMapHash = BPF_MAP_TYPE_HASH, kMapArray = BPF_MAP_TYPE_ARRAY,
                   kMapPercpuHash = BPF_MAP_TYPE_PERCPU_HASH,
                   kMapPercpuArray = BPF_MAP_TYPE_PERCPU_ARRAY,
                   kMapProgArray = BPF_MAP_TYPE_PROG_ARRAY, kMapRingbuf = BPF_MAP_TYPE_RINGBUF;
// linux/bpf.h: enum bpf_func_id.
enum Helper : int64_t {
  MapLookupElem = BPF_FUNC_map_lookup_elem,
  MapUpdateElem = BPF_FUNC_map_update_elem,
  MapDeleteElem = BPF_FUNC_map_delete_elem,
  KtimeGetNs = BPF_FUNC_ktime_get_ns,
  GetPrandomU32 = BPF_FUNC_get_prandom_u32,
  GetSmpProcessorId = BPF_FUNC_get_smp_processor_id,
  TailCall = BPF_FUNC_tail_call,
  GetCurrentPidTgid = BPF_FUNC_get_current_pid_tgid,
  GetCurrentUidGid = BPF_FUNC_get_current_uid_gid,
  GetCurrentComm = BPF_FUNC_get_current_comm,
  GetCurrentTask = BPF_FUNC_get_current_task,
  ProbeReadStr = BPF_FUNC_probe_read_str,
  GetCurrentCgroupId = BPF_FUNC_get_current_cgroup_id,
  ProbeReadUser = BPF_FUNC_probe_read_user,
  ProbeReadKernel = BPF_FUNC_probe_read_kernel,
  ProbeReadUserStr = BPF_FUNC_probe_read_user_str,
  ProbeReadKernelStr = BPF_FUNC_probe_read_kernel_str,
  Jiffies64 = BPF_FUNC_jiffies64,
  ForEachMapElem = BPF_FUNC_for_each_map_elem,
  RingbufReserve = BPF_FUNC_ringbuf_reserve,
  RingbufSubmit = BPF_FUNC_ringbuf_submit,
  MapLookupPercpuElem = BPF_FUNC_map_lookup_percpu_elem,
};
constexpr uint64_t kBpfAny = BPF_ANY;
constexpr uint32_t kMaxScratch = 32 * 1024; // per-CPU map values are limited to 32 KiB

bool is_composite(const Type &t) {
  switch (t.kind) {
  case TypeKind::String:
  case TypeKind::Buffer:
  case TypeKind::Tuple:
  case TypeKind::Record:
  case TypeKind::Array:
    return true;
  default:
    return false;
  }
}

uint32_t align8(uint32_t n) {
  return (n + 7) / 8 * 8;
}

class Generator : public Visitor {
public:
  Generator(Program &program, const SemaResult &sema, const SourceFile &source,
            const CodegenOptions &options)
      : program_(program), sema_(sema), res_(sema.resources), options_(options),
        mod_(source.name(), source.text()), ctx_(mod_.context()), b_(ctx_),
        i8_(llvm::Type::getInt8Ty(ctx_)), i32_(llvm::Type::getInt32Ty(ctx_)),
        i64_(llvm::Type::getInt64Ty(ctx_)), ptr_(llvm::PointerType::get(ctx_, 0)) {
    int possible = libbpf_num_possible_cpus();
    possible_cpus_ = possible > 0 ? static_cast<uint32_t>(possible) : 1;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    online_cpus_ = online > 0 ? static_cast<uint64_t>(online) : 1;
  }

  CodegenResult run() {
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
    finish_maps();
    std::string before, after;
    if (!mod_.emit(result.object, result.error, options_.dump_ir ? &before : nullptr,
                   options_.dump_ir_opt ? &after : nullptr)) {
      // Name probes, not the BPF functions that implement them.
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
        break;
      }
      return result;
    }
    result.ir = before + after;
    return result;
  }

private:
  // ---- maps -----------------------------------------------------------------------------------

  void declare_maps() {
    for (const MapInfo &m : res_.maps) {
      uint32_t type = m.is_array ? (m.per_cpu ? kMapPercpuArray : kMapArray)
                                 : (m.per_cpu ? kMapPercpuHash : kMapHash);
      maps_.push_back(
          mod_.add_map(m.bpf_name, type, m.max_entries, m.bpf_key_size, m.bpf_value_size));
    }
    uint32_t ringbuf_bytes = options_.ringbuf_bytes;
    if (!ringbuf_bytes)
      ringbuf_bytes = res_.printfs.empty() && res_.print_values.empty() && res_.time_formats.empty()
                          ? kRingbufBytesControl
                          : kRingbufBytesEvents;
    ringbuf_ = mod_.add_map(kRingBufMap, kMapRingbuf, ringbuf_bytes, 0, 0);
    for (const SyscallDispatcher &d : res_.dispatchers) {
      prog_arrays_.push_back(
          mod_.add_map(d.prog_array, kMapProgArray, kSyscallDispatchEntries, 4, 4));
      probe_names_.push_back(d.probe_names.empty()
                                 ? nullptr
                                 : mod_.add_map(d.probe_names, kMapArray, kSyscallDispatchEntries,
                                                4, d.probe_name_bytes));
    }
    state_ = mod_.add_map(kStateMap, kMapArray, 1, 4, sizeof(RunState));
    // One lost-event counter per program, so that a loss is reported with its probe.
    lost_ = mod_.add_map(kLostMap, kMapPercpuArray,
                         std::max<uint32_t>(1, static_cast<uint32_t>(res_.programs.size())), 4, 8);
    map_errors_ =
        mod_.add_map(kMapErrorsMap, kMapPercpuArray,
                     std::max<uint32_t>(1, static_cast<uint32_t>(res_.maps.size())), 4, 8);
  }

  void finish_maps() {
    // The scratch map is sized last, once every program's needs are known.
    uint32_t size = std::max<uint32_t>(8, align8(max_scratch_));
    llvm::GlobalVariable *scratch =
        mod_.add_map(kScratchMap, kMapPercpuArray,
                     std::max<uint32_t>(1, static_cast<uint32_t>(res_.programs.size())), 4, size);
    scratch_placeholder_->replaceAllUsesWith(scratch);
    scratch_placeholder_->eraseFromParent();
  }

  // ---- programs -------------------------------------------------------------------------------

  static std::string section_for(const ProbeProgram &p) {
    switch (p.type) {
    case ProbeType::Tracepoint:
      if (p.tracepoint_attach == TracepointAttach::Raw)
        return "raw_tp/" + p.raw_tracepoint;
      return "tracepoint/" + p.category + "/" + p.event;
    case ProbeType::Interval:
    case ProbeType::Profile:
    case ProbeType::Software:
    case ProbeType::Hardware:
      return "perf_event";
    case ProbeType::Begin:
    case ProbeType::End:
      // Run once with BPF_PROG_TEST_RUN, which raw tracepoint programs allow.
      return "raw_tp";
    case ProbeType::Kprobe:
    case ProbeType::Kretprobe:
    case ProbeType::Fentry:
    case ProbeType::Fexit:
    case ProbeType::Uprobe:
    case ProbeType::Uretprobe:
    case ProbeType::Usdt:
    case ProbeType::RawTracepoint:
    case ProbeType::Watchpoint:
    case ProbeType::Iter:
    case ProbeType::Self:
    case ProbeType::Test:
    case ProbeType::Bench:
    case ProbeType::Invalid:
      break; // refused by semantic analysis
    }
    return {};
  }

  /// Whether `-p PID` filters a probe of this type: those that fire in the context of whatever
  /// task caused them. begin, end and interval run for the tracer itself and are never filtered,
  /// as in bpftrace (src/ast/passes/pid_filter_pass.cpp). profile, software and hardware samples
  /// are kept when they interrupt a thread of PID.
  static bool filtered_by_pid(ProbeType type) {
    switch (type) {
    case ProbeType::Kprobe:
    case ProbeType::Kretprobe:
    case ProbeType::Fentry:
    case ProbeType::Fexit:
    case ProbeType::Uprobe:
    case ProbeType::Uretprobe:
    case ProbeType::Usdt:
    case ProbeType::Tracepoint:
    case ProbeType::RawTracepoint:
    case ProbeType::Profile:
    case ProbeType::Software:
    case ProbeType::Hardware:
    case ProbeType::Watchpoint:
      return true;
    case ProbeType::Invalid:
    case ProbeType::Begin:
    case ProbeType::End:
    case ProbeType::Interval:
    case ProbeType::Iter:
    case ProbeType::Self:
    case ProbeType::Test:
    case ProbeType::Bench:
      return false;
    }
    return false;
  }

  void generate_program(size_t index) {
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

    fn_ = mod_.add_program(p.function, section_for(p), b_, p.probe->loc.begin.line);
    ctx_arg_ = fn_->getArg(0);
    entry_ = &fn_->getEntryBlock();
    return_block_ = llvm::BasicBlock::Create(ctx_, "return", fn_);

    // The cheapest checks first: a raw syscall program for one system call returns at once for
    // the others, before anything else is looked up.
    const bool raw_tracepoint =
        p.type == ProbeType::Tracepoint && p.tracepoint_attach == TracepointAttach::Raw;
    llvm::Value *syscall_nr = raw_tracepoint ? raw_syscall_number(p) : nullptr;
    syscall_nr_ = syscall_nr;
    if (options_.filter_pid && filtered_by_pid(p.type)) {
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
    // from one statement to the next (see emit_block).
    allocate_variables(*p.probe);

    record_ = ctx_arg_;
    if (raw_tracepoint && p.raw_record != RawRecord::None)
      record_ = raw_syscall_record(p, syscall_nr);
    if (p.probe->predicate) {
      at(p.probe->predicate->loc);
      branch_unless(truth(emit(p.probe->predicate)), return_block_);
    }
    emit_block(*p.probe->body, true);
    if (!b_.GetInsertBlock()->getTerminator())
      b_.CreateBr(return_block_);
    b_.SetInsertPoint(return_block_);
    b_.CreateRet(b_.getInt64(0));
    if (scratch_peak_ == 0)
      drop_scratch_lookup(scratch_check);

    if (scratch_peak_ > kMaxScratch && error_.empty()) {
      error_loc_ = p.loc;
      error_ = "probe " + p.probe_name + " needs " + std::to_string(scratch_peak_) +
               " bytes of scratch space; the limit is " + std::to_string(kMaxScratch) +
               " (lower max_strlen, or split the probe)";
    }
    max_scratch_ = std::max(max_scratch_, scratch_peak_);
  }

  /// A SyscallDispatcher: takes the system call number as the probe programs do and tail-calls
  /// the program at that index of its array. When the slot is empty (no probe for this system
  /// call) bpf_tail_call() returns and so does the dispatcher.
  void generate_dispatcher(const SyscallDispatcher &d) {
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

  /// `probe` in a program shared by several system calls: its dispatcher's probe_names entry
  /// for the current system call number, as a string of `size` bytes. The map's values are
  /// NUL-padded and sized for the system calls' names only; `size` is the probe's, which other
  /// attach points of the same probe may make longer or shorter.
  llvm::Value *probe_name_by_nr(uint32_t size) {
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

  /// Removes the scratch region's lookup (a helper call on every event) from a program that
  /// never used it. `check` is the block that ends with the lookup's null check.
  void drop_scratch_lookup(llvm::BasicBlock *check) {
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

  /// One u64 of a raw tracepoint program's context: the tracepoint's argument `index`.
  llvm::Value *raw_argument(uint32_t index) {
    return b_.CreateLoad(i64_, b_.CreateGEP(i8_, ctx_arg_, b_.getInt64(8 * index)));
  }

  /// Reads the saved user register at `offset` of struct pt_regs (the raw syscall tracepoints'
  /// first argument) into `dst` (8 bytes).
  void read_syscall_register(llvm::Value *dst, uint32_t offset) {
    llvm::Value *regs = b_.CreateIntToPtr(raw_argument(0), ptr_);
    call(ProbeReadKernel, i64_,
         {dst, b_.getInt64(8), b_.CreateGEP(i8_, regs, b_.getInt64(offset))});
  }

  /// For a raw program on sys_enter / sys_exit: the system call number (sys_enter's second
  /// argument; at sys_exit the saved orig_ax, as the kernel's syscall_get_nr() reads it), and
  /// for syscalls:* programs the early return unless it is the probe's system call. Null when
  /// the program needs no number.
  llvm::Value *raw_syscall_number(const ProbeProgram &p) {
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

  /// A raw syscall program's copy of the classic tracepoint's record, in scratch memory, with
  /// the fields the probe reads filled in (format file offsets; the others stay unwritten):
  /// the number (`__syscall_nr`, `id`), the return value (`ret`, sys_exit's second argument) and
  /// the arguments (`args[6]`, or syscalls:sys_enter_X's named fields: field i at offset 16 + 8i
  /// is argument i) read from the saved user registers.
  llvm::Value *raw_syscall_record(const ProbeProgram &p, llvm::Value *nr) {
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

  /// Gives every scratch variable of `probe` its slot before any statement is generated.
  void allocate_variables(Probe &probe) {
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

  /// Where a statement's temporaries start; restoring it after the statement lets the next
  /// statement reuse the same stack slots and scratch bytes. Without this, a long probe runs
  /// out of the 512-byte BPF stack.
  struct TempMark {
    uint32_t scratch;
    std::map<uint32_t, size_t> stack;
  };
  TempMark temp_mark() const { return {scratch_used_, stack_next_}; }
  void temp_release(const TempMark &m) {
    scratch_used_ = m.scratch;
    stack_next_ = m.stack;
  }

  // ---- statements -----------------------------------------------------------------------------

  void emit_block(Block &block, bool value_is_statement) {
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

  void visit(Block &n) override { emit_block(n, true); }
  void visit(BlockStatement &n) override { emit_block(*n.block, true); }
  void visit(ExprStatement &n) override { emit(n.expr); }

  void visit(Assignment &n) override {
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

  void visit(VarDecl &n) override {
    const Type &vt = variable_type(*n.var);
    llvm::Value *slot = variable_slot(*n.var);
    if (n.init)
      store_converted(slot, emit(n.init), n.init->type, vt);
    else
      zero(slot, vt.size, 8);
  }

  void visit(If &n) override {
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

  void visit(Unroll &n) override {
    int64_t count = constant_int(n.count);
    for (int64_t i = 0; i < count; ++i) {
      if (b_.GetInsertBlock()->getTerminator())
        start_dead_block();
      emit_block(*n.body, true);
    }
  }

  void visit(While &n) override {
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

  void visit(ForRange &n) override {
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

  void visit(Jump &n) override {
    switch (n.kind) {
    case Jump::Kind::Break:
      b_.CreateBr(loops_.back().break_target);
      break;
    case Jump::Kind::Continue:
      b_.CreateBr(loops_.back().continue_target);
      break;
    case Jump::Kind::Return:
      b_.CreateBr(return_block_);
      break;
    }
  }

  // ---- expressions ----------------------------------------------------------------------------

  llvm::Value *emit(Expression *e) {
    result_ = nullptr;
    e->accept(*this);
    if (!result_)
      result_ = is_composite(e->type) ? scratch(e->type.size) : b_.getInt64(0);
    llvm::Value *r = result_;
    result_ = nullptr;
    return r;
  }

  void visit(Integer &n) override { result_ = b_.getInt64(n.value); }
  void visit(Boolean &n) override { result_ = b_.getInt64(n.value ? 1 : 0); }
  void visit(String &n) override { result_ = constant_string(n.value, n.type.size); }

  void visit(Identifier &n) override {
    const std::string &name = n.name;
    if (name == "pid") {
      result_ = b_.CreateLShr(call(GetCurrentPidTgid, i64_, {}), 32);
    } else if (name == "tid") {
      result_ = b_.CreateAnd(call(GetCurrentPidTgid, i64_, {}), 0xffffffffULL);
    } else if (name == "uid") {
      result_ = b_.CreateAnd(call(GetCurrentUidGid, i64_, {}), 0xffffffffULL);
    } else if (name == "gid") {
      result_ = b_.CreateLShr(call(GetCurrentUidGid, i64_, {}), 32);
    } else if (name == "cpu") {
      result_ = b_.CreateAnd(call(GetSmpProcessorId, i64_, {}), 0xffffffffULL);
    } else if (name == "ncpus") {
      result_ = b_.getInt64(online_cpus_);
    } else if (name == "comm") {
      llvm::Value *buf = scratch(16);
      call(GetCurrentComm, i64_, {buf, b_.getInt64(16)});
      result_ = buf;
    } else if (name == "nsecs") {
      result_ = call(KtimeGetNs, i64_, {});
    } else if (name == "elapsed") {
      llvm::Value *now = call(KtimeGetNs, i64_, {});
      llvm::Value *state = lookup_state();
      llvm::Value *start =
          b_.CreateLoad(i64_, b_.CreateGEP(i8_, state, b_.getInt64(offsetof(RunState, start_ns))));
      result_ = b_.CreateSub(now, start);
    } else if (name == "jiffies") {
      result_ = call(Jiffies64, i64_, {});
    } else if (name == "curtask") {
      result_ = call(GetCurrentTask, i64_, {});
    } else if (name == "rand") {
      result_ = b_.CreateAnd(call(GetPrandomU32, i64_, {}), 0xffffffffULL);
    } else if (name == "cgroup") {
      result_ = call(GetCurrentCgroupId, i64_, {});
    } else if (name == "probe") {
      result_ = prog_->probe_name_by_nr ? probe_name_by_nr(n.type.size)
                                        : constant_string(prog_->probe_name, n.type.size);
    } else if (name == "cpid") {
      result_ = b_.getInt64(static_cast<uint64_t>(options_.child_pid));
    }
  }

  void visit(Variable &n) override { result_ = load_value(variable_slot(n), variable_type(n)); }

  void visit(PositionalParameter &n) override {
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

  void visit(Map &n) override { result_ = map_read(n, nullptr); }
  void visit(MapAccess &n) override { result_ = map_read(*n.map, n.key); }

  void visit(Call &n) override {
    const std::string &name = n.name;
    if (name == "printf") {
      emit_printf(n);
    } else if (name == "print") {
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
    } else if (name == "clear" || name == "zero") {
      auto *m = static_cast<Map *>(n.args[0]);
      llvm::Value *rec = reserve(8, name == "clear" ? AsyncKind::Clear : AsyncKind::Zero,
                                 static_cast<uint32_t>(m->map_id));
      with_record(rec, 8, [](llvm::Value *) {});
    } else if (name == "delete") {
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
        llvm::Value *r = call(MapDeleteElem, i64_, {map_ptr(*m), build_key(info, key, nullptr)});
        result_ = b_.CreateZExt(b_.CreateICmpEQ(r, b_.getInt64(0)), i64_);
      }
    } else if (name == "__has_key") { // stdlib/map.bt's has_key
      auto *m = static_cast<Map *>(n.args[0]);
      const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
      llvm::Value *p =
          call(MapLookupElem, ptr_, {map_ptr(*m), build_key(info, n.args[1], nullptr)});
      result_ = b_.CreateZExt(b_.CreateICmpNE(p, llvm::ConstantPointerNull::get(ptr_)), i64_);
    } else if (name == "exit") {
      llvm::Value *code =
          n.args.empty() ? b_.getInt64(0) : to_i64(emit(n.args[0]), n.args[0]->type);
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
    } else if (name == "time") {
      llvm::Value *rec = reserve(8, AsyncKind::Time, static_cast<uint32_t>(n.id));
      with_record(rec, 8, [](llvm::Value *) {});
    } else if (name == "str") {
      emit_str(n);
    } else if (name == "len") {
      emit_len(n);
    }
  }

  /// len(@m): the number of entries, counted by bpf_for_each_map_elem (kernel 5.13+) with a
  /// callback that increments a counter on the stack. An array map always holds its one entry.
  void emit_len(Call &n) {
    auto *m = static_cast<Map *>(n.args[0]);
    const MapInfo &info = res_.maps[static_cast<size_t>(m->map_id)];
    if (info.is_array) {
      result_ = b_.getInt64(1);
      return;
    }
    if (!count_callback_) {
      llvm::IRBuilder<> cb(ctx_);
      count_callback_ = mod_.add_map_callback("count_entries", cb);
      llvm::Value *counter = count_callback_->getArg(3);
      cb.CreateStore(cb.CreateAdd(cb.CreateLoad(i64_, counter), cb.getInt64(1)), counter);
      cb.CreateRet(cb.getInt64(0));
    }
    llvm::Value *counter = entry_alloca();
    b_.CreateStore(b_.getInt64(0), counter);
    call(ForEachMapElem, i64_, {map_ptr(*m), count_callback_, counter, b_.getInt64(0)});
    result_ = b_.CreateLoad(i64_, counter);
  }

  void visit(Unary &n) override {
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
      break;
    case UnaryOp::PreInc:
    case UnaryOp::PreDec:
    case UnaryOp::PostInc:
    case UnaryOp::PostDec:
      emit_increment(n);
      break;
    }
  }

  void visit(Binary &n) override {
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
    llvm::Value *l = emit(n.lhs);
    llvm::Value *r = emit(n.rhs);
    result_ = arithmetic(n.op, l, lt, r, rt, n.type, n.division_warning);
  }

  void visit(Ternary &n) override {
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

  void visit(FieldAccess &n) override {
    if (auto *id = dynamic_cast<Identifier *>(n.base); id && id->name == "args") {
      result_ = tracepoint_field(n);
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
        llvm::Value *unit =
            load_value(at, make_int(field->type.size ? field->type.size : 4, false));
        llvm::Value *v = b_.CreateLShr(unit, field->bitfield_shift);
        result_ = b_.CreateAnd(v, field->bitfield_bits >= 64 ? ~0ULL
                                                             : (1ULL << field->bitfield_bits) - 1);
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

  void visit(TupleAccess &n) override {
    llvm::Value *base = emit(n.base);
    const Field &f = (*n.base->type.fields)[n.index];
    result_ = load_value(b_.CreateGEP(i8_, base, b_.getInt64(f.offset)), *f.type);
  }

  void visit(Index &n) override {
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
    // An array or string in scry's own memory (scratch or stack): bounds-checked load.
    llvm::Value *base = emit(n.base);
    llvm::Value *i = to_i64(emit(n.index), n.index->type);
    uint32_t elem = bt.kind == TypeKind::String ? 1 : bt.elem->size;
    uint32_t count = bt.kind == TypeKind::String ? bt.size : bt.count;
    llvm::Value *in_range = b_.CreateICmpULT(i, b_.getInt64(count));
    llvm::Value *slot = entry_alloca();
    b_.CreateStore(b_.getInt64(0), slot);
    auto *ok = llvm::BasicBlock::Create(ctx_, "index.ok", fn_);
    auto *done = llvm::BasicBlock::Create(ctx_, "index.end", fn_);
    b_.CreateCondBr(in_range, ok, done);
    b_.SetInsertPoint(ok);
    Type et = bt.kind == TypeKind::String ? make_int(1, true) : *bt.elem;
    if (is_composite(et)) {
      llvm::Value *dst = scratch(et.size);
      copy(dst, b_.CreateGEP(i8_, base, b_.CreateMul(i, b_.getInt64(elem))), et.size, 1);
      b_.CreateBr(done);
      b_.SetInsertPoint(done);
      result_ = dst;
      return;
    }
    b_.CreateStore(load_value(b_.CreateGEP(i8_, base, b_.CreateMul(i, b_.getInt64(elem))), et),
                   slot);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    result_ = b_.CreateLoad(i64_, slot);
  }

  void visit(Cast &n) override {
    llvm::Value *v = emit(n.operand);
    const Type &from = n.operand->type, &to = n.type;
    if (to.kind == TypeKind::Array || to.kind == TypeKind::String) {
      llvm::Value *dst = scratch(to.size);
      b_.CreateStore(to_i64(v, from), dst);
      result_ = dst;
      return;
    }
    result_ = convert_scalar(v, from, to);
  }

  void visit(Tuple &n) override {
    llvm::Value *dst = scratch(n.type.size);
    zero_padding(dst, n.type, n.type.size);
    for (size_t i = 0; i < n.elems.size(); ++i) {
      const Field &f = (*n.type.fields)[i];
      store_converted(b_.CreateGEP(i8_, dst, b_.getInt64(f.offset)), emit(n.elems[i]),
                      n.elems[i]->type, *f.type);
    }
    result_ = dst;
  }

  void visit(Record &n) override {
    llvm::Value *dst = scratch(n.type.size);
    zero_padding(dst, n.type, n.type.size);
    for (size_t i = 0; i < n.fields.size(); ++i) {
      const Field &f = (*n.type.fields)[i];
      store_converted(b_.CreateGEP(i8_, dst, b_.getInt64(f.offset)), emit(n.fields[i].value),
                      n.fields[i].value->type, *f.type);
    }
    result_ = dst;
  }

  void visit(Sizeof &n) override { result_ = b_.getInt64(n.value); }
  void visit(Offsetof &n) override { result_ = b_.getInt64(n.value); }

  void visit(BlockExpr &n) override {
    emit_block(*n.block, false);
    result_ = emit(n.block->value);
  }

  // ---- helpers: values ------------------------------------------------------------------------

  /// A scalar's i64 from a value that may be a composite (only scalars are expected).
  llvm::Value *to_i64(llvm::Value *v, const Type &) { return v; }

  llvm::Value *truth(llvm::Value *v) { return b_.CreateICmpNE(v, b_.getInt64(0)); }

  /// Re-extends an i64 holding a value of `from` to the representation of `to`.
  llvm::Value *convert_scalar(llvm::Value *v, const Type &from, const Type &to) {
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

  llvm::Value *load_value(llvm::Value *ptr, const Type &t) {
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

  void store_value(llvm::Value *ptr, llvm::Value *v, const Type &t) {
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

  /// Stores a value of type `from` where a value of type `to` lives (strings of another size,
  /// tuples whose parts widened).
  void store_converted(llvm::Value *dst, llvm::Value *v, const Type &from, const Type &to) {
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

  /// The alignment of `ptr` that code generation can vouch for: every root pointer here (map
  /// values, scratch, ring-buffer records, stack slots) is 8-byte aligned, and constant offsets
  /// from it keep the alignment they have.
  static uint32_t known_align(llvm::Value *ptr) {
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

  /// Moves or clears `size` bytes in the widest chunks the pointers' alignment allows (BPF has
  /// no unaligned access, so LLVM splits a misaligned 8-byte access into single bytes). The
  /// accesses are volatile: LLVM would otherwise merge them into memcpy/memset calls, which the
  /// BPF backend cannot lower for large sizes.
  void move_bytes(llvm::Value *dst, llvm::Value *src, uint32_t size) {
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
        b_.CreateAlignedStore(v, b_.CreateGEP(i8_, dst, b_.getInt64(off)), llvm::Align(chunk),
                              true);
        off += chunk;
      }
    }
  }

  void copy(llvm::Value *dst, llvm::Value *src, uint32_t size, uint32_t) {
    move_bytes(dst, src, size);
  }

  void zero(llvm::Value *dst, uint32_t size, uint32_t) { move_bytes(dst, nullptr, size); }

  /// Zeroes the bytes of a tuple or record (of `total` bytes) that no field covers, so that
  /// records sent to user space and keys compared byte by byte carry no stale bytes.
  void zero_padding(llvm::Value *dst, const Type &t, uint32_t total) {
    uint32_t covered = 0;
    for (const Field &f : *t.fields) {
      if (f.offset > covered)
        zero(b_.CreateGEP(i8_, dst, b_.getInt64(covered)), f.offset - covered, 1);
      covered = std::max(covered, f.offset + f.type->size);
    }
    if (total > covered)
      zero(b_.CreateGEP(i8_, dst, b_.getInt64(covered)), total - covered, 1);
  }

  llvm::Value *constant_string(const std::string &value, uint32_t size) {
    llvm::Value *dst = scratch(size);
    std::string bytes = value.substr(0, size > 0 ? size - 1 : 0);
    bytes.resize(size, '\0');
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

  /// Whether two NUL-terminated strings in scry memory are equal (an i1).
  llvm::Value *strings_equal(llvm::Value *a, uint32_t a_size, llvm::Value *b, uint32_t b_size) {
    uint32_t n = std::min(a_size, b_size);
    llvm::Value *result = entry_alloca();
    b_.CreateStore(b_.getInt64(1), result);
    auto *done = llvm::BasicBlock::Create(ctx_, "streq.end", fn_);
    auto *differ = llvm::BasicBlock::Create(ctx_, "streq.differ", fn_);
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

  /// `l op r` on 64-bit values of types `lt` and `rt`, converted to `result`.
  /// `division_warning` is the runtime warning a `/` or `%` sends when `r` is 0 (or -1).
  llvm::Value *arithmetic(BinaryOp op, llvm::Value *l, const Type &lt, llvm::Value *r,
                          const Type &rt, const Type &result, int division_warning = -1) {
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
      // A shift by 64 or more (or by a negative amount, taken as unsigned) is LLVM poison and
      // undefined in BPF: it shifts everything out instead, like sema's constant folding:
      // 0, or -1 for a negative signed value shifted right. (Found by tests/fuzz's
      // middle_fuzz: on poison, LLVM deleted the code of a branch and the verifier refused it.)
      llvm::Value *out_of_range = b_.CreateICmpUGE(r, b_.getInt64(64));
      llvm::Value *amount = b_.CreateAnd(r, b_.getInt64(63));
      if (op == BinaryOp::Shr && lt.is_signed)
        v = b_.CreateAShr(l, b_.CreateSelect(out_of_range, b_.getInt64(63), amount));
      else
        v = b_.CreateSelect(out_of_range, b_.getInt64(0),
                            op == BinaryOp::Shl ? b_.CreateShl(l, amount)
                                                : b_.CreateLShr(l, amount));
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

  /// The divisor of a `/` or `%`: 1 where `r` is 0, as in bpftrace, after sending the runtime
  /// warning `warning` (when >= 0). LLVM takes a division by 0 for undefined behaviour, so it
  /// must never see one.
  llvm::Value *nonzero_divisor(llvm::Value *r, int warning) {
    if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(r); c && !c->isZero())
      return r;
    llvm::Value *is_zero = b_.CreateICmpEQ(r, llvm::ConstantInt::get(r->getType(), 0));
    if (warning >= 0) {
      auto *warn = llvm::BasicBlock::Create(ctx_, "div.zero", fn_);
      auto *next = llvm::BasicBlock::Create(ctx_, "div.ok", fn_);
      b_.CreateCondBr(is_zero, warn, next);
      b_.SetInsertPoint(warn);
      llvm::Value *rec = reserve(16, AsyncKind::RuntimeError, static_cast<uint32_t>(warning));
      with_record(rec, 16, [&](llvm::Value *p) {
        b_.CreateStore(b_.getInt64(0), b_.CreateGEP(i8_, p, b_.getInt64(8)));
      });
      b_.CreateBr(next);
      b_.SetInsertPoint(next);
    }
    return b_.CreateSelect(is_zero, llvm::ConstantInt::get(r->getType(), 1), r);
  }

  /// Signed division or remainder from unsigned operations (no sdiv before BPF cpu v4). C's
  /// truncation toward zero; division by zero gives 0 and remainder by zero gives l, like BPF.
  llvm::Value *signed_div(llvm::Value *l, llvm::Value *r, bool remainder) {
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

  void emit_logical(Binary &n) {
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

  void emit_increment(Unary &n) {
    bool inc = n.op == UnaryOp::PreInc || n.op == UnaryOp::PostInc;
    bool post = n.op == UnaryOp::PostInc || n.op == UnaryOp::PostDec;
    if (auto *v = dynamic_cast<Variable *>(n.operand)) {
      const Type &t = variable_type(*v);
      llvm::Value *slot = variable_slot(*v);
      llvm::Value *old = load_value(slot, t);
      llvm::Value *nv = convert_scalar(
          inc ? b_.CreateAdd(old, b_.getInt64(1)) : b_.CreateSub(old, b_.getInt64(1)), t, t);
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

  // ---- helpers: memory, kernel reads ------------------------------------------------------------

  struct KernelAddr {
    llvm::Value *address; // i64
    AddressSpace space;
    uint32_t bitfield_shift = 0, bitfield_bits = 0;
  };

  /// Whether `e` denotes memory in the kernel or a traced process (a struct reached through a
  /// pointer), whose address can be computed without reading it.
  bool kernel_memory(Expression *e) {
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
             (i->base->type.kind == TypeKind::Array && kernel_memory(i->base));
    return false;
  }

  KernelAddr kernel_address(Expression *e) {
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
      llvm::Value *idx = emit(i->index);
      base.address = b_.CreateAdd(base.address, b_.CreateMul(idx, b_.getInt64(i->type.size)));
      return base;
    }
    return {emit(e), AddressSpace::Kernel};
  }

  /// Reads a value of type `t` at `address` in kernel or user memory.
  llvm::Value *read_at(llvm::Value *address, const Type &t, AddressSpace space, uint32_t shift,
                       uint32_t bits) {
    int64_t helper = space == AddressSpace::User ? ProbeReadUser : ProbeReadKernel;
    llvm::Value *src = b_.CreateIntToPtr(address, ptr_);
    if (is_composite(t)) {
      llvm::Value *dst = scratch(t.size);
      if (t.kind == TypeKind::String) {
        call(space == AddressSpace::User ? ProbeReadUserStr : ProbeReadKernelStr, i64_,
             {dst, b_.getInt64(t.size), src});
      } else {
        call(helper, i64_, {dst, b_.getInt64(t.size), src});
      }
      return dst;
    }
    uint32_t size = t.size ? std::min<uint32_t>(t.size, 8) : 8;
    llvm::Value *tmp = entry_alloca();
    b_.CreateStore(b_.getInt64(0), tmp);
    call(helper, i64_, {tmp, b_.getInt64(size), src});
    llvm::Value *v = load_value(tmp, t.size ? t : make_int(8, false));
    if (bits) {
      v = b_.CreateLShr(b_.CreateLoad(i64_, tmp), shift);
      v = b_.CreateAnd(v, bits >= 64 ? ~0ULL : (1ULL << bits) - 1);
    }
    return v;
  }

  llvm::Value *read_memory(llvm::Value *pointer, const Type &t, AddressSpace space) {
    return read_at(pointer, t, space, 0, 0);
  }

  /// `args.name`: a field of the tracepoint's record, at ctx + offset.
  llvm::Value *tracepoint_field(FieldAccess &n) {
    const TracepointField *f = format_ ? format_->find(n.field) : nullptr;
    if (!f)
      return is_composite(n.type) ? scratch(n.type.size) : b_.getInt64(0);
    llvm::Value *at = b_.CreateGEP(i8_, record_, b_.getInt64(f->offset));
    if (f->is_data_loc) {
      llvm::Value *loc = b_.CreateZExt(b_.CreateLoad(i32_, at), i64_);
      llvm::Value *off = b_.CreateAnd(loc, 0xffff);
      if (f->is_rel_loc)
        off = b_.CreateAdd(off, b_.getInt64(f->offset + f->size));
      return b_.CreateAdd(b_.CreatePtrToInt(record_, i64_), off);
    }
    if (is_composite(n.type)) {
      llvm::Value *dst = scratch(n.type.size);
      call(ProbeReadKernel, i64_, {dst, b_.getInt64(n.type.size), at});
      if (n.type.kind == TypeKind::String)
        b_.CreateStore(b_.getInt8(0), b_.CreateGEP(i8_, dst, b_.getInt64(n.type.size - 1)));
      return dst;
    }
    return load_value(at, n.type);
  }

  void emit_str(Call &n) {
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
    call(helper, i64_, {dst, len, b_.CreateIntToPtr(v, ptr_)});
    result_ = dst;
  }

  // ---- helpers: maps --------------------------------------------------------------------------

  llvm::Value *map_ptr(const Map &m) { return maps_[static_cast<size_t>(m.map_id)]; }

  static Type read_type_of(const MapInfo &info) {
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

  /// Map keys up to this size are built on the BPF stack, larger ones in scratch memory.
  static constexpr uint32_t kStackKeyBytes = 64;

  /// The BPF key for `key` (null for a map without keys), with `bucket` appended for hist and
  /// lhist maps. Padding is zeroed: hash maps compare keys byte by byte.
  llvm::Value *build_key(const MapInfo &info, Expression *key, llvm::Value *bucket) {
    if (info.is_array)
      return stack_u32(0);
    // Small keys live on the stack: no scratch lookup for a program whose only composite is its
    // key (`@[comm] = count()`).
    llvm::Value *dst = info.bpf_key_size <= kStackKeyBytes ? entry_alloca(info.bpf_key_size)
                                                           : scratch(info.bpf_key_size);
    const uint32_t user_bytes = info.bpf_key_size - (bucket ? 8 : 0);
    auto *id = dynamic_cast<Identifier *>(key);
    if (id && id->name == "comm" && info.key.kind == TypeKind::String && info.key.size == 16 &&
        user_bytes == 16) {
      // bpf_get_current_comm() pads with zeros (strscpy_pad, kernel/bpf/helpers.c): straight
      // into the key, no copy and no zeroing.
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

  /// Reads `@m[key]` as an expression: 0 (or zeroed memory) when absent; per-CPU aggregations
  /// are summed over every CPU, as bpftrace does since 0.21.
  llvm::Value *map_read(const Map &m, Expression *key) {
    const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
    llvm::Value *k = build_key(info, key, nullptr);
    if (info.per_cpu)
      return percpu_read(m, info, k);
    Type t = info.value;
    llvm::Value *p = call(MapLookupElem, ptr_, {map_ptr(m), k});
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

  llvm::Value *percpu_read(const Map &m, const MapInfo &info, llvm::Value *key) {
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
          llvm::Value *better =
              is_min ? b_.CreateICmpSLT(first, cur) : b_.CreateICmpSGT(first, cur);
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

  void map_write(const Map &m, Expression *key, llvm::Value *value, const Type &from) {
    const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
    llvm::Value *k = build_key(info, key, nullptr);
    llvm::Value *v = scratch(info.bpf_value_size);
    zero(v, info.bpf_value_size, 8);
    store_converted(v, value, from, info.value);
    update(m, k, v);
  }

  void update(const Map &m, llvm::Value *key, llvm::Value *value) {
    llvm::Value *r = call(MapUpdateElem, i64_, {map_ptr(m), key, value, b_.getInt64(kBpfAny)});
    // A failed update (the map is full) is counted per map and reported at exit.
    auto *fail = llvm::BasicBlock::Create(ctx_, "update.fail", fn_);
    auto *done = llvm::BasicBlock::Create(ctx_, "update.end", fn_);
    b_.CreateCondBr(b_.CreateICmpNE(r, b_.getInt64(0)), fail, done);
    b_.SetInsertPoint(fail);
    increment_counter(map_errors_, static_cast<uint32_t>(m.map_id));
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  /// Adds `delta` to this CPU's value of a count or sum map.
  void aggregate_add(const Map &m, Expression *key, llvm::Value *delta) {
    const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
    llvm::Value *k = build_key(info, key, nullptr);
    update_in_place(
        m, info, k,
        [&](llvm::Value *p) { b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, p), delta), p); },
        [&](llvm::Value *fresh) { b_.CreateStore(delta, fresh); });
  }

  /// Looks up `key`; when present, `modify(pointer)` updates it in place (a per-CPU value, so no
  /// atomics); when absent, `init(buffer)` fills a new value that is inserted with BPF_ANY.
  template <typename Modify, typename Init>
  void update_in_place(const Map &m, const MapInfo &info, llvm::Value *key, Modify modify,
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

  void emit_aggregation(const Map &m, Expression *key, Call &call_node) {
    const MapInfo &info = res_.maps[static_cast<size_t>(m.map_id)];
    const std::string &name = call_node.name;
    llvm::Value *v = call_node.args.empty() ? nullptr : emit(call_node.args[0]);
    if (name == "count") {
      aggregate_add(m, key, b_.getInt64(1));
    } else if (name == "sum") {
      aggregate_add(m, key, v);
    } else if (name == "min" || name == "max") {
      bool is_min = name == "min";
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
    } else if (name == "avg" || name == "stats") {
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
    } else if (name == "hist" || name == "lhist") {
      llvm::Value *bucket =
          name == "hist" ? hist_bucket(v, info.value.hist_bits) : lhist_bucket(v, info.value);
      llvm::Value *k = build_key(info, key, bucket);
      update_in_place(
          m, info, k,
          [&](llvm::Value *p) {
            b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, p), b_.getInt64(1)), p);
          },
          [&](llvm::Value *fresh) { b_.CreateStore(b_.getInt64(1), fresh); });
    }
  }

  /// The hist(v, k) bucket of `v`, exactly as hist_bucket() in runtime/aggregation.h (the
  /// reference, which follows upstream bpftrace): with N = 2^k, 0 for v < 0; v + 1 for
  /// 0 <= v < 2N; else ((s + 1) << k) + ((v >> s) & (N - 1)) + 1 with s = floor(log2(v)) - k.
  llvm::Value *hist_bucket(llvm::Value *v, int64_t k) {
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

  /// The linear histogram bucket: 0 below min, then one per step, then one for >= max.
  llvm::Value *lhist_bucket(llvm::Value *v, const Type &t) {
    llvm::Value *min = b_.getInt64(static_cast<uint64_t>(t.lhist_min));
    llvm::Value *max = b_.getInt64(static_cast<uint64_t>(t.lhist_max));
    uint64_t buckets = static_cast<uint64_t>((t.lhist_max - t.lhist_min) / t.lhist_step);
    llvm::Value *inside = b_.CreateAdd(
        b_.CreateUDiv(b_.CreateSub(v, min), b_.getInt64(static_cast<uint64_t>(t.lhist_step))),
        b_.getInt64(1));
    llvm::Value *r = b_.CreateSelect(b_.CreateICmpSGE(v, max), b_.getInt64(buckets + 1), inside);
    return b_.CreateSelect(b_.CreateICmpSLT(v, min), b_.getInt64(0), r);
  }

  // ---- helpers: async actions -----------------------------------------------------------------

  llvm::Value *reserve(uint32_t size, AsyncKind kind, uint32_t id) {
    llvm::Value *rec = call(RingbufReserve, ptr_, {ringbuf_, b_.getInt64(size), b_.getInt64(0)});
    pending_header_ = static_cast<uint64_t>(kind) | (static_cast<uint64_t>(id) << 32);
    return rec;
  }

  /// Fills and submits a reserved record, or counts it as lost when the reservation failed.
  template <typename Fill>
  void with_record(llvm::Value *rec, uint32_t, Fill fill) {
    uint64_t header = pending_header_;
    auto *ok = llvm::BasicBlock::Create(ctx_, "rb.ok", fn_);
    auto *lost = llvm::BasicBlock::Create(ctx_, "rb.lost", fn_);
    auto *done = llvm::BasicBlock::Create(ctx_, "rb.end", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(rec, llvm::ConstantPointerNull::get(ptr_)), lost, ok);
    b_.SetInsertPoint(ok);
    b_.CreateStore(b_.getInt64(header), rec);
    fill(rec);
    call(RingbufSubmit, llvm::Type::getVoidTy(ctx_), {rec, b_.getInt64(0)});
    b_.CreateBr(done);
    b_.SetInsertPoint(lost);
    increment_counter(lost_, prog_index_);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  void emit_printf(Call &n) {
    const PrintfInfo &info = res_.printfs[static_cast<size_t>(n.id)];
    std::vector<llvm::Value *> values;
    for (size_t i = 1; i < n.args.size(); ++i)
      values.push_back(emit(n.args[i]));
    uint32_t size = 8 + align8(info.args.size);
    llvm::Value *rec = reserve(size, AsyncKind::Printf, static_cast<uint32_t>(n.id));
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

  // ---- helpers: plumbing ----------------------------------------------------------------------

  llvm::Value *call(int64_t helper, llvm::Type *ret, std::vector<llvm::Value *> args) {
    std::vector<llvm::Type *> types;
    for (llvm::Value *a : args)
      types.push_back(a->getType());
    auto *fn_type = llvm::FunctionType::get(ret, types, false);
    llvm::Value *fn = b_.CreateIntToPtr(b_.getInt64(static_cast<uint64_t>(helper)), ptr_);
    return b_.CreateCall(fn_type, fn, args);
  }

  /// A stack slot of `bytes` (8-byte aligned) for a temporary of the current statement; slots
  /// are pooled per size and handed out again to later statements.
  llvm::Value *entry_alloca(uint32_t bytes = 8) {
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

  /// A pointer to a u32 constant on the stack (map keys), one slot per value and program,
  /// written once in the entry block.
  llvm::Value *stack_u32(uint32_t v) {
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

  /// An 8-byte-aligned piece of this program's scratch region, free until the end of the
  /// current statement.
  llvm::Value *scratch(uint32_t bytes) {
    uint32_t offset = scratch_used_;
    scratch_used_ += align8(std::max<uint32_t>(bytes, 1));
    scratch_peak_ = std::max(scratch_peak_, scratch_used_);
    if (scratch_used_ > kMaxScratch)
      return entry_alloca(8); // reported after the program is generated
    return b_.CreateGEP(i8_, scratch_base_, b_.getInt64(offset));
  }

  llvm::Value *lookup_state() {
    llvm::Value *p = call(MapLookupElem, ptr_, {state_, stack_u32(0)});
    // The array always has its entry; the check is for the verifier.
    branch_if_null(p, return_block_);
    return p;
  }

  void increment_counter(llvm::GlobalVariable *map, uint32_t index) {
    llvm::Value *p = call(MapLookupElem, ptr_, {map, stack_u32(index)});
    conditional_nonnull(p, [&](llvm::Value *v) {
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, v), b_.getInt64(1)), v);
    });
  }

  template <typename Body>
  void conditional_nonnull(llvm::Value *p, Body body) {
    auto *yes = llvm::BasicBlock::Create(ctx_, "nonnull", fn_);
    auto *done = llvm::BasicBlock::Create(ctx_, "nonnull.end", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(p, llvm::ConstantPointerNull::get(ptr_)), done, yes);
    b_.SetInsertPoint(yes);
    body(p);
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
  }

  void branch_if_null(llvm::Value *p, llvm::BasicBlock *target) {
    auto *next = llvm::BasicBlock::Create(ctx_, "cont", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(p, llvm::ConstantPointerNull::get(ptr_)), target, next);
    b_.SetInsertPoint(next);
  }

  void branch_unless(llvm::Value *cond, llvm::BasicBlock *target) {
    auto *next = llvm::BasicBlock::Create(ctx_, "cont", fn_);
    b_.CreateCondBr(cond, next, target);
    b_.SetInsertPoint(next);
  }

  void start_dead_block() { b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "dead", fn_)); }

  void at(const SourceRange &loc) {
    b_.SetCurrentDebugLocation(mod_.location(fn_, static_cast<unsigned>(loc.begin.line),
                                             static_cast<unsigned>(loc.begin.column)));
  }

  const Type &variable_type(const Variable &v) {
    return sema_.variables[static_cast<size_t>(v.var_id)].type;
  }

  llvm::Value *variable_slot(const Variable &v) {
    auto it = var_slots_.find(v.var_id);
    if (it != var_slots_.end())
      return it->second;
    const Type &t = variable_type(v);
    llvm::Value *slot;
    if (is_composite(t)) {
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

  int64_t constant_int(Expression *e) { return fold_constant(e, options_.params).value_or(0); }

  struct Loop {
    llvm::BasicBlock *break_target;
    llvm::BasicBlock *continue_target;
  };

  Program &program_;
  const SemaResult &sema_;
  const Resources &res_;
  const CodegenOptions &options_;
  BpfModule mod_;
  llvm::LLVMContext &ctx_;
  llvm::IRBuilder<> b_;
  llvm::Type *i8_, *i32_, *i64_;
  llvm::PointerType *ptr_;
  KernelBtf btf_;
  uint32_t possible_cpus_ = 1;
  uint64_t online_cpus_ = 1;

  std::vector<llvm::GlobalVariable *> maps_;
  llvm::Function *count_callback_ = nullptr;
  llvm::GlobalVariable *ringbuf_ = nullptr, *state_ = nullptr, *lost_ = nullptr,
                       *map_errors_ = nullptr, *scratch_placeholder_ = nullptr;
  uint32_t max_scratch_ = 0;
  std::string error_;
  std::optional<SourceRange> error_loc_; // where error_ is, when it is about one probe

  // The program being generated.
  const ProbeProgram *prog_ = nullptr;
  uint32_t prog_index_ = 0;
  const TracepointFormat *format_ = nullptr;
  llvm::Function *fn_ = nullptr;
  llvm::Value *ctx_arg_ = nullptr;
  std::vector<llvm::GlobalVariable *> prog_arrays_; // parallel to res_.dispatchers
  std::vector<llvm::GlobalVariable *> probe_names_; // parallel to res_.dispatchers, or null
  llvm::Value *syscall_nr_ = nullptr; // a raw syscall program's system call number, if known
  llvm::Value *record_ = nullptr;     // a tracepoint's record: the context, or a raw program's copy
  llvm::BasicBlock *entry_ = nullptr, *return_block_ = nullptr;
  llvm::Value *scratch_base_ = nullptr;
  uint32_t scratch_used_ = 0, scratch_peak_ = 0;
  std::map<uint32_t, llvm::Value *> u32_slots_;
  std::map<uint32_t, std::vector<llvm::Value *>> stack_pool_; // by size in bytes
  std::map<uint32_t, size_t> stack_next_;                     // first free slot per size
  std::map<int, llvm::Value *> var_slots_;
  std::vector<Loop> loops_;
  llvm::Value *result_ = nullptr;
  uint64_t pending_header_ = 0;
};

} // namespace

CodegenResult generate(ast::Program &program, const SemaResult &sema, const SourceFile &source,
                       const CodegenOptions &options) {
  Generator gen(program, sema, source, options);
  return gen.run();
}

} // namespace scry
