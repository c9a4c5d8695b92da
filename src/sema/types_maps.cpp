// Type checking of maps (part of the TypeChecker, type_checker.h): reads of @x and @x[key],
// and the writes that give each map its key and value types (the first walk learns them).
// Reads the map uses; writes Map::map_id, the map's types and Resources::maps (one MapInfo per
// map; finish_maps in map_layout.cpp sizes them afterwards).
#include "parser/suggest.h"
#include "sema/type_checker.h"

namespace scry {

using namespace ast;

namespace {

/// A map value's type for messages. Histograms name their parameters: two lhist() calls with
/// different bounds have the same kind, and "lhist_t, not lhist_t" would explain nothing.
std::string value_description(const Type &t) {
  if (t.kind == TypeKind::Hist)
    return "hist(k " + std::to_string(t.hist_bits) + ")";
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
  std::string where = " (first used at line " + std::to_string(first.begin.line) + ", column " +
                      std::to_string(first.begin.column) + ")";
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
      info.value.kind == TypeKind::Stats) {
    error(DiagCode::InvalidMapUse, loc,
          "a " + type_name(info.value) + " map cannot be read in an expression",
          "print it with print(" + info.name + ")");
    return false;
  }
  return true;
}

} // namespace scry
