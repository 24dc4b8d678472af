#include "policy/text.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace appaudit::policy {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

/// Decodes one UTF-8 sequence at `i`; returns its length, 0 when invalid (overlong forms,
/// surrogates and values above U+10FFFF are invalid, RFC 3629 §3).
size_t utf8_sequence(ByteView b, size_t i, char32_t& cp) {
  const uint8_t c = b[i];
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  size_t n = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > b.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b[i + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b[i + k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/// Bytes in invalid UTF-8 sequences (0 for valid UTF-8); `first_bad` their first offset.
size_t utf8_invalid_bytes(ByteView b, size_t& first_bad) {
  size_t bad = 0;
  first_bad = b.size();
  char32_t cp = 0;
  for (size_t i = 0; i < b.size();) {
    size_t n = utf8_sequence(b, i, cp);
    if (n == 0) {
      if (bad == 0) first_bad = i;
      ++bad;
      ++i;
    } else {
      i += n;
    }
  }
  return bad;
}

std::u32string decode_utf8(ByteView b, size_t& replaced) {
  std::u32string out;
  out.reserve(b.size());
  char32_t cp = 0;
  for (size_t i = 0; i < b.size();) {
    size_t n = utf8_sequence(b, i, cp);
    if (n == 0) {
      out.push_back(kReplacement);
      ++replaced;
      ++i;
    } else {
      out.push_back(cp);
      i += n;
    }
  }
  return out;
}

/// UTF-16 (RFC 2781) decoded directly: unpaired surrogates and a trailing odd byte become
/// U+FFFD.
std::u32string decode_utf16(ByteView b, bool little_endian, size_t& replaced) {
  std::u32string out;
  out.reserve(b.size() / 2);
  auto unit = [&](size_t i) -> char32_t {
    return little_endian ? static_cast<char32_t>(b[i] | (b[i + 1] << 8))
                         : static_cast<char32_t>((b[i] << 8) | b[i + 1]);
  };
  size_t i = 0;
  for (; i + 1 < b.size(); i += 2) {
    char32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < b.size()) {
      char32_t lo = unit(i + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        out.push_back(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        i += 2;
        continue;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) {
      out.push_back(kReplacement);
      ++replaced;
    } else {
      out.push_back(u);
    }
  }
  if (i < b.size()) {
    out.push_back(kReplacement);
    ++replaced;
  }
  return out;
}

/// GB18030 (covers GBK and GB2312) through glibc iconv. Returns false, with the offset of the
/// first byte iconv rejects, when the bytes are not valid GB18030.
bool decode_gb18030(ByteView b, std::u32string& out, size_t& bad_offset) {
  iconv_t cd = iconv_open("UTF-32LE", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    bad_offset = 0;
    return false;
  }
  std::string buf(b.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(reinterpret_cast<const char*>(b.data()));
  size_t in_left = b.size();
  char* outp = buf.data();
  size_t out_left = buf.size();
  size_t rc = iconv(cd, &in, &in_left, &outp, &out_left);
  bool ok = rc != static_cast<size_t>(-1) && in_left == 0;
  if (ok) {
    // Flush any shift state (none for GB18030, but iconv asks for it).
    ok = iconv(cd, nullptr, nullptr, &outp, &out_left) != static_cast<size_t>(-1);
  }
  iconv_close(cd);
  if (!ok) {
    bad_offset = b.size() - in_left;
    return false;
  }
  size_t n = (buf.size() - out_left) / 4;
  out.resize(n);
  for (size_t i = 0; i < n; ++i) out[i] = load_u32le(reinterpret_cast<const uint8_t*>(&buf[i * 4]));
  return true;
}

bool is_control(char32_t c) {
  return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B) || c == 0x7F;
}

std::string hex_offset(size_t off) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%zx", off);
  return buf;
}

} // namespace

const char* to_string(Encoding e) {
  switch (e) {
    case Encoding::kUtf8: return "utf-8";
    case Encoding::kUtf16Le: return "utf-16le";
    case Encoding::kUtf16Be: return "utf-16be";
    case Encoding::kGb18030: return "gb18030";
  }
  return "unknown";
}

const char* to_string(TextFormat f) { return f == TextFormat::kHtml ? "html" : "text"; }

void append_utf8(std::string& out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

std::u32string from_utf8(std::string_view s) {
  size_t replaced = 0;
  return decode_utf8(ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size()), replaced);
}

std::string PolicyText::utf8(size_t start, size_t end) const {
  end = std::min(end, text.size());
  start = std::min(start, end);
  return to_utf8(std::u32string_view(text).substr(start, end - start));
}

Expected<PolicyText> decode_text(ByteView bytes, std::string_view name, Diagnostics& diags) {
  const std::string where(name);
  if (bytes.size() > kMaxPolicyBytes) {
    return make_error(Errc::kLimit,
                      "policy file is " + std::to_string(bytes.size()) + " bytes; the limit is " +
                          std::to_string(kMaxPolicyBytes),
                      where);
  }
  PolicyText doc;
  ByteView body = bytes;
  bool utf16 = false;
  bool le = true;
  if (body.size() >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) {
    doc.bom = true;
    body = body.subspan(3);
  } else if (body.size() >= 2 &&
             ((body[0] == 0xFF && body[1] == 0xFE) || (body[0] == 0xFE && body[1] == 0xFF))) {
    doc.bom = true;
    utf16 = true;
    le = body[0] == 0xFF;
    body = body.subspan(2);
  } else if (body.size() >= 4) {
    // UTF-16 without a BOM: ASCII characters leave zero bytes at odd (LE) or even (BE)
    // offsets, and the other half has (almost) none.
    size_t zero_even = 0, zero_odd = 0;
    for (size_t i = 0; i < body.size(); ++i) {
      if (body[i] == 0) ++((i % 2) != 0 ? zero_odd : zero_even);
    }
    const size_t half = body.size() / 2;
    if (zero_odd * 10 >= half && zero_even * 100 <= half) {
      utf16 = true, le = true;
    } else if (zero_even * 10 >= half && zero_odd * 100 <= half) {
      utf16 = true, le = false;
    }
  }
  if (utf16) {
    doc.encoding = le ? Encoding::kUtf16Le : Encoding::kUtf16Be;
    doc.text = decode_utf16(body, le, doc.replaced);
  } else {
    const uint8_t* nul = std::find(body.data(), body.data() + body.size(), uint8_t{0});
    if (nul != body.data() + body.size()) {
      size_t off = static_cast<size_t>(nul - bytes.data());
      return make_error_at(Errc::kMalformed,
                           "not a text file (a NUL byte, and no UTF-16 pattern: neither UTF-8, "
                           "UTF-16 nor GB18030 text)",
                           where, off);
    }
    size_t first_bad = 0;
    size_t bad = utf8_invalid_bytes(body, first_bad);
    if (bad == 0) {
      doc.encoding = Encoding::kUtf8;
      doc.text = decode_utf8(body, doc.replaced);
    } else if (size_t gb_bad = 0; decode_gb18030(body, doc.text, gb_bad)) {
      doc.encoding = Encoding::kGb18030;
    } else if (bad * 100 <= body.size()) {
      doc.encoding = Encoding::kUtf8;
      doc.text = decode_utf8(body, doc.replaced);
      diags.add_at(Severity::kWarning, "policy.invalid_utf8", where,
                   std::to_string(bad) + " bytes are not valid UTF-8 (first at " +
                       hex_offset(first_bad + (bytes.size() - body.size())) +
                       "); each bad sequence was replaced by U+FFFD",
                   first_bad);
    } else {
      size_t off = first_bad + (bytes.size() - body.size());
      return make_error_at(
          Errc::kMalformed,
          "not a text file (invalid byte 0x" +
              [&] {
                char b[4];
                std::snprintf(b, sizeof b, "%02x", bytes[off]);
                return std::string(b);
              }() +
              " is neither UTF-8 nor GB18030, and there is no UTF-16 BOM)",
          where, off);
    }
  }
  if (doc.replaced > 0 && utf16) {
    diags.add(Severity::kWarning, "policy.invalid_utf16", where,
              std::to_string(doc.replaced) + " invalid UTF-16 units were replaced by U+FFFD");
  }
  size_t controls = 0;
  for (char32_t c : doc.text) controls += is_control(c) || c == 0 ? 1 : 0;
  if (controls > 0 && controls * 50 > doc.text.size()) {
    return make_error(Errc::kMalformed,
                      "not a text file (" + std::to_string(controls) + " control characters in " +
                          std::to_string(doc.text.size()) + " decoded as " +
                          to_string(doc.encoding) + ")",
                      where);
  }
  return doc;
}

namespace {

char32_t ascii_lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

bool starts_with_ci(const std::u32string& s, size_t pos, std::string_view lit) {
  if (pos + lit.size() > s.size()) return false;
  for (size_t i = 0; i < lit.size(); ++i) {
    if (ascii_lower(s[pos + i]) != static_cast<char32_t>(lit[i])) return false;
  }
  return true;
}

size_t find_ci(const std::u32string& s, size_t from, std::string_view lit) {
  for (size_t i = from; i + lit.size() <= s.size(); ++i) {
    if (starts_with_ci(s, i, lit)) return i;
  }
  return std::u32string::npos;
}

bool is_blank(char32_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/// Named character references common in policies (HTML Living Standard §13.5); others are
/// kept as written.
char32_t named_entity(std::string_view n) {
  struct E {
    const char* name;
    char32_t cp;
  };
  static const E kEntities[] = {
      {"amp", '&'},       {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},     {"nbsp", 0xA0},    {"ensp", 0x2002},  {"emsp", 0x2003},
      {"thinsp", 0x2009}, {"middot", 0xB7},  {"mdash", 0x2014}, {"ndash", 0x2013},
      {"hellip", 0x2026}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"lsquo", 0x2018},
      {"rsquo", 0x2019},  {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},
      {"times", 0xD7},    {"yen", 0xA5},     {"bull", 0x2022},  {"laquo", 0xAB},
      {"raquo", 0xBB},    {"sect", 0xA7},    {"deg", 0xB0},     {"zwj", 0x200D},
      {"zwnj", 0x200C},
  };
  for (const E& e : kEntities) {
    if (n == e.name) return e.cp;
  }
  return 0;
}

/// Block-level elements: their start and end tags separate lines.
bool is_block_tag(std::string_view t) {
  static const char* kBlocks[] = {
      "p",      "div",    "br",         "li",      "ul",     "ol",      "tr",         "table",
      "h1",     "h2",     "h3",         "h4",      "h5",     "h6",      "section",    "article",
      "header", "footer", "title",      "dt",      "dd",     "dl",      "blockquote", "pre",
      "hr",     "nav",    "aside",      "main",    "form",   "caption", "thead",      "tbody",
      "tfoot",  "figure", "figcaption", "address", "center", "details", "summary",    "body"};
  for (const char* b : kBlocks) {
    if (t == b) return true;
  }
  return false;
}

} // namespace

bool looks_like_html(const std::u32string& text) {
  size_t i = 0;
  while (i < text.size() && (is_blank(text[i]) || text[i] == 0xFEFF)) ++i;
  const size_t window = std::min(text.size(), i + 4096);
  std::u32string head = text.substr(i, window - i);
  if (starts_with_ci(head, 0, "<!doctype html") || starts_with_ci(head, 0, "<html") ||
      find_ci(head, 0, "<body") != std::u32string::npos ||
      find_ci(head, 0, "<head>") != std::u32string::npos) {
    return true;
  }
  int tags = 0;
  for (const char* t : {"<p>", "<p ", "<div", "<br", "<span", "<table", "<li>", "<h1", "<h2"}) {
    size_t at = 0;
    while ((at = find_ci(head, at, t)) != std::u32string::npos && tags < 8) ++tags, ++at;
  }
  return tags >= 3;
}

void reduce_html(PolicyText& doc) {
  const std::u32string& src = doc.text;
  std::u32string out;
  std::vector<uint32_t> map;
  out.reserve(src.size() / 2);
  map.reserve(src.size() / 2 + 1);
  bool pending_space = false;
  bool pending_newline = false;
  size_t space_at = 0;
  size_t newline_at = 0;
  auto emit = [&](char32_t c, size_t at) {
    if (pending_newline) {
      if (!out.empty()) {
        out.push_back('\n');
        map.push_back(static_cast<uint32_t>(newline_at));
      }
    } else if (pending_space && !out.empty() && out.back() != '\n' && out.back() != '\t') {
      out.push_back(' ');
      map.push_back(static_cast<uint32_t>(space_at));
    }
    pending_space = pending_newline = false;
    out.push_back(c);
    map.push_back(static_cast<uint32_t>(at));
  };
  auto soft_break = [&](char32_t kind, size_t at) {
    if (kind == '\n') {
      if (!pending_newline) newline_at = at;
      pending_newline = true;
    } else if (!pending_newline && !out.empty() && out.back() != '\n') {
      emit('\t', at);
    }
  };
  size_t i = 0;
  while (i < src.size()) {
    char32_t c = src[i];
    if (c == '<') {
      if (starts_with_ci(src, i, "<!--")) {
        size_t end = find_ci(src, i + 4, "-->");
        i = end == std::u32string::npos ? src.size() : end + 3;
        continue;
      }
      // A tag: '<' then a letter, '/', '!' or '?'. Anything else is a literal '<'.
      size_t j = i + 1;
      bool closing = j < src.size() && src[j] == '/';
      if (closing) ++j;
      bool tag = j < src.size() && ((ascii_lower(src[j]) >= 'a' && ascii_lower(src[j]) <= 'z') ||
                                    (!closing && (src[j] == '!' || src[j] == '?')));
      if (!tag) {
        emit(c, i);
        ++i;
        continue;
      }
      std::string name;
      while (j < src.size() && name.size() < 16 &&
             ((ascii_lower(src[j]) >= 'a' && ascii_lower(src[j]) <= 'z') ||
              (src[j] >= '0' && src[j] <= '9'))) {
        name += static_cast<char>(ascii_lower(src[j]));
        ++j;
      }
      // Skip to the closing '>', minding quoted attribute values.
      char32_t quote = 0;
      while (j < src.size()) {
        char32_t d = src[j];
        if (quote != 0) {
          if (d == quote) quote = 0;
        } else if (d == '"' || d == '\'') {
          quote = d;
        } else if (d == '>') {
          break;
        }
        ++j;
      }
      size_t after = j < src.size() ? j + 1 : src.size();
      if (!closing && (name == "script" || name == "style" || name == "head" ||
                       name == "noscript" || name == "template")) {
        size_t end = find_ci(src, after, "</" + name);
        if (end == std::u32string::npos) {
          i = src.size();
        } else {
          size_t gt = src.find(U'>', end);
          i = gt == std::u32string::npos ? src.size() : gt + 1;
        }
        if (name == "head") soft_break('\n', i);
        continue;
      }
      if (is_block_tag(name)) {
        soft_break('\n', i);
      } else if (name == "td" || name == "th") {
        if (closing) soft_break('\t', i);
      }
      i = after;
      continue;
    }
    if (c == '&') {
      size_t j = i + 1;
      char32_t value = 0;
      size_t end = i;
      if (j < src.size() && src[j] == '#') {
        ++j;
        bool hex = j < src.size() && (src[j] == 'x' || src[j] == 'X');
        if (hex) ++j;
        uint32_t v = 0;
        size_t digits = 0;
        while (j < src.size() && digits < 8) {
          char32_t d = ascii_lower(src[j]);
          int dv = d >= '0' && d <= '9'            ? static_cast<int>(d - '0')
                   : (hex && d >= 'a' && d <= 'f') ? static_cast<int>(d - 'a' + 10)
                                                   : -1;
          if (dv < 0) break;
          v = v * (hex ? 16 : 10) + static_cast<uint32_t>(dv);
          ++digits, ++j;
        }
        if (digits > 0) {
          value = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? kReplacement : v;
          end = j < src.size() && src[j] == ';' ? j + 1 : j;
        }
      } else {
        std::string n;
        while (j < src.size() && n.size() < 10 &&
               ((ascii_lower(src[j]) >= 'a' && ascii_lower(src[j]) <= 'z') ||
                (src[j] >= '0' && src[j] <= '9'))) {
          n += static_cast<char>(src[j]);
          ++j;
        }
        if (j < src.size() && src[j] == ';') {
          value = named_entity(n);
          end = j + 1;
        }
      }
      if (value != 0) {
        if (value == 0xA0 || is_blank(value)) {
          if (!pending_space) space_at = i;
          pending_space = true;
        } else {
          emit(value, i);
        }
        i = end;
        continue;
      }
      emit(c, i);
      ++i;
      continue;
    }
    if (is_blank(c)) {
      if (!pending_space) space_at = i;
      pending_space = true;
      ++i;
      continue;
    }
    emit(c, i);
    ++i;
  }
  map.push_back(static_cast<uint32_t>(src.size()));
  doc.text = std::move(out);
  doc.source_map = std::move(map);
  doc.format = TextFormat::kHtml;
}

Expected<PolicyText> read_policy_text(ByteView bytes, std::string_view name, Diagnostics& diags) {
  auto doc = decode_text(bytes, name, diags);
  if (!doc) return doc;
  std::string lower(name);
  for (char& ch : lower) ch = static_cast<char>(ascii_lower(static_cast<unsigned char>(ch)));
  auto ends = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends(".html") || ends(".htm") || ends(".xhtml") || looks_like_html(doc->text)) {
    reduce_html(*doc);
  }
  return doc;
}

} // namespace appaudit::policy
