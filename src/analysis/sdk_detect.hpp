#pragma once
/// Third-party SDK and packer detection: which SDKs an APK carries and by what evidence, and
/// which code each class belongs to (longest package-prefix match against the SDK catalog).
///
/// Detection is presence, not behaviour: an SDK found here is reported in `sdks`; whether it
/// collects anything is decided by the call-graph analysis (collections with `party`).

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
/// "Lcom/umengx/C;"). Built once per knowledge base; lookups allocate nothing.
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

/// SDKs present in an app, in catalog order (by id), each with all evidence found.
/// `class_descriptors` are the app's class descriptors (all DEX files). `manifest` may be null.
std::vector<DetectedSdk> detect_sdks(const knowledge::Knowledge& knowledge,
                                     const SdkMatcher& matcher,
                                     const std::vector<std::string_view>& class_descriptors,
                                     const apk::Manifest* manifest,
                                     const apk::ApkInventory& inventory);

/// Packers/protectors present, by id, with evidence (stub classes, native libraries, assets).
std::vector<DetectedPacker> detect_packers(const knowledge::Knowledge& knowledge,
                                           const std::vector<std::string_view>& class_descriptors,
                                           const apk::ApkInventory& inventory);

} // namespace appaudit::analysis
