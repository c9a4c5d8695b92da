// Tests src/runtime/printf_format.cpp: which formats and argument types check_printf() accepts
// (bpftrace master's rules), and what format_printf() writes for a record.
#include "base/printf_format.h"
#include "runtime/output.h"

#include <cstring>
#include <gtest/gtest.h>

namespace scry {
namespace {

using Bytes = std::vector<uint8_t>;

/// One printf argument: its type and its bytes.
struct Arg {
  Type type;
  Bytes bytes;
};

Arg int_arg(int64_t v, uint32_t size = 8, bool is_signed = true) {
  Bytes b(size);
  std::memcpy(b.data(), &v, size); // little-endian: the low bytes
  return {make_int(size, is_signed), b};
}
Arg str_arg(const std::string &s, uint32_t size = 16) {
  Bytes b(size, 0);
  std::memcpy(b.data(), s.data(), std::min<size_t>(s.size(), size));
  return {make_string(size), b};
}
Arg buf_arg(const std::string &data, uint32_t capacity = 8) {
  Bytes b(4 + capacity, 0);
  const auto len = static_cast<uint32_t>(data.size());
  std::memcpy(b.data(), &len, 4);
  std::memcpy(b.data() + 4, data.data(), data.size());
  return {make_buffer(capacity), b};
}
Arg bool_arg(bool v) {
  return {make_bool(), Bytes{static_cast<uint8_t>(v)}};
}
Arg ptr_arg(uint64_t v) {
  Bytes b(8);
  std::memcpy(b.data(), &v, 8);
  return {make_pointer(make_int(1, true), AddressSpace::Kernel), b};
}

/// Checks `format` against the arguments' types, then formats a record built from them.
std::string run(const std::string &format, const std::vector<Arg> &args) {
  std::vector<Type> types;
  for (const Arg &a : args)
    types.push_back(a.type);
  int bad_arg = 0;
  const std::string error = check_printf(format, types, bad_arg);
  EXPECT_EQ(error, "") << format;
  PrintfInfo info;
  info.format = format;
  info.args = make_tuple_type(types);
  Bytes payload(info.args.size, 0);
  for (size_t i = 0; i < args.size(); ++i)
    std::memcpy(payload.data() + (*info.args.fields)[i].offset, args[i].bytes.data(),
                args[i].bytes.size());
  return format_printf(info, payload.data());
}

std::string check(const std::string &format, const std::vector<Type> &types, int &bad_arg) {
  bad_arg = 99;
  return check_printf(format, types, bad_arg);
}

// --- check_printf -------------------------------------------------------------------------------

TEST(CheckPrintf, AcceptsMatchingArguments) {
  int bad = 0;
  EXPECT_EQ(check("%d %s %u %x %X %o %i %c %p\n",
                  {make_int(8, true), make_string(16), make_int(4, false), make_int(8, true),
                   make_int(2, true), make_int(8, false), make_bool(), make_int(1, true),
                   make_pointer(make_void(), AddressSpace::User)},
                  bad),
            "");
  EXPECT_EQ(bad, -1);
  EXPECT_EQ(check("%r %rx %rh", {make_buffer(8), make_buffer(8), make_buffer(8)}, bad), "");
  EXPECT_EQ(
      check("%lld %hhx %zu %ld %ju %td %lu %hd", std::vector<Type>(8, make_int(8, true)), bad), "");
  EXPECT_EQ(check("%-08.3d|%+5d|% d|%#x", std::vector<Type>(4, make_int(8, true)), bad), "");
  EXPECT_EQ(check("100%% done, %y stays literal, so does a trailing %", {}, bad), "");
}

TEST(CheckPrintf, PercentSTakesAnyValue) {
  int bad = 0;
  const Type tuple = make_tuple_type({make_int(8, true), make_string(4)});
  EXPECT_EQ(check("%s %s %s %s", {make_int(8, true), tuple, make_bool(), make_buffer(4)}, bad), "");
  EXPECT_EQ(check("%s", {make_void()}, bad), "unsupported format specifier for type 'void': s");
  EXPECT_EQ(bad, 0);
}

TEST(CheckPrintf, ArgumentCountMismatch) {
  int bad = 0;
  EXPECT_EQ(check("%d %d\n", {make_int(8, true)}, bad),
            "not enough arguments for format string (1 supplied, 2 expected)");
  EXPECT_EQ(bad, -1);
  EXPECT_EQ(check("%d\n", {make_int(8, true), make_int(8, true), make_int(8, true)}, bad),
            "too many arguments for format string (3 supplied, 1 expected)");
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(check("hello %%\n", {make_int(8, true)}, bad),
            "too many arguments for format string (1 supplied, 0 expected)");
  EXPECT_EQ(bad, 0);
}

TEST(CheckPrintf, WrongTypesNameTheArgument) {
  int bad = 0;
  EXPECT_EQ(check("%s %d", {make_string(16), make_string(16)}, bad),
            "unsupported format specifier for type 'string[16]': d");
  EXPECT_EQ(bad, 1);
  EXPECT_EQ(check("%r", {make_int(8, true)}, bad),
            "unsupported format specifier for type 'int64': r");
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(check("%x", {make_stack(false)}, bad),
            "unsupported format specifier for type 'kstack': x");
  EXPECT_EQ(bad, 0);
}

TEST(CheckPrintf, UnsupportedConversionsAndStar) {
  int bad = 0;
  EXPECT_EQ(check("%f", {make_int(8, true)}, bad), "unsupported format specifier: f");
  EXPECT_EQ(bad, -1);
  EXPECT_EQ(check("%n", {make_int(8, true)}, bad), "unsupported format specifier: n");
  EXPECT_EQ(check("%*d", {make_int(8, true), make_int(8, true)}, bad),
            "'*' width and precision are not supported");
  EXPECT_EQ(bad, -1);
  EXPECT_EQ(check("%.*s", {make_int(8, true), make_string(8)}, bad),
            "'*' width and precision are not supported");
  EXPECT_EQ(check("%100000d", {make_int(8, true)}, bad),
            "format width and precision are limited to 65535");
}

// --- format_printf ------------------------------------------------------------------------------

TEST(FormatPrintf, WidthsAndConversionsAsBpftrace017Prints) {
  // The same line, arguments and output as bpftrace 0.17 gives (except %%, which 0.17 left
  // doubled in the text after the last conversion).
  EXPECT_EQ(run("[%5d] [%-5d|] [%x] [%X] [%c] [%p] [%s] [%10s|] [%-10s|] [%.2s] [%hhd] [%%]\n",
                {int_arg(42), int_arg(42), int_arg(255), int_arg(255), int_arg(65), ptr_arg(4096),
                 str_arg("str"), str_arg("str"), str_arg("str"), str_arg("str"), int_arg(300)}),
            "[   42] [42   |] [ff] [FF] [A] [0x1000] [str] [       str|] [str       |] [st] [44] "
            "[%]\n");
}

TEST(FormatPrintf, Flags) {
  EXPECT_EQ(run("[%05d] [%+d] [% d] [%#x] [%#o] [%o] [%-+6d|] [%08.3d]",
                {int_arg(42), int_arg(5), int_arg(5), int_arg(255), int_arg(8), int_arg(8),
                 int_arg(7), int_arg(7)}),
            "[00042] [+5] [ 5] [0xff] [010] [10] [+7    |] [     007]");
}

TEST(FormatPrintf, IntegersWidenByTheirTypeThenFollowTheConversion) {
  EXPECT_EQ(run("%d %u", {int_arg(-1), int_arg(-1)}), "-1 18446744073709551615");
  EXPECT_EQ(run("%d %x", {int_arg(-1, 4), int_arg(-1, 4)}), "-1 ffffffffffffffff");
  EXPECT_EQ(run("%d %x", {int_arg(0xffffffff, 4, false), int_arg(0xffffffff, 4, false)}),
            "4294967295 ffffffff");
  EXPECT_EQ(run("%d", {int_arg(static_cast<int64_t>(0x8000000000000000), 8, false)}),
            "-9223372036854775808");
  EXPECT_EQ(run("%hx %hhx %hhd %hd %lx %llu", {int_arg(0x12345), int_arg(0x1ff), int_arg(255),
                                               int_arg(70000), int_arg(0x12345), int_arg(7)}),
            "2345 ff -1 4464 12345 7");
  EXPECT_EQ(run("%d %s %d", {bool_arg(true), bool_arg(false), ptr_arg(16)}), "1 false 16");
}

TEST(FormatPrintf, CharactersAndPointers) {
  EXPECT_EQ(run("[%3c] [%-3c]", {int_arg('A'), int_arg('B')}), "[  A] [B  ]");
  EXPECT_EQ(run("[%10p] [%-10p] [%p]", {ptr_arg(4096), ptr_arg(4096), ptr_arg(0)}),
            "[    0x1000] [0x1000    ] [0]");  // NULL as bpftrace's ostream writes it
  EXPECT_EQ(run("%c", {int_arg(0x141)}), "A"); // %c prints the low byte, as C does
}

TEST(FormatPrintf, StringsNeverReadPastTheirSize) {
  // Four bytes, no NUL: the string was cut, and bpftrace marks it with "..".
  EXPECT_EQ(run("<%s>", {str_arg("abcd", 4)}), "<abcd..>");
  EXPECT_EQ(run("<%s>", {str_arg("abc", 4)}), "<abc>");
  EXPECT_EQ(run("<%s>", {str_arg("", 4)}), "<>");
  EXPECT_EQ(run("<%.1s|%-4s|%4s>", {str_arg("abc", 4), str_arg("ab", 4), str_arg("ab", 4)}),
            "<a|ab  |  ab>");
}

TEST(FormatPrintf, PercentSOfOtherValues) {
  const Arg tuple{make_tuple_type({make_int(8, true), make_string(4)}), {}};
  Arg t = tuple;
  t.bytes.assign(t.type.size, 0);
  int64_t one = 1;
  std::memcpy(t.bytes.data(), &one, 8);
  t.bytes[8] = 'a';
  EXPECT_EQ(run("%s|%s|%s|%5s|", {int_arg(-42), t, bool_arg(true), int_arg(7)}),
            "-42|(1, a)|true|    7|");
}

TEST(FormatPrintf, Buffers) {
  const std::string data = std::string("ab\x01", 3) + "c";
  EXPECT_EQ(run("[%r] [%rx] [%rh]", {buf_arg(data), buf_arg(data), buf_arg(data)}),
            "[ab\\x01c] [\\x61\\x62\\x01\\x63] [61 62 01 63]");
  // The length field never makes it read past the buffer.
  Arg bad = buf_arg("abcdefgh", 8);
  const uint32_t huge = 1000;
  std::memcpy(bad.bytes.data(), &huge, 4);
  EXPECT_EQ(run("[%r]", {bad}), "[abcdefgh]");
  EXPECT_EQ(run("[%-6r] [%.2r]", {buf_arg("ab"), buf_arg("abc")}), "[ab    ] [ab]");
}

TEST(FormatPrintf, LiteralTextAroundConversions) {
  EXPECT_EQ(run("", {}), "");
  EXPECT_EQ(run("no conversions\n", {}), "no conversions\n");
  EXPECT_EQ(run("100%% a%yb %", {}), "100% a%yb %");
  EXPECT_EQ(run("%d%d%s", {int_arg(1), int_arg(2), str_arg("x")}), "12x");
}

TEST(FormatPrintf, LongOutputIsNotTruncated) {
  const std::string long_text(200, 'z');
  EXPECT_EQ(run("%300s", {str_arg(long_text, 256)}), std::string(100, ' ') + long_text);
  EXPECT_EQ(run("%0200d", {int_arg(5)}), std::string(199, '0') + "5");
}

} // namespace
} // namespace scry
