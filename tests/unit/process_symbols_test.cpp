// symbols/kernel_symbols.h and symbols/process_symbols.h: kernel symbols from a kallsyms fixture
// and from /proc/kallsyms (the tests run as root), and the user symbols of tests/targets'
// programs resolved after they have exited. Runs from the build directory, where tests/targets/
// holds the target programs. Expected run-time addresses are computed here from
// /proc/PID/maps and symbols/elf_image.h, independently of libdwfl.
#include "symbols/elf_image.h"
#include "symbols/kernel_symbols.h"
#include "symbols/process_symbols.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace scry {
namespace {

// ---- Kernel symbols ----

/// A file under /tmp holding `text`, removed at destruction.
class TempFile {
public:
  explicit TempFile(const std::string &text) {
    char name[] = "/tmp/scry_symbols_test_XXXXXX";
    int fd = mkstemp(name);
    path_ = name;
    if (fd >= 0) {
      EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
      close(fd);
    }
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

// Unsorted, as a module's lines are; two names at one address; a module symbol listed before a
// vmlinux one of the same name; an absolute symbol (a value, not an address).
const char *const kKallsyms = "ffffffffc0002000 t mod_func2\t[mymod]\n"
                              "ffffffffc0001000 T mod_func1\t[mymod]\n"
                              "ffffffffc0003000 T shared_name\t[othermod]\n"
                              "ffffffff81000100 T second_func\n"
                              "ffffffff81000000 T first_func\n"
                              "ffffffff81000000 t first_alias\n"
                              "0000000000001000 A absolute_sym\n"
                              "ffffffff81000300 T shared_name\n"
                              "ffffffff81000200 t third_func\n";

TEST(KernelSymbols, FixtureResolvesNearestSymbolBelow) {
  TempFile file(kKallsyms);
  std::string error;
  auto syms = KernelSymbols::load(file.path(), error);
  ASSERT_TRUE(syms) << error;
  EXPECT_EQ(syms->size(), 7u); // 9 lines, one alias and one absolute symbol left out

  auto s = syms->resolve(0xffffffff81000105);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "second_func");
  EXPECT_EQ(s->offset, 5u);
  EXPECT_EQ(s->module, "");

  s = syms->resolve(0xffffffffc0001010);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "mod_func1");
  EXPECT_EQ(s->offset, 0x10u);
  EXPECT_EQ(s->module, "mymod");

  s = syms->resolve(0xffffffffc0003000);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "shared_name");
  EXPECT_EQ(s->offset, 0u);
  EXPECT_EQ(s->module, "othermod");

  s = syms->resolve(0xffffffff81000000); // the first listed of two names
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "first_func");
  EXPECT_EQ(s->offset, 0u);

  EXPECT_FALSE(syms->resolve(0xffffffff80ffffff)); // below the first symbol
  EXPECT_FALSE(syms->resolve(0x1000));             // the absolute symbol is not an address
  EXPECT_FALSE(syms->resolve(0));
  EXPECT_TRUE(syms->resolve(0xffffffffc0003000 + KernelSymbols::kMaxLastSymbolSpan));
  EXPECT_FALSE(syms->resolve(0xffffffffc0003000 + KernelSymbols::kMaxLastSymbolSpan + 1));
}

TEST(KernelSymbols, FixtureAddressOfName) {
  TempFile file(kKallsyms);
  EXPECT_EQ(kernel_symbol_address("mod_func1", file.path()), 0xffffffffc0001000u);
  EXPECT_EQ(kernel_symbol_address("first_func", file.path()), 0xffffffff81000000u);
  EXPECT_EQ(kernel_symbol_address("first_alias", file.path()), 0xffffffff81000000u);
  // vmlinux's, though the module's line comes first.
  EXPECT_EQ(kernel_symbol_address("shared_name", file.path()), 0xffffffff81000300u);
  EXPECT_FALSE(kernel_symbol_address("first", file.path())); // a prefix is not a name
  EXPECT_FALSE(kernel_symbol_address("no_such_symbol", file.path()));
  EXPECT_FALSE(kernel_symbol_address("absolute_sym", file.path()));
  EXPECT_FALSE(kernel_symbol_address("first_func", "/no/such/kallsyms"));
}

