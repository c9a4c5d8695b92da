#include "runtime/tracefs.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace scry {

namespace {

constexpr const char *kMountFix = "run as root, or: mount -t tracefs tracefs /sys/kernel/tracing";

// 0 when `root`/events is a directory, else the errno that says why not.
int events_dir_error(const std::string &root) {
  struct stat st;
  std::string events = root + "/events";
  if (stat(events.c_str(), &st) != 0)
    return errno;
  return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

} // namespace

std::string tracefs_find(const std::vector<std::string> &roots) {
  for (const std::string &root : roots)
    if (events_dir_error(root) == 0)
      return root;
  return {};
}

TracefsRoot tracefs_ensure_mounted() {
  TracefsRoot result;
  result.path = tracefs_find({kTracefsPath, kTracefsDebugfsPath});
  if (!result.path.empty())
    return result;

  int why = events_dir_error(kTracefsPath);
  if (geteuid() != 0) {
    result.error = fmt::format("tracefs is not available at {}/events ({}); {}", kTracefsPath,
                               std::strerror(why), kMountFix);
    return result;
  }

  if (mount("tracefs", kTracefsPath, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    int err = errno;
    // ENODEV: the kernel does not know the file system type at all.
    const char *cause =
        err == ENODEV ? " (this kernel was built without tracefs: CONFIG_TRACING)" : "";
    result.error =
        fmt::format("cannot mount tracefs at {}: {}{}; try by hand: mount -t tracefs tracefs {}",
                    kTracefsPath, std::strerror(err), cause, kTracefsPath);
    return result;
  }
  // Mounted, but a kernel without event tracing has no events/ directory.
  if (int err = events_dir_error(kTracefsPath); err != 0) {
    result.error = fmt::format("tracefs is mounted at {} but {}/events is missing ({}); this "
                               "kernel has no tracepoints (CONFIG_EVENT_TRACING)",
                               kTracefsPath, kTracefsPath, std::strerror(err));
    return result;
  }
  result.path = kTracefsPath;
  result.mounted_now = true;
  return result;
}

} // namespace scry
