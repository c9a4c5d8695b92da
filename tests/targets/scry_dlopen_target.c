/*
 * scry_target_dlopen: loads libscryusdt.so (scry_usdt_lib.c) with dlopen() once main has
 * started, from the directory of its own executable, and calls into it: a library that is not
 * mapped when the process starts, for probes on a library loaded later (-c attaches before the
 * command's first instruction; the uprobes and the USDT semaphore must still reach the library
 * when it is mapped). It does not link the library (no DT_NEEDED).
 *
 *   scry_target_dlopen [--wait-file PATH] [--print-pid] COUNT
 *
 * After the options (and the wait), it prints "loaded" on stdout once dlopen() has returned;
 * then for i = 1..COUNT: scry_usdt_lib_fire(i), which fires scrylib:tick(i, (long)i * 100) and,
 * while its semaphore is raised, scrylib:guarded(i, -2 * i). Totals for COUNT = N:
 * scry_usdt_lib_fire N calls, sum(arg0) N(N+1)/2; scrylib:tick N fires, sum(arg1) 50N(N+1);
 * scrylib:guarded N fires when traced (0 untraced), sum(arg1) -N(N+1). At exit it prints
 * "guarded fired K", K being how many times the guarded branch ran.
 *
 * Options as in target_start.h: --print-pid prints "pid N" first; --wait-file PATH waits (at
 * most 10 s) until PATH exists before the dlopen().
 *
 * Exit status: 0 on success, 1 for usage errors, 2 when --wait-file timed out, 3 when the
 * library cannot be loaded.
 */
#define _GNU_SOURCE
#include "target_start.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The path of libscryusdt.so beside this program's executable, in `path`. */
static int library_path(char *path, size_t size) {
  static const char lib[] = "libscryusdt.so";
  ssize_t n = readlink("/proc/self/exe", path, size - 1);
  if (n <= 0)
    return -1;
  path[n] = '\0';
  char *slash = strrchr(path, '/');
  if (!slash || (size_t)(slash + 1 - path) + sizeof lib > size)
    return -1;
  memcpy(slash + 1, lib, sizeof lib);
  return 0;
}

int main(int argc, char **argv) {
  long count = target_start("scry_target_dlopen", argc, argv);
  char path[PATH_MAX];
  if (library_path(path, sizeof path) != 0) {
    fprintf(stderr, "scry_target_dlopen: cannot find its own executable\n");
    return 3;
  }
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "scry_target_dlopen: %s\n", dlerror());
    return 3;
  }
  void (*fire)(int) = (void (*)(int))dlsym(lib, "scry_usdt_lib_fire");
  long (*guarded_fired)(void) = (long (*)(void))dlsym(lib, "scry_usdt_lib_guarded_fired");
  if (!fire || !guarded_fired) {
    fprintf(stderr, "scry_target_dlopen: %s: %s\n", path, dlerror());
    return 3;
  }
  printf("loaded\n");
  fflush(stdout);
  for (int n = 1; n <= count; n++) {
    fire(n);
  }
  printf("guarded fired %ld\n", guarded_fired());
  dlclose(lib);
  return 0;
}
