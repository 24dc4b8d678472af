// The content-addressed blob store: round trip, idempotence, size limit, SHA-256 check.
#include "store/blob_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/temp_dir.hpp"
#include "support/test_support.hpp"

namespace appaudit::store {
namespace {

using test::TempDir;

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

size_t files_under(const std::string& dir) {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) ++n;
  }
  return n;
}

TEST(BlobStore, KnownDigest) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(is_sha256_hex(sha256_hex("")));
  EXPECT_FALSE(is_sha256_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  EXPECT_FALSE(is_sha256_hex("../../etc/passwd"));
}

TEST(BlobStore, RoundTripStreamsInChunks) {
  TempDir dir;
  BlobStore blobs(dir.path() + "/blobs");
  const std::string data = pattern(3 * 65536 + 17); // several read chunks
  size_t reads = 0, pos = 0;
  auto info = blobs.put(
      [&](char* buf, size_t cap) -> Expected<size_t> {
        ++reads;
        const size_t n = std::min<size_t>({cap, 1000, data.size() - pos}); // short reads
        std::memcpy(buf, data.data() + pos, n);
        pos += n;
        return n;
      },
      1 << 20);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_GT(reads, 100u);
  EXPECT_EQ(info->sha256, sha256_hex(data));
  EXPECT_EQ(info->size, data.size());
  EXPECT_FALSE(info->existed);
  const std::string path = blobs.path_of(info->sha256);
  EXPECT_EQ(path, dir.path() + "/blobs/" + info->sha256.substr(0, 2) + "/" + info->sha256);
  EXPECT_TRUE(blobs.contains(info->sha256));
  auto back = test::read_file(path);
  EXPECT_EQ(std::string(back.begin(), back.end()), data);
  EXPECT_EQ(files_under(dir.path() + "/blobs/tmp"), 0u); // no temporary file left
}

TEST(BlobStore, SameBytesTwiceKeepOneCopy) {
  TempDir dir;
  BlobStore blobs(dir.path());
  const std::string data = pattern(5000);
  auto a = blobs.put_bytes(data, 1 << 20);
  auto b = blobs.put_bytes(data, 1 << 20, sha256_hex(data));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_FALSE(a->existed);
  EXPECT_TRUE(b->existed);
  EXPECT_EQ(a->sha256, b->sha256);
  EXPECT_EQ(files_under(dir.path()), 1u);
  // From a file, too.
  const std::string f = dir.path() + "/input.apk";
  std::ofstream(f, std::ios::binary) << data;
  auto c = blobs.put_file(f, 1 << 20);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->existed);
}

TEST(BlobStore, SizeLimitKeepsNothing) {
  TempDir dir;
  BlobStore blobs(dir.path());
  auto r = blobs.put_bytes(pattern(10'001), 10'000);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kLimit);
  auto ok = blobs.put_bytes(pattern(10'000), 10'000); // exactly at the limit is fine
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(files_under(dir.path()), 1u);
}

TEST(BlobStore, ShaMismatchRejected) {
  TempDir dir;
  BlobStore blobs(dir.path());
  auto r = blobs.put_bytes("hello", 100, sha256_hex("hellO"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_FALSE(blobs.contains(sha256_hex("hello")));
  EXPECT_FALSE(blobs.contains(sha256_hex("hellO")));
  EXPECT_FALSE(blobs.put_bytes("hello", 100, "not-hex").has_value());
  EXPECT_EQ(files_under(dir.path()), 0u);
  EXPECT_EQ(blobs.path_of("../x"), "");
}

TEST(BlobStore, ReaderErrorKeepsNothing) {
  TempDir dir;
  BlobStore blobs(dir.path());
  int calls = 0;
  auto r = blobs.put(
      [&](char* buf, size_t) -> Expected<size_t> {
        if (++calls > 2) return make_error(Errc::kIo, "connection reset");
        buf[0] = 'x';
        return size_t{1};
      },
      100);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "connection reset");
  EXPECT_EQ(files_under(dir.path()), 0u);
  EXPECT_FALSE(blobs.put_file(dir.path() + "/missing.apk", 100).has_value());
}

} // namespace
} // namespace appaudit::store
