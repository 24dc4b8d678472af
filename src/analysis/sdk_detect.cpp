#include "analysis/sdk_detect.hpp"

// Placeholder: the implementation lands with the SDK detection work.
namespace appaudit::analysis {

struct SdkMatcher::Impl {};
SdkMatcher::SdkMatcher(const knowledge::Knowledge&) : impl_(new Impl) {}
SdkMatcher::~SdkMatcher() { delete impl_; }
SdkMatcher::SdkMatcher(SdkMatcher&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
SdkMatcher& SdkMatcher::operator=(SdkMatcher&& o) noexcept {
  std::swap(impl_, o.impl_);
  return *this;
}
const knowledge::Sdk* SdkMatcher::owner_of_class(std::string_view) const { return nullptr; }
std::string_view SdkMatcher::matched_prefix(std::string_view) const { return {}; }
std::vector<DetectedSdk> detect_sdks(const knowledge::Knowledge&, const SdkMatcher&,
                                     const std::vector<std::string_view>&, const apk::Manifest*,
                                     const apk::ApkInventory&) {
  return {};
}
std::vector<DetectedPacker> detect_packers(const knowledge::Knowledge&,
                                           const std::vector<std::string_view>&,
                                           const apk::ApkInventory&) {
  return {};
}

} // namespace appaudit::analysis
