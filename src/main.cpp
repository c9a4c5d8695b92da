// The command line: reads the flags (bpftrace's, see man/scry.8), reads the program, and runs
// the pipeline's stages in order. Everything else lives in src/parser, src/sema, src/codegen and
// src/runtime.
#include "base/diagnostics.h"
#include "base/script_file.h"
#include "base/source.h"
#include "codegen/codegen.h"
#include "parser/ast.h"
#include "parser/attach_point.h"
#include "parser/parse.h"
#include "parser/printer.h"
#include "runtime/child_command.h"
#include "runtime/info.h"
#include "runtime/kernel_features.h"
#include "runtime/output.h"
#include "runtime/runner.h"
#include "runtime/startup_profile.h"
#include "runtime/tracefs.h"
#include "sema/btf.h"
#include "sema/listing.h"
#include "sema/semantic_analyser.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <getopt.h>
#include <iostream>
#include <optional>
#include <signal.h>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr const char *kUsage = R"(USAGE:
    scry [options] FILE [--] [params...]
    scry [options] - [--] [params...]            (program from stdin)
    scry [options] -e 'PROGRAM' [--] [params...]
    scry -l [-v] [-p PID] [SEARCH | FILE | -e 'PROGRAM']

Positional parameters ($1, $2, ..., $#) follow the program. Needs root to load and attach.

OPTIONS:
    -e PROGRAM             the program to run (if repeated, the last one wins)
    -d, --debug STAGE      print a stage's output: ast, codegen (LLVM IR), codegen-opt
                           (optimized IR) or all (repeatable, or STAGE,STAGE)
    --dry-run              run every stage, loading through the verifier; stop before attaching
    --test                 run the test:NAME probes and report each (same as --mode test)
    --bench                time the bench:NAME probes (same as --mode bench)
    -c, --cmd CMD          run CMD (cpid is its pid); exit when it exits
    -p, --pid PID          probes other than begin/end fire only in process PID
    -o, --output FILE      write the program's output to FILE
    -f FORMAT              output format: text (default) or json
    -B MODE                stdout buffering: line (default), full or none
    -q, --quiet            print only the program's own output
    -v, --verbose          print more: program ids, the verifier's whole log on failure
    --no-warnings          do not print warnings
    -I DIR                 add DIR to the search path for #include in programs
    --include FILE         #include FILE before the program's C definitions
    -l, --list [SEARCH]    list the probes SEARCH matches ('t:syscalls:*', '*sleep*'), or the
                           program's; -v adds arguments; -lv 'struct NAME' prints a kernel type
    --info                 show what this kernel and this build support
    -b, --btf              no effect; kept for compatibility
    -h, --help             show this help and exit
    -V, --version          show the version and exit

ACCEPTED, NOTHING TO ACT ON YET:
    -k, --warnings         report probe_read and map errors at run time
    --unsafe               allow unsafe functions (system, signal, ...)
    --usdt-file-activation activate USDT semaphores by file path

NOT IMPLEMENTED YET (accepted, then refused with an error):
    --probe-filter REGEX   attach only the probes matching REGEX
    --emit-elf FILE        write the BPF object to FILE
    --emit-llvm FILE       write the LLVM IR to FILE

ENVIRONMENT:
    BPFTRACE_MAX_STRLEN, BPFTRACE_MAX_MAP_KEYS   override config max_strlen, max_map_keys
    SCRY_NOTIFY_PROBES_ATTACHED                   print a line on stdout once probes attach

EXAMPLES:
    scry -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'
    scry -e 'tracepoint:syscalls:sys_enter_openat { printf("%s\n", str(args.filename)); }'
    scry -c 'ls /' -e 'tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @ = count(); }'
    scry --dry-run -d ast -e 'profile:hz:99 { @[cpu] = count(); }'
    scry script.bt 42 /bin/sh
)";

// Long options without a short form.
enum LongOnly {
  kDryRun = 256,
  kNoWarnings,
  kInclude,
  kUnsafe,
  kInfo,
  kUsdtFileActivation,
  kProbeFilter,
  kEmitElf,
  kEmitLlvm,
  kTest,
  kBench,
  kMode,
};

