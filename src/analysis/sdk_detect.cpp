#include "analysis/sdk_detect.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

namespace appaudit::analysis {
namespace {

/// Shell-style match where '*' stands for any run of characters (possibly empty) and every
/// other character matches itself (case-sensitive: APK entry names are). Iterative, with one
/// back-tracking point: linear in practice, no recursion on hostile names.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

/// The body of a class descriptor ("com/umeng/a/B" for "Lcom/umeng/a/B;"), or "" when
/// `descriptor` is not a class type (arrays, primitives, "L;", junk).
std::string_view class_body(std::string_view descriptor) {
  if (descriptor.size() < 3 || descriptor.front() != 'L' || descriptor.back() != ';') return {};
  return descriptor.substr(1, descriptor.size() - 2);
}

/// Native libraries whose file name matches any of `patterns`: file name → number of copies
/// (one per ABI directory), sorted by name.
std::map<std::string_view, uint32_t> match_native_libs(const std::vector<std::string>& patterns,
                                                       const apk::ApkInventory& inventory) {
  std::map<std::string_view, uint32_t> found;
  if (patterns.empty()) return found;
  for (const apk::NativeLib& lib : inventory.native_libs) {
    for (const std::string& pattern : patterns) {
      if (glob_match(pattern, lib.name)) {
        ++found[lib.name];
        break;
      }
    }
  }
  return found;
}

void add_native_evidence(const std::map<std::string_view, uint32_t>& libs,
                         std::vector<Evidence>& out) {
  for (const auto& [name, copies] : libs) out.push_back({"native_lib", std::string(name), copies});
}

/// Sorts `items` by value and merges equal values, adding their counts.
void sort_merge(std::vector<Evidence>& items) {
  std::sort(items.begin(), items.end(),
            [](const Evidence& a, const Evidence& b) { return a.value < b.value; });
  std::vector<Evidence> merged;
  for (Evidence& e : items) {
    if (!merged.empty() && merged.back().value == e.value) {
      merged.back().count += e.count;
    } else {
      merged.push_back(std::move(e));
    }
  }
  items = std::move(merged);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// SdkMatcher
//
// One hash map from the slashed form of every catalog package prefix ("com/umeng") to its SDK.
// A lookup takes the descriptor's package ("com/umeng/a" for "Lcom/umeng/a/B;") and probes it,
// then each shorter prefix cut at a '/' (longest first), so the first hit is the longest
// catalog prefix made of whole segments. Probes are string_views into the descriptor: nothing
// is allocated. Packages longer than the longest catalog prefix are cut down before probing.

namespace {
struct PrefixEntry {
  const knowledge::Sdk* sdk = nullptr;
  /// The catalog's dotted prefix: a view into `sdk->packages`, so its address identifies
  /// the (SDK, prefix) pair (detect_sdks counts by it).
  std::string_view dotted;
};
} // namespace

struct SdkMatcher::Impl {
  std::vector<std::string> keys; // slashed prefixes, owned; map keys view into them
  std::unordered_map<std::string_view, PrefixEntry> by_prefix;
  size_t max_key = 0;

  const PrefixEntry* find(std::string_view descriptor) const {
    std::string_view body = class_body(descriptor);
    size_t slash = body.rfind('/');
    if (slash == std::string_view::npos) return nullptr; // default package: nobody's
    std::string_view package = body.substr(0, slash);
    while (!package.empty()) {
      if (package.size() <= max_key) {
        auto it = by_prefix.find(package);
        if (it != by_prefix.end()) return &it->second;
      }
      slash = package.rfind('/');
      if (slash == std::string_view::npos) break;
      package = package.substr(0, slash);
    }
    return nullptr;
  }
};

SdkMatcher::SdkMatcher(const knowledge::Knowledge& knowledge) : impl_(new Impl) {
  size_t total = 0;
  for (const knowledge::Sdk& sdk : knowledge.sdks()) total += sdk.packages.size();
  impl_->keys.reserve(total); // no reallocation below: the map's keys view into these strings
  impl_->by_prefix.reserve(total);
  for (const knowledge::Sdk& sdk : knowledge.sdks()) {
    for (const std::string& package : sdk.packages) {
      if (package.empty() || package.find('/') != std::string::npos) continue;
      std::string key = package;
      std::replace(key.begin(), key.end(), '.', '/');
      impl_->keys.push_back(std::move(key));
      const std::string& stored = impl_->keys.back();
      // A prefix listed by two SDKs goes to the first in catalog order (the loader keeps
      // catalog order stable), so ownership never depends on hash-map iteration.
      if (impl_->by_prefix.emplace(stored, PrefixEntry{&sdk, package}).second) {
        impl_->max_key = std::max(impl_->max_key, stored.size());
      }
    }
  }
}

SdkMatcher::~SdkMatcher() { delete impl_; }
SdkMatcher::SdkMatcher(SdkMatcher&& o) noexcept : impl_(o.impl_) { o.impl_ = nullptr; }
SdkMatcher& SdkMatcher::operator=(SdkMatcher&& o) noexcept {
  std::swap(impl_, o.impl_);
  return *this;
}

const knowledge::Sdk* SdkMatcher::owner_of_class(std::string_view descriptor) const {
  const PrefixEntry* e = impl_ != nullptr ? impl_->find(descriptor) : nullptr;
  return e != nullptr ? e->sdk : nullptr;
}

std::string_view SdkMatcher::matched_prefix(std::string_view descriptor) const {
  const PrefixEntry* e = impl_ != nullptr ? impl_->find(descriptor) : nullptr;
  return e != nullptr ? e->dotted : std::string_view{};
}

// ---------------------------------------------------------------------------------------------
// detect_sdks

std::vector<DetectedSdk> detect_sdks(const knowledge::Knowledge& knowledge,
                                     const SdkMatcher& matcher,
                                     const std::vector<std::string_view>& class_descriptors,
                                     const apk::Manifest* manifest,
                                     const apk::ApkInventory& inventory) {
  const std::vector<knowledge::Sdk>& sdks = knowledge.sdks();

  // Classes per matched prefix, keyed by the address of the catalog string (see PrefixEntry).
  std::unordered_map<const char*, uint32_t> classes_by_prefix;
  for (std::string_view d : class_descriptors) {
    std::string_view prefix = matcher.matched_prefix(d);
    if (!prefix.empty()) ++classes_by_prefix[prefix.data()];
  }

  // Manifest classes (application and components) and meta-data names, with occurrences.
  std::unordered_map<std::string_view, uint32_t> manifest_classes;
  std::unordered_map<std::string_view, uint32_t> meta_names;
  if (manifest != nullptr) {
    if (!manifest->application.name.empty()) ++manifest_classes[manifest->application.name];
    for (const apk::MetaData& m : manifest->application.meta_data) ++meta_names[m.name];
    for (const apk::Component& c : manifest->components) {
      if (!c.name.empty()) ++manifest_classes[c.name];
      for (const apk::MetaData& m : c.meta_data) ++meta_names[m.name];
    }
  }

  std::vector<DetectedSdk> out;
  for (const knowledge::Sdk& sdk : sdks) {
    DetectedSdk found{&sdk, {}};
    for (const std::string& package : sdk.packages) {
      auto it = classes_by_prefix.find(package.data());
      if (it != classes_by_prefix.end()) found.evidence.push_back({"package", package, it->second});
    }
    std::vector<Evidence> components;
    for (const std::string& component : sdk.components) {
      auto it = manifest_classes.find(component);
      if (it != manifest_classes.end()) components.push_back({"component", component, it->second});
    }
    sort_merge(components);
    auto libs = match_native_libs(sdk.native_libs, inventory);
    if (found.evidence.empty() && components.empty() && libs.empty()) continue;

    std::vector<Evidence> meta;
    for (const std::string& key : sdk.meta_data_keys) {
      auto it = meta_names.find(key);
      if (it != meta_names.end()) meta.push_back({"meta_data", key, it->second});
    }
    sort_merge(meta);
    sort_merge(found.evidence);
    for (Evidence& e : components) found.evidence.push_back(std::move(e));
    for (Evidence& e : meta) found.evidence.push_back(std::move(e));
    add_native_evidence(libs, found.evidence);
    out.push_back(std::move(found));
  }
  std::sort(out.begin(), out.end(),
            [](const DetectedSdk& a, const DetectedSdk& b) { return a.sdk->id < b.sdk->id; });
  return out;
}

// ---------------------------------------------------------------------------------------------
// detect_packers

namespace {

/// Where a packer class pattern sits: packer index, pattern index within its `classes`.
struct ClassPatternRef {
  size_t packer = 0;
  size_t pattern = 0;
};

/// True when asset evidence alone is specific enough (see detect_packers in the header).
bool assets_specific(const std::vector<Evidence>& assets) {
  if (assets.size() >= 2) return true;
  return std::any_of(assets.begin(), assets.end(), [](const Evidence& e) {
    std::string_view v = e.value;
    return v.ends_with('/') || v.ends_with(".so");
  });
}

uint32_t count_assets(std::string_view pattern, const apk::ApkInventory& inventory) {
  uint32_t n = 0;
  bool directory = !pattern.empty() && pattern.back() == '/';
  bool glob = pattern.find('*') != std::string_view::npos;
  for (const std::string& asset : inventory.assets) {
    std::string_view a = asset;
    if (directory ? a.size() > pattern.size() && a.starts_with(pattern)
                  : (glob ? glob_match(pattern, a) : a == pattern)) {
      ++n;
    }
  }
  return n;
}

} // namespace

std::vector<DetectedPacker> detect_packers(const knowledge::Knowledge& knowledge,
                                           const std::vector<std::string_view>& class_descriptors,
                                           const apk::ApkInventory& inventory) {
  const std::vector<knowledge::Packer>& packers = knowledge.packers();

  // Class patterns: plain ones (a class name or a package/outer-class prefix) by name,
  // globs in a list.
  std::unordered_map<std::string_view, std::vector<ClassPatternRef>> plain;
  std::vector<ClassPatternRef> globs;
  std::vector<std::vector<uint32_t>> class_hits(packers.size());
  for (size_t i = 0; i < packers.size(); ++i) {
    class_hits[i].assign(packers[i].classes.size(), 0);
    for (size_t j = 0; j < packers[i].classes.size(); ++j) {
      const std::string& pattern = packers[i].classes[j];
      if (pattern.find('*') != std::string::npos) {
        globs.push_back({i, j});
      } else if (!pattern.empty()) {
        plain[pattern].push_back({i, j});
      }
    }
  }

  std::string dotted; // reused: grows to the longest name once, then no allocation
  for (std::string_view d : class_descriptors) {
    std::string_view body = class_body(d);
    if (body.empty()) continue;
    dotted.assign(body);
    std::replace(dotted.begin(), dotted.end(), '/', '.');
    std::string_view name = dotted;
    // The class itself, each enclosing class ("a.B$C" → "a.B") and each package ("a.B" → "a").
    auto probe = [&](std::string_view key) {
      auto it = plain.find(key);
      if (it == plain.end()) return;
      for (const ClassPatternRef& ref : it->second) ++class_hits[ref.packer][ref.pattern];
    };
    probe(name);
    for (size_t i = name.size(); i-- > 0;) {
      if (name[i] == '.' || name[i] == '$') probe(name.substr(0, i));
    }
    for (const ClassPatternRef& ref : globs) {
      if (glob_match(packers[ref.packer].classes[ref.pattern], name)) {
        ++class_hits[ref.packer][ref.pattern];
      }
    }
  }

  std::vector<DetectedPacker> out;
  for (size_t i = 0; i < packers.size(); ++i) {
    const knowledge::Packer& packer = packers[i];
    std::vector<Evidence> classes;
    for (size_t j = 0; j < packer.classes.size(); ++j) {
      if (class_hits[i][j] > 0) classes.push_back({"class", packer.classes[j], class_hits[i][j]});
    }
    sort_merge(classes);
    auto libs = match_native_libs(packer.native_libs, inventory);
    std::vector<Evidence> assets;
    for (const std::string& pattern : packer.assets) {
      if (uint32_t n = count_assets(pattern, inventory); n > 0) {
        assets.push_back({"asset", pattern, n});
      }
    }
    sort_merge(assets);
    if (classes.empty() && libs.empty() && !assets_specific(assets)) continue;
    DetectedPacker found{&packer, std::move(classes)};
    add_native_evidence(libs, found.evidence);
    for (Evidence& e : assets) found.evidence.push_back(std::move(e));
    out.push_back(std::move(found));
  }
  std::sort(out.begin(), out.end(), [](const DetectedPacker& a, const DetectedPacker& b) {
    return a.packer->id < b.packer->id;
  });
  return out;
}

} // namespace appaudit::analysis
