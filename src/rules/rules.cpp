#include "rules/rules.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace appaudit::rules {
namespace {

using analysis::AnalysisResult;
using analysis::Collection;

constexpr size_t kMaxEvidence = 25; // per finding; the JSON report lists all collections

Evidence collection_evidence(const Collection& c) {
  Evidence e;
  e.kind = "collection";
  e.pi_type = c.pi_type;
  e.api = c.api;
  e.location = c.caller;
  e.path = c.path;
  e.text = c.pi_type + " via " + c.api + " in " + c.caller +
           (c.has_entry ? " (from " + c.entry.kind + ")" : std::string());
  return e;
}

/// Context shared by the rule implementations.
struct Ctx {
  const RulesInput& in;
  const knowledge::Knowledge& k;
  const knowledge::Rule& rule;
  std::vector<Finding>& out;
  std::string not_applicable; ///< set by a rule that cannot apply, with the reason

  Finding make(const std::string& party) const {
    Finding f;
    f.rule = rule.id;
    f.category = rule.category;
    f.severity = rule.severity;
    f.title = rule.title_en;
    f.title_zh = rule.title_zh;
    f.clauses = rule.clauses;
    f.party = party;
    return f;
  }
  const std::vector<Collection>& collections() const {
    static const std::vector<Collection> none;
    return in.analysis != nullptr ? in.analysis->collections : none;
  }
  bool need_code() {
    if (in.analysis == nullptr) not_applicable = "no DEX code was analysed";
    uses_code = in.analysis != nullptr;
    return in.analysis != nullptr;
  }
  bool uses_code = false; ///< the rule looked at the code (see packed_reason)
  /// Non-empty when a packer hides the app's code: a code rule that finds nothing then
  /// cannot say the app passes.
  std::string packed_reason() const {
    if (in.analysis == nullptr || in.analysis->packers.empty()) return {};
    std::string names;
    for (const auto& p : in.analysis->packers) names += (names.empty() ? "" : ", ") + p.packer->id;
    return "the app is packed (" + names +
           "): the protected code was not analysed, so nothing found is not a pass";
  }
  bool need_manifest() {
    if (in.manifest == nullptr) not_applicable = "no AndroidManifest.xml was read";
    return in.manifest != nullptr;
  }
};

/// One finding per party over the collections `pick` selects (one evidence item per
/// distinct PI type, API and caller).
void per_party(Ctx& ctx, const std::function<bool(const Collection&)>& pick, double confidence) {
  std::map<std::string, Finding> by_party;
  std::map<std::string, std::set<std::string>> seen;
  for (const Collection& c : ctx.collections()) {
    if (!pick(c)) continue;
    auto [it, inserted] = by_party.try_emplace(c.party, ctx.make(c.party));
    if (inserted) it->second.confidence = confidence;
    if (!seen[c.party].insert(c.pi_type + "|" + c.api + "|" + c.caller).second) continue;
    if (it->second.evidence.size() < kMaxEvidence) {
      it->second.evidence.push_back(collection_evidence(c));
    }
  }
  for (auto& [party, f] : by_party) ctx.out.push_back(std::move(f));
}

bool immutable(const knowledge::Knowledge& k, const std::string& pi) {
  const knowledge::PiType* t = k.find_pi_type(pi);
  return t != nullptr && t->immutable_device_id;
}

void rule_pre_consent(Ctx& ctx) {
  if (!ctx.need_code()) return;
  // Register tracking is intra-procedural: a consent flag kept in a field is not seen, so a
  // reviewer confirms the path.
  per_party(
      ctx, [](const Collection& c) { return c.pre_consent; }, 0.85);
}

void rule_immutable_id(Ctx& ctx) {
  if (!ctx.need_code()) return;
  per_party(
      ctx, [&](const Collection& c) { return c.reachable && immutable(ctx.k, c.pi_type); }, 0.9);
}

void rule_pi_type(Ctx& ctx, const char* pi) {
  if (!ctx.need_code()) return;
  per_party(
      ctx, [&](const Collection& c) { return c.reachable && c.pi_type == pi; }, 0.9);
}

bool requested(const apk::Manifest& m, std::string_view permission) {
  for (const auto& p : m.uses_permissions) {
    if (p.name == permission) return true;
  }
  return false;
}

void rule_background_location(Ctx& ctx) {
  if (!ctx.need_manifest()) return;
  const char* perm = "android.permission.ACCESS_BACKGROUND_LOCATION";
  if (!requested(*ctx.in.manifest, perm)) return;
  Finding f = ctx.make("");
  Evidence e;
  e.kind = "permission";
  e.text = std::string("<uses-permission> ") + perm;
  e.location = "AndroidManifest.xml";
  f.evidence.push_back(e);
  ctx.out.push_back(std::move(f));
}

std::vector<std::string> dangerous_requested(const Ctx& ctx) {
  std::vector<std::string> out;
  for (const auto& p : ctx.in.manifest->uses_permissions) {
    const knowledge::Permission* kp = ctx.k.find_permission(p.name);
    if (kp != nullptr && kp->runtime && std::find(out.begin(), out.end(), p.name) == out.end()) {
      out.push_back(p.name);
    }
  }
  return out;
}

void rule_target_sdk(Ctx& ctx) {
  if (!ctx.need_manifest()) return;
  const apk::Manifest& m = *ctx.in.manifest;
  if (m.effective_target_sdk >= 23) return;
  std::vector<std::string> dangerous = dangerous_requested(ctx);
  if (dangerous.empty()) return;
  Finding f = ctx.make("");
  Evidence e;
  e.kind = "manifest";
  e.location = "AndroidManifest.xml <uses-sdk>";
  e.text = "targetSdkVersion " + std::to_string(m.effective_target_sdk) + " < 23 with " +
           std::to_string(dangerous.size()) + " dangerous permissions granted at install";
  f.evidence.push_back(e);
  for (const auto& p : dangerous) {
    Evidence pe;
    pe.kind = "permission";
    pe.text = p;
    pe.location = "AndroidManifest.xml";
    f.evidence.push_back(pe);
  }
  ctx.out.push_back(std::move(f));
}

void rule_unused_permission(Ctx& ctx) {
  if (!ctx.need_manifest() || !ctx.need_code()) return;
  // "Nothing uses it" cannot be said of code a packer hides.
  if (std::string packed = ctx.packed_reason(); !packed.empty()) {
    ctx.not_applicable = packed;
    return;
  }
  Finding f = ctx.make("app");
  f.confidence = 0.7; // native code, dynamic loading and unmodelled APIs can use a permission
  for (const auto& u : ctx.in.analysis->permission_use) {
    const knowledge::Permission* kp = ctx.k.find_permission(u.permission);
    if (kp == nullptr || !kp->runtime || !u.guards_api || u.used) continue;
    Evidence e;
    e.kind = "permission";
    e.text = u.permission + ": no reachable code calls an API that needs it";
    e.location = "AndroidManifest.xml";
    f.evidence.push_back(e);
  }
  if (!f.evidence.empty()) ctx.out.push_back(std::move(f));
}

std::string percent(double x) { return std::to_string(static_cast<int>(x * 100 + 0.5)) + "%"; }

void rule_beyond_necessary(Ctx& ctx) {
  const analysis::AppTypeInference* inf = ctx.in.app_type_inference;
  if (ctx.in.app_type == nullptr) {
    ctx.not_applicable = "the app type is unknown (give --app-type)";
    if (inf != nullptr && !inf->candidates.empty()) {
      const analysis::AppTypeCandidate& best = inf->candidates.front();
      ctx.not_applicable = "the app type is unknown: the best guess, " + best.type->id + " at " +
                           percent(best.confidence) + ", is below " +
                           percent(analysis::kAppTypeThreshold) + " (give --app-type)";
    }
    return;
  }
  if (!ctx.need_code()) return;
  const knowledge::AppType& type = *ctx.in.app_type;
  per_party(
      ctx,
      [&](const Collection& c) { return c.reachable && !ctx.k.is_necessary_pi(type, c.pi_type); },
      0.8 * ctx.in.app_type_confidence);
  Evidence e;
  e.kind = "app_type";
  e.text = type.id + " (" + type.name_zh + ")" +
           (type.no_pi_needed ? ": basic function needs no personal information"
                              : ": necessary PI per the rule's " + type.clause);
  if (inf != nullptr && inf->chosen() != nullptr) {
    // An inferred type: say from what, so a reviewer can overrule it with --app-type.
    std::string why;
    for (const auto& h : inf->chosen()->hits) why += (why.empty() ? "" : "; ") + h.where;
    e.text += "; inferred with confidence " + percent(ctx.in.app_type_confidence) + " from " + why;
  }
  for (Finding& f : ctx.out) {
    if (f.rule == ctx.rule.id) f.evidence.insert(f.evidence.begin(), e);
  }
}

void rule_self_start(Ctx& ctx) {
  if (!ctx.need_code()) return;
  std::map<std::string, Finding> by_party;
  for (const auto& s : ctx.in.analysis->self_starts) {
    // A receiver of system broadcasts that starts nothing is listed in the report's
    // self_start facts but is not a finding by itself.
    if ((s.kind == "boot_receiver" || s.kind == "system_receiver") && s.starts.empty()) continue;
    auto [it, inserted] = by_party.try_emplace(s.party, ctx.make(s.party));
    Evidence e;
    e.kind = "self_start";
    e.location = s.component.empty() ? s.method : s.component;
    std::string starts;
    for (const auto& x : s.starts) starts += (starts.empty() ? "" : ", ") + x;
    e.text = s.kind + " " + e.location + (starts.empty() ? std::string() : " starts " + starts);
    if (it->second.evidence.size() < kMaxEvidence) it->second.evidence.push_back(e);
  }
  for (auto& [party, f] : by_party) ctx.out.push_back(std::move(f));
}

void rule_sdk_collects(Ctx& ctx) {
  if (!ctx.need_code()) return;
  for (const auto& s : ctx.in.analysis->sdks) {
    if (s.pi_types.empty()) continue;
    Finding f = ctx.make(s.detected.sdk->id);
    Evidence e;
    e.kind = "sdk";
    std::string pis;
    for (const auto& p : s.pi_types) pis += (pis.empty() ? "" : ", ") + p;
    e.text = s.detected.sdk->name_zh + " / " + s.detected.sdk->name_en + " (" +
             s.detected.sdk->vendor + ") collects " + pis;
    e.location = s.detected.sdk->privacy_policy_url;
    f.evidence.push_back(e);
    ctx.out.push_back(std::move(f));
  }
}

void rule_packed(Ctx& ctx) {
  if (!ctx.need_code()) return;
  for (const auto& p : ctx.in.analysis->packers) {
    Finding f = ctx.make("");
    Evidence e;
    e.kind = "packer";
    e.text = p.packer->name_zh + " / " + p.packer->name_en +
             ": the protected code is decrypted at run time; collections, SDKs and entry "
             "points inside it are not in this report";
    for (const auto& ev : p.evidence) e.location += (e.location.empty() ? "" : ", ") + ev.value;
    f.evidence.push_back(e);
    ctx.out.push_back(std::move(f));
  }
}

/// The runtime (dangerous) permissions a request names, and how many kinds they make:
/// permissions opening the same PI types count once (fine and coarse location).
struct RequestedRuntime {
  std::vector<std::string> permissions;
  size_t kinds = 0;
};

RequestedRuntime runtime_requested(const Ctx& ctx, const analysis::PermissionRequest& q) {
  RequestedRuntime out;
  std::set<std::vector<std::string>> kinds;
  for (const auto& p : q.permissions) {
    const knowledge::Permission* kp = ctx.k.find_permission(p);
    if (kp == nullptr || !kp->runtime) continue;
    out.permissions.push_back(p);
    std::vector<std::string> pis = kp->pi_types;
    std::sort(pis.begin(), pis.end());
    kinds.insert(pis.empty() ? std::vector<std::string>{p} : pis);
  }
  out.kinds = kinds.size();
  return out;
}

Evidence request_evidence(const analysis::PermissionRequest& q,
                          const std::vector<std::string>& permissions) {
  Evidence e;
  e.kind = "permission_request";
  e.api = q.api;
  e.location = q.caller;
  e.path = q.path;
  std::string names;
  for (const auto& p : permissions) {
    names += (names.empty() ? "" : ", ") + p.substr(p.rfind('.') + 1);
  }
  e.text = "requests " + names + " in " + q.caller +
           (q.has_entry ? " (from " + q.entry.kind + ")" : std::string());
  return e;
}

/// One finding per party over the permission requests `pick` selects.
void per_party_requests(
    Ctx& ctx,
    const std::function<bool(const analysis::PermissionRequest&, const RequestedRuntime&)>& pick,
    double confidence) {
  if (!ctx.need_code()) return;
  std::map<std::string, Finding> by_party;
  for (const auto& q : ctx.in.analysis->permission_requests) {
    RequestedRuntime rt = runtime_requested(ctx, q);
    if (rt.permissions.empty() || !pick(q, rt)) continue;
    auto [it, inserted] = by_party.try_emplace(q.party, ctx.make(q.party));
    if (inserted) it->second.confidence = confidence;
    if (it->second.evidence.size() < kMaxEvidence) {
      it->second.evidence.push_back(request_evidence(q, rt.permissions));
    }
  }
  for (auto& [party, f] : by_party) ctx.out.push_back(std::move(f));
}

void rule_pre_consent_request(Ctx& ctx) {
  per_party_requests(
      ctx,
      [](const analysis::PermissionRequest& q, const RequestedRuntime&) { return q.pre_consent; },
      0.85);
}

void rule_startup_bundle(Ctx& ctx) {
  // Whether refusing leaves the app unusable (the rest of the clause) needs a runtime test.
  per_party_requests(
      ctx,
      [](const analysis::PermissionRequest& q, const RequestedRuntime& rt) {
        return q.at_startup && rt.kinds >= 2;
      },
      0.7);
}

// --- privacy policy ------------------------------------------------------------------

/// The policy to compare with, or null with the rule marked not applicable.
const policy::PolicyReport* need_policy(Ctx& ctx) {
  if (ctx.in.policy == nullptr) {
    ctx.not_applicable = ctx.in.policy_urls.empty()
                             ? "no privacy policy to compare with"
                             : "the privacy policy is online (" + ctx.in.policy_urls.front() +
                                   "), not fetched: give it with --policy";
  }
  return ctx.in.policy;
}

Evidence policy_evidence(const Ctx& ctx, const std::string& text) {
  Evidence e;
  e.kind = "policy";
  e.location = ctx.in.policy_where;
  e.text = text;
  return e;
}

/// How the policy speaks of a PI type: declared (a non-negated mention of it or of a broader
/// type, the root "personal_info" excepted), only denied (every such mention in an
/// unconditional negation), or not at all; and whether a mention states a purpose.
struct Declared {
  bool declared = false, denied = false, with_purpose = false;
};

Declared declared(const Ctx& ctx, const policy::PolicyReport& p, const std::string& pi) {
  std::set<std::string> chain;
  std::string at = pi;
  for (size_t depth = 0; !at.empty() && depth < 32; ++depth) {
    if (at != "personal_info") chain.insert(at);
    const knowledge::PiType* t = ctx.k.find_pi_type(at);
    at = t == nullptr ? std::string() : t->parent;
  }
  std::set<uint32_t> purpose_mentions;
  for (const auto& st : p.purposes) purpose_mentions.insert(st.mentions.begin(), st.mentions.end());
  std::set<uint32_t> unconditional_negated;
  for (const auto& n : p.negations) {
    if (!n.conditional) unconditional_negated.insert(n.mentions.begin(), n.mentions.end());
  }
  Declared d;
  bool any = false, all_denied = true;
  for (uint32_t i = 0; i < p.mentions.size(); ++i) {
    const policy::Mention& m = p.mentions[i];
    if (chain.count(m.pi_type) == 0) continue;
    any = true;
    if (!m.negated) d.declared = true;
    if (unconditional_negated.count(i) == 0) all_denied = false;
    if (purpose_mentions.count(i) != 0) d.with_purpose = true;
  }
  d.denied = any && all_denied;
  return d;
}

void rule_no_policy(Ctx& ctx) {
  if (ctx.in.policy != nullptr) return;
  if (!ctx.in.policy_urls.empty()) {
    ctx.not_applicable = "the privacy policy is online (" + ctx.in.policy_urls.front() +
                         "), not fetched: give it with --policy";
    return;
  }
  Finding f = ctx.make("");
  f.confidence = 0.7; // a policy shown from a server the app builds the address of at run time
  f.evidence.push_back(policy_evidence(
      ctx,
      "no policy given with --policy; no policy text in assets/, res/raw/ or the string "
      "resources; no policy URL in the string resources or the code"));
  ctx.out.push_back(std::move(f));
}

void rule_no_prompt(Ctx& ctx) {
  if (!ctx.need_code()) return;
  const analysis::AnalysisResult& a = *ctx.in.analysis;
  const bool consent_seen =
      a.stats.consent_checks > 0 ||
      std::any_of(a.collections.begin(), a.collections.end(),
                  [](const Collection& c) { return c.consent_guard == "sdk_switch"; });
  if (consent_seen || ctx.in.policy_dialog_text) return;
  // "No prompt anywhere" cannot be said of code a packer hides.
  if (std::string packed = ctx.packed_reason(); !packed.empty()) {
    ctx.not_applicable = packed;
    return;
  }
  Finding f = ctx.make("");
  f.confidence = 0.5; // a prompt built from server text or images is not seen statically
  Evidence e;
  e.kind = "manifest";
  e.location = "start-up code";
  e.text =
      "no consent check in reachable code, no SDK privacy switch, no string resource "
      "asking to read and agree to the privacy policy";
  f.evidence.push_back(e);
  ctx.out.push_back(std::move(f));
}

/// One finding per party over the PI types its reachable collections have, where `bad` says
/// the policy's declaration of the type is wanting.
void per_party_pi(Ctx& ctx,
                  const std::function<bool(const knowledge::PiType&, const Declared&)>& bad,
                  const char* what, double confidence) {
  if (!ctx.need_code()) return;
  const policy::PolicyReport* p = need_policy(ctx);
  if (p == nullptr) return;
  std::map<std::string, Declared> cache;
  std::map<std::string, Finding> by_party;
  std::map<std::string, std::set<std::string>> seen;
  for (const Collection& c : ctx.collections()) {
    if (!c.reachable) continue;
    const knowledge::PiType* t = ctx.k.find_pi_type(c.pi_type);
    if (t == nullptr) continue;
    auto it = cache.find(c.pi_type);
    if (it == cache.end()) it = cache.emplace(c.pi_type, declared(ctx, *p, c.pi_type)).first;
    if (!bad(*t, it->second)) continue;
    if (!seen[c.party].insert(c.pi_type).second) continue;
    auto [f, inserted] = by_party.try_emplace(c.party, ctx.make(c.party));
    if (inserted) f->second.confidence = confidence;
    if (f->second.evidence.size() >= kMaxEvidence) continue;
    Evidence e = collection_evidence(c);
    e.text = c.pi_type + " (" + t->name_zh + ") " + what + "; collected via " + c.api + " in " +
             c.caller;
    f->second.evidence.push_back(e);
  }
  for (auto& [party, f] : by_party) {
    f.evidence.insert(f.evidence.begin(),
                      policy_evidence(ctx, "compared with " + ctx.in.policy_where));
    ctx.out.push_back(std::move(f));
  }
}

void rule_undeclared_pi(Ctx& ctx) {
  per_party_pi(
      ctx, [](const knowledge::PiType&, const Declared& d) { return !d.declared && !d.denied; },
      "is not declared in the policy", 0.7);
}

void rule_contradicts(Ctx& ctx) {
  per_party_pi(
      ctx, [](const knowledge::PiType&, const Declared& d) { return d.denied; },
      "is declared as not collected", 0.75);
}

void rule_no_purpose(Ctx& ctx) {
  per_party_pi(
      ctx,
      [](const knowledge::PiType& t, const Declared& d) {
        return t.sensitive && d.declared && !d.with_purpose;
      },
      "is mentioned without a purpose", 0.6);
}

void rule_undisclosed_sdk(Ctx& ctx) {
  if (!ctx.need_code()) return;
  const policy::PolicyReport* p = need_policy(ctx);
  if (p == nullptr) return;
  std::set<std::string> named;
  for (const auto& m : p->sdks) named.insert(m.sdk);
  for (const auto& s : ctx.in.analysis->sdks) {
    if (s.pi_types.empty() || named.count(s.detected.sdk->id) != 0) continue;
    Finding f = ctx.make(s.detected.sdk->id);
    f.confidence = 0.8; // the policy may name it in a way the catalog does not know
    std::string pis;
    for (const auto& x : s.pi_types) pis += (pis.empty() ? "" : ", ") + x;
    Evidence e;
    e.kind = "sdk";
    e.location = ctx.in.policy_where;
    e.text = s.detected.sdk->name_zh + " / " + s.detected.sdk->name_en + " (" +
             s.detected.sdk->vendor + ") collects " + pis +
             "; neither its name nor its package occurs in the policy";
    f.evidence.push_back(e);
    ctx.out.push_back(std::move(f));
  }
}

void rule_no_rights(Ctx& ctx) {
  const policy::PolicyReport* p = need_policy(ctx);
  if (p == nullptr) return;
  std::set<std::string> granted;
  for (const auto& r : p->rights) {
    if (r.count > 0) granted.insert(r.right);
  }
  std::string missing;
  for (const char* r : {"correction", "deletion", "account_closure", "complaint"}) {
    if (granted.count(r) == 0) missing += (missing.empty() ? "" : ", ") + std::string(r);
  }
  if (missing.empty()) return;
  Finding f = ctx.make("");
  f.confidence = 0.8; // a channel worded in a way the cues do not know is missed
  f.evidence.push_back(policy_evidence(ctx, "no sentence granting: " + missing));
  ctx.out.push_back(std::move(f));
}

using RuleFn = std::function<void(Ctx&)>;

const std::map<std::string, RuleFn>& implementations() {
  static const std::map<std::string, RuleFn> impl = {
      {"pre_consent_collection", rule_pre_consent},
      {"immutable_device_id", rule_immutable_id},
      {"installed_apps_list", [](Ctx& c) { rule_pi_type(c, "installed_apps"); }},
      {"clipboard_read", [](Ctx& c) { rule_pi_type(c, "clipboard"); }},
      {"background_location", rule_background_location},
      {"target_sdk_below_23", rule_target_sdk},
      {"unused_dangerous_permission", rule_unused_permission},
      {"beyond_necessary_pi", rule_beyond_necessary},
      {"self_start", rule_self_start},
      {"sdk_collects_pi", rule_sdk_collects},
      {"packed_app", rule_packed},
      {"pre_consent_permission_request", rule_pre_consent_request},
      {"startup_permission_bundle", rule_startup_bundle},
      {"no_privacy_policy", rule_no_policy},
      {"no_first_run_prompt", rule_no_prompt},
      {"undeclared_pi", rule_undeclared_pi},
      {"contradicts_policy", rule_contradicts},
      {"sensitive_pi_no_purpose", rule_no_purpose},
      {"undisclosed_sdk", rule_undisclosed_sdk},
      {"no_rights_channel", rule_no_rights},
  };
  return impl;
}

} // namespace

