// symbols/instructions.h: whether an offset into a function starts an instruction, on the
// functions of tests/targets' scry_target_pie (built with -O1 by the system C compiler, see
// tests/targets/CMakeLists.txt) and on hand-written x86-64 bytes. Runs from the build directory.
#include "symbols/elf_image.h"
#include "symbols/instructions.h"

#include <cctype>
#include <cstdio>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <unistd.h>

namespace scry {
namespace {

const char *const kTarget = "tests/targets/scry_target_pie";

TEST(Instructions, ScryAddBoundaries) {
  std::string error;
  auto image = read_elf_image(kTarget, error);
  ASSERT_TRUE(image) << error;
  const ElfFunction *add = image->find("scry_add");
  ASSERT_NE(add, nullptr);
  // GCC at -O1 compiles scry_add to `lea (%rdi,%rsi,1),%eax` (8d 04 37) and `ret` (c3), as
  // `objdump -d --disassemble=scry_add` shows: instructions start at 0 and 3. (CheckAgainstObjdump
  // below holds whatever the compiler makes of it.)
  ASSERT_EQ(add->size, 4u);
  auto at = check_instruction_boundary(*image, *add, 0, error);
  ASSERT_TRUE(at) << error;
  EXPECT_TRUE(at->at_start);
  EXPECT_EQ(at->before, 0u);
  EXPECT_EQ(at->after, 3u);

  at = check_instruction_boundary(*image, *add, 1, error);
  ASSERT_TRUE(at) << error;
  EXPECT_FALSE(at->at_start);
  EXPECT_EQ(at->before, 0u);
  EXPECT_EQ(at->after, 3u);

  at = check_instruction_boundary(*image, *add, 3, error);
  ASSERT_TRUE(at) << error;
  EXPECT_TRUE(at->at_start);
  EXPECT_EQ(at->before, 3u);
  EXPECT_EQ(at->after, 4u); // the function's end

  // Past the end: not an answer (the uprobe provider reports it before asking).
  error.clear();
  EXPECT_FALSE(check_instruction_boundary(*image, *add, add->size, error));
  EXPECT_NE(error.find("not inside"), std::string::npos) << error;
}

TEST(Instructions, ReadFunctionCode) {
  std::string error;
  auto image = read_elf_image(kTarget, error);
  ASSERT_TRUE(image) << error;
  const ElfFunction *add = image->find("scry_add");
  ASSERT_NE(add, nullptr);
  auto code = read_function_code(*image, *add, error);
  ASSERT_TRUE(code) << error;
  EXPECT_EQ(code->size(), add->size);
  EXPECT_EQ(code->back(), 0xc3); // ret

  ElfFunction no_size = *add;
  no_size.size = 0;
  EXPECT_FALSE(read_function_code(*image, no_size, error));
  EXPECT_NE(error.find("no size"), std::string::npos) << error;
  EXPECT_FALSE(check_instruction_boundary(*image, no_size, 1, error));
  EXPECT_NE(error.find("no size"), std::string::npos) << error;

  ElfFunction nowhere{"nowhere", 0x10, 4};
  EXPECT_FALSE(read_function_code(*image, nowhere, error));
  EXPECT_NE(error.find("not in an executable segment"), std::string::npos) << error;
}

TEST(Instructions, DecodeBytes) {
  std::string error;
  // push %rbp; mov %rsp,%rbp; mov %edi,%eax; pop %rbp; ret
  const std::vector<uint8_t> code = {0x55, 0x48, 0x89, 0xe5, 0x89, 0xf8, 0x5d, 0xc3};
  const std::set<uint64_t> starts = {0, 1, 4, 6, 7};
  for (uint64_t offset = 0; offset < code.size(); ++offset) {
    auto at = decode_instruction_boundary(code, offset, error);
    ASSERT_TRUE(at) << offset << ": " << error;
    EXPECT_EQ(at->at_start, starts.count(offset) == 1) << offset;
    EXPECT_LE(at->before, offset);
    EXPECT_GT(at->after, offset);
    EXPECT_TRUE(starts.count(at->before)) << offset;
  }
  auto at = decode_instruction_boundary(code, 2, error);
  ASSERT_TRUE(at) << error;
  EXPECT_EQ(at->before, 1u);
  EXPECT_EQ(at->after, 4u);

  EXPECT_FALSE(decode_instruction_boundary(code, code.size(), error));

  // A lea cut short: the bytes before the offset do not make an instruction.
  const std::vector<uint8_t> cut = {0x8d, 0x04};
  EXPECT_FALSE(decode_instruction_boundary(cut, 1, error));
  EXPECT_NE(error.find("offset 0 do not decode"), std::string::npos) << error;
}

TEST(Instructions, OtherArchitecturesAreNotDecoded) {
  // An ELF header for AArch64 (e_machine 183), enough for the check to refuse the file.
  char path[] = "/tmp/scry-instructions-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  uint8_t header[64] = {0x7f, 'E', 'L', 'F', 2 /* ELFCLASS64 */, 1 /* LSB */, 1};
  header[16] = 2;   // ET_EXEC
  header[18] = 183; // EM_AARCH64
  ASSERT_EQ(write(fd, header, sizeof header), static_cast<ssize_t>(sizeof header));
  close(fd);
  ElfImage image;
  image.path = path;
  image.segments.push_back({0, 0, 64, true});
  std::string error;
  EXPECT_FALSE(check_instruction_boundary(image, {"f", 0x10, 8}, 4, error));
  EXPECT_NE(error.find("AArch64"), std::string::npos) << error;
  EXPECT_NE(error.find("only x86-64"), std::string::npos) << error;
  unlink(path);
}

// The disassembler is loaded from a shared LLVM library at the first check; without one, the
// check fails with a sentence that names the library and the package, not with a crash. A name
// that no library has stands for a system without libllvm16.
TEST(Instructions, DisassemblerLibraryMissing) {
  std::string error;
  EXPECT_EQ(
      load_x86_64_disassembler({"libscry-no-such-llvm.so.1", "libscry-no-such-llvm.so"}, error),
      nullptr);
  EXPECT_NE(error.find("cannot be loaded (libscry-no-such-llvm.so.1:"), std::string::npos) << error;
  EXPECT_NE(error.find("install LLVM 16's shared library libLLVM-16.so.1"), std::string::npos)
      << error;
  EXPECT_NE(error.find("libllvm16"), std::string::npos) << error;
}

TEST(Instructions, DisassemblerLibraryWithoutLlvm) {
  std::string error;
  EXPECT_EQ(load_x86_64_disassembler({"libscry-no-such-llvm.so.1", "libc.so.6"}, error), nullptr);
  EXPECT_NE(error.find("libc.so.6 has no LLVMCreateDisasm"), std::string::npos) << error;
  EXPECT_NE(error.find("libllvm16"), std::string::npos) << error;
}

/// Every function of the target that objdump disassembles: its instruction starts, by name.
std::map<std::string, std::set<uint64_t>> objdump_starts(const std::string &path) {
  std::map<std::string, std::set<uint64_t>> out;
  FILE *p = popen(("objdump -d --no-show-raw-insn -w " + path + " 2>/dev/null").c_str(), "r");
  if (!p)
    return out;
  // Lines "0000000000001139 <scry_add>:" start a function, "    1139:\tlea ..." are its
  // instructions. Parsed by hand: GCC 12 warns inside <regex> under the sanitizers' -O flags.
  std::set<uint64_t> *current = nullptr;
  uint64_t base = 0;
  char line[4096];
  while (fgets(line, sizeof line, p)) {
    std::string s(line);
    if (!s.empty() && s.back() == '\n')
      s.pop_back();
    size_t open = s.find(" <"), close = s.rfind(">:");
    if (!s.empty() && std::isxdigit(static_cast<unsigned char>(s[0])) &&
        open != std::string::npos && close != std::string::npos && close + 2 == s.size() &&
        close > open) {
      base = std::stoull(s.substr(0, open), nullptr, 16);
      current = &out[s.substr(open + 2, close - open - 2)];
      continue;
    }
    size_t first = s.find_first_not_of(' ');
    size_t colon = s.find(":\t");
    if (current && first != std::string::npos && first > 0 && colon != std::string::npos &&
        colon > first && s.find_first_not_of("0123456789abcdef", first) == colon)
      current->insert(std::stoull(s.substr(first, colon - first), nullptr, 16) - base);
  }
  pclose(p);
  return out;
}

// An independent decoder on every byte of every function: binutils' objdump agrees with LLVM
// on where each instruction starts, whatever the compiler made of the target.
TEST(Instructions, CheckAgainstObjdump) {
  auto starts = objdump_starts(kTarget);
  if (starts.empty())
    GTEST_SKIP() << "objdump (binutils) is not installed";
  std::string error;
  auto image = read_elf_image(kTarget, error);
  ASSERT_TRUE(image) << error;
  int checked = 0;
  for (const ElfFunction &f : image->functions) {
    auto it = starts.find(f.name);
    if (f.size == 0 || it == starts.end())
      continue;
    for (uint64_t offset = 0; offset < f.size; ++offset) {
      auto at = check_instruction_boundary(*image, f, offset, error);
      ASSERT_TRUE(at) << f.name << "+" << offset << ": " << error;
      EXPECT_EQ(at->at_start, it->second.count(offset) == 1) << f.name << "+" << offset;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5); // scry_add, scry_square, scry_ret7, scry_greet, main at least
}

} // namespace
} // namespace scry
