// The perf events that software: and hardware: probes name, with their short names, their
// perf_event_attr type and config (linux/perf_event.h: perf_sw_ids, perf_hw_id), and the sample
// period bpftrace uses when a probe gives none. One table for the attach-point pass (names) and
// the probe plan (type, config, period).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace scry {

struct PerfEventInfo {
  const char *name;        // canonical, as perf(1) spells it: "cpu-clock"
  const char *alias;       // short name ("cpu"), or null
  uint32_t type;           // PERF_TYPE_SOFTWARE or PERF_TYPE_HARDWARE
  uint64_t config;         // PERF_COUNT_SW_* or PERF_COUNT_HW_*
  uint64_t default_period; // events between samples when the probe names no count
};

/// The software events (PERF_TYPE_SOFTWARE), in perf_sw_ids order.
std::span<const PerfEventInfo> software_events();

/// The hardware events (PERF_TYPE_HARDWARE), in perf_hw_id order.
std::span<const PerfEventInfo> hardware_events();

/// The event of `events` called `name` or by its alias; null when none is.
const PerfEventInfo *find_perf_event(std::span<const PerfEventInfo> events, std::string_view name);

} // namespace scry
