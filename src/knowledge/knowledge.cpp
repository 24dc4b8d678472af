#include "knowledge/knowledge.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cmath>
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
  /// A string that must be one of `allowed`.
  std::string str_in(const std::string& field, const std::set<std::string>& allowed) {
    std::string s = str(field);
    if (allowed.count(s) == 0) fail(field, "'" + s + "' unknown");
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
  /// A finite number (integer or not).
  double number(const std::string& field) {
    const Json& v = get(field);
    if (!v.is_number() || !std::isfinite(v.get<double>())) fail(field, "must be a number");
    return v.get<double>();
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

/// Length of the DEX type descriptor at the start of `s` (dex-format "TypeDescriptor"), 0 when
/// there is none: a primitive, "V" when `allow_void`, an array of those, or "L<binary name>;".
size_t type_descriptor_length(std::string_view s, bool allow_void) {
  size_t dims = 0;
  while (dims < s.size() && s[dims] == '[') ++dims;
  if (dims == s.size()) return 0;
  char c = s[dims];
  if (c == 'V') return allow_void && dims == 0 ? 1 : 0;
  if (std::string_view("ZBSCIJFD").find(c) != std::string_view::npos) return dims + 1;
  size_t end = s.find(';', dims);
  if (c != 'L' || end == std::string_view::npos) return 0;
  std::string_view name = s.substr(dims + 1, end - dims - 1);
  if (name.empty() || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string_view::npos ||
      name.find_first_of(".()[<>: \t") != std::string_view::npos) {
    return 0;
  }
  return end + 1;
}

/// "Lpkg/Name;" (no arrays, no primitives).
bool valid_class_descriptor(std::string_view d) {
  return !d.empty() && d[0] == 'L' && type_descriptor_length(d, false) == d.size();
}

/// A method's name and prototype, "name(params)ret", split into its parts.
struct MethodProto {
  std::string_view name;
  std::vector<std::string_view> params;
  std::string_view ret;
};

std::optional<MethodProto> parse_method_proto(std::string_view s) {
  size_t open = s.find('(');
  if (open == 0 || open == std::string_view::npos) return std::nullopt;
  MethodProto p;
  p.name = s.substr(0, open);
  if (p.name != "<init>" && p.name != "<clinit>" &&
      p.name.find_first_of("()[;/.<>: \t") != std::string_view::npos) {
    return std::nullopt;
  }
  size_t i = open + 1;
  while (i < s.size() && s[i] != ')') {
    size_t n = type_descriptor_length(s.substr(i), false);
    if (n == 0) return std::nullopt;
    p.params.push_back(s.substr(i, n));
    i += n;
  }
  if (i >= s.size()) return std::nullopt;
  p.ret = s.substr(i + 1);
  if (p.ret.empty() || type_descriptor_length(p.ret, true) != p.ret.size()) return std::nullopt;
  return p;
}

/// "L<class>;-><name>(<params>)<return>".
std::optional<MethodProto> parse_method_descriptor(std::string_view d) {
  size_t arrow = d.find(";->");
  if (arrow == std::string_view::npos || !valid_class_descriptor(d.substr(0, arrow + 1))) {
    return std::nullopt;
  }
  return parse_method_proto(d.substr(arrow + 3));
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

/// Binary search by id in a vector sorted by id (the loader checks the order).
template <class T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  auto it = std::lower_bound(items.begin(), items.end(), id,
                             [](const T& item, std::string_view v) { return item.id < v; });
  return it != items.end() && it->id == id ? &*it : nullptr;
}

/// An enum field spelled as its `to_string`.
template <class E, size_t N>
E enum_field(EntryReader& r, const std::string& field, const E (&values)[N]) {
  std::string s = r.str(field);
  for (E v : values) {
    if (s == to_string(v)) return v;
  }
  r.fail(field, "'" + s + "' unknown");
}

/// A reference to an entry of another catalog, checked once every file is read.
enum class RefKind {
  kPiType,
  kPermission,
  kSdk,
  kFrameworkClass,
  kProblemType,
  kAppType,
  kRegulationItem,
};

struct Ref {
  std::string file, where, field, id;
  RefKind kind;
};

const char* ref_kind_name(RefKind kind) {
  switch (kind) {
    case RefKind::kPiType: return "PI type";
    case RefKind::kPermission: return "permission";
    case RefKind::kSdk: return "SDK";
    case RefKind::kFrameworkClass: return "framework class";
    case RefKind::kRegulationItem: return "regulation item";
    case RefKind::kProblemType: return "problem type";
    case RefKind::kAppType: return "app type";
  }
  return "entry";
}

const char* const kObject = "Ljava/lang/Object;";

FrameworkClass read_framework_class(EntryReader& r, FileChecks& checks, const std::string& id,
                                    const std::string& file, std::vector<Ref>& refs) {
  FrameworkClass c;
  c.id = id;
  if (!valid_class_descriptor(id)) r.fail("id", "'" + id + "' is not a class descriptor");
  c.super = r.str_or_null("super");
  if (c.super.empty() != (id == kObject)) {
    r.fail("super",
           "must be null for java.lang.Object and a class descriptor for every other class");
  }
  if (!c.super.empty()) {
    if (!valid_class_descriptor(c.super)) {
      r.fail("super", "'" + c.super + "' is not a class descriptor");
    }
    refs.push_back({file, r.where(), "super", c.super, RefKind::kFrameworkClass});
  }
  c.interfaces = r.strings("interfaces");
  for (const auto& i : c.interfaces) {
    if (!valid_class_descriptor(i)) r.fail("interfaces", "'" + i + "' is not a class descriptor");
    refs.push_back({file, r.where(), "interfaces", i, RefKind::kFrameworkClass});
  }
  c.sources = checks.sources(r);
  return c;
}

const std::set<std::string> kLifecycleComponents = {"activity", "service", "receiver", "provider",
                                                    "application"};

Callback read_callback(EntryReader& r, FileChecks& checks, const std::string& id) {
  Callback c;
  c.id = id;
  c.type = r.str("type");
  if (!valid_class_descriptor(c.type)) r.fail("type", "'" + c.type + "' is not a class descriptor");
  c.methods = r.strings("methods");
  if (c.methods.empty()) r.fail("methods", "must name at least one method");
  for (const auto& m : c.methods) {
    if (!parse_method_proto(m)) r.fail("methods", "'" + m + "' is not name(params)return");
  }
  c.kind = enum_field(
      r, "kind",
      {CallbackKind::kAsync, CallbackKind::kUi, CallbackKind::kLifecycle, CallbackKind::kSystem});
  c.component = r.str_or_null("component");
  c.startup = r.boolean("startup");
  if (c.kind == CallbackKind::kLifecycle) {
    if (kLifecycleComponents.count(c.component) == 0) {
      r.fail("component",
             "must be activity, service, receiver, provider or application for a "
             "lifecycle callback");
    }
  } else {
    if (!c.component.empty()) r.fail("component", "must be null unless kind is lifecycle");
    if (c.startup) r.fail("startup", "must be false unless kind is lifecycle");
  }
  c.sources = checks.sources(r);
  return c;
}

const std::set<std::string> kStartComponents = {"activity", "service", "receiver", "alarm", "job"};
// android:appCategory values (ApplicationInfo.CATEGORY_*).
const std::set<std::string> kAppCategories = {
    "game", "audio", "video", "image", "social", "news", "maps", "productivity", "accessibility"};

bool valid_identifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])) != 0) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
  });
}

