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

static void usage(void) {
  fprintf(stderr, "usage: scry_target [--wait-file PATH] [--print-pid] COUNT\n");
  exit(1);
}

static void wait_for_file(const char *path) {
  const struct timespec tick = {0, 1000000};
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (access(path, F_OK) != 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10 ||
        (now.tv_sec - start.tv_sec == 10 && now.tv_nsec >= start.tv_nsec)) {
      fprintf(stderr, "scry_target: %s did not appear within 10 s\n", path);
      exit(2);
    }
    nanosleep(&tick, NULL);
  }
}

int main(int argc, char **argv) {
  const char *wait_file = NULL;
  int print_pid = 0;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--print-pid") == 0) {
      print_pid = 1;
    } else if (strcmp(argv[i], "--wait-file") == 0 && i + 1 < argc) {
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
  long count = strtol(argv[i], &end, 10);
  if (errno != 0 || *end != '\0' || end == argv[i] || count < 0 || count > 1000000000) {
    usage();
  }

  if (print_pid) {
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
  }
  if (wait_file) {
    wait_for_file(wait_file);
  }
  for (int n = 1; n <= count; n++) {
    scry_sink = scry_add(n, 2 * n);
    scry_sink = scry_square(n);
    scry_sink = scry_ret7();
    scry_sink = (long)scry_greet(n % 2 ? "odd" : "even");
    scry_sink = scry_lib_mul(n, 3);
  }
  return 0;
}
