#pragma once
/// The findings as a spreadsheet (.xlsx, written with libxlsxwriter — a Debian package), the
/// format regulators' staff work in: sheet 问题清单/Findings (one row per finding, bilingual
/// headers), SDK, and 规则覆盖/Rule coverage. Rendered from the same ScanResult as the JSON.

#include <string>

#include "core/error.hpp"
#include "engine/scan.hpp"

namespace appaudit::report {

/// Writes the workbook to `path`; an error names the file and what failed.
Status write_xlsx(const engine::ScanResult& result, const std::string& path);

} // namespace appaudit::report
