// Imported C (sema/c_imports.h) and kernel headers (sema/c_definitions.h): the parts that need
// neither clang nor the kernel; tests/runtime/import-bpf-c.test, import-bpf-o.test and
// c-kernel-headers.test run them for real.
#include "sema/c_definitions.h"
#include "sema/c_imports.h"

#include <algorithm>
#include <cstdlib>
#include <gtest/gtest.h>

namespace scry {
namespace {

TEST(CImports, SignatureSpellsTheCPrototype) {
  CFunction f;
  f.name = "count_char";
  f.return_c_type = "u64";
  f.params = {BtfParam{"s", make_pointer(make_int(1, true), AddressSpace::Kernel), "const char *s"},
              BtfParam{"c", make_int(1, true), "char c"}};
  EXPECT_EQ(f.c_signature(), "u64 count_char(const char *s, char c)");
  f.return_c_type = "struct task_struct *";
  f.params.clear();
  EXPECT_EQ(f.c_signature(), "struct task_struct *count_char()");
}

TEST(CImports, ObjectWithoutBtfIsNull) {
  EXPECT_EQ(object_btf("not an ELF object"), nullptr);
  EXPECT_EQ(object_btf(""), nullptr);
}

TEST(KernelHeaders, EnvironmentNamesSourceAndBuild) {
  setenv("BPFTRACE_KERNEL_SOURCE", "/k/src", 1);
  unsetenv("BPFTRACE_KERNEL_BUILD");
  KernelHeaders h = find_kernel_headers();
  EXPECT_EQ(h.source, "/k/src");
  EXPECT_EQ(h.build, "/k/src"); // the source tree stands in for the build tree
  setenv("BPFTRACE_KERNEL_BUILD", "/k/obj", 1);
  h = find_kernel_headers();
  EXPECT_EQ(h.build, "/k/obj");
  unsetenv("BPFTRACE_KERNEL_SOURCE");
  unsetenv("BPFTRACE_KERNEL_BUILD");
}

TEST(KernelHeaders, FlagsAreTheKernelBuildsForX86) {
  const std::vector<std::string> flags = kernel_header_flags({"/k/src", "/k/obj"});
  auto has = [&](const std::string &f) {
    return std::find(flags.begin(), flags.end(), f) != flags.end();
  };
  EXPECT_TRUE(has("-nostdinc"));
  EXPECT_TRUE(has("-I/k/src/arch/x86/include"));
  EXPECT_TRUE(has("-I/k/obj/arch/x86/include/generated"));
  EXPECT_TRUE(has("-I/k/src/include/uapi"));
  EXPECT_TRUE(has("-I/k/obj/include/generated/uapi"));
  EXPECT_TRUE(has("/k/src/include/linux/kconfig.h"));
  EXPECT_TRUE(has("-D__KERNEL__"));
  // The source tree's include/ comes before the build tree's, as in the kernel's Makefile.
  auto at = [&](const std::string &f) { return std::find(flags.begin(), flags.end(), f); };
  EXPECT_LT(at("-I/k/src/include"), at("-I/k/obj/include"));
}

} // namespace
} // namespace scry