// The leading ':' makes getopt_long return ':' for a missing argument and print nothing, so that
// its errors read like ours ("scry: ...") rather than naming argv[0].
constexpr const char *kShortOptions = ":e:d:B:bI:kqvhVc:p:lf:o:";

const option kLongOptions[] = {
    {"debug", required_argument, nullptr, 'd'},
    {"btf", no_argument, nullptr, 'b'},
    {"warnings", no_argument, nullptr, 'k'},
    {"quiet", no_argument, nullptr, 'q'},
    {"verbose", no_argument, nullptr, 'v'},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {"cmd", required_argument, nullptr, 'c'},
    {"pid", required_argument, nullptr, 'p'},
    {"list", no_argument, nullptr, 'l'},
    {"output", required_argument, nullptr, 'o'},
    {"dry-run", no_argument, nullptr, kDryRun},
    {"no-warnings", no_argument, nullptr, kNoWarnings},
    {"include", required_argument, nullptr, kInclude},
    {"unsafe", no_argument, nullptr, kUnsafe},
    {"info", no_argument, nullptr, kInfo},
    {"usdt-file-activation", no_argument, nullptr, kUsdtFileActivation},
    {"probe-filter", required_argument, nullptr, kProbeFilter},
    {"emit-elf", required_argument, nullptr, kEmitElf},
    {"emit-llvm", required_argument, nullptr, kEmitLlvm},
    {"test", no_argument, nullptr, kTest},
    {"bench", no_argument, nullptr, kBench},
    {"mode", required_argument, nullptr, kMode},
    {nullptr, 0, nullptr, 0},
};

struct Options {
  std::optional<std::string> program; // -e
  std::vector<std::string> positional;
  bool dump_ast = false;
  bool dump_ir = false;     // -d codegen
  bool dump_ir_opt = false; // -d codegen-opt
  std::string command;      // -c
  int pid = 0;              // -p
  std::string output_file;  // -o
  bool json = false;        // -f json
  bool dry_run = false;
  scry::RunMode mode = scry::RunMode::Trace; // --test, --bench, --mode
  bool verbose = false;
  bool quiet = false;
  bool runtime_warnings = false; // -k
  bool no_warnings = false;
  bool unsafe = false;
  bool usdt_file_activation = false;
  bool list = false;                      // -l
  bool info = false;                      // --info
  int buffering = _IOLBF;                 // -B
  std::vector<std::string> include_dirs;  // -I
  std::vector<std::string> include_files; // --include
  std::string unimplemented;              // the first flag given whose behaviour does not exist yet
};

void error(std::string_view message) {
  fmt::print(stderr, "scry: {}\n", message);
}

/// A command line that cannot run: the message, then the usage on stderr, as bpftrace prints
/// them for an unknown flag.
void usage_error(std::string_view message) {
  error(message);
  fmt::print(stderr, "\n{}", kUsage);
}

/// An error bpftrace words the same way, in its layout ("ERROR: ..."), so that scripts that
/// match its messages match scry's.
void bpftrace_error(std::string_view message) {
  fmt::print(stderr, "ERROR: {}\n", message);
}

// Records -d's stages ("ast", "all", or a comma-separated list); false after reporting an
// unknown one.
bool add_debug_stages(std::string_view arg, Options &opts) {
  while (true) {
    size_t comma = arg.find(',');
    std::string_view stage = arg.substr(0, comma);
    if (stage == "ast") {
      opts.dump_ast = true;
    } else if (stage == "codegen") {
      opts.dump_ir = true;
    } else if (stage == "codegen-opt") {
      opts.dump_ir_opt = true;
    } else if (stage == "all") {
      opts.dump_ast = opts.dump_ir = opts.dump_ir_opt = true;
    } else {
      usage_error(fmt::format(
          "unknown debug stage '{}' (valid stages: ast, codegen, codegen-opt, all)", stage));
      return false;
    }
    if (comma == std::string_view::npos)
      return true;
    arg.remove_prefix(comma + 1);
  }
}

// A process id: a decimal integer in [1, INT32_MAX], the range of pid_t.
/// Why `text` is not a pid -p can take, in bpftrace's words, or "" when it is one: a decimal
/// number from 1 to PID_MAX_LIMIT (4194304, include/linux/threads.h).
std::string pid_problem(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    return fmt::format("Pid out of range: {}", text);
  if (ec != std::errc() || end == text.data())
    return fmt::format("Failed to parse pid: invalid integer: {}", text);
  if (end != text.data() + text.size())
    return fmt::format("Failed to parse pid: invalid trailing bytes: {}", text);
  if (value < 1 || value > 4194304)
    return fmt::format("Pid out of range: {}", text);
  return "";
}

