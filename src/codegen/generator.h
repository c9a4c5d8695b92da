// The code generator's private header, included only by src/codegen/*.cpp: the class
// `Generator`, which walks the typed AST of each probe of sema's plan and writes its BPF
// program as LLVM IR into a BpfModule. Each section of the class names the file that
// defines its member functions.
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
#pragma once

#include "codegen/bpf_module.h"
#include "codegen/codegen.h"
#include "sema/btf.h"
#include "sema/resources.h"
#include "sema/tracepoint_format.h"

#include <algorithm>
#include <cstdint>
#include <linux/bpf.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scry::codegen_detail {

using namespace ast;

// linux/bpf.h: enum bpf_map_type.
constexpr uint32_t kMapHash = BPF_MAP_TYPE_HASH, kMapArray = BPF_MAP_TYPE_ARRAY,
                   kMapPercpuHash = BPF_MAP_TYPE_PERCPU_HASH,
                   kMapPercpuArray = BPF_MAP_TYPE_PERCPU_ARRAY,
                   kMapProgArray = BPF_MAP_TYPE_PROG_ARRAY, kMapRingbuf = BPF_MAP_TYPE_RINGBUF,
                   kMapPerfEventArray = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
                   kMapLruHash = BPF_MAP_TYPE_LRU_HASH,
                   kMapLruPercpuHash = BPF_MAP_TYPE_LRU_PERCPU_HASH;
// linux/bpf.h: enum bpf_func_id.
enum Helper : int64_t {
  MapLookupElem = BPF_FUNC_map_lookup_elem,
  MapUpdateElem = BPF_FUNC_map_update_elem,
  MapDeleteElem = BPF_FUNC_map_delete_elem,
  KtimeGetNs = BPF_FUNC_ktime_get_ns,
  KtimeGetBootNs = BPF_FUNC_ktime_get_boot_ns,
  GetPrandomU32 = BPF_FUNC_get_prandom_u32,
  GetSmpProcessorId = BPF_FUNC_get_smp_processor_id,
  GetNumaNodeId = BPF_FUNC_get_numa_node_id,
  TailCall = BPF_FUNC_tail_call,
  GetCurrentPidTgid = BPF_FUNC_get_current_pid_tgid,
  GetCurrentUidGid = BPF_FUNC_get_current_uid_gid,
  GetCurrentComm = BPF_FUNC_get_current_comm,
  GetCurrentTask = BPF_FUNC_get_current_task,
  ProbeRead = BPF_FUNC_probe_read,
  ProbeReadStr = BPF_FUNC_probe_read_str,
  GetCurrentCgroupId = BPF_FUNC_get_current_cgroup_id,
  ProbeReadUser = BPF_FUNC_probe_read_user,
  ProbeReadKernel = BPF_FUNC_probe_read_kernel,
  ProbeReadUserStr = BPF_FUNC_probe_read_user_str,
  ProbeReadKernelStr = BPF_FUNC_probe_read_kernel_str,
  Jiffies64 = BPF_FUNC_jiffies64,
  ForEachMapElem = BPF_FUNC_for_each_map_elem,
  BpfLoop = BPF_FUNC_loop,
  RingbufReserve = BPF_FUNC_ringbuf_reserve,
  RingbufSubmit = BPF_FUNC_ringbuf_submit,
  MapLookupPercpuElem = BPF_FUNC_map_lookup_percpu_elem,
  GetStack = BPF_FUNC_get_stack,
  GetAttachCookie = BPF_FUNC_get_attach_cookie,
  GetFuncIp = BPF_FUNC_get_func_ip,
  SeqPrintf = BPF_FUNC_seq_printf,
  SendSignal = BPF_FUNC_send_signal,
  SendSignalThread = BPF_FUNC_send_signal_thread,
  GetNsCurrentPidTgid = BPF_FUNC_get_ns_current_pid_tgid,
  KtimeGetTaiNs = BPF_FUNC_ktime_get_tai_ns,
  TracePrintk = BPF_FUNC_trace_printk,
  GetSocketCookie = BPF_FUNC_get_socket_cookie,
  DPath = BPF_FUNC_d_path,
  OverrideReturn = BPF_FUNC_override_return,
  ProbeWriteUser = BPF_FUNC_probe_write_user,
  PerCpuPtr = BPF_FUNC_per_cpu_ptr,
  ThisCpuPtr = BPF_FUNC_this_cpu_ptr,
  SkbOutput = BPF_FUNC_skb_output,
};
constexpr uint64_t kBpfAny = BPF_ANY;
// A probe's scratch region. Up to 32 KiB (the limit of a per-CPU map value, mm/percpu.c
// PCPU_MIN_UNIT_SIZE) the scratch map is a per-CPU array; beyond, a plain array with a region
// per CPU and program, indexed by bpf_get_smp_processor_id(). Either way it costs possible CPUs
// x programs x the largest probe's need in kernel memory.
constexpr uint32_t kMaxPercpuScratch = 32 * 1024;
constexpr uint32_t kMaxScratch = 1024 * 1024;