TEST(KernelSymbols, HiddenAddressesAndMissingFilesAreErrors) {
  TempFile hidden("0000000000000000 T first_func\n0000000000000000 t mod_func\t[mymod]\n");
  std::string error;
  EXPECT_FALSE(KernelSymbols::load(hidden.path(), error));
  EXPECT_NE(error.find("kptr_restrict"), std::string::npos) << error;
  EXPECT_FALSE(kernel_symbol_address("first_func", hidden.path()));

  error.clear();
  EXPECT_FALSE(KernelSymbols::load("/no/such/kallsyms", error));
  EXPECT_NE(error.find("/no/such/kallsyms"), std::string::npos) << error;

  TempFile empty("");
  error.clear();
  EXPECT_FALSE(KernelSymbols::load(empty.path(), error));
  EXPECT_NE(error.find("no kernel symbol"), std::string::npos) << error;
}

TEST(KernelSymbols, TraceableFunctionsFromFtracesList) {
  // available_filter_functions: "NAME" or "NAME [MODULE]"; a name two modules define, and a
  // padding stub that is not a function.
  char dir[] = "/tmp/scry_tracefs_XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  const std::string list = std::string(dir) + "/available_filter_functions";
  {
    FILE *f = std::fopen(list.c_str(), "w");
    ASSERT_TRUE(f);
    std::fputs("vfs_read\nvfs_write\nmod_open [mymod]\nshared [a]\nshared [b]\n"
               "__pfx_vfs_read\nvfs_read\n",
               f);
    std::fclose(f);
  }
  TempFile kallsyms(kKallsyms);
  KernelFunctionList l = traceable_kernel_functions(dir, kallsyms.path());
  unlink(list.c_str());
  rmdir(dir);
  EXPECT_FALSE(l.from_kallsyms);
  std::vector<std::string> got;
  for (const KernelFunction &f : l.functions)
    got.push_back(f.name + "@" + f.module);
  EXPECT_EQ(got, (std::vector<std::string>{"mod_open@mymod", "shared@a", "shared@b", "vfs_read@",
                                           "vfs_write@"}));
}

TEST(KernelSymbols, TraceableFunctionsFallBackToKallsymsTextSymbols) {
  // No available_filter_functions (or one that cannot be read): kallsyms's t and T symbols,
  // without absolute symbols.
  TempFile kallsyms(kKallsyms);
  KernelFunctionList l = traceable_kernel_functions("/no/such/tracefs", kallsyms.path());
  EXPECT_TRUE(l.from_kallsyms);
  std::vector<std::string> got;
  for (const KernelFunction &f : l.functions)
    got.push_back(f.name + "@" + f.module);
  EXPECT_EQ(got, (std::vector<std::string>{"first_alias@", "first_func@", "mod_func1@mymod",
                                           "mod_func2@mymod", "second_func@", "shared_name@",
                                           "shared_name@othermod", "third_func@"}));
  KernelFunctionList none = traceable_kernel_functions("/no/such/tracefs", "/no/such/kallsyms");
  EXPECT_TRUE(none.functions.empty());
  EXPECT_NE(none.error.find("/no/such/kallsyms"), std::string::npos) << none.error;
}

TEST(KernelSymbols, RealKallsyms) {
  auto vfs_read = kernel_symbol_address("vfs_read");
  ASSERT_TRUE(vfs_read) << "vfs_read is not in /proc/kallsyms (not root?)";
  std::string error;
  auto syms = KernelSymbols::load("/proc/kallsyms", error);
  ASSERT_TRUE(syms) << error;
  EXPECT_GT(syms->size(), 10000u);
  auto s = syms->resolve(*vfs_read + 5);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "vfs_read");
  EXPECT_EQ(s->offset, 5u);
  EXPECT_EQ(s->module, "");
}

// ---- Process symbols ----

