// Tests for apk/zip: archives built byte by byte (APPNOTE 4.3.x) to exercise each Android
// reading rule, hostile inputs, and every APK of the shared corpus against python3's zipfile.
#include "apk/zip.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../support/test_support.hpp"
#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string to_string(ByteView v) { return std::string(as_chars(v)); }

void put16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}
void put64(Bytes& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v));
  put32(b, static_cast<uint32_t>(v >> 32));
}
void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
void append(Bytes& b, const Bytes& s) { b.insert(b.end(), s.begin(), s.end()); }

uint32_t crc_of(const Bytes& data) {
  return static_cast<uint32_t>(::crc32(0, data.data(), static_cast<uInt>(data.size())));
}

/// Raw deflate (no zlib header), as stored in zip entries.
Bytes deflate_raw(const Bytes& in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  Bytes out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// One entry as the builder writes it. Every field can be made inconsistent on purpose.
struct TestEntry {
  std::string name;
  std::string local_name; ///< empty: same as name
  bool local_name_set = false;
  Bytes payload; ///< bytes written as file data (compressed if method 8)
  uint16_t method = 0;
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint64_t csize = 0;
  uint64_t usize = 0;
  Bytes local_extra;
  bool zip64 = false;      ///< sizes and offset via the ZIP64 extra field
  bool descriptor = false; ///< bit 3: zero sizes in the local header + data descriptor
};

/// Writes a zip archive byte by byte (APPNOTE 4.3.6 / 4.3.12 / 4.3.14-16).
class ZipBuilder {
 public:
  TestEntry& stored(std::string name, std::string_view content) {
    TestEntry e;
    e.name = std::move(name);
    e.payload = to_bytes(content);
    e.crc = crc_of(e.payload);
    e.csize = e.usize = e.payload.size();
    entries_.push_back(std::move(e));
    return entries_.back();
  }
  TestEntry& deflated(std::string name, const Bytes& content) {
    TestEntry e;
    e.name = std::move(name);
    e.method = 8;
    e.payload = deflate_raw(content);
    e.crc = crc_of(content);
    e.csize = e.payload.size();
    e.usize = content.size();
    entries_.push_back(std::move(e));
    return entries_.back();
  }

  Bytes build(std::string_view comment = {}, bool zip64_eocd = false,
              int64_t declared_count = -1) const {
    Bytes out;
    std::vector<uint64_t> offsets;
    for (const TestEntry& e : entries_) {
      offsets.push_back(out.size());
      const std::string& lname = e.local_name_set ? e.local_name : e.name;
      put32(out, 0x04034b50);
      put16(out, 20);
      put16(out, e.flags | (e.descriptor ? 8 : 0));
      put16(out, e.method);
      put16(out, 0);
      put16(out, 0);
      put32(out, e.descriptor ? 0 : e.crc);
      put32(out, e.descriptor ? 0 : static_cast<uint32_t>(e.csize));
      put32(out, e.descriptor ? 0 : static_cast<uint32_t>(e.usize));
      put16(out, static_cast<uint32_t>(lname.size()));
      put16(out, static_cast<uint32_t>(e.local_extra.size()));
      append(out, lname);
      append(out, e.local_extra);
      append(out, e.payload);
      if (e.descriptor) {
        put32(out, 0x08074b50);
        put32(out, e.crc);
        put32(out, static_cast<uint32_t>(e.csize));
        put32(out, static_cast<uint32_t>(e.usize));
      }
    }
    uint64_t cd_offset = out.size();
    for (size_t i = 0; i < entries_.size(); ++i) {
      const TestEntry& e = entries_[i];
      Bytes extra;
      if (e.zip64) {
        put16(extra, 0x0001);
        put16(extra, 24);
        put64(extra, e.usize);
        put64(extra, e.csize);
        put64(extra, offsets[i]);
      }
      put32(out, 0x02014b50);
      put16(out, 0x0314);
      put16(out, 20);
      put16(out, e.flags | (e.descriptor ? 8 : 0));
      put16(out, e.method);
      put16(out, 0);
      put16(out, 0);
      put32(out, e.crc);
      put32(out, e.zip64 ? 0xffffffffu : static_cast<uint32_t>(e.csize));
      put32(out, e.zip64 ? 0xffffffffu : static_cast<uint32_t>(e.usize));
      put16(out, static_cast<uint32_t>(e.name.size()));
      put16(out, static_cast<uint32_t>(extra.size()));
      put16(out, 0);
      put16(out, 0);
      put16(out, 0);
      put32(out, 0);
      put32(out, e.zip64 ? 0xffffffffu : static_cast<uint32_t>(offsets[i]));
      append(out, e.name);
      append(out, extra);
    }
    uint64_t cd_size = out.size() - cd_offset;
    uint64_t count = declared_count >= 0 ? static_cast<uint64_t>(declared_count) : entries_.size();
    if (zip64_eocd) {
      uint64_t rec = out.size();
      put32(out, 0x06064b50);
      put64(out, 44);
      put16(out, 45);
      put16(out, 45);
      put32(out, 0);
      put32(out, 0);
      put64(out, count);
      put64(out, count);
      put64(out, cd_size);
      put64(out, cd_offset);
      put32(out, 0x07064b50);
      put32(out, 0);
      put64(out, rec);
      put32(out, 1);
    }
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, zip64_eocd ? 0xffff : static_cast<uint32_t>(count));
    put16(out, zip64_eocd ? 0xffff : static_cast<uint32_t>(count));
    put32(out, zip64_eocd ? 0xffffffffu : static_cast<uint32_t>(cd_size));
    put32(out, zip64_eocd ? 0xffffffffu : static_cast<uint32_t>(cd_offset));
    put16(out, static_cast<uint32_t>(comment.size()));
    append(out, comment);
    return out;
  }

 private:
  std::vector<TestEntry> entries_;
};

