#include "report/policy_json.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "report/json_report.hpp"

namespace appaudit::report {
namespace {

using Json = nlohmann::ordered_json;

Json span_json(const policy::Span& s) {
  return Json{{"start", s.start}, {"end", s.end}, {"text", s.text}};
}

Json statements_json(const std::vector<policy::Statement>& list) {
  Json out = Json::array();
  for (const auto& s : list) {
    Json j = span_json(s.span);
    j["cue"] = span_json(s.cue);
    j["mentions"] = s.mentions;
    out.push_back(j);
  }
  return out;
}

} // namespace

nlohmann::ordered_json policy_object(const policy::PolicyReport& r, const PolicyInput& in,
                                     const policy::PolicyText* text) {
  Json j;
  j["file_name"] = in.file_name;
  j["size"] = in.size;
  j["encoding"] = r.encoding;
  j["bom"] = in.bom;
  j["replaced"] = in.replaced;
  j["format"] = r.format;
  j["length"] = r.length;
  j["looks_like_policy"] = r.looks_like_policy;
  if (r.last_updated) {
    j["last_updated"] =
        Json{{"date", r.last_updated->date.empty() ? Json() : Json(r.last_updated->date)},
             {"label", span_json(r.last_updated->label)},
             {"written", span_json(r.last_updated->text)}};
  } else {
    j["last_updated"] = nullptr;
  }
  const bool html = text != nullptr && !text->source_map.empty();
  Json mentions = Json::array();
  std::map<std::string, std::pair<int, int>> by_type; // pi_type -> (mentions, negated)
  for (const auto& m : r.mentions) {
    Json mj = span_json(m.span);
    mj["pi_type"] = m.pi_type;
    mj["term"] = m.term;
    mj["negated"] = m.negated;
    mj["practice"] = m.practice;
    mj["score"] = m.score;
    mj["generic"] = m.generic;
    mj["contextual"] = m.contextual;
    mj["sentence"] = m.sentence;
    if (html) {
      mj["source_start"] = text->source_offset(m.span.start);
      // One past the source position of the last character (mentions are never empty).
      mj["source_end"] = text->source_offset(m.span.end - 1) + 1;
    }
    mentions.push_back(mj);
    auto& c = by_type[m.pi_type];
    ++c.first;
    c.second += m.negated ? 1 : 0;
  }
  j["mentions"] = mentions;
  Json types = Json::array();
  for (const auto& [type, c] : by_type) {
    types.push_back(Json{{"pi_type", type},
                         {"mentions", c.first},
                         {"negated", c.second},
                         {"declared", c.first > c.second}});
  }
  j["pi_types"] = types;
  Json negations = Json::array();
  for (const auto& n : r.negations) {
    Json nj = span_json(n.span);
    nj["cue"] = span_json(n.cue);
    nj["conditional"] = n.conditional;
    nj["mentions"] = n.mentions;
    negations.push_back(nj);
  }
  j["negations"] = negations;
  j["purposes"] = statements_json(r.purposes);
  j["conditions"] = statements_json(r.conditions);
  j["sharing"] = statements_json(r.sharing);
  j["sdk_list"] = r.sdk_list.end > 0 ? span_json(r.sdk_list) : Json();
  Json sdks = Json::array();
  for (const auto& s : r.sdks) {
    Json matches = Json::array();
    for (const auto& m : s.matches) matches.push_back(span_json(m));
    sdks.push_back(Json{
        {"id", s.sdk}, {"name", s.name}, {"in_sdk_list", s.in_sdk_list}, {"matches", matches}});
  }
  j["sdks"] = sdks;
  Json rights = Json::array();
  for (const auto& rt : r.rights) {
    Json ev = Json::array();
    for (const auto& e : rt.evidence) ev.push_back(span_json(e));
    rights.push_back(Json{{"right", rt.right}, {"sentences", rt.count}, {"evidence", ev}});
  }
  j["rights"] = rights;
  Json contacts = Json::array();
  for (const auto& c : r.contacts) {
    Json cj{{"kind", c.kind}};
    cj.update(span_json(c.span));
    contacts.push_back(cj);
  }
  j["contacts"] = contacts;
  return j;
}

std::string render_policy_json(const policy::PolicyReport& r, const PolicyInput& in,
                               const policy::PolicyText& text, const Diagnostics& diags,
                               bool include_text) {
  Json j;
  j["schema_version"] = kSchemaVersion;
  j["tool"] = Json{{"name", "appaudit"}, {"version", "0.1.0"}};
  j["policy"] = policy_object(r, in, &text);
  Json d = Json::array();
  for (const auto& x : diags.items()) {
    Json dj{{"severity", to_string(x.severity)},
            {"code", x.code},
            {"where", x.where},
            {"message", x.message}};
    if (x.has_offset) dj["offset"] = x.offset;
    d.push_back(dj);
  }
  j["diagnostics"] = d;
  if (include_text) j["text"] = text.utf8(0, text.text.size());
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string render_policy_text(const policy::PolicyReport& r, const PolicyInput& in,
                               const Diagnostics& diags) {
  std::ostringstream o;
  o << in.file_name << ": " << r.format << ", " << r.encoding << ", " << r.length << " characters"
    << (r.looks_like_policy ? "" : " (no privacy-policy title found)") << "\n";
  o << "last updated: "
    << (r.last_updated
            ? (r.last_updated->date.empty() ? r.last_updated->text.text : r.last_updated->date)
            : std::string("not found"))
    << "\n";
  std::map<std::string, std::pair<int, int>> by_type;
  for (const auto& m : r.mentions) {
    ++by_type[m.pi_type].first;
    by_type[m.pi_type].second += m.negated ? 1 : 0;
  }
  o << "personal information mentioned (" << r.mentions.size() << " mentions, " << by_type.size()
    << " types):\n";
  for (const auto& [type, c] : by_type) {
    o << "  " << type << "  " << c.first
      << (c.second > 0 ? " (" + std::to_string(c.second) + " negated)" : "") << "\n";
  }
  // Contextual mentions (vague phrases kept by the tagger): their words say more than the
  // type personal_info; the first few, each once.
  std::vector<std::string> contextual;
  size_t n_contextual = 0;
  bool more = false;
  for (const auto& m : r.mentions) {
    if (!m.contextual) continue;
    ++n_contextual;
    if (std::find(contextual.begin(), contextual.end(), m.span.text) != contextual.end()) continue;
    if (contextual.size() < 12) {
      contextual.push_back(m.span.text);
    } else {
      more = true;
    }
  }
  if (n_contextual > 0) {
    o << "  (personal_info includes " << n_contextual << " contextual: ";
    for (size_t i = 0; i < contextual.size(); ++i) o << (i ? ", " : "") << contextual[i];
    o << (more ? ", …" : "") << ")\n";
  }
  o << "negations: " << r.negations.size() << ", purposes: " << r.purposes.size()
    << ", conditions: " << r.conditions.size() << ", sharing statements: " << r.sharing.size()
    << "\n";
  o << "third-party SDKs named (" << r.sdks.size() << ")"
    << (r.sdk_list.end > 0 ? ", SDK list at " + std::to_string(r.sdk_list.start) : "") << ":\n";
  for (const auto& s : r.sdks) {
    o << "  " << s.sdk << "  " << s.matches.front().text << (s.in_sdk_list ? "  [list]" : "")
      << "\n";
  }
  o << "rights and channels:\n";
  for (const char* right :
       {"access", "correction", "deletion", "account_closure", "complaint", "withdraw_consent"}) {
    int n = 0;
    for (const auto& rt : r.rights) n += rt.right == right ? static_cast<int>(rt.count) : 0;
    o << "  " << right << "  " << (n > 0 ? std::to_string(n) + " sentences" : "NOT FOUND") << "\n";
  }
  o << "contacts:\n";
  for (const auto& c : r.contacts) o << "  " << c.kind << "  " << c.span.text << "\n";
  for (const auto& d : diags.items()) o << "diagnostic: " << d.code << ": " << d.message << "\n";
  return o.str();
}

} // namespace appaudit::report
