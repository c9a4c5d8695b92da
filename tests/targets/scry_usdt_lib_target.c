/*
 * scry_target_usdt_lib: calls into libscryusdt.so (scry_usdt_lib.c), which it links, so that its
 * USDT probes are in a shared library mapped from the start.
 *
 *   scry_target_usdt_lib [--wait-file PATH] [--print-pid] COUNT
 *
 * For i = 1..COUNT: scry_usdt_lib_fire(i), which fires scrylib:tick(i, (long)i * 100) and, while
 * its semaphore is raised, scrylib:guarded(i, -2 * i). Totals for COUNT = N: scrylib:tick N
 * fires, sum(arg0) N(N+1)/2, sum(arg1) 50N(N+1); scrylib:guarded N fires when traced from
 * before the first call (0 untraced), sum(arg0) N(N+1)/2, sum(arg1) -N(N+1). At exit it prints
 * "guarded fired K" on stdout, K being how many times the guarded branch ran.
 *
 * Options as in target_start.h: --print-pid prints "pid N" first; --wait-file PATH waits (at
 * most 10 s) until PATH exists before the first call.
 *
 * Exit status: 0 on success, 1 for usage errors, 2 when --wait-file timed out.
 */
#define _GNU_SOURCE
#include "target_start.h"

#include <stdio.h>

/* In libscryusdt.so (scry_usdt_lib.c). */
void scry_usdt_lib_fire(int i);
long scry_usdt_lib_guarded_fired(void);

int main(int argc, char **argv) {
  long count = target_start("scry_target_usdt_lib", argc, argv);
  for (int n = 1; n <= count; n++) {
    scry_usdt_lib_fire(n);
  }
  printf("guarded fired %ld\n", scry_usdt_lib_guarded_fired());
  return 0;
}
