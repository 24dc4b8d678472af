/*
 * ZIP reader following Android's libziparchive rules.
 *
 * Spec: PKWARE APPNOTE.TXT 6.3.x
 *   4.3.6   local file header (30 bytes + name + extra)
 *   4.3.9   data descriptor (bit 3) - ignored: the central directory has the sizes
 *   4.3.12  central directory file header (46 bytes + name + extra + comment)
 *   4.3.14  ZIP64 end of central directory record
 *   4.3.15  ZIP64 end of central directory locator
 *   4.3.16  end of central directory record (22 bytes + comment <= 65535)
 *   4.5.3   ZIP64 extended information extra field (header id 0x0001)
 *
 * Android (libziparchive) trusts the central directory for method, sizes and CRC; the
 * local header only tells where the data starts. We do the same, and record every
 * discrepancy as a diagnostic. See docs/zip.md for what is tolerated and why.
 */
#include "apk/zip.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

constexpr uint32_t kEocdSignature = 0x06054b50;
constexpr uint32_t kEocd64Signature = 0x06064b50;
constexpr uint32_t kEocd64LocatorSignature = 0x07064b50;
constexpr uint32_t kCdSignature = 0x02014b50;
constexpr uint32_t kLocalSignature = 0x04034b50;

constexpr uint64_t kEocdSize = 22;
constexpr uint64_t kEocd64LocatorSize = 20;
constexpr uint64_t kEocd64MinSize = 56;
constexpr uint64_t kCdHeaderSize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kMaxCommentSize = 0xffff;

constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kFlagEncrypted = 0x0001;

constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;

/// Geometry of the central directory as announced by an (EOCD, optional EOCD64) pair.
struct CdLocation {
  uint64_t eocd_offset = 0;
  uint64_t cd_offset = 0;
  uint64_t cd_size = 0;
  uint64_t entry_count = 0;
  uint64_t end_limit = 0; ///< the CD must end at or before this (EOCD or EOCD64 offset)
  bool zip64 = false;
  bool exact_comment = false; ///< comment length reaches exactly the end of the file
};

std::string entry_where(const std::string& where, std::string_view name) {
  std::string out = where;
  out += ": zip entry '";
  // Keep diagnostics printable and bounded: hostile names can be 64 KiB of junk.
  size_t n = std::min<size_t>(name.size(), 256);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (n < name.size()) out += "...";
  out += "'";
  return out;
}

/// Reads the ZIP64 EOCD locator + record that precede the EOCD at `eocd`, when present.
/// Without a locator the 32-bit values stand (an archive may legitimately hold 65535
/// entries); returns false when a locator exists but the record it points to is unusable
/// and the 32-bit values say ZIP64 is `needed`.
bool read_zip64(ByteView bytes, CdLocation& loc, bool needed, Diagnostics& diags,
                const std::string& where, bool report) {
  if (loc.eocd_offset < kEocd64LocatorSize) return true;
  ByteReader lr(bytes, loc.eocd_offset - kEocd64LocatorSize);
  if (lr.u32() != kEocd64LocatorSignature) return true;
  lr.u32(); // disk with the EOCD64
  uint64_t rec_offset = lr.u64();
  lr.u32(); // total disks
  if (!lr.ok()) return !needed;
  uint64_t locator_offset = loc.eocd_offset - kEocd64LocatorSize;
  if (rec_offset > locator_offset || locator_offset - rec_offset < kEocd64MinSize) {
    if (report)
      diags.add_at(Severity::kWarning, "zip.bad_zip64_locator", where,
                   "ZIP64 locator points outside the archive", locator_offset);
    return !needed;
  }
  ByteReader rr(bytes, rec_offset);
  if (rr.u32() != kEocd64Signature) {
    if (report)
      diags.add_at(Severity::kWarning, "zip.bad_zip64_eocd", where,
                   "ZIP64 end of central directory signature missing", rec_offset);
    return !needed;
  }
  rr.u64(); // size of the record
  rr.u16(); // version made by
  rr.u16(); // version needed
  rr.u32(); // this disk
  rr.u32(); // disk with CD start
  rr.u64(); // entries on this disk
  uint64_t total = rr.u64();
  uint64_t cd_size = rr.u64();
  uint64_t cd_offset = rr.u64();
  if (!rr.ok()) return !needed;
  loc.entry_count = total;
  loc.cd_size = cd_size;
  loc.cd_offset = cd_offset;
  loc.end_limit = rec_offset;
  loc.zip64 = true;
  return true;
}

