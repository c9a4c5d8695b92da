// -c: the command scry runs and traces. Forked early and held until the probes are attached
// (bpftrace's behaviour), so that its first instructions are traced; killed if scry ends while
// it still runs.
#pragma once

#include <string>
#include <sys/types.h>

namespace scry {

/// The -c command's process. The runner releases it (RunOptions::child_release_fd) once every
/// probe is attached; the destructor kills one that still runs.
struct ChildCommand {
  pid_t pid = 0;
  std::string program; // the file it runs (found in PATH)
  int release_fd = -1; // written to (or closed) to let it exec the command

  ChildCommand() = default;
  ChildCommand(const ChildCommand &) = delete;
  ChildCommand &operator=(const ChildCommand &) = delete;

  /// Splits `command` into words as a shell would (wordexp(3), no command substitution),
  /// checks that its program can be run, and forks the process that waits to run it. False
  /// with `error` set ("-c: cannot run 'x': not found in PATH") when it cannot.
  bool start(const std::string &command, std::string &error);

  /// Kills the command if it still runs (and lets go of it when it is traced for its exit); a
  /// command never released exits without running.
  ~ChildCommand();
};

} // namespace scry
