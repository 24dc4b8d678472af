#pragma once
/// The `appaudit policy` report (docs/report-schema.md, section "appaudit policy"): JSON and a
/// terminal summary of a policy::PolicyReport. The scan report embeds the same object under
/// `policy` (see policy_object).

#include <nlohmann/json.hpp>
#include <string>

#include "core/diagnostics.hpp"
#include "policy/policy.hpp"

namespace appaudit::report {

struct PolicyInput {
  std::string file_name;
  uint64_t size = 0;
  bool bom = false;
  size_t replaced = 0;
};

/// The policy object: file facts, last_updated, mentions, pi_types, negations, purposes,
/// conditions, sharing, sdk_list, sdks, rights, contacts. `text` (non-null) adds the text the
/// offsets refer to; `source_map` (HTML) adds source offsets to every mention.
nlohmann::ordered_json policy_object(const policy::PolicyReport& r, const PolicyInput& in,
                                     const policy::PolicyText* text);

/// The whole `appaudit policy --format json` document.
std::string render_policy_json(const policy::PolicyReport& r, const PolicyInput& in,
                               const policy::PolicyText& text, const Diagnostics& diags,
                               bool include_text);

/// `appaudit policy --format text`: a readable summary.
std::string render_policy_text(const policy::PolicyReport& r, const PolicyInput& in,
                               const Diagnostics& diags);

} // namespace appaudit::report
