#pragma once
/// Turning a privacy-policy file's bytes into text: encoding detection and decoding (UTF-8,
/// UTF-16 LE/BE, GB18030 and its subsets GBK/GB2312, through glibc iconv), and HTML reduced
/// to text with a map from every text position back to the source.
///
/// Offsets everywhere in the policy layer are Unicode code points of the text (`PolicyText::
/// text`), not bytes: for a plain-text file that is exactly the file's content decoded (a
/// byte-order mark is not part of the text); for HTML it is the reduced text, and
/// `source_offset` maps a text position back to a code-point offset into the decoded source.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::policy {

/// Largest policy file read (a policy is text: a few hundred KiB at most in practice).
inline constexpr uint64_t kMaxPolicyBytes = 16ull << 20; // 16 MiB

enum class Encoding { kUtf8, kUtf16Le, kUtf16Be, kGb18030 };
const char* to_string(Encoding e);

enum class TextFormat { kPlain, kHtml };
const char* to_string(TextFormat f);

struct PolicyText {
  std::u32string text; ///< the text, one element per code point
  Encoding encoding = Encoding::kUtf8;
  TextFormat format = TextFormat::kPlain;
  bool bom = false;    ///< the file started with a byte-order mark (not in `text`)
  size_t replaced = 0; ///< invalid sequences replaced by U+FFFD
  /// HTML only: for each text position (and one past the end), the code-point offset in the
  /// decoded source it came from. Empty for plain text (positions are source positions).
  std::vector<uint32_t> source_map;

  uint32_t source_offset(size_t text_pos) const {
    if (source_map.empty()) return static_cast<uint32_t>(text_pos);
    return source_map[text_pos < source_map.size() ? text_pos : source_map.size() - 1];
  }
  /// UTF-8 of text[start, end).
  std::string utf8(size_t start, size_t end) const;
};

/// Decodes bytes to code points. Detection order: byte-order mark; UTF-16 by its pattern of
/// zero bytes; any other NUL or many control bytes → not text (error); valid UTF-8; valid
/// GB18030; nearly valid UTF-8 (≥ 99% of the bytes) with U+FFFD for the bad sequences and a
/// diagnostic; otherwise an error naming the first bad byte.
Expected<PolicyText> decode_text(ByteView bytes, std::string_view name, Diagnostics& diags);

/// Whether decoded text looks like HTML (a doctype, <html>, <body>, or several block tags
/// near the start).
bool looks_like_html(const std::u32string& text);

/// Reduces HTML to text in place: tags removed, script/style/head contents and comments
/// dropped, block elements and <br> become line breaks, table cells tabs, character
/// references decoded, runs of blanks collapsed. Fills `source_map`.
void reduce_html(PolicyText& doc);

/// Reads `bytes` as a policy: decodes, and reduces HTML when `name` ends in .htm/.html/.xhtml
/// or the content looks like HTML.
Expected<PolicyText> read_policy_text(ByteView bytes, std::string_view name, Diagnostics& diags);

/// UTF-8 encoding of code points (surrogates and values past U+10FFFF as U+FFFD).
std::string to_utf8(std::u32string_view s);
/// Appends the UTF-8 encoding of one code point, as to_utf8 does.
void append_utf8(std::string& out, char32_t c);
/// Code points of UTF-8 (invalid sequences become U+FFFD).
std::u32string from_utf8(std::string_view s);

} // namespace appaudit::policy
