// Kernel types from the running kernel's BTF (/sys/kernel/btf/vmlinux), as scry types.
//
// The BTF is parsed once, on first use, and only when a program needs a kernel type (a struct
// cast, curtask, a field of a kernel pointer): a one-liner over tracepoint arguments never pays
// for it. Struct types are converted shallowly (a Record carrying its BTF id and size); fields are
// looked up on demand, because kernel structs are large and deeply nested.
#pragma once

#include "base/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

private:
  int32_t skip_modifiers(int32_t id);

  struct ::btf *btf_ = nullptr;
  bool tried_ = false;
  std::string error_;
};

} // namespace scry