inline bool is_composite(const Type &t) {
  switch (t.kind) {
  case TypeKind::String:
  case TypeKind::Buffer:
  case TypeKind::Tuple:
  case TypeKind::Record:
  case TypeKind::Array:
  case TypeKind::Stack:
  case TypeKind::Usym:
  case TypeKind::Inet:
  case TypeKind::MacAddress:
    return true;
  default:
    return false;
  }
}

inline uint32_t align8(uint32_t n) {
  return (n + 7) / 8 * 8;
}

class Generator : public Visitor {
public:
  Generator(const SemaResult &sema, const SourceFile &source, const CodegenOptions &options);

  CodegenResult run();

  /// Names the probe, not the BPF function that implements it, in an error from LLVM, and
  /// sets the error's location to the probe's.
  void name_probe(CodegenResult &result) const;

private:
  // ---- generator.cpp: programs, maps, stack and scratch memory --------------------------------
  void declare_maps();

  void finish_maps();

  void generate_program(size_t index);

  /// A SyscallDispatcher: takes the system call number as the probe programs do and tail-calls
  /// the program at that index of its array. When the slot is empty (no probe for this system
  /// call) bpf_tail_call() returns and so does the dispatcher.
  void generate_dispatcher(const SyscallDispatcher &d);

  /// `probe` in a program shared by several system calls: its dispatcher's probe_names entry
  /// for the current system call number, as a string of `size` bytes. The map's values are
  /// NUL-padded and sized for the system calls' names only; `size` is the probe's, which other
  /// attach points of the same probe may make longer or shorter.
  llvm::Value *probe_name_by_nr(uint32_t size);
  /// A shared uprobe program's `probe` (offset 0) or `func` (offset group_probe_bytes): the
  /// name `bytes` long at `offset` in its names map, under the attachment's cookie, as a
  /// string of `size` bytes.
  llvm::Value *group_name(uint32_t offset, uint32_t bytes, uint32_t size);

  /// Removes the scratch region's lookup (a helper call on every event) from a program that
  /// never used it. `check` is the block that ends with the lookup's null check.
  void drop_scratch_lookup(llvm::BasicBlock *check);

  /// Gives every scratch variable of `probe` its slot before any statement is generated.
  void allocate_variables(Probe &probe);

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

  llvm::Value *call(int64_t helper, llvm::Type *ret, std::vector<llvm::Value *> args);

  /// A call of the standard library's C function `name` (stdlib/*.bpf.c, `__scry_*`), declared
  /// here with the arguments' types and linked from the embedded bitcode by BpfModule::emit().
  llvm::Value *call_stdlib(const char *name, llvm::Type *ret, std::vector<llvm::Value *> args);

  /// Records that sema accepted something codegen has no code for (a bug in scry, reported as
  /// an error at `loc` rather than generated wrong), and leaves a 0 as the value.
  void internal_error(const SourceRange &loc, const std::string &what);

