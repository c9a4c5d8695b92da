// The words of a runtime warning a probe sends (a division by zero, an index out of range, with
// -k a helper's failure), located in the program's source.
#pragma once

#include "base/source.h"
#include "runtime/output.h"
#include "sema/resources.h"

#include <cstdint>

namespace scry {

/// The warning `info` describes, as sent with `detail` (a helper's return code for
/// info.helper, else unused): located in `source` (file:line:col, the source line, an
/// underline), or without a location when `source` is null. A helper's failure is worded as
/// the newest bpftrace words it (src/output/text.cpp, runtime_error): "Map full; can't update
/// element. ...", "Can't delete map element because it does not exist.", "Can't lookup map
/// element because it does not exist.", else strerror of the return code, and then a line
/// "Additional Info - helper: N, retcode: R".
RuntimeWarning describe_runtime_warning(const RuntimeErrorInfo &info, int64_t detail,
                                        const SourceFile *source);

/// errorf()'s or warnf()'s message `msg`, located at the call `loc` (without a source, as
/// "ERROR: msg"): one line, "FILE:LINE:COL-COL: ERROR: msg" (WARNING with `error` false), as the
/// newest bpftrace prints it.
RuntimeWarning located_message(std::string msg, const SourceRange &loc, const SourceFile *source,
                               bool error);

} // namespace scry
