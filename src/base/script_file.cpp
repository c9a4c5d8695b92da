// Reading a script file: see script_file.h.
#include "base/script_file.h"

#include "base/diagnostics.h"
#include "base/source.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/core.h>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace scry {

namespace {

// The largest program file scry reads (bytes): far beyond any script (a 70,000-statement
// program is 1.3 MiB), small enough that /dev/zero or a runaway generator ends with an error
// instead of exhausting memory.
constexpr size_t kMaxScriptBytes = 16u << 20;

// Reads all of `fd` into `out`, at most kMaxScriptBytes; false with errno set on failure (EFBIG
// when the input is larger).
bool read_all(int fd, std::string &out) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n == 0)
      return true;
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (out.size() + static_cast<size_t>(n) > kMaxScriptBytes) {
      errno = EFBIG;
      return false;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

/// Reports a program larger than kMaxScriptBytes: a diagnostic (program-too-large) without a
/// location, in text or JSON.
void report_too_large(const std::string &what, bool json) {
  Diagnostics diags;
  diags.error(DiagCode::ProgramTooLarge, kNoLocation,
              fmt::format("cannot read {}: it is larger than {} MiB", what, kMaxScriptBytes >> 20),
              "split the script, or generate less of it");
  SourceFile none(what, "");
  if (json)
    diags.print_json(std::cerr, none);
  else
    diags.print(std::cerr, none);
}

} // namespace

std::optional<std::string> read_script(const std::string &path, bool json) {
  std::string text;
  if (path == "-") {
    if (!read_all(STDIN_FILENO, text)) {
      if (errno == EFBIG)
        report_too_large("the program from stdin", json);
      else
        fmt::print(stderr, "scry: cannot read the program from stdin: {}\n", std::strerror(errno));
      return std::nullopt;
    }
    return text;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    // A device or a directory is never a script (/dev/zero would never end); a pipe, as from
    // `scry <(generate)`, is read up to the size limit.
    close(fd);
    fmt::print(stderr, "scry: cannot read script '{}': not a regular file\n", path);
    return std::nullopt;
  }
  if (fd < 0 || !read_all(fd, text)) {
    int err = errno;
    if (fd >= 0)
      close(fd);
    if (err == EFBIG) {
      report_too_large("script '" + path + "'", json);
    } else {
      // bpftrace's words, which scripts around it match.
      fmt::print(stderr, "ERROR: failed to open file '{}': {}\n", path, std::strerror(err));
    }
    return std::nullopt;
  }
  close(fd);
  return text;
}

} // namespace scry