  /// A stack slot of `bytes` (8-byte aligned) for a temporary of the current statement; slots
  /// are pooled per size and handed out again to later statements.
  llvm::Value *entry_alloca(uint32_t bytes = 8);

  /// A pointer to a u32 constant on the stack (map keys), one slot per value and program,
  /// written once in the entry block.
  llvm::Value *stack_u32(uint32_t v);

  /// An 8-byte-aligned piece of this program's scratch region, free until the end of the
  /// current statement.
  llvm::Value *scratch(uint32_t bytes);

  llvm::Value *lookup_state();

  void increment_counter(llvm::GlobalVariable *map, uint32_t index);

  template <typename Body>
  void conditional_nonnull(llvm::Value *p, Body body);

  void branch_if_null(llvm::Value *p, llvm::BasicBlock *target);

  void branch_unless(llvm::Value *cond, llvm::BasicBlock *target);

  void start_dead_block() { b_.SetInsertPoint(llvm::BasicBlock::Create(ctx_, "dead", fn_)); }

  void at(const SourceRange &loc);

  const Type &variable_type(const Variable &v) {
    return sema_.variables[static_cast<size_t>(v.var_id)].type;
  }

  llvm::Value *variable_slot(const Variable &v);

  int64_t constant_int(Expression *e);

  // ---- statements.cpp -------------------------------------------------------------------------
  void emit_block(Block &block, bool value_is_statement);

  void visit(Block &n) override;
  void visit(BlockStatement &n) override;
  void visit(ExprStatement &n) override;
  void visit(Assignment &n) override;
  void visit(VarDecl &n) override;
  void visit(If &n) override;
  void visit(Unroll &n) override;
  void visit(While &n) override;
  void visit(ForRange &n) override;
  void visit(Jump &n) override;

  // ---- loops.cpp: loops whose body is a BPF callback ------------------------------------------
  // `for ($kv : @map)` runs its body in a callback of bpf_for_each_map_elem (kernel 5.13), and a
  // range the verifier cannot walk (bounds known at run time, or many iterations) in one of
  // bpf_loop (5.17). A callback is a separate function: the probe's variables then live in its
  // scratch region (the same per-CPU bytes, looked up again in the callback), the context and
  // the system call number travel in a frame on the caller's stack, and a `return` in the body
  // sets a flag in scratch memory that each caller checks when the helper returns.
  void visit(ForMap &n) override;

  /// Whether `n` runs through bpf_loop(): bounds known only at run time, or more iterations
  /// than kInlineRangeIterations.
  bool range_uses_bpf_loop(ForRange &n);

  void emit_range_with_bpf_loop(ForRange &n);

  /// Whether `probe` has a loop whose body is a callback.
  bool has_callback_loops(Probe &probe);

  struct Loop {
    llvm::BasicBlock *break_target;
    llvm::BasicBlock *continue_target;
  };

  /// What a function being generated holds, saved while a callback is generated.
  struct FunctionState {
    llvm::Function *fn;
    llvm::BasicBlock *entry, *return_block;
    llvm::Value *return_value, *return_flag, *scratch_base, *ctx_arg, *record, *syscall_nr;
    std::map<int, llvm::Value *> var_slots;
    std::map<uint32_t, llvm::Value *> u32_slots;
    std::map<uint32_t, std::vector<llvm::Value *>> stack_pool;
    std::map<uint32_t, size_t> stack_next;
    std::vector<Loop> loops;
    llvm::IRBuilderBase::InsertPoint ip;
    llvm::DebugLoc debug_loc;
  };

  /// The frame a loop's callback receives: the context and the system call number.
  llvm::Value *loop_frame();

  /// Makes `cb` (whose frame argument is `frame`) the function being generated; `loc` is the
  /// loop's, for its debug locations. Returns the caller's state for leave_callback().
  FunctionState enter_callback(llvm::Function *cb, llvm::Value *frame, const SourceRange &loc);

  void leave_callback(const FunctionState &saved);