bool has_diag(const Diagnostics& d, std::string_view code) {
  return std::any_of(d.items().begin(), d.items().end(),
                     [&](const Diagnostic& x) { return x.code == code; });
}
size_t count_diag(const Diagnostics& d, std::string_view code) {
  return static_cast<size_t>(std::count_if(d.items().begin(), d.items().end(),
                                           [&](const Diagnostic& x) { return x.code == code; }));
}

Bytes text(size_t n) {
  Bytes b;
  b.reserve(n);
  for (size_t i = 0; b.size() < n; ++i) {
    std::string line = "line " + std::to_string(i * 7919 % 10007) + " of some text\n";
    b.insert(b.end(), line.begin(), line.end());
  }
  b.resize(n);
  return b;
}

/// Reads entry `name` of `zip`, expecting success and a good CRC; returns its content.
std::string read_ok(const ZipArchive& zip, std::string_view name) {
  const ZipEntry* e = zip.find(name);
  EXPECT_NE(e, nullptr) << name;
  if (e == nullptr) return {};
  auto r = zip.read(*e);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().to_string());
  if (!r) return {};
  EXPECT_TRUE(r->crc_ok) << name;
  return to_string(r->data);
}

} // namespace

TEST(Zip, StoredEntriesAndFind) {
  ZipBuilder b;
  b.stored("AndroidManifest.xml", "manifest bytes");
  b.stored("b/second.txt", "two");
  b.stored("a/first.txt", "one");
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  ASSERT_EQ(zip->entries().size(), 3u);
  EXPECT_EQ(zip->entries()[0].name, "AndroidManifest.xml");
  EXPECT_EQ(zip->entries()[2].cd_index, 2u);
  EXPECT_EQ(read_ok(*zip, "a/first.txt"), "one");
  EXPECT_EQ(read_ok(*zip, "b/second.txt"), "two");
  EXPECT_EQ(read_ok(*zip, "AndroidManifest.xml"), "manifest bytes");
  EXPECT_EQ(zip->find("a/first"), nullptr);
  EXPECT_EQ(zip->find("zzz"), nullptr);
  EXPECT_EQ(zip->find(""), nullptr);
  // The stored read is a view into the archive, not a copy.
  auto r = zip->read(*zip->find("b/second.txt"));
  ASSERT_TRUE(r.has_value());
  EXPECT_GE(r->data.data(), zip_bytes.data());
  EXPECT_LT(r->data.data(), zip_bytes.data() + zip_bytes.size());
  EXPECT_EQ(zip->eocd_offset(), zip_bytes.size() - 22);
  EXPECT_EQ(zip->central_directory_offset() + zip->central_directory_size(), zip->eocd_offset());
  EXPECT_TRUE(d.empty());
}

