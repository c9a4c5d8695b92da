// scry's value types: what sema assigns to every expression, what codegen lays out in BPF
// memory (maps, ring-buffer records, scratch space), and what the runtime decodes and prints.
//
// One layout rule everywhere: C's. A tuple, record or map key is laid out like a C struct of
// its parts (natural alignment, padding zeroed), so a value's bytes mean the same thing in the
// kernel and in user space, and `bpftool map dump` shows them with BTF.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace scry {

/// A kernel variable a program declares as a typed __ksym for libbpf to resolve against the
/// running kernel's BTF (percpu_kaddr()). libbpf compares the declared type with the kernel's
/// by kind and, for structs and unions, by name only: an empty struct of the right name is
/// enough.
struct KernelVariable {
  enum class Kind { Struct, Union, Integer };
  std::string name; // the kernel's symbol, e.g. "runqueues"
  Kind kind = Kind::Integer;
  std::string type_name; // the struct's or union's name; empty for an integer
  uint32_t size = 0;     // the type's size in bytes
};

enum class TypeKind : uint8_t {
  None,       // not typed (yet), or the type of an erroneous expression
  Void,       // the result of a call that produces no value (printf, clear, ...)
  Integer,    // size 1, 2, 4 or 8 bytes; is_signed
  Boolean,    // 1 byte, 0 or 1
  String,     // size bytes, NUL-terminated within them (at most size - 1 characters)
  Buffer,     // buf(): { u32 length; u8 data[size - 4] }
  Pointer,    // 8 bytes; `elem` is the pointee; `address_space` says which memory it points into
  Array,      // `count` elements of `elem`
  Record,     // fields with names: a C struct from BTF, or a scry record (a = 1, b = "x")
  Tuple,      // fields without names: (1, "a")
  Stack,      // kstack / ustack: the frames inline (below); `is_user_stack`, `count` = frame limit
  Ksym,       // ksym(addr): u64 kernel address, printed as the symbol's name
  Usym,       // usym(addr): { u64 address; i32 pid; i32 probe } printed as the symbol's name
  Timestamp,  // strftime(): u64 nanoseconds since boot; `name` is its strftime(3) format
  Inet,       // ntop(): { i64 family; u8 address[16] } printed as an IPv4 or IPv6 address
  Username,   // username: u64 uid, printed as the user's name in /etc/passwd ("" if none)
  MacAddress, // macaddr(): u8 address[6], printed as XX:XX:XX:XX:XX:XX
  CgroupPath, // cgroup_path(): u64 cgroup id, printed as its paths; `name` is the filter
  // Aggregation values (per-CPU in the kernel, merged in user space):
  Count, // u64
  Sum,   // i64 or u64 (is_signed follows the argument)
  Min,   // { i64 value; u64 valid }
  Max,   // { i64 value; u64 valid }
  Avg,   // { i64 total; u64 count }
  Stats, // { i64 total; u64 count } printed as count, average, total
  Hist,  // per bucket: u64 count; the bucket index is the last key part. hist_bits = k
  Lhist, // per bucket: u64 count; bucket index in the key. lhist_min/max/step
  // tseries(): per slot (epoch % intervals, in the key): { i64 value; i64 meta; u64 epoch }, the
  // epoch being the interval's number (TAI ns / interval). meta: the last write's time (agg
  // None), the count (Avg), 1 once set (Min, Max), unused (Sum). tseries_interval_ns,
  // tseries_intervals, tseries_agg; is_signed follows the value.
  Tseries,
};

/// tseries()'s aggregation of the values of one interval: None keeps the last one written.
enum class TseriesAgg : uint8_t { None, Avg, Max, Min, Sum };

enum class AddressSpace : uint8_t { None, Kernel, User };