  /// The body of a loop callback, with break (return 1: stop) and continue (return 0).
  void emit_callback_body(Block &body);

  /// After a loop helper returns: leaves the function when the body ran `return`.
  void after_callback_loop();

  /// The same scratch bytes as `v` (made by scratch() in any function) in the current
  /// function's scratch region.
  llvm::Value *rebase_scratch(llvm::Value *v);

  /// Constant ranges with more iterations than this run through bpf_loop(): the verifier walks
  /// an inline loop once per iteration.
  static constexpr int64_t kInlineRangeIterations = 1024;

  // ---- expressions.cpp: operators, literals, casts --------------------------------------------
  llvm::Value *emit(Expression *e);

  void visit(Integer &n) override;
  void visit(Boolean &n) override;
  void visit(String &n) override;
  void visit(Variable &n) override;
  void visit(Unary &n) override;
  void visit(Binary &n) override;
  void visit(Ternary &n) override;
  void visit(Cast &n) override;
  void visit(Tuple &n) override;
  void visit(Record &n) override;
  void visit(Sizeof &n) override;
  void visit(Offsetof &n) override;
  void visit(BlockExpr &n) override;

  /// `l op r` on 64-bit values of types `lt` and `rt`, converted to `result`.
  /// `division_warning` is the runtime warning a `/` or `%` sends when `r` is 0 (or -1).
  llvm::Value *arithmetic(BinaryOp op, llvm::Value *l, const Type &lt, llvm::Value *r,
                          const Type &rt, const Type &result, int division_warning = -1);

  /// The divisor of a `/` or `%`: 1 where `r` is 0, as in bpftrace, after sending the runtime
  /// warning `warning` (when >= 0). LLVM takes a division by 0 for undefined behaviour, so it
  /// must never see one.
  llvm::Value *nonzero_divisor(llvm::Value *r, int warning);
  /// Where `bad` (an i1) holds, sends runtime warning `warning` (a RuntimeError record the
  /// runtime prints once per site, carrying `detail`, an i64, or 0) and goes on; `name` labels
  /// the blocks.
  void warn_if(llvm::Value *bad, int warning, const char *name, llvm::Value *detail = nullptr);

  /// With -k (or `always`): where helper `helper`'s result `ret` says it failed (a negative
  /// int, or a null pointer from a map lookup), sends a warning located at the expression being
  /// generated (else the statement), with the return code. Returns `ret`.
  llvm::Value *check_helper(llvm::Value *ret, int64_t helper, bool always = false);

  /// Signed division or remainder from unsigned operations (no sdiv before BPF cpu v4). C's
  /// truncation toward zero; division by zero gives 0 and remainder by zero gives l, like BPF.
  llvm::Value *signed_div(llvm::Value *l, llvm::Value *r, bool remainder);

  void emit_logical(Binary &n);

  void emit_increment(Unary &n);

  // ---- values.cpp: how values are held and moved ----------------------------------------------
  /// A scalar's i64 from a value that may be a composite (only scalars are expected).
  llvm::Value *to_i64(llvm::Value *v, const Type &) { return v; }

  /// The current task's process id (tid: thread id) as an i64: as the initial pid namespace
  /// sees it when `init` or when scry runs there, else as scry's pid namespace sees it
  /// (bpf_get_ns_current_pid_tgid; 0 for a task outside it).
  llvm::Value *current_pid_tid(bool tid, bool init);

  /// usermode: 1 when the probe interrupted user code (the saved pt_regs' cs has privilege
  /// level 3, x86_64), else 0; a constant where no registers are saved (1 in begin and end,
  /// whose task is scry in user space, 0 elsewhere), as in bpftrace.
  llvm::Value *usermode();

  /// nsecs(clock): nanoseconds of CLOCK_BOOTTIME, CLOCK_MONOTONIC or CLOCK_TAI (kernel
  /// helpers), or sw_tai: CLOCK_BOOTTIME plus TAI's offset from it, measured once when compiling.
  llvm::Value *clock_ns(Clock clock);

