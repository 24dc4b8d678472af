/*
 * MUTF-8 → UTF-8 (dex-format, "MUTF-8 (Modified UTF-8) Encoding").
 *
 * MUTF-8 encodes UTF-16 code units, each with the 1..3-byte UTF-8 pattern; U+0000 is C0 80 and
 * a supplementary character is two separately encoded surrogates. We decode code units, pair
 * surrogates and re-encode as standard UTF-8. Malformed input maps to U+FFFD (never fails).
 */
#include "dex/mutf8.hpp"

#include <cstring>

namespace appaudit::dex {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// Decodes one unit at s[i]; returns the value (a UTF-16 unit, or a full code point for a
/// tolerated 4-byte UTF-8 sequence) and advances i. Malformed → kReplacement.
uint32_t next_unit(std::string_view s, size_t& i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t c = b(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  const auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
  if ((c & 0xE0) == 0xC0 && cont(i + 1)) {
    const uint32_t v = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
    i += 2;
    return v; // includes C0 80 → 0
  }
  if ((c & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
    const uint32_t v = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
    i += 3;
    return v;
  }
  if ((c & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    const uint32_t v = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) |
                       ((b(i + 2) & 0x3Fu) << 6) | (b(i + 3) & 0x3Fu);
    i += 4;
    return v <= 0x10FFFF && v >= 0x10000 ? v : kReplacement;
  }
  ++i;
  return kReplacement;
}

} // namespace

bool is_ascii(std::string_view s) {
  for (char ch : s) {
    if (static_cast<uint8_t>(ch) >= 0x80) return false;
  }
  return true;
}

std::string mutf8_to_utf8(std::string_view mutf8) {
  std::string out;
  if (is_ascii(mutf8)) return std::string(mutf8);
  out.reserve(mutf8.size() + 4);
  size_t i = 0;
  while (i < mutf8.size()) {
    uint32_t u = next_unit(mutf8, i);
    if (u >= 0xD800 && u <= 0xDBFF) {
      size_t j = i;
      if (j < mutf8.size()) {
        const uint32_t lo = next_unit(mutf8, j);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
          i = j;
          continue;
        }
      }
      u = kReplacement;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      u = kReplacement;
    }
    append_utf8(out, u);
  }
  return out;
}

uint32_t mutf8_utf16_length(std::string_view mutf8) {
  uint32_t n = 0;
  size_t i = 0;
  while (i < mutf8.size()) {
    const uint32_t u = next_unit(mutf8, i);
    n += u >= 0x10000 ? 2 : 1;
  }
  return n;
}

} // namespace appaudit::dex
