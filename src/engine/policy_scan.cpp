#include "engine/policy_scan.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>

#include "apk/axml.hpp"
#include "dex/mutf8.hpp"

namespace appaudit::engine {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxFiles = 64;                // in-APK files read as policy candidates
constexpr uint64_t kMaxFileBytes = 1ull << 20;  // each (real policies: < 200 KiB)
constexpr uint64_t kMaxTotalBytes = 4ull << 20; // all candidate texts read, together
constexpr size_t kMaxUrls = 32;                 // URL candidates kept
constexpr size_t kMaxLayouts = 400;             // compiled layouts searched for literal text
constexpr size_t kMaxStringTexts = 16;          // long strings analysed as texts, per source
constexpr size_t kMaxUrlLength = 512;
constexpr size_t kMaxJsonFiles = 16;              // JSON dialog configurations read
constexpr size_t kMaxDialogTexts = 16;            // dialog_text candidates kept
constexpr size_t kMaxBundles = 4;                 // script bundles / Dart snapshots searched
constexpr uint64_t kMaxBundleBytes = 64ull << 20; // each
constexpr size_t kMaxBundleHits = 64;             // strings taken from each
constexpr size_t kMaxBundleString = 1024;         // bytes (or UTF-16 units) each side of a hit

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool has_any(std::string_view haystack, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (haystack.find(n) != std::string_view::npos) return true;
  }
  return false;
}

/// Words that name a privacy policy or user agreement in file names and URLs (pinyin
/// abbreviations included: yinsi 隐私, ysxy 隐私协议, ystk 隐私条款, xieyi 协议).
bool policy_like_name(std::string_view lower) {
  return has_any(lower, {"privacy", "yinsi", "ysxy", "ystk", "ysbh", "policy", "agreement",
                         "protocol", "xieyi", "terms", "隐私"});
}

bool text_like_extension(std::string_view lower) {
  for (std::string_view ext : {".html", ".htm", ".xhtml", ".txt"}) {
    if (lower.size() >= ext.size() && lower.substr(lower.size() - ext.size()) == ext) return true;
  }
  return false;
}

/// A privacy-policy URL: http(s), no blanks, a privacy word in it (not merely "protocol" or
/// "terms": user agreements are not privacy policies, and XML namespaces say "protocols").
bool policy_url(std::string_view s) {
  if (s.size() > kMaxUrlLength) return false;
  if (s.substr(0, 7) != "http://" && s.substr(0, 8) != "https://") return false;
  if (s.find_first_of(" \t\r\n\"'<>") != std::string_view::npos) return false;
  return has_any(lower_ascii(s), {"privacy", "yinsi", "ysxy", "ystk", "ysbh", "policy", "隐私"});
}

/// Whether `s` contains `lower` (ASCII, lower case) ignoring ASCII case; no copy of `s`
/// (called for every DEX string constant).
bool contains_ascii_ci(std::string_view s, std::string_view lower) {
  const auto it = std::search(s.begin(), s.end(), lower.begin(), lower.end(), [](char a, char b) {
    return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
  });
  return it != s.end();
}

bool mentions_policy(std::string_view s) {
  return has_any(s, {"隐私政策", "隐私协议", "隐私条款", "隐私权政策", "个人信息保护政策"}) ||
         contains_ascii_ci(s, "privacy policy");
}

/// The http(s) address at the start of `s`, up to the first blank, quote, angle bracket,
/// backslash or non-ASCII byte (at most kMaxUrlLength); empty when `s` does not start with one.
std::string_view url_at(std::string_view s) {
  if (s.substr(0, 7) != "http://" && s.substr(0, 8) != "https://") return {};
  size_t end = 0;
  while (end < s.size() && end < kMaxUrlLength) {
    const auto c = static_cast<unsigned char>(s[end]);
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\') {
      break;
    }
    ++end;
  }
  const std::string_view url = s.substr(0, end);
  return url.substr(0, url.find("&quot;")); // href=&quot;https://…&quot; in a string resource
}

/// The http(s) addresses inside a longer text (a dialog's <a href="https://…/privacy.html">);
/// at most 8.
std::vector<std::string_view> embedded_urls(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t at = s.find("http"); at != std::string_view::npos && out.size() < 8;
       at = s.find("http", at + 4)) {
    if (const std::string_view url = url_at(s.substr(at)); !url.empty()) out.push_back(url);
  }
  return out;
}

