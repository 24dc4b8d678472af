#include "knowledge/knowledge.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace appaudit::knowledge {
namespace {

using Json = nlohmann::json;

/// Walks one entry object: every field must be read exactly once through the typed getters;
/// `finish()` rejects the fields nobody asked for (unknown fields are errors).
class EntryReader {
 public:
  EntryReader(const Json& obj, std::string file, std::string where)
      : obj_(obj), file_(std::move(file)), where_(std::move(where)) {
    if (!obj_.is_object()) fail("", "is not an object");
  }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw KnowledgeError("knowledge/" + file_ + ": " + where_ +
                         (field.empty() ? "" : " field '" + field + "'") + " " + what);
  }

  const Json& get(const std::string& field, bool required = true) {
    seen_.insert(field);
    auto it = obj_.find(field);
    if (it == obj_.end()) {
      if (required) fail(field, "is missing");
      static const Json kNull;
      return kNull;
    }
    return *it;
  }

  std::string str(const std::string& field, bool allow_empty = false) {
    const Json& v = get(field);
    if (!v.is_string()) fail(field, "must be a string");
    std::string s = v.get<std::string>();
    if (s.empty() && !allow_empty) fail(field, "must not be empty");
    return s;
  }
  /// A string or null ("" for null).
  std::string str_or_null(const std::string& field) {
    const Json& v = get(field);
    if (v.is_null()) return {};
    if (!v.is_string() || v.get<std::string>().empty()) fail(field, "must be a string or null");
    return v.get<std::string>();
  }
  bool boolean(const std::string& field) {
    const Json& v = get(field);
    if (!v.is_boolean()) fail(field, "must be true or false");
    return v.get<bool>();
  }
  int integer(const std::string& field) {
    const Json& v = get(field);
    if (!v.is_number_integer()) fail(field, "must be an integer");
    return v.get<int>();
  }
  std::optional<int> integer_or_null(const std::string& field) {
    const Json& v = get(field);
    if (v.is_null()) return std::nullopt;
    if (!v.is_number_integer()) fail(field, "must be an integer or null");
    return v.get<int>();
  }
  std::vector<std::string> strings(const std::string& field) {
    const Json& v = get(field);
    if (!v.is_array()) fail(field, "must be an array of strings");
    std::vector<std::string> out;
    for (const Json& e : v) {
      if (!e.is_string() || e.get<std::string>().empty()) {
        fail(field, "must contain only non-empty strings");
      }
      out.push_back(e.get<std::string>());
    }
    std::set<std::string> unique(out.begin(), out.end());
    if (unique.size() != out.size()) fail(field, "contains duplicates");
    return out;
  }
  void finish() const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (seen_.count(it.key()) == 0) fail(it.key(), "is not part of the schema");
    }
  }
  const std::string& where() const { return where_; }

 private:
  const Json& obj_;
  std::string file_;
  std::string where_;
  std::set<std::string> seen_;
};

struct ParsedFile {
  std::string path;
  std::string kind;
  std::map<std::string, Source> sources;
  Json entries;
};

ParsedFile parse_envelope(const KnowledgeFile& f) {
  ParsedFile out;
  out.path = f.path;
  Json doc;
  try {
    doc = Json::parse(f.content.begin(), f.content.end());
  } catch (const Json::parse_error& e) {
    throw KnowledgeError("knowledge/" + f.path + ": invalid JSON: " + e.what());
  }
  EntryReader top(doc, f.path, "top level");
  std::string schema = top.str("schema");
  const std::string prefix = "appaudit.knowledge.";
  const std::string suffix = "/1";
  if (schema.rfind(prefix, 0) != 0 || schema.size() <= prefix.size() + suffix.size() ||
      schema.compare(schema.size() - suffix.size(), suffix.size(), suffix) != 0) {
    top.fail("schema", "must be appaudit.knowledge.<kind>/1, not '" + schema + "'");
  }
  out.kind = schema.substr(prefix.size(), schema.size() - prefix.size() - suffix.size());
  const Json& sources = top.get("sources");
  if (!sources.is_object() || sources.empty()) top.fail("sources", "must be a non-empty object");
  for (auto it = sources.begin(); it != sources.end(); ++it) {
    EntryReader s(it.value(), f.path, "source '" + it.key() + "'");
    Source src{it.key(), s.str("title"), s.str("url")};
    if (src.url.rfind("https://", 0) != 0 && src.url.rfind("http://", 0) != 0) {
      s.fail("url", "must be an http(s) URL");
    }
    s.finish();
    out.sources.emplace(it.key(), std::move(src));
  }
  out.entries = top.get("entries");
  if (!out.entries.is_array() || out.entries.empty()) {
    top.fail("entries", "must be a non-empty array");
  }
  top.finish();
  return out;
}