// The option getopt_long has just rejected, as written. A short option is in optopt; a long one
// is the argument before optind (which does not move while a cluster like -vz is half read).
// `known_long` is set when it is a valid long option, so the problem was its argument.
std::string rejected_option(int argc, char **argv, bool &known_long) {
  known_long = false;
  std::string_view prev = optind > 0 && optind <= argc ? argv[optind - 1] : "";
  bool is_short = optopt > 0 && optopt < 128 && std::isalnum(optopt);
  if (prev.starts_with("--")) {
    std::string_view name = prev.substr(0, prev.find('='));
    for (const option *o = kLongOptions; o->name; ++o) {
      // getopt_long accepts unambiguous prefixes ("--dry").
      if (optopt == o->val && std::string_view(o->name).starts_with(name.substr(2))) {
        known_long = true;
        return std::string(name);
      }
    }
    if (!is_short)
      return std::string(prev);
  }
  return std::string("-") + static_cast<char>(optopt);
}

// Parses argv into `opts`. Returns an exit status when the process should stop now (help,
// version, a usage error), or nullopt to go on.
std::optional<int> parse_args(int argc, char **argv, Options &opts) {
  auto unimplemented = [&](std::string_view flag) {
    if (opts.unimplemented.empty())
      opts.unimplemented = flag;
  };
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
    switch (c) {
    case 'e':
      opts.program = optarg;
      break;
    case 'd':
      if (!add_debug_stages(optarg, opts))
        return 1;
      break;
    case 'B': {
      std::string_view mode = optarg;
      if (mode == "none") {
        opts.buffering = _IONBF;
      } else if (mode == "line") {
        opts.buffering = _IOLBF;
      } else if (mode == "full") {
        opts.buffering = _IOFBF;
      } else {
        usage_error(fmt::format("invalid buffering mode '{}' (valid: none, line, full)", mode));
        return 1;
      }
      break;
    }
    case 'b':
      break; // BTF is always used; the flag stays for compatibility.
    case 'I':
      opts.include_dirs.emplace_back(optarg);
      break;
    case kInclude:
      opts.include_files.emplace_back(optarg);
      break;
    case 'k':
      if (opts.runtime_warnings) { // -kk: bpftrace's second level of warnings, removed
        bpftrace_error("USAGE: -kk has been deprecated. Use a single -k for runtime warnings for "
                       "errors in map lookups and probe reads.");
        return 1;
      }
      opts.runtime_warnings = true;
      break;
    case kNoWarnings:
      opts.no_warnings = true;
      break;
    case 'q':
      opts.quiet = true;
      break;
    case 'v':
      opts.verbose = true;
      break;
    case kUnsafe:
      opts.unsafe = true;
      break;
    case kUsdtFileActivation:
      opts.usdt_file_activation = true;
      break;
    case kDryRun:
      opts.dry_run = true;
      break;
    case 'h':
      fmt::print(stdout, "{}", kUsage);
      return 0;
    case 'V':
      fmt::print(stdout, "scry v{}\n", SCRY_VERSION);
      return 0;
    case 'p': {
      // bpftrace's messages; PID_MAX_LIMIT (include/linux/threads.h) bounds a pid.
      std::string why = pid_problem(optarg);
      if (!why.empty()) {
        bpftrace_error(why);
        return 1;
      }
      opts.pid = std::atoi(optarg);
      break;
    }
    case 'f': {
      std::string_view format = optarg;
      if (format != "text" && format != "json") {
        usage_error(fmt::format("invalid output format '{}' (valid: text, json)", format));
        return 1;
      }
      opts.json = format == "json";
      break;
    }
    case 'c':
      opts.command = optarg;
      break;
    case 'l':
      opts.list = true;
      break;
    case 'o':
      opts.output_file = optarg;
      break;
    case kInfo:
      opts.info = true;
      break;
    case kProbeFilter:
      unimplemented("--probe-filter");
      break;
    case kEmitElf:
      unimplemented("--emit-elf");
      break;
    case kEmitLlvm:
      unimplemented("--emit-llvm");
      break;
    case kTest:
    case kBench:
    case kMode: {
      std::string_view mode = c == kTest ? "test" : c == kBench ? "bench" : optarg;
      if (mode == "test" || mode == "bench")
        opts.mode = mode == "test" ? scry::RunMode::Test : scry::RunMode::Bench;
      else if (mode == "codegen" || mode == "compiler-bench" || mode == "format")
        unimplemented("--mode " + std::string(mode));
      else {
        usage_error(fmt::format("invalid mode '{}' (valid: test, bench)", mode));
        return 1;
      }
      break;
    }
    case ':': {
      bool known_long;
      usage_error(
          fmt::format("option '{}' needs an argument", rejected_option(argc, argv, known_long)));
      return 1;
    }
    default: { // '?'
      bool known_long;
      std::string name = rejected_option(argc, argv, known_long);
      usage_error(known_long ? fmt::format("option '{}' takes no argument", name)
                             : fmt::format("unknown option '{}'", name));
      return 1;
    }
    }
  }
  for (int i = optind; i < argc; ++i)
    opts.positional.emplace_back(argv[i]);
  // The combinations the newest bpftrace refuses, in its words.
  if (!opts.command.empty() && opts.pid) {
    bpftrace_error("USAGE: Cannot use both -c and -p.");
    fmt::print(stderr, "{}", kUsage);
    return 1;
  }
  if (opts.runtime_warnings && opts.no_warnings) {
    bpftrace_error("USAGE: -k, --warnings conflicts with --no-warnings");
    return 1;
  }
  return std::nullopt;
}

