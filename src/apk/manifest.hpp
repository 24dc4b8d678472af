#pragma once
/// The AndroidManifest.xml model: what the app declares (identity, SDK levels, permissions,
/// application flags, components with their effective exported state, meta-data, queries).
///
/// android: attributes are looked up by resource id (0x0101xxxx) first, like Android's
/// PackageParser (TypedArray) and aapt (indexOfAttribute by getAttributeNameResID) do; an
/// android: attribute without a resource id is accepted by name as a fallback. Element names
/// ignore namespaces, and only elements at their proper place count (e.g. uses-permission
/// directly under <manifest>), as in Android. Values that are references are resolved through
/// the ResourceTable when one is given. See docs/manifest.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apk/arsc.hpp"
#include "apk/axml.hpp"
#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

/// Resource ids of the android: attributes the model reads (frameworks/base/core/res/res/
/// values/public.xml).
namespace attr {
inline constexpr uint32_t kLabel = 0x01010001;
inline constexpr uint32_t kIcon = 0x01010002;
inline constexpr uint32_t kName = 0x01010003;
inline constexpr uint32_t kPermission = 0x01010006;
inline constexpr uint32_t kReadPermission = 0x01010007;
inline constexpr uint32_t kWritePermission = 0x01010008;
inline constexpr uint32_t kProtectionLevel = 0x01010009;
inline constexpr uint32_t kPermissionGroup = 0x0101000a;
inline constexpr uint32_t kSharedUserId = 0x0101000b;
inline constexpr uint32_t kHasCode = 0x0101000c;
inline constexpr uint32_t kPersistent = 0x0101000d;
inline constexpr uint32_t kEnabled = 0x0101000e;
inline constexpr uint32_t kDebuggable = 0x0101000f;
inline constexpr uint32_t kExported = 0x01010010;
inline constexpr uint32_t kProcess = 0x01010011;
inline constexpr uint32_t kAuthorities = 0x01010018;
inline constexpr uint32_t kGrantUriPermissions = 0x0101001b;
inline constexpr uint32_t kPriority = 0x0101001c;
inline constexpr uint32_t kValue = 0x01010024;
inline constexpr uint32_t kResource = 0x01010025;
inline constexpr uint32_t kMimeType = 0x01010026;
inline constexpr uint32_t kScheme = 0x01010027;
inline constexpr uint32_t kHost = 0x01010028;
inline constexpr uint32_t kPort = 0x01010029;
inline constexpr uint32_t kPath = 0x0101002a;
inline constexpr uint32_t kPathPrefix = 0x0101002b;
inline constexpr uint32_t kPathPattern = 0x0101002c;
inline constexpr uint32_t kTargetActivity = 0x01010202;
inline constexpr uint32_t kMinSdkVersion = 0x0101020c;
inline constexpr uint32_t kVersionCode = 0x0101021b;
inline constexpr uint32_t kVersionName = 0x0101021c;
inline constexpr uint32_t kTargetSdkVersion = 0x01010270;
inline constexpr uint32_t kMaxSdkVersion = 0x01010271;
inline constexpr uint32_t kTestOnly = 0x01010272;
inline constexpr uint32_t kAllowBackup = 0x01010280;
inline constexpr uint32_t kGlEsVersion = 0x01010281;
inline constexpr uint32_t kRequired = 0x0101028e;
inline constexpr uint32_t kInstallLocation = 0x010102b7;
inline constexpr uint32_t kLargeHeap = 0x0101035a;
inline constexpr uint32_t kExtractNativeLibs = 0x010104ea;
inline constexpr uint32_t kFullBackupContent = 0x010104eb;
inline constexpr uint32_t kUsesCleartextTraffic = 0x010104ec;
inline constexpr uint32_t kDirectBootAware = 0x01010505;
inline constexpr uint32_t kNetworkSecurityConfig = 0x01010527;
inline constexpr uint32_t kCompileSdkVersion = 0x01010572;
inline constexpr uint32_t kCompileSdkVersionCodename = 0x01010573;
inline constexpr uint32_t kVersionCodeMajor = 0x01010576;
inline constexpr uint32_t kAppComponentFactory = 0x0101057a;
inline constexpr uint32_t kRequestLegacyExternalStorage = 0x01010603;
inline constexpr uint32_t kAppCategory = 0x01010545;
inline constexpr uint32_t kDataExtractionRules = 0x0101063e;
} // namespace attr