/// A tests/targets program started with --wait-file and --print-pid: after construction it has
/// printed its pid (its libraries are mapped) and waits for release(). Killed and reaped at
/// destruction if the test did not wait for it.
class Target {
public:
  explicit Target(const std::string &program) {
    static int serial = 0;
    wait_file_ = "/tmp/scry_symbols_test_release_" + std::to_string(getpid()) + "_" +
                 std::to_string(serial++);
    unlink(wait_file_.c_str());
    int out[2];
    if (pipe(out) != 0)
      return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      execl(program.c_str(), program.c_str(), "--wait-file", wait_file_.c_str(), "--print-pid", "3",
            static_cast<char *>(nullptr));
      _exit(127);
    }
    close(out[1]);
    // "pid N\n", within 10 s.
    std::string line;
    pollfd p = {out[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&p, 1, 10000) == 1) {
      char c[64];
      ssize_t n = read(out[0], c, sizeof c);
      if (n <= 0)
        break;
      line.append(c, static_cast<size_t>(n));
    }
    close(out[0]);
    started_ = line == "pid " + std::to_string(pid_) + "\n";
  }
  ~Target() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    unlink(wait_file_.c_str());
  }

  bool started() const { return started_; }
  pid_t pid() const { return pid_; }

  /// Lets it run to the end and reaps it; its exit status, or -1.
  int finish() {
    close(open(wait_file_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_)
      return -1;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

private:
  std::string wait_file_;
  pid_t pid_ = -1;
  bool started_ = false, reaped_ = false;
};

struct MapsLine {
  uint64_t start = 0, end = 0, offset = 0;
  std::string perms, path;
};

std::vector<MapsLine> read_maps(pid_t pid) {
  std::vector<MapsLine> lines;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::string text;
  while (std::getline(maps, text)) {
    MapsLine m;
    char perms[8] = {};
    int path_at = 0;
    unsigned long long start, end, offset;
    if (std::sscanf(text.c_str(), "%llx-%llx %7s %llx %*s %*u %n", &start, &end, perms, &offset,
                    &path_at) < 4)
      continue;
    m.start = start;
    m.end = end;
    m.offset = offset;
    m.perms = perms;
    m.path = path_at > 0 ? text.substr(static_cast<size_t>(path_at)) : "";
    lines.push_back(m);
  }
  return lines;
}

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The first file process `pid` maps whose path satisfies `pred`, or "".
template <typename Pred>
std::string mapped_file(pid_t pid, Pred pred) {
  for (const MapsLine &m : read_maps(pid))
    if (!m.path.empty() && m.path[0] == '/' && pred(m.path))
      return m.path;
  return "";
}

/// Where function `symbol` of ELF file `path` is in process `pid`: its file offset (from the
/// ELF's executable segment) inside the executable mapping of `path` covering that offset.
/// 0 when not found.
uint64_t runtime_address(pid_t pid, const std::string &path, const std::string &symbol) {
  std::string error;
  auto image = read_elf_image(path, error);
  if (!image)
    return 0;
  const ElfFunction *f = image->find(symbol);
  if (!f)
    return 0;
  auto file_offset = image->file_offset(f->address);
  if (!file_offset)
    return 0;
  for (const MapsLine &m : read_maps(pid))
    if (m.path == path && m.perms.find('x') != std::string::npos && *file_offset >= m.offset &&
        *file_offset < m.offset + (m.end - m.start))
      return m.start + (*file_offset - m.offset);
  return 0;
}

std::string absolute(const std::string &relative) {
  char *real = realpath(relative.c_str(), nullptr);
  std::string out = real ? real : "";
  std::free(real);
  return out;
}

bool is_libc(const std::string &path) {
  std::string base = path.substr(path.rfind('/') + 1);
  return base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0;
}

/// scry's own vDSO image written to a file, for read_elf_image. "" when there is none.
std::string own_vdso_file(uint64_t &size) {
  uint64_t base = getauxval(AT_SYSINFO_EHDR);
  for (const MapsLine &m : read_maps(getpid()))
    if (m.path == "[vdso]" && m.start == base) {
      size = m.end - m.start;
      return std::string(reinterpret_cast<const char *>(base), size);
    }
  return "";
}

/// A copy of tests/targets/NAME in a new directory under /tmp, executable.
std::string copy_target(const std::string &name, const std::string &to) {
  char dir[] = "/tmp/scry_symbols_test_XXXXXX";
  if (!mkdtemp(dir))
    return "";
  std::string copy = std::string(dir) + "/" + to;
  std::ifstream in("tests/targets/" + name, std::ios::binary);
  std::ofstream out(copy, std::ios::binary);
  out << in.rdbuf();
  out.close();
  chmod(copy.c_str(), 0755);
  return copy;
}

TEST(ProcessSymbols, CapturedProcessResolvesAfterItExits) {
  Target target("tests/targets/scry_target_pie");
  ASSERT_TRUE(target.started());
  pid_t pid = target.pid();
  std::string exe = absolute("tests/targets/scry_target_pie");
  uint64_t add = runtime_address(pid, exe, "scry_add");
  ASSERT_NE(add, 0u);
  std::string libc = mapped_file(pid, is_libc);
  ASSERT_FALSE(libc.empty());
  uint64_t getpid_address = runtime_address(pid, libc, "getpid");
  ASSERT_NE(getpid_address, 0u);
  // __vdso_clock_gettime: the vDSO is the same image in every process of one ABI.
  uint64_t vdso_size = 0;
  TempFile vdso(own_vdso_file(vdso_size));
  std::string error;
  auto vdso_image = read_elf_image(vdso.path(), error);
  ASSERT_TRUE(vdso_image) << error;
  const ElfFunction *gettime = vdso_image->find("__vdso_clock_gettime");
  ASSERT_NE(gettime, nullptr);
  uint64_t vdso_start = 0;
  for (const MapsLine &m : read_maps(pid))
    if (m.path == "[vdso]")
      vdso_start = m.start;
  ASSERT_NE(vdso_start, 0u);
  uint64_t gettime_address = vdso_start + gettime->address - vdso_image->segments.at(0).vaddr;

  ProcessSymbols symbols;
  EXPECT_FALSE(symbols.has_capture(pid));
  ASSERT_TRUE(symbols.capture(pid));
  EXPECT_TRUE(symbols.has_capture(pid));
  ASSERT_EQ(target.finish(), 0);
  struct stat st;
  ASSERT_NE(stat(("/proc/" + std::to_string(pid)).c_str(), &st), 0) << "not reaped";
  EXPECT_FALSE(symbols.capture(pid)); // gone: the capture stays
  EXPECT_TRUE(symbols.has_capture(pid));

  auto s = symbols.resolve(pid, add + 3);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "scry_add");
  EXPECT_EQ(s->offset, 3u);
  EXPECT_TRUE(ends_with(s->module, "/scry_target_pie")) << s->module;

  s = symbols.resolve(pid, getpid_address);
  ASSERT_TRUE(s);
  EXPECT_NE(s->name.find("getpid"), std::string::npos) << s->name;
  EXPECT_EQ(s->offset, 0u);
  EXPECT_NE(s->module.find("libc"), std::string::npos) << s->module;

  s = symbols.resolve(pid, gettime_address + 1);
  ASSERT_TRUE(s);
  EXPECT_NE(s->name.find("clock_gettime"), std::string::npos) << s->name;
  EXPECT_EQ(s->offset, 1u);
  EXPECT_EQ(s->module, "[vdso]");

  EXPECT_FALSE(symbols.resolve(pid, 0x10)); // mapped by nothing
}

