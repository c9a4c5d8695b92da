// libFuzzer target over scry's middle end: each input drives program_generator.h to build a
// well-typed program, which then goes the way of `scry --dry-run`: parse_program, analyse,
// generate, and run_program with RunOptions::dry_run (libbpf opens the object, creates the maps
// and loads every program through the kernel's verifier, nothing is attached).
//
// Failures (each aborts with the program on stderr, so libFuzzer keeps the input):
//   - a crash, a sanitizer report, an LLVM fatal error;
//   - a generated program that does not parse (a generator or parser bug);
//   - an error diagnostic without a location (line 0) from the parser or sema;
//   - a codegen error other than "the probe is too large" (scratch space, stack, instructions);
//   - a program sema accepted that the kernel refuses to load: a compiler bug, unless the
//     verifier gave up at its complexity limit (a million instructions walked: too many paths
//     through loops and branches), which is counted, like a probe too large for BPF.
// A sema error is only counted: the generator can be wrong about a rule. At exit, a line on
// stderr says how many programs loaded and how long each stage took.
//
// Environment:
//   SCRY_FUZZ_STRICT=1      a sema error is a failure too
//   SCRY_FUZZ_PRINT=1       print each program before it is compiled, and its time after
//                           (`SCRY_FUZZ_PRINT=1 ./middle_fuzz crash-...` shows a saved one)
//   SCRY_FUZZ_PROGRAM=FILE  compile FILE instead of generated programs, with the same checks
//                           (`./middle_fuzz -runs=100 EMPTY_DIR` times it)
//   SCRY_FUZZ_KNOWN_BUGS=1  generate the constructs of known compiler bugs too
//
// Needs root (or CAP_BPF and CAP_PERFMON) and tracefs; exits 77 (ctest's "skipped") when the
// machine cannot load an empty program.
#include "base/diagnostics.h"
#include "base/source.h"
#include "codegen/codegen.h"
#include "parser/ast.h"
#include "parser/parse.h"
#include "program_generator.h"
#include "runtime/output.h"
#include "runtime/runner.h"
#include "runtime/tracefs.h"
#include "runtime/verifier_log.h"
#include "sema/btf.h"
#include "sema/semantic_analyser.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <fuzzer/FuzzedDataProvider.h>
#include <llvm/Support/ErrorHandling.h>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

// State shared by every execution: loading vmlinux BTF and finding tracefs cost far more than
// compiling a small program.
struct Shared {
  scry::KernelBtf btf;
  std::string tracefs_root;
  uint32_t ncpus = 1;
  FILE *devnull = nullptr;
  bool print_programs = false;
  bool strict = false;
  std::string program_file; // SCRY_FUZZ_PROGRAM's text, compiled instead of generated programs
  scry::fuzz::GeneratorOptions generator;
};

// Stage names for the time report, in pipeline order.
enum Stage { kGenerate, kParse, kSema, kCodegen, kLoad, kStages };
const char *const kStageNames[kStages] = {"generate", "parse", "sema", "codegen", "load"};

struct Stats {
  uint64_t runs = 0, sema_errors = 0, too_large = 0, too_complex = 0, loaded = 0;
  double seconds[kStages] = {};
};

Shared *g_shared = nullptr;
Stats g_stats;
// The program being compiled, for the sanitizers' and LLVM's fatal-error reports.
const std::string *g_program = nullptr;

void print_program(const char *why) {
  if (g_program)
    std::fprintf(stderr, "\n==== middle_fuzz: %s\n---- program ----\n%s---- end of program ----\n",
                 why, g_program->c_str());
  std::fflush(stderr);
}

[[noreturn]] void fail(const std::string &why) {
  print_program(why.c_str());
  std::abort();
}

// libFuzzer takes the sanitizers' death callback for itself; these hooks run before it.
extern "C" void __ubsan_on_report() {
  print_program("UBSan report (above)");
}

extern "C" __attribute__((weak)) void __asan_set_error_report_callback(void (*)(const char *));

void on_asan_report(const char *) {
  print_program("AddressSanitizer report (above)");
}

// scry's own handler prints the reason and calls _Exit(1), which libFuzzer would not notice.
void on_llvm_fatal_error(void *, const char *reason, bool) {
  fail(std::string("LLVM fatal error: ") + reason);
}

