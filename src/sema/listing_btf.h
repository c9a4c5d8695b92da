// The kernel's BTF as -l reads it: every function, raw tracepoint, iterator and named type of
// vmlinux and of the modules that have BTF (/sys/kernel/btf/MODULE, split over vmlinux's), and
// their prototypes and definitions as C text, from libbpf's btf and btf_dump APIs. Loaded once,
// only by a listing. Private to src/sema (listing.cpp).
#pragma once

#include "symbols/kernel_symbols.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct btf;
struct btf_dump;

namespace scry {

class ListingBtf {
public:
  ListingBtf() = default;
  ListingBtf(const ListingBtf &) = delete;
  ListingBtf &operator=(const ListingBtf &) = delete;
  ~ListingBtf();

  /// Parses vmlinux's BTF and every module's, once. False with `error` set (naming the file)
  /// when vmlinux has none; a module whose BTF does not parse is skipped.
  bool load(std::string &error);

  /// Every function (BTF FUNC), module "" for vmlinux, sorted, each (name, module) once.
  std::vector<KernelFunction> functions();

  /// Every raw tracepoint with BTF arguments: the NAME of each `btf_trace_NAME` typedef
  /// (include/trace/bpf_probe.h), with its module, sorted.
  std::vector<KernelFunction> raw_tracepoints();

  /// Every BPF iterator: NAME where vmlinux has both the function bpf_iter_NAME and the struct
  /// bpf_iter__NAME (DEFINE_BPF_ITER_FUNC, include/linux/bpf.h), sorted.
  std::vector<std::string> iterators();

  /// Function `name`'s parameters in `module` ("" is vmlinux) as bpftrace's -lv prints them,
  /// "TYPE NAME" ("struct sock * sk"), then "TYPE retval" when `with_retval` and it returns a
  /// value. nullopt when the function is not there.
  std::optional<std::vector<std::string>>
  function_params(std::string_view name, std::string_view module, bool with_retval);

  /// Raw tracepoint `name`'s arguments (its btf_trace_NAME prototype without the first,
  /// private-data parameter), as function_params() prints them.
  std::optional<std::vector<std::string>> raw_tracepoint_params(std::string_view name,
                                                                std::string_view module);

  /// Iterator `name`'s context fields after the meta pointer (bpf_iter_NAME's parameters after
  /// the first): "struct task_struct * task".
  std::optional<std::vector<std::string>> iterator_params(std::string_view name);

  /// Every named struct, union and enum as "struct NAME", "union NAME", "enum NAME", sorted,
  /// each once.
  std::vector<std::string> type_names();

  /// The C definition of `type_name` ("struct task_struct"): "struct task_struct {", one member
  /// a line indented by a tab ("\tpid_t pid;", bitfields with ":BITS", nested anonymous structs
  /// and unions inline), then "};". An enum lists its values. nullopt when there is no such
  /// type.
  std::optional<std::string> type_definition(std::string_view type_name);

private:
  struct Object {
    std::string module; // "" for vmlinux
    struct ::btf *btf = nullptr;
    int first_id = 1;                  // ids below belong to vmlinux (split BTF)
    struct ::btf_dump *dump = nullptr; // made on first use, writing to `text`
    std::unique_ptr<std::string> text;
  };
  /// The object holding `module`'s BTF ("" or "vmlinux" for vmlinux's), or null.
  Object *object(std::string_view module);
  /// The prototype parameters of FUNC_PROTO `proto` in `o` from index `first`, printed.
  std::vector<std::string> params(Object &o, int proto, size_t first, bool with_retval);
  /// The C declaration of type `id` of `o` with `name` ("" for an abstract one), by btf_dump.
  std::string declaration(Object &o, int id, const std::string &name, int indent = 0);

  std::vector<Object> objects_; // vmlinux first
  bool tried_ = false;
  bool ok_ = false;
  std::string error_;
};

} // namespace scry
