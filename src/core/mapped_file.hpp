#pragma once
/// A read-only memory-mapped file. Parsers hand out views into it that live as long
/// as the MappedFile does. Empty files map to an empty view.

#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/error.hpp"

namespace appaudit {

class MappedFile {
 public:
  /// Maps `path` read-only. Errors: kIo (cannot open/stat/map), kLimit (larger than
  /// limits::kMaxInputFileSize), kUnsupported (not a regular file).
  static Expected<std::unique_ptr<MappedFile>> open(const std::string& path);

  /// Wraps bytes already in memory (copied); used by tests and fuzzers.
  static std::unique_ptr<MappedFile> from_bytes(ByteView bytes, std::string name = "<memory>");

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  ByteView bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string path_;
  std::unique_ptr<uint8_t[]> owned_;
};

} // namespace appaudit
