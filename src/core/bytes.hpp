#pragma once
/// Byte views and a bounds-checked little-endian reader.
///
/// Every read of input bytes goes through `ByteReader` (or an explicit bounds check):
/// a read past the end sets the reader's failed state and returns 0 instead of touching
/// memory, so parsers can read a whole record and check `ok()` once.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace appaudit {

using ByteView = std::span<const uint8_t>;

/// Returns [offset, offset+size) of `bytes`, or an empty view when out of range.
/// `ok` (optional) is set to false when the range does not fit.
inline ByteView subview(ByteView bytes, uint64_t offset, uint64_t size, bool* ok = nullptr) {
  if (offset > bytes.size() || size > bytes.size() - offset) {
    if (ok != nullptr) *ok = false;
    return {};
  }
  if (ok != nullptr) *ok = true;
  return bytes.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
}

/// True when [offset, offset+size) lies within a buffer of `total` bytes (overflow-safe).
inline bool in_bounds(uint64_t total, uint64_t offset, uint64_t size) {
  return offset <= total && size <= total - offset;
}

inline uint16_t load_u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t load_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline uint64_t load_u64le(const uint8_t* p) {
  return static_cast<uint64_t>(load_u32le(p)) | (static_cast<uint64_t>(load_u32le(p + 4)) << 32);
}

inline std::string_view as_chars(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

/// Sequential, bounds-checked reader over a ByteView. Failure is sticky.
class ByteReader {
 public:
  explicit ByteReader(ByteView bytes, uint64_t pos = 0) : bytes_(bytes), pos_(pos) {
    if (pos_ > bytes_.size()) fail();
  }

  bool ok() const { return ok_; }
  uint64_t pos() const { return pos_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return ok_ ? bytes_.size() - pos_ : 0; }
  ByteView bytes() const { return bytes_; }

  void seek(uint64_t pos) {
    if (pos > bytes_.size())
      fail();
    else
      pos_ = pos;
  }
  void skip(uint64_t n) {
    if (!has(n))
      fail();
    else
      pos_ += n;
  }
  bool has(uint64_t n) const { return ok_ && n <= bytes_.size() - pos_; }

  uint8_t u8() {
    if (!has(1)) return fail(), 0;
    return bytes_[pos_++];
  }
  uint16_t u16() {
    if (!has(2)) return fail(), 0;
    uint16_t v = load_u16le(bytes_.data() + pos_);
    pos_ += 2;
    return v;
  }
  uint32_t u32() {
    if (!has(4)) return fail(), 0;
    uint32_t v = load_u32le(bytes_.data() + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    if (!has(8)) return fail(), 0;
    uint64_t v = load_u64le(bytes_.data() + pos_);
    pos_ += 8;
    return v;
  }
  /// A view of the next n bytes (empty and failed when they are not there).
  ByteView take(uint64_t n) {
    if (!has(n)) return fail(), ByteView{};
    ByteView v = bytes_.subspan(static_cast<size_t>(pos_), static_cast<size_t>(n));
    pos_ += n;
    return v;
  }
  /// Unsigned LEB128 (DEX uleb128: at most 5 bytes for 32 bits).
  uint32_t uleb128() {
    uint32_t result = 0;
    for (int i = 0; i < 5; ++i) {
      uint8_t b = u8();
      if (!ok_) return 0;
      result |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) return result;
    }
    return result; // a fifth byte with the high bit set: tolerated like ART does
  }
  int32_t sleb128() {
    uint32_t result = 0;
    int shift = 0;
    uint8_t b = 0;
    for (int i = 0; i < 5; ++i) {
      b = u8();
      if (!ok_) return 0;
      result |= static_cast<uint32_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    if (shift < 32 && (b & 0x40) != 0) result |= ~0u << shift;
    return static_cast<int32_t>(result);
  }

  void fail() { ok_ = false; }

 private:
  ByteView bytes_;
  uint64_t pos_ = 0;
  bool ok_ = true;
};

} // namespace appaudit
