#include "core/error.hpp"

#include <cstdio>

namespace appaudit {

const char* to_string(Errc code) {
  switch (code) {
    case Errc::kIo: return "io";
    case Errc::kTruncated: return "truncated";
    case Errc::kMalformed: return "malformed";
    case Errc::kUnsupported: return "unsupported";
    case Errc::kLimit: return "limit";
    case Errc::kNotFound: return "not_found";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out;
  if (!where.empty()) {
    out += where;
    out += ": ";
  }
  out += message;
  if (has_offset) {
    char buf[40];
    std::snprintf(buf, sizeof buf, " (at offset 0x%llx)", static_cast<unsigned long long>(offset));
    out += buf;
  }
  return out;
}

Error make_error(Errc code, std::string message, std::string where) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  e.where = std::move(where);
  return e;
}

Error make_error_at(Errc code, std::string message, std::string where, uint64_t offset) {
  Error e = make_error(code, std::move(message), std::move(where));
  e.offset = offset;
  e.has_offset = true;
  return e;
}

} // namespace appaudit
