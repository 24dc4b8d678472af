/*
 * AndroidManifest.xml model.
 *
 * What is read and how follows the platform's manifest parser (AOSP frameworks/base
 * core/java/android/content/pm/PackageParser.java, later parsing/ParsingPackageUtils.java and
 * parsing/component/ComponentParseUtils.java) and aapt's badging dump (frameworks/base
 * tools/aapt/Command.cpp, doDump "badging"), which the tests compare against:
 *  - element names ignore namespaces; only elements in their place count (<uses-permission>
 *    directly under <manifest>, components directly under the first <application>, ...);
 *  - android: attributes are matched by resource id (getAttributeNameResID), then by name when
 *    the attribute carries no resource id;
 *  - class names are qualified with the package (".Foo", "Foo" -> "pkg.Foo");
 *  - exported: explicit android:exported, else true when the component has an intent filter
 *    (apps targeting API 31+ must declare it), providers default to true only when
 *    targetSdkVersion <= 16 (Android 4.2 changed the default), else false;
 *  - uses-sdk: minSdkVersion defaults to 1 and targetSdkVersion to minSdkVersion; a codename
 *    (string) level counts as 10000 (Build.VERSION_CODES.CUR_DEVELOPMENT).
 */
#include "apk/manifest.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace appaudit::apk {
namespace {

constexpr int32_t kCurDevelopment = 10000;

bool name_is(const XmlElement& el, std::string_view name) { return el.name == name; }

class Builder {
 public:
  Builder(const ResourceTable* res, Diagnostics& diags)
      : res_(res), diags_(diags), default_config_(ResConfig::device("")) {}

  Expected<Manifest> build(const XmlDocument& doc);

 private:
  void note(const char* code, std::string message, const XmlElement* el = nullptr) {
    diags_.add_at(Severity::kWarning, code, "AndroidManifest.xml",
                  el != nullptr ? "line " + std::to_string(el->line) + ": " + message : message,
                  el != nullptr ? el->offset : 0);
  }

  const XmlAttribute* find(const XmlElement& el, uint32_t id, std::string_view name) const {
    return el.find_android(id, name);
  }
  AttrValue value_of(const XmlAttribute& a) const;
  std::optional<AttrValue> value(const XmlElement& el, uint32_t id, std::string_view name) const {
    const XmlAttribute* a = find(el, id, name);
    if (a == nullptr) return std::nullopt;
    return value_of(*a);
  }
  /// String attribute (resolved through references), "" when absent.
  std::string str(const XmlElement& el, uint32_t id, std::string_view name) const {
    auto v = value(el, id, name);
    return v ? v->resolved : std::string();
  }
  std::optional<bool> boolean(const XmlElement& el, uint32_t id, std::string_view name);
  std::optional<int32_t> integer(const XmlElement& el, uint32_t id, std::string_view name);
  std::optional<SdkLevel> sdk_level(const XmlElement& el, uint32_t id, std::string_view name);

  IntentFilter intent_filter(const XmlElement& el);
  MetaData meta_data(const XmlElement& el);
  void application(const XmlElement& el, Manifest& m);
  void component(const XmlElement& el, ComponentKind kind, Manifest& m);

