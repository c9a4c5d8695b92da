// libclang 16, loaded with dlopen on first use (sema/c_definitions.cpp parses programs' C with
// it, sema/c_btf.cpp writes the types it finds as BTF), and small helpers over its C API.
#pragma once

#include <clang-c/Index.h>
#include <string>

namespace scry::cdefs {

// clang-c/Index.h is included only for its types: every function is called through a pointer from
// dlsym, so that a program without C definitions neither links nor loads libclang.
// clang-format off
#define SCRY_LIBCLANG(X) \
  X(clang_createIndex) X(clang_disposeIndex) X(clang_parseTranslationUnit2) \
  X(clang_disposeTranslationUnit) X(clang_getNumDiagnostics) X(clang_getDiagnostic) \
  X(clang_disposeDiagnostic) X(clang_getDiagnosticSeverity) X(clang_getDiagnosticSpelling) \
  X(clang_getDiagnosticLocation) X(clang_getPresumedLocation) X(clang_getCString) \
  X(clang_disposeString) X(clang_getTranslationUnitCursor) X(clang_visitChildren) \
  X(clang_getCursorKind) X(clang_getCursorSpelling) X(clang_getCursorType) \
  X(clang_getCursorLocation) X(clang_getCanonicalType) X(clang_Type_getSizeOf) \
  X(clang_getPointeeType) X(clang_getArrayElementType) X(clang_getArraySize) \
  X(clang_getTypeDeclaration) X(clang_getEnumDeclIntegerType) X(clang_getEnumConstantDeclValue) \
  X(clang_getEnumConstantDeclUnsignedValue) X(clang_Type_visitFields) \
  X(clang_Cursor_getOffsetOfField) X(clang_Cursor_isBitField) X(clang_getFieldDeclBitWidth) \
  X(clang_Cursor_isMacroFunctionLike) X(clang_Cursor_isMacroBuiltin) X(clang_Cursor_Evaluate) \
  X(clang_EvalResult_getKind) X(clang_EvalResult_getAsLongLong) \
  X(clang_EvalResult_isUnsignedInt) X(clang_EvalResult_getAsUnsigned) \
  X(clang_EvalResult_getAsStr) X(clang_EvalResult_dispose) X(clang_getCursorUSR) \
  X(clang_getCursorDefinition) X(clang_getCanonicalCursor) X(clang_Cursor_isNull) \
  X(clang_getTypeSpelling) X(clang_Cursor_isAnonymousRecordDecl) \
  X(clang_getTypedefDeclUnderlyingType)
// clang-format on

struct Libclang {
#define SCRY_LIBCLANG_POINTER(f) decltype(&::f) f = nullptr;
  SCRY_LIBCLANG(SCRY_LIBCLANG_POINTER)
#undef SCRY_LIBCLANG_POINTER
};

/// libclang 16, loaded once per process; null with `error` set when it cannot be.
const Libclang *load_libclang(std::string &error);

/// The text of `s`, which is disposed of.
std::string take(const Libclang &c, CXString s);

// The presumed file names (#line) of the parts of the parsed text.
constexpr const char *kScriptFile = "<script>";
constexpr const char *kKernelFile = "<kernel BTF>";
constexpr const char *kConstantsFile = "<scry constants>";
constexpr const char *kConstantPrefix = "__scry_constant_";

struct Presumed {
  std::string file;
  unsigned line = 0, column = 0;
};

/// Where `loc` is, by the presumed file names of the parsed text (#line).
Presumed presumed(const Libclang &c, CXSourceLocation loc);

/// Calls `f(cursor)` for each child of `parent` (not recursively).
template <typename F>
void for_each_child(const Libclang &c, CXCursor parent, F f) {
  c.clang_visitChildren(
      parent,
      [](CXCursor cursor, CXCursor, CXClientData data) {
        (*static_cast<F *>(data))(cursor);
        return CXChildVisit_Continue;
      },
      &f);
}

} // namespace scry::cdefs
