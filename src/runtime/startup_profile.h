// Where start-up time goes: with SCRY_STARTUP_PROFILE set in the environment, scry prints on
// stderr, once its probes are attached, the time from process start to the end of each phase
// (parse, sema, codegen, load, attach), e.g.
//
//   scry: startup: exec->main 1.9 ms, parse 0.2 ms, sema 0.4 ms, codegen 5.1 ms, ...
//
// Process start is the kernel's start time of this process (/proc/self/stat field 22), so the
// first figure includes loading the executable and the static constructors.
#pragma once

namespace scry {

/// Records the end of phase `name` (a string literal) now. Cheap; a no-op unless
/// SCRY_STARTUP_PROFILE is set.
void startup_mark(const char *name);

/// Prints the recorded phases on stderr (when SCRY_STARTUP_PROFILE is set) and forgets them.
void startup_report();

} // namespace scry
