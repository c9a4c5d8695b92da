/*
 * scry_rusage: runs a command and reports its peak RSS and wall time, for bench/run.
 *
 *   scry_rusage FD COMMAND [ARGS...]
 *
 * Why bench/run does not simply wait4 for the tool it starts: Linux keeps a process's ru_maxrss
 * across execve and folds the address space it had before the exec into it. A child that Python
 * forks (or vforks, sharing Python's memory) to exec a tool starts with the resident set of the
 * Python process, 13 MiB and growing with what the harness has read, so a tool smaller than the
 * harness would be reported at the harness's size. scry_rusage is small, so the child it forks
 * carries well under 1 MiB into the exec, and the maximum is the command's own.
 *
 * It forks; the child asks for SIGKILL when scry_rusage dies (so that killing scry_rusage on a
 * timeout kills the command too) and execs COMMAND (searched in PATH). SIGINT and SIGTERM sent to
 * scry_rusage are passed on to the child. When the child has ended, one line goes to file
 * descriptor FD (which the command does not inherit):
 *
 *   status STATUS maxrss_kb KB start_ns START wall_ns NS
 *
 * STATUS is the wait status as wait4(2) gives it, KB the child's ru_maxrss (KiB; it includes any
 * children the command waited for), START the CLOCK_MONOTONIC time just before fork (so that the
 * caller can time what the command prints from there), NS the time from then to wait4's
 * return. scry_rusage then exits with the command's exit status, or 128 + N when signal N ended
 * it; 127 when COMMAND cannot be executed, 2 for usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t child = -1;

static void forward(int sig) {
  if (child > 0)
    kill(child, sig);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  char *end = NULL;
  long fd = argc >= 3 ? strtol(argv[1], &end, 10) : -1;
  if (argc < 3 || end == argv[1] || *end != '\0' || fd < 0 || fcntl((int)fd, F_GETFD) < 0) {
    fprintf(stderr, "usage: scry_rusage FD COMMAND [ARGS...] (FD: an open file descriptor)\n");
    return 2;
  }
  fcntl((int)fd, F_SETFD, FD_CLOEXEC);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  /* Blocked until `child` is set, so that no signal comes between fork and the assignment. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &old);

  pid_t parent = getpid();
  uint64_t start = now_ns();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "scry_rusage: fork: %s\n", strerror(errno));
    return 127;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* scry_rusage died before the prctl */
      _exit(127);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "scry_rusage: cannot run %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  child = pid;
  sigprocmask(SIG_SETMASK, &old, NULL);

  int status = 0;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "scry_rusage: wait4: %s\n", strerror(errno));
      return 127;
    }
  }
  uint64_t wall = now_ns() - start;
  child = -1;

  dprintf((int)fd, "status %d maxrss_kb %ld start_ns %llu wall_ns %llu\n", status, usage.ru_maxrss,
          (unsigned long long)start, (unsigned long long)wall);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
