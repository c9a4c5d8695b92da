// The types libclang finds in a program's C, written as BTF split over the kernel's
// (sema/c_definitions.cpp).
#pragma once

#include "sema/libclang.h"

#include <bpf/btf.h>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace scry::cdefs {

/// Writes the types clang found into split BTF over vmlinux (or standalone BTF). Types defined
/// in the kernel part of the text (or only declared) are vmlinux's own ids.
class BtfWriter {
public:
  BtfWriter(const Libclang &c, struct btf *vmlinux, struct btf *out)
      : c_(c), vmlinux_(vmlinux), out_(out) {}

  int type_id(CXType t);
  int record_id(CXCursor decl);
  int enum_id(CXCursor decl);
  /// Points the pointers written so far at their pointees, writing the types only pointers
  /// reach. Call once every other type is written.
  void finish();
  const std::string &error() const { return error_; }

private:
  bool from_kernel(CXCursor decl) {
    return presumed(c_, c_.clang_getCursorLocation(decl)).file == kKernelFile;
  }
  /// What identifies a declaration: its USR, or for an anonymous struct, union or enum its
  /// declaration's address, as the USRs of two anonymous unions in one struct are the same.
  std::string key(CXCursor decl) {
    if (tag(decl).empty())
      return "anonymous@" + std::to_string(reinterpret_cast<uintptr_t>(decl.data[0]));
    return take(c_, c_.clang_getCursorUSR(decl));
  }
  std::string tag(CXCursor decl);
  int kernel_id(const std::string &name, int kind);
  int int_id(const std::string &name, uint32_t size, int encoding);
  int check(int id, const char *what) {
    if (id < 0 && error_.empty())
      error_ = std::string("cannot write BTF for ") + what + ": error " + std::to_string(id);
    return id < 0 ? 0 : id;
  }

  const Libclang &c_;
  struct btf *vmlinux_;
  struct btf *out_;
  std::map<std::string, int> decls_; // by USR
  std::map<std::string, int> ints_;
  std::vector<std::pair<int, CXType>> pointers_; // pointer id, pointee
  std::string error_;
};

} // namespace scry::cdefs