  llvm::Value *truth(llvm::Value *v) { return b_.CreateICmpNE(v, b_.getInt64(0)); }

  /// Re-extends an i64 holding a value of `from` to the representation of `to`.
  llvm::Value *convert_scalar(llvm::Value *v, const Type &from, const Type &to);

  llvm::Value *load_value(llvm::Value *ptr, const Type &t);

  void store_value(llvm::Value *ptr, llvm::Value *v, const Type &t);

  /// Stores a value of type `from` where a value of type `to` lives (strings of another size,
  /// tuples whose parts widened).
  void store_converted(llvm::Value *dst, llvm::Value *v, const Type &from, const Type &to);

  /// The alignment of `ptr` that code generation can vouch for: every root pointer here (map
  /// values, scratch, ring-buffer records, stack slots) is 8-byte aligned, and constant offsets
  /// from it keep the alignment they have.
  static uint32_t known_align(llvm::Value *ptr);

  /// Moves or clears `size` bytes in the widest chunks the pointers' alignment allows (BPF has
  /// no unaligned access, so LLVM splits a misaligned 8-byte access into single bytes). The
  /// accesses are volatile: LLVM would otherwise merge them into memcpy/memset calls, which the
  /// BPF backend cannot lower for large sizes.
  /// Above this many bytes, a move or clear is one bpf_probe_read_kernel call.
  void move_bytes(llvm::Value *dst, llvm::Value *src, uint32_t size);
  static constexpr uint32_t kInlineMoveBytes = 128;

  void copy(llvm::Value *dst, llvm::Value *src, uint32_t size, uint32_t) {
    move_bytes(dst, src, size);
  }

  void zero(llvm::Value *dst, uint32_t size, uint32_t) { move_bytes(dst, nullptr, size); }

  /// Zeroes the bytes of a tuple or record (of `total` bytes) that no field covers, so that
  /// records sent to user space and keys compared byte by byte carry no stale bytes.
  void zero_padding(llvm::Value *dst, const Type &t, uint32_t total);

  llvm::Value *constant_string(const std::string &value, uint32_t size);
  /// A copy of `bytes` in scratch memory (an array's or a record's value), as constant_string.
  llvm::Value *constant_bytes(const std::string &bytes);

  /// Whether two NUL-terminated strings in scry memory are equal (an i1).
  llvm::Value *strings_equal(llvm::Value *a, uint32_t a_size, llvm::Value *b, uint32_t b_size);
  static constexpr uint32_t kInlineCompareBytes = 32; // longer strings compare in a loop
  static constexpr uint32_t kLoopCompareBytes = 1024; // longer ones with bpf_loop

  /// The length of the NUL-terminated string at `s`, a buffer of `size` bytes (an i64).
  llvm::Value *string_length(llvm::Value *s, uint32_t size);

  enum ByteLoop { Compare, Length };
  /// The bpf_loop callback that compares two strings of `n` bytes, or finds the length of
  /// one, a byte per call (one per kind and size).
  llvm::Function *byte_loop_callback(ByteLoop kind, uint32_t n);
  std::map<std::pair<ByteLoop, uint32_t>, llvm::Function *> byte_loop_callbacks_;

  // ---- memory.cpp: the context, kernel and user memory ----------------------------------------
  /// The integer of type `t` at byte `offset` of the program's context, as an i64 (sign- or
  /// zero-extended), read with one load instruction from the unmodified context register.
  llvm::Value *load_context(uint32_t offset, const Type &t);
  /// argN of a uprobe: the register of argument `index`, or its stack slot from the seventh on.
  llvm::Value *function_argument(uint32_t index);
  /// `args.NAME` of a uprobe: the register sema found for the parameter, as its type.
  llvm::Value *uprobe_arg_field(FieldAccess &n);
  /// A uprobe's `args` as a whole: a record of its parameters, each from its register.
  llvm::Value *uprobe_args_record(const Type &t);
  /// Argument `index` of an fentry, fexit or tp_btf program (ContextKind::BtfArguments) as type
  /// `t`; fexit's return value is the one after the last argument.
  llvm::Value *btf_argument(uint32_t index, const Type &t);
  /// `args.NAME` of such a program: the argument of that name in its BTF prototype.
  llvm::Value *btf_arg_field(FieldAccess &n);
  /// Its `args` as a whole: a record of the arguments.
  llvm::Value *btf_args_record(const Type &t);

