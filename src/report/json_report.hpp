#pragma once
/// The canonical JSON report (a public contract: docs/report-schema.md documents every field).
/// Deterministic: same ScanResult, same bytes; object keys in a fixed order.

#include <string>

#include "engine/scan.hpp"

namespace appaudit::report {

inline constexpr const char* kSchemaVersion = "1.0";

struct JsonOptions {
  bool include_timings = false; ///< add "timings" (wall-clock: makes output non-reproducible)
  int indent = 2;               ///< -1: compact
};

std::string render_json(const engine::ScanResult& result, const JsonOptions& options = {});

} // namespace appaudit::report