TEST(ProcessSymbols, CppNamesAreDemangled) {
  Target target("tests/targets/scry_target_cpp");
  ASSERT_TRUE(target.started());
  pid_t pid = target.pid();
  uint64_t bump =
      runtime_address(pid, absolute("tests/targets/scry_target_cpp"), "_ZN7scry_ns7Counter4bumpEi");
  ASSERT_NE(bump, 0u);
  ProcessSymbols symbols;
  ASSERT_TRUE(symbols.capture(pid));
  ASSERT_EQ(target.finish(), 0);
  auto s = symbols.resolve(pid, bump + 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name.rfind("scry_ns::Counter::bump", 0), 0u) << s->name;
  EXPECT_EQ(s->offset, 1u);
  EXPECT_TRUE(ends_with(s->module, "/scry_target_cpp")) << s->module;
}

TEST(ProcessSymbols, LiveProcessWithoutCaptureAndItsDeletedExecutable) {
  // A copy of the target, deleted while it runs: found through /proc/PID/map_files/.
  std::string copy = copy_target("scry_target_pie", "scry_target_copy");
  ASSERT_FALSE(copy.empty());
  Target target(copy);
  ASSERT_TRUE(target.started());
  pid_t pid = target.pid();
  uint64_t add = runtime_address(pid, copy, "scry_add");
  ASSERT_NE(add, 0u);
  ASSERT_EQ(unlink(copy.c_str()), 0);
  rmdir(copy.substr(0, copy.rfind('/')).c_str());

  ProcessSymbols symbols;
  auto s = symbols.resolve(pid, add + 2); // no capture: captured now
  EXPECT_TRUE(symbols.has_capture(pid));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "scry_add");
  EXPECT_EQ(s->offset, 2u);
  EXPECT_EQ(s->module, copy + " (deleted)");
  ASSERT_EQ(target.finish(), 0);
}

