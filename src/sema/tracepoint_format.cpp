#include "sema/tracepoint_format.h"

#include "parser/suggest.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

namespace scry {

namespace {

constexpr std::string_view kBlanks = " \t\r";

std::string_view trim(std::string_view s) {
  size_t begin = s.find_first_not_of(kBlanks);
  if (begin == std::string_view::npos)
    return {};
  size_t end = s.find_last_not_of(kBlanks);
  return s.substr(begin, end - begin + 1);
}

bool parse_u32(std::string_view s, uint32_t &out) {
  s = trim(s);
  if (s.empty())
    return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// What a C type's base (the type without pointers and dimensions) is to scry.
enum class BaseKind {
  Void,
  Bool,
  PlainChar, // `char`: its sign depends on the compiler flags the kernel was built with
  Integer,   // a C integer type or a typedef scry knows: size and sign known
  Enum,      // size and sign from the format file's columns
  Aggregate, // struct or union: completed from BTF by sema
  Unknown,   // a typedef scry does not know: an integer when it has an integer's size
};

struct CType {
  BaseKind kind = BaseKind::Unknown;
  std::string name;       // Aggregate/Unknown: the tag or typedef name; Enum: the tag
  uint32_t size = 0;      // Integer: bytes
  bool is_signed = false; // Integer
  uint32_t pointer_depth = 0;
};

struct Scalar {
  std::string_view name;
  uint32_t size;
  bool is_signed;
};

// Kernel and libc typedefs that appear in format files, with their C size and sign. A typedef
// missing here still works as an integer (the file's size and signed columns decide); listing it
// fixes its sign for syscall arguments (always signed:0) and its size as an array element or
// pointee.
constexpr Scalar kTypedefs[] = {
    {"u8", 1, false},
    {"u16", 2, false},
    {"u32", 4, false},
    {"u64", 8, false},
    {"s8", 1, true},
    {"s16", 2, true},
    {"s32", 4, true},
    {"s64", 8, true},
    {"__u8", 1, false},
    {"__u16", 2, false},
    {"__u32", 4, false},
    {"__u64", 8, false},
    {"__s8", 1, true},
    {"__s16", 2, true},
    {"__s32", 4, true},
    {"__s64", 8, true},
    {"uint8_t", 1, false},
    {"uint16_t", 2, false},
    {"uint32_t", 4, false},
    {"uint64_t", 8, false},
    {"int8_t", 1, true},
    {"int16_t", 2, true},
    {"int32_t", 4, true},
    {"int64_t", 8, true},
    {"__le16", 2, false},
    {"__le32", 4, false},
    {"__le64", 8, false},
    {"__be16", 2, false},
    {"__be32", 4, false},
    {"__be64", 8, false},
    {"uint", 4, false},
    {"ulong", 8, false},
    {"size_t", 8, false},
    {"ssize_t", 8, true},
    {"loff_t", 8, true},
    {"off_t", 8, true},
    {"pid_t", 4, true},
    {"uid_t", 4, false},
    {"gid_t", 4, false},
    {"qid_t", 4, false},
    {"umode_t", 2, false},
    {"gfp_t", 4, false},
    {"dev_t", 4, false},
    {"ino_t", 8, false},
    {"time64_t", 8, true},
    {"time_t", 8, true},
    {"clockid_t", 4, true},
    {"timer_t", 4, true},
    {"key_t", 4, true},
    {"key_serial_t", 4, true},
    {"mqd_t", 4, true},
    {"rwf_t", 4, true},
    {"sector_t", 8, false},
    {"blkcnt_t", 8, false},
    {"dma_addr_t", 8, false},
    {"phys_addr_t", 8, false},
    {"resource_size_t", 8, false},
    {"uintptr_t", 8, false},
    {"aio_context_t", 8, false},
    {"vm_flags_t", 8, false},
    {"blk_opf_t", 4, false},
    {"errseq_t", 4, false},
};

// Words of a C type that do not change its layout or meaning to scry (qualifiers, sparse
// annotations, x86 segment address spaces).
constexpr std::string_view kIgnoredWords[] = {
    "const",
    "volatile",
    "restrict",
    "__restrict",
    "__user",
    "__kernel",
    "__iomem",
    "__rcu",
    "__percpu",
    "__force",
    "__seg_gs",
    "__seg_fs",
    "__attribute_const__",
};

constexpr std::string_view kBuiltinWords[] = {"signed", "unsigned", "char", "short", "int", "long"};

template <typename Range>
bool contains(const Range &range, std::string_view word) {
  return std::find(std::begin(range), std::end(range), word) != std::end(range);
}

// Parses a C type without dimensions ("const char *", "unsigned long", "struct file * *").
// Returns an error message, or an empty string.
std::string parse_c_type(std::string_view text, CType &out) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t') {
      ++i;
    } else if (c == '*') {
      ++out.pointer_depth;
      ++i;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = i;
      while (i < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'))
        ++i;
      std::string_view word = text.substr(start, i - start);
      if (!contains(kIgnoredWords, word)) {
        if (out.pointer_depth > 0)
          return "unexpected '" + std::string(word) + "' after '*'";
        words.push_back(word);
      }
    } else {
      return "unsupported C type syntax '" + std::string(text) + "'";
    }
  }
  if (words.empty())
    return "no type";