/// True when the central directory described by `loc` plausibly exists.
bool consistent(ByteView bytes, const CdLocation& loc) {
  if (!in_bounds(loc.end_limit, loc.cd_offset, loc.cd_size)) return false;
  if (loc.entry_count == 0) return true;
  if (loc.cd_size < kCdHeaderSize) return false;
  return load_u32le(bytes.data() + loc.cd_offset) == kCdSignature;
}

/// Finds the end of central directory: scans backwards over the last 64 KiB + 22 bytes
/// (APPNOTE 4.3.16: the comment is at most 65535 bytes) and keeps the first candidate,
/// from the end, whose central directory is consistent. Android takes the last signature
/// in the file and rejects any trailing bytes; fake EOCDs hidden in a comment are skipped
/// here (diagnostic) because they do not point at a central directory.
std::optional<CdLocation> find_eocd(ByteView bytes, Diagnostics& diags, const std::string& where) {
  if (bytes.size() < kEocdSize) return std::nullopt;
  const uint64_t last = bytes.size() - kEocdSize;
  const uint64_t first = last > kMaxCommentSize ? last - kMaxCommentSize : 0;
  std::optional<CdLocation> fallback; // consistent, but with bytes after the comment
  uint32_t skipped = 0;
  for (uint64_t pos = last + 1; pos-- > first;) {
    const uint8_t* p = bytes.data() + pos;
    if (p[0] != 0x50 || load_u32le(p) != kEocdSignature) continue;
    ByteReader r(bytes, pos + 4);
    uint16_t disk = r.u16();
    uint16_t cd_disk = r.u16();
    r.u16(); // entries on this disk
    uint16_t total = r.u16();
    uint32_t cd_size = r.u32();
    uint32_t cd_offset = r.u32();
    uint16_t comment_len = r.u16();
    CdLocation loc;
    loc.eocd_offset = pos;
    loc.entry_count = total;
    loc.cd_size = cd_size;
    loc.cd_offset = cd_offset;
    loc.end_limit = pos;
    loc.exact_comment = pos + kEocdSize + comment_len == bytes.size();
    bool needs64 = total == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu;
    bool ok64 = read_zip64(bytes, loc, needs64, diags, where, false);
    if (!ok64 || (disk != 0 && disk != 0xffff) || (cd_disk != 0 && cd_disk != 0xffff) ||
        !consistent(bytes, loc)) {
      ++skipped;
      continue;
    }
    if (loc.exact_comment) {
      if (skipped > 0)
        diags.add_at(Severity::kWarning, "zip.fake_eocd", where,
                     "skipped " + std::to_string(skipped) +
                         " end-of-central-directory signature(s) that do not point at a "
                         "central directory (e.g. hidden in the comment)",
                     pos);
      // Re-run to report ZIP64 problems once, for the chosen record.
      CdLocation again = loc;
      read_zip64(bytes, again, needs64, diags, where, true);
      return loc;
    }
    if (!fallback) fallback = loc;
    ++skipped;
  }
  if (fallback) {
    diags.add_at(Severity::kWarning, "zip.trailing_bytes", where,
                 "bytes after the end-of-central-directory comment (Android rejects this)",
                 fallback->eocd_offset);
  }
  return fallback;
}

/// APPNOTE 4.5.3: ZIP64 extended information; only fields whose 32-bit value is
/// 0xFFFFFFFF are present, in the order uncompressed, compressed, offset.
/// Returns false when the extra block is malformed (walking it ran off its end).
bool apply_extra(ByteView extra, ZipEntry& e, bool u_max, bool c_max, bool o_max,
                 bool& zip64_missing) {
  ByteReader r(extra);
  bool found = false;
  while (r.remaining() >= 4) {
    uint16_t id = r.u16();
    uint16_t size = r.u16();
    ByteView body = r.take(size);
    if (!r.ok()) return false;
    if (id != kZip64ExtraId || found) continue;
    found = true;
    ByteReader z(body);
    if (u_max) e.uncompressed_size = z.u64();
    if (c_max) e.compressed_size = z.u64();
    if (o_max) e.local_header_offset = z.u64();
    if (!z.ok()) zip64_missing = true;
  }
  if ((u_max || c_max || o_max) && !found) zip64_missing = true;
  return r.remaining() == 0;
}

