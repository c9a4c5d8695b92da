/*
 * libscryusdt.so: USDT probes in a shared library (sys/sdt.h, package systemtap-sdt-dev), for
 * usdt:PATH/libscryusdt.so:..., usdt:libscryusdt:... with -p, and a library that is dlopen()ed
 * after the traced program has started. Linked by scry_target_usdt_lib, loaded with dlopen() by
 * scry_target_dlopen.
 *
 *   scry_usdt_lib_fire(i)      fires, in this order:
 *     scrylib:tick      arg0 = i (int), arg1 = (long)i * 100; no semaphore: fires on every call
 *                       whenever it is traced.
 *     scrylib:guarded   arg0 = i, arg1 = -2 * i (int); has the semaphore
 *                       scrylib_guarded_semaphore (section .probes, in the library's own data:
 *                       the kernel raises it in each process's copy of the library) and is
 *                       reached only while it is non-zero, i.e. while a tracer holds it.
 *   scry_usdt_lib_guarded_fired()   how many times the guarded branch has run in this process.
 * Totals for calls with i = 1..N: scrylib:tick N fires, sum(arg0) N(N+1)/2, sum(arg1)
 * 50N(N+1); scrylib:guarded, when traced from before the first call, N fires, sum(arg0)
 * N(N+1)/2, sum(arg1) -N(N+1).
 *
 * Built with -fPIC -O1 -g; scry_usdt_lib_fire is noinline and exported.
 */

/* Every probe of this file records the address of its semaphore, PROVIDER_NAME_semaphore, in its
 * .note.stapsdt entry; scrylib:tick opts out below. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#define SCRY_TRACED __attribute__((noinline, visibility("default")))

/* Hidden: the library reads its own copy (PC-relative), the one the note's address names, and
 * no executable can interpose it. */
__attribute__((visibility("hidden"), unused,
               section(".probes"))) unsigned short scrylib_guarded_semaphore;

static long guarded_fired;

SCRY_TRACED void scry_usdt_lib_fire(int i) {
  /* sys/sdt.h applies _SDT_HAS_SEMAPHORES to the whole file (at the #include); scrylib:tick must
   * have no semaphore, so around it the two macros take the header's no-semaphore definitions. */
#pragma push_macro("_SDT_SEMAPHORE")
#pragma push_macro("_SDT_NOTE_SEMAPHORE_USE")
#undef _SDT_SEMAPHORE
#undef _SDT_NOTE_SEMAPHORE_USE
#define _SDT_SEMAPHORE(p, n) _SDT_ASM_1(_SDT_ASM_ADDR 0)
#define _SDT_NOTE_SEMAPHORE_USE(provider, name)
  DTRACE_PROBE2(scrylib, tick, i, (long)i * 100);
#pragma pop_macro("_SDT_NOTE_SEMAPHORE_USE")
#pragma pop_macro("_SDT_SEMAPHORE")

  if (scrylib_guarded_semaphore) {
    guarded_fired++;
    STAP_PROBE2(scrylib, guarded, i, -2 * i);
  }
}

SCRY_TRACED long scry_usdt_lib_guarded_fired(void) {
  return guarded_fired;
}
