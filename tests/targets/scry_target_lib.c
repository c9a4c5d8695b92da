/*
 * libscrytarget.so: the shared library of scry_target_pie and scry_target_nopie, for probes on a
 * library path (uprobe:PATH/libscrytarget.so:FUNC).
 *
 *   scry_lib_mul(a, b)       returns a * b; the executables call it COUNT times as (i, 3).
 *   scry_lib_ctor_hit(n)     does nothing visible; the library's constructor calls it exactly 3
 *                            times, with n = 1, 2, 3, before main runs, so a test can show that
 *                            `-c` misses no call made before main (count 3, sum(arg0) 6).
 *
 * Built with -fPIC -O1 -g; both functions are noinline, exported and hold an empty volatile asm.
 */
#define SCRY_TRACED __attribute__((noinline, visibility("default")))

volatile int scry_lib_sink;

SCRY_TRACED int scry_lib_mul(int a, int b) {
  __asm__ volatile("");
  return a * b;
}

SCRY_TRACED void scry_lib_ctor_hit(int n) {
  __asm__ volatile("");
  scry_lib_sink = n;
}

__attribute__((constructor)) static void scry_lib_init(void) {
  for (int n = 1; n <= 3; n++) {
    scry_lib_ctor_hit(n);
  }
}
