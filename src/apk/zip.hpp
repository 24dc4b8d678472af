#pragma once
/// ZIP reading the way Android reads an APK (libziparchive + PackageManager rules).
///
/// Spec: PKWARE APPNOTE.TXT 6.3.x (sections 4.3.6 local header, 4.3.12 central directory,
/// 4.3.14-4.3.16 ZIP64 end of central directory). Android trusts the central directory:
/// names, methods and sizes come from there; the local header only locates the data
/// (its name/extra lengths are read to skip them, a mismatch is a diagnostic, not an error).
/// Tolerated like Android: the "encrypted" bit on unencrypted entries, junk extra fields,
/// bogus local-header sizes (data descriptors). Duplicate names: the first entry in the
/// central directory is kept (libziparchive refuses to install such an APK; we report it).
/// Names are kept as raw bytes and never used as file-system paths.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

struct ZipEntry {
  std::string name;    ///< raw name bytes from the central directory
  uint16_t method = 0; ///< 0 stored, 8 deflated, other values unsupported
  uint16_t flags = 0;  ///< general purpose bit flags (bit 0 "encrypted", bit 3 data descriptor)
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint32_t cd_index = 0; ///< position in the central directory
};

/// One read entry: `data` views either the archive (stored) or `owned` (inflated).
struct EntryData {
  ByteView data;
  std::vector<uint8_t> owned;
  bool crc_ok = true;
};

class ZipArchive {
 public:
  /// Reads the end of central directory (ZIP64 aware) and the central directory of `bytes`,
  /// which must outlive the archive. Fails only when no usable central directory exists.
  /// Oddities go to `diags` (where = `where`, e.g. the APK's file name).
  static Expected<ZipArchive> open(ByteView bytes, Diagnostics& diags, std::string where = "apk");

  /// Entries in central-directory order, without the duplicates that were dropped.
  const std::vector<ZipEntry>& entries() const { return entries_; }
  /// Entry by exact name, or nullptr.
  const ZipEntry* find(std::string_view name) const;

  /// Reads (inflating when needed) one entry, within limits::kMaxEntryInflatedSize,
  /// kMaxInflateRatio and the archive-wide kMaxTotalInflated budget. A CRC mismatch is
  /// not an error: `crc_ok` is false. Errors: kTruncated, kMalformed (bad deflate data,
  /// size mismatch), kUnsupported (method), kLimit.
  Expected<EntryData> read(const ZipEntry& entry) const;

  /// Reads at most the first `n` bytes of an entry, inflating only what is needed (e.g. the
  /// 64-byte ELF header of a native library). The CRC is not checked (`crc_ok` stays true);
  /// fewer than `n` bytes are returned when the entry is shorter.
  Expected<EntryData> read_prefix(const ZipEntry& entry, uint64_t n) const;

  /// Offset of the first byte of file data belonging to entry `e` (after its local header).
  Expected<uint64_t> data_offset(const ZipEntry& e) const;

  /// Starts a new archive-wide inflate budget (limits::kMaxTotalInflated). The pipeline
  /// gives each stage its own, so that bytes one stage streamed and dropped (signature
  /// digests) do not starve the next (DEX).
  void reset_inflate_budget() const { inflated_total_ = 0; }

  ByteView bytes() const { return bytes_; }
  /// Offset of the central directory and of the end-of-central-directory record
  /// (needed by APK Signature Scheme v2/v3 to find the APK Signing Block).
  uint64_t central_directory_offset() const { return cd_offset_; }
  uint64_t central_directory_size() const { return cd_size_; }
  uint64_t eocd_offset() const { return eocd_offset_; }
  const std::string& where() const { return where_; }
  /// Bytes inflated so far by read()/read_prefix(), counted against limits::kMaxTotalInflated.
  uint64_t inflated_total() const { return inflated_total_; }

 private:
  /// The entry's bytes as stored in the archive (compressed for method 8), bounded by the
  /// start of the central directory as libziparchive requires.
  Expected<ByteView> raw_data(const ZipEntry& e) const;
  /// Raw-inflates up to `max_out` bytes; `whole` checks limits, size and CRC.
  Expected<EntryData> inflate(const ZipEntry& e, uint64_t max_out, bool whole) const;

  ByteView bytes_;
  std::string where_;
  std::vector<ZipEntry> entries_;
  std::vector<uint32_t> sorted_; // indices into entries_, sorted by name, for find()
  uint64_t cd_offset_ = 0;
  uint64_t cd_size_ = 0;
  uint64_t eocd_offset_ = 0;
  mutable uint64_t inflated_total_ = 0;
};

} // namespace appaudit::apk
