#include "runtime/child_command.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

namespace scry {

namespace {

// The file execvp() would run for `program` (PATH search when it has no '/'), or "" with errno
// set when there is none it may run.
std::string program_path(const std::string &program) {
  if (program.find('/') != std::string::npos)
    return access(program.c_str(), X_OK) == 0 ? program : std::string();
  const char *path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos)
      end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0)
      return candidate;
    start = end + 1;
  }
  errno = ENOENT;
  return {};
}

} // namespace

bool ChildCommand::start(const std::string &command, std::string &error) {
  wordexp_t words;
  if (wordexp(command.c_str(), &words, WRDE_NOCMD) != 0 || words.we_wordc == 0) {
    error = fmt::format("-c '{}': cannot split the command into words", command);
    return false;
  }
  // A command that cannot be run is an error before anything is compiled or attached.
  std::string program = words.we_wordv[0];
  this->program = program_path(program);
  if (this->program.empty()) {
    error = fmt::format("-c: cannot run '{}': {}", program,
                        program.find('/') == std::string::npos ? "not found in PATH"
                                                               : std::strerror(errno));
    wordfree(&words);
    return false;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    error = fmt::format("-c: pipe: {}", std::strerror(errno));
    wordfree(&words);
    return false;
  }
  const pid_t parent = getpid();
  pid = fork();
  if (pid < 0) {
    error = fmt::format("-c: fork: {}", std::strerror(errno));
    wordfree(&words);
    return false;
  }
  if (pid == 0) {
    // The command dies with scry, even when scry is killed with SIGKILL and cannot kill it
    // itself. Set before exec (it survives exec); a parent that died before the prctl() took
    // effect is seen as a new parent.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    close(fds[1]);
    char go;
    if (read(fds[0], &go, 1) != 1)
      _exit(127); // scry ended before attaching
    execvp(words.we_wordv[0], words.we_wordv);
    fmt::print(stderr, "scry: -c: cannot run '{}': {}\n", words.we_wordv[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[0]);
  release_fd = fds[1];
  wordfree(&words);
  return true;
}

ChildCommand::~ChildCommand() {
  if (release_fd >= 0)
    close(release_fd); // the child sees EOF and exits without running the command
  if (pid > 0) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      kill(pid, SIGTERM);
      // A child traced for its exit (the runner's release_child) stops at the signal and at
      // its exit until it is continued.
      while (waitpid(pid, &status, __WALL) == pid && WIFSTOPPED(status))
        ptrace(PTRACE_CONT, pid, nullptr,
               (status >> 16) ? nullptr
                              : reinterpret_cast<void *>(static_cast<intptr_t>(WSTOPSIG(status))));
    }
  }
}

} // namespace scry
