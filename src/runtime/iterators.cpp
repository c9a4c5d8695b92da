#include "runtime/iterators.h"

#include <algorithm>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace scry {

std::string iterator_read(const ProbeProgram &probe, bpf_link *link,
                          const std::function<void()> &drain) {
  int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0)
    return probe.probe_name + ": cannot open the iterator: " + std::strerror(errno);
  char buf[4096];
  std::string error;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    drain();
    if (n > 0)
      continue;
    if (n == 0)
      break;
    // bpf_seq_read gives up a read after many objects with nothing written, or when it must
    // reschedule, with EAGAIN; the next read goes on from there.
    if (errno == EAGAIN || errno == EINTR)
      continue;
    error = probe.probe_name + ": reading the iterator failed: " + std::strerror(errno);
    break;
  }
  close(fd);
  return error;
}

std::string iterator_pin(const ProbeProgram &probe, bpf_link *link) {
  if (bpf_link__pin(link, probe.iterator_pin.c_str()) != 0) {
    int err = errno;
    std::string why = std::strerror(err);
    if (err == EEXIST)
      why = "the file exists (remove it first)";
    else if (err == ENOENT || err == EINVAL)
      why += " (the path must be in a mounted bpffs, /sys/fs/bpf)";
    return probe.probe_name + ": cannot pin the iterator at " + probe.iterator_pin + ": " + why;
  }
  return {};
}

bool has_iterator(const std::vector<ProbeProgram> &programs) {
  return std::any_of(programs.begin(), programs.end(),
                     [](const ProbeProgram &p) { return p.attach == AttachMechanism::Iterator; });
}

std::string iterators_run(const std::vector<ProbeProgram> &programs,
                          const std::vector<Attachment> &attachments, Output &out,
                          const std::function<void()> &drain, size_t &failed) {
  for (size_t i = 0; i < programs.size() && i < attachments.size(); ++i) {
    const ProbeProgram &p = programs[i];
    if (p.attach != AttachMechanism::Iterator || attachments[i].links.empty())
      continue;
    bpf_link *link = attachments[i].links[0];
    std::string err =
        p.iterator_pin.empty() ? iterator_read(p, link, drain) : iterator_pin(p, link);
    if (!err.empty()) {
      failed = i;
      return err;
    }
    if (!p.iterator_pin.empty()) // bpftrace's words
      out.runtime_error("Program pinned to " + p.iterator_pin);
  }
  return {};
}

} // namespace scry