  const ResourceTable* res_;
  Diagnostics& diags_;
  ResConfig default_config_;
};

AttrValue Builder::value_of(const XmlAttribute& a) const {
  AttrValue v;
  v.typed = a.value;
  v.raw = a.text();
  v.resolved = v.raw;
  if (a.value.is_reference() && !a.raw) {
    v.is_reference = true;
    if (res_ != nullptr) {
      v.resource_name = res_->name_of(a.value.data);
      if (auto r = res_->resolve(a.value, default_config_)) {
        v.reference_resolved = true;
        v.resolved =
            r->value.value_type() == ValueType::kString ? r->string : format_value(r->value);
      }
    }
  }
  return v;
}

std::optional<bool> Builder::boolean(const XmlElement& el, uint32_t id, std::string_view name) {
  const XmlAttribute* a = find(el, id, name);
  if (a == nullptr) return std::nullopt;
  ResValue v = a->value;
  std::string text = a->raw.value_or("");
  if (v.is_reference() && res_ != nullptr) {
    if (auto r = res_->resolve(v, default_config_)) {
      v = r->value;
      text = r->string;
    }
  }
  if (v.is_int()) return v.data != 0;
  if (v.value_type() == ValueType::kString || a->raw) {
    if (text == "true" || text == "TRUE" || text == "True" || text == "1") return true;
    if (text == "false" || text == "FALSE" || text == "False" || text == "0") return false;
  }
  note("manifest.bad_boolean", "attribute '" + a->name + "' is not a boolean", &el);
  return std::nullopt;
}

std::optional<int32_t> Builder::integer(const XmlElement& el, uint32_t id, std::string_view name) {
  const XmlAttribute* a = find(el, id, name);
  if (a == nullptr) return std::nullopt;
  ResValue v = a->value;
  if (v.is_reference() && res_ != nullptr) {
    if (auto r = res_->resolve(v, default_config_)) v = r->value;
  }
  if (v.is_int()) return static_cast<int32_t>(v.data);
  if (a->raw) {
    const std::string& s = *a->raw;
    int32_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && ptr == s.data() + s.size()) return out;
  }
  note("manifest.bad_integer", "attribute '" + a->name + "' is not an integer", &el);
  return std::nullopt;
}

std::optional<SdkLevel> Builder::sdk_level(const XmlElement& el, uint32_t id,
                                           std::string_view name) {
  // aapt: getIntegerAttribute; when not an integer, getResolvedAttribute (a codename string).
  const XmlAttribute* a = find(el, id, name);
  if (a == nullptr) return std::nullopt;
  SdkLevel level;
  if (a->value.is_int()) {
    level.api = static_cast<int32_t>(a->value.data);
    return level;
  }
  AttrValue v = value_of(*a);
  if (v.is_reference && v.reference_resolved && res_ != nullptr) {
    if (auto r = res_->resolve(a->value, default_config_); r && r->value.is_int()) {
      level.api = static_cast<int32_t>(r->value.data);
      return level;
    }
  }
  level.codename = v.resolved;
  return level;
}

IntentFilter Builder::intent_filter(const XmlElement& el) {
  IntentFilter f;
  f.line = el.line;
  f.priority = integer(el, attr::kPriority, "priority");
  for (const auto& c : el.children) {
    if (name_is(c, "action")) {
      f.actions.push_back(str(c, attr::kName, "name"));
    } else if (name_is(c, "category")) {
      f.categories.push_back(str(c, attr::kName, "name"));
    } else if (name_is(c, "data")) {
      IntentData d;
      d.scheme = str(c, attr::kScheme, "scheme");
      d.host = str(c, attr::kHost, "host");
      d.port = str(c, attr::kPort, "port");
      d.path = str(c, attr::kPath, "path");
      d.path_prefix = str(c, attr::kPathPrefix, "pathPrefix");
      d.path_pattern = str(c, attr::kPathPattern, "pathPattern");
      d.mime_type = str(c, attr::kMimeType, "mimeType");
      f.data.push_back(std::move(d));
    }
  }
  return f;
}

MetaData Builder::meta_data(const XmlElement& el) {
  MetaData md;
  md.line = el.line;
  md.name = str(el, attr::kName, "name");
  md.value = value(el, attr::kValue, "value");
  md.resource = value(el, attr::kResource, "resource");
  return md;
}