/// An attribute value as written and as resolved.
struct AttrValue {
  ResValue typed;  ///< the typed value in the binary XML
  std::string raw; ///< as written: the string, or "@0x7f0b0001", "true", "42", ...
  /// Resolved through the ResourceTable for the default configuration: the final string or
  /// formatted value; equals `raw` when not a reference or not resolvable.
  std::string resolved;
  bool is_reference = false;
  bool reference_resolved = false;
  /// "type/entry" of the referenced resource (e.g. "xml/network_security_config").
  std::optional<std::string> resource_name;
};

/// A <uses-sdk> level as aapt prints it: an integer, or a codename string ("Q").
struct SdkLevel {
  std::optional<int32_t> api;
  std::string codename; ///< set when the attribute is a string (preview SDK)
  /// aapt's text: the integer in decimal, or the codename.
  std::string text() const { return api ? std::to_string(*api) : codename; }
};

/// <uses-permission> or <uses-permission-sdk-23>.
struct UsesPermission {
  std::string name;
  std::optional<int32_t> max_sdk; ///< android:maxSdkVersion
  bool sdk23 = false;             ///< declared with <uses-permission-sdk-23>
  std::optional<bool> required;   ///< android:required
  uint32_t line = 0;
  /// Not in the manifest, but granted by the platform for compatibility (aapt's
  /// uses-implied-permission), e.g. READ_PHONE_STATE for targetSdkVersion < 4.
  bool implied = false;
  std::string implied_reason; ///< aapt's reason text, e.g. "targetSdkVersion < 4"
};

/// <permission>: a permission the app defines.
struct PermissionDecl {
  std::string name;
  std::string protection_level; ///< "normal", "signature|privileged", ... ("normal" if absent)
  std::string group;
  uint32_t line = 0;
};

struct UsesFeature {
  std::string name; ///< empty for a glEsVersion-only declaration
  bool required = true;
  std::optional<uint32_t> gl_es_version;
};

struct UsesLibrary {
  std::string name;
  bool required = true;
};

/// <meta-data>: android:value and/or android:resource.
struct MetaData {
  std::string name;
  std::optional<AttrValue> value;
  std::optional<AttrValue> resource;
  uint32_t line = 0;
};

/// <data> inside an intent filter (each attribute optional, "" when absent).
struct IntentData {
  std::string scheme, host, port, path, path_prefix, path_pattern, mime_type;
};

struct IntentFilter {
  std::vector<std::string> actions;
  std::vector<std::string> categories;
  std::vector<IntentData> data;
  std::optional<int32_t> priority;
  uint32_t line = 0;
};

enum class ComponentKind { kActivity, kActivityAlias, kService, kReceiver, kProvider };
/// "activity", "activity-alias", "service", "receiver", "provider".
const char* to_string(ComponentKind kind);

/// Why a component is (not) exported.
enum class ExportedReason {
  kExplicit,       ///< android:exported is set
  kIntentFilter,   ///< absent, and the component has an intent filter -> true
  kProviderLegacy, ///< provider without android:exported, targetSdk <= 16 -> true
  kDefault,        ///< absent, no intent filter (or provider with targetSdk >= 17) -> false
};
/// "explicit", "intent-filter", "provider-target-sdk<=16", "default".
const char* to_string(ExportedReason reason);

struct Component {
  ComponentKind kind = ComponentKind::kActivity;
  std::string name;     ///< fully qualified (".Foo" and "Foo" are relative to the package)
  std::string raw_name; ///< android:name as written
  std::optional<bool> enabled;
  std::optional<bool> exported; ///< explicit android:exported, nullopt when absent
  bool effective_exported = false;
  ExportedReason exported_reason = ExportedReason::kDefault;
  std::string permission;
  std::string read_permission;  ///< provider
  std::string write_permission; ///< provider
  std::string process;
  std::vector<std::string> authorities; ///< provider, split on ';'
  std::string target_activity;          ///< activity-alias, fully qualified
  std::optional<bool> direct_boot_aware;
  std::optional<bool> grant_uri_permissions;
  std::vector<IntentFilter> intent_filters;
  std::vector<MetaData> meta_data;
  uint32_t line = 0;

