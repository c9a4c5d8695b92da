// Kernel types from the running kernel's BTF (/sys/kernel/btf/vmlinux), as scry types.
//
// The BTF is parsed once, on first use, and only when a program needs a kernel type (a struct
// cast, curtask, a field of a kernel pointer): a one-liner over tracepoint arguments never pays
// for it. Struct types are converted shallowly (a Record carrying its BTF id and size); fields are
// looked up on demand, because kernel structs are large and deeply nested.
#pragma once

#include "base/types.h"
#include "symbols/kernel_symbols.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  std::optional<Type> struct_type(std::string_view name, bool is_union = false);

  /// The type of BTF id `id`, with typedefs and qualifiers resolved. char arrays become strings;
  /// enums become integers of their size.
  Type type_of(int32_t id);

  /// The member `name` of the struct or union `record` (a Record from this BTF), looking through
  /// anonymous nested structs and unions. Nullopt when there is none.
  std::optional<BtfField> field(const Type &record, std::string_view name);

  /// The names of the members of `record`, for "did you mean" hints and listings.
  std::string member_names(const Type &record);

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
  int32_t skip_modifiers(int32_t id);
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
};

} // namespace scry
