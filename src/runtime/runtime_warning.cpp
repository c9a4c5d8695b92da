#include "runtime/runtime_warning.h"

#include "base/diagnostics.h"

#include <cerrno>
#include <cstring>
#include <linux/bpf.h>
#include <sstream>

namespace scry {

namespace {

std::string helper_failure(int64_t helper, int64_t retcode) {
  if (helper == BPF_FUNC_map_update_elem && retcode == -E2BIG)
    return "Map full; can't update element. Try increasing max_map_keys config or manually "
           "setting the max entries in a map declaration e.g. `let @a = hash(5000)`";
  if (helper == BPF_FUNC_map_delete_elem && retcode == -ENOENT)
    return "Can't delete map element because it does not exist.";
  if (helper == BPF_FUNC_map_lookup_elem)
    return "Can't lookup map element because it does not exist.";
  return std::strerror(static_cast<int>(-retcode));
}

} // namespace

RuntimeWarning describe_runtime_warning(const RuntimeErrorInfo &info, int64_t detail,
                                        const SourceFile *source) {
  RuntimeWarning w;
  w.helper = info.helper;
  w.retcode = info.helper ? detail : 0;
  w.msg = info.helper ? helper_failure(info.helper, detail) : info.message;
  Diagnostics located;
  located.warning(info.code, source ? info.loc : kNoLocation, w.msg);
  std::ostringstream text;
  if (source) {
    located.print(text, *source);
    auto [file, line] = source->locate(info.loc.begin.line);
    w.filename = file->name();
    w.line = static_cast<unsigned>(line);
    w.column = static_cast<unsigned>(info.loc.begin.column);
  } else {
    text << "WARNING: " << w.msg << '\n';
  }
  if (info.helper)
    text << "Additional Info - helper: " << info.helper << ", retcode: " << detail << '\n';
  w.text = text.str();
  return w;
}

RuntimeWarning located_message(std::string msg, const SourceRange &loc, const SourceFile *source,
                               bool error) {
  RuntimeWarning w;
  const char *severity = error ? "ERROR: " : "WARNING: ";
  if (source) {
    auto [file, line] = source->locate(loc.begin.line);
    w.filename = file->name();
    w.line = static_cast<unsigned>(line);
    w.column = static_cast<unsigned>(loc.begin.column);
    w.text = location_text(loc, *source) + ": " + severity + msg + "\n";
  } else {
    w.text = severity + msg + "\n";
  }
  w.msg = std::move(msg);
  return w;
}

} // namespace scry
