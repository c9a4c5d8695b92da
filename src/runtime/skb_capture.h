// skboutput()'s user side: reads the packets the probes put into the skb_output perf event array
// and writes each into its call site's pcap file. Reads Resources::skb_outputs and the loaded
// object's map; writes the files. libpcap writes them; it is loaded with dlopen when a program
// calls skboutput(), so that every other run starts without it.
#pragma once

#include "sema/resources.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct perf_buffer;

namespace scry {

/// The pcap files of a run's skboutput() call sites and the perf buffer their packets arrive
/// in. Files are classic pcap, link type DLT_RAW (IPv4 or IPv6 from the first byte, no link
/// header: bpftrace's choice), snap length 65535; each record's time is the capture's
/// CLOCK_BOOTTIME plus the boot time (CLOCK_REALTIME - CLOCK_BOOTTIME, read at open), in
/// microseconds, and its bytes are the captured ones after the call site's offset.
class SkbCapture {
public:
  SkbCapture();
  ~SkbCapture(); // flushes and closes the files
  SkbCapture(const SkbCapture &) = delete;
  SkbCapture &operator=(const SkbCapture &) = delete;

  /// Creates (or truncates) every site's file and opens the perf buffer on `map_fd` with
  /// `pages` pages per CPU (a power of two). False with `error` set, saying what is missing
  /// (libpcap's library, the buffer's memory) or which file cannot be written (its site in
  /// `failed_site`, else -1), when it cannot.
  bool open(const std::vector<SkbOutput> &sites, int map_fd, size_t pages, std::string &error,
            int &failed_site);

  /// The buffer's epoll descriptor, readable when packets wait (-1 before open()).
  int epoll_fd() const;

  /// Writes every packet waiting in the buffer to its file; flushes the files.
  void consume();

  /// Packets the kernel dropped because a CPU's buffer was full, since the last call.
  uint64_t take_lost();

private:
  struct Files;
  std::unique_ptr<Files> files_;
  perf_buffer *buffer_ = nullptr;
};

} // namespace scry
