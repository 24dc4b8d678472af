#include "report/sarif_report.hpp"

#include <map>
#include <nlohmann/json.hpp>

namespace appaudit::report {
namespace {

using Json = nlohmann::ordered_json;

const char* level_of(const std::string& severity) {
  if (severity == "high") return "error";
  if (severity == "medium") return "warning";
  return "note";
}

/// "Lcom/a/B;->m(I)V" → "com.a.B.m" (SARIF fullyQualifiedName for a function); other
/// strings unchanged.
std::string qualified(const std::string& location) {
  const size_t arrow = location.find("->");
  if (location.size() < 3 || location[0] != 'L' || arrow == std::string::npos) return location;
  std::string cls = location.substr(1, arrow - 2);
  for (char& c : cls) {
    if (c == '/') c = '.';
  }
  std::string method = location.substr(arrow + 2);
  return cls + "." + method.substr(0, method.find('('));
}

Json logical(const std::string& location) {
  const bool method = location.find("->") != std::string::npos;
  Json l{{"fullyQualifiedName", qualified(location)}, {"kind", method ? "function" : "module"}};
  if (method) l["decoratedName"] = location;
  return Json::array({l});
}

} // namespace

std::string render_sarif(const engine::ScanResult& r, const knowledge::Knowledge& k) {
  Json rules = Json::array();
  std::map<std::string, size_t> index;
  for (const auto& rule : k.rules()) {
    index[rule.id] = rules.size();
    std::string clauses;
    for (const auto& c : rule.clauses) clauses += (clauses.empty() ? "" : ", ") + c;
    const std::string help = rule.title_zh + " / " + rule.title_en +
                             ". Category (MIIT notice 164): " + rule.category +
                             (clauses.empty() ? "" : ". Clauses (CAC method 191): " + clauses) +
                             ". Evidence: " + rule.evidence_en + " (" + rule.evidence_zh + ").";
    rules.push_back(Json{{"id", rule.id},
                         {"shortDescription", {{"text", rule.title_en}}},
                         {"fullDescription", {{"text", rule.title_zh + " — " + rule.evidence_en}}},
                         {"help", {{"text", help}}},
                         {"defaultConfiguration", {{"level", level_of(rule.severity)}}},
                         {"properties",
                          {{"category", rule.category},
                           {"clauses", rule.clauses},
                           {"severity", rule.severity},
                           {"engine", rule.engine}}}});
  }
  Json results = Json::array();
  if (r.rules) {
    for (const auto& f : r.rules->findings) {
      Json locations = Json::array();
      Json flows = Json::array();
      for (const auto& e : f.evidence) {
        if (e.location.empty()) continue;
        Json loc{{"physicalLocation", {{"artifactLocation", {{"uri", r.input.file_name}}}}},
                 {"logicalLocations", logical(e.location)},
                 {"message", {{"text", e.text}}}};
        if (locations.size() < 10) locations.push_back(loc);
        if (!e.path.empty() && flows.size() < 10) {
          Json steps = Json::array();
          for (const auto& frame : e.path) {
            steps.push_back(Json{{"location", {{"logicalLocations", logical(frame)}}}});
          }
          flows.push_back(Json{{"message", {{"text", e.text}}},
                               {"threadFlows", Json::array({Json{{"locations", steps}}})}});
        }
      }
      if (locations.empty()) {
        locations.push_back(
            Json{{"physicalLocation", {{"artifactLocation", {{"uri", r.input.file_name}}}}}});
      }
      std::string text = f.title + " (" + f.title_zh + ")";
      if (!f.party.empty()) text += " — party: " + f.party;
      if (!f.evidence.empty()) text += ". " + f.evidence.front().text;
      Json result{{"ruleId", f.rule},
                  {"ruleIndex", index.count(f.rule) != 0 ? index[f.rule] : 0},
                  {"level", level_of(f.severity)},
                  {"message", {{"text", text}}},
                  {"locations", locations}};
      if (!flows.empty()) result["codeFlows"] = flows;
      result["properties"] = Json{{"category", f.category},
                                  {"clauses", f.clauses},
                                  {"severity", f.severity},
                                  {"party", f.party},
                                  {"confidence", f.confidence}};
      results.push_back(result);
    }
  }
  Json run{{"tool", {{"driver", {{"name", "appaudit"}, {"version", "0.1.0"}, {"rules", rules}}}}},
           {"artifacts", Json::array({Json{{"location", {{"uri", r.input.file_name}}},
                                           {"length", r.input.size},
                                           {"hashes", {{"sha-256", r.input.sha256}}}}})},
           {"results", results}};
  Json sarif{{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
             {"version", "2.1.0"},
             {"runs", Json::array({run})}};
  return sarif.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

} // namespace appaudit::report
