/*
 * scry_target_pie, scry_target_nopie: the traced program of the uprobe and uretprobe runtime
 * tests. Four global functions of the executable and one of libscrytarget.so are called a known
 * number of times with known arguments, so a test can assert exact counts and sums.
 *
 *   scry_target_pie [--wait-file PATH] [--print-pid] COUNT
 *
 * For i = 1..COUNT, in this order:
 *   scry_add(i, 2 * i)                  returns 3 * i
 *   scry_square(i)                      returns i * i
 *   scry_ret7()                         returns 7
 *   scry_greet(i % 2 ? "odd" : "even")  returns its argument (str(arg0) == str(retval))
 *   scry_lib_mul(i, 3)                  in libscrytarget.so, returns 3 * i
 * Totals for COUNT = N: scry_add N calls, sum(arg0) N(N+1)/2, sum(arg1) N(N+1), sum(retval)
 * 3N(N+1)/2; scry_square sum(retval) N(N+1)(2N+1)/6; scry_ret7 sum(retval) 7N; scry_greet "odd"
 * ceil(N/2) times, "even" floor(N/2) times; scry_lib_mul N calls, sum(retval) 3N(N+1)/2. Before
 * main, the constructor of libscrytarget.so calls scry_lib_ctor_hit(1), (2), (3).
 *
 * The two executables are the same source, one position independent (ET_DYN) and one not
 * (ET_EXEC), built with -O1 -g -fno-omit-frame-pointer and exporting their symbols (.dynsym).
 * Every traced function is noinline and holds an empty volatile asm, so no call is folded,
 * inlined or dropped, and every return value goes to a volatile sink.
 *
 * Options, applied in this order whatever their order on the command line:
 *   --print-pid        print "pid N" and a newline on stdout, flushed.
 *   --wait-file PATH   wait until PATH exists (checked every millisecond, for at most 10 s)
 *                      before the first call, so a harness can start the tracer and then
 *                      release the target by creating PATH.
 *
 * Exit status: 0 on success, 1 for usage errors, 2 when --wait-file timed out.
 */
#define _GNU_SOURCE
#include "target_start.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCRY_TRACED __attribute__((noinline, visibility("default")))

/* In libscrytarget.so (scry_target_lib.c). */
int scry_lib_mul(int a, int b);

volatile long scry_sink;

SCRY_TRACED int scry_add(int a, int b) {
  __asm__ volatile("");
  return a + b;
}

SCRY_TRACED long scry_square(long x) {
  __asm__ volatile("");
  return x * x;
}

SCRY_TRACED int scry_ret7(void) {
  __asm__ volatile("");
  return 7;
}

SCRY_TRACED const char *scry_greet(const char *name) {
  __asm__ volatile("");
  return name;
}

int main(int argc, char **argv) {
  long count = target_start("scry_target", argc, argv);
  for (int n = 1; n <= count; n++) {
    scry_sink = scry_add(n, 2 * n);
    scry_sink = scry_square(n);
    scry_sink = scry_ret7();
    scry_sink = (long)scry_greet(n % 2 ? "odd" : "even");
    scry_sink = scry_lib_mul(n, 3);
  }
  return 0;
}
