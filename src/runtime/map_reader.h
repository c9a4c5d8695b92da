// Reading scry's maps out of the kernel, with libbpf's low-level API (bpf/bpf.h), and emptying
// them for clear() and zero(). What comes back is what the formatters print: one MapEntry per
// user key, per-CPU values merged (aggregation.h), hist/lhist buckets grouped under their key.
//
// Layouts (sema/resources.h): a map without keys (MapInfo::is_array) is a one-entry array at
// key u32 0; a hist/lhist map's BPF key is the user key padded to a multiple of 8 bytes followed
// by a u64 bucket index, with a u64 count as the value; every other map's BPF key is the user
// key. A per-CPU map's lookup returns num_possible_cpus copies of the value, each rounded up to
// 8 bytes.
#pragma once

#include "runtime/output.h"
#include "sema/resources.h"

#include <string>
#include <vector>

namespace scry {

/// How read_map() walks a hash map. Auto uses BPF_MAP_LOOKUP_BATCH (one system call per few
/// thousand entries, kernel 5.6+) and falls back to a key-by-key walk
/// (bpf_map_get_next_key + bpf_map_lookup_elem) where the kernel lacks it; the others force one
/// way (for tests).
enum class MapReadMethod { Auto, Batch, KeyByKey };

/// Reads every entry of the map `map_fd`, laid out as `info` says; `num_possible_cpus` is
/// libbpf_num_possible_cpus(). The key and value sizes and the per-CPU-ness come from the kernel
/// (bpf_obj_get_info_by_fd) and are checked against `info`.
///   - MapEntry::key: the user key's bytes (info.key.size of them; empty without keys);
///   - MapEntry::value: the merged value (info.value.size bytes); empty for hist/lhist;
///   - MapEntry::buckets (hist/lhist): the merged count per bucket index, sized to the highest
///     index present + 1.
/// Entries come back ordered by key bytes (hist/lhist) or in the kernel's order; the formatters
/// sort them for printing. An entry deleted while the map is read is skipped.
/// On failure returns what it could read and, when `error` is given, sets it to one line naming
/// the map and the cause ("map '@x': bpf_map_lookup_elem: Bad file descriptor"); on success
/// clears it.
std::vector<MapEntry> read_map(int map_fd, const MapInfo &info, int num_possible_cpus,
                               std::string *error = nullptr,
                               MapReadMethod method = MapReadMethod::Auto);

/// clear(@m): deletes every key. An array map (a map without keys) cannot lose its entry, so
/// its value is set to zero instead. Returns false and sets `error` on failure.
bool clear_map(int map_fd, const MapInfo &info, int num_possible_cpus,
               std::string *error = nullptr);

/// zero(@m): sets every value (every CPU's copy, every hist bucket) to zero and keeps the keys.
/// Returns false and sets `error` on failure.
bool zero_map(int map_fd, const MapInfo &info, int num_possible_cpus, std::string *error = nullptr);

} // namespace scry
