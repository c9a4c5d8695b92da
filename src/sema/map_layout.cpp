// The map layout pass, once the type checker knows every map's key and value types: the BPF map
// each map becomes. Reads Resources::maps (key and value types, the kind and size a declaration
// gave) and max_map_keys; writes each MapInfo's bpf_name, per_cpu, has_bucket_key, is_array,
// lru, max_entries, bpf_key_size and bpf_value_size.
#include "sema/passes.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace scry {

namespace {

uint32_t align8(uint32_t n) {
  return (n + 7) / 8 * 8;
}

} // namespace

void finish_maps(Resources &r) {
  for (MapInfo &m : r.maps) {
    std::string base;
    for (char c : m.name.substr(1))
      base += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    m.bpf_name = ("m" + std::to_string(&m - r.maps.data()) + "_" + base).substr(0, 15);
    m.per_cpu = m.value.is_aggregation();
    m.has_bucket_key = m.value.kind == TypeKind::Hist || m.value.kind == TypeKind::Lhist ||
                       m.value.kind == TypeKind::Tseries;
    m.is_array = m.key.kind == TypeKind::None && !m.has_bucket_key;
    // A map without keys declared percpuhash is a hash with the one key 0 (the type checker
    // allows no other declaration to change an array).
    if (m.declared_kind == MapKind::PercpuHash || m.declared_kind == MapKind::PercpuLruHash)
      m.is_array = false;
    m.lru = m.declared_kind == MapKind::LruHash || m.declared_kind == MapKind::PercpuLruHash;
    m.max_entries = m.is_array ? 1 : r.max_map_keys;
    if (m.declared_kind != MapKind::Default)
      m.max_entries = m.declared_max_entries;
    if (m.has_bucket_key) {
      // Up to 64 buckets (hist with k=0), the lhist's buckets or the tseries' slots per user
      // key: each bucket is one entry of the BPF map, a u64 count (a tseries slot: 24 bytes).
      m.bpf_key_size = (m.key.kind == TypeKind::None ? 0 : align8(m.key.size)) + 8;
      m.bpf_value_size = m.value.kind == TypeKind::Tseries ? 24 : 8;
      if (m.declared_kind == MapKind::Default)
        m.max_entries = r.max_map_keys;
    } else if (m.is_array) {
      m.bpf_key_size = 4;
      m.bpf_value_size = align8(std::max<uint32_t>(m.value.size, 1));
    } else {
      m.bpf_key_size = align8(std::max<uint32_t>(m.key.size, 1));
      m.bpf_value_size = align8(std::max<uint32_t>(m.value.size, 1));
    }
  }
}

} // namespace scry