/// Permissions the platform grants for compatibility although the manifest does not request
/// them, with aapt's reasons (`aapt dump badging` prints them as uses-permission plus
/// uses-implied-permission; PackageParser's NEW_PERMISSIONS / SPLIT_PERMISSIONS hold the same
/// pre-Donut and pre-JellyBean rules). aapt's target level is max(minSdk, targetSdk), 0 when
/// uses-sdk is absent; our effective levels give the same answers for these thresholds.
void add_implied_permissions(Manifest& m) {
  auto find = [&m](std::string_view name) -> const UsesPermission* {
    for (const auto& p : m.uses_permissions) {
      if (!p.sdk23 && p.name == name) return &p;
    }
    return nullptr;
  };
  auto imply = [&m](std::string name, std::string reason, std::optional<int32_t> max_sdk) {
    UsesPermission p;
    p.name = std::move(name);
    p.implied = true;
    p.implied_reason = std::move(reason);
    p.max_sdk = max_sdk;
    m.uses_permissions.push_back(std::move(p));
  };
  const int32_t target = std::max(m.effective_min_sdk, m.effective_target_sdk);
  constexpr const char* kWriteStorage = "android.permission.WRITE_EXTERNAL_STORAGE";
  constexpr const char* kReadStorage = "android.permission.READ_EXTERNAL_STORAGE";
  if (target < 4) {
    if (find(kWriteStorage) == nullptr) imply(kWriteStorage, "targetSdkVersion < 4", {});
    if (find("android.permission.READ_PHONE_STATE") == nullptr) {
      imply("android.permission.READ_PHONE_STATE", "targetSdkVersion < 4", {});
    }
  }
  // Write access to external storage always brings read access.
  if (const UsesPermission* w = find(kWriteStorage);
      w != nullptr && find(kReadStorage) == nullptr) {
    imply(kReadStorage, "requested WRITE_EXTERNAL_STORAGE", w->max_sdk);
  }
  if (target < 16) {
    if (find("android.permission.READ_CONTACTS") != nullptr &&
        find("android.permission.READ_CALL_LOG") == nullptr) {
      imply("android.permission.READ_CALL_LOG", "targetSdkVersion < 16 and requested READ_CONTACTS",
            {});
    }
    if (find("android.permission.WRITE_CONTACTS") != nullptr &&
        find("android.permission.WRITE_CALL_LOG") == nullptr) {
      imply("android.permission.WRITE_CALL_LOG",
            "targetSdkVersion < 16 and requested WRITE_CONTACTS", {});
    }
  }
}

const char* const kProtectionBases[] = {"normal", "dangerous", "signature", "signatureOrSystem"};
struct FlagName {
  uint32_t bit;
  const char* name;
};
const FlagName kProtectionFlags[] = {
    {0x10, "privileged"},
    {0x20, "development"},
    {0x40, "appop"},
    {0x80, "pre23"},
    {0x100, "installer"},
    {0x200, "verifier"},
    {0x400, "preinstalled"},
    {0x800, "setup"},
    {0x1000, "instant"},
    {0x2000, "runtime"},
    {0x4000, "oem"},
    {0x8000, "vendorPrivileged"},
    {0x10000, "textClassifier"},
    {0x20000, "wellbeing"},
    {0x40000, "documenter"},
    {0x80000, "configurator"},
    {0x100000, "incidentReportApprover"},
    {0x200000, "appPredictor"},
    {0x800000, "companion"},
    {0x1000000, "retailDemo"},
    {0x2000000, "recents"},
    {0x4000000, "role"},
    {0x8000000, "knownSigner"},
};

std::string protection_text(uint32_t v) {
  std::string out = kProtectionBases[v & 0x3];
  uint32_t rest = v & ~0xfu;
  for (const auto& f : kProtectionFlags) {
    if ((rest & f.bit) != 0) {
      out += "|";
      out += f.name;
      rest &= ~f.bit;
    }
  }
  if (rest != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "|0x%x", rest);
    out += buf;
  }
  return out;
}