// The -o file. It is opened before the program is compiled, so that a path that cannot be
// written is an error at once, and emptied only once the probes are attached (replace()), so
// that a program that fails to load leaves an existing file as it was; a file created for a run
// that never attached is removed again. A symbolic link as the last component is refused in a
// sticky world-writable directory (/tmp) unless the user or the directory's owner owns it, as
// the kernel's fs.protected_symlinks decides (Documentation/admin-guide/sysctl/fs.rst): another
// user's link there could point root's output at any file.
struct OutputFile {
  std::string path;
  FILE *file = nullptr;
  bool created = false;
  bool replaced = false;

  bool open(const std::string &p) {
    path = p;
    int nofollow = O_NOFOLLOW;
    struct stat link;
    if (lstat(p.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
      size_t slash = p.rfind('/');
      std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : p.substr(0, slash);
      struct stat d;
      if (stat(dir.c_str(), &d) == 0 && (d.st_mode & S_ISVTX) && (d.st_mode & S_IWOTH) &&
          link.st_uid != geteuid() && link.st_uid != d.st_uid) {
        error(fmt::format("-o {}: refusing to follow a symbolic link that another user owns in "
                          "the world-writable directory {}; remove it or choose another path",
                          p, dir));
        return false;
      }
      nofollow = 0;
    }
    // A file created through a symbolic link is left in place: removing the path would remove
    // the link.
    struct stat st;
    const bool existed = stat(p.c_str(), &st) == 0;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | nofollow, 0644);
    created = fd >= 0 && !existed && nofollow != 0;
    if (fd >= 0)
      file = fdopen(fd, "w");
    if (!file) {
      error(fmt::format("cannot open '{}' for output: {}", p, std::strerror(errno)));
      if (fd >= 0)
        close(fd);
      return false;
    }
    return true;
  }

  /// Empties the file for this run's output.
  void replace() {
    if (ftruncate(fileno(file), 0) != 0)
      error(fmt::format("-o {}: cannot empty the file: {}", path, std::strerror(errno)));
    replaced = true;
  }

  /// Closes the file; false (with errno) when writing its last buffered bytes failed.
  bool close_file() {
    bool ok = std::fclose(file) == 0;
    file = nullptr;
    return ok;
  }

  ~OutputFile() {
    if (file)
      std::fclose(file);
    if (created && !replaced)
      unlink(path.c_str());
  }
};

bool has_tracepoint(const scry::ast::Program &program) {
  for (const scry::ast::Probe *probe : program.probes)
    for (const scry::ast::AttachPoint *ap : probe->attach_points)
      if (ap->type == scry::ast::ProbeType::Tracepoint)
        return true;
  return false;
}

