// iter probes: an iterator link (created by attach_probe) is read to its end once, which runs
// the program over every object, and scry exits; or it is pinned under bpffs, where every read
// of the pin (`cat /sys/fs/bpf/NAME`) runs it again.
#pragma once

#include "runtime/attach.h"
#include "runtime/output.h"
#include "sema/resources.h"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

struct bpf_link;

namespace scry {

/// Reads the iterator of `link` (program `probe`) to its end; calls `drain` after each chunk,
/// so that what the program sends to the ring buffer is shown as it goes. scry's programs send
/// their output through the ring buffer, not the iterator's seq_file, so the chunks themselves
/// hold nothing. Returns "" or why the iterator could not be read, naming the probe.
std::string iterator_read(const ProbeProgram &probe, bpf_link *link,
                          const std::function<void()> &drain);

/// Pins the iterator of `link` at probe.iterator_pin. Returns "" or why not, naming the probe
/// and the path.
std::string iterator_pin(const ProbeProgram &probe, bpf_link *link);

/// Whether `programs` has an iter probe: the run ends once it is read.
bool has_iterator(const std::vector<ProbeProgram> &programs);

/// Reads, or pins, every iterator of `programs` (`attachments` parallel to them, each iterator's
/// link first), calling `drain` as iterator_read() does; "Program pinned to PATH" goes to `out`
/// as a notice. Returns "" or why one failed, and then its index in `failed`.
std::string iterators_run(const std::vector<ProbeProgram> &programs,
                          const std::vector<Attachment> &attachments, Output &out,
                          const std::function<void()> &drain, size_t &failed);

} // namespace scry