/// Where cross-platform apps keep their UI strings: React Native bundles (JavaScript or
/// Hermes bytecode), uni-app / Cordova scripts, Flutter's compiled Dart (libapp.so).
bool bundle_like(std::string_view lower) {
  if (lower.rfind("assets/", 0) == 0) {
    return ends_with(lower, ".bundle") || ends_with(lower, ".hbc") || ends_with(lower, ".js");
  }
  return lower.rfind("lib/", 0) == 0 && ends_with(lower, "/libapp.so");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// A JavaScript string body with its \uXXXX escapes (minifiers write non-ASCII that way)
/// decoded; surrogate pairs joined, lone ones dropped.
std::string unescape_js(std::string_view s) {
  std::string out;
  uint32_t high = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 5 < s.size() && s[i + 1] == 'u') {
      uint32_t c = 0;
      bool ok = true;
      for (size_t k = 2; k < 6 && ok; ++k) {
        const int h = hex_value(s[i + k]);
        ok = h >= 0;
        c = c * 16 + static_cast<uint32_t>(h < 0 ? 0 : h);
      }
      if (ok) {
        i += 5;
        if (c >= 0xD800 && c < 0xDC00) {
          high = c;
        } else if (c >= 0xDC00 && c < 0xE000) {
          if (high != 0) policy::append_utf8(out, 0x10000 + ((high - 0xD800) << 10) + (c - 0xDC00));
          high = 0;
        } else {
          policy::append_utf8(out, c);
          high = 0;
        }
        continue;
      }
    }
    high = 0;
    out += s[i];
  }
  return out;
}

/// The strings around each occurrence of a policy's name in a binary or script file, as UTF-8:
/// UTF-8 or one-byte text (JavaScript, Hermes and Dart one-byte strings), \uXXXX-escaped
/// JavaScript, and UTF-16LE (Hermes and Dart two-byte strings). A string runs to the nearest
/// quote, control character or NUL, at most kMaxBundleString each way; at most kMaxBundleHits.
std::vector<std::pair<uint64_t, std::string>> strings_naming_policy(ByteView bytes) {
  const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::vector<std::pair<uint64_t, std::string>> out;
  std::set<std::pair<size_t, size_t>> seen; // [start, end) already taken
  auto stop8 = [](unsigned char c) { return c < 0x20 || c == '"' || c == '\'' || c == '`'; };
  auto take8 = [&](size_t at, size_t len, bool escaped) {
    size_t b = at, e = at + len;
    while (b > 0 && at - b < kMaxBundleString && !stop8(static_cast<unsigned char>(all[b - 1]))) {
      --b;
    }
    while (e < all.size() && e - at < kMaxBundleString &&
           !stop8(static_cast<unsigned char>(all[e]))) {
      ++e;
    }
    // Whole UTF-8 sequences only.
    while (b < at && (static_cast<unsigned char>(all[b]) & 0xC0) == 0x80) ++b;
    while (e > at + len && (static_cast<unsigned char>(all[e - 1]) & 0x80) != 0 &&
           (static_cast<unsigned char>(all[e - 1]) & 0xC0) != 0x80) {
      --e; // a lead byte cut off at the end
    }
    if (!seen.insert({b, e}).second) return;
    const std::string_view body = all.substr(b, e - b);
    out.emplace_back(b, escaped ? unescape_js(body) : std::string(body));
  };
  auto take16 = [&](size_t at, size_t len) {
    auto unit = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(all[i])) |
             (static_cast<uint32_t>(static_cast<unsigned char>(all[i + 1])) << 8);
    };
    // Between the string and its neighbours in a binary file there is no quote: stop at any
    // unit that is not printable ASCII, Latin-1, general or CJK punctuation, CJK ideographs or
    // full-width forms (what a Chinese dialog text is written in).
    auto stop16 = [](uint32_t u) {
      const bool text = (u >= 0x20 && u < 0x7F) || (u >= 0xA0 && u < 0x100) ||
                        (u >= 0x2000 && u < 0x2070) || (u >= 0x3000 && u < 0x3040) ||
                        (u >= 0x4E00 && u < 0xA000) || (u >= 0xFF00 && u < 0xFFF0);
      return !text || u == '"' || u == '\'' || u == '`';
    };
    size_t b = at, e = at + len;
    while (b >= 2 && (at - b) / 2 < kMaxBundleString && !stop16(unit(b - 2))) b -= 2;
    while (e + 1 < all.size() && (e - at) / 2 < kMaxBundleString && !stop16(unit(e))) e += 2;
    if (!seen.insert({b, e}).second) return;
    std::string s;
    for (size_t i = b; i + 1 < e; i += 2) {
      uint32_t u = unit(i);
      if (u >= 0xD800 && u < 0xDC00 && i + 3 < e) {
        const uint32_t lo = unit(i + 2);
        if (lo >= 0xDC00 && lo < 0xE000) {
          policy::append_utf8(s, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
          i += 2;
          continue;
        }
      }
      if (u >= 0xD800 && u < 0xE000) continue; // a lone surrogate
      policy::append_utf8(s, u);
    }
    out.emplace_back(b, std::move(s));
  };
  struct Needle {
    std::string bytes;
    int kind; // 0 UTF-8, 1 escaped JavaScript, 2 UTF-16LE
  };
  std::vector<Needle> needles;
  for (std::u16string_view word :
       {std::u16string_view(u"隐私政策"), std::u16string_view(u"隐私协议"),
        std::u16string_view(u"个人信息保护政策")}) {
    std::string utf8, escaped, escaped_upper, utf16;
    for (char16_t c : word) {
      policy::append_utf8(utf8, c);
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      escaped += buf;
      std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(c));
      escaped_upper += buf;
      utf16 += static_cast<char>(c & 0xFF);
      utf16 += static_cast<char>(c >> 8);
    }
    needles.push_back({utf8, 0});
    needles.push_back({escaped, 1});
    needles.push_back({escaped_upper, 1});
    needles.push_back({utf16, 2});
  }
  for (const Needle& n : needles) {
    const std::boyer_moore_horspool_searcher search(n.bytes.begin(), n.bytes.end());
    for (auto it = all.begin(); out.size() < kMaxBundleHits;) {
      it = std::search(it, all.end(), search);
      if (it == all.end()) break;
      const size_t at = static_cast<size_t>(it - all.begin());
      if (n.kind == 2) {
        take16(at, n.bytes.size());
      } else {
        take8(at, n.bytes.size(), n.kind == 1);
      }
      it += static_cast<std::ptrdiff_t>(n.bytes.size());
    }
  }
  return out;
}