ComponentStart read_component_start(EntryReader& r, FileChecks& checks, const std::string& id) {
  ComponentStart s;
  s.id = id;
  s.method_name = r.str("method_name");
  if (!valid_identifier(s.method_name)) {
    r.fail("method_name", "'" + s.method_name + "' is not a method name");
  }
  s.component = r.str_in("component", kStartComponents);
  s.sources = checks.sources(r);
  return s;
}

AppTypeSignal read_app_type_signal(EntryReader& r, FileChecks& checks, const std::string& id,
                                   const std::string& file, std::vector<Ref>& refs) {
  AppTypeSignal a;
  a.id = id;
  a.app_type = r.str("app_type");
  refs.push_back({file, r.where(), "app_type", a.app_type, RefKind::kAppType});
  a.kind = enum_field(r, "kind",
                      {AppTypeSignalKind::kIntentCategory, AppTypeSignalKind::kIntentAction,
                       AppTypeSignalKind::kServicePermission, AppTypeSignalKind::kViewScheme,
                       AppTypeSignalKind::kAppCategory, AppTypeSignalKind::kNativeLib,
                       AppTypeSignalKind::kLabelKeyword, AppTypeSignalKind::kPackageKeyword});
  a.value = r.str("value");
  if (a.kind == AppTypeSignalKind::kAppCategory && kAppCategories.count(a.value) == 0) {
    r.fail("value", "'" + a.value + "' is not an android:appCategory value");
  }
  if (a.kind == AppTypeSignalKind::kPackageKeyword &&
      a.value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    r.fail("value", "'" + a.value + "' must be lower-case letters, digits or _");
  }
  const int w = r.integer("weight");
  if (w < 1 || w > 99) r.fail("weight", "must be a percentage from 1 to 99");
  a.weight = w;
  a.sources = checks.sources(r);
  return a;
}

SystemBroadcast read_system_broadcast(EntryReader& r, FileChecks& checks, const std::string& id) {
  SystemBroadcast b;
  b.id = id;
  if (!valid_package(id) || id.find('.') == std::string::npos) {
    r.fail("id", "'" + id + "' is not an intent action");
  }
  b.boot = r.boolean("boot");
  b.sources = checks.sources(r);
  return b;
}

