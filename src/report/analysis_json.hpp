#pragma once

#include <nlohmann/json.hpp>

#include "engine/scan.hpp"

namespace appaudit::report {

/// Adds the analysis fields (sdks, packers, collections, missing_permissions, self_start,
/// analysis) to `report`, and `used` / `used_by` to each entry of report["permissions"].
/// Without an analysis (a scan with no DEX) the lists are empty and `analysis` is null.
void add_analysis_json(const engine::ScanResult& result, nlohmann::ordered_json& report);

} // namespace appaudit::report
