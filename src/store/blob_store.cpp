// Content-addressed blob store (see blob_store.hpp).
#include "store/blob_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace appaudit::store {
namespace {

std::string to_hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

std::string errno_text() { return std::strerror(errno); }

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return {};
  return make_error(Errc::kIo, "cannot create folder: " + errno_text(), path);
}

Status fsync_dir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::kIo, "cannot open folder: " + errno_text(), path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return make_error(Errc::kIo, "cannot sync folder: " + errno_text(), path);
  return {};
}

struct EvpCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

/// A temporary file removed on destruction unless released.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int close_fd() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
  int fd_;
};

} // namespace

bool is_sha256_hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  return to_hex(md, n);
}

std::string random_hex(size_t n) {
  std::vector<unsigned char> bytes(n);
  if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) return {};
  std::string out = to_hex(bytes.data(), n);
  OPENSSL_cleanse(bytes.data(), n);
  return out;
}

BlobStore::BlobStore(std::string root) : root_(std::move(root)) {}

std::string BlobStore::path_of(std::string_view sha256) const {
  if (!is_sha256_hex(sha256)) return {};
  return root_ + "/" + std::string(sha256.substr(0, 2)) + "/" + std::string(sha256);
}

bool BlobStore::contains(std::string_view sha256) const {
  const std::string p = path_of(sha256);
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

struct BlobWriter::Impl {
  Impl(const BlobStore& s, std::string path, int fd, uint64_t max)
      : store(s), tmp(std::move(path), fd), max_size(max) {}
  const BlobStore& store;
  TempFile tmp;
  std::unique_ptr<EVP_MD_CTX, EvpCtxFree> ctx{EVP_MD_CTX_new()};
  uint64_t max_size;
  bool dead = false;
};

BlobWriter::BlobWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlobWriter::~BlobWriter() = default;

Status BlobWriter::write(const char* data, size_t n) {
  Impl& w = *impl_;
  if (w.dead) return make_error(Errc::kIo, "write after a failed write", w.tmp.path());
  size_ += n;
  if (size_ > w.max_size) {
    w.dead = true;
    return make_error(Errc::kLimit,
                      "larger than the limit of " + std::to_string(w.max_size) + " bytes");
  }
  EVP_DigestUpdate(w.ctx.get(), data, n);
  size_t off = 0;
  while (off < n) {
    const ssize_t got = ::write(w.tmp.fd(), data + off, n - off);
    if (got < 0) {
      if (errno == EINTR) continue;
      w.dead = true;
      return make_error(Errc::kIo, "cannot write: " + errno_text(), w.tmp.path());
    }
    off += static_cast<size_t>(got);
  }
  return {};
}

Expected<BlobInfo> BlobWriter::finish(std::string_view expected_sha256) {
  Impl& w = *impl_;
  if (w.dead) return make_error(Errc::kIo, "finish after a failed write", w.tmp.path());
  w.dead = true; // one finish per writer
  if (!expected_sha256.empty() && !is_sha256_hex(expected_sha256)) {
    return make_error(Errc::kMalformed, "expected SHA-256 is not 64 lower-case hex digits");
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(w.ctx.get(), md, &md_len);
  BlobInfo info;
  info.sha256 = to_hex(md, md_len);
  info.size = size_;
  if (!expected_sha256.empty() && expected_sha256 != info.sha256) {
    return make_error(Errc::kMalformed, "contents have SHA-256 " + info.sha256 +
                                            ", not the expected " + std::string(expected_sha256));
  }
  if (::fsync(w.tmp.fd()) != 0 || w.tmp.close_fd() != 0) {
    return make_error(Errc::kIo, "cannot sync: " + errno_text(), w.tmp.path());
  }
  const std::string fan_dir = w.store.root() + "/" + info.sha256.substr(0, 2);
  if (Status s = make_dir(fan_dir); !s) return s.error();
  const std::string final_path = fan_dir + "/" + info.sha256;
  if (w.store.contains(info.sha256)) {
    info.existed = true; // same name, same bytes: keep the old copy, drop the temporary one
    return info;
  }
  if (::rename(w.tmp.path().c_str(), final_path.c_str()) != 0) {
    return make_error(Errc::kIo, "cannot move into place: " + errno_text(), final_path);
  }
  w.tmp.release();
  if (Status s = fsync_dir(fan_dir); !s) return s.error();
  return info;
}

Expected<std::unique_ptr<BlobWriter>> BlobStore::begin(uint64_t max_size) {
  const std::string tmp_dir = root_ + "/tmp";
  if (Status s = make_dir(root_); !s) return s.error();
  if (Status s = make_dir(tmp_dir); !s) return s.error();
  const std::string name = random_hex(12);
  if (name.empty()) return make_error(Errc::kIo, "no randomness for a temporary name");
  std::string tmp_path = tmp_dir + "/" + name + ".part";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(Errc::kIo, "cannot create: " + errno_text(), tmp_path);
  auto impl = std::make_unique<BlobWriter::Impl>(*this, tmp_path, fd, max_size);
  if (!impl->ctx || EVP_DigestInit_ex(impl->ctx.get(), EVP_sha256(), nullptr) != 1) {
    return make_error(Errc::kIo, "SHA-256 unavailable");
  }
  return std::unique_ptr<BlobWriter>(new BlobWriter(std::move(impl)));
}

Expected<BlobInfo> BlobStore::put(const BlobReader& read, uint64_t max_size,
                                  std::string_view expected_sha256) {
  if (!expected_sha256.empty() && !is_sha256_hex(expected_sha256)) {
    return make_error(Errc::kMalformed, "expected SHA-256 is not 64 lower-case hex digits");
  }
  auto writer = begin(max_size);
  if (!writer) return writer.error();
  std::vector<char> buffer(1 << 16);
  while (true) {
    Expected<size_t> got = read(buffer.data(), buffer.size());
    if (!got) return got.error();
    if (*got == 0) break;
    if (Status s = (*writer)->write(buffer.data(), *got); !s) return s.error();
  }
  return (*writer)->finish(expected_sha256);
}

Expected<BlobInfo> BlobStore::put_file(const std::string& path, uint64_t max_size,
                                       std::string_view expected_sha256) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::kIo, "cannot open: " + errno_text(), path);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  return put(
      [&](char* buf, size_t cap) -> Expected<size_t> {
        while (true) {
          const ssize_t n = ::read(fd, buf, cap);
          if (n >= 0) return static_cast<size_t>(n);
          if (errno != EINTR) return make_error(Errc::kIo, "cannot read: " + errno_text(), path);
        }
      },
      max_size, expected_sha256);
}

Expected<BlobInfo> BlobStore::put_bytes(std::string_view bytes, uint64_t max_size,
                                        std::string_view expected_sha256) {
  size_t pos = 0;
  return put(
      [&](char* buf, size_t cap) -> Expected<size_t> {
        const size_t n = std::min(cap, bytes.size() - pos);
        std::memcpy(buf, bytes.data() + pos, n);
        pos += n;
        return n;
      },
      max_size, expected_sha256);
}

} // namespace appaudit::store