ConsentSignal read_consent(EntryReader& r, FileChecks& checks, const std::string& id,
                           const std::string& file, std::vector<Ref>& refs) {
  ConsentSignal c;
  c.id = id;
  c.kind = enum_field(
      r, "kind", {ConsentKind::kStorageRead, ConsentKind::kSdkSwitch, ConsentKind::kKeyPattern});
  c.target = r.str("target");
  c.sdk = r.str_or_null("sdk");
  std::optional<int> arg = r.integer_or_null("arg");
  c.arg = arg.value_or(-1);
  if (c.kind == ConsentKind::kKeyPattern) {
    if (std::any_of(c.target.begin(), c.target.end(),
                    [](char ch) { return std::isupper(static_cast<unsigned char>(ch)) != 0; }) ||
        std::isspace(static_cast<unsigned char>(c.target.front())) != 0 ||
        std::isspace(static_cast<unsigned char>(c.target.back())) != 0) {
      r.fail("target", "'" + c.target + "' must be a lower-case substring without outer spaces");
    }
    if (!c.sdk.empty()) r.fail("sdk", "must be null for key_pattern");
    if (arg) r.fail("arg", "must be null for key_pattern");
  } else {
    auto proto = parse_method_descriptor(c.target);
    if (!proto) r.fail("target", "'" + c.target + "' is not a DEX method descriptor");
    if (arg && (*arg < 0 || static_cast<size_t>(*arg) >= proto->params.size())) {
      r.fail("arg", "is not the index of a declared parameter of the target (receiver excluded)");
    }
    if (c.kind == ConsentKind::kStorageRead) {
      if (!arg) r.fail("arg", "is required for storage_read (the key argument)");
      if (proto->params[*arg] != "Ljava/lang/String;") {
        r.fail("arg", "must point at a String key parameter");
      }
      if (!c.sdk.empty()) r.fail("sdk", "must be null for storage_read");
    } else {
      if (c.sdk.empty()) r.fail("sdk", "is required for sdk_switch");
      refs.push_back({file, r.where(), "sdk", c.sdk, RefKind::kSdk});
      if (arg && proto->params[*arg] != "Z") r.fail("arg", "must point at a boolean parameter");
    }
  }
  c.sources = checks.sources(r);
  return c;
}

/// Every superclass chain ends at java.lang.Object (no cycles); references are already known.
void check_hierarchy(const std::vector<FrameworkClass>& classes, const std::string& file) {
  for (const FrameworkClass& c : classes) {
    const FrameworkClass* at = &c;
    for (size_t steps = 0; at != nullptr && !at->super.empty(); ++steps) {
      if (steps > classes.size()) {
        throw KnowledgeError("knowledge/" + file + ": entry '" + c.id +
                             "' field 'super' forms a cycle");
      }
      at = find_by_id(classes, at->super);
    }
  }
}

/// One entry per (type, method) among lifecycle entries and among the others, so a callback is
/// not claimed twice with different kinds.
void check_callbacks_unique(const std::vector<Callback>& callbacks, const std::string& file) {
  std::map<std::string, std::string> owner;
  for (const Callback& c : callbacks) {
    for (const auto& m : c.methods) {
      std::string key =
          std::string(c.kind == CallbackKind::kLifecycle ? "L " : "C ") + c.type + "->" + m;
      auto [it, fresh] = owner.emplace(key, c.id);
      if (!fresh) {
        throw KnowledgeError("knowledge/" + file + ": entry '" + c.id + "' field 'methods' " +
                             c.type + "->" + m + " is already in entry '" + it->second + "'");
      }
    }
  }
}

// --- the regulation catalog (knowledge/regulations/)

TextStatus read_text_status(EntryReader& r) {
  return enum_field(r, "text_status",
                    {TextStatus::kVerified, TextStatus::kSecondary, TextStatus::kUnverified,
                     TextStatus::kPractice});
}

/// The Chinese text, its English gloss, how closely the text was checked, and the sources:
/// the tail every regulation entry shares.
template <class T>
void read_glossed_text(EntryReader& r, FileChecks& checks, T& entry) {
  entry.text_zh = r.str("text_zh");
  entry.text_en = r.str("text_en");
  entry.text_status = read_text_status(r);
  entry.sources = checks.sources(r);
}

/// The ten problem types of the 164 notice, with the ids issue 4 fixed for them.
const std::set<std::string> kProblemTypeIds = {
    "illegal_collection", "excessive_collection", "illegal_use",         "forced_targeted_push",
    "forced_permissions", "self_start",           "misleading_download", "misleading_pi",
    "store_disclosure",   "store_management"};
const std::set<std::string> kProblemGroups = {"pi_processing", "obstruction_harassment",
                                              "deception", "store_responsibility"};

ProblemType read_problem_type(EntryReader& r, FileChecks& checks, const std::string& id) {
  ProblemType p;
  p.id = id;
  if (kProblemTypeIds.count(id) == 0) {
    r.fail("id", "'" + id + "' is not one of the ten problem types of the 164 notice");
  }
  p.name_zh = r.str("name_zh");
  p.name_en = r.str("name_en");
  p.group = r.str_in("group", kProblemGroups);
  read_glossed_text(r, checks, p);
  return p;
}

/// "<prefix><n>" with n a positive decimal number without leading zeros.
bool numbered(std::string_view id, std::string_view prefix) {
  if (id.substr(0, prefix.size()) != prefix || id.size() == prefix.size()) return false;
  std::string_view n = id.substr(prefix.size());
  return n[0] != '0' && std::all_of(n.begin(), n.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         });
}

