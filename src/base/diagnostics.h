// User-facing diagnostics: errors and warnings tied to a source range, printed in bpftrace's
// layout.
#pragma once

#include "base/source.h"

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// Every diagnostic has a stable code. Tests assert codes and locations, never wording, so
/// messages can improve freely. Codes are never renumbered or reused: add new ones at the end
/// of their group. The second column is the stable spelling shown by `scry --explain`-style
/// tools and in JSON output.
#define SCRY_DIAG_CODES(X)                                                                         \
  /* lexer */                                                                                      \
  X(InvalidCharacter, "invalid-character")                                                         \
  X(InvalidUtf8, "invalid-utf8")                                                                   \
  X(UnterminatedString, "unterminated-string")                                                     \
  X(InvalidEscape, "invalid-escape")                                                               \
  X(UnterminatedComment, "unterminated-comment")                                                   \
  X(InvalidNumber, "invalid-number")                                                               \
  X(NumberOverflow, "number-overflow")                                                             \
  X(NestingTooDeep, "nesting-too-deep")                                                            \
  /* parser */                                                                                     \
  X(SyntaxError, "syntax-error")                                                                   \
  X(MissingAttachPoint, "missing-attach-point")                                                    \
  X(NotAssignable, "not-assignable")                                                               \
  X(InvalidMapDeclaration, "invalid-map-declaration")                                              \
  X(InvalidTypeSize, "invalid-type-size")                                                          \
  /* attach points */                                                                              \
  X(UnknownProvider, "unknown-provider")                                                           \
  X(EmptyAttachPointPart, "empty-attach-point-part")                                               \
  X(InvalidAttachPoint, "invalid-attach-point")                                                    \
  X(InvalidPositionalParameter, "invalid-positional-parameter")                                    \
  /* program */                                                                                    \
  X(NoProbes, "no-probes")                                                                         \
  X(ProgramTooLarge, "program-too-large")                                                          \
  /* semantic analysis */                                                                          \
  X(UnknownIdentifier, "unknown-identifier")                                                       \
  X(UnknownFunction, "unknown-function")                                                           \
  X(WrongArgumentCount, "wrong-argument-count")                                                    \
  X(WrongArgumentType, "wrong-argument-type")                                                      \
  X(TypeMismatch, "type-mismatch")                                                                 \
  X(InvalidPrintfFormat, "invalid-printf-format")                                                  \
  X(BuiltinNotAvailable, "builtin-not-available")                                                  \
  X(UnknownTracepoint, "unknown-tracepoint")                                                       \
  X(UnknownField, "unknown-field")                                                                 \
  X(NotSupported, "not-supported")                                                                 \
  X(InvalidConfig, "invalid-config")                                                               \
  X(HelperError, "helper-error")                                                                   \
  X(InvalidOperand, "invalid-operand")                                                             \
  X(UndefinedVariable, "undefined-variable")                                                       \
  X(InvalidMapUse, "invalid-map-use")                                                              \
  X(UnknownType, "unknown-type")                                                                   \
  X(ConstantRequired, "constant-required")                                                         \
  X(InvalidStatement, "invalid-statement")                                                         \
  X(DivisionByZero, "division-by-zero")                                                            \
  /* code generation */                                                                            \
  X(ProbeTooLarge, "probe-too-large")                                                              \
  /* kernel: loading and attaching */                                                              \
  X(VerifierRejected, "verifier-rejected")                                                         \
  X(LoadRefused, "load-refused")                                                                   \
  X(AttachFailed, "attach-failed")                                                                 \
  X(NeedsRoot, "needs-root")                                                                       \
  /* macro expansion */                                                                            \
  X(MacroArgument, "macro-argument")                                                               \
  X(MacroRecursion, "macro-recursion")                                                             \
  X(MacroHygiene, "macro-hygiene")                                                                 \
  X(MacroDuplicate, "macro-duplicate")                                                             \
  X(UnknownBinary, "unknown-binary")                                                               \
  X(UnknownSymbol, "unknown-symbol")                                                               \
  X(UnsafeProbe, "unsafe-probe")                                                                   \
  X(UnreachableCode, "unreachable-code")                                                           \
  X(UnusedMap, "unused-map")                                                                       \
  X(UnusedVariable, "unused-variable")                                                             \
  X(UnstableFeature, "unstable-feature")                                                           \
  X(Deprecated, "deprecated")                                                                      \
  X(IgnoredArgument, "ignored-argument")                                                           \
  X(PrintInLoop, "print-in-loop")                                                                  \
  X(UnnecessaryCast, "unnecessary-cast")                                                           \
  X(DistinctPointerTypes, "distinct-pointer-types")                                                \
  X(AddressSpaceMismatch, "address-space-mismatch")                                                \
  X(LoopTooLong, "loop-too-long")                                                                  \
  X(CDefinitionError, "c-definition-error")                                                        \
  X(ImportFailed, "import-failed")                                                                 \
  X(AmbiguousBinary, "ambiguous-binary")                                                           \
  X(UsedBeforeAssigned, "used-before-assigned")                                                    \
  X(StaticAssertion, "static-assertion")                                                           \
  X(DebugOutput, "debug-output")

