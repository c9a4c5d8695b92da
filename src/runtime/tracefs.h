// tracefs: the kernel's tracing file system. Tracepoints are described under its events/
// directory (events/<category>/<event>/{format,id}), so every tracepoint probe needs it mounted.
#pragma once

#include <string>
#include <vector>

namespace scry {

/// Where tracefs is mounted nowadays, and where older systems reach it through debugfs.
inline constexpr const char *kTracefsPath = "/sys/kernel/tracing";
inline constexpr const char *kTracefsDebugfsPath = "/sys/kernel/debug/tracing";

/// The outcome of tracefs_ensure_mounted(): a usable root, or why there is none.
struct TracefsRoot {
  std::string path;  // the mount point holding events/, e.g. "/sys/kernel/tracing"; empty on error
  std::string error; // on error: one line naming the path, the cause and the fix; else empty
  bool mounted_now = false; // true when this call mounted tracefs

  bool ok() const { return error.empty(); }
};

/// Returns the first of `roots` that has an `events` directory, or an empty string. Does not
/// mount anything; for callers that only read (listing) and for tests.
std::string tracefs_find(const std::vector<std::string> &roots);

/// Makes sure tracefs is available and returns its root. Tries kTracefsPath, then
/// kTracefsDebugfsPath; when neither has an events/ directory and the process runs as root
/// (euid 0), mounts tracefs at kTracefsPath (nosuid, nodev, noexec, as systemd does) and uses it.
/// Errors (not root, mount(2) refused, a kernel without tracefs) come back in TracefsRoot::error
/// with the remedy: "run as root, or: mount -t tracefs tracefs /sys/kernel/tracing".
TracefsRoot tracefs_ensure_mounted();

} // namespace scry
