#include "runtime/runner.h"

#include "base/bpf_abi.h"
#include "runtime/attach.h"
#include "runtime/iterators.h"
#include "runtime/kernel_attach.h"
#include "runtime/kernel_features.h"
#include "runtime/load_failure.h"
#include "runtime/map_reader.h"
#include "runtime/runtime_warning.h"
#include "runtime/self_probes.h"
#include "runtime/shell_actions.h"
#include "runtime/skb_capture.h"
#include "runtime/startup_profile.h"
#include "runtime/symbolizer.h"
#include "runtime/verifier_log.h"

#include <algorithm>
#include <atomic>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <functional>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace scry {

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int) {
  g_stop = 1;
}

// libbpf's messages (the verifier's log among them), kept for when loading fails.
std::string g_libbpf_log;
bool g_libbpf_verbose = false;

int on_libbpf_print(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG && !g_libbpf_verbose)
    return 0;
  // Whole messages, however long: libbpf passes the verifier's log as one of them, and the
  // reason for a rejection is at its end.
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n > 0) {
    size_t at = g_libbpf_log.size();
    g_libbpf_log.resize(at + static_cast<size_t>(n) + 1);
    vsnprintf(g_libbpf_log.data() + at, static_cast<size_t>(n) + 1, format, args);
    g_libbpf_log.resize(at + static_cast<size_t>(n));
  }
  return 0;
}

struct EventLoop {
  const Resources &res;
  Output &out;
  std::vector<int> map_fds;
  int ncpus = 1;
  bool exit_seen = false;
  int64_t exit_code = 0;
  std::vector<bool> errors_reported; // parallel to res.runtime_errors: each is shown once
  /// Reports the events lost and map updates failed since the last report (set by Run).
  std::function<void()> report_losses;
  bool discard = false;           // draining what was sent after exit(): nothing of it is shown
  size_t runtime_errors_seen = 0; // shown or discarded (--test fails a test that reports one)
  Symbolizer *symbols = nullptr;
  const SourceFile *source = nullptr; // where runtime warnings are located
  bool no_warnings = false;           // --no-warnings: warnf() prints nothing
};

