#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/mapped_file.hpp"

namespace appaudit {
namespace {

TEST(ByteReader, ReadsLittleEndianAndFailsStickyPastEnd) {
  std::vector<uint8_t> b{0x01, 0x02, 0x03, 0x04, 0x05};
  ByteReader r(b);
  EXPECT_EQ(r.u16(), 0x0201);
  EXPECT_EQ(r.u16(), 0x0403);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u32(), 0u); // only one byte left
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0u); // sticky
}

TEST(ByteReader, Leb128MatchesDexSpecExamples) {
  // DEX format spec, "LEB128" table.
  std::vector<uint8_t> b{0x00, 0x01, 0x7f, 0x80, 0x7f};
  ByteReader r(b);
  EXPECT_EQ(r.sleb128(), 0);
  EXPECT_EQ(r.sleb128(), 1);
  EXPECT_EQ(r.sleb128(), -1);
  EXPECT_EQ(r.sleb128(), -128);
  std::vector<uint8_t> u{0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x0f};
  ByteReader ru(u);
  EXPECT_EQ(ru.uleb128(), 16256u);
  EXPECT_EQ(ru.uleb128(), 0xffffffffu);
  std::vector<uint8_t> cut{0x80, 0x80};
  ByteReader rc(cut);
  rc.uleb128();
  EXPECT_FALSE(rc.ok());
}

TEST(Subview, RejectsOverflowingRanges) {
  std::vector<uint8_t> b(16);
  bool ok = true;
  EXPECT_TRUE(subview(b, 8, 8, &ok).size() == 8 && ok);
  EXPECT_TRUE(subview(b, 9, 8, &ok).empty());
  EXPECT_FALSE(ok);
  EXPECT_TRUE(subview(b, ~0ull, 2, &ok).empty());
  EXPECT_FALSE(in_bounds(16, 1, ~0ull));
}

TEST(MappedFile, MissingFileIsAnIoError) {
  auto f = MappedFile::open("/nonexistent/appaudit.apk");
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, Errc::kIo);
  EXPECT_NE(f.error().to_string().find("/nonexistent/appaudit.apk"), std::string::npos);
}

} // namespace
} // namespace appaudit
