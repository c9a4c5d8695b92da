/*
 * scry_loadgen: makes a known number of system calls with chosen arguments, so that runtime
 * tests and benchmarks can assert exact counts, sums, min/max/avg/stats and every hist/lhist
 * bucket of what a tracing program saw.
 *
 *   scry_loadgen [OPTIONS] COMMAND [ARGS...]
 *
 * Commands (each system call is made with syscall(2), so exactly one per call, never cached
 * or rewritten by libc):
 *   getpgid V1,V2,...        getpgid(V) once per value, in order. V is a decimal integer that
 *                            fits pid_t; it arrives as tracepoint:syscalls:sys_enter_getpgid's
 *                            args.pid (passed as a 64-bit long, so negative values arrive
 *                            sign-extended). Calls for pids that do not exist fail with ESRCH;
 *                            the tracepoints fire all the same.
 *   getpgid-repeat N V       N calls of getpgid(V).
 *   getpgid-range A B [S]    getpgid(V) for V = A, A+S, ... while V <= B (S defaults to 1).
 *   openat PATH N            N calls of openat(AT_FDCWD, PATH, O_RDONLY); descriptors that open
 *                            are closed (one close(2) each). PATH need not exist.
 *   getppid-loop N           N calls of getppid() in a tight loop (benchmarks).
 *   func-loop N              N calls of scry_loadgen_func(i), a function of this program that
 *                            returns i + 1 without a system call, for uprobe benchmarks
 *                            (uprobe:scry_loadgen:scry_loadgen_func).
 *   sleep-ms N               one clock_nanosleep(CLOCK_MONOTONIC) of N milliseconds (repeated
 *                            for the remainder if a signal interrupts it).
 *
 * Options (before the command), applied in this order:
 *   --print-pid              print the process id and a newline on stdout, flushed.
 *   --wait-file PATH         wait until PATH exists (checked every millisecond, for at most
 *                            --wait-timeout seconds, default 60), so that a harness can start
 *                            the load, start tracing, then release it by creating PATH.
 *   --wait-timeout S         see --wait-file.
 *   --cpu C                  pin the process to CPU C (sched_setaffinity).
 *   --comm NAME              set the thread name (comm) with prctl(PR_SET_NAME), at most 15
 *                            bytes, so that programs can filter on comm.
 *   --timing                 after the command, print on stderr one line:
 *                            "loadgen: CALLS calls in NS ns, NS_PER_CALL ns/call" (CLOCK_MONOTONIC
 *                            read through the vDSO, so the timing adds no system call).
 *   --linger-ms N            after the command (and --timing's line), sleep N milliseconds
 *                            (one clock_nanosleep, as sleep-ms) before exiting, so that a tracer
 *                            run with -c has read the command's events before its child exits.
 *
 * What a comm filter sees: everything above happens before the command, so a program that
 * filters on --comm's NAME sees prctl's own exit (sys_exit_prctl), then exactly the command's
 * calls, then exit_group(2), plus one write(2) to stderr with --timing. The dynamic loader's
 * system calls happen under the executable's own name, before any of it.
 *
 * Exit status: 0 on success (whatever the traced calls returned), 1 when an option could not
 * be applied (prctl, affinity, --wait-file timeout), 2 for usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "scry_loadgen";

static void usage(void) {
  fprintf(stderr,
          "usage: %s [--print-pid] [--wait-file PATH] [--wait-timeout S] [--cpu C]\n"
          "       [--comm NAME] [--timing] [--linger-ms N] COMMAND [ARGS...]\n"
          "commands: getpgid V1,V2,...  getpgid-repeat N V  getpgid-range A B [STEP]\n"
          "          openat PATH N  getppid-loop N  func-loop N  sleep-ms N\n",
          prog);
  exit(2);
}

static void die_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", prog);
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  usage();
}

/* Parses a whole decimal integer in [min, max]; any other text is a usage error. */
static long long parse_int(const char *s, long long min, long long max, const char *what) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
    fprintf(stderr, "%s: bad %s '%s' (an integer from %lld to %lld)\n", prog, what, s, min, max);
    exit(2);
  }
  return v;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void wait_for_file(const char *path, long long timeout_s) {
  uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000u;
  const struct timespec tick = {0, 1000000};
  while (access(path, F_OK) != 0) {
    if (now_ns() >= deadline) {
      fprintf(stderr, "%s: %s did not appear within %lld s\n", prog, path, timeout_s);
      exit(1);
    }
    nanosleep(&tick, NULL);
  }
}

static void call_getpgid(long v) {
  syscall(SYS_getpgid, v);
}

/* Each command checks all its arguments, then, unless `check_only`, makes its calls and
 * returns how many it made (for --timing). main() checks before applying any option, so a
 * typo fails at once rather than after --wait-file, and never leaves a partial load. */

static long long cmd_getpgid(char **args, int n, int check_only) {
  if (n != 1)
    usage();
  const char *list = args[0];
  size_t len = strlen(list);
  if (len == 0 || list[0] == ',' || list[len - 1] == ',' || strstr(list, ",,"))
    die_usage("getpgid: bad value list '%s'", list);
  char *copy = strdup(list);
  long long count = 0;
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
       tok = strtok_r(NULL, ",", &save)) {
    long v = (long)parse_int(tok, INT_MIN, INT_MAX, "value");
    if (!check_only)
      call_getpgid(v);
    ++count;
  }
  free(copy);
  return count;
}

static long long cmd_getpgid_repeat(char **args, int n, int check_only) {
  if (n != 2)
    usage();
  long long count = parse_int(args[0], 0, LLONG_MAX, "count");
  long v = (long)parse_int(args[1], INT_MIN, INT_MAX, "value");
  if (check_only)
    return count;
  for (long long i = 0; i < count; ++i)
    call_getpgid(v);
  return count;
}