/// A name component equal to "..", an absolute path, a backslash or a NUL byte.
bool suspicious_name(std::string_view name) {
  if (name.empty()) return true;
  if (name.front() == '/') return true;
  if (name.find('\\') != std::string_view::npos) return true;
  if (name.find('\0') != std::string_view::npos) return true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

struct LocalHeader {
  uint16_t name_len = 0;
  uint16_t extra_len = 0;
  uint64_t offset = 0;
};

Expected<LocalHeader> read_local_header(ByteView bytes, const ZipEntry& e,
                                        const std::string& where) {
  ByteReader r(bytes, e.local_header_offset);
  if (!r.ok() || !r.has(kLocalHeaderSize))
    return make_error_at(Errc::kTruncated, "local file header beyond end of archive",
                         entry_where(where, e.name), e.local_header_offset);
  if (r.u32() != kLocalSignature)
    return make_error_at(Errc::kMalformed, "local file header signature missing",
                         entry_where(where, e.name), e.local_header_offset);
  r.skip(22);
  LocalHeader h;
  h.name_len = r.u16();
  h.extra_len = r.u16();
  h.offset = e.local_header_offset;
  return h;
}

/// zlib's crc32 takes uInt lengths; feed large buffers in chunks.
uint32_t crc_of(ByteView data, uint32_t crc = 0) {
  uLong c = crc;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = std::min<size_t>(data.size() - pos, 1u << 30);
    c = ::crc32(c, data.data() + pos, static_cast<uInt>(n));
    pos += n;
  }
  return static_cast<uint32_t>(c);
}

} // namespace

