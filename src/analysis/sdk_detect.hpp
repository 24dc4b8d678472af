#pragma once
/// Third-party SDK and packer detection: which SDKs an APK carries and by what evidence, and
/// which code each class belongs to (longest package-prefix match against the SDK catalog).
///
/// Detection is presence, not behaviour: an SDK found here is reported in `sdks`; whether it
/// collects anything is decided by the call-graph analysis (collections with `party`).
///
/// Catalog conventions (knowledge/sdks/*.json, knowledge/packers.json): SDK `packages` are
/// dotted package prefixes matched on whole segments; `components` and packer `classes` are
/// dotted class names; `native_libs` are file names with '*' globs; packer `assets` are full
/// entry names ("assets/x.dat") with '*' globs, or directories when they end in '/'.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apk/apk.hpp"
#include "apk/manifest.hpp"
#include "knowledge/knowledge.hpp"

namespace appaudit::analysis {

/// One piece of evidence: kind is "package" (value = the matched package prefix, count =
/// classes under it), "component" (a manifest component class), "meta_data" (a meta-data
/// key), "native_lib" (a library file name), "asset" (an asset path) or "class" (a packer's
/// stub class).
struct Evidence {
  std::string kind;
  std::string value;
  uint32_t count = 0;
};

struct DetectedSdk {
  const knowledge::Sdk* sdk = nullptr;
  std::vector<Evidence> evidence;
};

struct DetectedPacker {
  const knowledge::Packer* packer = nullptr;
  std::vector<Evidence> evidence;
};

/// Maps code to the SDK that owns it, by the longest catalog package prefix that contains
/// the class (whole package segments only: "com.umeng" owns "Lcom/umeng/a/B;" but not
/// "Lcom/umengx/C;"; "cn.jiguang.share" beats "cn.jiguang"). Only class types are owned:
/// arrays, primitives, malformed descriptors and classes of the default package map to no
/// SDK. Built once per knowledge base, which must outlive it (results point into it);
/// lookups allocate nothing (a hash probe per enclosing package, longest first).
class SdkMatcher {
 public:
  explicit SdkMatcher(const knowledge::Knowledge& knowledge);
  ~SdkMatcher();
  SdkMatcher(SdkMatcher&&) noexcept;
  SdkMatcher& operator=(SdkMatcher&&) noexcept;

  /// The SDK owning class `descriptor` ("Lcom/umeng/a/B;"), or nullptr for none.
  const knowledge::Sdk* owner_of_class(std::string_view descriptor) const;
  /// The matched package prefix (dotted) of that SDK for this class, "" for none.
  std::string_view matched_prefix(std::string_view descriptor) const;

 private:
  struct Impl;
  Impl* impl_ = nullptr;
};

/// SDKs present in an app, sorted by id, each with all evidence found.
///
/// `class_descriptors` are the app's class descriptors (all DEX files, each class once, e.g.
/// the ClassIndex winners); `matcher` must have been built from this same `knowledge`;
/// `manifest` may be null. Evidence, in this order, each kind sorted by value:
///  - "package": a catalog prefix and the number of classes it owns (longest-prefix match);
///  - "component": a catalog component class declared in the manifest (application class
///    included), count = declarations;
///  - "meta_data": a catalog key among the application's or components' <meta-data> names;
///  - "native_lib": a library file name matching a catalog glob, count = ABI copies.
///
/// Rule: an SDK is present when it has code (a class under one of its prefixes), a manifest
/// component or a native library. Meta-data is corroboration only, listed for SDKs already
/// present and never enough on its own: keys are shared by several SDKs of a vendor
/// (UMENG_APPKEY by seven Umeng SDKs, JPUSH_APPKEY by seven JiGuang ones, the HMS app id by
/// nine Huawei kits), some are generic ("api_key", "InstallChannel", "PUSH_APPID"), and build
/// templates keep keys after the SDK is gone. A key alone names no single SDK and no code.
std::vector<DetectedSdk> detect_sdks(const knowledge::Knowledge& knowledge,
                                     const SdkMatcher& matcher,
                                     const std::vector<std::string_view>& class_descriptors,
                                     const apk::Manifest* manifest,
                                     const apk::ApkInventory& inventory);

/// Packers/protectors present, sorted by id, with evidence in this order: "class" (a catalog
/// class pattern and the number of classes it matched: the class itself, its nested classes,
/// or the classes of a package when the pattern is a package), "native_lib" (file name, count
/// = ABI copies) and "asset" (the catalog pattern and the number of assets it matched).
///
/// Rule: a packer is present on any class or native-library evidence. Asset evidence alone
/// counts only when it is specific: two or more of the packer's asset patterns match, or a
/// matched one is a shared library ("assets/libjiagu.so": the loader hidden from the
/// installer) or the protector's own asset directory ("assets/appguard/"). A single other
/// asset is not enough because some catalog names are ordinary ("assets/sign.bin",
/// "assets/high_resolution.png", "assets/resources.dat", "assets/.appkey").
std::vector<DetectedPacker> detect_packers(const knowledge::Knowledge& knowledge,
                                           const std::vector<std::string_view>& class_descriptors,
                                           const apk::ApkInventory& inventory);

} // namespace appaudit::analysis
