/*
 * dt_proc: the process workloads of the differential suite (tests/differential/run.py), which
 * scry_loadgen does not make. Compiled by run.py at test time.
 *
 *   dt_proc COMM fork N        set comm to COMM, then fork N children; child i makes one
 *                              getpgid(i) and exits with status 0; each is waited for in turn.
 *   dt_proc COMM exec N PATH   set comm to COMM, then N times: fork, the child execs PATH (no
 *                              arguments), the parent waits for it.
 *
 * Every child is waited for before the next starts, so the order of events is fixed.
 * Exit status: 0, or 1 when a fork, exec or wait failed, 2 for usage errors.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 4 || (strcmp(argv[2], "fork") != 0 && strcmp(argv[2], "exec") != 0) ||
      (strcmp(argv[2], "exec") == 0 && argc < 5)) {
    fprintf(stderr, "usage: dt_proc COMM fork N | dt_proc COMM exec N PATH\n");
    return 2;
  }
  if (prctl(PR_SET_NAME, argv[1], 0, 0, 0) != 0) {
    perror("dt_proc: prctl");
    return 1;
  }
  int n = atoi(argv[3]);
  int exec_mode = strcmp(argv[2], "exec") == 0;
  for (int i = 1; i <= n; i++) {
    pid_t child = fork();
    if (child < 0) {
      perror("dt_proc: fork");
      return 1;
    }
    if (child == 0) {
      if (exec_mode) {
        execl(argv[4], argv[4], (char *)NULL);
        _exit(127);
      }
      syscall(SYS_getpgid, i);
      _exit(0);
    }
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "dt_proc: child %d failed\n", i);
      return 1;
    }
  }
  return 0;
}
