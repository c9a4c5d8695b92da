// Tracepoint format files as scry types. The kernel describes each tracepoint's record in
// <tracefs>/events/<category>/<event>/format; `args.NAME` in a tracepoint probe reads a field of
// that record, so sema types `args` from it and codegen reads at the field's offset.
//
// The file's layout (kernel/trace/trace_events.c, f_show()), one field per line, tab-separated:
//
//   name: sys_enter_openat
//   ID: 782
//   format:
//   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
//   	...                                        (a blank line ends the common_* fields)
//   	field:int dfd;	offset:16;	size:8;	signed:0;
//   	field:const char * filename;	offset:24;	size:8;	signed:0;
//
//   print fmt: "dfd: 0x%08lx, ...", ...   (to the end of the file; may span several lines)
//
// Offsets and sizes are bytes from the start of the record, which is also what a BPF tracepoint
// program's context points at (common_type is at offset 0).
#pragma once

#include "base/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scry {

/// One field of a tracepoint record.
///
/// `type` is what `args.NAME` is in scry, chosen to match bpftrace:
///  - integers (including enums and typedefs such as pid_t, umode_t, dev_t) are Integer values of
///    the field's `size` bytes (syscall arguments are 8 bytes even when declared `int`). The sign
///    comes from the C type when scry knows it (int, long, loff_t: signed; unsigned, size_t,
///    umode_t: unsigned), else from the `signed` column: the kernel writes signed:0 for every
///    syscall argument, so the column alone would make `long offset` unsigned. Plain `char` follows
///    the column (kernels since 6.2 are built with -funsigned-char).
///  - `enum NAME` fields are such Integers whose `enumeration` has only the name (no
///    enumerators, size 0): sema completes it from the kernel's BTF by name, when the field is
///    used, so that the values print by name (bpftrace: `%s` of args.reason prints
///    SKB_DROP_REASON_NO_SOCKET). An enum BTF does not have leaves a plain integer.
///  - `bool` of 1 byte is Boolean.
///  - `char x[N]` is String of N bytes (bpftrace: string[N]); other arrays (`__u8 saddr[4]`,
///    `unsigned long args[6]`) are Array, nested for several dimensions. A flexible array
///    (`char buf[]`, size 0) is an Array of count 0.
///  - pointers are Pointer to the pointee (char is int8, as bpftrace spells `const char *`),
///    in AddressSpace::User for the "syscalls" category (its pointers are syscall arguments from
///    user space) and AddressSpace::Kernel otherwise.
///  - `struct X`, `union X` and typedefs scry does not know, as pointees or by value, are
///    incomplete records: kind Record, `name` the tag or typedef name ("file", "sigset_t"),
///    `fields` null, btf_id 0, `size` 0 as a pointee (the field's size when by value). Sema
///    completes them from the kernel's BTF by name; `c_type` has the exact C spelling.
///  - `__data_loc T[] x` (and `__rel_loc`): the record holds a u32 locator (size 4) whose low 16
///    bits are the data's offset and high 16 bits its length in bytes; the offset is from the
///    record start for __data_loc, from the end of the locator field for __rel_loc. `type` is a
///    kernel Pointer to T (int8 for char): the data's address, as bpftrace gives it, so that
///    `str(args.filename)` reads the string. Codegen computes ctx + offset (+ field end).
struct TracepointField {
  std::string name;    // without array dimensions: "args" for `unsigned long args[6]`
  std::string c_type;  // C spelling as in the file, dimensions moved here: "unsigned long[6]",
                       // "const char *", "__data_loc char[]"
  Type type;           // kind None when scry cannot type the field (see TracepointFormat::errors)
  uint32_t offset = 0; // bytes from the record start
  uint32_t size = 0;   // bytes the field occupies in the record (4 for a locator)
  bool is_signed = false;   // the file's signed column, as written
  bool is_data_loc = false; // __data_loc or __rel_loc: `type` points at the dynamic data
  bool is_rel_loc = false;  // __rel_loc: the locator's offset counts from the end of the field
  bool is_common = false;   // common_type, common_flags, common_preempt_count, common_pid
};

