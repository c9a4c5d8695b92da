#include "runtime/verifier_log.h"

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace scry {

VerifierStop verifier_stop(const std::string &log) {
  VerifierStop stop;
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < log.size();) {
    size_t nl = log.find('\n', at);
    size_t end = nl == std::string::npos ? log.size() : nl;
    lines.emplace_back(log.data() + at, end - at);
    at = end + 1;
  }
  size_t processed = lines.size();
  while (processed > 0 && lines[processed - 1].rfind("processed ", 0) != 0)
    --processed;
  if (processed < 2)
    return stop;
  // The reason is the last line before "processed" that is not a dump of the verifier's
  // state: instructions ("12: (85) call ..."), register states ("0: R1=ctx()", "cur state:",
  // "old state:"), source lines ("; text @ file:line"), branches ("from 4 to 7:") and
  // precision tracking ("mark_precise: ...") all follow the reason in some logs (an infinite
  // loop is reported before the two states it compared).
  auto is_state_dump = [](std::string_view l) {
    size_t digits = 0;
    while (digits < l.size() && l[digits] >= '0' && l[digits] <= '9')
      ++digits;
    return l.empty() || (digits > 0 && digits < l.size() && l[digits] == ':') ||
           l.rfind("cur state:", 0) == 0 || l.rfind("old state:", 0) == 0 ||
           l.rfind("; ", 0) == 0 || l.rfind("from ", 0) == 0 || l.rfind("mark_precise", 0) == 0 ||
           l.rfind("last_idx", 0) == 0 || l.rfind("parent ", 0) == 0 || l.rfind("regs=", 0) == 0;
  };
  // The complexity limit's message can end the line of the instruction the verifier was
  // printing ("255: (6d) if r8 s> r1 goto pc+1 BPF program is too large. Processed 1000001
  // insn", Linux 6.18), which the state-dump rule would skip for an earlier, unrelated line.
  for (std::string_view phrase : {"BPF program is too large", "The sequence of "}) {
    size_t at = lines[processed - 2].find(phrase);
    if (at != std::string_view::npos) {
      stop.reason = std::string(lines[processed - 2].substr(at));
      break;
    }
  }
  for (size_t i = processed - 1; stop.reason.empty() && i-- > 0;) {
    if (!is_state_dump(lines[i])) {
      stop.reason = std::string(lines[i]);
      break;
    }
  }
  if (stop.reason.empty())
    stop.reason = std::string(lines[processed - 2]);
  for (size_t i = processed - 1; i-- > 0;) {
    std::string_view l = lines[i];
    size_t at = l.rfind(" @ ");
    size_t colon = l.rfind(':');
    if (l.rfind("; ", 0) != 0 || at == std::string_view::npos || colon == std::string_view::npos ||
        colon < at)
      continue;
    stop.text = std::string(l.substr(2, at - 2));
    stop.file = std::string(l.substr(at + 3, colon - at - 3));
    stop.line = std::atoi(std::string(l.substr(colon + 1)).c_str());
    break;
  }
  return stop;
}

bool at_complexity_limit(const std::string &reason) {
  return reason.find("BPF program is too large. Processed") != std::string::npos ||
         reason.find("is too complex") != std::string::npos;
}

std::string failed_program_name(const std::string &log) {
  for (size_t at = log.find("prog '"); at != std::string::npos; at = log.find("prog '", at + 1)) {
    size_t end = log.find('\'', at + 6);
    if (end == std::string::npos)
      break;
    std::string_view rest = std::string_view(log).substr(end);
    if (rest.starts_with("': BPF program load failed") || rest.starts_with("': failed to load"))
      return log.substr(at + 6, end - at - 6);
  }
  return {};
}

std::string tail(const std::string &text, size_t lines) {
  size_t at = text.size();
  for (size_t n = 0; at > 0 && n <= lines; ++n) {
    size_t nl = text.rfind('\n', at - 1);
    if (nl == std::string::npos) {
      at = 0;
      break;
    }
    at = nl;
  }
  return text.substr(at == 0 ? 0 : at + 1);
}

namespace {
std::vector<char> &log_buffer() {
  static std::vector<char> buffer;
  return buffer;
}
} // namespace

bpf_object_open_opts verifier_log_open_opts(const char *name, uint32_t log_size) {
  std::vector<char> &buffer = log_buffer();
  buffer.assign(log_size, '\0');
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
  if (log_size) {
    opts.kernel_log_buf = buffer.data();
    opts.kernel_log_size = buffer.size();
  }
  return opts;
}

std::string verifier_log_text() {
  std::vector<char> &buffer = log_buffer();
  if (buffer.empty() || buffer[0] == '\0')
    return {};
  std::string text(buffer.data(), strnlen(buffer.data(), buffer.size()));
  buffer.assign(buffer.size(), '\0');
  return "-- BEGIN PROG LOAD LOG --\n" + text + (text.back() == '\n' ? "" : "\n") +
         "-- END PROG LOAD LOG --\n";
}

} // namespace scry
