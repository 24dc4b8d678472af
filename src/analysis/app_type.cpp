#include "analysis/app_type.hpp"

#include <algorithm>
#include <map>

namespace appaudit::analysis {
namespace {

using knowledge::AppTypeSignal;
using Kind = knowledge::AppTypeSignalKind;

const char* const kAppCategoryNames[] = {"game", "audio", "video",        "image",        "social",
                                         "news", "maps",  "productivity", "accessibility"};

bool is_activity(apk::ComponentKind k) {
  return k == apk::ComponentKind::kActivity || k == apk::ComponentKind::kActivityAlias;
}

/// A VIEW filter for `scheme` that names no host: the app handles every such URI.
bool views_any_host(const apk::IntentFilter& f, std::string_view scheme) {
  if (std::find(f.actions.begin(), f.actions.end(), "android.intent.action.VIEW") ==
      f.actions.end()) {
    return false;
  }
  bool has_scheme = false;
  for (const auto& d : f.data) {
    if (!d.host.empty()) return false;
    has_scheme = has_scheme || d.scheme == scheme;
  }
  return has_scheme;
}

/// Package-name keyword: a segment containing it (>= 5 characters) or equal to it.
bool package_has(std::string_view package, std::string_view kw) {
  size_t start = 0;
  while (start <= package.size()) {
    size_t dot = package.find('.', start);
    if (dot == std::string_view::npos) dot = package.size();
    std::string seg(package.substr(start, dot - start));
    std::transform(seg.begin(), seg.end(), seg.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (kw.size() >= 5 ? seg.find(kw) != std::string::npos : seg == kw) return true;
    start = dot + 1;
  }
  return false;
}

/// Where `s` matches, or "" when it does not.
std::string match(const AppTypeSignal& s, const apk::Manifest* m, const apk::ApkInventory& inv) {
  switch (s.kind) {
    case Kind::kNativeLib:
      for (const auto& lib : inv.native_libs) {
        if (lib.name == s.value) return "native library " + lib.path;
      }
      return {};
    case Kind::kIntentCategory:
    case Kind::kIntentAction:
    case Kind::kServicePermission:
    case Kind::kViewScheme:
      if (m == nullptr) return {};
      for (const auto& c : m->components) {
        if (s.kind == Kind::kServicePermission) {
          if (c.kind == apk::ComponentKind::kService && c.permission == s.value) {
            return "service " + c.name + " android:permission";
          }
          continue;
        }
        for (const auto& f : c.intent_filters) {
          const auto& list = s.kind == Kind::kIntentCategory ? f.categories : f.actions;
          if (s.kind == Kind::kViewScheme) {
            if (is_activity(c.kind) && views_any_host(f, s.value)) {
              return std::string(to_string(c.kind)) + " " + c.name + " views any " + s.value +
                     ": URI";
            }
          } else if (std::find(list.begin(), list.end(), s.value) != list.end()) {
            return std::string(to_string(c.kind)) + " " + c.name + " intent filter";
          }
        }
      }
      return {};
    case Kind::kAppCategory:
      if (m != nullptr && m->application.app_category) {
        const int32_t v = *m->application.app_category;
        if (v >= 0 && v < 9 && s.value == kAppCategoryNames[v]) {
          return "android:appCategory=\"" + s.value + "\"";
        }
      }
      return {};
    case Kind::kLabelKeyword:
      if (m == nullptr) return {};
      for (const auto* label : {&m->label_zh_cn, &m->label}) {
        if (*label && label->value().find(s.value) != std::string::npos) {
          return "label \"" + label->value() + "\"";
        }
      }
      return {};
    case Kind::kPackageKeyword:
      if (m != nullptr && package_has(m->package, s.value)) return "package " + m->package;
      return {};
  }
  return {};
}

} // namespace

AppTypeInference infer_app_type(const apk::Manifest* manifest, const apk::ApkInventory& inventory,
                                const knowledge::Knowledge& k) {
  std::map<std::string, AppTypeCandidate> by_type;
  for (const AppTypeSignal& s : k.app_type_signals()) {
    std::string where = match(s, manifest, inventory);
    if (where.empty()) continue;
    AppTypeCandidate& c = by_type[s.app_type];
    if (c.type == nullptr) c.type = k.find_app_type(s.app_type);
    c.hits.push_back({&s, std::move(where)});
  }
  AppTypeInference out;
  for (auto& [id, c] : by_type) {
    if (c.type == nullptr) continue;
    double miss = 1.0;
    for (const AppTypeHit& h : c.hits) miss *= 1.0 - h.signal->weight / 100.0;
    c.score = c.confidence = 1.0 - miss;
    std::sort(c.hits.begin(), c.hits.end(), [](const AppTypeHit& a, const AppTypeHit& b) {
      return a.signal->weight != b.signal->weight ? a.signal->weight > b.signal->weight
                                                  : a.signal->id < b.signal->id;
    });
    out.candidates.push_back(std::move(c));
  }
  auto order = [](const AppTypeCandidate& a, const AppTypeCandidate& b) {
    return a.score != b.score ? a.score > b.score : a.type->id < b.type->id;
  };
  std::sort(out.candidates.begin(), out.candidates.end(), order);
  // Each candidate is discounted by the strongest other one: conflicting hints lower both.
  for (size_t i = 0; i < out.candidates.size(); ++i) {
    const double other = out.candidates.size() < 2 ? 0.0
                         : i == 0                  ? out.candidates[1].score
                                                   : out.candidates[0].score;
    out.candidates[i].confidence = out.candidates[i].score * (1.0 - other / 2);
  }
  if (out.candidates.size() > 5) out.candidates.resize(5);
  return out;
}

} // namespace appaudit::analysis