int on_record(void *context, void *data, size_t size) {
  auto *loop = static_cast<EventLoop *>(context);
  if (size < sizeof(AsyncHeader))
    return 0;
  AsyncHeader h;
  std::memcpy(&h, data, sizeof(h));
  loop->runtime_errors_seen += static_cast<AsyncKind>(h.kind) == AsyncKind::RuntimeError;
  if (loop->discard)
    return 0;
  const uint8_t *payload = static_cast<const uint8_t *>(data) + sizeof(h);
  const Resources &res = loop->res;
  std::string error;
  switch (static_cast<AsyncKind>(h.kind)) {
  case AsyncKind::Printf:
    if (h.id < res.printfs.size())
      loop->out.printf_text(format_printf(res.printfs[h.id], payload));
    break;
  case AsyncKind::PrintMap:
    // Losses first, next to the numbers they make incomplete (an interval's print).
    if (loop->report_losses)
      loop->report_losses();
    if (h.id < res.maps.size()) {
      uint64_t top = 0, div = 0;
      std::memcpy(&top, payload, 8);
      std::memcpy(&div, payload + 8, 8);
      auto entries = read_map(loop->map_fds[h.id], res.maps[h.id], loop->ncpus, &error);
      if (!error.empty())
        loop->out.runtime_error(error);
      loop->out.map(res.maps[h.id], entries, top, div);
    }
    break;
  case AsyncKind::PrintValue:
    if (h.id < res.print_values.size())
      loop->out.value(res.print_values[h.id], payload);
    break;
  case AsyncKind::Clear:
    if (h.id < res.maps.size() &&
        !clear_map(loop->map_fds[h.id], res.maps[h.id], loop->ncpus, &error))
      loop->out.runtime_error(error);
    break;
  case AsyncKind::Zero:
    if (h.id < res.maps.size() &&
        !zero_map(loop->map_fds[h.id], res.maps[h.id], loop->ncpus, &error))
      loop->out.runtime_error(error);
    break;
  case AsyncKind::Exit:
    std::memcpy(&loop->exit_code, payload, 8);
    loop->exit_seen = true;
    return -1; // stop consuming: nothing after exit() is shown
  case AsyncKind::Cat:
    if (h.id < res.printfs.size()) {
      const std::string path = format_printf(res.printfs[h.id], payload);
      std::string text;
      if (read_for_cat(path, res.max_cat_bytes, text, error))
        loop->out.cat(text);
      else
        loop->out.runtime_error(error);
    }
    break;
  case AsyncKind::System:
    if (h.id < res.printfs.size()) {
      std::string text;
      if (run_for_system(format_printf(res.printfs[h.id], payload), text, error))
        loop->out.syscall(text);
      else
        loop->out.runtime_error(error);
    }
    break;
  case AsyncKind::Errorf:
  case AsyncKind::Warnf: {
    const bool is_error = static_cast<AsyncKind>(h.kind) == AsyncKind::Errorf;
    if (h.id < res.printfs.size() && (is_error || !loop->no_warnings))
      loop->out.message(located_message(format_printf(res.printfs[h.id], payload),
                                        res.printfs[h.id].loc, loop->source, is_error),
                        is_error);
    break;
  }
  case AsyncKind::Join:
    if (h.id < res.join_separators.size()) {
      const uint32_t element = join_element_bytes(res.max_strlen);
      std::string text;
      for (uint32_t i = 0; i < kJoinElements; ++i) {
        const char *s = reinterpret_cast<const char *>(payload) + i * element;
        if (s[0] == 0)
          break;
        if (i > 0)
          text += res.join_separators[h.id];
        text.append(s, strnlen(s, element));
      }
      loop->out.join(text);
    }
    break;
  case AsyncKind::Time:
    if (h.id < res.time_formats.size()) {
      char text[256];
      time_t now = time(nullptr);
      struct tm local;
      localtime_r(&now, &local);
      size_t n = strftime(text, sizeof(text), res.time_formats[h.id].c_str(), &local);
      loop->out.time(std::string_view(text, n));
    }
    break;
  case AsyncKind::ProcessSeen:
    // A process's first stack or symbol: its mappings are read now, while it lives, so that
    // what it left in maps still resolves after it has exited.
    if (loop->symbols && size >= sizeof(h) + 8) {
      uint64_t pid;
      std::memcpy(&pid, payload, 8);
      loop->symbols->capture(static_cast<pid_t>(pid));
    }
    break;
  case AsyncKind::RuntimeError:
    // Shown the first time only: a warning in a probe that fires a million times a second must
    // not bury the output.
    if (h.id < res.runtime_errors.size()) {
      loop->errors_reported.resize(res.runtime_errors.size());
      if (!loop->errors_reported[h.id]) {
        loop->errors_reported[h.id] = true;
        int64_t detail = 0;
        if (size >= sizeof(h) + 8)
          std::memcpy(&detail, payload, 8);
        loop->out.runtime_warning(
            describe_runtime_warning(res.runtime_errors[h.id], detail, loop->source));
      }
    }
    break;
  }
  return 0;
}

uint64_t sum_percpu_counter(int fd, uint32_t index, int ncpus) {
  std::vector<uint64_t> values(static_cast<size_t>(ncpus));
  if (bpf_map_lookup_elem(fd, &index, values.data()) != 0)
    return 0;
  uint64_t total = 0;
  for (uint64_t v : values)
    total += v;
  return total;
}

class Run {
public:
  Run(const std::vector<uint8_t> &object, const Resources &res, const RunOptions &options,
      Output &output)
      : object_(object), res_(res), options_(options), out_(output),
        loop_{res, output, {}, 1, false, 0, {}, {}}, symbolizer_(res) {
    loop_.report_losses = [this] { report_losses(); };
    loop_.symbols = &symbolizer_;
    loop_.source = options.source;
    loop_.no_warnings = options.no_warnings;
    set_value_symbols(&symbolizer_);
  }

