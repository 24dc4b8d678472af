#pragma once
/// The rule engine: facts in (manifest, analysis), findings out — each citing the 164 problem
/// type and the 191-method clauses of its rule (knowledge/rules.json), with the evidence a
/// reviewer can follow, plus the coverage of every rule (fired, passed, not applicable and
/// why). Rules whose evidence needs another engine (privacy policy, runtime traces) are listed
/// as not applicable, never silently skipped.

#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "analysis/app_type.hpp"
#include "apk/manifest.hpp"
#include "knowledge/knowledge.hpp"
#include "policy/policy.hpp"

namespace appaudit::rules {

/// One piece of evidence: a collection (pi_type, api, caller, path), a permission, a
/// component, ...
struct Evidence {
  std::string kind;     ///< collection, permission, manifest, self_start, sdk, packer, app_type
  std::string text;     ///< one line a reviewer reads
  std::string pi_type;  ///< collections
  std::string api;      ///< collections
  std::string location; ///< method descriptor or manifest element
  std::vector<std::string> path;
};

struct Finding {
  std::string rule, category, severity, title, title_zh;
  std::vector<std::string> clauses;
  std::string party; ///< "app", an SDK id, or "" when not about code
  std::vector<Evidence> evidence;
  double confidence = 1.0;
};

struct Coverage {
  std::string rule;
  std::string status; ///< fired | passed | not_applicable
  std::string reason; ///< why not applicable; "" otherwise
  size_t findings = 0;
};

struct RulesResult {
  std::vector<Finding> findings;  ///< by severity (high first), then rule, then party
  std::vector<Coverage> coverage; ///< one per rule of the knowledge base, in id order
};

struct RulesInput {
  const apk::Manifest* manifest = nullptr;            ///< may be null (loose DEX)
  const analysis::AnalysisResult* analysis = nullptr; ///< may be null (no DEX)
  const knowledge::AppType* app_type = nullptr;       ///< given or inferred; may be null
  double app_type_confidence = 1.0;                   ///< < 1 when inferred
  /// The inference, when the type was not given (its hits explain an inferred type, its
  /// candidates an unknown one); may be null.
  const analysis::AppTypeInference* app_type_inference = nullptr;
  /// The privacy-policy facts: whether a policy was looked for (given or searched in the
  /// APK), the policy read (null when none), where it came from, policy URLs seen in the app,
  /// and whether a string resource reads like a consent dialog.
  bool policy_searched = false;
  const policy::PolicyReport* policy = nullptr;
  std::string policy_where{};
  std::vector<std::string> policy_urls{};
  bool policy_dialog_text = false;
};

RulesResult evaluate(const RulesInput& input, const knowledge::Knowledge& knowledge);

/// Static rules of the knowledge base that have no implementation here (a test keeps this
/// empty: data and code must agree).
std::vector<std::string> unimplemented_static_rules(const knowledge::Knowledge& knowledge);

/// "high" > "medium" > "low" > "info"; -1 for anything else.
int severity_rank(std::string_view severity);

} // namespace appaudit::rules