  /// One u64 of a raw tracepoint program's context: the tracepoint's argument `index`.
  llvm::Value *raw_argument(uint32_t index);

  /// Reads the saved user register at `offset` of struct pt_regs (the raw syscall tracepoints'
  /// first argument) into `dst` (8 bytes).
  void read_syscall_register(llvm::Value *dst, uint32_t offset);

  /// For a raw program on sys_enter / sys_exit: the system call number (sys_enter's second
  /// argument; at sys_exit the saved orig_ax, as the kernel's syscall_get_nr() reads it), and
  /// for syscalls:* programs the early return unless it is the probe's system call. Null when
  /// the program needs no number.
  llvm::Value *raw_syscall_number(const ProbeProgram &p);

  /// A raw syscall program's copy of the classic tracepoint's record, in scratch memory, with
  /// the fields the probe reads filled in (format file offsets; the others stay unwritten):
  /// the number (`__syscall_nr`, `id`), the return value (`ret`, sys_exit's second argument) and
  /// the arguments (`args[6]`, or syscalls:sys_enter_X's named fields: field i at offset 16 + 8i
  /// is argument i) read from the saved user registers.
  llvm::Value *raw_syscall_record(const ProbeProgram &p, llvm::Value *nr);

  void visit(FieldAccess &n) override;
  void visit(TupleAccess &n) override;
  void visit(Index &n) override;

  struct KernelAddr {
    llvm::Value *address; // i64
    AddressSpace space;
    uint32_t bitfield_shift = 0, bitfield_bits = 0;
  };

  /// Whether `e` denotes memory in the kernel or a traced process (a struct reached through a
  /// pointer), whose address can be computed without reading it.
  bool kernel_memory(Expression *e);

  /// The address (an i64) of a place in scry's own memory sema accepted for `&`
  /// (TypeChecker::held_place): a variable's slot, a map's value (0 when the key is absent),
  /// or a field or element of one.
  llvm::Value *held_address(Expression *e);

  KernelAddr kernel_address(Expression *e);

  /// `i < count` (unsigned: a negative index is out of range) for an array indexed at run time;
  /// when it is not, the program reports runtime warning `warning` (Index::bounds_warning).
  llvm::Value *index_in_range(llvm::Value *i, uint32_t count, int warning);

  /// Reads a value of type `t` at `address` in kernel or user memory.
  llvm::Value *read_at(llvm::Value *address, const Type &t, AddressSpace space, uint32_t shift,
                       uint32_t bits);

  llvm::Value *read_memory(llvm::Value *pointer, const Type &t, AddressSpace space) {
    return read_at(pointer, t, space, 0, 0);
  }

  /// `e` for a function that takes its bytes, not its text (ntop, macaddr, buf, memcmp): a
  /// char array read from memory is copied whole, bytes after a NUL included (an IPv6 or MAC
  /// address often starts with one), where as a string it would stop at the first NUL.
  llvm::Value *emit_bytes(Expression *e);

  /// `args.name`: a field of the tracepoint's record, at ctx + offset.
  llvm::Value *tracepoint_field(FieldAccess &n);

  // ---- calls.cpp: builtins, ring-buffer records -----------------------------------------------
  void visit(Identifier &n) override;
  void visit(PositionalParameter &n) override;
  void visit(Call &n) override;

  void emit_str(Call &n);

  llvm::Value *reserve(uint32_t size, AsyncKind kind, uint32_t id);

  /// Fills and submits a reserved record, or counts it as lost when the reservation failed.
  template <typename Fill>
  void with_record(llvm::Value *rec, uint32_t, Fill fill);

