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
#include "target_start.h"

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

int main(int argc, char **argv) {
  long count = target_start("scry_target_cpp", argc, argv);
  scry_ns::Counter counter;
  for (int n = 1; n <= count; n++) {
    scry_sink = counter.bump(n);
    scry_sink = scry_ns::twice(n);
  }
  return 0;
}
