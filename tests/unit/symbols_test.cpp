// symbols/: ELF images (tests/targets' PIE and non-PIE builds, whose functions are known), the
// lookup of binaries and libraries by name, and C++ demangling. Runs from the build directory,
// where tests/targets/ holds the target programs.
#include "base/builtins.h"
#include "symbols/binary_path.h"
#include "symbols/dwarf_params.h"
#include "symbols/elf_image.h"
#include "symbols/usdt_notes.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <unistd.h>

namespace scry {
namespace {

TEST(ElfImage, PieFunctionsAndFileOffsets) {
  std::string error;
  auto image = read_elf_image("tests/targets/scry_target_pie", error);
  ASSERT_TRUE(image) << error;
  EXPECT_TRUE(image->position_independent);
  const ElfFunction *add = image->find("scry_add");
  ASSERT_NE(add, nullptr);
  EXPECT_GT(add->size, 0u);
  // A PIE's text starts in its first executable segment, whose file offset equals its address
  // on x86_64 with GNU ld's layout: the offset is the address.
  auto offset = image->file_offset(add->address);
  ASSERT_TRUE(offset);
  EXPECT_EQ(*offset, add->address);
  EXPECT_EQ(image->find("scry_add_missing"), nullptr);
  EXPECT_FALSE(image->file_offset(0)); // no executable segment at 0
}

TEST(ElfImage, NonPieAddressesAreNotFileOffsets) {
  std::string error;
  auto image = read_elf_image("tests/targets/scry_target_nopie", error);
  ASSERT_TRUE(image) << error;
  EXPECT_FALSE(image->position_independent);
  const ElfFunction *add = image->find("scry_add");
  ASSERT_NE(add, nullptr);
  auto offset = image->file_offset(add->address);
  ASSERT_TRUE(offset);
  // Linked at 0x400000: the file offset is the address minus the segment's base.
  EXPECT_LT(*offset, add->address);
  EXPECT_GE(add->address - *offset, 0x400000u);
}

TEST(ElfImage, FunctionsAreSortedAndUnique) {
  std::string error;
  auto image = read_elf_image("tests/targets/scry_target_pie", error);
  ASSERT_TRUE(image) << error;
  for (size_t i = 1; i < image->functions.size(); ++i)
    EXPECT_LT(image->functions[i - 1].name, image->functions[i].name);
}

TEST(ElfImage, ErrorsNameTheFile) {
  std::string error;
  EXPECT_FALSE(read_elf_image("/no/such/file", error));
  EXPECT_NE(error.find("/no/such/file"), std::string::npos);
  EXPECT_FALSE(read_elf_image("/etc/hostname", error));
  EXPECT_NE(error.find("not an ELF"), std::string::npos);
}

TEST(Demangle, CppNamesAndOthers) {
  EXPECT_EQ(demangle("_ZN7scry_ns7Counter4bumpEi"), "scry_ns::Counter::bump(int)");
  EXPECT_EQ(demangle("scry_add"), "");
  EXPECT_EQ(demangle("_Znot_valid"), "");
}

TEST(ResolveBinary, LibraryNamesAsTheLoaderFindsThem) {
  std::string error;
  std::string libc = resolve_binary("libc", 0, error);
  ASSERT_FALSE(libc.empty()) << error;
  EXPECT_NE(libc.find("libc.so.6"), std::string::npos);
  EXPECT_EQ(resolve_binary("c", 0, error), libc);
  EXPECT_EQ(resolve_binary("libc.so.6", 0, error), libc);
  EXPECT_EQ(resolve_binary("libnosuchlibrary", 0, error), "");
  EXPECT_NE(error.find("libnosuchlibrary"), std::string::npos);
}

TEST(ResolveBinary, ProgramsOnPathAndPaths) {
  std::string error;
  std::string sh = resolve_binary("sh", 0, error);
  ASSERT_FALSE(sh.empty()) << error;
  EXPECT_EQ(sh.substr(sh.size() - 3), "/sh");
  EXPECT_EQ(resolve_binary("tests/targets/scry_target_pie", 0, error),
            "tests/targets/scry_target_pie");
  EXPECT_EQ(resolve_binary("./no/such/program", 0, error), "");
}

TEST(ResolveBinary, ProcessMappingsWithPid) {
  // This process maps libc: "libc" with our pid is the file we map.
  std::string error;
  std::string mapped = resolve_binary("libc", getpid(), error);
  ASSERT_FALSE(mapped.empty()) << error;
  EXPECT_NE(mapped.find("libc.so.6"), std::string::npos);
  auto everything = expand_binary_wildcard("*", getpid());
  EXPECT_FALSE(everything.empty());
}

TEST(LdSoCache, HasLibc) {
  bool found = false;
  for (const auto &[name, path] : ld_so_cache())
    found = found || name == "libc.so.6";
  EXPECT_TRUE(found);
}

TEST(UsdtNotes, ProvidersNamesAndSemaphores) {
  std::string error;
  auto probes = read_usdt_probes("tests/targets/scry_target_usdt", error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[0].provider, "scry");
  EXPECT_EQ(probes[0].name, "guarded");
  EXPECT_TRUE(probes[0].has_semaphore);
  EXPECT_EQ(probes[1].name, "tick");
  EXPECT_FALSE(probes[1].has_semaphore);
  EXPECT_TRUE(read_usdt_probes("tests/targets/scry_target_pie", error).empty());
  EXPECT_TRUE(error.empty());
  read_usdt_probes("/no/such/file", error);
  EXPECT_NE(error.find("/no/such/file"), std::string::npos);
}

TEST(UsdtNotes, SharedLibrary) {
  // A library's notes hold link-time addresses relative to its load address; the semaphore's is
  // in its own data, which each process maps a copy of.
  std::string error;
  auto probes = read_usdt_probes("tests/targets/libscryusdt.so", error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[0].provider, "scrylib");
  EXPECT_EQ(probes[0].name, "guarded");
  EXPECT_TRUE(probes[0].has_semaphore);
  EXPECT_EQ(probes[1].provider, "scrylib");
  EXPECT_EQ(probes[1].name, "tick");
  EXPECT_FALSE(probes[1].has_semaphore);
  // The executables that link it or dlopen() it declare none of their own.
  EXPECT_TRUE(read_usdt_probes("tests/targets/scry_target_usdt_lib", error).empty());
  EXPECT_TRUE(read_usdt_probes("tests/targets/scry_target_dlopen", error).empty());
  EXPECT_TRUE(error.empty());
}

TEST(DwarfParams, NamesSizesSignsAndPointers) {
  std::string error;
  auto add = read_dwarf_params("tests/targets/scry_target_pie", "scry_add", error);
  ASSERT_TRUE(add) << error;
  ASSERT_EQ(add->size(), 2u);
  EXPECT_EQ((*add)[0].name, "a");
  EXPECT_EQ((*add)[0].size, 4u);
  EXPECT_TRUE((*add)[0].is_signed);
  EXPECT_TRUE((*add)[0].supported);
  auto greet = read_dwarf_params("tests/targets/scry_target_pie", "scry_greet", error);
  ASSERT_TRUE(greet) << error;
  ASSERT_EQ(greet->size(), 1u);
  EXPECT_TRUE((*greet)[0].is_pointer);
  EXPECT_EQ((*greet)[0].type_name, "const char *");
  auto none = read_dwarf_params("tests/targets/scry_target_pie", "scry_ret7", error);
  ASSERT_TRUE(none) << error;
  EXPECT_TRUE(none->empty());
  // A C++ method by its mangled name: `this` comes first.
  auto bump =
      read_dwarf_params("tests/targets/scry_target_cpp", "_ZN7scry_ns7Counter4bumpEi", error);
  ASSERT_TRUE(bump) << error;
  ASSERT_EQ(bump->size(), 2u);
  EXPECT_EQ((*bump)[1].name, "by");
  EXPECT_FALSE(read_dwarf_params("tests/targets/scry_target_pie", "no_such_function", error));
  EXPECT_NE(error.find("no_such_function"), std::string::npos);
}

TEST(BuiltinArgIndex, ArgNamesOnly) {
  EXPECT_EQ(builtin_arg_index("arg0"), 0);
  EXPECT_EQ(builtin_arg_index("arg7"), 7);
  EXPECT_EQ(builtin_arg_index("arg12"), 12);
  EXPECT_EQ(builtin_arg_index("arg"), -1);
  EXPECT_EQ(builtin_arg_index("arg01"), -1);
  EXPECT_EQ(builtin_arg_index("args"), -1);
  EXPECT_EQ(builtin_arg_index("argN"), -1);
  ASSERT_NE(find_builtin_variable("arg3"), nullptr);
  EXPECT_EQ(find_builtin_variable("arg3")->id, BuiltinVariable::Arg);
  EXPECT_EQ(find_builtin_variable("argN"), nullptr);
}

} // namespace
} // namespace scry

namespace scry {
namespace {

TEST(ProgramLibraries, FollowsRunpathAndTheLoaderCache) {
  // scry_target_pie needs libscrytarget.so (found through its RUNPATH) and libc.so.6 (through
  // ld.so.cache); the order is the loader's, breadth first.
  std::vector<std::string> libs = program_libraries("tests/targets/scry_target_pie");
  auto named = [&](const std::string &name) {
    return std::find_if(libs.begin(), libs.end(), [&](const std::string &p) {
      return p.size() >= name.size() && p.compare(p.size() - name.size(), name.size(), name) == 0;
    });
  };
  ASSERT_NE(named("/libscrytarget.so"), libs.end());
  ASSERT_NE(named("/libc.so.6"), libs.end());
  EXPECT_LT(named("/libscrytarget.so"), named("/libc.so.6"));
  EXPECT_TRUE(program_libraries("/nonexistent/scry").empty());
  // With the program standing in for a process that has not run, a library name resolves.
  std::string error;
  EXPECT_EQ(resolve_binary("libscrytarget", 0, error, "tests/targets/scry_target_pie"),
            *named("/libscrytarget.so"));
}

} // namespace
} // namespace scry
