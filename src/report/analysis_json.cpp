#include "report/analysis_json.hpp"

#include <map>

#include "report/policy_json.hpp"

namespace appaudit::report {
namespace {

using Json = nlohmann::ordered_json;

Json str_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json evidence_json(const std::vector<analysis::Evidence>& evidence) {
  Json out = Json::array();
  for (const auto& e : evidence) {
    out.push_back(Json{{"kind", e.kind}, {"value", e.value}, {"count", e.count}});
  }
  return out;
}

Json entry_json(bool has_entry, const analysis::EntryRef& e) {
  if (!has_entry) return nullptr;
  return Json{{"kind", e.kind}, {"component", str_or_null(e.component)}, {"method", e.method}};
}

Json request_json(const analysis::PermissionRequest& q) {
  return Json{{"api", q.api},
              {"api_id", q.api_id},
              {"caller", q.caller},
              {"pc", q.pc},
              {"permissions", q.permissions},
              {"party", q.party},
              {"party_by", q.party_by},
              {"entry", entry_json(q.has_entry, q.entry)},
              {"reachable", q.reachable},
              {"pre_consent", q.pre_consent},
              {"at_startup", q.at_startup},
              {"path", q.path},
              {"path_via", q.path_via}};
}

Json collection_json(const analysis::Collection& c) {
  Json entry = entry_json(c.has_entry, c.entry);
  return Json{{"pi_type", c.pi_type},
              {"api", c.api},
              {"api_id", c.api_id},
              {"api_kind", c.api_kind},
              {"caller", c.caller},
              {"pc", c.pc},
              {"party", c.party},
              {"party_by", c.party_by},
              {"entry", entry},
              {"reachable", c.reachable},
              {"pre_consent", c.pre_consent},
              {"consent_guard", str_or_null(c.consent_guard)},
              {"path", c.path},
              {"path_via", c.path_via},
              {"permissions", c.permissions}};
}

} // namespace

void add_analysis_json(const engine::ScanResult& r, Json& report) {
  Json sdks = Json::array(), packers = Json::array(), collections = Json::array(),
       missing = Json::array(), self_start = Json::array(), requests = Json::array();
  Json stats = nullptr;
  std::map<std::string, const analysis::PermissionUse*> uses;
  if (r.analysis) {
    const analysis::AnalysisResult& a = *r.analysis;
    for (const auto& s : a.sdks) {
      const knowledge::Sdk& k = *s.detected.sdk;
      sdks.push_back(Json{{"id", k.id},
                          {"name", k.name_en},
                          {"name_zh", k.name_zh},
                          {"vendor", k.vendor},
                          {"category", k.category},
                          {"region", k.region},
                          {"privacy_policy_url", str_or_null(k.privacy_policy_url)},
                          {"documented_pi", k.collects},
                          {"evidence", evidence_json(s.detected.evidence)},
                          {"collects", !s.pi_types.empty()},
                          {"pi_types", s.pi_types}});
    }
    for (const auto& p : a.packers) {
      const knowledge::Packer& k = *p.packer;
      packers.push_back(Json{
          {"id", k.id},
          {"name", k.name_en},
          {"name_zh", k.name_zh},
          {"vendor", k.vendor},
          {"evidence", evidence_json(p.evidence)},
          {"limitation",
           "the app's own code is encrypted or loaded at run time by the packer's stub; static "
           "analysis sees the stub and any unpacked DEX only, so collections, SDKs and entry "
           "points of the protected code can be missing from this report"}});
    }
    for (const auto& c : a.collections) collections.push_back(collection_json(c));
    for (const auto& q : a.permission_requests) requests.push_back(request_json(q));
    for (const auto& m : a.missing_permissions) {
      missing.push_back(Json{{"api", m.api}, {"caller", m.caller}, {"permissions", m.permissions}});
    }
    for (const auto& s : a.self_starts) {
      self_start.push_back(Json{{"kind", s.kind},
                                {"component", str_or_null(s.component)},
                                {"actions", s.actions},
                                {"method", str_or_null(s.method)},
                                {"starts", s.starts},
                                {"party", s.party}});
    }
    stats = Json{{"classes", a.stats.classes},
                 {"methods", a.stats.methods},
                 {"call_edges", a.stats.call_edges},
                 {"entry_points", a.stats.entry_points},
                 {"reachable_methods", a.stats.reachable_methods},
                 {"pre_consent_methods", a.stats.pre_consent_methods},
                 {"consent_checks", a.stats.consent_checks},
                 {"complete", a.stats.complete},
                 {"knowledge_version", r.knowledge_version}};
    for (const auto& u : a.permission_use) uses.emplace(u.permission, &u);
  }
  if (report.contains("permissions") && report["permissions"].is_array()) {
    for (Json& p : report["permissions"]) {
      auto it = uses.find(p["name"].get<std::string>());
      if (it == uses.end() || !it->second->guards_api) {
        p["used"] = nullptr;
        p["used_by"] = nullptr;
      } else {
        p["used"] = it->second->used;
        p["used_by"] = str_or_null(it->second->used_by);
      }
    }
  }
  report["sdks"] = sdks;
  report["packers"] = packers;
  report["collections"] = collections;
  report["missing_permissions"] = missing;
  report["permission_requests"] = requests;
  report["self_start"] = self_start;
  report["analysis"] = stats;

  auto hits_json = [](const analysis::AppTypeCandidate& c) {
    Json out = Json::array();
    for (const auto& h : c.hits) {
      out.push_back(Json{{"kind", knowledge::to_string(h.signal->kind)},
                         {"value", h.signal->value},
                         {"weight", h.signal->weight / 100.0},
                         {"where", h.where}});
    }
    return out;
  };
  Json app_type = nullptr, candidates = Json::array();
  if (r.app_type_inference) {
    for (const auto& c : r.app_type_inference->candidates) {
      candidates.push_back(Json{{"id", c.type->id},
                                {"name_zh", c.type->name_zh},
                                {"score", c.score},
                                {"confidence", c.confidence},
                                {"signals", hits_json(c)}});
    }
  }
  if (r.app_type != nullptr) {
    const analysis::AppTypeCandidate* chosen =
        r.app_type_inference ? r.app_type_inference->chosen() : nullptr;
    app_type = Json{{"id", r.app_type->id},
                    {"name_zh", r.app_type->name_zh},
                    {"name_en", r.app_type->name_en},
                    {"source", r.app_type_source},
                    {"confidence", r.app_type_confidence},
                    {"signals", chosen != nullptr ? hits_json(*chosen) : Json::array()}};
  }
  Json findings = Json::array(), coverage = Json::array();
  if (r.rules) {
    for (const auto& f : r.rules->findings) {
      Json evidence = Json::array();
      for (const auto& e : f.evidence) {
        Json je{{"kind", e.kind}, {"text", e.text}};
        if (!e.pi_type.empty()) je["pi_type"] = e.pi_type;
        if (!e.api.empty()) je["api"] = e.api;
        je["location"] = str_or_null(e.location);
        if (!e.path.empty()) je["path"] = e.path;
        evidence.push_back(je);
      }
      findings.push_back(Json{{"rule", f.rule},
                              {"category", f.category},
                              {"severity", f.severity},
                              {"title", f.title},
                              {"title_zh", f.title_zh},
                              {"clauses", f.clauses},
                              {"party", str_or_null(f.party)},
                              {"evidence", evidence},
                              {"confidence", f.confidence}});
    }
    for (const auto& c : r.rules->coverage) {
      coverage.push_back(Json{{"rule", c.rule},
                              {"status", c.status},
                              {"reason", str_or_null(c.reason)},
                              {"findings", c.findings}});
    }
  }
  Json policy = nullptr;
  if (r.policy) {
    const engine::PolicyScan& p = *r.policy;
    Json found = Json::array();
    for (const auto& c : p.candidates) {
      Json jc{{"kind", c.kind}, {"where", c.where}};
      if (c.kind == "url") jc["url"] = c.url;
      if (c.kind == "file" || c.kind == "string_text") {
        jc["mentions"] = c.mentions;
        jc["looks_like_policy"] = c.looks_like_policy;
      }
      found.push_back(jc);
    }
    Json body = nullptr;
    if (p.report && p.text) {
      PolicyInput in;
      in.file_name = p.where;
      in.size = p.size;
      in.bom = p.text->bom;
      in.replaced = p.text->replaced;
      body = policy_object(*p.report, in, nullptr);
    }
    policy = Json{{"found", p.found()},
                  {"source", str_or_null(p.source)},
                  {"where", str_or_null(p.where)},
                  {"candidates", found},
                  {"report", body}};
  }
  report["policy"] = policy;
  report["app_type"] = app_type;
  report["app_type_candidates"] = candidates;
  report["findings"] = findings;
  report["rule_coverage"] = coverage;
}

} // namespace appaudit::report