enum class DiagCode {
#define SCRY_DIAG_ENUM(name, spelling) name,
  SCRY_DIAG_CODES(SCRY_DIAG_ENUM)
#undef SCRY_DIAG_ENUM
};

/// The stable spelling of `code`, e.g. "unterminated-string".
std::string_view diag_code_name(DiagCode code);

enum class Severity { Error, Warning };

/// "FILE:LINE:COL-COL" of range `r` (not kNoLocation) in `source`, as diagnostics begin: the
/// file and line the range's first line comes from (an imported file's own), the first column
/// and the column one past the range on that line.
std::string location_text(const SourceRange &r, const SourceFile &source);

/// The range of a diagnostic about something outside the program text (an environment
/// variable): line 0. It is printed without a location or source line.
inline constexpr SourceRange kNoLocation{{0, 0}, {0, 0}};

struct Diagnostic {
  Severity severity;
  DiagCode code;
  SourceRange range;
  std::string message;
  std::string hint; // optional remediation ("did you mean ..."), printed on its own line
};

/// Collects diagnostics for one source file, in the order they were found. A diagnostic equal
/// to one already collected (severity, code, range, message and hint) is not kept again.
class Diagnostics {
public:
  void error(DiagCode code, const SourceRange &range, std::string message, std::string hint = {});
  void warning(DiagCode code, const SourceRange &range, std::string message, std::string hint = {});
  void add(Diagnostic d);

  bool has_errors() const { return errors_ > 0; }
  size_t error_count() const { return errors_; }
  const std::vector<Diagnostic> &all() const { return list_; }

  /// Prints every diagnostic in bpftrace's layout, with its stable code at the end of the
  /// first line:
  ///   FILE:LINE:COL-COL: ERROR: message [code]
  ///   <the source line>
  ///   <spaces>~~~~ (the range on that line; tabs in the prefix are kept so the marks line up)
  ///   HINT: hint
  /// A diagnostic at kNoLocation is printed as "ERROR: message [code]" (bpftrace's layout for
  /// errors not in the program), then its hint.
  void print(std::ostream &out, const SourceFile &source) const;

  /// Prints every diagnostic as one JSON object per line (for -f json), in the layout of the
  /// other JSON output: {"type": "error" or "warning", "data": {"code": "type-mismatch",
  /// "file": "stdin", "line": 1, "column": 23, "end_line": 1, "end_column": 29,
  /// "message": "...", "hint": "..."}}. Lines and columns count from 1; end_column is one past
  /// the last column; "hint" is present only when there is one. A diagnostic at kNoLocation has
  /// no "file", "line" or column fields.
  void print_json(std::ostream &out, const SourceFile &source) const;

private:
  std::vector<Diagnostic> list_;
  size_t errors_ = 0;
};

} // namespace scry