std::vector<std::string> split_authorities(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void Builder::component(const XmlElement& el, ComponentKind kind, Manifest& m) {
  Component c;
  c.kind = kind;
  c.line = el.line;
  c.raw_name = str(el, attr::kName, "name");
  c.name = qualify_class_name(m.package, c.raw_name);
  if (c.raw_name.empty()) note("manifest.component_without_name", "component without a name", &el);
  c.enabled = boolean(el, attr::kEnabled, "enabled");
  c.exported = boolean(el, attr::kExported, "exported");
  c.permission = str(el, attr::kPermission, "permission");
  c.process = str(el, attr::kProcess, "process");
  c.direct_boot_aware = boolean(el, attr::kDirectBootAware, "directBootAware");
  if (kind == ComponentKind::kProvider) {
    c.read_permission = str(el, attr::kReadPermission, "readPermission");
    c.write_permission = str(el, attr::kWritePermission, "writePermission");
    c.authorities = split_authorities(str(el, attr::kAuthorities, "authorities"));
    c.grant_uri_permissions = boolean(el, attr::kGrantUriPermissions, "grantUriPermissions");
  }
  if (kind == ComponentKind::kActivityAlias) {
    c.target_activity =
        qualify_class_name(m.package, str(el, attr::kTargetActivity, "targetActivity"));
  }
  for (const auto& child : el.children) {
    if (name_is(child, "intent-filter")) {
      c.intent_filters.push_back(intent_filter(child));
    } else if (name_is(child, "meta-data")) {
      c.meta_data.push_back(meta_data(child));
    }
  }
  if (c.exported) {
    c.effective_exported = *c.exported;
    c.exported_reason = ExportedReason::kExplicit;
  } else if (kind == ComponentKind::kProvider) {
    c.effective_exported = m.effective_target_sdk <= 16;
    c.exported_reason =
        c.effective_exported ? ExportedReason::kProviderLegacy : ExportedReason::kDefault;
  } else if (!c.intent_filters.empty()) {
    c.effective_exported = true;
    c.exported_reason = ExportedReason::kIntentFilter;
    if (m.effective_target_sdk >= 31) {
      note("manifest.exported_required",
           std::string(to_string(kind)) + " '" + c.name +
               "' has an intent filter but no android:exported; required when targeting API 31+",
           &el);
    }
  } else {
    c.effective_exported = false;
    c.exported_reason = ExportedReason::kDefault;
  }
  m.components.push_back(std::move(c));
}

void Builder::application(const XmlElement& el, Manifest& m) {
  Application& a = m.application;
  a.present = true;
  a.line = el.line;
  std::string name = str(el, attr::kName, "name");
  if (!name.empty()) a.name = qualify_class_name(m.package, name);
  a.label = value(el, attr::kLabel, "label");
  a.allow_backup = boolean(el, attr::kAllowBackup, "allowBackup");
  a.debuggable = boolean(el, attr::kDebuggable, "debuggable");
  a.uses_cleartext_traffic = boolean(el, attr::kUsesCleartextTraffic, "usesCleartextTraffic");
  a.network_security_config = value(el, attr::kNetworkSecurityConfig, "networkSecurityConfig");
  a.request_legacy_external_storage =
      boolean(el, attr::kRequestLegacyExternalStorage, "requestLegacyExternalStorage");
  a.extract_native_libs = boolean(el, attr::kExtractNativeLibs, "extractNativeLibs");
  a.test_only = boolean(el, attr::kTestOnly, "testOnly");
  a.persistent = boolean(el, attr::kPersistent, "persistent");
  a.has_code = boolean(el, attr::kHasCode, "hasCode");
  a.large_heap = boolean(el, attr::kLargeHeap, "largeHeap");
  a.app_category = integer(el, attr::kAppCategory, "appCategory");
  a.full_backup_content = value(el, attr::kFullBackupContent, "fullBackupContent");
  a.data_extraction_rules = value(el, attr::kDataExtractionRules, "dataExtractionRules");
  std::string factory = str(el, attr::kAppComponentFactory, "appComponentFactory");
  if (!factory.empty()) a.app_component_factory = qualify_class_name(m.package, factory);
  a.process = str(el, attr::kProcess, "process");
  a.permission = str(el, attr::kPermission, "permission");
  if (a.label) {
    m.label = resolve_string(*a.label, res_, "");
    m.label_zh_cn = resolve_string(*a.label, res_, "zh-CN");
  }
  for (const auto& c : el.children) {
    if (name_is(c, "activity")) {
      component(c, ComponentKind::kActivity, m);
    } else if (name_is(c, "activity-alias")) {
      component(c, ComponentKind::kActivityAlias, m);
    } else if (name_is(c, "service")) {
      component(c, ComponentKind::kService, m);
    } else if (name_is(c, "receiver")) {
      component(c, ComponentKind::kReceiver, m);
    } else if (name_is(c, "provider")) {
      component(c, ComponentKind::kProvider, m);
    } else if (name_is(c, "meta-data")) {
      a.meta_data.push_back(meta_data(c));
    } else if (name_is(c, "uses-library")) {
      UsesLibrary lib;
      lib.name = str(c, attr::kName, "name");
      lib.required = boolean(c, attr::kRequired, "required").value_or(true);
      m.uses_libraries.push_back(std::move(lib));
    }
  }
}

Expected<Manifest> Builder::build(const XmlDocument& doc) {
  const XmlElement* root = nullptr;
  for (const auto& r : doc.roots) {
    if (name_is(r, "manifest")) {
      root = &r;
      break;
    }
  }
  if (root == nullptr) {
    return make_error(Errc::kMalformed, "no <manifest> element", "AndroidManifest.xml");
  }
  if (root != doc.root()) note("manifest.root", "<manifest> is not the first element");
  Manifest m;
  if (const XmlAttribute* p = root->find_by_name("", "package")) m.package = p->text();
  // versionCode | versionCodeMajor << 32 (PackageInfo.getLongVersionCode).
  auto code = integer(*root, attr::kVersionCode, "versionCode");
  auto major = integer(*root, attr::kVersionCodeMajor, "versionCodeMajor");
  m.has_version_code = code.has_value();
  m.version_code = static_cast<int64_t>(static_cast<uint32_t>(code.value_or(0))) |
                   (static_cast<int64_t>(static_cast<uint32_t>(major.value_or(0))) << 32);
  m.version_name = str(*root, attr::kVersionName, "versionName");
  m.compile_sdk = integer(*root, attr::kCompileSdkVersion, "compileSdkVersion");
  m.compile_sdk_codename =
      str(*root, attr::kCompileSdkVersionCodename, "compileSdkVersionCodename");
  if (const XmlAttribute* p = root->find_by_name("", "platformBuildVersionCode")) {
    if (p->value.is_int()) {
      m.platform_build_version_code = static_cast<int32_t>(p->value.data);
    } else if (p->raw) {
      int32_t v = 0;
      const std::string& s = *p->raw;
      auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && ptr == s.data() + s.size()) m.platform_build_version_code = v;
    }
  }
  if (const XmlAttribute* p = root->find_by_name("", "platformBuildVersionName")) {
    m.platform_build_version_name = p->text();
  }
  m.shared_user_id = str(*root, attr::kSharedUserId, "sharedUserId");
  m.install_location = integer(*root, attr::kInstallLocation, "installLocation");

  // uses-sdk first: effective target SDK drives the exported defaults.
  for (const auto& c : root->children) {
    if (!name_is(c, "uses-sdk")) continue;
    if (auto v = sdk_level(c, attr::kMinSdkVersion, "minSdkVersion")) m.min_sdk = v;
    if (auto v = sdk_level(c, attr::kTargetSdkVersion, "targetSdkVersion")) m.target_sdk = v;
    if (auto v = integer(c, attr::kMaxSdkVersion, "maxSdkVersion")) m.max_sdk = v;
  }
  auto effective = [](const SdkLevel& l) { return l.api ? *l.api : kCurDevelopment; };
  m.effective_min_sdk = m.min_sdk ? effective(*m.min_sdk) : 1;
  m.effective_target_sdk = m.target_sdk ? effective(*m.target_sdk) : m.effective_min_sdk;

  bool seen_application = false;
  for (const auto& c : root->children) {
    if (name_is(c, "uses-permission") || name_is(c, "uses-permission-sdk-23") ||
        name_is(c, "uses-permission-sdk-m")) {
      UsesPermission p;
      p.name = str(c, attr::kName, "name");
      p.sdk23 = !name_is(c, "uses-permission");
      p.max_sdk = integer(c, attr::kMaxSdkVersion, "maxSdkVersion");
      p.required = boolean(c, attr::kRequired, "required");
      p.line = c.line;
      if (p.name.empty()) {
        note("manifest.permission_without_name", "uses-permission without a name", &c);
        continue;
      }
      m.uses_permissions.push_back(std::move(p));
    } else if (name_is(c, "permission")) {
      PermissionDecl p;
      p.name = str(c, attr::kName, "name");
      p.group = str(c, attr::kPermissionGroup, "permissionGroup");
      p.line = c.line;
      p.protection_level = "normal";
      if (const XmlAttribute* a = find(c, attr::kProtectionLevel, "protectionLevel")) {
        if (a->value.is_int()) {
          p.protection_level = protection_text(a->value.data);
        } else {
          p.protection_level = a->text();
        }
      }
      m.permissions.push_back(std::move(p));
    } else if (name_is(c, "permission-group")) {
      m.permission_groups.push_back(str(c, attr::kName, "name"));
    } else if (name_is(c, "uses-feature")) {
      UsesFeature f;
      f.name = str(c, attr::kName, "name");
      f.required = boolean(c, attr::kRequired, "required").value_or(true);
      if (auto gl = integer(c, attr::kGlEsVersion, "glEsVersion")) {
        f.gl_es_version = static_cast<uint32_t>(*gl);
      }
      m.uses_features.push_back(std::move(f));
    } else if (name_is(c, "application")) {
      if (seen_application) {
        note("manifest.multiple_applications", "more than one <application>; ignored", &c);
        continue;
      }
      seen_application = true;
      application(c, m);
    } else if (name_is(c, "queries")) {
      for (const auto& q : c.children) {
        if (name_is(q, "package")) {
          m.queries.packages.push_back(str(q, attr::kName, "name"));
        } else if (name_is(q, "intent")) {
          m.queries.intents.push_back(intent_filter(q));
        } else if (name_is(q, "provider")) {
          for (auto& a : split_authorities(str(q, attr::kAuthorities, "authorities"))) {
            m.queries.providers.push_back(std::move(a));
          }
        }
      }
    }
  }
  add_implied_permissions(m);
  for (const auto& c : m.components) {
    if ((c.kind == ComponentKind::kActivity || c.kind == ComponentKind::kActivityAlias) &&
        c.has_filter("android.intent.action.MAIN", "android.intent.category.LAUNCHER")) {
      m.launcher_activities.push_back(c.name);
    }
  }
  return m;
}

} // namespace