static long long cmd_getpgid_range(char **args, int n, int check_only) {
  if (n != 2 && n != 3)
    usage();
  long long from = parse_int(args[0], INT_MIN, INT_MAX, "start");
  long long to = parse_int(args[1], INT_MIN, INT_MAX, "end");
  long long step = n == 3 ? parse_int(args[2], 1, INT_MAX, "step") : 1;
  long long count = 0;
  for (long long v = from; v <= to; v += step, ++count)
    if (!check_only)
      call_getpgid((long)v);
  return count;
}

static long long cmd_openat(char **args, int n, int check_only) {
  if (n != 2)
    usage();
  const char *path = args[0];
  long long count = parse_int(args[1], 0, LLONG_MAX, "count");
  if (check_only)
    return count;
  for (long long i = 0; i < count; ++i) {
    long fd = syscall(SYS_openat, (long)AT_FDCWD, path, (long)O_RDONLY, 0L);
    if (fd >= 0)
      syscall(SYS_close, fd);
  }
  return count;
}

static long long cmd_getppid_loop(char **args, int n, int check_only) {
  if (n != 1)
    usage();
  long long count = parse_int(args[0], 0, LLONG_MAX, "count");
  if (check_only)
    return count;
  for (long long i = 0; i < count; ++i)
    syscall(SYS_getppid);
  return count;
}

/* The function uprobe benchmarks probe: global, never inlined, with a side effect the compiler
 * must keep. */
__attribute__((noinline, used)) long scry_loadgen_func(long i) {
  __asm__ volatile("" : "+r"(i));
  return i + 1;
}

static long long cmd_func_loop(char **args, int n, int check_only) {
  if (n != 1)
    usage();
  long long count = parse_int(args[0], 0, LLONG_MAX, "count");
  if (check_only)
    return count;
  long sum = 0;
  for (long long i = 0; i < count; ++i)
    sum += scry_loadgen_func(i);
  __asm__ volatile("" : : "r"(sum));
  return count;
}

static long long cmd_sleep_ms(char **args, int n, int check_only) {
  if (n != 1)
    usage();
  long long ms = parse_int(args[0], 0, LLONG_MAX / 1000000, "milliseconds");
  if (check_only)
    return 1;
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  struct timespec rem;
  while (syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, 0L, &ts, &rem) != 0 && errno == EINTR)
    ts = rem;
  return 1;
}

struct command {
  const char *name;
  long long (*run)(char **args, int n, int check_only);
};

static const struct command commands[] = {
    {"getpgid", cmd_getpgid},
    {"getpgid-repeat", cmd_getpgid_repeat},
    {"getpgid-range", cmd_getpgid_range},
    {"openat", cmd_openat},
    {"getppid-loop", cmd_getppid_loop},
    {"func-loop", cmd_func_loop},
    {"sleep-ms", cmd_sleep_ms},
};

int main(int argc, char **argv) {
  const char *comm = NULL, *wait_file = NULL;
  long long wait_timeout = 60, cpu = -1;
  int print_pid = 0, timing = 0;
  char *linger = NULL;

  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; ++i) {
    const char *opt = argv[i];
    int has_value = i + 1 < argc;
    if (strcmp(opt, "--print-pid") == 0) {
      print_pid = 1;
    } else if (strcmp(opt, "--timing") == 0) {
      timing = 1;
    } else if (strcmp(opt, "--comm") == 0 && has_value) {
      comm = argv[++i];
      if (strlen(comm) == 0 || strlen(comm) > 15)
        die_usage("--comm: '%s' must be 1 to 15 bytes (the kernel's TASK_COMM_LEN - 1)", comm);
    } else if (strcmp(opt, "--wait-file") == 0 && has_value) {
      wait_file = argv[++i];
    } else if (strcmp(opt, "--wait-timeout") == 0 && has_value) {
      wait_timeout = parse_int(argv[++i], 0, 1000000, "--wait-timeout");
    } else if (strcmp(opt, "--cpu") == 0 && has_value) {
      cpu = parse_int(argv[++i], 0, CPU_SETSIZE - 1, "--cpu");
    } else if (strcmp(opt, "--linger-ms") == 0 && has_value) {
      linger = argv[++i];
      cmd_sleep_ms(&linger, 1, 1);
    } else if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      usage();
    } else {
      die_usage("unknown option or missing value: %s", opt);
    }
  }
  if (i >= argc)
    usage();

  const struct command *cmd = NULL;
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; ++c)
    if (strcmp(argv[i], commands[c].name) == 0)
      cmd = &commands[c];
  if (!cmd)
    die_usage("unknown command '%s'", argv[i]);

  cmd->run(argv + i + 1, argc - i - 1, 1);

  if (print_pid) {
    printf("%d\n", (int)getpid());
    fflush(stdout);
  }
  if (wait_file)
    wait_for_file(wait_file, wait_timeout);
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      fprintf(stderr, "%s: --cpu %lld: %s\n", prog, cpu, strerror(errno));
      return 1;
    }
  }
  if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0) != 0) {
    fprintf(stderr, "%s: --comm %s: %s\n", prog, comm, strerror(errno));
    return 1;
  }

  uint64_t start = now_ns();
  long long calls = cmd->run(argv + i + 1, argc - i - 1, 0);
  uint64_t elapsed = now_ns() - start;

  if (timing)
    fprintf(stderr, "loadgen: %lld calls in %llu ns, %.1f ns/call\n", calls,
            (unsigned long long)elapsed, calls ? (double)elapsed / (double)calls : 0.0);
  if (linger)
    cmd_sleep_ms(&linger, 1, 0);
  return 0;
}
