// Kernel types from the running kernel's BTF (/sys/kernel/btf/vmlinux), as scry types.
//
// The BTF is parsed once, on first use, and only when a program needs a kernel type (a struct
// cast, curtask, a field of a kernel pointer): a one-liner over tracepoint arguments never pays
// for it. Struct types are converted shallowly (a Record carrying its BTF id and size); fields are
// looked up on demand, because kernel structs are large and deeply nested.
#pragma once

#include "base/types.h"
#include "symbols/kernel_symbols.h"

#include <cstdarg>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct btf;

namespace scry {

/// A struct or union member found by name, with its place in the containing struct.
struct BtfField {
  Type type;
  uint32_t offset = 0;         // bytes from the start of the struct (of the containing storage unit
                               // for bitfields)
  uint32_t bitfield_bits = 0;  // 0 for an ordinary member
  uint32_t bitfield_shift = 0; // bits to shift right after loading `type.size` bytes at `offset`
};

/// A parameter of a kernel function (or a raw tracepoint), from its BTF prototype.
struct BtfParam {
  std::string name;   // "" when BTF has none
  Type type;          // as scry reads it (pointers are kernel pointers)
  std::string c_decl; // its C declaration, "const char *filename"
};

/// A kernel function's (or a raw tracepoint's) prototype, from the kernel's BTF.
struct BtfFunction {
  std::string name;
  std::string module; // "" for vmlinux
  std::vector<BtfParam> params;
  Type return_type; // void for a raw tracepoint
  std::string return_c_type;
};

/// An enumerator of a kernel enum found by name (TCP_SYN_SENT), as a constant in expressions.
struct BtfEnumerator {
  uint64_t value = 0; // 64 bits, sign-extended when the enum is signed
  Type type;          // an 8-byte Integer of the enum's type (bpftrace types enum constants as
                      // 64-bit enums; sizeof(TCP_SYN_SENT) is 8)
};

/// libbpf's btf_dump printf callback: appends the formatted text to the std::string `ctx`.
void append_btf_dump_text(void *ctx, const char *format, va_list args);

/// Type `id` of BTF `in` without its typedefs and qualifiers (const, volatile, restrict, type
/// tags); 0 (void) when `id` is 0 or not in `in`.
uint32_t skip_btf_modifiers(const struct btf *in, uint32_t id);

/// The C declaration of type `id` of BTF `in`, naming it `name` ("const char *filename"), as
/// btf_dump writes it; `name` alone when it cannot.
std::string c_declaration(struct btf *in, int32_t id, const std::string &name);

class KernelBtf {
public:
  KernelBtf() = default;
  KernelBtf(const KernelBtf &) = delete;
  KernelBtf &operator=(const KernelBtf &) = delete;
  ~KernelBtf();

  /// Loads vmlinux BTF if it has not been loaded. Returns false (and sets error()) when the
  /// kernel has none; later calls return the same result without retrying.
  bool load();
  const std::string &error() const { return error_; }

  /// The struct or union named `name` ("task_struct"), as a Record with its BTF id and size.
  /// The program's own C definitions (add_script_types) come before the kernel's.
  std::optional<Type> struct_type(std::string_view name, bool is_union = false);

  /// vmlinux's BTF, loaded if it has not been; null when the kernel has none.
  struct ::btf *vmlinux() { return load() ? btf_ : nullptr; }

  /// Adds the types of a program's C definitions (sema/c_definitions.h): `raw` is BTF whose ids
  /// continue vmlinux's when `split` (BTF split over vmlinux, as a module's is), else standalone
  /// BTF for a kernel without any. From then on every lookup here sees them: struct_type()
  /// first, type_of(), field(). Once per KernelBtf; false when `raw` is not valid BTF.
  bool add_script_types(const std::vector<uint8_t> &raw, bool split);

  /// The type of BTF id `id`, with typedefs and qualifiers resolved. char arrays become strings;
  /// enums become integers of their size and sign carrying their enumerators (EnumInfo).
  Type type_of(int32_t id);

  // ---- enums (btf_enums.cpp) ----

  /// The enum `name` (its tag, without "enum ") of the program's C definitions or else of
  /// vmlinux, as an Integer of the enum's size and sign with its EnumInfo. Nullopt without BTF
  /// or when no enum has that tag.
  std::optional<Type> enum_type(std::string_view name);

  /// The type a typedef named `name` stands for (`uint64_t`, `sector_t`, a script's typedef),
  /// resolved as type_of() does; the script's typedefs come before the kernel's. Nullopt when
  /// neither defines it.
  std::optional<Type> typedef_type(std::string_view name);

  /// `t` with its enum completed: an Integer whose EnumInfo has a name but no enumerators (a
  /// tracepoint field declared `enum NAME`, sema/tracepoint_format.h) gets the vmlinux enum's
  /// enumerators, keeping its own size and sign; a plain integer when BTF has no such enum.
  /// Any other type is returned as it is, without loading BTF.
  Type complete_enum(const Type &t);

