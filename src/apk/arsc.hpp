#pragma once
/// resources.arsc: the compiled resource table, enough to resolve manifest references
/// (labels, meta-data values, network security config names) for a given configuration.
///
/// Spec: AOSP frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h
/// (ResTable_header, ResTable_package, ResTable_typeSpec, ResTable_type with FLAG_SPARSE and
/// FLAG_OFFSET16, ResTable_entry with FLAG_COMPLEX and FLAG_COMPACT, ResTable_map_entry,
/// ResTable_config) and config selection in ResourceTypes.cpp (ResTable_config::match,
/// isBetterThan). See docs/manifest.md for the simplified selection rules.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apk/axml.hpp"
#include "core/bytes.hpp"
#include "core/diagnostics.hpp"
#include "core/error.hpp"

namespace appaudit::apk {

/// ResTable_config, the fields used for selection (absent trailing fields read as 0).
struct ResConfig {
  uint16_t mcc = 0;
  uint16_t mnc = 0;
  char language[2] = {0, 0}; ///< two letters, or a packed three-letter code (high bit set)
  char country[2] = {0, 0};
  uint8_t orientation = 0;
  uint8_t touchscreen = 0;
  uint16_t density = 0;
  uint8_t keyboard = 0;
  uint8_t navigation = 0;
  uint8_t input_flags = 0;
  uint16_t screen_width = 0;
  uint16_t screen_height = 0;
  uint16_t sdk_version = 0;
  uint16_t minor_version = 0;
  uint8_t screen_layout = 0;
  uint8_t ui_mode = 0;
  uint16_t smallest_screen_width_dp = 0;
  uint16_t screen_width_dp = 0;
  uint16_t screen_height_dp = 0;
  char locale_script[4] = {0, 0, 0, 0};
  uint8_t screen_layout2 = 0;
  uint8_t color_mode = 0;

  /// "", "zh", "zh-CN" (BCP-47-like, as aapt's `locales:` line prints them).
  std::string locale() const;
  /// Qualifier string like aapt's: "default", "zh-rCN", "v21", "xhdpi-v4", ...
  std::string to_string() const;
  /// The configuration `aapt dump badging` asks for (en-US replaced by `locale`, portrait,
  /// mdpi, normal screen 320x480dp, sdk 10000); `locale` is "" (no locale), "zh" or "zh-CN".
  static ResConfig device(std::string_view locale);
  /// True when a resource with this configuration may be used on `requested`.
  bool matches(const ResConfig& requested) const;
  /// True when this configuration is a better match than `other` for `requested`
  /// (both must match).
  bool is_better_than(const ResConfig& other, const ResConfig& requested) const;
};

/// A value after following references.
struct ResolvedValue {
  ResValue value;           ///< final value (not a reference unless unresolvable)
  std::string string;       ///< the string when value is TYPE_STRING
  uint32_t resource_id = 0; ///< id whose entry supplied `value` (0 when no lookup happened)
};

/// A parsed resources.arsc. Views `bytes`, which must outlive the table.
class ResourceTable {
 public:
  ResourceTable();
  ~ResourceTable();
  ResourceTable(ResourceTable&&) noexcept;
  ResourceTable& operator=(ResourceTable&&) noexcept;

  /// Reads the table header, the global string pool and every package's type chunks. Lenient:
  /// unreadable chunks are skipped with a diagnostic; fails only when the outer header or the
  /// global string pool cannot be read at all.
  static Expected<ResourceTable> parse(ByteView bytes, Diagnostics& diags,
                                       std::string_view where = "resources.arsc");

  /// The value of entry `id` (0xPPTTEEEE) best matching `config`, without following
  /// references; nullopt when absent or when the entry is a complex (bag) entry.
  std::optional<ResValue> lookup(uint32_t id, const ResConfig& config) const;
  /// Follows reference chains (at most limits::kMaxResourceRefDepth steps) from `value`.
  /// Returns nullopt when a reference cannot be resolved.
  std::optional<ResolvedValue> resolve(const ResValue& value, const ResConfig& config) const;
  /// Convenience: the string that `id` resolves to for `config`, nullopt when not a string.
  std::optional<std::string> resolve_string(uint32_t id, const ResConfig& config) const;
  /// Global string pool entry `index` ("" when out of range).
  std::string global_string(uint32_t index) const;
  /// Number of strings in the global string pool (the values of string resources).
  uint32_t global_string_count() const;
  /// "type/entry" (e.g. "string/app_name") of `id`, nullopt when unknown.
  std::optional<std::string> name_of(uint32_t id) const;
  /// Every distinct locale of any config, sorted ("" for the default config when present).
  std::vector<std::string> locales() const;
  /// Package names and ids, in file order.
  std::vector<std::pair<uint32_t, std::string>> packages() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace appaudit::apk