/// Adds the time since the last call (or since `start()`) to a stage's total.
class StageClock {
public:
  void start() { last_ = std::chrono::steady_clock::now(); }
  void lap(Stage stage) {
    auto now = std::chrono::steady_clock::now();
    g_stats.seconds[stage] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

private:
  std::chrono::steady_clock::time_point last_;
};

void print_stats() {
  std::string times;
  for (int i = 0; i < kStages; ++i) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.2f",
                  g_stats.runs ? g_stats.seconds[i] * 1000 / static_cast<double>(g_stats.runs) : 0);
    times += std::string(i ? ", " : "") + kStageNames[i] + " " + ms;
  }
  std::fprintf(stderr,
               "middle_fuzz: %llu programs: %llu loaded, %llu refused by sema, %llu too large "
               "for BPF, %llu beyond the verifier's complexity limit; ms per program: %s\n",
               static_cast<unsigned long long>(g_stats.runs),
               static_cast<unsigned long long>(g_stats.loaded),
               static_cast<unsigned long long>(g_stats.sema_errors),
               static_cast<unsigned long long>(g_stats.too_large),
               static_cast<unsigned long long>(g_stats.too_complex), times.c_str());
}

std::string diagnostics_text(const scry::Diagnostics &diags, const scry::SourceFile &source) {
  std::ostringstream out;
  diags.print(out, source);
  return out.str();
}

void check_locations(const scry::Diagnostics &diags, const scry::SourceFile &source,
                     const char *stage) {
  for (const scry::Diagnostic &d : diags.all())
    if (d.severity == scry::Severity::Error && d.range.begin.line == 0)
      fail(std::string(stage) + " reported an error without a location: " +
           std::string(scry::diag_code_name(d.code)) + "\n" + diagnostics_text(diags, source));
}

/// How one program fared.
enum class Outcome { Loaded, SemaError, TooLarge, TooComplex };

