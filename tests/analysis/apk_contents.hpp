#pragma once
/// Test helper: opens an APK the way engine/scan.cpp does and keeps what SDK and packer
/// detection need (class descriptors of all DEX files, manifest, inventory) alive together.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apk/apk.hpp"
#include "apk/manifest.hpp"

namespace appaudit::test {

struct ApkContents {
  struct Storage; // mapped file, archive and DEX set the views below point into
  std::shared_ptr<Storage> storage;
  std::vector<std::string_view> classes; ///< each descriptor once (first definition wins)
  std::optional<apk::Manifest> manifest;
  apk::ApkInventory inventory;
};

/// Opens `path`; nullopt when it is not a usable APK (not a ZIP). Unreadable manifests or
/// DEX files leave the corresponding fields empty, as in a scan.
std::optional<ApkContents> open_apk_contents(const std::string& path);

/// Every *.apk file under `dir` (recursively), sorted; empty when `dir` does not exist.
std::vector<std::string> find_apks(const std::string& dir);

} // namespace appaudit::test