TEST(Zip, DeflatedEntryAndPrefix) {
  Bytes content = text(300'000);
  ZipBuilder b;
  b.deflated("classes.dex", content);
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  const ZipEntry* e = zip->find("classes.dex");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->method, 8);
  EXPECT_LT(e->compressed_size, e->uncompressed_size);
  EXPECT_EQ(read_ok(*zip, "classes.dex"), std::string(content.begin(), content.end()));
  auto p = zip->read_prefix(*e, 64);
  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  EXPECT_EQ(to_string(p->data), std::string(content.begin(), content.begin() + 64));
  auto whole = zip->read_prefix(*e, 1ull << 40);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->data.size(), content.size());
}

TEST(Zip, DataDescriptorUsesCentralDirectorySizes) {
  Bytes content = text(5000);
  ZipBuilder b;
  b.deflated("res/layout.xml", content).descriptor = true;
  b.stored("assets/a.txt", "stored with descriptor").descriptor = true;
  Diagnostics d;
  Bytes zip_bytes = b.build();
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(read_ok(*zip, "res/layout.xml"), std::string(content.begin(), content.end()));
  EXPECT_EQ(read_ok(*zip, "assets/a.txt"), "stored with descriptor");
  EXPECT_EQ(zip->find("res/layout.xml")->flags & 8, 8);
}

TEST(Zip, Zip64EndOfCentralDirectoryAndExtraField) {
  Bytes content = text(2000);
  ZipBuilder b;
  b.stored("first", "x");
  b.deflated("big.bin", content).zip64 = true;
  Bytes zip_bytes = b.build({}, /*zip64_eocd=*/true);
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  ASSERT_EQ(zip->entries().size(), 2u);
  const ZipEntry* e = zip->find("big.bin");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->uncompressed_size, content.size());
  EXPECT_NE(e->compressed_size, 0xffffffffu);
  EXPECT_NE(e->local_header_offset, 0xffffffffu);
  EXPECT_EQ(read_ok(*zip, "big.bin"), std::string(content.begin(), content.end()));
  EXPECT_EQ(read_ok(*zip, "first"), "x");
  // The CD is followed by the 56-byte EOCD64 and the 20-byte locator.
  EXPECT_EQ(zip->central_directory_offset() + zip->central_directory_size() + 56 + 20,
            zip->eocd_offset());
  EXPECT_FALSE(has_diag(d, "zip.missing_zip64_extra"));
}

TEST(Zip, MissingZip64ExtraIsDiagnosed) {
  ZipBuilder b;
  TestEntry& e = b.stored("a", "abc");
  e.usize = 0xffffffffu; // claims ZIP64 without the extra field
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_TRUE(has_diag(d, "zip.missing_zip64_extra"));
  EXPECT_FALSE(zip->read(zip->entries()[0]).has_value());
}

TEST(Zip, EncryptedFlagOnUnencryptedDataIsIgnored) {
  ZipBuilder b;
  b.stored("AndroidManifest.xml", "plain").flags = 1;
  b.deflated("classes.dex", text(1000)).flags = 1;
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(read_ok(*zip, "AndroidManifest.xml"), "plain");
  EXPECT_EQ(read_ok(*zip, "classes.dex").size(), 1000u);
  EXPECT_EQ(count_diag(d, "zip.encrypted_flag_ignored"), 2u);
  for (const auto& item : d.items())
    if (item.code == "zip.encrypted_flag_ignored") {
      EXPECT_EQ(item.severity, Severity::kInfo);
    }
}

TEST(Zip, BogusLocalExtraIsSkippedByItsLength) {
  ZipBuilder b;
  // An extra block whose inner record claims 0x4000 bytes but only 6 are there.
  b.stored("a.txt", "payload").local_extra = {0xfe, 0xca, 0x00, 0x40, 1, 2, 3, 4, 5, 6};
  b.deflated("b.txt", text(777)).local_extra = {0xff};
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(read_ok(*zip, "a.txt"), "payload");
  EXPECT_EQ(read_ok(*zip, "b.txt").size(), 777u);
  auto off = zip->data_offset(*zip->find("a.txt"));
  ASSERT_TRUE(off.has_value());
  EXPECT_EQ(*off, 30u + 5 + 10);
}

