// The BPF object's ABI: what the programs codegen emits and the runtime that loads them agree
// on. The names of scry's own maps, the layout of the run-state map's value, and the header of
// every ring-buffer record. Both codegen and the runtime include this; neither includes the
// other.
#pragma once

#include <cstdint>

namespace scry {

/// Names of scry's own maps in every object, for the runtime.
inline constexpr const char *kRingBufMap = "ringbuf";
inline constexpr const char *kStateMap = "state";
inline constexpr const char *kScratchMap = "scratch";
inline constexpr const char *kLostMap = "lost";
inline constexpr const char *kMapErrorsMap = "map_errors";
/// skboutput()'s perf event array (bpf_skb_output writes only to one): present when a program
/// calls skboutput().
inline constexpr const char *kSkbOutputMap = "skb_output";
/// Programs that take ustack or usym: the processes (tgid -> 1) already announced to user space
/// with AsyncKind::ProcessSeen. An LRU map: a process forgotten is announced again, never lost.
inline constexpr const char *kSeenProcessesMap = "seen_processes";
inline constexpr uint32_t kSeenProcessesEntries = 16384;

/// The `state` map's single value (an ARRAY map, not per-CPU), shared by the programs and the
/// runtime: exit() sets `exit_requested` and `exit_code`; the runtime sets `start_ns`
/// (CLOCK_MONOTONIC ns, the base of `elapsed`) before it attaches anything.
struct RunState {
  uint64_t exit_requested;
  int64_t exit_code;
  uint64_t start_ns;
  uint64_t reserved;
};

inline constexpr uint32_t kRingbufBytesEvents = 4u << 20;
inline constexpr uint32_t kRingbufBytesControl = 64u << 10;

/// Kinds of ring-buffer records. Every record starts with AsyncHeader.
enum class AsyncKind : uint32_t {
  Printf = 1,       // id: printf call site; payload: the arguments, laid out as PrintfInfo::args
  PrintMap = 2,     // id: map index; payload: u64 top, u64 divisor (0 = none)
  PrintValue = 3,   // id: print_values index; payload: the value
  Clear = 4,        // id: map index
  Zero = 5,         // id: map index
  Exit = 6,         // payload: i64 exit code (the exit flag in a map is the reliable copy)
  Time = 7,         // id: time_formats index
  RuntimeError = 8, // id: runtime_errors index; payload: i64 error code
  ProcessSeen = 9,  // payload: u64 tgid, the first stack or symbol of a process was taken
  Cat = 10,         // id: printf call site (its format names the file); payload as Printf's
  Join = 11,        // id: join_separators index; payload: kJoinElements strings of
                    // join_element_bytes() each, the first empty one ending the list
  System = 12,      // id: printf call site (its format is the command); payload as Printf's
  Errorf = 13,      // id: printf call site (errorf()); payload as Printf's
  Warnf = 14,       // id: printf call site (warnf()); payload as Printf's
};

/// The metadata before the packet's bytes in each skb_output sample (the perf raw sample pads
/// the whole to 8 bytes, so the packet's length travels here).
struct SkbOutputHeader {
  uint64_t id;      // Resources::skb_outputs index
  uint64_t boot_ns; // bpf_ktime_get_boot_ns() when the probe captured it (CLOCK_BOOTTIME, ns)
  uint64_t bytes;   // the packet bytes that follow: skboutput()'s length
};

/// The bytes of syscall_name()'s string: a row of stdlib/strings.bpf.c's table of names.
inline constexpr uint32_t kSyscallNameBytes = 24;

/// The bytes of probetype's string: the longest probe type name ("rawtracepoint") and its NUL.
inline constexpr uint32_t kProbetypeBytes = 16;

/// The bytes of a task's name (comm and comm(pid)): the kernel's TASK_COMM_LEN
/// (include/linux/sched.h).
inline constexpr uint32_t kCommBytes = 16;

/// The bytes of strerror()'s string: a row of stdlib/errno_names.h's table (as bpftrace's).
inline constexpr uint32_t kErrnoTextBytes = 64;
/// signal_name(): the capacity of a signal's description ("Real-time signal 30").
inline constexpr uint32_t kSignalNameBytes = 32;
/// nsecs(clock): the clocks, as Call::id holds them.
enum class Clock : uint8_t { Boot, Monotonic, Tai, SwTai };

/// join(): the elements it reads at most (as bpftrace), and the bytes of each (at most
/// max_strlen, and at most 1 KiB so that a record stays within 16 KiB).
inline constexpr uint32_t kJoinElements = 16;
inline constexpr uint32_t join_element_bytes(uint32_t max_strlen) {
  return max_strlen < 1024 ? max_strlen : 1024;
}

/// The first 8 bytes of every ring-buffer record. Payload follows at offset 8.
struct AsyncHeader {
  uint32_t kind; // AsyncKind
  uint32_t id;
};

} // namespace scry