  ~Run() {
    set_value_symbols(nullptr);
    for (Attachment &a : dispatcher_links_)
      detach(a);
    for (Attachment &a : attachments_)
      detach(a);
    if (rb_)
      ring_buffer__free(rb_);
    skb_.reset(); // its perf buffer removes itself from the map: before the object closes it
    if (obj_)
      bpf_object__close(obj_);
  }

  int run() {
    if (!load())
      return 1;
    startup_mark("load");
    if (options_.dry_run)
      return 0;
    install_signal_handlers();
    if (options_.mode != RunMode::Trace)
      return run_tests_or_benchmarks();

    // begin probes run before anything else is attached, in declaration order.
    for (size_t i = 0; i < res_.programs.size(); ++i) {
      if (res_.programs[i].attach != AttachMechanism::RunAtStart)
        continue;
      std::string err = run_special_probe(res_.programs[i], progs_[i]);
      if (!err.empty())
        return fail_attach(i, err);
    }
    size_t attachable = 0;
    size_t left_out = 0, first_left_out = 0; // missing_probes = warn or ignore
    attachments_.resize(res_.programs.size());
    for (size_t i = 0; i < res_.programs.size(); ++i) {
      const ProbeProgram &p = res_.programs[i];
      if (p.attach == AttachMechanism::RunAtStart || p.attach == AttachMechanism::RunAtExit ||
          p.attach == AttachMechanism::RunAsTest || p.attach == AttachMechanism::RunAsBench)
        continue; // test and bench probes run only with --test and --bench
      // A uprobe group's members are attached with their leader, by attach_uprobe_group.
      if ((p.attach == AttachMechanism::Uprobe || p.attach == AttachMechanism::Kprobe) &&
          p.shares_program_of >= 0) {
        ++attachable;
        continue;
      }
      std::string warning;
      std::string err =
          p.tail_called ? add_to_dispatcher(p, progs_[i])
          : !p.probe_group.empty() && p.attach == AttachMechanism::Kprobe
              ? attach_kprobe_group(res_.programs, p, progs_[i], kprobe_multi_, attachments_[i])
          : !p.probe_group.empty()
              ? attach_uprobe_group(res_.programs, p, progs_[i], traced_process(), uprobe_multi_,
                                    attachments_[i], warning)
              : attach_probe(p, progs_[i], traced_process(), attachments_[i]);
      if (!warning.empty())
        out_.runtime_error("WARNING: " + warning);
      if (!err.empty() && res_.missing_probes == MissingProbes::Error)
        return fail_attach(i, err);
      if (!err.empty()) { // config missing_probes = warn or ignore: the others run
        if (res_.missing_probes == MissingProbes::Warn)
          out_.runtime_error("WARNING: " + err + " (left out: config missing_probes = warn)");
        detach(attachments_[i]);
        if (left_out++ == 0)
          first_left_out = i;
        if (left_out == res_.programs.size() || (i + 1 == res_.programs.size() && !attachable))
          return fail_attach(first_left_out, "no probe could be attached: " + err);
        continue;
      }
      ++attachable;
    }
    // The dispatchers last: their probes start together, once every one is in its array.
    dispatcher_links_.resize(res_.dispatchers.size());
    for (size_t i = 0; i < res_.dispatchers.size(); ++i) {
      const SyscallDispatcher &d = res_.dispatchers[i];
      bpf_program *prog = bpf_object__find_program_by_name(obj_, d.function.c_str());
      bpf_link *link =
          prog ? bpf_program__attach_raw_tracepoint(prog, d.raw_tracepoint.c_str()) : nullptr;
      if (!link) {
        std::string err =
            "cannot attach to the raw tracepoint " + d.raw_tracepoint + ": " + std::strerror(errno);
        // Located at the first probe that runs through this dispatcher.
        for (size_t p = 0; p < res_.programs.size(); ++p)
          if (res_.programs[p].tail_called && res_.programs[p].raw_tracepoint == d.raw_tracepoint)
            return fail_attach(p, err);
        return fail_attach(0, err);
      }
      dispatcher_links_[i].links.push_back(link);
    }
    startup_mark("attach");
    startup_report();
    if (options_.on_attached)
      options_.on_attached();
    if (!options_.quiet)
      out_.attached_probes(res_.programs.size() - left_out);
    if (options_.notify) {
      std::fputs("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n", options_.notify_out);
      std::fflush(options_.notify_out);
    }
    release_child();

    // A program of only begin/end probes ends by itself after begin (bpftrace 0.24+).
    bool run_loop = attachable > 0 || options_.child_pid > 0 || options_.target_pid > 0;
    size_t failed = 0; // iterators are read to their end (or pinned) here
    std::string err = iterators_run(
        res_.programs, attachments_, out_, [this] { ring_buffer__consume(rb_); }, failed);
    if (!err.empty())
      return fail_attach(failed, err);
    run_loop &= !has_iterator(res_.programs);
    poll_until_done(run_loop);

    detach_all();
    if (skb_)
      skb_->consume();
    // What the probes sent before they were detached is still shown.
    if (!loop_.exit_seen)
      ring_buffer__consume(rb_);
    // What is left was sent after exit() (by probes on other CPUs, or by a second exit()) and
    // is not shown; it must not stay in the ring buffer either: the end probes' output comes
    // after it, and a leftover exit record stopped the reading before it (end's printf lost).
    loop_.discard = true;
    ring_buffer__consume(rb_);
    loop_.discard = false;

    bool exited = loop_.exit_seen;
    for (size_t i = 0; i < res_.programs.size(); ++i) {
      if (res_.programs[i].attach != AttachMechanism::RunAtExit)
        continue;
      std::string err = run_special_probe(res_.programs[i], progs_[i]);
      if (!err.empty())
        out_.runtime_error(err);
    }
    loop_.exit_seen = false;
    ring_buffer__consume(rb_);
    if (loop_.exit_seen)
      exited = true;
    if (!exited)
      loop_.exit_code = state_exit_code();

    print_maps_at_exit();
    report_losses();
    out_.flush();
    return static_cast<int>(loop_.exit_code & 0xff);
  }

private:
  /// The process uprobes fire in: -p's, else -c's, else 0 (every process).
  pid_t traced_process() const {
    return options_.target_pid > 0 ? options_.target_pid : options_.child_pid;
  }

