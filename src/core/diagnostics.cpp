#include "core/diagnostics.hpp"

#include "core/limits.hpp"

namespace appaudit {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "unknown";
}

void Diagnostics::add(Severity severity, std::string code, std::string where, std::string message) {
  if (items_.size() >= limits::kMaxDiagnostics) {
    ++dropped_;
    return;
  }
  Diagnostic d;
  d.severity = severity;
  d.code = std::move(code);
  d.where = std::move(where);
  d.message = std::move(message);
  items_.push_back(std::move(d));
}

void Diagnostics::add_at(Severity severity, std::string code, std::string where,
                         std::string message, uint64_t offset) {
  size_t before = items_.size();
  add(severity, std::move(code), std::move(where), std::move(message));
  if (items_.size() > before) {
    items_.back().offset = offset;
    items_.back().has_offset = true;
  }
}

void Diagnostics::add_error(std::string code, const Error& error) {
  if (error.has_offset) {
    add_at(Severity::kError, std::move(code), error.where, error.message, error.offset);
  } else {
    add(Severity::kError, std::move(code), error.where, error.message);
  }
}

void Diagnostics::append(const Diagnostics& other) {
  for (const auto& d : other.items_) {
    if (items_.size() >= limits::kMaxDiagnostics) {
      ++dropped_;
      continue;
    }
    items_.push_back(d);
  }
  dropped_ += other.dropped_;
}

} // namespace appaudit
