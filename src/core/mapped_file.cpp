#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/limits.hpp"

namespace appaudit {

Expected<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(Errc::kIo, std::string("cannot open: ") + std::strerror(errno), path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::kIo, std::string("cannot stat: ") + std::strerror(err), path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::kUnsupported, "not a regular file", path);
  }
  if (static_cast<uint64_t>(st.st_size) > limits::kMaxInputFileSize) {
    ::close(fd);
    return make_error(Errc::kLimit,
                      "file larger than the input limit of " +
                          std::to_string(limits::kMaxInputFileSize) + " bytes",
                      path);
  }
  std::unique_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->size_ = static_cast<size_t>(st.st_size);
  if (f->size_ > 0) {
    void* p = ::mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return make_error(Errc::kIo, std::string("cannot map: ") + std::strerror(err), path);
    }
    f->data_ = static_cast<const uint8_t*>(p);
    f->mapped_ = true;
  }
  ::close(fd);
  return f;
}

std::unique_ptr<MappedFile> MappedFile::from_bytes(ByteView bytes, std::string name) {
  std::unique_ptr<MappedFile> f(new MappedFile());
  f->path_ = std::move(name);
  f->size_ = bytes.size();
  f->owned_ = std::make_unique<uint8_t[]>(bytes.size() + 1);
  if (!bytes.empty()) std::memcpy(f->owned_.get(), bytes.data(), bytes.size());
  f->data_ = f->owned_.get();
  return f;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

} // namespace appaudit
