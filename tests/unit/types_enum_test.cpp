// Tests the enum part of src/base/types.{h,cpp}: EnumInfo lookups, type names, equality.
#include "base/types.h"
#include "sema/type_checker.h"

#include <gtest/gtest.h>

namespace scry {
namespace {

std::shared_ptr<EnumInfo> make_enum(const char *name) {
  auto e = std::make_shared<EnumInfo>();
  e->name = name;
  e->size = 4;
  e->values = {{0, "ZERO"}, {3, "THREE"}, {3, "ALSO_THREE"}};
  return e;
}

TEST(EnumInfo, NameOfTheFirstEnumeratorWithTheValue) {
  auto e = make_enum("e");
  ASSERT_NE(e->name_of(3), nullptr);
  EXPECT_EQ(*e->name_of(3), "THREE");
  EXPECT_EQ(*e->name_of(0), "ZERO");
  EXPECT_EQ(e->name_of(4), nullptr);
  // Only the enum's 4 bytes count: a value widened to 8 bytes still finds its name...
  EXPECT_EQ(*e->name_of(0xffffffff00000003ULL, 8), "THREE");
  // ...and a 1-byte value compares its 1 byte.
  EXPECT_EQ(*e->name_of(0x103, 1), "THREE");
}

TEST(EnumInfo, TypeNameAndEquality) {
  auto a = make_enum("tcp_state"), a2 = make_enum("tcp_state"), b = make_enum("other");
  auto anon1 = make_enum(""), anon2 = make_enum("");
  EXPECT_EQ(type_name(make_enum_int(4, a)), "enum tcp_state");
  EXPECT_EQ(type_name(make_enum_int(8, anon1)), "enum (anonymous)");
  EXPECT_EQ(make_enum_int(4, a), make_enum_int(4, a2)); // the same tag
  EXPECT_FALSE(make_enum_int(4, a) == make_enum_int(4, b));
  EXPECT_FALSE(make_enum_int(4, a) == make_int(4, false)); // an enum is not a plain integer
  EXPECT_EQ(make_enum_int(4, anon1), make_enum_int(4, anon1));
  EXPECT_FALSE(make_enum_int(4, anon1) == make_enum_int(4, anon2)); // two anonymous enums
  EXPECT_TRUE(same_enum(a, a2));
  EXPECT_FALSE(same_enum(a, nullptr));
  // The sign is the enum's.
  auto s = make_enum("s");
  s->is_signed = true;
  EXPECT_TRUE(make_enum_int(4, s).is_signed);
  EXPECT_FALSE(make_enum_int(4, a).is_signed);
}

TEST(EnumInfo, StoredValuesKeepTheirEnumWhileEveryValueIsOfIt) {
  auto a = make_enum("a"), b = make_enum("b");
  const Type stored = storage_type(make_enum_int(4, a));
  EXPECT_EQ(stored.size, 8u);
  EXPECT_TRUE(same_enum(stored.enumeration, a));
  // The same enum: kept; another enum or a plain integer: a plain integer.
  EXPECT_TRUE(same_enum(unify(stored, storage_type(make_enum_int(4, a)))->enumeration, a));
  EXPECT_EQ(unify(stored, storage_type(make_enum_int(4, b)))->enumeration, nullptr);
  EXPECT_EQ(unify(stored, make_int(8, true))->enumeration, nullptr);
  EXPECT_EQ(unify(make_int(8, true), stored)->enumeration, nullptr);
  // The first value of a map or variable decides.
  EXPECT_TRUE(same_enum(unify(Type{}, stored)->enumeration, a));
}

} // namespace
} // namespace scry