RegulationItem read_regulation_item(EntryReader& r, FileChecks& checks, const std::string& id,
                                    const std::string& file, std::vector<Ref>& refs) {
  RegulationItem item;
  item.id = id;
  item.category = r.str_in("kind", {"category", "item"}) == "category";
  item.parent = r.str_or_null("parent");
  if (item.category) {
    if (!item.parent.empty()) r.fail("parent", "must be null for a category");
    if (!numbered(id, "m191.")) r.fail("id", "'" + id + "' is not a category code m191.<n>");
  } else if (item.parent.empty()) {
    r.fail("parent", "must name the item's category");
  } else if (!numbered(id, item.parent + ".")) {
    r.fail("id", "'" + id + "' is not an item code " + item.parent + ".<n> of its parent");
  }
  item.problem_types = r.strings("problem_types");
  if (item.category && !item.problem_types.empty()) {
    r.fail("problem_types", "must be empty for a category (its items carry the mapping)");
  }
  for (const auto& t : item.problem_types)
    refs.push_back({file, r.where(), "problem_types", t, RefKind::kProblemType});
  read_glossed_text(r, checks, item);
  return item;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
const char* const kLei = "类";

AppType read_app_type(EntryReader& r, FileChecks& checks, const std::string& id,
                      const std::string& file, std::vector<Ref>& refs) {
  AppType t;
  t.id = id;
  if (!valid_identifier(id) || std::any_of(id.begin(), id.end(), [](char c) {
        return std::isupper(static_cast<unsigned char>(c)) != 0 || c == '$';
      })) {
    r.fail("id", "'" + id + "' is not a snake_case id");
  }
  t.name_zh = r.str("name_zh");
  if (!ends_with(t.name_zh, kLei) || t.name_zh == kLei) {
    r.fail("name_zh", "'" + t.name_zh + "' must be the rule's name ending in 类");
  }
  t.name_en = r.str("name_en");
  t.clause = r.str("clause");
  t.basic_function_zh = r.str("basic_function_zh");
  const Json& pis = r.get("necessary_pi");
  if (!pis.is_array()) r.fail("necessary_pi", "must be an array of {text_zh, pi_types}");
  for (size_t i = 0; i < pis.size(); ++i) {
    EntryReader line(pis[i], file, r.where() + " necessary_pi[" + std::to_string(i) + "]");
    NecessaryPi pi{line.str("text_zh"), line.strings("pi_types")};
    if (pi.pi_types.empty()) line.fail("pi_types", "must name at least one PI type");
    for (const auto& p : pi.pi_types)
      refs.push_back({file, line.where(), "pi_types", p, RefKind::kPiType});
    line.finish();
    t.necessary_pi.push_back(std::move(pi));
  }
  t.no_pi_needed = r.boolean("no_pi_needed");
  if (t.no_pi_needed != t.necessary_pi.empty()) {
    r.fail("no_pi_needed", "must be true exactly when necessary_pi is empty");
  }
  t.text_status = read_text_status(r);
  t.sources = checks.sources(r);
  return t;
}

const std::set<std::string> kGbt41391Kinds = {"appendix", "immutable_device_id",
                                              "low_relevance_permissions"};
const std::map<std::string, std::string> kGbt41391Prefixes = {
    {"appendix", "appendix."},
    {"immutable_device_id", "immutable."},
    {"low_relevance_permissions", "low_relevance."}};

/// Where the entries of gbt41391.json go, by their `kind`.
struct Gbt41391Sink {
  std::vector<Gbt41391Appendix>& appendices;
  std::vector<ImmutableDeviceId>& immutable;
  std::vector<LowRelevancePermissions>& low_relevance;
};

/// One entry of gbt41391.json into the catalog its `kind` names.
void read_gbt41391(EntryReader& r, FileChecks& checks, const std::string& id,
                   const std::string& file, std::vector<Ref>& refs, const Gbt41391Sink& sink) {
  std::string kind = r.str_in("kind", kGbt41391Kinds);
  const std::string& prefix = kGbt41391Prefixes.at(kind);
  if (id.rfind(prefix, 0) != 0 || id.size() == prefix.size()) {
    r.fail("id", "'" + id + "' must start with '" + prefix + "' for kind " + kind);
  }
  if (kind == "appendix") {
    Gbt41391Appendix a{id, r.str("title_zh"), r.str("title_en"), r.boolean("normative"), {}};
    a.sources = checks.sources(r);
    sink.appendices.push_back(std::move(a));
  } else if (kind == "immutable_device_id") {
    ImmutableDeviceId d{id, r.str("name_zh"), r.str("pi_type"), read_text_status(r), {}};
    if (id != prefix + d.pi_type) r.fail("id", "must be '" + prefix + d.pi_type + "'");
    refs.push_back({file, r.where(), "pi_type", d.pi_type, RefKind::kPiType});
    d.sources = checks.sources(r);
    sink.immutable.push_back(std::move(d));
  } else {
    LowRelevancePermissions l{id,
                              r.str("service_type_zh"),
                              r.str_or_null("app_type"),
                              r.strings("permissions"),
                              read_text_status(r),
                              {}};
    if (!l.app_type.empty()) {
      refs.push_back({file, r.where(), "app_type", l.app_type, RefKind::kAppType});
    }
    if (l.permissions.empty()) r.fail("permissions", "must name at least one permission");
    for (const auto& p : l.permissions)
      refs.push_back({file, r.where(), "permissions", p, RefKind::kPermission});
    l.sources = checks.sources(r);
    sink.low_relevance.push_back(std::move(l));
  }
}

const std::set<std::string> kThresholdUnits = {"seconds", "hours", "clicks", "working_days"};

Threshold read_threshold(EntryReader& r, FileChecks& checks, const std::string& id) {
  Threshold t;
  t.id = id;
  t.value = r.integer("value");
  if (t.value <= 0) r.fail("value", "must be a positive integer");
  t.unit = r.str_in("unit", kThresholdUnits);
  read_glossed_text(r, checks, t);
  return t;
}

Rule read_rule(EntryReader& r, FileChecks& checks, const std::string& id, const std::string& file,
               std::vector<Ref>& refs) {
  Rule rule;
  rule.id = id;
  rule.title_zh = r.str("title_zh");
  rule.title_en = r.str("title_en");
  rule.category = r.str("category");
  refs.push_back({file, r.where(), "category", rule.category, RefKind::kProblemType});
  rule.clauses = r.strings("clauses");
  for (const auto& c : rule.clauses)
    refs.push_back({file, r.where(), "clauses", c, RefKind::kRegulationItem});
  rule.severity = r.str_in("severity", {"high", "medium", "low", "info"});
  rule.engine = r.str_in("engine", {"static", "policy", "dynamic"});
  rule.evidence_zh = r.str("evidence_zh");
  rule.evidence_en = r.str("evidence_en");
  if (rule.title_zh.empty() || rule.title_en.empty()) r.fail("title_zh", "titles must be set");
  rule.sources = checks.sources(r);
  return rule;
}

[[noreturn]] void fail_entry(const std::string& file, const std::string& id,
                             const std::string& field, const std::string& what) {
  throw KnowledgeError("knowledge/" + file + ": entry '" + id + "' field '" + field + "' " + what);
}

/// Items name an existing category; app type names are unique (find_app_type looks them up).
void check_regulations(const std::vector<RegulationItem>& items, const std::string& items_file,
                       const std::vector<AppType>& app_types, const std::string& app_file) {
  for (const RegulationItem& item : items) {
    if (item.category) continue;
    const RegulationItem* parent = find_by_id(items, item.parent);
    if (parent == nullptr || !parent->category) {
      fail_entry(items_file, item.id, "parent", "'" + item.parent + "' is not a category");
    }
  }
  std::map<std::string, std::string> names;
  for (const AppType& t : app_types) {
    auto [it, fresh] = names.emplace(t.name_zh, t.id);
    if (!fresh) {
      fail_entry(app_file, t.id, "name_zh",
                 "'" + t.name_zh + "' is already entry '" + it->second + "'");
    }
  }
}

/// Appendix F and the PI taxonomy agree: every listed identifier is a PI type flagged
/// immutable_device_id, and every flagged PI type is listed (once appendix F is loaded).
void check_immutable_ids(const std::vector<ImmutableDeviceId>& ids, const std::string& file,
                         const std::vector<PiType>& pi_types, const std::string& pi_file) {
  if (ids.empty()) return;
  std::set<std::string> listed;
  for (const ImmutableDeviceId& d : ids) {
    const PiType* t = find_by_id(pi_types, d.pi_type);
    if (t != nullptr && !t->immutable_device_id) {
      fail_entry(file, d.id, "pi_type",
                 "'" + d.pi_type + "' is not flagged immutable_device_id in " + pi_file);
    }
    listed.insert(d.pi_type);
  }
  for (const PiType& t : pi_types) {
    if (t.immutable_device_id && listed.count(t.id) == 0) {
      fail_entry(pi_file, t.id, "immutable_device_id",
                 "is true but " + file + " does not list it (appendix F)");
    }
  }
}

/// The documents' own sizes, checked on the catalog files themselves (knowledge/regulations/):
/// the ten problem types of the 164 notice, the 6 categories and 31 items of the 191
/// identification method, the 39 app types of the necessary-PI rule.
void check_catalog_sizes(const Knowledge& k, const std::map<std::string, std::string>& kind_file) {
  auto path_of = [&](const std::string& kind) {
    auto it = kind_file.find(kind);
    return it == kind_file.end() ? std::string() : it->second;
  };
  auto fail_size = [](const std::string& file, const std::string& what) {
    throw KnowledgeError("knowledge/" + file + ": " + what);
  };
  if (path_of("problem_types") == "regulations/mitt_164.json") {
    for (const auto& id : kProblemTypeIds) {
      if (k.find_problem_type(id) == nullptr) {
        fail_size("regulations/mitt_164.json", "lacks problem type '" + id + "' (ten required)");
      }
    }
  }
  if (path_of("regulation_items") == "regulations/identification_method.json") {
    size_t categories = 0;
    for (const auto& item : k.regulation_items()) categories += item.category ? 1 : 0;
    size_t items = k.regulation_items().size() - categories;
    if (categories != 6 || items != 31) {
      fail_size("regulations/identification_method.json",
                "has " + std::to_string(categories) + " categories and " + std::to_string(items) +
                    " items; the identification method has 6 and 31");
    }
  }
  if (path_of("app_types") == "regulations/necessary_pi.json" && k.app_types().size() != 39) {
    fail_size("regulations/necessary_pi.json",
              "has " + std::to_string(k.app_types().size()) + " app types; the rule lists 39");
  }
}

const std::set<std::string> kPiCategories = {
    "device_id", "device_info", "location",  "app_usage", "communication", "media",
    "account",   "sensor",      "biometric", "network",   "other"};
const std::set<std::string> kSdkCategories = {
    "push",          "analytics",        "ads",    "map_location", "payment", "social_share_login",
    "one_tap_login", "crash_reporting",  "hotfix", "risk_control", "oaid",    "im_rtc",
    "cloud_storage", "customer_service", "update", "network",      "ui",      "utility",
    "other"};

const std::set<std::string> kPolicyRights = {"access",     "account_closure", "complaint",
                                             "correction", "deletion",        "withdraw_consent"};

/// ASCII letters lower-cased; other bytes (UTF-8 included) unchanged.
std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

PolicyTerm read_policy_term(EntryReader& r, FileChecks& checks, const std::string& id,
                            const std::string& file, std::vector<Ref>& refs,
                            std::map<std::string, std::string>& pi_terms) {
  PolicyTerm t;
  t.id = id;
  t.kind = enum_field(r, "kind",
                      {PolicyTermKind::kPi,
                       PolicyTermKind::kStop,
                       PolicyTermKind::kNegation,
                       PolicyTermKind::kPurpose,
                       PolicyTermKind::kCondition,
                       PolicyTermKind::kPractice,
                       PolicyTermKind::kSharing,
                       PolicyTermKind::kSdkSection,
                       PolicyTermKind::kUpdated,
                       PolicyTermKind::kPolicyTitle,
                       PolicyTermKind::kRight,
                       PolicyTermKind::kRightContext,
                       PolicyTermKind::kException,
                       PolicyTermKind::kContrast,
                       PolicyTermKind::kGeneric,
                       PolicyTermKind::kListIntro,
                       PolicyTermKind::kSectionDefinitions,
                       PolicyTermKind::kSectionPractice,
                       PolicyTermKind::kSectionOther,
                       PolicyTermKind::kNonPractice,
                       PolicyTermKind::kGenericBlocker,
                       PolicyTermKind::kPiHead,
                       PolicyTermKind::kPiHeadBoundary});
  if (t.kind == PolicyTermKind::kPi) {
    t.pi_type = r.str("pi_type");
    refs.push_back({file, r.where(), "pi_type", t.pi_type, RefKind::kPiType});
  }
  if (t.kind == PolicyTermKind::kRight) t.right = r.str_in("right", kPolicyRights);
  t.terms = r.strings("terms");
  if (t.terms.empty()) r.fail("terms", "must list at least one term");
  for (const auto& term : t.terms) {
    if (!valid_utf8(term)) r.fail("terms", "'" + term + "' is not valid UTF-8");
    if (term.front() == ' ' || term.back() == ' ' || term.find('\n') != std::string::npos) {
      r.fail("terms", "'" + term + "' has leading/trailing blanks or a line break");
    }
    // PI and stop terms share one matcher (longest match wins): a term must mean one thing.
    if (t.kind == PolicyTermKind::kPi || t.kind == PolicyTermKind::kStop) {
      auto [it, fresh] = pi_terms.emplace(ascii_lower(term), id);
      if (!fresh) {
        r.fail("terms", "'" + term + "' is already a term of entry '" + it->second +
                            "' (PI and stop terms are matched together, case-insensitively)");
      }
    }
  }
  t.sources = checks.sources(r);
  return t;
}

} // namespace