TEST(Zip, LocalNameMismatchUsesCentralName) {
  ZipBuilder b;
  TestEntry& e = b.stored("AndroidManifest.xml", "real");
  e.local_name = "decoy-name-of-another-length.xml";
  e.local_name_set = true;
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(read_ok(*zip, "AndroidManifest.xml"), "real");
  EXPECT_EQ(zip->find("decoy-name-of-another-length.xml"), nullptr);
  EXPECT_TRUE(has_diag(d, "zip.local_name_mismatch"));
}

TEST(Zip, DuplicateNamesKeepTheFirst) {
  ZipBuilder b;
  b.stored("classes.dex", "first");
  b.stored("other", "o");
  b.stored("classes.dex", "second");
  b.stored("classes.dex", "third");
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  ASSERT_EQ(zip->entries().size(), 2u);
  EXPECT_EQ(zip->entries()[0].name, "classes.dex");
  EXPECT_EQ(zip->entries()[1].name, "other");
  EXPECT_EQ(zip->entries()[1].cd_index, 1u);
  EXPECT_EQ(read_ok(*zip, "classes.dex"), "first");
  EXPECT_EQ(read_ok(*zip, "other"), "o");
  EXPECT_EQ(count_diag(d, "zip.duplicate_entry"), 2u);
}

TEST(Zip, SuspiciousNamesAreKeptAsData) {
  ZipBuilder b;
  b.stored("../../etc/passwd", "p");
  b.stored("/abs", "a");
  b.stored("dir\\win.txt", "w");
  b.stored(std::string("nul\0byte", 8), "n");
  b.stored("fine/..name../ok", "ok"); // ".." inside a component is not a traversal
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  ASSERT_EQ(zip->entries().size(), 5u);
  EXPECT_EQ(read_ok(*zip, "../../etc/passwd"), "p");
  EXPECT_EQ(read_ok(*zip, "/abs"), "a");
  EXPECT_EQ(read_ok(*zip, "dir\\win.txt"), "w");
  EXPECT_EQ(read_ok(*zip, std::string("nul\0byte", 8)), "n");
  EXPECT_EQ(zip->find("nul"), nullptr);
  EXPECT_EQ(count_diag(d, "zip.suspicious_name"), 4u);
}

TEST(Zip, FakeEocdInCommentIsSkipped) {
  ZipBuilder b;
  b.stored("AndroidManifest.xml", "real manifest");
  // A fake EOCD inside the comment: claims 1 entry, CD at offset 0x10, and its own
  // comment length runs exactly to the end of the file, as a decoy would.
  Bytes fake;
  put32(fake, 0x06054b50);
  put16(fake, 0);
  put16(fake, 0);
  put16(fake, 1);
  put16(fake, 1);
  put32(fake, 46);
  put32(fake, 0x10);
  std::string tail = "junk after the fake";
  put16(fake, static_cast<uint32_t>(tail.size()));
  append(fake, tail);
  std::string comment = "prefix " + std::string(fake.begin(), fake.end());
  Bytes zip_bytes = b.build(comment);
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  ASSERT_EQ(zip->entries().size(), 1u);
  EXPECT_EQ(read_ok(*zip, "AndroidManifest.xml"), "real manifest");
  EXPECT_TRUE(has_diag(d, "zip.fake_eocd"));
  EXPECT_EQ(zip->eocd_offset(), zip_bytes.size() - 22 - comment.size());
}

TEST(Zip, TrailingBytesAfterEocdAreDiagnosed) {
  ZipBuilder b;
  b.stored("a", "1");
  Bytes zip_bytes = b.build();
  append(zip_bytes, "trailing garbage");
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(read_ok(*zip, "a"), "1");
  EXPECT_TRUE(has_diag(d, "zip.trailing_bytes"));
}