/// How a stack prints (bpftrace's stack modes): `bpftrace` one `symbol+offset` per line indented
/// by 8 spaces, `perf` a tab, the hex address, `symbol+offset` and for user frames `(file)`,
/// `raw` the hex address only; `build_id` (user stacks only) each frame as its file's build id
/// and offset, for symbolizing elsewhere; `folded` (scry's; the name bpftrace issue #430 gave it)
/// one line, outermost frame first, `symbol;symbol;...` without offsets, as flame graph tools
/// read it.
enum class StackMode : uint8_t { Bpftrace, Perf, Raw, BuildId, Folded };

/// Every stack mode, in the order the messages list them.
inline constexpr StackMode kStackModes[] = {StackMode::Bpftrace, StackMode::Perf, StackMode::Raw,
                                            StackMode::BuildId, StackMode::Folded};

/// A stack's layout (bytes): kstack { u64 frames_used; u64 frames[limit] }; ustack { i32 pid;
/// i32 probe; u64 frames_used; u64 frames[limit] } (bpftrace's kstack_t and ustack_t). Frames
/// past frames_used are zero, so equal stacks are equal map keys.
inline constexpr uint32_t kKstackHeader = 8, kUstackHeader = 16;
/// A build_id mode frame: the kernel's struct bpf_stack_build_id (include/uapi/linux/bpf.h):
/// { s32 status; u8 build_id[20]; u64 offset or ip }, 32 bytes; other modes' frames are 8.
inline constexpr uint32_t kBuildIdFrameBytes = 32;
/// Frames in kstack and ustack without a limit: the kernel's default perf_event_max_stack.
inline constexpr uint32_t kDefaultStackFrames = 127;

struct Type;

/// An enumeration: what an Integer "of enum type" carries so that its value prints by name.
/// From a kernel enum (vmlinux BTF: struct fields, function and raw tracepoint parameters,
/// tracepoint fields declared `enum NAME`, enumerator constants such as TCP_SYN_SENT) or, later,
/// one the script defines. Shared and immutable: every Type of the enum points at one EnumInfo,
/// and the plan hands it to the runtime with the Type, so printing never reads BTF.
///
/// How enum-typed integers behave (bpftrace's rules): they are integers everywhere (arithmetic,
/// comparison, %d); the result of arithmetic is a plain integer; printf's %s, print(), map keys
/// and map values print the enumerator's name, and a value no enumerator has prints as its
/// unsigned number. In `-f json` keys print by name and values as numbers, as bpftrace's JSON
/// output does. type_name() spells such a type "enum NAME" ("enum (anonymous)" without a name).
struct EnumInfo {
  std::string name;  // the tag ("skb_drop_reason"); empty for an anonymous enum
  uint32_t size = 0; // bytes of the C enum (4 or 8); 0 when not known
  bool is_signed = false;
  /// The enumerators in declaration order: value (as 64 bits, sign-extended when the enum is
  /// signed) and name.
  std::vector<std::pair<uint64_t, std::string>> values;

  /// The first enumerator whose value is `bits`, comparing only the low bytes a value of the
  /// enum holds (the enum's size, at most `value_bytes`): a 4-byte field read zero-extended
  /// still finds a negative enumerator. Null when none has that value.
  const std::string *name_of(uint64_t bits, uint32_t value_bytes = 8) const;
};

/// Whether `a` and `b` are the same enum: the same description, or two of the same tag name.
/// Anonymous enums are the same only as the same description. Null is "not an enum".
bool same_enum(const std::shared_ptr<const EnumInfo> &a, const std::shared_ptr<const EnumInfo> &b);

/// A named or positional part of a Record or Tuple, at a byte offset from its start.
struct Field {
  std::string name; // empty for tuple elements
  std::shared_ptr<const Type> type;
  uint32_t offset = 0;
};

