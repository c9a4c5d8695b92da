#include "codegen/stdlib_bitcode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>

namespace scry {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

llvm::Function *declare(llvm::Module &m, const char *name) {
  auto *i64 = llvm::Type::getInt64Ty(m.getContext());
  auto *ptr = llvm::PointerType::get(m.getContext(), 0);
  return llvm::Function::Create(llvm::FunctionType::get(i64, {ptr, i64}, false),
                                llvm::Function::ExternalLinkage, name, m);
}

TEST(StdlibBitcode, EveryBpfCFileIsEmbedded) {
  EXPECT_THAT(stdlib_bitcode_files(), Contains("strings.bpf.c"));
}

TEST(StdlibBitcode, ADeclaredFunctionIsLinkedAsAnInternalAlwaysInlineDefinition) {
  llvm::LLVMContext ctx;
  llvm::Module m("t", ctx);
  declare(m, "__scry_strnlen");
  std::string error;
  ASSERT_TRUE(link_stdlib_bitcode(m, error)) << error;
  llvm::Function *fn = m.getFunction("__scry_strnlen");
  ASSERT_NE(fn, nullptr);
  EXPECT_FALSE(fn->isDeclaration());
  EXPECT_TRUE(fn->hasInternalLinkage());
  EXPECT_TRUE(fn->hasFnAttribute(llvm::Attribute::AlwaysInline));
}

TEST(StdlibBitcode, AModuleThatDeclaresNoneIsLeftAlone) {
  llvm::LLVMContext ctx;
  llvm::Module m("t", ctx);
  declare(m, "bpf_something_else");
  std::string error;
  ASSERT_TRUE(link_stdlib_bitcode(m, error));
  EXPECT_EQ(m.getFunction("__scry_strnlen"), nullptr);
  EXPECT_TRUE(m.getFunction("bpf_something_else")->isDeclaration());
}

TEST(StdlibBitcode, AFunctionNoFileDefinesIsAnError) {
  llvm::LLVMContext ctx;
  llvm::Module m("t", ctx);
  declare(m, "__scry_no_such_function");
  std::string error;
  EXPECT_FALSE(link_stdlib_bitcode(m, error));
  EXPECT_THAT(error, HasSubstr("__scry_no_such_function"));
}

} // namespace
} // namespace scry