TEST(Zip, TruncatedArchivesFailCleanly) {
  ZipBuilder b;
  b.stored("AndroidManifest.xml", "manifest");
  b.deflated("classes.dex", text(4000));
  b.stored("assets/x", "xx");
  Bytes full = b.build();
  for (size_t cut = 0; cut < full.size(); ++cut) {
    Bytes part(full.begin(), full.begin() + static_cast<ptrdiff_t>(cut));
    Diagnostics d;
    auto zip = ZipArchive::open(part, d);
    // With the EOCD (at the very end) gone, no central directory can be trusted.
    EXPECT_FALSE(zip.has_value()) << "cut at " << cut;
  }
  // The data region cut away but the central directory kept: entries are listed and
  // reading them fails with an error instead of touching memory past the end.
  Diagnostics d;
  auto zip = ZipArchive::open(full, d);
  ASSERT_TRUE(zip.has_value());
  uint64_t cd = zip->central_directory_offset();
  for (uint64_t keep : {uint64_t{0}, uint64_t{10}, uint64_t{60}, cd - 20}) {
    Bytes hollow(full.begin(), full.begin() + static_cast<ptrdiff_t>(keep));
    hollow.resize(cd, 0); // zeros where data used to be
    hollow.insert(hollow.end(), full.begin() + static_cast<ptrdiff_t>(cd), full.end());
    Diagnostics d2;
    auto z2 = ZipArchive::open(hollow, d2);
    ASSERT_TRUE(z2.has_value());
    EXPECT_EQ(z2->entries().size(), 3u);
    EXPECT_TRUE(has_diag(d2, "zip.bad_local_header") || has_diag(d2, "zip.local_name_mismatch"));
    for (const ZipEntry& e : z2->entries()) {
      auto r = z2->read(e);
      if (r) {
        EXPECT_LE(r->data.size(), e.uncompressed_size);
      }
    }
    auto last = z2->read(*z2->find("assets/x"));
    EXPECT_TRUE(!last.has_value() || !last->crc_ok) << "keep " << keep;
  }
}

TEST(Zip, CentralDirectoryShorterThanDeclared) {
  ZipBuilder b;
  b.stored("a", "1");
  b.stored("b", "2");
  Bytes zip_bytes = b.build({}, false, /*declared_count=*/5);
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(zip->entries().size(), 2u);
  EXPECT_TRUE(has_diag(d, "zip.truncated_central_directory"));
  EXPECT_EQ(read_ok(*zip, "b"), "2");
}

TEST(Zip, NotAZip) {
  Diagnostics d;
  Bytes empty;
  EXPECT_EQ(ZipArchive::open(empty, d).error().code, Errc::kTruncated);
  Bytes junk(70'000, 'P');
  EXPECT_EQ(ZipArchive::open(junk, d).error().code, Errc::kMalformed);
}

TEST(Zip, DeclaredHugeSizeIsALimitNotAnAllocation) {
  ZipBuilder b;
  TestEntry& e = b.deflated("bomb", Bytes(1000, 0));
  e.usize = 1ull << 30; // claims 1 GiB
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  auto r = zip->read(zip->entries()[0]);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kLimit);
}

TEST(Zip, HighRatioBombIsRefusedQuickly) {
  Bytes zeros(16u << 20, 0);
  ZipBuilder b;
  b.deflated("bomb", zeros);
  Bytes zip_bytes = b.build();
  zeros = Bytes();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  const ZipEntry& e = zip->entries()[0];
  ASSERT_GT(e.uncompressed_size / e.compressed_size, limits::kMaxInflateRatio);
  auto r = zip->read(e);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kLimit);
  EXPECT_EQ(zip->inflated_total(), 0u); // refused before inflating anything
  // Only the first bytes are inflated for a prefix read, whatever the ratio.
  auto p = zip->read_prefix(e, 64);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->data.size(), 64u);
  EXPECT_LT(p->owned.capacity(), 1u << 20);
  EXPECT_LT(zip->inflated_total(), 1u << 20);
}