  /// The enumerator `name` of a vmlinux enum (BTF_KIND_ENUM and ENUM64). When several enums have
  /// an enumerator of that name (vmlinux joins many translation units: Opt_err is in a dozen),
  /// the one of the enum first in BTF order wins, which is the one bpftrace's BTF-to-C dump picks.
  /// Loads the BTF and indexes every enumerator on first use (about 19,000 on 6.18). Nullopt
  /// without BTF or when no enum has it.
  std::optional<BtfEnumerator> enumerator(std::string_view name);

  /// The enumerator of a vmlinux enum closest to `name` when one is a likely typo
  /// (closest_match in parser/suggest.h), with its enum's name: ("TCP_SYN_SENT", "enum
  /// (anonymous)"). Empty strings when none is close.
  std::pair<std::string, std::string> closest_enumerator(std::string_view name);

  /// The member `name` of the struct or union `record` (a Record from this BTF), looking through
  /// anonymous nested structs and unions. Nullopt when there is none.
  std::optional<BtfField> field(const Type &record, std::string_view name);

  /// The names of the members of `record`, for "did you mean" hints and listings.
  std::string member_names(const Type &record);

  /// Whether `name` is a kfunc of the running kernel: a FUNC of vmlinux's BTF that, on kernels
  /// whose BTF tags kfuncs (a "bpf_kfunc" DECL_TAG, Linux 6.9's pahole), carries that tag.
  bool is_kfunc(std::string_view name);

  /// The per-CPU kernel variable `name` (a VAR of vmlinux BTF's .data..percpu section) whose
  /// type, past typedefs and qualifiers, is a named struct or union or an integer: what
  /// percpu_kaddr() can declare for libbpf to resolve. Nullopt with `why` set otherwise.
  std::optional<KernelVariable> percpu_variable(std::string_view name, std::string &why);

  /// The id of the struct task_struct (for curtask), 0 when missing.
  int32_t task_struct_id();

  /// The prototype of kernel function `name` (a BTF FUNC), in vmlinux or, when `module` is not
  /// empty, in that module's BTF (/sys/kernel/btf/MODULE). Types only a module defines are read
  /// as integers and void pointers of their size (scry converts vmlinux types only). Nullopt with
  /// `error` set when the function or the BTF is missing.
  std::optional<BtfFunction> function(std::string_view name, std::string_view module,
                                      std::string &error);

  /// The arguments of raw tracepoint `name` as a BTF-typed (tp_btf) program gets them: the
  /// prototype of the kernel's `btf_trace_NAME` typedef (include/trace/bpf_probe.h) without its
  /// first parameter, the tracepoint's private data. Searched in vmlinux, then in `module` (or,
  /// when empty, every module's BTF). Nullopt with `error` set when there is none.
  std::optional<BtfFunction> raw_tracepoint(std::string_view name, std::string_view module,
                                            std::string &error);

  /// Every function (BTF FUNC) of vmlinux and of the loaded modules' BTF, sorted by name: what
  /// fentry and fexit can name (if ftrace can trace it too).
  std::vector<KernelFunction> functions();

  /// Every raw tracepoint with BTF (a `btf_trace_NAME` typedef) of vmlinux and of the loaded
  /// modules, as (NAME, module), sorted.
  std::vector<KernelFunction> raw_tracepoints();

  /// The names of the modules with BTF (/sys/kernel/btf/ but vmlinux), sorted.
  static std::vector<std::string> btf_modules();

private:
  /// Where types are looked up: the program's types split over vmlinux, or vmlinux alone.
  struct ::btf *types();
  /// The type named `name` of BTF kind `kind` (struct, union, typedef): the program's C
  /// definitions first, then vmlinux's.
  std::optional<Type> named_type(std::string_view name, int kind);
  int32_t skip_modifiers(int32_t id);
  /// The EnumInfo of enum `id` of `in` (vmlinux's BTF, a module's or the program's), built once
  /// and shared, so that every Type of one enum points at one description.
  std::shared_ptr<const EnumInfo> enum_info(struct ::btf *in, int32_t id);
  void index_enumerators();
  /// The module's split BTF, loaded once (null when it has none).
  struct ::btf *module_btf(const std::string &module);
  /// The prototype FUNC_PROTO `proto` of `in` (vmlinux's BTF or a module's), from parameter
  /// `first` on.
  BtfFunction prototype(struct ::btf *in, int32_t proto, size_t first);
  Type type_in(struct ::btf *in, int32_t id);
  /// The types of BTF kind `kind` whose names start with `prefix`, in vmlinux and every module,
  /// by name without the prefix, sorted.
  std::vector<KernelFunction> all_named(int kind, std::string_view prefix);

  struct ::btf *btf_ = nullptr;
  std::vector<std::pair<std::string, struct ::btf *>> modules_;
  bool tried_ = false;
  std::string error_;
  struct ::btf *script_ = nullptr; // add_script_types(); its own types start at script_first_
  uint32_t script_first_ = 1;
  /// (BTF, id) -> its enum, built once: every Type of one enum shares one EnumInfo.
  std::map<std::pair<const void *, int32_t>, std::shared_ptr<const EnumInfo>> enums_;
  /// Enumerator name -> (enum id, index in the enum); first in BTF order. Built on first use.
  std::unordered_map<std::string, std::pair<int32_t, uint32_t>> enumerators_;
  std::vector<std::string> enumerator_names_; // the keys of enumerators_, for suggestions
  bool enumerators_indexed_ = false;
};

} // namespace scry
