/*
 * scry_target_usdt: the traced program of the USDT runtime tests (sys/sdt.h, package
 * systemtap-sdt-dev).
 *
 *   scry_target_usdt [--wait-file PATH] [--print-pid] COUNT
 *
 * For i = 1..COUNT, from the noinline function scry_usdt_fire(i):
 *   scry:tick      arg0 = i (int), arg1 = (long)i * 10, arg2 = "tick" (a string pointer);
 *                  no semaphore: fires COUNT times whenever it is traced.
 *   scry:guarded   arg0 = i, arg1 = -i (int); has the semaphore scry_guarded_semaphore (in
 *                  section .probes) and is reached only while it is non-zero, i.e. while a
 *                  tracer has incremented it.
 * Totals for COUNT = N: scry:tick N fires, sum(arg0) N(N+1)/2, sum(arg1) 5N(N+1), str(arg2)
 * "tick"; scry:guarded, when traced from before the first call, N fires, sum(arg0) N(N+1)/2,
 * sum(arg1) -N(N+1)/2. At exit the program prints "guarded fired K" on stdout, K being how many
 * times the guarded branch ran: N when a tracer held the semaphore throughout, 0 untraced.
 *
 * Options, applied in this order whatever their order on the command line:
 *   --print-pid        print "pid N" and a newline on stdout, flushed.
 *   --wait-file PATH   wait until PATH exists (checked every millisecond, for at most 10 s)
 *                      before the first call.
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

/* Every probe of this file records the address of its semaphore, PROVIDER_NAME_semaphore, in its
 * .note.stapsdt entry; scry:tick opts out below. */
#define _SDT_HAS_SEMAPHORES 1
#include "target_start.h"

#include <sys/sdt.h>

unsigned short scry_guarded_semaphore __attribute__((unused)) __attribute__((section(".probes")));

static long guarded_fired;

__attribute__((noinline, visibility("default"))) void scry_usdt_fire(int i) {
  /* In a register, so the note's third argument reads 8@%REG (not a constant or a memory
   * operand). */
  const char *label = "tick";
  __asm__("" : "+r"(label));
  /* sys/sdt.h applies _SDT_HAS_SEMAPHORES to the whole file (at the #include); scry:tick must have
   * no semaphore, so around it the two macros take the header's no-semaphore definitions. */
#pragma push_macro("_SDT_SEMAPHORE")
#pragma push_macro("_SDT_NOTE_SEMAPHORE_USE")
#undef _SDT_SEMAPHORE
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR 0)
#define _SDT_NOTE_SEMAPHORE_USE(provider, name)
  DTRACE_PROBE3(scry, tick, i, (long)i * 10, label);
#pragma pop_macro("_SDT_NOTE_SEMAPHORE_USE")
#pragma pop_macro("_SDT_SEMAPHORE")

  if (scry_guarded_semaphore) {
    guarded_fired++;
    STAP_PROBE2(scry, guarded, i, -i);
  }
}

int main(int argc, char **argv) {
  long count = target_start("scry_target_usdt", argc, argv);
  for (int n = 1; n <= count; n++) {
    scry_usdt_fire(n);
  }
  printf("guarded fired %ld\n", guarded_fired);
  return 0;
}
