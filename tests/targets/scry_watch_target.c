/*
 * The watchpoint tests' target: [--wait-file PATH] [--print-pid] COUNT (target_start.h).
 * Built without PIE, so that the global scry_watched is at its link-time address
 * (nm scry_target_watch). For i = 1..COUNT it writes i to scry_watched once (COUNT writes, no
 * reads), then it reads it once and prints "watched N" with N its last value.
 */
#include "target_start.h"

volatile long scry_watched;

int main(int argc, char **argv) {
  long count = target_start("scry_target_watch", argc, argv);
  for (long i = 1; i <= count; i++)
    scry_watched = i;
  printf("watched %ld\n", scry_watched);
  return 0;
}