/// Checks ids are unique and sorted, and that entry sources exist in the file.
class FileChecks {
 public:
  explicit FileChecks(const ParsedFile& f) : f_(f) {}
  void id(EntryReader& r, const std::string& id) {
    if (!last_.empty() && !(last_ < id)) {
      r.fail("id", "'" + id + "' is a duplicate or out of order (entries are sorted by id)");
    }
    last_ = id;
  }
  std::vector<std::string> sources(EntryReader& r) {
    auto ids = r.strings("sources");
    if (ids.empty()) r.fail("sources", "must cite at least one source");
    for (const auto& s : ids) {
      if (f_.sources.count(s) == 0) r.fail("sources", "cites unknown source '" + s + "'");
    }
    return ids;
  }

 private:
  const ParsedFile& f_;
  std::string last_;
};

bool valid_method_descriptor(std::string_view d) {
  // L<class>;-><name>(<params>)<return>
  size_t arrow = d.find(";->");
  if (d.size() < 8 || d[0] != 'L' || arrow == std::string_view::npos) return false;
  size_t open = d.find('(', arrow);
  size_t close = d.find(')', arrow);
  return open != std::string_view::npos && close != std::string_view::npos && open > arrow + 3 &&
         close > open && close + 1 < d.size();
}

bool valid_field_descriptor(std::string_view d) {
  size_t arrow = d.find(";->");
  size_t colon = d.rfind(':');
  return d.size() >= 8 && d[0] == 'L' && arrow != std::string_view::npos &&
         colon != std::string_view::npos && colon > arrow + 3 && colon + 1 < d.size();
}

bool valid_package(std::string_view p) {
  if (p.empty() || p.front() == '.' || p.back() == '.') return false;
  for (char c : p) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '$')) {
      return false;
    }
  }
  return true;
}

std::string sha256_hex(const std::vector<KnowledgeFile>& files) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  for (const auto& f : files) {
    EVP_DigestUpdate(ctx.get(), f.path.data(), f.path.size() + 1);
    EVP_DigestUpdate(ctx.get(), f.content.data(), f.content.size());
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

const std::set<std::string> kPiCategories = {
    "device_id", "device_info", "location",  "app_usage", "communication", "media",
    "account",   "sensor",      "biometric", "network",   "other"};
const std::set<std::string> kSdkCategories = {
    "push",          "analytics",        "ads",    "map_location", "payment", "social_share_login",
    "one_tap_login", "crash_reporting",  "hotfix", "risk_control", "oaid",    "im_rtc",
    "cloud_storage", "customer_service", "update", "network",      "ui",      "utility",
    "other"};

} // namespace

const char* to_string(ApiKind kind) {
  switch (kind) {
    case ApiKind::kMethod: return "method";
    case ApiKind::kField: return "field";
    case ApiKind::kContentUri: return "content_uri";
    case ApiKind::kSettingsKey: return "settings_key";
    case ApiKind::kIntentAction: return "intent_action";
  }
  return "unknown";
}

const char* to_string(CallbackKind kind) {
  switch (kind) {
    case CallbackKind::kAsync: return "async";
    case CallbackKind::kUi: return "ui";
    case CallbackKind::kLifecycle: return "lifecycle";
    case CallbackKind::kSystem: return "system";
  }
  return "unknown";
}