const char* to_string(PolicyTermKind kind) {
  switch (kind) {
    case PolicyTermKind::kPi: return "pi";
    case PolicyTermKind::kStop: return "stop";
    case PolicyTermKind::kNegation: return "negation";
    case PolicyTermKind::kPurpose: return "purpose";
    case PolicyTermKind::kCondition: return "condition";
    case PolicyTermKind::kPractice: return "practice";
    case PolicyTermKind::kSharing: return "sharing";
    case PolicyTermKind::kSdkSection: return "sdk_section";
    case PolicyTermKind::kUpdated: return "updated";
    case PolicyTermKind::kPolicyTitle: return "policy_title";
    case PolicyTermKind::kRight: return "right";
    case PolicyTermKind::kRightContext: return "right_context";
    case PolicyTermKind::kException: return "exception";
    case PolicyTermKind::kContrast: return "contrast";
    case PolicyTermKind::kGeneric: return "generic";
    case PolicyTermKind::kListIntro: return "list_intro";
    case PolicyTermKind::kSectionDefinitions: return "section_definitions";
    case PolicyTermKind::kSectionPractice: return "section_practice";
    case PolicyTermKind::kSectionOther: return "section_other";
    case PolicyTermKind::kNonPractice: return "non_practice";
    case PolicyTermKind::kGenericBlocker: return "generic_blocker";
    case PolicyTermKind::kPiHead: return "pi_head";
    case PolicyTermKind::kPiHeadBoundary: return "pi_head_boundary";
  }
  return "unknown";
}