  if (words.size() == 2 && (words[0] == "struct" || words[0] == "union" || words[0] == "enum")) {
    out.kind = words[0] == "enum" ? BaseKind::Enum : BaseKind::Aggregate;
    out.name = words[1];
    return {};
  }
  if (words.size() == 1) {
    std::string_view w = words[0];
    if (w == "void") {
      out.kind = BaseKind::Void;
      return {};
    }
    if (w == "bool" || w == "_Bool") {
      out.kind = BaseKind::Bool;
      out.size = 1;
      return {};
    }
    for (const Scalar &s : kTypedefs) {
      if (s.name == w) {
        out.kind = BaseKind::Integer;
        out.name = w;
        out.size = s.size;
        out.is_signed = s.is_signed;
        return {};
      }
    }
    if (!contains(kBuiltinWords, w)) {
      out.kind = BaseKind::Unknown;
      out.name = w;
      return {};
    }
  }

  // C's own integer types: any order of signed, unsigned, char, short, int, long.
  int n_signed = 0, n_unsigned = 0, n_char = 0, n_short = 0, n_int = 0, n_long = 0;
  for (std::string_view w : words) {
    if (w == "signed")
      ++n_signed;
    else if (w == "unsigned")
      ++n_unsigned;
    else if (w == "char")
      ++n_char;
    else if (w == "short")
      ++n_short;
    else if (w == "int")
      ++n_int;
    else if (w == "long")
      ++n_long;
    else
      return "unsupported C type '" + std::string(text) + "'";
  }
  bool bad = n_signed + n_unsigned > 1 || n_char + n_short > 1 || n_int > 1 || n_long > 2 ||
             ((n_char || n_short) && n_long) || (n_char && n_int);
  if (bad)
    return "unsupported C type '" + std::string(text) + "'";
  out.kind = BaseKind::Integer;
  out.is_signed = n_unsigned == 0;
  if (n_char) {
    out.size = 1;
    if (!n_signed && !n_unsigned)
      out.kind = BaseKind::PlainChar;
  } else if (n_short) {
    out.size = 2;
  } else if (n_long) {
    out.size = 8;
  } else {
    out.size = 4;
  }
  return {};
}

// A struct, union or unknown typedef that sema completes from BTF by name.
Type incomplete_record(const std::string &name, uint32_t size) {
  Type t;
  t.kind = TypeKind::Record;
  t.name = name;
  t.size = size;
  t.align = 1;
  return t;
}

// The type a pointer to `base` points at (pointer levels of `base` not included).
Type pointee_type(const CType &base) {
  switch (base.kind) {
  case BaseKind::Void:
    return make_void();
  case BaseKind::Bool:
    return make_bool();
  case BaseKind::PlainChar:
    return make_int(1, true); // bpftrace: `const char *` is `int8 *`
  case BaseKind::Integer:
    return make_int(base.size, base.is_signed);
  case BaseKind::Enum:
    return make_int(4, false); // C enums are 4 bytes unless values need 8
  case BaseKind::Aggregate:
  case BaseKind::Unknown:
    return incomplete_record(base.name, 0);
  }
  return {};
}

Type wrap_pointers(Type t, uint32_t depth, AddressSpace as) {
  for (uint32_t i = 0; i < depth; ++i)
    t = make_pointer(t, as);
  return t;
}

bool is_integer_size(uint32_t n) {
  return n == 1 || n == 2 || n == 4 || n == 8;
}

// A scalar (not an array) of `size` bytes whose C type is `base`; `column_signed` is the
// file's signed column.
std::string scalar_type(const CType &base, uint32_t size, bool column_signed, AddressSpace as,
                        Type &out) {
  if (base.pointer_depth > 0) {
    if (size != 8)
      return "a pointer of " + std::to_string(size) + " bytes (scry supports 64-bit kernels)";
    out = wrap_pointers(pointee_type(base), base.pointer_depth, as);
    return {};
  }
  switch (base.kind) {
  case BaseKind::Void:
    return "a field of type void";
  case BaseKind::Bool:
    out = size == 1 ? make_bool() : make_int(size, false);
    if (!is_integer_size(size))
      return "a bool of " + std::to_string(size) + " bytes";
    return {};
  case BaseKind::Aggregate:
    out = incomplete_record(base.name, size);
    return {};
  case BaseKind::Unknown:
    // Most unknown typedefs are integers (xfs_ino_t, dev_t-likes); a typedef of another size
    // is a struct (uuid_t, sigset_t of 128 bytes) that sema may find in BTF.
    out =
        is_integer_size(size) ? make_int(size, column_signed) : incomplete_record(base.name, size);
    return {};
  case BaseKind::PlainChar:
  case BaseKind::Integer:
  case BaseKind::Enum:
    if (!is_integer_size(size))
      return "an integer of " + std::to_string(size) + " bytes";
    // Syscall arguments sit in 8-byte slots whatever their C type (`int dfd`), and their signed
    // column is always 0; the C type's sign wins when scry knows it, as in bpftrace, except
    // that bpftrace widens a pid_t slot to u64 (adjust_integer_types() in its
    // src/tracepoint_format_parser.cpp; `int` becomes s64 and the unsigned 32-bit types u64).
    bool is_signed = base.kind == BaseKind::Integer ? base.is_signed : column_signed;
    if (size == 8 && base.size < 8 && base.name == "pid_t")
      is_signed = false;
    // The kernel fills the slot from the whole register, but the callee reads only the C
    // type's bytes: `int dfd` = AT_FDCWD arrives as 0x00000000ffffff9c when the caller set only
    // the low half (glibc does). A signed type narrower than its slot reads the low bytes
    // (x86-64 is little-endian) with its sign, so dfd is -100 whatever the upper half holds.
    // bpftrace widens the slot to s64 and prints 4294967196 then; scry prints what the kernel
    // uses. Unsigned types keep the 8-byte slot: zero-extending gives the same number.
    else if (size == 8 && base.kind == BaseKind::Integer && base.is_signed && base.size < 8 &&
             base.size > 0) {
      out = make_int(base.size, base.is_signed);
      return {};
    }
    out = make_int(size, is_signed);
    if (base.kind == BaseKind::Enum) {
      // `enum skb_drop_reason reason`: the enum by name only; sema completes it from BTF.
      auto incomplete = std::make_shared<EnumInfo>();
      incomplete->name = base.name;
      out.enumeration = std::move(incomplete);
    }
    return {};
  }
  return "unsupported type";
}

// One array dimension: a number, a symbol (TASK_COMM_LEN: the count comes from the size), or
// empty (a flexible array member).
struct Dim {
  std::optional<uint32_t> count;
  bool flexible = false;
};

std::string parse_dims(std::string_view text, std::vector<Dim> &dims) {
  while (!text.empty()) {
    if (text[0] != '[')
      return "unexpected '" + std::string(text) + "' after the field name";
    size_t close = text.find(']');
    if (close == std::string_view::npos)
      return "unterminated '['";
    std::string_view inner = trim(text.substr(1, close - 1));
    Dim d;
    uint32_t n = 0;
    if (inner.empty())
      d.flexible = true;
    else if (parse_u32(inner, n))
      d.count = n;
    else if (!is_identifier(inner))
      return "unsupported array dimension '[" + std::string(inner) + "]'";
    dims.push_back(d);
    text = text.substr(close + 1);
  }
  return {};
}

// An array of `dims` (outermost first) of `base`, `size` bytes in all.
std::string array_type(const CType &base, const std::vector<Dim> &dims, uint32_t size,
                       bool column_signed, AddressSpace as, Type &out) {
  bool flexible = std::any_of(dims.begin(), dims.end(), [](const Dim &d) { return d.flexible; });
  if (flexible && (dims.size() != 1 || size != 0))
    return "a flexible array must be one-dimensional and of size 0";

  // The element's size: known from the C type, else derived from the field's size.
  uint32_t known = 0;
  if (base.pointer_depth > 0)
    known = 8;
  else if (base.kind == BaseKind::Integer || base.kind == BaseKind::PlainChar ||
           base.kind == BaseKind::Bool)
    known = base.size;

  std::vector<uint32_t> counts;
  if (flexible) {
    if (!known)
      return "a flexible array of elements of unknown size";
    counts.push_back(0);
  } else {
    uint64_t product = 1;
    int symbolic = 0;
    for (const Dim &d : dims) {
      if (d.count)
        product *= *d.count;
      else
        ++symbolic;
    }
    if (product == 0)
      return "an array dimension of 0";
    uint32_t elem_size = 0;
    if (symbolic == 0) {
      if (size % product != 0)
        return "size " + std::to_string(size) + " is not a multiple of the element count";
      elem_size = static_cast<uint32_t>(size / product);
    } else if (symbolic == 1 && known) {
      uint64_t per = product * known;
      if (size % per != 0)
        return "size " + std::to_string(size) + " does not fit the array's elements";
      elem_size = known;
    } else {
      return "cannot size an array with symbolic dimensions of unknown elements";
    }
    if (elem_size == 0)
      return "an array of empty elements";
    uint64_t symbolic_count = size / (product * elem_size);
    for (const Dim &d : dims)
      counts.push_back(d.count ? *d.count : static_cast<uint32_t>(symbolic_count));
    known = elem_size;
  }

  // The innermost dimension of a plain char array is a string, as in bpftrace (char comm[16] is
  // string[16]); other arrays keep their elements (u8 saddr[4] is uint8[4]).
  Type t;
  size_t inner = counts.size();
  if (base.kind == BaseKind::PlainChar && base.pointer_depth == 0 && known == 1 &&
      counts.back() > 0) {
    t = make_string(counts.back());
    --inner;
  } else {
    std::string err = scalar_type(base, known, column_signed, as, t);
    if (!err.empty())
      return err;
    if (base.kind == BaseKind::PlainChar && base.pointer_depth == 0)
      t = make_int(1, true); // elements of `char buf[]`
  }
  for (size_t i = inner; i-- > 0;)
    t = make_array(t, counts[i]);
  out = t;
  return {};
}

// Types one "field:" declaration. Fills everything but offset, size and signed.
std::string type_field(std::string_view decl, uint32_t size, bool column_signed, AddressSpace as,
                       TracepointField &f) {
  decl = trim(decl);
  size_t split = decl.find_last_of(" \t");
  if (split == std::string_view::npos)
    return "no field name in '" + std::string(decl) + "'";
  std::string_view type_text = trim(decl.substr(0, split));
  std::string_view name_text = decl.substr(split + 1);
  // `char *name` (no blank after the star) is C, though the kernel always writes a blank.
  while (!name_text.empty() && name_text[0] == '*') {
    name_text.remove_prefix(1);
    type_text = decl.substr(0, decl.size() - name_text.size());
    type_text = trim(type_text);
  }
  size_t bracket = name_text.find('[');
  std::string_view ident = name_text.substr(0, bracket);
  std::string_view dims_text =
      bracket == std::string_view::npos ? std::string_view{} : name_text.substr(bracket);
  if (!is_identifier(ident))
    return "bad field name '" + std::string(name_text) + "'";
  f.name = ident;
  f.c_type = std::string(type_text) + std::string(dims_text);

  // __data_loc T[] / __rel_loc T[]: a u32 locator of dynamic data after the fixed fields.
  for (std::string_view prefix : {std::string_view("__data_loc"), std::string_view("__rel_loc")}) {
    if (type_text.substr(0, prefix.size()) != prefix ||
        (type_text.size() > prefix.size() &&
         !std::isspace(static_cast<unsigned char>(type_text[prefix.size()]))))
      continue;
    f.is_data_loc = true;
    f.is_rel_loc = prefix == "__rel_loc";
    if (!dims_text.empty())
      return "a " + std::string(prefix) + " field with dimensions on its name";
    if (size != 4)
      return "a " + std::string(prefix) + " locator of " + std::to_string(size) +
             " bytes (the kernel writes 4)";
    std::string_view elem = trim(type_text.substr(prefix.size()));
    if (elem.size() >= 2 && elem.substr(elem.size() - 2) == "[]")
      elem = trim(elem.substr(0, elem.size() - 2));
    CType base;
    std::string err = parse_c_type(elem, base);
    if (!err.empty())
      return err;
    // The dynamic data is in the record itself, so kernel memory even for syscalls.
    f.type =
        make_pointer(wrap_pointers(pointee_type(base), base.pointer_depth, AddressSpace::Kernel),
                     AddressSpace::Kernel);
    return {};
  }

  CType base;
  std::string err = parse_c_type(type_text, base);
  if (!err.empty())
    return err;
  if (dims_text.empty())
    return scalar_type(base, size, column_signed, as, f.type);
  std::vector<Dim> dims;
  err = parse_dims(dims_text, dims);
  if (!err.empty())
    return err;
  return array_type(base, dims, size, column_signed, as, f.type);
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Reads a whole file. tracefs files report st_size 0, so read until EOF. Returns 0 or errno.
int read_file(const std::string &path, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno;
  out.clear();
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      return err;
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return 0;
}

bool is_path_component(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos;
}

} // namespace

const TracepointField *TracepointFormat::find(std::string_view field_name) const {
  for (const TracepointField &f : fields)
    if (f.name == field_name)
      return &f;
  return nullptr;
}

TracepointFormat parse_tracepoint_format(std::string_view text, std::string_view category) {
  TracepointFormat fmt;
  fmt.category = category;
  AddressSpace as = category == "syscalls" ? AddressSpace::User : AddressSpace::Kernel;
  bool saw_name = false, saw_id = false;
  auto error = [&](uint32_t line, std::string message) {
    fmt.errors.push_back({line, std::move(message)});
  };

  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view line =
        trim(text.substr(pos, next - pos - (eol == std::string_view::npos ? 0 : 1)));
    ++line_no;

    if (starts_with(line, "print fmt:")) {
      // The rest of the file: the format spans lines when its arguments contain newlines.
      std::string_view rest = text.substr(pos);
      rest.remove_prefix(rest.find(':') + 1);
      rest = rest.substr(std::min(rest.find_first_not_of(" \t"), rest.size()));
      while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r'))
        rest.remove_suffix(1);
      fmt.print_fmt = rest;
      break;
    }
    pos = next;

    if (line.empty() || line == "format:")
      continue;
    if (starts_with(line, "name:")) {
      fmt.name = trim(line.substr(5));
      saw_name = !fmt.name.empty();
      if (!saw_name)
        error(line_no, "empty event name");
      continue;
    }
    if (starts_with(line, "ID:")) {
      saw_id = parse_u32(line.substr(3), fmt.id);
      if (!saw_id)
        error(line_no, "bad ID '" + std::string(trim(line.substr(3))) + "'");
      continue;
    }
    // Kernels before 2.6.32 wrote "field special:" for arrays.
    std::string_view decl;
    if (starts_with(line, "field:"))
      decl = line.substr(6);
    else if (starts_with(line, "field special:"))
      decl = line.substr(14);
    else {
      error(line_no, "unexpected line '" + std::string(line) + "'");
      continue;
    }

    // field:DECL;	offset:N;	size:N;	signed:N;
    size_t semi = decl.find(';');
    if (semi == std::string_view::npos) {
      error(line_no, "no ';' after the field declaration");
      continue;
    }
    std::string_view attrs = decl.substr(semi + 1);
    decl = decl.substr(0, semi);
    std::optional<uint32_t> offset, size, is_signed;
    std::string bad;
    while (!attrs.empty()) {
      size_t end = attrs.find(';');
      std::string_view attr = trim(attrs.substr(0, end));
      attrs = end == std::string_view::npos ? std::string_view{} : attrs.substr(end + 1);
      if (attr.empty())
        continue;
      size_t colon = attr.find(':');
      std::string_view key = trim(attr.substr(0, colon));
      uint32_t value = 0;
      if (colon == std::string_view::npos || !parse_u32(attr.substr(colon + 1), value)) {
        bad = "bad attribute '" + std::string(attr) + "'";
        break;
      }
      if (key == "offset")
        offset = value;
      else if (key == "size")
        size = value;
      else if (key == "signed")
        is_signed = value;
      // Unknown attributes are for newer kernels to add; they do not change the layout.
    }
    if (bad.empty() && (!offset || !size))
      bad = "a field without offset or size";
    if (!bad.empty()) {
      error(line_no, bad);
      continue;
    }

    TracepointField f;
    f.offset = *offset;
    f.size = *size;
    f.is_signed = is_signed.value_or(0) != 0;
    std::string err = type_field(decl, f.size, f.is_signed, as, f);
    if (f.name.empty()) {
      error(line_no, err);
      continue;
    }
    f.is_common = starts_with(f.name, "common_");
    if (!err.empty()) {
      f.type = Type{};
      error(line_no, "field '" + f.name + "': " + err);
    }
    fmt.fields.push_back(std::move(f));
  }