Expected<ZipArchive> ZipArchive::open(ByteView bytes, Diagnostics& diags, std::string where) {
  ZipArchive zip;
  zip.bytes_ = bytes;
  zip.where_ = std::move(where);
  const std::string& w = zip.where_;

  if (bytes.size() < kEocdSize)
    return make_error(Errc::kTruncated, "too small to be a zip archive", w);
  std::optional<CdLocation> loc = find_eocd(bytes, diags, w);
  if (!loc) return make_error(Errc::kMalformed, "no usable end of central directory record", w);
  zip.cd_offset_ = loc->cd_offset;
  zip.cd_size_ = loc->cd_size;
  zip.eocd_offset_ = loc->eocd_offset;

  if (loc->cd_offset + loc->cd_size != loc->end_limit)
    diags.add_at(Severity::kInfo, "zip.gap_before_eocd", w,
                 std::to_string(loc->end_limit - loc->cd_offset - loc->cd_size) +
                     " bytes between the central directory and the end record (Android "
                     "accepts this; APK Signature Scheme v2 does not)",
                 loc->cd_offset + loc->cd_size);

  ByteView cd = subview(bytes, loc->cd_offset, loc->cd_size);
  ByteReader r(cd);
  uint64_t count = loc->entry_count;
  if (count > limits::kMaxZipEntries) {
    diags.add(Severity::kError, "zip.too_many_entries", w,
              "central directory declares " + std::to_string(count) + " entries; reading " +
                  std::to_string(limits::kMaxZipEntries));
    count = limits::kMaxZipEntries;
  }
  // Every record takes at least 46 bytes, so the CD size bounds the reservation.
  std::vector<ZipEntry> all;
  all.reserve(static_cast<size_t>(std::min<uint64_t>(count, cd.size() / kCdHeaderSize)));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t rec = r.pos();
    if (r.remaining() < kCdHeaderSize || r.u32() != kCdSignature) {
      diags.add_at(Severity::kError, "zip.truncated_central_directory", w,
                   "central directory ends after " + std::to_string(i) + " of " +
                       std::to_string(loc->entry_count) + " entries",
                   loc->cd_offset + rec);
      break;
    }
    ZipEntry e;
    r.u16(); // version made by
    r.u16(); // version needed
    e.flags = r.u16();
    e.method = r.u16();
    r.u16(); // time
    r.u16(); // date
    e.crc32 = r.u32();
    uint32_t csize = r.u32();
    uint32_t usize = r.u32();
    uint16_t name_len = r.u16();
    uint16_t extra_len = r.u16();
    uint16_t comment_len = r.u16();
    r.u16(); // disk number start
    r.u16(); // internal attributes
    r.u32(); // external attributes
    uint32_t offset = r.u32();
    ByteView name = r.take(name_len);
    ByteView extra = r.take(extra_len);
    r.take(comment_len);
    if (!r.ok()) {
      diags.add_at(Severity::kError, "zip.truncated_central_directory", w,
                   "central directory record " + std::to_string(i) + " runs past its end",
                   loc->cd_offset + rec);
      break;
    }
    e.name.assign(reinterpret_cast<const char*>(name.data()), name.size());
    e.compressed_size = csize;
    e.uncompressed_size = usize;
    e.local_header_offset = offset;
    e.cd_index = static_cast<uint32_t>(i);
    bool zip64_missing = false;
    if (!apply_extra(extra, e, usize == 0xffffffffu, csize == 0xffffffffu, offset == 0xffffffffu,
                     zip64_missing))
      diags.add(Severity::kInfo, "zip.bad_extra_field", entry_where(w, e.name),
                "central directory extra field is not a valid id/size list (ignored)");
    if (zip64_missing)
      diags.add(Severity::kWarning, "zip.missing_zip64_extra", entry_where(w, e.name),
                "32-bit field is 0xFFFFFFFF but no ZIP64 value is given");
    all.push_back(std::move(e));
  }

  // Duplicates: keep the first in central-directory order (stable sort by name).
  std::vector<uint32_t> order(all.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return all[a].name < all[b].name; });
  std::vector<bool> drop(all.size(), false);
  for (size_t i = 1; i < order.size(); ++i) {
    if (all[order[i]].name == all[order[i - 1]].name) {
      drop[order[i]] = true;
      order[i] = order[i - 1]; // so a triple compares against the kept one
      diags.add(Severity::kError, "zip.duplicate_entry", entry_where(w, all[order[i]].name),
                "duplicate entry name; the first is kept (Android refuses to install this)");
    }
  }

  zip.entries_.reserve(all.size());
  std::vector<uint32_t> new_index(all.size(), 0);
  for (size_t i = 0; i < all.size(); ++i) {
    if (drop[i]) continue;
    new_index[i] = static_cast<uint32_t>(zip.entries_.size());
    zip.entries_.push_back(std::move(all[i]));
  }
  zip.sorted_.reserve(zip.entries_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && order[i] == order[i - 1]) continue;
    zip.sorted_.push_back(new_index[order[i]]);
  }

  // Per-entry checks that need the local header; problems are diagnostics, the entry is
  // kept (reading it later reports the error).
  std::vector<std::pair<uint64_t, uint64_t>> spans; // [local header, end of data)
  spans.reserve(zip.entries_.size());
  for (const ZipEntry& e : zip.entries_) {
    std::string ew;
    auto where_of = [&]() -> const std::string& {
      if (ew.empty()) ew = entry_where(w, e.name);
      return ew;
    };
    if (suspicious_name(e.name))
      diags.add(Severity::kWarning, "zip.suspicious_name", where_of(),
                "entry name is empty, absolute, or contains '..', '\\' or NUL");
    if (e.name.size() > limits::kMaxZipNameLength)
      diags.add(Severity::kWarning, "zip.long_name", where_of(),
                "entry name is " + std::to_string(e.name.size()) + " bytes long");
    if ((e.flags & kFlagEncrypted) != 0)
      diags.add(Severity::kInfo, "zip.encrypted_flag_ignored", where_of(),
                "general purpose bit 0 (encrypted) is set; Android ignores it and so do we");
    if (e.method != kMethodStored && e.method != kMethodDeflated)
      diags.add(Severity::kWarning, "zip.unknown_method_as_deflated", where_of(),
                "compression method " + std::to_string(e.method) +
                    "; Android reads every method other than STORED as DEFLATED, and so do we");
    if (e.method == kMethodStored && e.compressed_size != e.uncompressed_size)
      diags.add(Severity::kWarning, "zip.stored_size_mismatch", where_of(),
                "stored entry with compressed size " + std::to_string(e.compressed_size) +
                    " != uncompressed size " + std::to_string(e.uncompressed_size));
    auto lh = read_local_header(bytes, e, w);
    if (!lh) {
      diags.add_error("zip.bad_local_header", lh.error());
      continue;
    }
    uint64_t name_at = e.local_header_offset + kLocalHeaderSize;
    ByteView local_name = subview(bytes, name_at, lh->name_len);
    if (local_name.size() != lh->name_len || as_chars(local_name) != e.name)
      diags.add_at(Severity::kWarning, "zip.local_name_mismatch", where_of(),
                   "local header name differs from the central directory (central is used)",
                   e.local_header_offset);
    uint64_t data = name_at + lh->name_len + lh->extra_len;
    if (!in_bounds(zip.cd_offset_, data, e.compressed_size)) {
      diags.add_at(Severity::kError, "zip.data_out_of_range", where_of(),
                   "entry data runs into the central directory or past the archive",
                   e.local_header_offset);
      continue;
    }
    spans.emplace_back(e.local_header_offset, data + e.compressed_size);
  }
  // Entries sharing bytes: the "overlapping files" zip bomb, or a packer hiding one entry
  // inside another. Android's installer does not check this; we report it once.
  std::sort(spans.begin(), spans.end());
  uint64_t overlaps = 0;
  for (size_t i = 1; i < spans.size(); ++i)
    if (spans[i].first < spans[i - 1].second) ++overlaps;
  if (overlaps > 0)
    diags.add(Severity::kWarning, "zip.overlapping_entries", w,
              std::to_string(overlaps) + " entries overlap the data of another entry");
  return zip;
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                             [&](uint32_t i, std::string_view n) { return entries_[i].name < n; });
  if (it == sorted_.end() || entries_[*it].name != name) return nullptr;
  return &entries_[*it];
}