/// A problem with one line of a format file. The field on that line is left out (when its
/// offset or size could not be read) or kept with type kind None (when only its C type is
/// beyond scry), so that probes that do not use it still work.
struct TracepointFormatError {
  uint32_t line = 0; // 1-based line number in the format text; 0 for the file as a whole
  std::string message;
};

/// A parsed format file.
struct TracepointFormat {
  std::string category; // as given to the parser ("syscalls"); the file does not name it
  std::string name;     // the event, from the "name:" line ("sys_enter_openat")
  uint32_t id = 0;      // the "ID:" line: the perf event config for PERF_TYPE_TRACEPOINT
  std::vector<TracepointField> fields; // in the file's order (common fields first)
  std::string print_fmt;               // everything after "print fmt: ", trailing newline removed
  std::vector<TracepointFormatError> errors;

  bool ok() const { return errors.empty(); }
  /// The field named `name` (without dimensions), or null.
  const TracepointField *find(std::string_view field_name) const;
};

/// Parses a format file's text. `category` is the tracepoint's category (the directory above
/// the event), which decides the address space of pointer fields. Never throws: problems are
/// in the result's `errors`, each with its line number. A text without "name:" or "ID:" lines
/// is an error at line 0.
TracepointFormat parse_tracepoint_format(std::string_view text, std::string_view category);

/// The outcome of read_tracepoint_format().
struct TracepointFormatFile {
  std::optional<TracepointFormat> format; // set when the file was read (it may have errors)
  std::string error;      // else one line saying why, e.g. "tracepoint not found: sched:nope"
  bool not_found = false; // the error is that the tracepoint does not exist
};

/// Reads and parses `<tracefs_root>/events/<category>/<event>/format` (tracefs_root as from
/// tracefs_ensure_mounted(), e.g. "/sys/kernel/tracing"). Names must be plain path components
/// (no '/', not "." or ".."): anything else is "invalid tracepoint name". A missing file is
/// "tracepoint not found: CATEGORY:EVENT" with not_found set; other failures (EACCES: format
/// files are readable by root only) name the path and the system error.
TracepointFormatFile read_tracepoint_format(const std::string &tracefs_root,
                                            std::string_view category, std::string_view event);

/// The outcome of list_tracepoints().
struct TracepointList {
  std::vector<std::string> names; // "category:event", in the kernel's order
  std::string error;              // empty on success

  bool ok() const { return error.empty(); }
};

/// Every tracepoint the kernel offers, from `<tracefs_root>/available_events` (one
/// "category:event" per line). For wildcard expansion and "did you mean" hints.
TracepointList list_tracepoints(const std::string &tracefs_root);

/// True when `pattern` ("category:event") has a wildcard for match_tracepoints(): `*`, `?`, or
/// a bracket expression `[...]`.
bool tracepoint_pattern_has_wildcard(std::string_view pattern);

/// The names in `names` ("category:event") that `pattern` matches, in their order. Wildcards
/// are fnmatch(3)'s without flags: `*` any run of characters, `?` one character, `[...]` one of
/// a set. bpftrace's matcher knows only `*` (its parser rejects `?` in attach points), so every
/// bpftrace pattern means the same here. A pattern without wildcards matches only itself.
std::vector<std::string> match_tracepoints(const std::vector<std::string> &names,
                                           std::string_view pattern);

/// The name in `names` closest to `wanted` by edit distance, for "did you mean" hints, or an
/// empty string when none is close: at most 2 edits, or a quarter of the length for long names,
/// and at most half the length of the part that differs once the common prefix and suffix are
/// set aside. "syscall:sys_enter_read" suggests "syscalls:sys_enter_read";
/// "syscalls:sys_enter_nosuch" suggests nothing (not "syscalls:sys_enter_mount").
std::string suggest_tracepoint(const std::vector<std::string> &names, std::string_view wanted);

} // namespace scry