/// Compiles and loads `text` as `scry --dry-run` would. Fails (aborts) on a finding.
Outcome compile_and_load(const std::string &text, bool raw_tracepoints, bool filter_pid,
                         StageClock &clock) {
  Shared &sh = *g_shared;
  scry::SourceFile source("fuzz.bt", text);
  scry::ast::Context ctx;
  scry::Diagnostics diags;
  scry::ast::Program *program = scry::parse_program(source, scry::fuzz::kParams, ctx, diags);
  check_locations(diags, source, "the parser");
  if (!program || diags.has_errors())
    fail("a generated program does not parse:\n" + diagnostics_text(diags, source));
  clock.lap(kParse);

  scry::SemaOptions sema_options;
  sema_options.params = scry::fuzz::kParams;
  sema_options.tracefs_root = sh.tracefs_root;
  sema_options.raw_tracepoints = raw_tracepoints;
  sema_options.ncpus = sh.ncpus;
  scry::SemaResult sema;
  scry::Diagnostics sema_diags;
  bool typed = scry::analyse(*program, sema_options, sh.btf, sema, sema_diags);
  check_locations(sema_diags, source, "sema");
  clock.lap(kSema);
  if (!typed) {
    if (sh.strict)
      fail("sema refused a generated program (SCRY_FUZZ_STRICT=1):\n" +
           diagnostics_text(sema_diags, source));
    return Outcome::SemaError;
  }

  scry::CodegenOptions codegen_options;
  codegen_options.params = scry::fuzz::kParams;
  codegen_options.filter_pid = filter_pid ? getpid() : 0;
  scry::CodegenResult code = scry::generate(*program, sema, source, codegen_options);
  clock.lap(kCodegen);
  if (!code.error.empty()) {
    // A probe that needs more scratch space, stack or instructions than BPF allows is refused
    // by design; the generator keeps programs small, so this is rare (the statistics printed
    // at exit count them).
    if (code.error.find("bytes of scratch space") != std::string::npos ||
        code.error.find("bytes of stack") != std::string::npos ||
        code.error.find("compiles to more code") != std::string::npos)
      return Outcome::TooLarge;
    fail("codegen failed on a program sema accepted: " + code.error);
  }

  std::unique_ptr<scry::Output> output = scry::make_text_output(sh.devnull, sh.devnull);
  scry::RunOptions run_options;
  run_options.dry_run = true;
  run_options.quiet = true;
  run_options.source = &source;
  scry::Diagnostics refusals; // VerifierRejected, LoadRefused, ...: located where they can be
  run_options.report = [&refusals](const scry::Diagnostic &d) {
    refusals.error(d.code, d.range, d.message, d.hint);
  };
  int status = scry::run_program(code.object, sema.resources, run_options, *output);
  clock.lap(kLoad);
  if (status != 0) {
    // The verifier's complexity limit: it walked a million instructions (every path through
    // the probe, every iteration of its loops) without finishing. A kernel limit that sema
    // cannot predict, reported to the user as a located verifier-rejected with a hint.
    for (const scry::Diagnostic &d : refusals.all())
      if (scry::at_complexity_limit(d.message))
        return Outcome::TooComplex;
    fail("the kernel refused to load a program sema accepted (libbpf's log is above):\n" +
         diagnostics_text(refusals, source));
  }
  return Outcome::Loaded;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  g_shared = new Shared;
  Shared &sh = *g_shared;
  sh.print_programs = std::getenv("SCRY_FUZZ_PRINT") != nullptr;
  if (const char *path = std::getenv("SCRY_FUZZ_PROGRAM")) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "middle_fuzz: cannot read SCRY_FUZZ_PROGRAM=%s\n", path);
      std::exit(1);
    }
    sh.program_file = text.str();
  }
  const char *strict = std::getenv("SCRY_FUZZ_STRICT");
  sh.strict = strict && std::string(strict) != "0";
  const char *known = std::getenv("SCRY_FUZZ_KNOWN_BUGS");
  sh.generator.avoid_known_bugs = !(known && std::string(known) != "0");
  sh.devnull = std::fopen("/dev/null", "w");
  // Sema reads these limits from the environment too; the generated config block decides.
  for (const char *name : {"BPFTRACE_MAX_STRLEN", "BPFTRACE_STRLEN", "BPFTRACE_MAX_MAP_KEYS",
                           "BPFTRACE_MAP_KEYS_MAX", "BPFTRACE_MAX_PROBES"})
    unsetenv(name);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  sh.ncpus = online > 0 ? static_cast<uint32_t>(online) : 1;
  scry::TracefsRoot tracefs = scry::tracefs_ensure_mounted();
  if (!tracefs.ok()) {
    std::fprintf(stderr, "middle_fuzz: %s\n", tracefs.error.c_str());
    std::exit(77);
  }
  sh.tracefs_root = tracefs.path;
  sh.btf.load();
  if (__asan_set_error_report_callback)
    __asan_set_error_report_callback(on_asan_report);

  // The first compilation initialises LLVM's BPF target, which installs scry's fatal-error
  // handler; replace it with one that keeps the input. It also checks that this machine can
  // load BPF at all.
  const std::string empty = "begin { }";
  g_program = &empty;
  scry::SourceFile source("init.bt", empty);
  scry::ast::Context ctx;
  scry::Diagnostics diags;
  scry::ast::Program *program = scry::parse_program(source, {}, ctx, diags);
  scry::SemaOptions sema_options;
  sema_options.tracefs_root = sh.tracefs_root;
  scry::SemaResult sema;
  bool ok = program && scry::analyse(*program, sema_options, sh.btf, sema, diags);
  scry::CodegenResult code;
  if (ok)
    code = scry::generate(*program, sema, source, {});
  llvm::remove_fatal_error_handler();
  llvm::install_fatal_error_handler(on_llvm_fatal_error, nullptr);
  std::unique_ptr<scry::Output> output = scry::make_text_output(sh.devnull, sh.devnull);
  scry::RunOptions run_options;
  run_options.dry_run = true;
  if (!ok || !code.error.empty() ||
      scry::run_program(code.object, sema.resources, run_options, *output) != 0) {
    std::fprintf(stderr, "middle_fuzz: cannot load even `%s` here (not root? no BPF?)\n",
                 empty.c_str());
    std::exit(77);
  }
  g_program = nullptr;
  std::atexit(print_stats);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto started = std::chrono::steady_clock::now();
  StageClock clock;
  clock.start();
  FuzzedDataProvider provider(data, size);
  bool raw_tracepoints = provider.ConsumeIntegralInRange<int>(0, 3) != 0;
  bool filter_pid = provider.ConsumeIntegralInRange<int>(0, 7) == 7;
  std::string text = g_shared->program_file.empty()
                         ? scry::fuzz::generate_program(provider, g_shared->generator)
                         : g_shared->program_file;
  if (g_shared->print_programs)
    std::fprintf(stderr, "---- program (raw tracepoints %s, -p %s) ----\n%s",
                 raw_tracepoints ? "on" : "off", filter_pid ? "on" : "off", text.c_str());
  g_program = &text;
  ++g_stats.runs;
  clock.lap(kGenerate);
  switch (compile_and_load(text, raw_tracepoints, filter_pid, clock)) {
  case Outcome::Loaded:
    ++g_stats.loaded;
    break;
  case Outcome::SemaError:
    ++g_stats.sema_errors;
    break;
  case Outcome::TooLarge:
    ++g_stats.too_large;
    break;
  case Outcome::TooComplex:
    ++g_stats.too_complex;
    break;
  }
  g_program = nullptr;
  if (g_shared->print_programs)
    std::fprintf(
        stderr, "---- %.1f ms\n",
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count());
  return 0;
}
