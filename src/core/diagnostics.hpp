#pragma once
/// Diagnostics: what was odd, tolerated or skipped while reading an input, and where.
/// Parsers are lenient by default (keep going, record a diagnostic); the report lists them.

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace appaudit {

enum class Severity { kInfo, kWarning, kError };
const char* to_string(Severity s);

struct Diagnostic {
  Severity severity = Severity::kWarning;
  std::string code;    ///< stable machine id, e.g. "zip.encrypted_flag_ignored"
  std::string where;   ///< e.g. "classes2.dex" or "zip entry 'lib/x86/libfoo.so'"
  std::string message; ///< human explanation
  uint64_t offset = 0;
  bool has_offset = false;
};

/// Collects diagnostics up to limits::kMaxDiagnostics; counts the rest.
class Diagnostics {
 public:
  void add(Severity severity, std::string code, std::string where, std::string message);
  void add_at(Severity severity, std::string code, std::string where, std::string message,
              uint64_t offset);
  /// Records an Error as a diagnostic of severity kError.
  void add_error(std::string code, const Error& error);
  void append(const Diagnostics& other);

  const std::vector<Diagnostic>& items() const { return items_; }
  uint64_t dropped() const { return dropped_; }
  bool empty() const { return items_.empty() && dropped_ == 0; }

 private:
  std::vector<Diagnostic> items_;
  uint64_t dropped_ = 0;
};

} // namespace appaudit
