/*
 * The command line every test target shares: [--wait-file PATH] [--print-pid] COUNT.
 *   --print-pid        print "pid N" on stdout, flushed, first;
 *   --wait-file PATH   then wait (1 ms polls, at most 10 s, else exit 2) until PATH exists, so a
 *                      test can start the target, attach a tracer with -p, then release it.
 * Usage errors exit 1. Written in the subset of C that C++ also compiles. No name here starts
 * with scry_: the tests probe scry_* wildcards.
 */
#ifndef SCRY_TARGET_START_H
#define SCRY_TARGET_START_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void target_usage(const char *name) {
  fprintf(stderr, "usage: %s [--wait-file PATH] [--print-pid] COUNT\n", name);
  exit(1);
}

static void target_wait_for_file(const char *name, const char *path) {
  const struct timespec tick = {0, 1000000};
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (access(path, F_OK) != 0) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10 ||
        (now.tv_sec - start.tv_sec == 10 && now.tv_nsec >= start.tv_nsec)) {
      fprintf(stderr, "%s: %s did not appear within 10 s\n", name, path);
      exit(2);
    }
    nanosleep(&tick, NULL);
  }
}

/* Parses the command line, prints the pid and waits as asked; returns COUNT. */
static long target_start(const char *name, int argc, char **argv) {
  const char *wait_file = NULL;
  int print_pid = 0;
  int i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--print-pid") == 0)
      print_pid = 1;
    else if (strcmp(argv[i], "--wait-file") == 0 && i + 1 < argc)
      wait_file = argv[++i];
    else
      target_usage(name);
  }
  if (i + 1 != argc)
    target_usage(name);
  char *end;
  errno = 0;
  long count = strtol(argv[i], &end, 10);
  if (errno != 0 || *end != '\0' || end == argv[i] || count < 0 || count > 1000000000)
    target_usage(name);
  if (print_pid) {
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
  }
  if (wait_file)
    target_wait_for_file(name, wait_file);
  return count;
}

#endif
