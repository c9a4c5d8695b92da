#include "runtime/skb_capture.h"

#include "base/bpf_abi.h"

#include <bpf/libbpf.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <dlfcn.h>
#include <map>
#include <sys/time.h>

namespace scry {

namespace {

// libpcap's types, as pcap/pcap.h declares them (its header is not included: its struct bpf_insn
// collides with linux/bpf.h's). pcap_pkthdr is libpcap's stable ABI; DLT_RAW is pcap/dlt.h's
// value on Linux.
struct pcap_t;
struct pcap_dumper_t;
struct pcap_pkthdr {
  struct timeval ts;
  uint32_t caplen; // the bytes that follow in the file
  uint32_t len;    // the packet's length
};
constexpr int DLT_RAW = 12;
using u_char = unsigned char;

/// The libpcap functions scry calls, from libpcap.so.0.8 (Debian's libpcap0.8; pcap(3PCAP)).
struct Libpcap {
  pcap_t *(*pcap_open_dead)(int, int);
  pcap_dumper_t *(*pcap_dump_open)(pcap_t *, const char *);
  void (*pcap_dump)(u_char *, const struct pcap_pkthdr *, const u_char *);
  int (*pcap_dump_flush)(pcap_dumper_t *);
  void (*pcap_dump_close)(pcap_dumper_t *);
  void (*pcap_close)(pcap_t *);
  char *(*pcap_geterr)(pcap_t *);
};

const Libpcap *load_libpcap(std::string &error) {
  static std::string load_error;
  static const Libpcap *const loaded = []() -> const Libpcap * {
    void *handle = nullptr;
    for (const char *name : {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle)
        break;
    }
    if (!handle) {
      const char *why = dlerror();
      load_error = std::string("libpcap cannot be loaded (") + (why ? why : "libpcap.so.0.8") +
                   "); skboutput() writes its files with it: install it (package libpcap0.8 on "
                   "Debian and Ubuntu)";
      return nullptr;
    }
    static Libpcap p;
    bool ok = true;
    auto find = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
      if (!fn && ok) {
        ok = false;
        load_error = std::string("libpcap has no ") + name;
      }
    };
    find(p.pcap_open_dead, "pcap_open_dead");
    find(p.pcap_dump_open, "pcap_dump_open");
    find(p.pcap_dump, "pcap_dump");
    find(p.pcap_dump_flush, "pcap_dump_flush");
    find(p.pcap_dump_close, "pcap_dump_close");
    find(p.pcap_close, "pcap_close");
    find(p.pcap_geterr, "pcap_geterr");
    return ok ? &p : nullptr;
  }();
  if (!loaded)
    error = load_error;
  return loaded;
}

/// bpftrace's snap length; a longer capture is cut to it, its record keeping the whole length.
constexpr uint32_t kSnapLength = 65535;

} // namespace

struct SkbCapture::Files {
  const Libpcap *pcap = nullptr;
  pcap_t *dead = nullptr;
  std::map<std::string, pcap_dumper_t *> by_path;
  std::vector<std::pair<pcap_dumper_t *, uint64_t>> sites; // each site's file and offset
  int64_t boot_ns = 0;                                     // CLOCK_REALTIME - CLOCK_BOOTTIME
  uint64_t lost = 0;

  ~Files() {
    for (auto &[path, dumper] : by_path)
      pcap->pcap_dump_close(dumper);
    if (dead)
      pcap->pcap_close(dead);
  }

  void write(const uint8_t *data, uint32_t size) {
    SkbOutputHeader h;
    if (size < sizeof h)
      return;
    std::memcpy(&h, data, sizeof h);
    if (h.id >= sites.size() || h.bytes > size - sizeof h)
      return; // not a sample codegen wrote
    auto [dumper, offset] = sites[h.id];
    const uint64_t bytes = h.bytes > offset ? h.bytes - offset : 0;
    const int64_t wall = boot_ns + static_cast<int64_t>(h.boot_ns);
    struct pcap_pkthdr record {};
    record.ts.tv_sec = wall / 1000000000;
    record.ts.tv_usec = wall % 1000000000 / 1000;
    record.len = static_cast<uint32_t>(bytes);
    record.caplen = static_cast<uint32_t>(std::min<uint64_t>(bytes, kSnapLength));
    pcap->pcap_dump(reinterpret_cast<u_char *>(dumper), &record,
                    data + sizeof h + std::min(offset, h.bytes));
  }
};

SkbCapture::SkbCapture() = default;

SkbCapture::~SkbCapture() {
  if (buffer_)
    perf_buffer__free(buffer_);
}

bool SkbCapture::open(const std::vector<SkbOutput> &sites, int map_fd, size_t pages,
                      std::string &error, int &failed_site) {
  failed_site = -1;
  const Libpcap *pcap = load_libpcap(error);
  if (!pcap)
    return false;
  files_ = std::make_unique<Files>();
  files_->pcap = pcap;
  files_->dead = pcap->pcap_open_dead(DLT_RAW, kSnapLength);
  if (!files_->dead) {
    error = "libpcap cannot make a pcap handle";
    return false;
  }
  for (const SkbOutput &site : sites) {
    pcap_dumper_t *&dumper = files_->by_path[site.path];
    if (!dumper) {
      dumper = pcap->pcap_dump_open(files_->dead, site.path.c_str());
      if (!dumper) {
        files_->by_path.erase(site.path);
        // libpcap's message is fopen's: "PATH: strerror".
        error = std::string("skboutput() cannot write ") + pcap->pcap_geterr(files_->dead);
        failed_site = static_cast<int>(&site - sites.data());
        return false;
      }
    }
    files_->sites.emplace_back(dumper, site.offset);
  }
  struct timespec real, boot;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  files_->boot_ns = (real.tv_sec - boot.tv_sec) * 1000000000LL + (real.tv_nsec - boot.tv_nsec);

  auto on_sample = [](void *ctx, int, void *data, uint32_t size) {
    static_cast<Files *>(ctx)->write(static_cast<const uint8_t *>(data), size);
  };
  auto on_lost = [](void *ctx, int, __u64 count) { static_cast<Files *>(ctx)->lost += count; };
  buffer_ = perf_buffer__new(map_fd, pages, on_sample, on_lost, files_.get(), nullptr);
  if (!buffer_) {
    error = std::string("skboutput()'s perf buffer cannot be set up: ") + std::strerror(errno);
    return false;
  }
  return true;
}

int SkbCapture::epoll_fd() const {
  return buffer_ ? perf_buffer__epoll_fd(buffer_) : -1;
}

void SkbCapture::consume() {
  if (!buffer_)
    return;
  perf_buffer__consume(buffer_);
  for (auto &[path, dumper] : files_->by_path)
    files_->pcap->pcap_dump_flush(dumper);
}

uint64_t SkbCapture::take_lost() {
  if (!files_)
    return 0;
  uint64_t n = files_->lost;
  files_->lost = 0;
  return n;
}

} // namespace scry
