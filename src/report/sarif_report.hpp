#pragma once
/// SARIF 2.1.0 rendering of a scan's findings, for code-scanning in CI pipelines
/// (docs.oasis-open.org/sarif/sarif/v2.1.0). Every rule of the knowledge base is a
/// reportingDescriptor with its help text (what it checks, category, clauses); each finding is
/// a result with `ruleId`, a level from its severity, logical locations in class/method terms
/// and, for collections, a code flow along the witness path.

#include <string>

#include "engine/scan.hpp"

namespace appaudit::report {

std::string render_sarif(const engine::ScanResult& result, const knowledge::Knowledge& knowledge);

} // namespace appaudit::report
