#include "base/json_text.h"

namespace scry {

namespace {

using Json = nlohmann::ordered_json;

void append_scalar(std::string &out, const Json &j) {
  out += j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace

void append_json(std::string &out, const Json &j) {
  if (j.is_object()) {
    out += '{';
    bool first = true;
    for (const auto &[key, value] : j.items()) {
      if (!first)
        out += ", ";
      first = false;
      append_scalar(out, Json(key));
      out += ": ";
      append_json(out, value);
    }
    out += '}';
  } else if (j.is_array()) {
    out += '[';
    bool first = true;
    for (const Json &value : j) {
      if (!first)
        out += ',';
      first = false;
      append_json(out, value);
    }
    out += ']';
  } else {
    append_scalar(out, j);
  }
}

} // namespace scry