  if (!saw_name)
    error(0, "no 'name:' line");
  if (!saw_id)
    error(0, "no 'ID:' line");
  return fmt;
}

TracepointFormatFile read_tracepoint_format(const std::string &tracefs_root,
                                            std::string_view category, std::string_view event) {
  TracepointFormatFile result;
  std::string display = std::string(category) + ":" + std::string(event);
  if (!is_path_component(category) || !is_path_component(event)) {
    result.error = "invalid tracepoint name: " + display;
    return result;
  }
  std::string path =
      tracefs_root + "/events/" + std::string(category) + "/" + std::string(event) + "/format";
  std::string text;
  int err = read_file(path, text);
  if (err == ENOENT || err == ENOTDIR) {
    result.error = "tracepoint not found: " + display;
    result.not_found = true;
    return result;
  }
  if (err != 0) {
    result.error = "cannot read " + path + ": " + std::strerror(err);
    if (err == EACCES || err == EPERM)
      result.error += " (tracepoint formats are readable by root only)";
    return result;
  }
  result.format = parse_tracepoint_format(text, category);
  return result;
}

TracepointList list_tracepoints(const std::string &tracefs_root) {
  TracepointList list;
  std::string path = tracefs_root + "/available_events";
  std::string text;
  if (int err = read_file(path, text); err != 0) {
    list.error = "cannot read " + path + ": " + std::strerror(err);
    return list;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos)
      eol = text.size();
    std::string_view line = trim(std::string_view(text).substr(pos, eol - pos));
    if (line.find(':') != std::string_view::npos)
      list.names.emplace_back(line);
    pos = eol + 1;
  }
  return list;
}