const char* to_string(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kActivity: return "activity";
    case ComponentKind::kActivityAlias: return "activity-alias";
    case ComponentKind::kService: return "service";
    case ComponentKind::kReceiver: return "receiver";
    case ComponentKind::kProvider: return "provider";
  }
  return "?";
}

const char* to_string(ExportedReason reason) {
  switch (reason) {
    case ExportedReason::kExplicit: return "explicit";
    case ExportedReason::kIntentFilter: return "intent-filter";
    case ExportedReason::kProviderLegacy: return "provider-target-sdk<=16";
    case ExportedReason::kDefault: return "default";
  }
  return "?";
}

bool Component::has_filter(std::string_view action, std::string_view category) const {
  for (const auto& f : intent_filters) {
    bool a = false;
    bool c = false;
    for (const auto& x : f.actions) a = a || x == action;
    for (const auto& x : f.categories) c = c || x == category;
    if (a && c) return true;
  }
  return false;
}

std::string qualify_class_name(std::string_view package, std::string_view name) {
  if (name.empty()) return {};
  if (name.front() == '.') return std::string(package) + std::string(name);
  if (name.find('.') == std::string_view::npos) {
    return std::string(package) + "." + std::string(name);
  }
  return std::string(name);
}

std::optional<std::string> resolve_string(const AttrValue& value, const ResourceTable* resources,
                                          std::string_view locale) {
  if (!value.is_reference) {
    if (value.typed.value_type() == ValueType::kString || value.typed.type == 0) return value.raw;
    return value.raw; // a literal written as a typed value: its text
  }
  if (resources == nullptr) return std::nullopt;
  auto r = resources->resolve(value.typed, ResConfig::device(locale));
  if (!r || r->value.value_type() != ValueType::kString) return std::nullopt;
  return r->string;
}

Expected<Manifest> build_manifest(const XmlDocument& doc, const ResourceTable* resources,
                                  Diagnostics& diags) {
  return Builder(resources, diags).build(doc);
}

Expected<Manifest> parse_manifest(ByteView axml_bytes, const ResourceTable* resources,
                                  Diagnostics& diags) {
  auto doc = parse_axml(axml_bytes, diags, "AndroidManifest.xml");
  if (!doc) return doc.error();
  return build_manifest(*doc, resources, diags);
}

} // namespace appaudit::apk