int severity_rank(std::string_view s) {
  if (s == "high") return 3;
  if (s == "medium") return 2;
  if (s == "low") return 1;
  if (s == "info") return 0;
  return -1;
}

RulesResult evaluate(const RulesInput& input, const knowledge::Knowledge& k) {
  RulesResult result;
  for (const knowledge::Rule& rule : k.rules()) {
    Coverage cov;
    cov.rule = rule.id;
    if (rule.engine != "static" && !(rule.engine == "policy" && input.policy_searched)) {
      cov.status = "not_applicable";
      cov.reason = rule.engine == "policy"
                       ? "needs the privacy-policy engine (not run in this scan)"
                       : "needs runtime traces (dynamic engine, not run in this scan)";
      result.coverage.push_back(std::move(cov));
      continue;
    }
    auto impl = implementations().find(rule.id);
    if (impl == implementations().end()) {
      cov.status = "not_applicable";
      cov.reason = "no implementation of this static rule in this appaudit version";
      result.coverage.push_back(std::move(cov));
      continue;
    }
    std::vector<Finding> found;
    Ctx ctx{input, k, rule, found, {}};
    impl->second(ctx);
    if (!ctx.not_applicable.empty()) {
      cov.status = "not_applicable";
      cov.reason = ctx.not_applicable;
    } else if (std::string packed = ctx.packed_reason();
               found.empty() && ctx.uses_code && !packed.empty() && rule.id != "packed_app") {
      cov.status = "not_applicable";
      cov.reason = packed;
    } else {
      cov.status = found.empty() ? "passed" : "fired";
      cov.findings = found.size();
    }
    for (auto& f : found) result.findings.push_back(std::move(f));
    result.coverage.push_back(std::move(cov));
  }
  std::stable_sort(result.findings.begin(), result.findings.end(),
                   [](const Finding& a, const Finding& b) {
                     const int ra = severity_rank(a.severity), rb = severity_rank(b.severity);
                     if (ra != rb) return ra > rb;
                     if (a.rule != b.rule) return a.rule < b.rule;
                     return a.party < b.party;
                   });
  return result;
}

std::vector<std::string> unimplemented_static_rules(const knowledge::Knowledge& k) {
  std::vector<std::string> out;
  for (const auto& r : k.rules()) {
    if ((r.engine == "static" || r.engine == "policy") && implementations().count(r.id) == 0) {
      out.push_back(r.id);
    }
  }
  return out;
}

} // namespace appaudit::rules
