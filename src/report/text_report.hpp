#pragma once
/// A readable terminal summary of a scan, rendered from the same ScanResult as the JSON.

#include <string>

#include "engine/scan.hpp"

namespace appaudit::report {

std::string render_text(const engine::ScanResult& result, bool include_timings = false);

} // namespace appaudit::report