/// A value type. Cheap to copy: composite parts are shared and immutable.
struct Type {
  TypeKind kind = TypeKind::None;
  uint32_t size = 0;  // bytes the value occupies
  uint32_t align = 1; // bytes
  bool is_signed = false;
  AddressSpace address_space = AddressSpace::None;
  bool is_user_stack = false;                 // Stack
  StackMode stack_mode = StackMode::Bpftrace; // Stack
  std::shared_ptr<const Type> elem;           // Pointer: pointee; Array: element
  uint32_t count = 0; // Array: elements; Stack: frame limit; Timestamp: 1 for CLOCK_TAI
  std::shared_ptr<const std::vector<Field>> fields; // Record, Tuple
  std::string name;   // Record: struct name ("task_struct"); may be empty
  int32_t btf_id = 0; // Record/Pointer into vmlinux BTF; 0 when not from BTF
  std::shared_ptr<const EnumInfo> enumeration; // Integer of enum type (see EnumInfo); else null
  // Aggregation parameters.
  int64_t hist_bits = 0; // Hist: 2^k sub-buckets per power of two, 0..5
  int64_t lhist_min = 0, lhist_max = 0, lhist_step = 0;
  int64_t tseries_interval_ns = 0, tseries_intervals = 0; // Tseries
  TseriesAgg tseries_agg = TseriesAgg::None;              // Tseries

  bool is(TypeKind k) const { return kind == k; }
  bool is_integer() const { return kind == TypeKind::Integer; }
  bool is_aggregation() const { return kind >= TypeKind::Count; }
  /// Structural equality (same layout and meaning); an Integer of enum type equals only an
  /// Integer of the same enum (same_enum).
  bool operator==(const Type &other) const;
};

/// Constructors for the common types. Sizes are in bytes.
Type make_int(uint32_t bytes, bool is_signed);
/// An Integer of `bytes` bytes with enum type `info` (its sign: the enum's).
Type make_enum_int(uint32_t bytes, std::shared_ptr<const EnumInfo> info);
Type make_bool();
Type make_string(uint32_t bytes);
Type make_buffer(uint32_t data_bytes);
Type make_pointer(const Type &pointee, AddressSpace as);
Type make_array(const Type &elem, uint32_t count);
/// A tuple or record laid out like a C struct: each part at its natural alignment.
Type make_tuple_type(const std::vector<Type> &parts);
Type make_record_type(const std::vector<std::pair<std::string, Type>> &parts,
                      std::string name = {});
/// A kstack or ustack value of at most `frames` frames, printed in `mode`.
Type make_stack(bool user, StackMode mode = StackMode::Bpftrace,
                uint32_t frames = kDefaultStackFrames);
/// ksym(): an 8-byte kernel address; usym(): { u64 address; i32 pid; i32 probe }.
Type make_ksym();
Type make_usym();
/// strftime(fmt, ns): a u64 of nanoseconds since boot, printed as local time in `format`
/// (strftime(3), and %f for microseconds).
Type make_timestamp(const std::string &format, bool tai = false);
/// ntop(): { i64 family (AF_INET or AF_INET6); u8 address[16] }, the address in network order
/// from its first byte (4 bytes for AF_INET), the rest zero.
Type make_inet();
inline constexpr uint32_t kInetSize = 24;
Type make_username();
Type make_macaddr();
Type make_cgroup_path(const std::string &filter);
/// "bpftrace", "perf", "raw", "build_id" or "folded".
const char *stack_mode_name(StackMode mode);
Type make_void();
/// An aggregation value type. `arg` is the argument's type (sum/min/max/avg/stats/hist/lhist).
Type make_aggregation(TypeKind kind, bool is_signed = true);

/// Whether an operation on integers of types `l` and `r` (division, remainder, comparison,
/// and the sign of a sum or product) is signed. As C's usual arithmetic conversions decide for
/// 64-bit operands: signed when both are signed, or when the unsigned one is narrower than
/// 8 bytes (it converts to int64); unsigned when either is an unsigned 64-bit value, so
/// `$u / 3` with `$u` a uint64 divides unsigned.
bool is_signed_operation(const Type &l, const Type &r);

/// How bpftrace spells the type in messages: "uint64", "string[16]", "(int64,string[64])",
/// "struct task_struct *", "enum tcp_state", "count_t", "hist_t".
std::string type_name(const Type &type);

} // namespace scry
