#include "sema/libclang.h"

#include <dlfcn.h>

namespace scry::cdefs {

const Libclang *load_libclang(std::string &error) {
  static std::string load_error;
  static const Libclang *const loaded = []() -> const Libclang * {
    // RTLD_LOCAL: its LLVM stays out of the global scope, away from the static LLVM codegen links.
    void *handle = nullptr;
    for (const char *name : {"libclang-16.so.1", "/usr/lib/llvm-16/lib/libclang-16.so.1"}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle)
        break;
    }
    if (!handle) {
      const char *why = dlerror();
      load_error = std::string("libclang cannot be loaded (") + (why ? why : "libclang-16.so.1") +
                   "); install Clang 16's library libclang-16.so.1 (package libclang1-16 on "
                   "Debian and Ubuntu)";
      return nullptr;
    }
    static Libclang c;
#define SCRY_LIBCLANG_FIND(f)                                                                      \
  c.f = reinterpret_cast<decltype(c.f)>(dlsym(handle, #f));                                        \
  if (!c.f) {                                                                                      \
    load_error = "libclang-16.so.1 has no " #f;                                                    \
    return nullptr;                                                                                \
  }
    SCRY_LIBCLANG(SCRY_LIBCLANG_FIND)
#undef SCRY_LIBCLANG_FIND
    return &c;
  }();
  if (!loaded)
    error = load_error;
  return loaded;
}

std::string take(const Libclang &c, CXString s) {
  const char *p = c.clang_getCString(s);
  std::string out = p ? p : "";
  c.clang_disposeString(s);
  return out;
}

Presumed presumed(const Libclang &c, CXSourceLocation loc) {
  Presumed p;
  CXString file;
  c.clang_getPresumedLocation(loc, &file, &p.line, &p.column);
  p.file = take(c, file);
  return p;
}

} // namespace scry::cdefs
