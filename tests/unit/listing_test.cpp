// Tests src/sema/listing's pure parts: how a -l search splits into a probe type and the rest
// (bpftrace's rules in its main.cpp and probe_matcher.cpp), the wildcard matcher, and which
// searches name kernel types. What the listings print is tested by tests/runtime/list-*.test.
#include "sema/listing.h"

#include <gtest/gtest.h>

namespace scry {
namespace {

TEST(ListSearch, EmptyListsEverything) {
  ListSearch s = parse_list_search("");
  EXPECT_EQ(s.type, "*");
  EXPECT_EQ(s.rest, "*");
}

TEST(ListSearch, WithoutColonSearchesEveryType) {
  ListSearch s = parse_list_search("*sleep*");
  EXPECT_EQ(s.type, "*");
  EXPECT_EQ(s.rest, "*sleep*");
}

TEST(ListSearch, TypeIsBeforeTheFirstColon) {
  ListSearch s = parse_list_search("tracepoint:syscalls:sys_enter_*");
  EXPECT_EQ(s.type, "tracepoint");
  EXPECT_EQ(s.rest, "syscalls:sys_enter_*");
  s = parse_list_search("uprobe:/bin/bash:*");
  EXPECT_EQ(s.type, "uprobe");
  EXPECT_EQ(s.rest, "/bin/bash:*");
  s = parse_list_search("k:");
  EXPECT_EQ(s.type, "k");
  EXPECT_EQ(s.rest, "");
}

TEST(ListWildcard, StarCrossesColonsAndSlashes) {
  EXPECT_TRUE(list_wildcard_match("*", "syscalls:sys_enter_read"));
  EXPECT_TRUE(list_wildcard_match("*:sys_enter_*", "syscalls:sys_enter_read"));
  EXPECT_TRUE(list_wildcard_match("/usr/*:scry:*", "/usr/lib/x.so:scry:tick"));
  EXPECT_FALSE(list_wildcard_match("sys_enter_*", "syscalls:sys_enter_read"));
  EXPECT_TRUE(list_wildcard_match("vfs_rea?", "vfs_read"));
  EXPECT_TRUE(list_wildcard_match("tcp_[rs]*", "tcp_sendmsg"));
  EXPECT_FALSE(list_wildcard_match("tcp_[rs]*", "tcp_close"));
}

TEST(ListWildcard, WithoutWildcardsOnlyItself) {
  EXPECT_TRUE(list_wildcard_match("vfs_read", "vfs_read"));
  EXPECT_FALSE(list_wildcard_match("vfs_read", "vfs_readv"));
  EXPECT_FALSE(list_wildcard_match("", "x"));
}

TEST(ListTypeSearch, StructUnionEnum) {
  EXPECT_TRUE(is_list_type_search("struct task_struct"));
  EXPECT_TRUE(is_list_type_search("union bpf_attr"));
  EXPECT_TRUE(is_list_type_search("enum cpu_usage_stat"));
  EXPECT_TRUE(is_list_type_search("struct task_*"));
  EXPECT_FALSE(is_list_type_search("structure"));
  EXPECT_FALSE(is_list_type_search("kprobe:struct_x"));
  EXPECT_FALSE(is_list_type_search(""));
}

} // namespace
} // namespace scry
