#pragma once
/// One self-contained HTML file a reviewer prints and signs: no scripts, no network (styles
/// inline), in zh-CN (default) or English — identity of the app, a summary by 164 problem type,
/// findings with their clauses and evidence paths, the SDK table, the permission table, rule
/// coverage, and signature lines. Rendered from the same ScanResult as the JSON.

#include <string>
#include <string_view>

#include "engine/scan.hpp"

namespace appaudit::report {

/// `lang`: "zh-CN" or "en".
std::string render_html(const engine::ScanResult& result, const knowledge::Knowledge& knowledge,
                        std::string_view lang);

} // namespace appaudit::report