TEST(Zip, OverlappingEntriesAreDiagnosed) {
  ZipBuilder b;
  b.stored("a", "aaaa");
  b.stored("b", "bbbb");
  Bytes zip_bytes = b.build();
  Diagnostics d;
  ASSERT_TRUE(ZipArchive::open(zip_bytes, d).has_value());
  EXPECT_FALSE(has_diag(d, "zip.overlapping_entries"));
  // Point the second central-directory record at the first local header.
  size_t cd = zip_bytes.size() - 22 - 2 * (46 + 1);
  size_t second_offset_field = cd + 46 + 1 + 42;
  std::fill_n(zip_bytes.begin() + static_cast<ptrdiff_t>(second_offset_field), 4, 0);
  Diagnostics d2;
  auto zip = ZipArchive::open(zip_bytes, d2);
  ASSERT_TRUE(zip.has_value());
  EXPECT_TRUE(has_diag(d2, "zip.overlapping_entries"));
  EXPECT_TRUE(has_diag(d2, "zip.local_name_mismatch"));
  auto r = zip->read(*zip->find("b"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(to_string(r->data), "aaaa");
  EXPECT_FALSE(r->crc_ok);
}

TEST(Zip, StreamLongerThanDeclaredStopsAtTheDeclaredSize) {
  // 8 MiB of zeros that claim to be 1000 bytes: inflating must stop right after 1000.
  ZipBuilder b;
  TestEntry& e = b.deflated("liar", Bytes(8u << 20, 0));
  e.usize = 1000;
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  auto r = zip->read(zip->entries()[0]);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kMalformed);
  EXPECT_EQ(zip->inflated_total(), 1001u); // one byte past the declared size, not 8 MiB
}

TEST(Zip, BadCrcIsReportedNotFatal) {
  ZipBuilder b;
  b.stored("s", "stored data").crc ^= 1;
  b.deflated("d", text(3000)).crc ^= 0x80000000u;
  b.stored("good", "g");
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  for (const char* name : {"s", "d"}) {
    auto r = zip->read(*zip->find(name));
    ASSERT_TRUE(r.has_value()) << name;
    EXPECT_FALSE(r->crc_ok) << name;
  }
  EXPECT_EQ(read_ok(*zip, "good"), "g");
}

TEST(Zip, UnknownMethodIsReadAsDeflatedAndBadDeflateFails) {
  ZipBuilder b;
  b.stored("bzip2", "BZh91AY&SY").method = 12; // not deflate data: fails as malformed
  b.deflated("weird", text(300)).method = 21;  // deflate data under method 21: Android reads it
  TestEntry& bad = b.stored("garbage", "\xff\xff\xff\xff not deflate");
  bad.method = 8;
  bad.usize = 100;
  TestEntry& cut = b.deflated("cut", text(5000));
  cut.payload.resize(cut.payload.size() / 2);
  cut.csize = cut.payload.size();
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  auto r1 = zip->read(*zip->find("bzip2"));
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, Errc::kMalformed);
  EXPECT_TRUE(has_diag(d, "zip.unknown_method_as_deflated"));
  const Bytes weird = text(300);
  EXPECT_EQ(read_ok(*zip, "weird"), std::string(weird.begin(), weird.end()));
  auto r2 = zip->read(*zip->find("garbage"));
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, Errc::kMalformed);
  auto r3 = zip->read(*zip->find("cut"));
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().code, Errc::kTruncated);
}

TEST(Zip, StoredSizeMismatchReadsTheUncompressedSize) {
  ZipBuilder b;
  TestEntry& e = b.stored("s", "0123456789");
  e.usize = 4; // libziparchive copies uncompressed_length bytes for stored entries
  e.crc = crc_of(to_bytes("0123"));
  b.stored("t", "tail");
  Bytes zip_bytes = b.build();
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  EXPECT_TRUE(has_diag(d, "zip.stored_size_mismatch"));
  EXPECT_EQ(read_ok(*zip, "s"), "0123");
  // Claiming more than is there before the central directory is an error.
  ZipBuilder b2;
  b2.stored("s", "0123456789").usize = 5000;
  Bytes zip2 = b2.build();
  auto z2 = ZipArchive::open(zip2, d);
  ASSERT_TRUE(z2.has_value());
  EXPECT_FALSE(z2->read(z2->entries()[0]).has_value());
}

// --- The shared corpus, against python3's zipfile ---------------------------------------