TEST(ProcessSymbols, FileReplacedAfterTheProcessExitedIsNotRead) {
  // After the exit, only the path is left: a file there with another inode is not the one the
  // process ran, and must not give its symbols.
  std::string path = copy_target("scry_target_pie", "scry_target_replaced");
  ASSERT_FALSE(path.empty());
  Target target(path);
  ASSERT_TRUE(target.started());
  pid_t pid = target.pid();
  uint64_t add = runtime_address(pid, path, "scry_add");
  ASSERT_NE(add, 0u);
  ProcessSymbols symbols;
  ASSERT_TRUE(symbols.capture(pid));
  ASSERT_EQ(target.finish(), 0);
  std::string other = copy_target("scry_target_cpp", "other");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0); // a new inode at the same path
  EXPECT_FALSE(symbols.resolve(pid, add + 3));
  unlink(path.c_str());
  rmdir(path.substr(0, path.rfind('/')).c_str());
  rmdir(other.substr(0, other.rfind('/')).c_str());
}

TEST(ProcessSymbols, LibraryLoadedAfterTheCaptureIsFound) {
  ProcessSymbols symbols;
  ASSERT_TRUE(symbols.capture(getpid()));
  void *lib = dlopen("tests/targets/libscrytarget.so", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  void *mul = dlsym(lib, "scry_lib_mul");
  ASSERT_NE(mul, nullptr);
  auto s = symbols.resolve(getpid(), reinterpret_cast<uint64_t>(mul) + 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "scry_lib_mul");
  EXPECT_EQ(s->offset, 1u);
  EXPECT_TRUE(ends_with(s->module, "/libscrytarget.so")) << s->module;
  dlclose(lib);
}

TEST(ProcessSymbols, FileAddresses) {
  std::string path = "tests/targets/scry_target_nopie";
  std::string error;
  auto image = read_elf_image(path, error);
  ASSERT_TRUE(image) << error;
  const ElfFunction *add = image->find("scry_add");
  ASSERT_NE(add, nullptr);
  ProcessSymbols symbols;
  auto s = symbols.resolve_in_file(path, add->address + 2);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "scry_add");
  EXPECT_EQ(s->offset, 2u);
  EXPECT_EQ(s->module, path);
  EXPECT_FALSE(symbols.resolve_in_file(path, 0x10));
  EXPECT_FALSE(symbols.resolve_in_file("/no/such/file", add->address));

  // A PIE's addresses are its own virtual addresses too; a run-time address (where the loader
  // put it) is outside them and holds nothing.
  std::string pie = "tests/targets/scry_target_pie";
  auto pie_image = read_elf_image(pie, error);
  ASSERT_TRUE(pie_image) << error;
  const ElfFunction *pie_add = pie_image->find("scry_add");
  ASSERT_NE(pie_add, nullptr);
  s = symbols.resolve_in_file(pie, pie_add->address + 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "scry_add");
  EXPECT_EQ(s->offset, 1u);
  EXPECT_FALSE(symbols.resolve_in_file(pie, 0x555555554000 + pie_add->address));
}

TEST(ProcessSymbols, UnknownProcess) {
  std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
  pid_t pid_max = 0;
  pid_max_file >> pid_max;
  ASSERT_GT(pid_max, 0);
  ProcessSymbols symbols;
  EXPECT_FALSE(symbols.resolve(pid_max, 0x401000)); // pids are below pid_max
  EXPECT_FALSE(symbols.has_capture(pid_max));
  EXPECT_FALSE(symbols.capture(pid_max));
  EXPECT_FALSE(symbols.resolve(0, 0x401000));
  EXPECT_FALSE(symbols.resolve(-1, 0x401000));
}

} // namespace
} // namespace scry
