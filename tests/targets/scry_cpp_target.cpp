/*
 * scry_target_cpp: the traced program of the C++ uprobe tests (mangled names, methods).
 *
 *   scry_target_cpp [--wait-file PATH] [--print-pid] COUNT
 *
 * For i = 1..COUNT, in this order:
 *   scry_ns::Counter::bump(i)   _ZN7scry_ns7Counter4bumpEi; arg0 is `this`, arg1 is i; adds i to
 *                               the counter's total and returns the new total, i(i+1)/2
 *   scry_ns::twice(i)           _ZN7scry_ns5twiceEi; returns 2 * i
 * Totals for COUNT = N: bump N calls, sum(arg1) N(N+1)/2, sum(retval) N(N+1)(N+2)/6, last
 * retval N(N+1)/2; twice N calls, sum(arg0) N(N+1)/2, sum(retval) N(N+1).
 *
 * Built with -O1 -g -fno-omit-frame-pointer as a PIE exporting its symbols (.dynsym). Both
 * functions are noinline and hold an empty volatile asm; their return values go to a volatile
 * sink.
 *
 * Options, applied in this order whatever their order on the command line:
 *   --print-pid        print "pid N" and a newline on stdout, flushed.
 *   --wait-file PATH   wait until PATH exists (checked every millisecond, for at most 10 s)
 *                      before the first call.
 *
 * Exit status: 0 on success, 1 for usage errors, 2 when --wait-file timed out.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <unistd.h>

#define SCRY_TRACED __attribute__((noinline, visibility("default")))

namespace scry_ns {

class Counter {
public:
  int bump(int by);

private:
  int total_ = 0;
};

SCRY_TRACED int twice(int x);

SCRY_TRACED int Counter::bump(int by) {
  __asm__ volatile("");
  total_ += by;
  return total_;
}

SCRY_TRACED int twice(int x) {
  __asm__ volatile("");
  return 2 * x;
}

} // namespace scry_ns

volatile long scry_sink;

namespace {

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: scry_target_cpp [--wait-file PATH] [--print-pid] COUNT\n");
  std::exit(1);
}

void wait_for_file(const char *path) {
  const timespec tick = {0, 1000000};
  timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (access(path, F_OK) != 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10 ||
        (now.tv_sec - start.tv_sec == 10 && now.tv_nsec >= start.tv_nsec)) {
      std::fprintf(stderr, "scry_target_cpp: %s did not appear within 10 s\n", path);
      std::exit(2);
    }
    nanosleep(&tick, nullptr);
  }
}

} // namespace

int main(int argc, char **argv) {
  const char *wait_file = nullptr;
  bool print_pid = false;
  int i = 1;
  for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; i++) {
    if (std::strcmp(argv[i], "--print-pid") == 0) {
      print_pid = true;
    } else if (std::strcmp(argv[i], "--wait-file") == 0 && i + 1 < argc) {
      wait_file = argv[++i];
    } else {
      usage();
    }
  }
  if (i + 1 != argc) {
    usage();
  }
  char *end;
  errno = 0;
  long count = std::strtol(argv[i], &end, 10);
  if (errno != 0 || *end != '\0' || end == argv[i] || count < 0 || count > 1000000000) {
    usage();
  }

  if (print_pid) {
    std::printf("pid %d\n", static_cast<int>(getpid()));
    std::fflush(stdout);
  }
  if (wait_file) {
    wait_for_file(wait_file);
  }
  scry_ns::Counter counter;
  for (int n = 1; n <= count; n++) {
    scry_sink = counter.bump(n);
    scry_sink = scry_ns::twice(n);
  }
  return 0;
}
