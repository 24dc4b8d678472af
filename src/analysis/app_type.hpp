#pragma once
/// Which of the 39 app types of 《常见类型移动互联网应用程序必要个人信息范围规定》 an app
/// most likely is, from what it declares (intent filters, guarded services, appCategory, the
/// label, the package name, game-engine libraries), weighed by knowledge/app_type_signals.json.
///
/// Each type's score combines its matched signals as independent evidence (1 - Π(1 - w)); a
/// type's confidence is its score discounted by the strongest other type's (p · (1 - q / 2)),
/// so two strong but conflicting hints give a low confidence. Only a confidence at or above
/// kAppTypeThreshold is used by the necessary-PI rule; below it the candidates are reported
/// and the rule says the type is unknown.
#include <string>
#include <vector>

#include "apk/apk.hpp"
#include "apk/manifest.hpp"
#include "knowledge/knowledge.hpp"

namespace appaudit::analysis {

inline constexpr double kAppTypeThreshold = 0.6;

struct AppTypeHit {
  const knowledge::AppTypeSignal* signal = nullptr;
  std::string where; ///< what matched: "activity com.a.Main", "label 某某浏览器", ...
};

struct AppTypeCandidate {
  const knowledge::AppType* type = nullptr;
  double score = 0;      ///< its own signals combined
  double confidence = 0; ///< score, discounted by the runner-up for the best candidate
  std::vector<AppTypeHit> hits;
};

struct AppTypeInference {
  /// Best first (by confidence, then id); at most 5; empty when nothing matched.
  std::vector<AppTypeCandidate> candidates;
  /// The best candidate when its confidence reaches kAppTypeThreshold, else null.
  const AppTypeCandidate* chosen() const {
    return !candidates.empty() && candidates.front().confidence >= kAppTypeThreshold
               ? &candidates.front()
               : nullptr;
  }
};

AppTypeInference infer_app_type(const apk::Manifest* manifest, const apk::ApkInventory& inventory,
                                const knowledge::Knowledge& knowledge);

} // namespace appaudit::analysis