bool tracepoint_pattern_has_wildcard(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

std::vector<std::string> match_tracepoints(const std::vector<std::string> &names,
                                           std::string_view pattern) {
  std::vector<std::string> matches;
  std::string pat(pattern);
  for (const std::string &name : names)
    if (::fnmatch(pat.c_str(), name.c_str(), 0) == 0)
      matches.push_back(name);
  return matches;
}

std::string suggest_tracepoint(const std::vector<std::string> &names, std::string_view wanted) {
  size_t limit = std::max<size_t>(2, wanted.size() / 4);
  const std::string *best = nullptr;
  size_t best_distance = limit + 1;
  for (const std::string &name : names) {
    // Cheap bound first: the distance is at least the difference in length.
    size_t length_gap =
        name.size() > wanted.size() ? name.size() - wanted.size() : wanted.size() - name.size();
    if (length_gap >= best_distance)
      continue;
    size_t d = edit_distance(name, wanted);
    if (d >= best_distance)
      continue;
    // Names in one category share long prefixes ("syscalls:sys_enter_"), so a distance that is
    // small next to the whole name can still mean the differing parts have nothing in common
    // ("nosuch" and "mount"). Measure it against the part that differs instead: a typo leaves
    // at least half of that part intact.
    size_t shorter = std::min(name.size(), wanted.size());
    size_t prefix = 0;
    while (prefix < shorter && name[prefix] == wanted[prefix])
      ++prefix;
    size_t suffix = 0;
    while (suffix < shorter - prefix &&
           name[name.size() - 1 - suffix] == wanted[wanted.size() - 1 - suffix])
      ++suffix;
    size_t differing = std::max(name.size(), wanted.size()) - prefix - suffix;
    if (d > std::max<size_t>(2, differing / 2))
      continue;
    best_distance = d;
    best = &name;
  }
  return best ? *best : std::string();
}

} // namespace scry