ByteView bytes_of(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

struct Analysed {
  policy::PolicyText text;
  policy::PolicyReport report;
};

/// Reads a candidate; one that is not text is skipped quietly (not worth a diagnostic each).
std::optional<Analysed> analyse(ByteView bytes, const std::string& name,
                                const policy::PolicyReader& reader) {
  Diagnostics ignored;
  auto text = policy::read_policy_text(bytes, name, ignored);
  if (!text) return std::nullopt;
  Analysed a{std::move(*text), {}};
  a.report = reader.analyze(a.text);
  return a;
}

} // namespace

bool PolicyScan::has_dialog_text() const {
  return std::any_of(candidates.begin(), candidates.end(),
                     [](const PolicyCandidate& c) { return c.kind == "dialog_text"; });
}

std::vector<std::string> PolicyScan::urls() const {
  std::vector<std::string> out;
  for (const auto& c : candidates) {
    if (c.kind == "url") out.push_back(c.url);
  }
  return out;
}

PolicyScan scan_policy(const std::string& path, const apk::ZipArchive* zip,
                       const apk::ResourceTable* resources, const dex::DexSet* dex,
                       const knowledge::Knowledge& k, Diagnostics& diags) {
  PolicyScan out;
  std::optional<policy::PolicyReader> reader;
  auto get_reader = [&]() -> const policy::PolicyReader& {
    if (!reader) reader.emplace(k);
    return *reader;
  };
  // The best in-APK text so far: a policy with the most mentions.
  std::optional<Analysed> best;
  std::string best_where;
  uint64_t best_size = 0;
  auto consider = [&](Analysed a, const std::string& where, uint64_t size, PolicyCandidate c) {
    c.mentions = static_cast<uint32_t>(a.report.mentions.size());
    c.looks_like_policy = a.report.looks_like_policy && c.mentions >= kMinPolicyMentions;
    out.candidates.push_back(c);
    if (c.looks_like_policy && (!best || c.mentions > best->report.mentions.size())) {
      best = std::move(a);
      best_where = where;
      best_size = size;
    }
  };

  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes;
    if (in) {
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!in && !in.eof()) {
      diags.add(Severity::kError, "policy.unreadable", path, "cannot read the policy file");
    } else if (bytes.size() > policy::kMaxPolicyBytes) {
      diags.add(Severity::kError, "policy.too_large", path,
                "larger than " + std::to_string(policy::kMaxPolicyBytes >> 20) + " MiB");
    } else {
      auto text = policy::read_policy_text(bytes_of(bytes), path, diags);
      if (!text) {
        diags.add_error("policy.not_text", text.error());
      } else {
        out.source = "cli";
        out.where = path;
        out.size = bytes.size();
        out.report = get_reader().analyze(*text);
        out.text = std::move(*text);
      }
    }
  }

  // Bounded work on hostile APKs: at most kMaxTotalBytes of candidate text are read.
  uint64_t budget = kMaxTotalBytes;
  if (zip != nullptr) {
    size_t files = 0;
    for (const apk::ZipEntry& e : zip->entries()) {
      if (files >= kMaxFiles) break;
      const std::string name = lower_ascii(e.name);
      const bool place = name.rfind("assets/", 0) == 0 || name.rfind("res/raw/", 0) == 0;
      if (!place || name.back() == '/') continue;
      if (!text_like_extension(name) && !policy_like_name(name)) continue;
      if (ends_with(name, ".json")) continue; // a dialog's configuration: its strings, below
      if (e.uncompressed_size > kMaxFileBytes || e.uncompressed_size == 0) continue;
      if (e.uncompressed_size > budget) break;
      budget -= e.uncompressed_size;
      ++files;
      auto data = zip->read(e);
      if (!data) continue;
      auto a = analyse(data->data, e.name, get_reader());
      if (!a) continue;
      PolicyCandidate c;
      c.kind = "file";
      c.where = e.name;
      consider(std::move(*a), e.name, e.uncompressed_size, c);
    }
  }

  std::set<std::string> seen_urls;
  auto add_url = [&](std::string_view s, const std::string& where) {
    if (seen_urls.size() >= kMaxUrls || !policy_url(s)) return;
    if (!seen_urls.insert(std::string(s)).second) return;
    PolicyCandidate c;
    c.kind = "url";
    c.where = where;
    c.url = std::string(s);
    out.candidates.push_back(c);
  };
  // A string from the resources or a layout: a policy URL; a short text naming the policy and
  // asking to agree (a first-run dialog's); or a long one analysed as policy text (at most
  // kMaxStringTexts per source, counted in `texts`, within the byte budget).
  // An entry to read whole (a layout, a JSON configuration): not empty, at most kMaxFileBytes,
  // and within what is left of the budget, which it then uses.
  auto within_budget = [&](const apk::ZipEntry& e) {
    if (e.uncompressed_size > kMaxFileBytes || e.uncompressed_size == 0 ||
        e.uncompressed_size > budget) {
      return false;
    }
    budget -= e.uncompressed_size;
    return true;
  };
  size_t dialogs = 0; // dialog_text candidates kept
  auto consider_string = [&](const std::string& s, const std::string& where,
                             const std::string& analysed_as, size_t& texts) {
    add_url(s, where);
    if (!mentions_policy(s)) return;
    if (s.size() < 4096) {
      for (std::string_view url : embedded_urls(s)) add_url(url, where);
    }
    if (s.size() < 600) {
      if (dialogs < kMaxDialogTexts && has_any(s, {"同意", "agree", "Agree"})) {
        ++dialogs;
        PolicyCandidate c;
        c.kind = "dialog_text";
        c.where = where;
        out.candidates.push_back(c);
      }
      return;
    }
    if (texts >= kMaxStringTexts || s.size() > budget) return;
    budget -= s.size();
    ++texts;
    auto a = analyse(bytes_of(s), analysed_as, get_reader());
    if (!a) return;
    PolicyCandidate c;
    c.kind = "string_text";
    c.where = where;
    consider(std::move(*a), where, s.size(), c);
  };
  if (resources != nullptr) {
    size_t texts = 0;
    const uint32_t n = resources->global_string_count();
    for (uint32_t i = 0; i < n; ++i) {
      const std::string s = resources->global_string(i);
      const std::string where = "resources.arsc string #" + std::to_string(i);
      consider_string(s, where, "string.txt", texts);
    }
  }
  // Literal text in compiled layouts (android:text="…" written into the layout, not a
  // @string reference): policy links, a first-run dialog's text, or the policy itself.
  if (zip != nullptr) {
    size_t layouts = 0, texts = 0;
    for (const apk::ZipEntry& e : zip->entries()) {
      if (layouts >= kMaxLayouts) break;
      const std::string name = lower_ascii(e.name);
      if (name.rfind("res/layout", 0) != 0 || name.size() < 5 ||
          name.compare(name.size() - 4, 4, ".xml") != 0) {
        continue;
      }
      if (!within_budget(e)) continue;
      ++layouts;
      auto data = zip->read(e);
      if (!data) continue;
      Diagnostics scratch; // a layout we cannot read is not the report's concern here
      auto doc = apk::parse_axml(data->data, scratch, e.name);
      if (!doc) continue;
      std::vector<const apk::XmlElement*> stack;
      for (const auto& r : doc->roots) stack.push_back(&r);
      while (!stack.empty()) {
        const apk::XmlElement* el = stack.back();
        stack.pop_back();
        for (const auto& c : el->children) stack.push_back(&c);
        for (const auto& a : el->attributes) {
          if (!a.is_string()) continue;
          consider_string(a.text(), e.name, "layout.txt", texts);
        }
      }
    }
  }
  // JSON under assets/ with a privacy-like name: a native consent dialog's configuration
  // (uni-app's androidPrivacy.json: "message": "…请你务必审慎阅读…《隐私政策》…", "buttonAccept":
  // "同意并接受"). Its string values count like string resources.
  if (zip != nullptr) {
    size_t files = 0, texts = 0;
    for (const apk::ZipEntry& e : zip->entries()) {
      if (files >= kMaxJsonFiles) break;
      const std::string name = lower_ascii(e.name);
      if (name.rfind("assets/", 0) != 0 || !ends_with(name, ".json") || !policy_like_name(name)) {
        continue;
      }
      if (!within_budget(e)) continue;
      ++files;
      auto data = zip->read(e);
      if (!data) continue;
      const auto* begin = reinterpret_cast<const char*>(data->data.data());
      const Json doc = Json::parse(begin, begin + data->data.size(), nullptr, false);
      if (doc.is_discarded()) continue; // not JSON: not a dialog configuration
      std::vector<const Json*> stack{&doc};
      while (!stack.empty()) {
        const Json* v = stack.back();
        stack.pop_back();
        if (v->is_string()) {
          consider_string(v->get_ref<const std::string&>(), e.name, "json.txt", texts);
        } else if (v->is_structured()) {
          for (const Json& child : *v) stack.push_back(&child);
        }
      }
    }
  }
  // Script bundles and compiled Dart: a first-run dialog written in React Native, uni-app,
  // Cordova or Flutter keeps its text there (a policy's name with 同意 next to it).
  if (zip != nullptr) {
    size_t files = 0, texts = 0;
    for (const apk::ZipEntry& e : zip->entries()) {
      if (files >= kMaxBundles) break;
      if (!bundle_like(lower_ascii(e.name))) continue;
      if (e.uncompressed_size == 0 || e.uncompressed_size > kMaxBundleBytes) continue;
      ++files;
      auto data = zip->read(e);
      if (!data) continue;
      // Policy links: ASCII in every one of these formats. Each address is read once, and
      // the search goes on after it.
      const std::string_view bytes(reinterpret_cast<const char*>(data->data.data()),
                                   data->data.size());
      for (size_t at = bytes.find("http");
           at != std::string_view::npos && seen_urls.size() < kMaxUrls;) {
        const std::string_view url = url_at(bytes.substr(at));
        if (!url.empty()) add_url(url, e.name);
        at = bytes.find("http", at + std::max<size_t>(4, url.size()));
      }
      for (const auto& [offset, text] : strings_naming_policy(data->data)) {
        char where[32];
        std::snprintf(where, sizeof where, " @0x%llx", static_cast<unsigned long long>(offset));
        consider_string(text, e.name + where, "bundle.txt", texts);
      }
    }
  }
  // String constants in the code: policy URLs, and a first-run dialog's text or the policy
  // itself written into the code rather than the resources (AlertDialog.setMessage("…请您
  // 阅读《隐私政策》…同意…")).
  if (dex != nullptr) {
    size_t texts = 0;
    for (const dex::DexFile& f : *dex) {
      const uint32_t n = f.string_ids_size();
      for (uint32_t i = 0; i < n; ++i) {
        auto s = f.string(dex::StringIdx(i));
        if (!s || s->size() <= 8) continue;
        if ((*s)[0] == 'h' && seen_urls.size() < kMaxUrls) add_url(*s, f.name());
        if (!mentions_policy(*s)) continue;
        const std::string utf8 = dex::is_ascii(*s) ? std::string(*s) : dex::mutf8_to_utf8(*s);
        consider_string(utf8, f.name() + " string #" + std::to_string(i), "dex.txt", texts);
      }
    }
  }
  if (!out.found() && best) {
    out.source = "apk";
    out.where = best_where;
    out.size = best_size;
    out.report = std::move(best->report);
    out.text = std::move(best->text);
  }
  return out;
}

} // namespace appaudit::engine
