#pragma once
/// Modified UTF-8 (MUTF-8), the string encoding of DEX files (dex-format, "MUTF-8 (Modified
/// UTF-8) Encoding"): UTF-16 code units encoded one at a time with 1..3 bytes, U+0000 written as
/// C0 80, supplementary characters as two encoded surrogates.

#include <cstdint>
#include <string>
#include <string_view>

namespace appaudit::dex {

/// Converts MUTF-8 to standard UTF-8: C0 80 → U+0000, surrogate pairs → one 4-byte sequence.
/// Malformed bytes and lone surrogates become U+FFFD; never fails.
std::string mutf8_to_utf8(std::string_view mutf8);

/// True when every byte is < 0x80 (then MUTF-8 and UTF-8 agree and no conversion is needed).
bool is_ascii(std::string_view s);

/// Number of UTF-16 code units the MUTF-8 string encodes (to compare with string_data_item's
/// declared utf16_size).
uint32_t mutf8_utf16_length(std::string_view mutf8);

} // namespace appaudit::dex
