#include "core/error.hpp"

#include <gtest/gtest.h>

#include "core/diagnostics.hpp"
#include "core/limits.hpp"

namespace appaudit {
namespace {

TEST(Error, ToStringNamesWhereWhatAndOffset) {
  Error e = make_error_at(Errc::kTruncated, "string_ids beyond end", "classes2.dex", 0x70);
  EXPECT_EQ(e.to_string(), "classes2.dex: string_ids beyond end (at offset 0x70)");
  EXPECT_STREQ(to_string(Errc::kTruncated), "truncated");
}

TEST(Expected, HoldsValueOrError) {
  Expected<int> ok = 42;
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 42);
  Expected<int> bad = make_error(Errc::kMalformed, "bad");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::kMalformed);
}

TEST(Diagnostics, CapsStoredItemsAndCountsTheRest) {
  Diagnostics d;
  for (uint32_t i = 0; i < limits::kMaxDiagnostics + 5; ++i) {
    d.add_at(Severity::kWarning, "x", "w", "m", i);
  }
  EXPECT_EQ(d.items().size(), limits::kMaxDiagnostics);
  EXPECT_EQ(d.dropped(), 5u);
  EXPECT_TRUE(d.items().back().has_offset);
  EXPECT_EQ(d.items().back().offset, limits::kMaxDiagnostics - 1);
}

} // namespace
} // namespace appaudit