Expected<uint64_t> ZipArchive::data_offset(const ZipEntry& e) const {
  auto lh = read_local_header(bytes_, e, where_);
  if (!lh) return lh.error();
  uint64_t data = e.local_header_offset + kLocalHeaderSize + lh->name_len + lh->extra_len;
  if (data > bytes_.size())
    return make_error_at(Errc::kTruncated, "local header name/extra run past the archive",
                         entry_where(where_, e.name), e.local_header_offset);
  return data;
}

Expected<ByteView> ZipArchive::raw_data(const ZipEntry& e) const {
  auto off = data_offset(e);
  if (!off) return off.error();
  // Android (libziparchive) requires the data to end before the central directory.
  uint64_t size = e.method == kMethodStored ? e.uncompressed_size : e.compressed_size;
  if (!in_bounds(cd_offset_, *off, size))
    return make_error_at(in_bounds(bytes_.size(), *off, size) ? Errc::kMalformed : Errc::kTruncated,
                         "entry data runs into the central directory or past the archive",
                         entry_where(where_, e.name), *off);
  return subview(bytes_, *off, size);
}

Expected<EntryData> ZipArchive::inflate(const ZipEntry& e, uint64_t max_out, bool whole) const {
  const std::string ew = entry_where(where_, e.name);
  auto raw = raw_data(e);
  if (!raw) return raw.error();
  const uint64_t declared = e.uncompressed_size;
  if (whole) {
    if (declared > limits::kMaxEntryInflatedSize)
      return make_error(Errc::kLimit,
                        "declared size " + std::to_string(declared) + " exceeds the entry limit",
                        ew);
    if (declared > limits::kRatioCheckFloor &&
        declared / std::max<uint64_t>(e.compressed_size, 1) > limits::kMaxInflateRatio)
      return make_error(
          Errc::kLimit,
          "inflate ratio above " + std::to_string(limits::kMaxInflateRatio) + ":1 (zip bomb?)", ew);
    if (declared > limits::kMaxTotalInflated - std::min(inflated_total_, limits::kMaxTotalInflated))
      return make_error(Errc::kLimit, "archive-wide inflate budget exhausted", ew);
  }
  const uint64_t want = std::min(declared, max_out);

  EntryData out;
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
    return make_error(Errc::kLimit, "zlib could not be initialised", ew);
  // Grow the buffer geometrically: the declared size is a hint bounded by the limits
  // above, not an allocation request.
  size_t cap = static_cast<size_t>(
      std::min<uint64_t>(want + (whole ? 1 : 0), std::max<uint64_t>(64 * 1024, raw->size() * 4)));
  out.owned.resize(cap);
  const uint8_t* in = raw->data();
  uint64_t in_left = raw->size();
  uint64_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.owned.size()) {
      // One byte beyond `want` detects streams longer than declared.
      uint64_t limit = want + (whole ? 1 : 0);
      if (produced >= limit) break;
      uint64_t next = std::min<uint64_t>(limit, std::max<uint64_t>(produced * 2, 64 * 1024));
      out.owned.resize(static_cast<size_t>(next));
    }
    uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
    uInt out_chunk = static_cast<uInt>(std::min<uint64_t>(out.owned.size() - produced, 1u << 30));
    zs.next_in = const_cast<Bytef*>(in); // zlib's API is not const-correct
    zs.avail_in = in_chunk;
    zs.next_out = out.owned.data() + produced;
    zs.avail_out = out_chunk;
    rc = ::inflate(&zs, Z_NO_FLUSH);
    uint64_t consumed = in_chunk - zs.avail_in;
    uint64_t made = out_chunk - zs.avail_out;
    in += consumed;
    in_left -= consumed;
    produced += made;
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR) {
      // No progress: either the output is full (grow and retry) or the input ran out
      // before the end of the stream.
      if (in_left > 0 && produced == out.owned.size()) continue;
      break;
    }
    if (rc != Z_OK) break;
    if (!whole && produced >= want) break;
  }
  std::string zmsg = zs.msg != nullptr ? zs.msg : "zlib error";
  inflateEnd(&zs);
  inflated_total_ += produced;

  if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
    return make_error(Errc::kMalformed, "invalid deflate data: " + zmsg, ew);
  if (whole) {
    if (produced > declared)
      return make_error(
          Errc::kMalformed,
          "deflate stream is longer than the declared size " + std::to_string(declared), ew);
    if (rc != Z_STREAM_END)
      return make_error(Errc::kTruncated, "deflate stream ends before its end-of-block", ew);
    if (produced != declared)
      return make_error(
          Errc::kMalformed,
          "inflated " + std::to_string(produced) + " bytes, declared " + std::to_string(declared),
          ew);
  } else if (produced < want && rc != Z_STREAM_END) {
    return make_error(Errc::kTruncated, "deflate stream ends early", ew);
  }
  out.owned.resize(static_cast<size_t>(std::min<uint64_t>(produced, want)));
  out.owned.shrink_to_fit();
  out.data = ByteView(out.owned.data(), out.owned.size());
  out.crc_ok = whole ? crc_of(out.data) == e.crc32 : true;
  return out;
}

Expected<EntryData> ZipArchive::read(const ZipEntry& e) const {
  if (e.method == kMethodStored) {
    if (e.uncompressed_size > limits::kMaxEntryInflatedSize)
      return make_error(Errc::kLimit, "stored entry larger than the entry limit",
                        entry_where(where_, e.name));
    auto raw = raw_data(e);
    if (!raw) return raw.error();
    EntryData out;
    out.data = *raw;
    out.crc_ok = crc_of(out.data) == e.crc32;
    return out;
  }
  // Like Android's package manager (apksig's testWeirdZipCompressionMethod documents it),
  // every method other than STORED is inflated; data that is not deflate fails as kMalformed.
  return inflate(e, e.uncompressed_size, true);
}

Expected<EntryData> ZipArchive::read_prefix(const ZipEntry& e, uint64_t n) const {
  if (e.method == kMethodStored) {
    auto raw = raw_data(e);
    if (!raw) return raw.error();
    EntryData out;
    out.data = raw->first(static_cast<size_t>(std::min<uint64_t>(n, raw->size())));
    return out;
  }
  return inflate(e, n, false); // any method other than STORED: DEFLATED, as in read()
}

} // namespace appaudit::apk
