// Tests src/runtime/tracefs: finding tracefs's root. Mounting needs root and changes the machine,
// so it is covered by tests/runtime/tracefs-mount.test instead.
#include "runtime/tracefs.h"

#include <filesystem>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

class TracefsFind : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "scry-tracefs-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

TEST_F(TracefsFind, PicksTheFirstRootWithAnEventsDirectory) {
  fs::create_directories(dir_ / "debug/tracing/events");
  fs::create_directories(dir_ / "tracing/events");
  std::string first = (dir_ / "tracing").string();
  std::string second = (dir_ / "debug/tracing").string();
  EXPECT_EQ(scry::tracefs_find({first, second}), first);
}

TEST_F(TracefsFind, SkipsARootWithoutEvents) {
  fs::create_directories(dir_ / "tracing");
  fs::create_directories(dir_ / "debug/tracing/events");
  std::string second = (dir_ / "debug/tracing").string();
  EXPECT_EQ(scry::tracefs_find({(dir_ / "tracing").string(), second}), second);
}

TEST_F(TracefsFind, RejectsEventsThatIsNotADirectory) {
  fs::create_directories(dir_ / "tracing");
  std::FILE *f = std::fopen((dir_ / "tracing/events").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  EXPECT_EQ(scry::tracefs_find({(dir_ / "tracing").string()}), "");
}

TEST_F(TracefsFind, ReturnsEmptyWhenNothingMatches) {
  EXPECT_EQ(scry::tracefs_find({(dir_ / "missing").string()}), "");
  EXPECT_EQ(scry::tracefs_find({}), "");
}

} // namespace