  bool load() {
    g_libbpf_log.clear();
    g_libbpf_verbose = options_.verbose;
    libbpf_set_print(on_libbpf_print);
    bpf_object_open_opts open_opts = verifier_log_open_opts("scry", res_.config.log_size);
    obj_ = bpf_object__open_mem(object_.data(), object_.size(), &open_opts);
    if (!obj_) {
      std::fprintf(stderr, "scry: internal error: libbpf cannot open the BPF object: %s\n%s",
                   std::strerror(errno), name_probes(g_libbpf_log, res_).c_str());
      return false;
    }
    for (const ProbeProgram &p : res_.programs) {
      bpf_program *prog = bpf_object__find_program_by_name(obj_, p.function.c_str());
      if (!prog) {
        std::fprintf(stderr, "scry: internal error: program for %s is missing\n",
                     p.probe_name.c_str());
        return false;
      }
      progs_.push_back(prog);
    }
    // A uprobe group's shared program attaches with a uprobe_multi link where the kernel has
    // them; the program must be loaded for that attach type.
    // A kprobe group's, with a kprobe_multi link.
    for (size_t i = 0; i < res_.programs.size(); ++i) {
      const ProbeProgram &p = res_.programs[i];
      if (p.probe_group.empty())
        continue;
      if (p.attach == AttachMechanism::Uprobe && kernel_has_uprobe_multi()) {
        uprobe_multi_ = true;
        bpf_program__set_expected_attach_type(progs_[i],
                                              static_cast<bpf_attach_type>(kAttachUprobeMulti));
      } else if (p.attach == AttachMechanism::Kprobe && kernel_has(KernelFeature::KprobeMulti)) {
        kprobe_multi_ = true;
        bpf_program__set_expected_attach_type(progs_[i], BPF_TRACE_KPROBE_MULTI);
      }
    }
    if (bpf_object__load(obj_) != 0) {
      report_load_failure(errno, g_libbpf_log, res_, options_);
      return false;
    }
    if (std::string err = fill_group_names(obj_, res_.programs); !err.empty()) {
      std::fprintf(stderr, "scry: internal error: %s\n", err.c_str());
      return false;
    }
    if (options_.verbose) {
      for (size_t i = 0; i < progs_.size(); ++i) {
        const ProbeProgram &p = res_.programs[i];
        std::string how = describe_attachment(res_.programs, i, uprobe_multi_, kprobe_multi_);
        std::fprintf(stderr, "Program ID for %s: %d%s\n", p.probe_name.c_str(),
                     bpf_program__fd(progs_[i]) >= 0 ? program_id(progs_[i]) : -1, how.c_str());
      }
    }
    loop_.ncpus = libbpf_num_possible_cpus();
    for (const MapInfo &m : res_.maps)
      loop_.map_fds.push_back(bpf_object__find_map_fd_by_name(obj_, m.bpf_name.c_str()));
    state_fd_ = bpf_object__find_map_fd_by_name(obj_, kStateMap);
    lost_fd_ = bpf_object__find_map_fd_by_name(obj_, kLostMap);
    map_errors_fd_ = bpf_object__find_map_fd_by_name(obj_, kMapErrorsMap);

    RunState state{};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    state.start_ns =
        static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
    uint32_t zero = 0;
    bpf_map_update_elem(state_fd_, &zero, &state, BPF_ANY);

    rb_ = ring_buffer__new(bpf_object__find_map_fd_by_name(obj_, kRingBufMap), on_record, &loop_,
                           nullptr);
    if (!rb_) {
      std::fprintf(stderr, "scry: cannot set up the ring buffer: %s\n", std::strerror(errno));
      return false;
    }
    if (!res_.skb_outputs.empty()) {
      // Pages per CPU, a power of two: config perf_rb_pages (bpftrace's key for this buffer
      // too), else 64 (256 KiB with 4 KiB pages, bpftrace's least).
      const size_t pages = res_.config.perf_rb_pages ? res_.config.perf_rb_pages : 64;
      std::string error;
      int site = -1;
      skb_ = std::make_unique<SkbCapture>();
      if (!skb_->open(res_.skb_outputs, bpf_object__find_map_fd_by_name(obj_, kSkbOutputMap), pages,
                      error, site)) {
        report(DiagCode::AttachFailed,
               site >= 0 ? res_.skb_outputs[static_cast<size_t>(site)].loc : kNoLocation, error,
               site >= 0 ? "name a file in a directory that exists and scry may write" : "");
        return false;
      }
    }
    return true;
  }

