// Type checking of maps (part of the TypeChecker, type_checker.h): reads of @x and @x[key],
// and the writes that give each map its key and value types (the first walk learns them).
// Also map declarations (`let @m = lruhash(100);`): their kind and size, checked against the
// values the map holds. Reads the map uses and declarations; writes Map::map_id, the map's types
// and Resources::maps (one MapInfo per map, with its declared kind and size; finish_maps in
// map_layout.cpp sizes them afterwards).
#include "parser/suggest.h"
#include "sema/type_checker.h"

#include <algorithm>
#include <limits>

namespace scry {

using namespace ast;

namespace {

/// A map value's type for messages. Histograms name their parameters: two lhist() calls with
/// different bounds have the same kind, and "lhist_t, not lhist_t" would explain nothing.
std::string value_description(const Type &t) {
  if (t.kind == TypeKind::Hist)
    return "hist(k " + std::to_string(t.hist_bits) + ")";
  if (t.kind == TypeKind::Tseries)
    return "tseries(interval " + std::to_string(t.tseries_interval_ns) + "ns, " +
           std::to_string(t.tseries_intervals) + " intervals)";
  if (t.kind == TypeKind::Lhist)
    return "lhist(min " + std::to_string(t.lhist_min) + ", max " + std::to_string(t.lhist_max) +
           ", step " + std::to_string(t.lhist_step) + ")";
  return type_name(t);
}

} // namespace

void TypeChecker::visit(Map &n) {
  const MapInfo *info = find_map(n.name);
  if (!info) {
    if (!quiet_)
      error(DiagCode::InvalidMapUse, n.loc, "map " + display(n.name) + " is never assigned",
            did_you_mean(display(n.name), assigned_map_names()));
    return;
  }
  n.map_id = static_cast<int>(map_index_.at(n.name));
  if (info->key.kind != TypeKind::None && !map_as_argument_) {
    error(DiagCode::InvalidMapUse, n.loc, "map " + display(n.name) + " has keys",
          "use " + display(n.name) + "[key]");
    return;
  }
  n.type = map_as_argument_ ? info->value : read_type(info->value);
  if (!check_readable(*info, n.loc))
    n.type = Type{};
}

void TypeChecker::visit(MapAccess &n) {
  check(n.key);
  const MapInfo *info = find_map(n.map->name);
  if (!info) {
    if (!quiet_)
      error(DiagCode::InvalidMapUse, n.map->loc,
            "map " + display(n.map->name) + " is never assigned",
            did_you_mean(display(n.map->name), assigned_map_names()));
    return;
  }
  n.map->map_id = static_cast<int>(map_index_.at(n.map->name));
  check_key(*info, n.key);
  n.map->type = info->value;
  n.type = read_type(info->value);
  if (!check_readable(*info, n.loc))
    n.type = Type{};
}

std::string TypeChecker::display(const std::string &name) {
  return "@" + name;
}

const MapInfo *TypeChecker::find_map(const std::string &name) const {
  auto it = map_index_.find(name);
  if (it == map_index_.end())
    return nullptr;
  return &result_.resources.maps[it->second];
}

std::vector<std::string> TypeChecker::assigned_map_names() const {
  std::vector<std::string> names;
  for (const auto &[name, index] : map_index_)
    names.push_back(display(name));
  return names;
}

Type TypeChecker::map_read_type(const Map &m) const {
  const MapInfo *info = find_map(m.name);
  return info ? read_type(info->value) : Type{};
}

/// Records (or checks) a write of `value` to map `m` with `key` (null for no key).
void TypeChecker::use_map(Map &m, Expression *key, const Type &value, const SourceRange &loc,
                          bool) {
  Type key_type = key ? storage_type(key->type) : Type{};
  Type value_type = value.is_aggregation() ? value : storage_type(value);
  if (key && (key->type.kind == TypeKind::Void || key->type.is_aggregation())) {
    error(DiagCode::TypeMismatch, key->loc, "a map key needs a value");
    return;
  }
  auto it = map_index_.find(m.name);
  if (it == map_index_.end()) {
    MapInfo info;
    info.name = display(m.name);
    info.key = key_type;
    info.value = value_type;
    info.loc = loc;
    map_index_[m.name] = static_cast<uint32_t>(result_.resources.maps.size());
    map_first_use_[m.name] = loc;
    result_.resources.maps.push_back(info);
    m.map_id = static_cast<int>(map_index_[m.name]);
    m.type = value_type;
    return;
  }
  MapInfo &info = result_.resources.maps[it->second];
  m.map_id = static_cast<int>(it->second);
  const SourceRange &first = map_first_use_[m.name];
  std::string where = " (first used at " + position_text(first.begin) + ")";
  if ((info.key.kind == TypeKind::None) != (key_type.kind == TypeKind::None)) {
    error(DiagCode::TypeMismatch, loc,
          "map " + info.name +
              (key ? " is used without keys elsewhere" : " is used with keys elsewhere") + where);
    return;
  }
  if (key) {
    auto u = unify(info.key, key_type);
    if (!u) {
      error(DiagCode::TypeMismatch, key->loc,
            "map " + info.name + " has keys of type " + type_name(info.key) + ", not " +
                type_name(key_type) + where);
      return;
    }
    info.key = *u;
  }
  auto u = unify(info.value, value_type);
  if (!u) {
    error(DiagCode::TypeMismatch, loc,
          "map " + info.name + " holds " + value_description(info.value) + ", not " +
              value_description(value_type) + where);
    return;
  }
  info.value = *u;
  m.type = info.value;
}

void TypeChecker::check_key(const MapInfo &info, Expression *key) {
  if (info.key.kind == TypeKind::None) {
    error(DiagCode::InvalidMapUse, key->loc, "map " + info.name + " has no keys",
          "use " + info.name + " without [...]");
    return;
  }
  if (!unify(info.key, storage_type(key->type)))
    error(DiagCode::TypeMismatch, key->loc,
          "map " + info.name + " has keys of type " + type_name(info.key) + ", not " +
              type_name(key->type));
}

/// Whether the map's value can be read in an expression; reports it when not.
bool TypeChecker::check_readable(const MapInfo &info, const SourceRange &loc) {
  if (map_as_argument_)
    return true;
  if (info.value.kind == TypeKind::Hist || info.value.kind == TypeKind::Lhist ||
      info.value.kind == TypeKind::Tseries || info.value.kind == TypeKind::Stats) {
    error(DiagCode::InvalidMapUse, loc,
          "a " + type_name(info.value) + " map cannot be read in an expression",
          "print it with print(" + info.name + ")");
    return false;
  }
  return true;
}

} // namespace scry