namespace {

struct PeerListing {
  bool ok = false;
  std::vector<std::pair<std::string, uint64_t>> entries; // raw name, uncompressed size
};

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

/// Lists every archive with python3's zipfile in one process. Names are re-encoded to
/// their raw bytes (zipfile decodes cp437 unless flag bit 11 says UTF-8).
std::map<std::string, PeerListing> peer_listings(const std::vector<std::string>& files) {
  std::string dir = testing::TempDir();
  std::string list = dir + "/zip_test_files.txt";
  std::string script = dir + "/zip_test_list.py";
  {
    std::ofstream out(list);
    for (const auto& f : files) out << f << '\n';
  }
  {
    std::ofstream out(script);
    out << R"PY(import sys, zipfile
for path in open(sys.argv[1], encoding='utf-8', errors='surrogateescape').read().splitlines():
    print('F\t' + path.encode('utf-8', 'surrogateescape').hex())
    try:
        with zipfile.ZipFile(path) as z:
            for i in z.infolist():
                raw = i.orig_filename.encode('utf-8' if i.flag_bits & 0x800 else 'cp437')
                print('E\t%s\t%d' % (raw.hex(), i.file_size))
        print('K')
    except Exception as e:
        print('X\t' + repr(e).replace('\n', ' '))
)PY";
  }
  int rc = 0;
  std::string out = test::run_command("python3 '" + script + "' '" + list + "'", &rc);
  std::map<std::string, PeerListing> result;
  if (rc != 0) return result;
  std::istringstream in(out);
  std::string line;
  PeerListing* cur = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("F\t", 0) == 0) {
      cur = &result[unhex(line.substr(2))];
    } else if (cur != nullptr && line.rfind("E\t", 0) == 0) {
      size_t tab = line.find('\t', 2);
      cur->entries.emplace_back(unhex(line.substr(2, tab - 2)), std::stoull(line.substr(tab + 1)));
    } else if (cur != nullptr && line == "K") {
      cur->ok = true;
    }
  }
  return result;
}

std::vector<std::string> corpus_apks() {
  std::vector<std::string> out;
  std::string root = test::corpus_dir();
  std::error_code ec;
  if (root.empty() || !std::filesystem::is_directory(root, ec)) return out;
  for (const char* sub :
       {"androguard/data/APK", "bugly/apks", "large", "droidbench/apk", "iccbench"}) {
    std::filesystem::path dir = std::filesystem::path(root) / sub;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
      if (e.is_regular_file() && e.path().extension() == ".apk") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST(Zip, CorpusMatchesPythonZipfile) {
  std::vector<std::string> apks = corpus_apks();
  if (apks.empty()) GTEST_SKIP() << "corpus not found at " << test::corpus_dir();
  auto peer = peer_listings(apks);
  if (peer.empty()) GTEST_SKIP() << "python3 zipfile not available";
  size_t compared = 0, entries_read = 0;
  for (const std::string& path : apks) {
    SCOPED_TRACE(path);
    Bytes bytes = test::read_file(path);
    Diagnostics d;
    auto zip = ZipArchive::open(bytes, d, path);
    const PeerListing& p = peer[path];
    if (!p.ok) {
      continue; // the peer cannot read it either; opening must just not crash
    }
    ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
    // zipfile lists duplicates; we keep the first of each name.
    std::vector<std::pair<std::string, uint64_t>> expected;
    std::vector<std::string> seen;
    for (const auto& [name, size] : p.entries) {
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
      seen.push_back(name);
      expected.emplace_back(name, size);
    }
    std::vector<std::pair<std::string, uint64_t>> ours;
    for (const ZipEntry& e : zip->entries()) ours.emplace_back(e.name, e.uncompressed_size);
    EXPECT_EQ(ours, expected);
    for (const ZipEntry& e : zip->entries()) {
      auto r = zip->read(e);
      EXPECT_TRUE(r.has_value()) << e.name << ": " << r.error().to_string();
      if (!r) continue;
      EXPECT_TRUE(r->crc_ok) << e.name;
      EXPECT_EQ(r->data.size(), e.uncompressed_size) << e.name;
      ++entries_read;
    }
    ++compared;
  }
  EXPECT_GT(compared, apks.size() / 2);
  std::printf("compared %zu of %zu archives, read %zu entries\n", compared, apks.size(),
              entries_read);
}

} // namespace appaudit::apk