  static int program_id(bpf_program *prog) {
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
      return -1;
    return static_cast<int>(info.id);
  }

  /// Puts a tail-called syscalls:* program into its dispatcher's program array, at its system
  /// call number.
  std::string add_to_dispatcher(const ProbeProgram &p, bpf_program *prog) {
    std::string array = "tail_" + p.raw_tracepoint;
    int map_fd = bpf_object__find_map_fd_by_name(obj_, array.c_str());
    int prog_fd = bpf_program__fd(prog);
    uint32_t key = static_cast<uint32_t>(p.syscall_nr);
    if (map_fd < 0 || bpf_map_update_elem(map_fd, &key, &prog_fd, BPF_ANY) != 0)
      return p.probe_name + ": cannot add the program to " + array + ": " + std::strerror(errno);
    if (p.probe_name_by_nr || p.shares_program_of >= 0) {
      for (const SyscallDispatcher &d : res_.dispatchers) {
        if (d.raw_tracepoint != p.raw_tracepoint || d.probe_names.empty())
          continue;
        std::string name = p.probe_name;
        name.resize(d.probe_name_bytes, '\0');
        int names_fd = bpf_object__find_map_fd_by_name(obj_, d.probe_names.c_str());
        if (names_fd < 0 || bpf_map_update_elem(names_fd, &key, name.data(), BPF_ANY) != 0)
          return p.probe_name + ": cannot set its name in " + d.probe_names + ": " +
                 std::strerror(errno);
      }
    }
    return {};
  }