/// -l without a program: lists the probes (or kernel types) the search matches.
int list_search(const Options &opts) {
  scry::ListOptions list{scry::tracefs_find({scry::kTracefsPath, scry::kTracefsDebugfsPath}),
                         opts.pid, opts.verbose, scry::kernel_has_named};
  return scry::list_probes(opts.positional.empty() ? "" : opts.positional[0], list, stdout) ? 0 : 1;
}

/// Prints `diags` on stderr: in bpftrace's text layout, or as JSON lines with -f json.
void print_diagnostics(const scry::Diagnostics &diags, const scry::SourceFile &source, bool json) {
  if (json)
    diags.print_json(std::cerr, source);
  else
    diags.print(std::cerr, source);
}

/// `-- --help`: the program's named parameters, one per line, as `--name=KIND`, its description
/// and its default, on stdout.
void print_named_options(const std::vector<scry::NamedOption> &options) {
  if (options.empty()) {
    fmt::print("The program reads no named parameters (getopt).\n");
    return;
  }
  fmt::print("Named parameters (after --):\n");
  for (const scry::NamedOption &o : options) {
    std::string kind = o.kind == "int" ? "=NUMBER" : o.kind == "string" ? "=TEXT" : "";
    std::string text = o.description.empty() ? "" : o.description + " ";
    fmt::print("  --{:<20} {}(default: {})\n", o.name + kind, text,
               o.kind == "string" ? "\"" + o.default_text + "\"" : o.default_text);
  }
}

