#pragma once
/// Class lookup across all DEX files of an APK.
///
/// Android's PathClassLoader / DexPathList searches classes.dex, classes2.dex, ... in order and
/// the first definition of a descriptor wins; later definitions are shadowed. `ClassIndex`
/// reproduces that: it orders the DEX files of a `DexSet` by their APK entry name
/// (classes_dex_rank; files with other names keep their insertion order, after the ranked
/// ones), maps descriptor → (dex, class_def) for the winner and records every shadowed
/// duplicate. Keys are views into the DEX files: the DexSet must outlive the index.

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostics.hpp"
#include "dex/dex_file.hpp"

namespace appaudit::dex {

/// Where a class is defined: index into the DexSet and class_def index in that file.
struct ClassLocation {
  uint32_t dex = 0;
  ClassDefIdx class_def;
  friend bool operator==(const ClassLocation&, const ClassLocation&) = default;
};

/// A definition shadowed by an earlier one.
struct DuplicateClass {
  std::string_view descriptor;
  ClassLocation winner;
  ClassLocation shadowed;
};

class ClassIndex {
 public:
  /// Indexes every class def of every file in `set`. Duplicates also go to `diags` (info).
  static ClassIndex build(const DexSet& set, Diagnostics* diags = nullptr);

  /// The winning definition of `descriptor` ("Lcom/a/B;"), if any.
  std::optional<ClassLocation> find(std::string_view descriptor) const;
  size_t size() const { return map_.size(); }
  const std::vector<DuplicateClass>& duplicates() const { return duplicates_; }
  /// DexSet indices in class-loading order.
  const std::vector<uint32_t>& load_order() const { return order_; }

 private:
  std::unordered_map<std::string_view, ClassLocation> map_;
  std::vector<DuplicateClass> duplicates_;
  std::vector<uint32_t> order_;
};

} // namespace appaudit::dex