namespace scry {

using namespace ast;

namespace {

struct KindName {
  MapKind kind;
  const char *name;
};
// bpftrace's names (src/bpfmap.cpp, BPF_MAP_TYPES); the parser accepts only these.
constexpr KindName kKindNames[] = {{MapKind::Hash, "hash"},
                                   {MapKind::LruHash, "lruhash"},
                                   {MapKind::PercpuHash, "percpuhash"},
                                   {MapKind::PercpuLruHash, "percpulruhash"},
                                   {MapKind::PercpuArray, "percpuarray"}};

const char *kind_name(MapKind kind) {
  for (const KindName &k : kKindNames)
    if (k.kind == kind)
      return k.name;
  return "default";
}

std::string at_line(const SourceRange &loc) {
  return position_text(loc.begin);
}

} // namespace

void TypeChecker::check_map_declarations() {
  for (const MapDecl *d : program_.map_decls) {
    MapKind kind = MapKind::Default;
    for (const KindName &k : kKindNames)
      if (d->kind == k.name)
        kind = k.kind;
    if (kind == MapKind::Default || !d->max_entries)
      continue; // the parser reported the kind or the arguments
    std::string name = display(d->name);
    if (auto it = declared_maps_.find(d->name); it != declared_maps_.end()) {
      error(DiagCode::InvalidMapDeclaration, d->loc,
            "map " + name + " is already declared (at " + at_line(it->second.decl->loc) + ")",
            "declare each map once");
      continue;
    }
    std::optional<int64_t> size = constant_value(d->max_entries);
    if (!size) {
      constant_required(d->max_entries, "a map's maximum number of entries must be a constant");
      continue;
    }
    if (kind == MapKind::PercpuArray && *size != 1) {
      error(DiagCode::InvalidMapDeclaration, d->max_entries->loc,
            "a percpuarray map holds exactly 1 entry, not " + std::to_string(*size),
            "write percpuarray(1), or declare a percpuhash for a map with keys");
      continue;
    }
    // The kernel's limit is its u32 max_entries; a hash map's memory is allocated up front.
    if (*size < 1 || *size > std::numeric_limits<uint32_t>::max()) {
      error(DiagCode::InvalidMapDeclaration, d->max_entries->loc,
            "a map holds from 1 to " + std::to_string(std::numeric_limits<uint32_t>::max()) +
                " entries, not " + std::to_string(*size),
            "e.g. let " + name + " = " + d->kind + "(1024);");
      continue;
    }
    declared_maps_[d->name] = {d, kind, static_cast<uint32_t>(*size)};
  }
}

void TypeChecker::apply_map_declarations() {
  for (const auto &[map_name, declared] : declared_maps_) {
    auto it = map_index_.find(map_name);
    std::string name = display(map_name);
    if (it == map_index_.end()) {
      warning(DiagCode::UnusedMap, declared.decl->loc,
              "map " + name + " is declared but never assigned",
              "remove the declaration, or assign the map in a probe");
      continue;
    }
    MapInfo &info = result_.resources.maps[it->second];
    // What the values need, as bpftrace decides (bpf_map_types_compatible in its bpfmap.cpp):
    // aggregations are per-CPU; a map without keys is a one-entry array (hist and lhist keep
    // their bucket in the key), which a per-CPU hash may replace.
    const bool per_cpu = info.value.is_aggregation();
    const bool array = info.key.kind == TypeKind::None && info.value.kind != TypeKind::Hist &&
                       info.value.kind != TypeKind::Lhist && info.value.kind != TypeKind::Tseries;
    std::vector<MapKind> allowed;
    std::string needs;
    if (array && per_cpu) {
      allowed = {MapKind::PercpuArray, MapKind::PercpuHash};
      needs = "a per-CPU array: percpuarray(1) or percpuhash(N)";
    } else if (array) {
      needs = "a one-entry array, which cannot be declared";
    } else if (per_cpu) {
      allowed = {MapKind::PercpuHash, MapKind::PercpuLruHash};
      needs = "a per-CPU hash: percpuhash(N) or percpulruhash(N)";
    } else {
      allowed = {MapKind::Hash, MapKind::LruHash};
      needs = "a hash: hash(N) or lruhash(N)";
    }
    if (std::find(allowed.begin(), allowed.end(), declared.kind) == allowed.end()) {
      std::string what = (info.key.kind == TypeKind::None ? "without keys " : "") +
                         std::string("holding ") + value_description(info.value);
      error(DiagCode::TypeMismatch, info.loc,
            "map " + name + " is declared " + kind_name(declared.kind) + " (at " +
                at_line(declared.decl->loc) + "), but a map " + what + " needs " + needs,
            array && !per_cpu ? "remove the declaration, or give the map keys"
                              : "change the declaration, or the values the map holds");
      continue;
    }
    info.declared_kind = declared.kind;
    info.declared_max_entries = declared.max_entries;
  }
}

} // namespace scry