const char* to_string(ApiKind kind) {
  switch (kind) {
    case ApiKind::kMethod: return "method";
    case ApiKind::kField: return "field";
    case ApiKind::kContentUri: return "content_uri";
    case ApiKind::kSettingsKey: return "settings_key";
    case ApiKind::kIntentAction: return "intent_action";
    case ApiKind::kPasswordField: return "password_field";
    case ApiKind::kPermissionRequest: return "permission_request";
  }
  return "unknown";
}

const char* to_string(AppTypeSignalKind kind) {
  switch (kind) {
    case AppTypeSignalKind::kIntentCategory: return "intent_category";
    case AppTypeSignalKind::kIntentAction: return "intent_action";
    case AppTypeSignalKind::kServicePermission: return "service_permission";
    case AppTypeSignalKind::kViewScheme: return "view_scheme";
    case AppTypeSignalKind::kAppCategory: return "app_category";
    case AppTypeSignalKind::kNativeLib: return "native_lib";
    case AppTypeSignalKind::kLabelKeyword: return "label_keyword";
    case AppTypeSignalKind::kPackageKeyword: return "package_keyword";
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

const char* to_string(TextStatus status) {
  switch (status) {
    case TextStatus::kVerified: return "verified";
    case TextStatus::kSecondary: return "secondary";
    case TextStatus::kUnverified: return "unverified";
    case TextStatus::kPractice: return "practice";
  }
  return "unknown";
}

/// knowledge/policy_tagger.json: one model entry (see PolicyTagger).
PolicyTagger read_policy_tagger(EntryReader& r, FileChecks& checks, const std::string& id,
                                const std::string& file) {
  PolicyTagger t;
  t.id = id;
  t.features = r.str_in("features", {"mention/1"});
  t.bias = r.number("bias");
  t.threshold = r.number("threshold");
  if (!(t.threshold > 0 && t.threshold < 1)) r.fail("threshold", "must lie in (0, 1)");
  const Json& w = r.get("weights");
  if (!w.is_object() || w.empty()) r.fail("weights", "must be a non-empty object");
  for (auto it = w.begin(); it != w.end(); ++it) {
    if (!it.value().is_number() || !std::isfinite(it.value().get<double>())) {
      r.fail("weights", "'" + it.key() + "' must be a number");
    }
    if (it.key().empty() || !valid_utf8(it.key())) {
      r.fail("weights", "'" + it.key() + "' is not a feature name");
    }
    t.weights.emplace_back(it.key(), it.value().get<double>());
  }
  // nlohmann objects iterate in key order, so this is sorted already; checking is linear,
  // while sorting sorted input still costs n log n string comparisons (a tenth of the load).
  if (!std::is_sorted(t.weights.begin(), t.weights.end())) {
    std::sort(t.weights.begin(), t.weights.end());
  }
  EntryReader tr(r.get("training"), file, r.where() + " training");
  t.training.corpus = tr.str("corpus");
  t.training.split = tr.str("split");
  t.training.algorithm = tr.str("algorithm");
  t.training.command = tr.str("command");
  t.training.date = tr.str("date");
  t.training.epochs = tr.integer("epochs");
  t.training.seed = tr.integer("seed");
  t.training.examples = tr.integer("examples");
  t.training.positives = tr.integer("positives");
  tr.finish();
  t.sources = checks.sources(r);
  return t;
}

Knowledge Knowledge::load(const std::vector<KnowledgeFile>& files) {
  Knowledge k;
  std::vector<ParsedFile> parsed;
  for (const auto& f : files) parsed.push_back(parse_envelope(f));

  // References between entries (of any file) are checked after all entries are read, so the
  // order of the files does not matter.
  std::vector<Ref> refs;
  std::set<std::string> sdk_ids;
  std::map<std::string, std::string> start_names; // component start method name -> entry id
  std::map<std::string, std::string> kind_file;   // kind -> the file it came from
  std::map<std::string, std::string> pi_terms;    // policy PI/stop term -> entry id

  for (const ParsedFile& f : parsed) {
    for (const auto& [id, src] : f.sources)
      k.sources_.push_back({f.path + "#" + id, src.title, src.url});
    FileChecks checks(f);
    kind_file[f.kind] = f.path;
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
        for (const auto& p : ids) refs.push_back({f.path, r.where(), field, p, RefKind::kPiType});
      };
      if (f.kind == "pi_types") {
        PiType t;
        t.id = id;
        t.name_zh = r.str("name_zh");
        t.name_en = r.str("name_en");
        t.category = r.str_in("category", kPiCategories);
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
        a.kind = enum_field(
            r, "kind",
            {ApiKind::kMethod, ApiKind::kField, ApiKind::kContentUri, ApiKind::kSettingsKey,
             ApiKind::kIntentAction, ApiKind::kPasswordField, ApiKind::kPermissionRequest});
        a.target = r.str("target");
        if ((a.kind == ApiKind::kMethod || a.kind == ApiKind::kPasswordField ||
             a.kind == ApiKind::kPermissionRequest) &&
            !parse_method_descriptor(a.target)) {
          r.fail("target", "'" + a.target + "' is not a DEX method descriptor");
        }
        if (a.kind == ApiKind::kField && !valid_field_descriptor(a.target)) {
          r.fail("target", "'" + a.target + "' is not a DEX field descriptor");
        }
        a.pi_types = r.strings("pi_types");
        if (a.kind == ApiKind::kPermissionRequest) {
          if (!a.pi_types.empty()) r.fail("pi_types", "must be empty for a permission request");
        } else if (a.pi_types.empty()) {
          r.fail("pi_types", "must name at least one PI type");
        }
        need_pi("pi_types", a.pi_types);
        a.permissions = r.strings("permissions");
        for (const auto& p : a.permissions)
          refs.push_back({f.path, r.where(), "permissions", p, RefKind::kPermission});
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
        s.category = r.str_in("category", kSdkCategories);
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
      } else if (f.kind == "framework_classes") {
        k.framework_classes_.push_back(read_framework_class(r, checks, id, f.path, refs));
      } else if (f.kind == "callbacks") {
        k.callbacks_.push_back(read_callback(r, checks, id));
      } else if (f.kind == "component_starts") {
        k.component_starts_.push_back(read_component_start(r, checks, id));
        auto [it, fresh] = start_names.emplace(k.component_starts_.back().method_name, id);
        if (!fresh) {
          r.fail("method_name", "'" + it->first + "' is already entry '" + it->second +
                                    "' (starts are matched by name: one entry per name)");
        }
      } else if (f.kind == "app_type_signals") {
        k.app_type_signals_.push_back(read_app_type_signal(r, checks, id, f.path, refs));
      } else if (f.kind == "system_broadcasts") {
        k.system_broadcasts_.push_back(read_system_broadcast(r, checks, id));
      } else if (f.kind == "consent") {
        k.consent_signals_.push_back(read_consent(r, checks, id, f.path, refs));
      } else if (f.kind == "problem_types") {
        k.problem_types_.push_back(read_problem_type(r, checks, id));
      } else if (f.kind == "regulation_items") {
        k.regulation_items_.push_back(read_regulation_item(r, checks, id, f.path, refs));
      } else if (f.kind == "app_types") {
        k.app_types_.push_back(read_app_type(r, checks, id, f.path, refs));
      } else if (f.kind == "gbt41391") {
        read_gbt41391(
            r, checks, id, f.path, refs,
            {k.gbt41391_appendices_, k.immutable_device_ids_, k.low_relevance_permissions_});
      } else if (f.kind == "thresholds") {
        k.thresholds_.push_back(read_threshold(r, checks, id));
      } else if (f.kind == "rules") {
        k.rules_.push_back(read_rule(r, checks, id, f.path, refs));
      } else if (f.kind == "policy_terms") {
        k.policy_terms_.push_back(read_policy_term(r, checks, id, f.path, refs, pi_terms));
      } else if (f.kind == "policy_tagger") {
        if (!k.policy_tagger_.empty()) r.fail("id", "a second model (one tagger per file)");
        k.policy_tagger_.push_back(read_policy_tagger(r, checks, id, f.path));
      } else {
        throw KnowledgeError("knowledge/" + f.path + ": unknown kind '" + f.kind + "'");
      }
      r.finish();
    }
  }
  std::sort(k.sdks_.begin(), k.sdks_.end(), [](const Sdk& a, const Sdk& b) { return a.id < b.id; });
  for (const Ref& ref : refs) {
    bool ok = false;
    switch (ref.kind) {
      case RefKind::kPiType: ok = k.find_pi_type(ref.id) != nullptr; break;
      case RefKind::kPermission: ok = k.find_permission(ref.id) != nullptr; break;
      case RefKind::kSdk: ok = k.find_sdk(ref.id) != nullptr; break;
      case RefKind::kFrameworkClass:
        ok = ref.id == kObject || find_by_id(k.framework_classes_, ref.id) != nullptr;
        break;
      case RefKind::kProblemType: ok = k.find_problem_type(ref.id) != nullptr; break;
      case RefKind::kAppType: ok = find_by_id(k.app_types_, ref.id) != nullptr; break;
      case RefKind::kRegulationItem: {
        const RegulationItem* item = find_by_id(k.regulation_items_, ref.id);
        ok = item != nullptr && !item->category;
        break;
      }
    }
    if (!ok) {
      throw KnowledgeError("knowledge/" + ref.file + ": " + ref.where + " field '" + ref.field +
                           "' refers to unknown " + ref_kind_name(ref.kind) + " '" + ref.id + "'");
    }
  }
  check_hierarchy(k.framework_classes_, kind_file["framework_classes"]);
  check_callbacks_unique(k.callbacks_, kind_file["callbacks"]);
  check_regulations(k.regulation_items_, kind_file["regulation_items"], k.app_types_,
                    kind_file["app_types"]);
  check_immutable_ids(k.immutable_device_ids_, kind_file["gbt41391"], k.pi_types_,
                      kind_file["pi_types"]);
  check_catalog_sizes(k, kind_file);
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

const PiType* Knowledge::find_pi_type(std::string_view id) const {
  return find_by_id(pi_types_, id);
}

const Permission* Knowledge::find_permission(std::string_view id) const {
  return find_by_id(permissions_, id);
}

const Sdk* Knowledge::find_sdk(std::string_view id) const { return find_by_id(sdks_, id); }

const ProblemType* Knowledge::find_problem_type(std::string_view id) const {
  return find_by_id(problem_types_, id);
}

const RegulationItem* Knowledge::find_regulation_item(std::string_view id) const {
  return find_by_id(regulation_items_, id);
}

const Threshold* Knowledge::find_threshold(std::string_view id) const {
  return find_by_id(thresholds_, id);
}

const AppType* Knowledge::find_app_type(std::string_view id_or_name_zh) const {
  if (const AppType* t = find_by_id(app_types_, id_or_name_zh)) return t;
  for (const AppType& t : app_types_) {
    std::string_view name = t.name_zh;
    if (name == id_or_name_zh ||
        (!id_or_name_zh.empty() && name == std::string(id_or_name_zh) + kLei)) {
      return &t;
    }
  }
  return nullptr;
}

bool Knowledge::is_necessary_pi(const AppType& type, std::string_view pi_type) const {
  // Walk from pi_type up its parents; the depth bound keeps a cycle among parents from looping.
  std::string_view at = pi_type;
  for (size_t depth = 0; !at.empty() && depth <= pi_types_.size(); ++depth) {
    for (const NecessaryPi& line : type.necessary_pi) {
      if (std::find(line.pi_types.begin(), line.pi_types.end(), at) != line.pi_types.end()) {
        return true;
      }
    }
    const PiType* t = find_pi_type(at);
    at = t == nullptr ? std::string_view() : std::string_view(t->parent);
  }
  return false;
}

} // namespace appaudit::knowledge
