/*
 * ClassIndex: descriptor → defining (dex, class_def), first definition wins.
 *
 * Android's BaseDexClassLoader/DexPathList looks classes up in the APK's DEX files in order
 * classes.dex, classes2.dex, ..., classesN.dex and returns the first match; ART's
 * ClassLinker does the same for the boot/app class path. Shadowed duplicates are recorded
 * because packers and hot-fix SDKs use them.
 */
#include "dex/class_index.hpp"

#include <algorithm>
#include <string>

namespace appaudit::dex {

ClassIndex ClassIndex::build(const DexSet& set, Diagnostics* diags) {
  ClassIndex index;
  index.order_.resize(set.size());
  for (uint32_t i = 0; i < set.size(); ++i) index.order_[i] = i;
  // Ranked names (classes.dex, classesN.dex) first by rank; others after, in insertion order.
  std::stable_sort(index.order_.begin(), index.order_.end(), [&](uint32_t a, uint32_t b) {
    const auto ra = classes_dex_rank(set[a].name());
    const auto rb = classes_dex_rank(set[b].name());
    const uint64_t ka = ra ? *ra : UINT64_MAX;
    const uint64_t kb = rb ? *rb : UINT64_MAX;
    return ka < kb;
  });
  size_t total = 0;
  for (const DexFile& f : set) total += f.class_defs_size();
  index.map_.reserve(total);
  for (uint32_t dex_i : index.order_) {
    const DexFile& dex = set[dex_i];
    for (uint32_t c = 0; c < dex.class_defs_size(); ++c) {
      auto def = dex.class_def(ClassDefIdx(c));
      if (!def) continue;
      auto desc = dex.type_descriptor(def->class_type);
      if (!desc) {
        if (diags != nullptr) diags->add_error("dex.class_def_bad_type", desc.error());
        continue;
      }
      const ClassLocation loc{dex_i, ClassDefIdx(c)};
      auto [it, inserted] = index.map_.try_emplace(*desc, loc);
      if (!inserted) {
        index.duplicates_.push_back(DuplicateClass{*desc, it->second, loc});
        if (diags != nullptr) {
          diags->add(Severity::kInfo, "dex.duplicate_class", dex.name(),
                     "class " + std::string(*desc) + " also defined in " +
                         set[it->second.dex].name() + " (that definition wins)");
        }
      }
    }
  }
  return index;
}

std::optional<ClassLocation> ClassIndex::find(std::string_view descriptor) const {
  auto it = map_.find(descriptor);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

} // namespace appaudit::dex