int run(int argc, char **argv) {
  scry::startup_mark("exec->main");
  // A standard descriptor the caller closed would be reused by the first file scry opens (a BPF
  // object, a perf event), and output meant for stdout would go there. /dev/null holds the
  // place; a closed stdout is then an error once it is known that scry writes to it.
  const bool stdout_closed = fcntl(STDOUT_FILENO, F_GETFD) < 0;
  for (int fd = 0; fd <= 2; ++fd)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
      return 1;
  Options opts;
  if (std::optional<int> status = parse_args(argc, argv, opts))
    return *status;
  if (stdout_closed && opts.output_file.empty()) {
    error("cannot write the output to stdout: it is closed; give -o FILE");
    return 1;
  }
  // -B line is kept by flushing after every batch of ring-buffer records (RunOptions::
  // flush_after_batch), not by stdio, which would make one write(2) per line.
  const int stdio_mode = opts.buffering == _IOLBF ? _IOFBF : opts.buffering;
  constexpr size_t kOutputBuffer = 64 * 1024;
  if (std::setvbuf(stdout, nullptr, stdio_mode, stdio_mode == _IONBF ? 0 : kOutputBuffer) != 0)
    error("cannot set the buffering mode of stdout");
  if (!opts.unimplemented.empty()) {
    error(fmt::format("'{}' is not implemented yet", opts.unimplemented));
    return 1;
  }
  if (opts.info) {
    scry::print_info(stdout, SCRY_VERSION);
    return 0;
  }
  if (opts.pid && kill(opts.pid, 0) != 0 && errno == ESRCH) {
    bpftrace_error(fmt::format("Failed to attach to pid {}: No such process", opts.pid));
    return 1;
  }
  // -l's argument is a script when it names a file, else a search (bpftrace's rule).
  struct stat script;
  if (opts.list && !opts.program &&
      (opts.positional.empty() || stat(opts.positional[0].c_str(), &script) != 0))
    return list_search(opts);

  // With -e every positional argument is a parameter; otherwise the first names the script.
  std::string name;
  std::string text;
  std::vector<std::string> params;
  if (opts.program) {
    name = "stdin";
    text = std::move(*opts.program);
    params = opts.positional;
  } else if (!opts.positional.empty()) {
    const std::string &path = opts.positional.front();
    std::optional<std::string> script = scry::read_script(path, opts.json);
    if (!script)
      return 1;
    name = path == "-" ? "stdin" : path;
    text = std::move(*script);
    params.assign(opts.positional.begin() + 1, opts.positional.end());
  } else {
    usage_error("no program given: use -e PROGRAM, a FILE, or - for stdin");
    return 1;
  }
  // Named parameters (`--name=value`, `--name`) can only come after `--`: before it,
  // getopt_long would have taken them for options. getopt() reads them; the rest are $1, $2...
  std::map<std::string, std::optional<std::string>> named_params;
  std::erase_if(params, [&](const std::string &p) {
    if (p.size() < 3 || p.compare(0, 2, "--") != 0 ||
        !(std::isalpha(static_cast<unsigned char>(p[2])) || p[2] == '_'))
      return false;
    size_t eq = p.find('=');
    named_params[p.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)] =
        eq == std::string::npos ? std::nullopt : std::optional<std::string>(p.substr(eq + 1));
    return true;
  });

  scry::SourceFile source(std::move(name), std::move(text));
  scry::ast::Context ctx;
  scry::Diagnostics diags;
  scry::ast::Program *program = scry::parse_program(source, params, ctx, diags);
  scry::startup_mark("parse");
  if (diags.has_errors() || !program) {
    print_diagnostics(diags, source, opts.json);
    if (!diags.has_errors())
      error(fmt::format("{}: the program could not be parsed", source.name()));
    return 1;
  }
  if (!opts.no_warnings)
    print_diagnostics(diags, source, opts.json);
  if (opts.verbose)
    fmt::print(stderr, "scry: {} probe(s), {} AST nodes\n", program->probes.size(),
               ctx.node_count());
  if (opts.dump_ast) {
    scry::print_ast_tree(std::cout, *program);
    std::cout.flush();
  }

  std::string tracefs_root;
  if (has_tracepoint(*program)) {
    scry::TracefsRoot tracefs = scry::tracefs_ensure_mounted();
    if (!tracefs.ok()) {
      error(tracefs.error);
      return 1;
    }
    if (opts.verbose && tracefs.mounted_now)
      fmt::print(stderr, "scry: mounted tracefs at {}\n", tracefs.path);
    tracefs_root = tracefs.path;
  }

  // -c: the child is created first, so that cpid is known when the program is compiled, and
  // waits until every probe is attached.
  scry::ChildCommand child;
  if (!opts.command.empty() && !opts.dry_run && !opts.list) {
    std::string why;
    if (!child.start(opts.command, why)) {
      error(why);
      return 1;
    }
  }

  scry::KernelBtf btf;
  scry::SemaOptions sema_options;
  sema_options.params = params;
  sema_options.named_params = std::move(named_params);
  sema_options.has_child = !opts.command.empty();
  sema_options.child_program = child.program;
  sema_options.target_pid = static_cast<pid_t>(opts.pid);
  sema_options.unsafe = opts.unsafe;
  sema_options.tracefs_root = tracefs_root;
  sema_options.raw_tracepoints = !std::getenv("SCRY_CLASSIC_TRACEPOINTS");
  sema_options.c_definitions.include_dirs = opts.include_dirs;
  sema_options.c_definitions.include_files = opts.include_files;
  sema_options.kfunc_allowed = scry::kernel_kfunc_allowed;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  sema_options.ncpus = online > 0 ? static_cast<uint32_t>(online) : 1;
  scry::SemaResult sema;
  scry::Diagnostics sema_diags;
  if (opts.list) {
    bool listed =
        scry::list_program_probes(*program, sema_options, btf, opts.verbose, stdout, sema_diags);
    print_diagnostics(sema_diags, source, opts.json);
    return listed ? 0 : 1;
  }
  bool typed = scry::analyse(*program, sema_options, btf, sema, sema_diags);
  scry::startup_mark("sema");
  // `-- --help`: the named parameters the program's getopt() calls read, instead of a run. A
  // program this machine cannot run (an attach point its kernel lacks) still lists them, as
  // written, after its errors.
  const bool help = sema_options.named_params.count("help") != 0;
  if (!opts.no_warnings || !typed)
    print_diagnostics(sema_diags, source, opts.json);
  if (!typed) {
    std::vector<scry::NamedOption> written;
    if (help)
      written = scry::written_named_options(*program);
    if (!help || std::any_of(written.begin(), written.end(),
                             [](const scry::NamedOption &o) { return o.name == "help"; }))
      return 1;
    print_named_options(written);
    return 0;
  }
  if (help && std::none_of(sema.named_options.begin(), sema.named_options.end(),
                           [](const scry::NamedOption &o) { return o.name == "help"; })) {
    print_named_options(sema.named_options);
    return 0;
  }
  scry::set_str_trunc_trailer(sema.resources.config.str_trunc_trailer);
  scry::CodegenOptions codegen_options;
  codegen_options.filter_pid = opts.pid;
  codegen_options.child_pid = child.pid;
  // pid and tid as scry's pid namespace sees them (bpftrace's curr_ns). PROC_PID_INIT_INO
  // (include/linux/proc_ns.h) is the initial namespace's inode number.
  if (struct stat ns; stat("/proc/self/ns/pid", &ns) == 0 && ns.st_ino != 0xEFFFFFFCU) {
    codegen_options.pid_namespace_dev = ns.st_dev;
    codegen_options.pid_namespace_ino = ns.st_ino;
  }
  codegen_options.params = params;
  codegen_options.dump_ir = opts.dump_ir;
  codegen_options.dump_ir_opt = opts.dump_ir_opt;
  codegen_options.helper_warnings = opts.runtime_warnings;
  auto report_codegen_error = [&](const scry::CodegenResult &code) {
    if (code.error_loc) {
      scry::Diagnostics codegen_diags;
      codegen_diags.error(scry::DiagCode::ProbeTooLarge, *code.error_loc, code.error,
                          "split the probe into several probes on the same event");
      print_diagnostics(codegen_diags, source, opts.json);
    } else {
      error(code.error);
    }
  };
  codegen_options.report_fatal = report_codegen_error;
  scry::CodegenResult code = scry::generate(*program, sema, source, codegen_options);
  scry::startup_mark("codegen");
  if (!code.ir.empty())
    std::cout << code.ir << std::flush;
  if (!code.error.empty()) {
    report_codegen_error(code);
    return 1;
  }
  sema.resources.runtime_errors.insert(sema.resources.runtime_errors.end(),
                                       code.helper_errors.begin(), code.helper_errors.end());

  FILE *out = stdout;
  OutputFile output_file;
  if (!opts.output_file.empty()) {
    if (!output_file.open(opts.output_file))
      return 1;
    out = output_file.file;
    std::setvbuf(out, nullptr, stdio_mode, stdio_mode == _IONBF ? 0 : kOutputBuffer);
  }
  std::unique_ptr<scry::Output> output =
      opts.json ? scry::make_json_output(out) : scry::make_text_output(out, stderr);

  scry::RunOptions run_options;
  run_options.flush_after_batch = opts.buffering == _IOLBF;
  run_options.quiet = opts.quiet;
  run_options.verbose = opts.verbose;
  run_options.dry_run = opts.dry_run;
  run_options.mode = opts.mode;
  run_options.notify = std::getenv("SCRY_NOTIFY_PROBES_ATTACHED") ||
                       std::getenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED");
  run_options.child_pid = child.pid;
  run_options.target_pid = opts.pid;
  run_options.child_release_fd = child.release_fd;
  child.release_fd = -1; // the runner closes it
  if (output_file.file)
    run_options.on_attached = [&output_file] { output_file.replace(); };
  run_options.source = &source;
  run_options.json = opts.json;
  run_options.no_warnings = opts.no_warnings;
  run_options.report = [&source, json = opts.json](const scry::Diagnostic &d) {
    scry::Diagnostics located;
    located.add(d);
    print_diagnostics(located, source, json);
  };
  int status = scry::run_program(code.object, sema.resources, run_options, *output);
  int write_error = output->write_error();
  output.reset();
  if (output_file.file && !output_file.close_file() && write_error == 0)
    write_error = errno != 0 ? errno : EIO;
  // Every write of the output is checked: a full disk or a closed stdout ends the run with an
  // error. A reader that closed its pipe (`| head`) ends it quietly, as SIGPIPE would have.
  if (write_error == EPIPE)
    return 128 + SIGPIPE;
  if (write_error != 0) {
    error(fmt::format("cannot write the output to {}: {}",
                      opts.output_file.empty() ? "stdout" : "'" + opts.output_file + "'",
                      std::strerror(write_error)));
    return 1;
  }
  return status;
}

} // namespace

int main(int argc, char **argv) {
  return run(argc, argv);
}