const char* to_string(ConsentKind kind) {
  switch (kind) {
    case ConsentKind::kStorageRead: return "storage_read";
    case ConsentKind::kSdkSwitch: return "sdk_switch";
    case ConsentKind::kKeyPattern: return "key_pattern";
  }
  return "unknown";
}

Knowledge Knowledge::load(const std::vector<KnowledgeFile>& files) {
  Knowledge k;
  std::vector<ParsedFile> parsed;
  for (const auto& f : files) parsed.push_back(parse_envelope(f));

  // References between files are checked after all entries are read.
  struct Ref {
    std::string file, where, field, id;
    bool pi; // PI type (true) or permission (false)
  };
  std::vector<Ref> refs;
  std::set<std::string> sdk_ids;

  for (const ParsedFile& f : parsed) {
    for (const auto& [id, src] : f.sources)
      k.sources_.push_back({f.path + "#" + id, src.title, src.url});
    FileChecks checks(f);
    size_t n = 0;
    for (const Json& e : f.entries) {
      std::string id;
      {
        EntryReader first(e, f.path, "entry " + std::to_string(n++));
        id = first.str("id");
      }
      EntryReader r(e, f.path, "entry '" + id + "'");
      r.str("id");
      checks.id(r, id);
      auto need_pi = [&](const std::string& field, const std::vector<std::string>& ids) {
        for (const auto& p : ids) refs.push_back({f.path, r.where(), field, p, true});
      };
      if (f.kind == "pi_types") {
        PiType t;
        t.id = id;
        t.name_zh = r.str("name_zh");
        t.name_en = r.str("name_en");
        t.category = r.str("category");
        if (kPiCategories.count(t.category) == 0)
          r.fail("category", "'" + t.category + "' unknown");
        t.sensitive = r.boolean("sensitive");
        t.immutable_device_id = r.boolean("immutable_device_id");
        t.parent = r.str_or_null("parent");
        if (!t.parent.empty()) need_pi("parent", {t.parent});
        t.sources = checks.sources(r);
        k.pi_types_.push_back(std::move(t));
      } else if (f.kind == "permissions") {
        Permission p;
        p.id = id;
        p.name_zh = r.str("name_zh");
        p.pi_types = r.strings("pi_types");
        need_pi("pi_types", p.pi_types);
        p.protection_level = r.str("protection_level");
        p.runtime = r.boolean("runtime");
        p.added_api = r.integer("added_api");
        p.removed_api = r.integer_or_null("removed_api");
        p.sources = checks.sources(r);
        k.permissions_.push_back(std::move(p));
      } else if (f.kind == "apis") {
        Api a;
        a.id = id;
        std::string kind = r.str("kind");
        if (kind == "method")
          a.kind = ApiKind::kMethod;
        else if (kind == "field")
          a.kind = ApiKind::kField;
        else if (kind == "content_uri")
          a.kind = ApiKind::kContentUri;
        else if (kind == "settings_key")
          a.kind = ApiKind::kSettingsKey;
        else if (kind == "intent_action")
          a.kind = ApiKind::kIntentAction;
        else
          r.fail("kind", "'" + kind + "' unknown");
        a.target = r.str("target");
        if (a.kind == ApiKind::kMethod && !valid_method_descriptor(a.target)) {
          r.fail("target", "'" + a.target + "' is not a DEX method descriptor");
        }
        if (a.kind == ApiKind::kField && !valid_field_descriptor(a.target)) {
          r.fail("target", "'" + a.target + "' is not a DEX field descriptor");
        }
        a.pi_types = r.strings("pi_types");
        if (a.pi_types.empty()) r.fail("pi_types", "must name at least one PI type");
        need_pi("pi_types", a.pi_types);
        a.permissions = r.strings("permissions");
        for (const auto& p : a.permissions)
          refs.push_back({f.path, r.where(), "permissions", p, false});
        a.min_api = r.integer("min_api");
        a.max_api = r.integer_or_null("max_api");
        a.sources = checks.sources(r);
        k.apis_.push_back(std::move(a));
      } else if (f.kind == "sdks") {
        Sdk s;
        s.id = id;
        if (!sdk_ids.insert(id).second) r.fail("id", "'" + id + "' is defined in two SDK files");
        s.name_zh = r.str("name_zh");
        s.name_en = r.str("name_en");
        s.vendor = r.str("vendor");
        s.category = r.str("category");
        if (kSdkCategories.count(s.category) == 0)
          r.fail("category", "'" + s.category + "' unknown");
        s.region = r.str("region");
        if (s.region != "cn" && s.region != "intl") r.fail("region", "must be cn or intl");
        s.packages = r.strings("packages");
        for (const auto& p : s.packages) {
          if (!valid_package(p)) r.fail("packages", "'" + p + "' is not a dotted package prefix");
        }
        s.components = r.strings("components");
        s.meta_data_keys = r.strings("meta_data_keys");
        s.native_libs = r.strings("native_libs");
        s.hosts = r.strings("hosts");
        if (s.packages.empty() && s.components.empty() && s.native_libs.empty()) {
          r.fail("packages", "an SDK needs at least one package, component or native library");
        }
        s.privacy_policy_url = r.str_or_null("privacy_policy_url");
        s.collects = r.strings("collects");
        need_pi("collects", s.collects);
        s.sources = checks.sources(r);
        s.file = f.path;
        k.sdks_.push_back(std::move(s));
      } else if (f.kind == "packers") {
        Packer p;
        p.id = id;
        p.name_zh = r.str("name_zh");
        p.name_en = r.str("name_en");
        p.vendor = r.str("vendor");
        p.classes = r.strings("classes");
        p.native_libs = r.strings("native_libs");
        p.assets = r.strings("assets");
        if (p.classes.empty() && p.native_libs.empty() && p.assets.empty()) {
          r.fail("classes", "a packer needs at least one class, native library or asset");
        }
        p.sources = checks.sources(r);
        k.packers_.push_back(std::move(p));
      } else {
        throw KnowledgeError("knowledge/" + f.path + ": unknown kind '" + f.kind + "'");
      }
      r.finish();
    }
  }
  std::sort(k.sdks_.begin(), k.sdks_.end(), [](const Sdk& a, const Sdk& b) { return a.id < b.id; });
  for (const Ref& ref : refs) {
    bool ok = ref.pi ? k.find_pi_type(ref.id) != nullptr : k.find_permission(ref.id) != nullptr;
    if (!ok) {
      throw KnowledgeError("knowledge/" + ref.file + ": " + ref.where + " field '" + ref.field +
                           "' refers to unknown " + (ref.pi ? "PI type '" : "permission '") +
                           ref.id + "'");
    }
  }
  k.version_ = sha256_hex(files);
  return k;
}

Knowledge Knowledge::load_embedded() { return load(embedded_files()); }

Knowledge Knowledge::load_dir(const std::string& dir) {
  std::vector<std::string> storage;
  std::vector<KnowledgeFile> files;
  storage.reserve(embedded_files().size());
  for (const auto& f : embedded_files()) {
    std::ifstream in(dir + "/" + f.path, std::ios::binary);
    if (!in) throw KnowledgeError(dir + "/" + f.path + ": cannot read");
    storage.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    files.push_back({f.path, storage.back()});
  }
  return load(files);
}

namespace {
/// Binary search by id in a vector sorted by id (the loader checks the order).
template <class T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  auto it = std::lower_bound(items.begin(), items.end(), id,
                             [](const T& item, std::string_view v) { return item.id < v; });
  return it != items.end() && it->id == id ? &*it : nullptr;
}
} // namespace

const PiType* Knowledge::find_pi_type(std::string_view id) const {
  return find_by_id(pi_types_, id);
}

const Permission* Knowledge::find_permission(std::string_view id) const {
  return find_by_id(permissions_, id);
}

const Sdk* Knowledge::find_sdk(std::string_view id) const { return find_by_id(sdks_, id); }

} // namespace appaudit::knowledge
