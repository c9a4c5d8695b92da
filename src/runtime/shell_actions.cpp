#include "runtime/shell_actions.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace scry {

bool read_for_cat(const std::string &path, uint32_t max_bytes, std::string &text,
                  std::string &error) {
  FILE *f = fopen(path.c_str(), "re");
  if (!f) {
    error = "ERROR: failed to open file '" + path + "': " + std::strerror(errno);
    return false;
  }
  text.resize(max_bytes);
  size_t n = fread(text.data(), 1, max_bytes, f);
  const bool failed = ferror(f);
  const int err = errno;
  fclose(f);
  text.resize(n);
  if (failed) {
    error = "ERROR: failed to read file '" + path + "': " + std::strerror(err);
    return false;
  }
  return true;
}

bool run_for_system(const std::string &command, std::string &text, std::string &error) {
  FILE *p = popen(command.c_str(), "re");
  if (!p) {
    error = "ERROR: failed to run command '" + command + "': " + std::strerror(errno);
    return false;
  }
  // read(2), retried when a signal interrupts it (scry's own timers and children send some).
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fileno(p), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    text.append(buffer, static_cast<size_t>(n));
  }
  pclose(p); // glibc's retries its waitpid() when interrupted
  return true;
}

} // namespace scry
