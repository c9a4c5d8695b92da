#include "runtime/startup_profile.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fmt/format.h>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

namespace scry {

namespace {

struct Profile {
  bool enabled = std::getenv("SCRY_STARTUP_PROFILE") != nullptr;
  std::vector<std::pair<const char *, double>> marks; // name, CLOCK_MONOTONIC ms
};

Profile &profile() {
  static Profile p;
  return p;
}

double now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// The process's start, CLOCK_MONOTONIC ms (proc(5): /proc/self/stat field 22, starttime, in
/// clock ticks since boot; boot time is CLOCK_MONOTONIC's zero plus suspended time, none here).
double process_start_ms() {
  FILE *f = std::fopen("/proc/self/stat", "r");
  if (!f)
    return 0;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  std::string stat(buf);
  size_t close = stat.rfind(')'); // comm may hold spaces
  if (close == std::string::npos)
    return 0;
  // Fields after comm start at field 3 (state); starttime is field 22.
  size_t pos = close + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; ++field)
    pos = stat.find(' ', pos) + 1;
  return std::strtod(stat.c_str() + pos, nullptr) * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

void startup_mark(const char *name) {
  if (profile().enabled)
    profile().marks.emplace_back(name, now_ms());
}

void startup_report() {
  Profile &p = profile();
  if (!p.enabled || p.marks.empty())
    return;
  double start = process_start_ms();
  std::string line = "scry: startup:";
  double prev = start;
  for (size_t i = 0; i < p.marks.size(); ++i) {
    line +=
        fmt::format("{} {} {:.1f} ms", i ? "," : "", p.marks[i].first, p.marks[i].second - prev);
    prev = p.marks[i].second;
  }
  line += fmt::format(" (total {:.1f} ms; clock ticks make exec->main coarse)\n", prev - start);
  std::fputs(line.c_str(), stderr);
  p.marks.clear();
}

} // namespace scry