  /// True when one intent filter has both `action` and `category`.
  bool has_filter(std::string_view action, std::string_view category) const;
};

struct Application {
  bool present = false;
  std::string name; ///< fully qualified android:name, "" when absent
  std::optional<AttrValue> label;
  std::optional<bool> allow_backup;
  std::optional<bool> debuggable;
  std::optional<bool> uses_cleartext_traffic;
  std::optional<AttrValue> network_security_config; ///< resource_name e.g. "xml/nsc"
  std::optional<bool> request_legacy_external_storage;
  std::optional<bool> extract_native_libs;
  std::optional<bool> test_only;
  std::optional<bool> persistent;
  std::optional<bool> has_code;
  std::optional<bool> large_heap;
  std::optional<AttrValue> full_backup_content; ///< bool or an xml resource
  std::optional<AttrValue> data_extraction_rules;
  /// android:appCategory as an integer (ApplicationInfo.CATEGORY_*: 0 game, 1 audio, 2 video,
  /// 3 image, 4 social, 5 news, 6 maps, 7 productivity, 8 accessibility); nullopt when absent.
  std::optional<int32_t> app_category;
  std::string app_component_factory; ///< fully qualified
  std::string process;
  std::string permission;
  std::vector<MetaData> meta_data;
  uint32_t line = 0;
};

/// <queries> (Android 11 package visibility).
struct Queries {
  std::vector<std::string> packages;
  std::vector<IntentFilter> intents;
  std::vector<std::string> providers; ///< authorities
};

struct Manifest {
  std::string package;
  /// versionCode | versionCodeMajor << 32 (0 when absent).
  int64_t version_code = 0;
  bool has_version_code = false;
  std::string version_name;           ///< resolved; "" when absent
  std::optional<SdkLevel> min_sdk;    ///< as declared (aapt's sdkVersion); nullopt when absent
  std::optional<SdkLevel> target_sdk; ///< as declared (aapt's targetSdkVersion)
  std::optional<int32_t> max_sdk;
  std::optional<int32_t> compile_sdk; ///< android:compileSdkVersion
  std::string compile_sdk_codename;   ///< android:compileSdkVersionCodename
  std::optional<int32_t> platform_build_version_code;
  std::string platform_build_version_name;
  std::string shared_user_id;
  std::optional<int32_t> install_location;
  /// Android's effective levels: min defaults to 1, target to min; a codename counts as 10000.
  int32_t effective_min_sdk = 1;
  int32_t effective_target_sdk = 1;

  /// Application label for the default configuration (aapt's application-label) and for
  /// zh-CN (application-label-zh-CN); nullopt when absent or unresolvable.
  std::optional<std::string> label;
  std::optional<std::string> label_zh_cn;

  /// Both tags in document order, then the implied permissions (`implied` set).
  std::vector<UsesPermission> uses_permissions;
  std::vector<PermissionDecl> permissions;
  std::vector<std::string> permission_groups;
  std::vector<UsesFeature> uses_features;
  std::vector<UsesLibrary> uses_libraries; ///< <uses-library> under <application>
  Application application;
  std::vector<Component> components; ///< in document order
  Queries queries;
  /// Fully-qualified names of activities/aliases with MAIN+LAUNCHER (aapt's
  /// launchable-activity), in document order.
  std::vector<std::string> launcher_activities;
};

/// Builds the model from a parsed document. `resources` (may be null) resolves references.
Expected<Manifest> build_manifest(const XmlDocument& doc, const ResourceTable* resources,
                                  Diagnostics& diags);

/// Parses AndroidManifest.xml bytes (binary XML) and builds the model.
Expected<Manifest> parse_manifest(ByteView axml_bytes, const ResourceTable* resources,
                                  Diagnostics& diags);

/// Resolves a manifest attribute value to a string for `locale` ("" = default, "zh-CN", ...),
/// the way aapt's getResolvedAttribute does: strings as written, references through the
/// table; nullopt when not a string.
std::optional<std::string> resolve_string(const AttrValue& value, const ResourceTable* resources,
                                          std::string_view locale);

/// Fully-qualified class name: ".Foo" -> pkg.Foo, "Foo" -> pkg.Foo, "a.Foo" unchanged.
std::string qualify_class_name(std::string_view package, std::string_view name);

} // namespace appaudit::apk