  /// Detaches every probe. Tearing down a tracepoint perf event waits for an RCU grace period
  /// in the kernel (~70 ms here), so hundreds of them are closed from several threads at once
  /// rather than one after another.
  void detach_all() {
    for (Attachment &a : dispatcher_links_)
      detach(a);
    std::vector<Attachment *> todo;
    for (Attachment &a : attachments_)
      if (!a.links.empty())
        todo.push_back(&a);
    if (todo.size() < 4) {
      for (Attachment *a : todo)
        detach(*a);
      return;
    }
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t i = next++; i < todo.size(); i = next++)
        detach(*todo[i]);
    };
    std::vector<std::thread> threads;
    size_t n = std::min<size_t>(64, todo.size());
    for (size_t i = 1; i < n; ++i)
      threads.emplace_back(worker);
    worker();
    for (std::thread &t : threads)
      t.join();
  }

  void install_signal_handlers() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; // no SA_RESTART: a signal interrupts the poll
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    self_signals_install();
  }

  /// --test, --bench: runs those probes (runtime/test_runs.h) instead of tracing.
  int run_tests_or_benchmarks() {
    TestRunHooks hooks{[this](bool show) {
                         loop_.discard = !show;
                         ring_buffer__consume(rb_);
                         loop_.discard = loop_.exit_seen = false;
                       },
                       state_fd_, &loop_.runtime_errors_seen};
    int status = test_mode_run(options_.mode, res_.programs, progs_, out_, hooks, options_.quiet);
    print_maps_at_exit(true);
    report_losses();
    out_.flush();
    return status;
  }

  void release_child() {
    // A -c child whose stacks or symbols are taken is traced (ptrace, seized: it does not stop)
    // for one event, its exit: it stops there with its memory still mapped, its mappings are
    // read, and it goes on exiting. Without this, maps printed at exit name no function of a
    // process that has just ended, which is what -c users trace.
    if (options_.child_pid > 0 && res_.user_symbols && options_.child_release_fd >= 0)
      child_traced_ = ptrace(PTRACE_SEIZE, options_.child_pid, nullptr, PTRACE_O_TRACEEXIT) == 0;
    if (options_.child_release_fd >= 0) {
      char go = 1;
      if (write(options_.child_release_fd, &go, 1) != 1)
        out_.runtime_error("cannot start the -c command");
      close(options_.child_release_fd);
    }
  }

  bool child_exited() {
    if (options_.child_pid <= 0)
      return false;
    for (;;) {
      int status;
      if (waitpid(options_.child_pid, &status, WNOHANG | __WALL) != options_.child_pid)
        return false;
      if (WIFEXITED(status) || WIFSIGNALED(status))
        return true;
      if (WIFSTOPPED(status))
        resume_traced_child(status);
    }
  }

  /// A stop of the traced -c child (ptrace(2), "Stopped states"): at its exit, its mappings
  /// are read; a group stop leaves it stopped as it would be untraced; a signal is delivered.
  void resume_traced_child(int status) {
    const pid_t pid = options_.child_pid;
    const int event = status >> 16;
    if (event == PTRACE_EVENT_EXIT) {
      symbolizer_.capture(pid);
      ptrace(PTRACE_CONT, pid, nullptr, nullptr);
    } else if (event == PTRACE_EVENT_STOP) {
      ptrace(PTRACE_LISTEN, pid, nullptr, nullptr);
    } else {
      ptrace(PTRACE_CONT, pid, nullptr,
             reinterpret_cast<void *>(static_cast<intptr_t>(WSTOPSIG(status))));
    }
  }

  /// -p: whether the traced process has gone (checked every poll, at most 100 ms late).
  /// Whether the -p process is gone: no such process, or a zombie its parent has not reaped
  /// (its state in /proc/PID/stat, proc(5), is Z or X), whose probes cannot fire any more.
  bool target_exited() {
    if (options_.target_pid <= 0)
      return false;
    if (kill(options_.target_pid, 0) != 0)
      return errno == ESRCH;
    // read(2), not a stream: reading the file of a process that is exiting fails with ESRCH,
    // which libstdc++'s filebuf throws from underflow (an abort here, seen in the kernel matrix).
    std::string text(1024, '\0');
    int fd = ::open(("/proc/" + std::to_string(options_.target_pid) + "/stat").c_str(),
                    O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return errno == ENOENT || errno == ESRCH;
    ssize_t n = ::read(fd, text.data(), text.size());
    ::close(fd);
    if (n < 0)
      return errno == ESRCH;
    text.resize(static_cast<size_t>(n));
    size_t paren = text.rfind(')'); // the name may hold spaces and parentheses
    return paren != std::string::npos && paren + 2 < text.size() &&
           (text[paren + 2] == 'Z' || text[paren + 2] == 'X');
  }

  bool exit_requested() {
    RunState state{};
    uint32_t zero = 0;
    return bpf_map_lookup_elem(state_fd_, &zero, &state) == 0 && state.exit_requested;
  }

  int64_t state_exit_code() {
    RunState state{};
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(state_fd_, &zero, &state) == 0 && state.exit_requested)
      return state.exit_code;
    return 0;
  }

  void poll_until_done(bool run_loop) {
    // Always show what begin sent; then, unless the program is begin/end only, wait for exit().
    ring_buffer__consume(rb_);
    out_.flush();
    // A failed write (a full disk, a closed pipe or stdout) ends the run: tracing on with
    // nowhere to write would lose everything silently.
    while (run_loop && !g_stop && !loop_.exit_seen && !out_.write_error()) {
      // A traced -c child waits in its stops (a signal, its exit) for this loop: it looks
      // every 10 ms then, else every 100 ms.
      int n = wait_and_read(child_traced_ ? 10 : 100);
      if (n > 0 && options_.flush_after_batch)
        out_.flush();
      if (n < 0 && n != -EINTR && !loop_.exit_seen) {
        out_.runtime_error(std::string("reading the ring buffer failed: ") + std::strerror(-n));
        break;
      }
      // exit() also sets a flag that cannot be lost when the ring buffer is full.
      if (!loop_.exit_seen && exit_requested()) {
        ring_buffer__consume(rb_);
        if (!loop_.exit_seen) {
          loop_.exit_seen = true;
          loop_.exit_code = state_exit_code();
        }
      }
      if (child_exited() || target_exited())
        break;
      while (self_signal_take())
        self_probes_run(res_.programs, progs_, SIGUSR1, out_);
      // Losses are reported as they happen, at most once a second.
      auto now = std::chrono::steady_clock::now();
      if (now - last_loss_check_ >= std::chrono::seconds(1)) {
        last_loss_check_ = now;
        report_losses();
      }
    }
  }

  /// Waits up to `timeout_ms` for records in the ring buffer (or packets for skboutput()) and
  /// handles them; the records handled, or a negative errno.
  int wait_and_read(int timeout_ms) {
    if (!skb_)
      return ring_buffer__poll(rb_, timeout_ms);
    struct pollfd fds[2] = {{ring_buffer__epoll_fd(rb_), POLLIN, 0}, {skb_->epoll_fd(), POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) < 0)
      return -errno;
    skb_->consume();
    return ring_buffer__consume(rb_);
  }

  /// Prints the maps in name order (unless config print_maps_on_exit = false), after bpftrace's
  /// separator unless `separated` (--bench has printed it, and its results after it).
  void print_maps_at_exit(bool separated = false) {
    if (!res_.config.print_maps_on_exit)
      return;
    std::vector<size_t> order(res_.maps.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return res_.maps[a].name < res_.maps[b].name; });
    // bpftrace separates the maps from the run's output with two newlines whether or not any
    // map has entries (src/bpftrace.cpp; the change to drop them, its PR #4782, was not merged).
    if (!separated)
      out_.end_of_run();
    for (size_t i : order) {
      std::string error;
      auto entries = read_map(loop_.map_fds[i], res_.maps[i], loop_.ncpus, &error);
      if (!error.empty())
        out_.runtime_error(error);
      if (entries.empty())
        continue;
      out_.map(res_.maps[i], entries, 0, 0);
    }
  }

  /// Reports the events each probe lost and the updates of each map that failed since the
  /// last report (the kernel's counters only grow).
  void report_losses() {
    lost_reported_.resize(res_.programs.size());
    for (size_t i = 0; i < res_.programs.size(); ++i) {
      uint64_t lost = sum_percpu_counter(lost_fd_, static_cast<uint32_t>(i), loop_.ncpus);
      if (lost > lost_reported_[i]) {
        const ProbeProgram &p = res_.programs[i];
        // A program shared by a wildcard's expansions counts for all of them.
        out_.lost_events(lost - lost_reported_[i],
                         p.probe_name_by_nr ? p.probe_name + " and the other probes of its wildcard"
                                            : p.probe_name);
        lost_reported_[i] = lost;
      }
    }
    if (uint64_t lost = skb_ ? skb_->take_lost() : 0)
      out_.lost_events(lost, "skboutput()'s packets (raise config perf_rb_pages)");
    failed_reported_.resize(res_.maps.size());
    for (size_t i = 0; i < res_.maps.size(); ++i) {
      uint64_t failed = sum_percpu_counter(map_errors_fd_, static_cast<uint32_t>(i), loop_.ncpus);
      if (failed > failed_reported_[i]) {
        out_.map_full(res_.maps[i], failed - failed_reported_[i]);
        failed_reported_[i] = failed;
      }
    }
  }

  /// Reports an error of the kernel's through RunOptions::report (or as "scry: message").
  void report(DiagCode code, const SourceRange &range, std::string message, std::string hint = {}) {
    report_kernel_error(options_, code, range, std::move(message), std::move(hint));
  }

  /// Reports that program `index` could not be attached (or run, or put into its dispatcher),
  /// at its probe's attach point.
  int fail_attach(size_t index, const std::string &message) {
    const ProbeProgram &p = res_.programs[index];
    report(DiagCode::AttachFailed, p.loc, message);
    return 1;
  }

  const std::vector<uint8_t> &object_;
  const Resources &res_;
  const RunOptions &options_;
  Output &out_;
  EventLoop loop_;
  Symbolizer symbolizer_;
  bool child_traced_ = false; // the -c child is seized for its exit (release_child)
  bool uprobe_multi_ = false; // uprobe groups attach with uprobe_multi links
  bool kprobe_multi_ = false; // kprobe groups attach with kprobe_multi links
  bpf_object *obj_ = nullptr;
  ring_buffer *rb_ = nullptr;
  std::unique_ptr<SkbCapture> skb_;          // skboutput()'s files, when the program calls it
  std::vector<Attachment> dispatcher_links_; // parallel to res_.dispatchers
  std::vector<bpf_program *> progs_;
  std::vector<Attachment> attachments_;
  int state_fd_ = -1, lost_fd_ = -1, map_errors_fd_ = -1;
  std::vector<uint64_t> lost_reported_, failed_reported_; // what report_losses() has said
  std::chrono::steady_clock::time_point last_loss_check_ = std::chrono::steady_clock::now();
};

} // namespace

int run_program(const std::vector<uint8_t> &object, const Resources &resources,
                const RunOptions &options, Output &output) {
  Run run(object, resources, options, output);
  return run.run();
}

void request_stop() {
  g_stop = 1;
}

} // namespace scry
