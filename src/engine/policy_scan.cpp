#include "engine/policy_scan.hpp"

#include <algorithm>
#include <fstream>
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
constexpr size_t kMaxJsonFiles = 16;   // JSON dialog configurations read
constexpr size_t kMaxDialogTexts = 16; // dialog_text candidates kept

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

bool mentions_policy(std::string_view s) {
  return has_any(s, {"隐私政策", "隐私协议", "隐私条款", "隐私权政策", "个人信息保护政策"}) ||
         has_any(lower_ascii(s), {"privacy policy"});
}

/// The http(s) addresses inside a longer text (a dialog's <a href="https://…/privacy.html">),
/// each up to the first blank, quote, angle bracket or non-ASCII byte; at most 8.
std::vector<std::string_view> embedded_urls(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t at = s.find("http"); at != std::string_view::npos && out.size() < 8;
       at = s.find("http", at + 4)) {
    const std::string_view rest = s.substr(at);
    if (rest.substr(0, 7) != "http://" && rest.substr(0, 8) != "https://") continue;
    size_t end = 0;
    while (end < rest.size() && end < kMaxUrlLength) {
      const auto c = static_cast<unsigned char>(rest[end]);
      if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\') {
        break;
      }
      ++end;
    }
    std::string_view url = rest.substr(0, end);
    url = url.substr(0, url.find("&quot;")); // href=&quot;https://…&quot; in a string resource
    out.push_back(url);
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
