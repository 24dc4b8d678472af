#pragma once
/// Content-addressed storage of APK bytes: DIR/blobs/ab/abcdef… named by the SHA-256 of the
/// contents (lower-case hex, the first two digits as a fan-out folder).
///
/// A put streams its input through SHA-256 into a temporary file under DIR/blobs/tmp (never
/// holding the whole APK in memory), stops at a size limit, fsyncs the file, renames it into
/// place and fsyncs the folder. A crash leaves either no blob or a whole one (plus, at worst, a
/// stale temporary file). Putting the same bytes twice keeps one copy. Safe across threads
/// and processes: rename is atomic and the name says what the contents are.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace appaudit::store {

struct BlobInfo {
  std::string sha256; ///< 64 lower-case hex digits
  uint64_t size = 0;
  bool existed = false; ///< the store already had these bytes
};

/// Reads up to `capacity` bytes into `buffer`; returns how many (0 at the end) or an Error.
using BlobReader = std::function<Expected<size_t>(char* buffer, size_t capacity)>;

/// A put in progress, fed by pushes (an HTTP body arriving in pieces). Nothing is visible in
/// the store until finish() succeeds; dropping the writer removes its temporary file.
class BlobWriter {
 public:
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  /// Appends bytes; fails with kLimit past the size limit (the writer is then dead).
  Status write(const char* data, size_t size);
  uint64_t size() const { return size_; }
  /// Syncs the file and moves it into place under its SHA-256 (see BlobStore::put).
  Expected<BlobInfo> finish(std::string_view expected_sha256 = {});

 private:
  friend class BlobStore;
  struct Impl;
  explicit BlobWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  uint64_t size_ = 0;
};

class BlobStore {
 public:
  /// `root` is the blobs folder (DIR/blobs); created on first put.
  explicit BlobStore(std::string root);

  /// Streams bytes from `read` into the store. Fails with kLimit beyond `max_size` bytes, and
  /// with kMalformed when `expected_sha256` is given and the contents do not match it; in
  /// both cases nothing is kept.
  Expected<BlobInfo> put(const BlobReader& read, uint64_t max_size,
                         std::string_view expected_sha256 = {});
  /// A push-style put: write() the bytes as they come, then finish().
  Expected<std::unique_ptr<BlobWriter>> begin(uint64_t max_size);
  /// put() from a file on disk.
  Expected<BlobInfo> put_file(const std::string& path, uint64_t max_size,
                              std::string_view expected_sha256 = {});
  /// put() from bytes in memory (tests, small inputs).
  Expected<BlobInfo> put_bytes(std::string_view bytes, uint64_t max_size,
                               std::string_view expected_sha256 = {});

  /// Path of the blob `sha256` (which need not exist); empty when `sha256` is not 64 hex digits.
  std::string path_of(std::string_view sha256) const;
  bool contains(std::string_view sha256) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

/// True when `text` is 64 lower-case hex digits.
bool is_sha256_hex(std::string_view text);
/// SHA-256 of `bytes` as lower-case hex.
std::string sha256_hex(std::string_view bytes);
/// `n` bytes from OpenSSL's RAND_bytes as lower-case hex; empty when no randomness is available.
std::string random_hex(size_t n);

} // namespace appaudit::store
