// Helpers shared by sema_test and codegen_test: run the front end and semantic analysis over a
// program text the way the command line does (live tracefs, vmlinux BTF), and name diagnostics
// by the text they point at instead of by hand-counted columns.
#pragma once

#include "parse_test_util.h"
#include "runtime/tracefs.h"
#include "sema/semantic_analyser.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace scry::test {

/// vmlinux BTF, parsed once for the whole test binary: parsing it costs tens of milliseconds.
inline KernelBtf &shared_btf() {
  static KernelBtf btf;
  return btf;
}

/// Where tracefs is mounted (mounting it when root and needed), or empty when this machine has
/// none; tests that need tracepoints skip then.
inline const std::string &tracefs_root() {
  static const std::string root = [] {
    TracefsRoot r = tracefs_ensure_mounted();
    return r.ok() ? r.path : std::string();
  }();
  return root;
}

/// One program through parse_program and analyse.
struct Analysed {
  std::unique_ptr<Parsed> parsed;
  SemaResult sema;
  Diagnostics diags; // semantic analysis only; the parser's are in parsed->diags
  bool ok = false;   // analyse() returned true
};

/// Parses and analyses `text`. The parse must succeed (a test failure otherwise): these helpers
/// test what comes after the parser. The BPFTRACE_* environment overrides of the config block
/// are cleared so that the developer's shell cannot change the results.
inline std::unique_ptr<Analysed> analyse_text(const std::string &text,
                                              const std::vector<std::string> &params = {},
                                              bool has_child = false, bool raw_tracepoints = true) {
  for (const char *env :
       {"BPFTRACE_MAX_STRLEN", "BPFTRACE_MAX_MAP_KEYS", "BPFTRACE_STRLEN", "BPFTRACE_MAP_KEYS_MAX"})
    unsetenv(env);
  auto a = std::make_unique<Analysed>();
  a->parsed = parse_full(text, params);
  if (!a->parsed->program || a->parsed->diags.has_errors()) {
    ADD_FAILURE() << "'" << text
                  << "' does not parse: " << ::testing::PrintToString(diags_of(a->parsed->diags));
    return a;
  }
  SemaOptions options;
  options.params = params;
  options.has_child = has_child;
  options.tracefs_root = tracefs_root();
  options.ncpus = 2;
  options.raw_tracepoints = raw_tracepoints;
  a->ok = analyse(*a->parsed->program, options, shared_btf(), a->sema, a->diags);
  return a;
}

/// Every diagnostic of `d`, with its message, for failure output.
inline std::string describe(const Diagnostics &d) {
  std::string out;
  for (const Diagnostic &x : d.all())
    out += "\n  " + std::string(diag_code_name(x.code)) + " " + std::to_string(x.range.begin.line) +
           ":" + std::to_string(x.range.begin.column) + "-" + std::to_string(x.range.end.column) +
           ": " + x.message + (x.hint.empty() ? "" : " [hint: " + x.hint + "]");
  return out;
}

/// A diagnostic expected on the `nth` (0-based) occurrence of `text` in the program.
struct DiagOn {
  DiagCode code;
  const char *text;
  int nth = 0;
};

/// The DiagAt that covers exactly the `nth` occurrence of `needle` in `program`, or a test
/// failure when there is no such occurrence.
inline DiagAt diag_on(const std::string &program, const DiagOn &on) {
  size_t pos = std::string::npos;
  for (int i = 0, from = 0; i <= on.nth; ++i, from = static_cast<int>(pos) + 1) {
    pos = program.find(on.text, static_cast<size_t>(from));
    if (pos == std::string::npos) {
      ADD_FAILURE() << "'" << on.text << "' occurs fewer than " << on.nth + 1 << " times in '"
                    << program << "'";
      return {on.code, 0, 0, 0};
    }
  }
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos; ++i)
    if (program[i] == '\n')
      ++line, line_start = i + 1;
  int column = static_cast<int>(pos - line_start) + 1;
  return {on.code, line, column, column + static_cast<int>(std::string(on.text).size())};
}

/// Names parameterised tests after their case's `name`, so that --gtest_filter can pick one:
/// INSTANTIATE_TEST_SUITE_P(Prefix, Suite, ::testing::ValuesIn(kCases), test::CaseName()).
struct CaseName {
  template <typename Param>
  std::string operator()(const ::testing::TestParamInfo<Param> &info) const {
    return info.param.name;
  }
};

} // namespace scry::test