  /// printf() and cat() (AsyncKind::Cat: the formatted text names the file).
  void emit_printf(Call &n);
  /// printf in a pinned iterator: bpf_seq_printf into its seq_file (seq_printf.cpp).
  void emit_seq_printf(Call &n);

  // ---- library_calls.cpp: bswap, ntop, strftime, buf, syscall_name ---------------------------
  void emit_library_call(Call &n);
  /// join(): an AsyncKind::Join record of the array's first kJoinElements strings.
  void emit_join(Call &n);
  /// buf(): base/types.h's Buffer { u32 length; u8 data[] } in scratch memory.
  llvm::Value *emit_buf(Call &n);
  /// A call of a function of an imported .bpf.c file, declared with the LLVM types clang gives
  /// its prototype and linked by BpfModule::emit().
  void emit_c_function_call(Call &n);

  // ---- stacks.cpp: kstack, ustack, ksym, usym -------------------------------------------------
  /// A kstack or ustack value of type `t` (base/types.h's layout) in scratch memory.
  llvm::Value *emit_stack(const Type &t);
  /// usym(addr): { u64 addr; i32 pid; i32 probe } in scratch memory.
  llvm::Value *emit_usym(llvm::Value *addr);
  /// Tells user space, once per process, that a stack or symbol of process `tgid` was taken,
  /// so that its mappings are read while it lives (AsyncKind::ProcessSeen).
  void process_seen(llvm::Value *tgid);

  // ---- maps.cpp: keys, reads, writes, aggregations --------------------------------------------
  void visit(Map &n) override;
  void visit(MapAccess &n) override;

  /// len(@m): the number of entries, counted by bpf_for_each_map_elem (kernel 5.13+) with a
  /// callback that increments a counter on the stack. An array map always holds its one entry.
  void emit_len(Call &n);

  llvm::Value *map_ptr(const Map &m) { return maps_[static_cast<size_t>(m.map_id)]; }

  static Type read_type_of(const MapInfo &info);

  /// The BPF key for `key` (null for a map without keys), with `bucket` appended for hist and
  /// lhist maps. Padding is zeroed: hash maps compare keys byte by byte.
  llvm::Value *build_key(const MapInfo &info, Expression *key, llvm::Value *bucket);

  /// Reads `@m[key]` as an expression: 0 (or zeroed memory) when absent; per-CPU aggregations
  /// are summed over every CPU, as bpftrace does since 0.21.
  llvm::Value *map_read(const Map &m, Expression *key);

  llvm::Value *percpu_read(const Map &m, const MapInfo &info, llvm::Value *key);

  void map_write(const Map &m, Expression *key, llvm::Value *value, const Type &from);

  void update(const Map &m, llvm::Value *key, llvm::Value *value);

  /// Adds `delta` to this CPU's value of a count or sum map.
  void aggregate_add(const Map &m, Expression *key, llvm::Value *delta);

  /// Looks up `key`; when present, `modify(pointer)` updates it in place (a per-CPU value, so no
  /// atomics); when absent, `init(buffer)` fills a new value that is inserted with BPF_ANY.
  template <typename Modify, typename Init>
  void update_in_place(const Map &m, const MapInfo &info, llvm::Value *key, Modify modify,
                       Init init);

  void emit_aggregation(const Map &m, Expression *key, Call &call_node);

  /// The hist(v, k) bucket of `v`, exactly as hist_bucket() in runtime/aggregation.h (the
  /// reference, which follows upstream bpftrace): with N = 2^k, 0 for v < 0; v + 1 for
  /// 0 <= v < 2N; else ((s + 1) << k) + ((v >> s) & (N - 1)) + 1 with s = floor(log2(v)) - k.
  llvm::Value *hist_bucket(llvm::Value *v, int64_t k);
  /// tseries(v, ...) into map `m` at `key` (maps.cpp; the slot's layout is base/types.h's).
  void emit_tseries(const Map &m, Expression *key, const MapInfo &info, llvm::Value *v);

