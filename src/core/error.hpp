#pragma once
/// Errors and value-or-error results for everything that reads untrusted input.
///
/// Input problems are values (`Expected<T>`), never exceptions or asserts: a parser
/// that meets a bad byte returns an `Error` that says what was expected and where
/// (file-relative offset plus a human "where" such as "classes2.dex: class_defs[12]").

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace appaudit {

enum class Errc {
  kIo,          ///< the file could not be opened or read
  kTruncated,   ///< a structure runs past the end of its container
  kMalformed,   ///< a structure is present but its contents are invalid
  kUnsupported, ///< valid, but a feature we do not read (e.g. unknown compression)
  kLimit,       ///< a hard limit from core/limits.hpp was hit
  kNotFound,    ///< a required part is missing (e.g. no AndroidManifest.xml)
};

/// Stable lower-case name of an error code, used in messages and reports.
const char* to_string(Errc code);

struct Error {
  Errc code = Errc::kMalformed;
  std::string message; ///< what was wrong, e.g. "string_ids_off beyond file size"
  std::string where;   ///< which part, e.g. "classes2.dex" or "AndroidManifest.xml"
  uint64_t offset = 0; ///< byte offset within `where`, when meaningful
  bool has_offset = false;

  /// "where: message (at offset 0x1234)".
  std::string to_string() const;
};

Error make_error(Errc code, std::string message, std::string where = {});
Error make_error_at(Errc code, std::string message, std::string where, uint64_t offset);

/// A value or an Error. Deliberately small: C++20 has no std::expected.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}     // NOLINT
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {} // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

/// Expected<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {} // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

} // namespace appaudit