  /// The linear histogram bucket: 0 below min, then one per step, then one for >= max.
  llvm::Value *lhist_bucket(llvm::Value *v, const Type &t);

  /// Map keys up to this size are built on the BPF stack, larger ones in scratch memory.
  static constexpr uint32_t kStackKeyBytes = 64;

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
                       *map_errors_ = nullptr, *scratch_placeholder_ = nullptr,
                       *seen_processes_ = nullptr, *skb_output_ = nullptr;
  uint32_t max_scratch_ = 0;
  /// Each program's lookup of its scratch region, with the program's index: finish_maps()
  /// gives them per-CPU keys when the scratch map is a plain array.
  std::vector<std::pair<llvm::CallInst *, uint32_t>> scratch_lookups_;
  std::string error_;
  std::optional<SourceRange> error_loc_;        // where error_ is, when it is about one probe
  const SourceRange *expr_loc_ = nullptr;       // the innermost expression being generated
  SourceRange stmt_loc_{};                      // the statement being generated
  std::vector<RuntimeErrorInfo> helper_errors_; // -k's sites (CodegenResult::helper_errors)

  // The program being generated.
  const ProbeProgram *prog_ = nullptr;
  uint32_t prog_index_ = 0;
  const TracepointFormat *format_ = nullptr;
  llvm::Function *fn_ = nullptr;
  llvm::Value *ctx_arg_ = nullptr;
  std::vector<llvm::GlobalVariable *> prog_arrays_;        // parallel to res_.dispatchers
  std::vector<llvm::GlobalVariable *> probe_names_;        // parallel to res_.dispatchers, or null
  std::map<uint32_t, llvm::GlobalVariable *> group_names_; // a uprobe group's leader -> names
  llvm::Value *syscall_nr_ = nullptr; // a raw syscall program's system call number, if known
  llvm::Value *record_ = nullptr;     // a tracepoint's record: the context, or a raw program's copy
  llvm::BasicBlock *entry_ = nullptr, *return_block_ = nullptr;
  llvm::Value *return_value_ = nullptr; // what the program returns: `return N` (test probes)
  llvm::Value *scratch_base_ = nullptr;
  uint32_t scratch_used_ = 0, scratch_peak_ = 0;
  std::map<uint32_t, llvm::Value *> u32_slots_;
  std::map<uint32_t, std::vector<llvm::Value *>> stack_pool_; // by size in bytes
  std::map<uint32_t, size_t> stack_next_;                     // first free slot per size
  std::map<int, llvm::Value *> var_slots_;
  std::vector<Loop> loops_;
  // Loops with callbacks (loops.cpp): whether the probe has one (its variables then live in
  // scratch memory), the scratch offset of each value scratch() made, the flag a `return` in
  // a callback sets (and the value it returns), and the callbacks made so far.
  bool variables_in_scratch_ = false;
  // Set by emit_bytes while it emits its expression: read_at copies char arrays whole.
  bool bytes_wanted_ = false;
  std::map<llvm::Value *, uint32_t> scratch_offsets_;
  llvm::Value *return_flag_ = nullptr, *callback_return_value_ = nullptr;
  uint32_t callbacks_ = 0;
  llvm::Value *result_ = nullptr;
  uint64_t pending_header_ = 0;
};

// The member templates that more than one file instantiates (update_in_place, used only by
// maps.cpp, is defined there).

template <typename Fill>
void Generator::with_record(llvm::Value *rec, uint32_t, Fill fill) {
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

template <typename Body>
void Generator::conditional_nonnull(llvm::Value *p, Body body) {
  auto *yes = llvm::BasicBlock::Create(ctx_, "nonnull", fn_);
  auto *done = llvm::BasicBlock::Create(ctx_, "nonnull.end", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(p, llvm::ConstantPointerNull::get(ptr_)), done, yes);
  b_.SetInsertPoint(yes);
  body(p);
  b_.CreateBr(done);
  b_.SetInsertPoint(done);
}

} // namespace scry::codegen_detail
