// The HTTP API under /api/v1 and `serve` (see server.hpp and docs/platform.md). Requests are
// served by cpp-httplib's thread pool; each request uses one store connection of a small pool
// (SqlStore serialises calls on one connection; several connections let SQLite's WAL readers
// run side by side). Every JSON answer is built here from the store's typed rows; a scan's
// `report` is the CLI's JSON report, byte for byte as the worker stored it.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/limits.hpp"
#include "knowledge/knowledge.hpp"
#include "policy/text.hpp"
#include "server/server.hpp"

namespace appaudit::server {

// Generated from src/server/openapi.json (cmake/embed_files.cmake).
const std::vector<knowledge::KnowledgeFile>& openapi_files();

namespace {

using json = nlohmann::ordered_json;
using store::Role;
using store::User;

int http_status(Errc code) {
  switch (code) {
    case Errc::kNotFound: return 404;
    case Errc::kMalformed:
    case Errc::kTruncated: return 400;
    case Errc::kUnsupported: return 403;
    case Errc::kLimit: return 413;
    case Errc::kIo: return 500;
  }
  return 500;
}

void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, json{{"error", message}});
}

void send_error(httplib::Response& res, const Error& e) {
  send_error(res, http_status(e.code), e.message);
}

json named(const std::optional<store::NamedId>& n) {
  if (!n) return nullptr;
  return json{{"id", n->id}, {"name", n->name}};
}

json opt(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

json user_json(const User& u) {
  json j{{"id", u.id}, {"name", u.name}, {"role", store::to_string(u.role)}};
  j["enterprise"] =
      u.enterprise_id ? json{{"id", *u.enterprise_id}, {"name", u.enterprise}} : json(nullptr);
  j["distributor"] =
      u.distributor_id ? json{{"id", *u.distributor_id}, {"name", u.distributor}} : json(nullptr);
  return j;
}

json version_json(const store::AppVersionInfo& v) {
  return json{{"id", v.id},
              {"version_code", v.version_code},
              {"version_name", v.version_name},
              {"sha256", v.sha256},
              {"created_at", v.created_at},
              {"scan_id", opt(v.scan_id)},
              {"status", v.status.empty() ? json(nullptr) : json(v.status)},
              {"findings", v.findings}};
}

json app_json(const store::AppInfo& a, bool detail) {
  json j{{"id", a.id},
         {"package", a.package},
         {"label", a.label},
         {"enterprise", named(a.enterprise)},
         {"versions", a.versions},
         {"latest", nullptr},
         {"open_cases", a.open_cases}};
  if (a.latest) {
    j["latest"] = json{{"version_id", a.latest->id},
                       {"version_code", a.latest->version_code},
                       {"version_name", a.latest->version_name},
                       {"scan_id", opt(a.latest->scan_id)},
                       {"status", a.latest->status},
                       {"findings", a.latest->findings}};
  }
  if (detail) {
    json versions = json::array();
    for (const auto& v : a.version_list) versions.push_back(version_json(v));
    j["versions"] = versions;
    json ds = json::array();
    for (const auto& d : a.distributors) ds.push_back(json{{"id", d.id}, {"name", d.name}});
    j["distributors"] = ds;
  }
  return j;
}

json scan_json(const store::ScanInfo& s) {
  json j{{"id", s.scan.id},
         {"submission_id", s.scan.submission_id},
         {"sha256", s.scan.sha256},
         {"status", store::to_string(s.scan.status)},
         {"attempts", s.scan.attempts},
         {"created_at", s.scan.created_at},
         {"started_at", opt(s.scan.started_at)},
         {"finished_at", opt(s.scan.finished_at)},
         {"app", nullptr},
         {"findings_count", s.findings}};
  if (s.scan.status == store::ScanStatus::kFailed) j["error"] = s.scan.error;
  if (s.app_id) {
    j["app"] = json{{"id", *s.app_id},
                    {"package", s.package},
                    {"label", s.label},
                    {"version_name", s.version_name},
                    {"version_code", s.version_code}};
  }
  return j;
}

/// A scan as JSON text; a done scan's `report` is spliced in as the stored text, so that it is
/// byte for byte the CLI's report (no re-serialisation).
std::string scan_text(const store::ScanInfo& s) {
  std::string out = scan_json(s).dump();
  if (s.scan.status == store::ScanStatus::kDone && !s.scan.report_json.empty()) {
    out.pop_back(); // the closing brace
    out += ",\"report\":";
    out += s.scan.report_json;
    out += "}";
  }
  return out;
}

json finding_json(const store::FindingRecord& f) {
  json body = json::parse(f.json, nullptr, false);
  if (body.is_discarded()) body = nullptr;
  std::string title;
  if (body.is_object()) {
    if (auto it = body.find("title_zh"); it != body.end() && it->is_string()) title = *it;
    if (title.empty()) {
      if (auto it = body.find("title"); it != body.end() && it->is_string()) title = *it;
    }
  }
  json j{{"id", f.id},
         {"scan_id", f.scan_id},
         {"rule", f.rule},
         {"category", f.category},
         {"severity", f.severity},
         {"party", f.party},
         {"title", title},
         {"finding", body},
         {"review", nullptr}};
  if (!f.review_state.empty()) {
    j["review"] = json{{"state", f.review_state},
                       {"by", opt(f.reviewed_by)},
                       {"by_name", f.reviewed_by_name},
                       {"reason", f.review_reason},
                       {"at", opt(f.reviewed_at)}};
  }
  return j;
}

json case_json(const store::CaseInfo& c, int64_t now) {
  json findings = json::array();
  for (const auto& f : c.findings) findings.push_back(finding_json(f));
  json history = json::array();
  for (const auto& e : c.history) {
    history.push_back(json{{"at", e.at}, {"by", e.actor}, {"action", e.action}, {"note", e.note}});
  }
  json recheck = nullptr;
  if (!c.recheck_json.empty()) {
    recheck = json::parse(c.recheck_json, nullptr, false);
    if (recheck.is_discarded()) recheck = nullptr;
  }
  return json{{"id", c.id},
              {"app", json{{"id", c.app_id}, {"package", c.package}, {"label", c.label}}},
              {"enterprise", named(c.enterprise)},
              {"status", c.status},
              {"deadline", opt(c.deadline)},
              {"overdue", c.status == "rectifying" && c.deadline && *c.deadline < now},
              {"note", c.note},
              {"scan_id", c.scan_id},
              {"findings", findings},
              {"history", history},
              {"recheck", recheck},
              {"created_at", c.created_at},
              {"updated_at", c.updated_at},
              {"closed_at", opt(c.closed_at)}};
}

/// A string member of a request body; "" when absent or not a string (never throws).
std::string text_field(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string month_of(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return buf;
}

/// "YYYY-MM-DD" (end of that day, UTC) or milliseconds.
std::optional<int64_t> parse_deadline(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  struct tm tm {};
  if (s.size() != 10 || strptime(s.c_str(), "%Y-%m-%d", &tm) == nullptr) return std::nullopt;
  return (static_cast<int64_t>(timegm(&tm)) + 86399) * 1000 + 999;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

/// Store connections shared by the HTTP threads, handed out round-robin.
class StorePool {
 public:
  Status open(const std::function<Expected<std::unique_ptr<store::Store>>()>& opener, int n) {
    for (int i = 0; i < n; ++i) {
      auto s = opener();
      if (!s) return s.error();
      stores_.push_back(std::move(*s));
    }
    return {};
  }
  store::Store& get() { return *stores_[next_++ % stores_.size()]; }

 private:
  std::vector<std::unique_ptr<store::Store>> stores_;
  std::atomic<size_t> next_{0};
};

class Api {
 public:
  Api(StorePool& stores, store::BlobStore& blobs, WorkerPool& workers,
      const knowledge::Knowledge& k, uint64_t max_upload)
      : stores_(stores), blobs_(blobs), workers_(workers), k_(k), max_upload_(max_upload) {}

  void install(httplib::Server& svr);

 private:
  /// The caller, or nullopt after answering 401.
  std::optional<User> auth(const httplib::Request& req, httplib::Response& res) {
    const std::string h = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (h.rfind(kBearer, 0) != 0) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "send Authorization: Bearer TOKEN");
      return std::nullopt;
    }
    auto u = stores_.get().authenticate(std::string_view(h).substr(kBearer.size()));
    if (!u) {
      send_error(res, u.error());
      return std::nullopt;
    }
    if (!*u) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      send_error(res, 401, "unknown token");
      return std::nullopt;
    }
    return **u;
  }

  static bool regulator_only(const User& u, httplib::Response& res) {
    if (u.role == Role::kRegulator) return true;
    send_error(res, 403, std::string("a ") + store::to_string(u.role) + " may not do this");
    return false;
  }

  static int64_t int_param(const httplib::Request& req, const char* name, int64_t fallback) {
    if (!req.has_param(name)) return fallback;
    const std::string v = req.get_param_value(name);
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    return (end != v.c_str() && *end == '\0') ? n : fallback;
  }
  static store::PageQuery page(const httplib::Request& req) {
    return {std::clamp<int64_t>(int_param(req, "limit", 50), 1, 500),
            std::max<int64_t>(0, int_param(req, "offset", 0))};
  }
  static int64_t id_of(const httplib::Request& req, size_t i = 1) {
    return std::strtoll(req.matches[static_cast<int>(i)].str().c_str(), nullptr, 10);
  }
  static std::optional<json> body_json(const httplib::Request& req, httplib::Response& res) {
    json j = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      send_error(res, 400, "the body must be a JSON object");
      return std::nullopt;
    }
    return j;
  }

  void submit(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader);
  void upload_policy(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader);
  void diff(const User& u, int64_t app_id, const httplib::Request& req, httplib::Response& res);
  void stats(const User& u, httplib::Response& res);
  std::vector<std::vector<std::string>> notice_rows(const User& u, Error& err);
  void export_notice(const User& u, bool xlsx, httplib::Response& res);

  StorePool& stores_;
  store::BlobStore& blobs_;
  WorkerPool& workers_;
  const knowledge::Knowledge& k_;
  uint64_t max_upload_;
};

void Api::submit(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader) {
  auto u = auth(req, res);
  if (!u) return;
  store::Store& st = stores_.get();
  store::SubmitMetadata meta;
  if (req.has_param("app_type") && !req.get_param_value("app_type").empty()) {
    const auto* type = k_.find_app_type(req.get_param_value("app_type"));
    if (type == nullptr) {
      send_error(res, 400,
                 "unknown app_type '" + req.get_param_value("app_type") +
                     "': use an id or Chinese name of the necessary-PI rule's types");
      return;
    }
    meta.app_type = type->id;
  }
  meta.source_channel = req.get_param_value("source_channel");
  if (meta.source_channel.size() > 200) {
    send_error(res, 400, "source_channel is longer than 200 bytes");
    return;
  }
  const std::string enterprise = req.get_param_value("enterprise");
  if (!enterprise.empty()) {
    if (u->role == Role::kEnterprise && enterprise != u->enterprise) {
      send_error(res, 403, "an enterprise submits only its own apps");
      return;
    }
    auto id = st.ensure_enterprise(enterprise);
    if (!id) return send_error(res, id.error());
    meta.enterprise_id = *id;
  }
  if (req.has_param("policy") && !req.get_param_value("policy").empty()) {
    const std::string sha = req.get_param_value("policy");
    if (!store::is_sha256_hex(sha) || !blobs_.contains(sha)) {
      return send_error(res, 400,
                        "policy: not the sha256 of a policy uploaded with POST /api/v1/policies");
    }
    meta.policy_sha256 = sha;
  }
  const bool recheck =
      req.get_param_value("recheck") == "1" || req.get_param_value("recheck") == "true";
  if (req.is_multipart_form_data()) {
    send_error(res, 400,
               "send the APK itself as the body "
               "(Content-Type: application/vnd.android.package-archive)");
    return;
  }
  // An upload over the limit is answered 413. The rest of its body is read and dropped (up to
  // kDrain more bytes) so that the client gets the answer on a clean connection instead of a
  // reset; a body announced far beyond that is refused before reading any of it.
  constexpr uint64_t kDrain = 64ull << 20;
  const std::string too_big =
      "the upload is larger than the limit of " + std::to_string(max_upload_ >> 20) + " MiB";
  if (req.has_header("Content-Length")) {
    const uint64_t declared =
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
    if (declared > max_upload_ + kDrain) return send_error(res, 413, too_big);
  }
  auto writer = blobs_.begin(max_upload_);
  if (!writer) return send_error(res, writer.error());
  Status failed;
  uint64_t dropped = 0;
  const bool complete = reader([&](const char* data, size_t n) {
    if (!failed) {
      dropped += n;
      return dropped <= kDrain;
    }
    if (Status s = (*writer)->write(data, n); !s) failed = s;
    return true;
  });
  if (!failed) {
    if (failed.error().code == Errc::kLimit) return send_error(res, 413, too_big);
    return send_error(res, failed.error());
  }
  if (!complete) return send_error(res, 400, "the upload was interrupted");
  if ((*writer)->size() == 0) return send_error(res, 400, "the body is empty: send the APK");
  auto blob = (*writer)->finish();
  if (!blob) return send_error(res, blob.error());
  auto r = st.submit(blob->sha256, static_cast<int64_t>(blob->size), meta, *u, recheck);
  if (!r) return send_error(res, r.error());
  workers_.notify();
  send_json(res, 202,
            json{{"submission_id", r->submission_id},
                 {"scan_id", r->scan_id},
                 {"existing", r->existing},
                 {"sha256", blob->sha256}});
}

/// A privacy policy to submit with an app: read whole (the policy reader's own limit), checked
/// to be text in an encoding the reader knows, kept in the blob store by SHA-256.
void Api::upload_policy(const httplib::Request& req, httplib::Response& res,
                        const httplib::ContentReader& reader) {
  auto u = auth(req, res);
  if (!u) return;
  std::string body;
  bool too_big = false;
  reader([&](const char* data, size_t n) {
    if (body.size() + n > policy::kMaxPolicyBytes) {
      too_big = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (too_big) {
    return send_error(
        res, 413,
        "a policy is limited to " + std::to_string(policy::kMaxPolicyBytes >> 20) + " MiB");
  }
  if (body.empty()) return send_error(res, 400, "the body is empty: send the policy text or HTML");
  Diagnostics diags;
  auto text = policy::decode_text(
      ByteView(reinterpret_cast<const uint8_t*>(body.data()), body.size()), "policy", diags);
  if (!text) return send_error(res, 400, "not a usable policy: " + text.error().message);
  auto blob = blobs_.put_bytes(body, policy::kMaxPolicyBytes);
  if (!blob) return send_error(res, blob.error());
  send_json(res, 201,
            json{{"sha256", blob->sha256},
                 {"size", blob->size},
                 {"encoding", policy::to_string(text->encoding)}});
}

/// Sorted differences of two string sets.
json set_diff(const std::set<std::string>& from, const std::set<std::string>& to, bool unchanged) {
  json added = json::array(), removed = json::array(), same = json::array();
  for (const auto& s : to) (from.count(s) ? same : added).push_back(s);
  for (const auto& s : from) {
    if (!to.count(s)) removed.push_back(s);
  }
  json j{{"added", added}, {"removed", removed}};
  if (unchanged) j["unchanged"] = same;
  return j;
}

struct ReportFacts {
  std::set<std::string> permissions, sdks, collections, findings;
};

ReportFacts facts_of(const std::string& report_json) {
  ReportFacts f;
  json r = json::parse(report_json, nullptr, false);
  if (!r.is_object()) return f;
  auto each = [&](const char* key, auto&& fn) {
    if (auto it = r.find(key); it != r.end() && it->is_array()) {
      for (const auto& e : *it) {
        if (e.is_object()) fn(e);
      }
    }
  };
  auto str = [](const json& e, const char* key) {
    auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  each("permissions", [&](const json& e) { f.permissions.insert(str(e, "name")); });
  each("sdks", [&](const json& e) { f.sdks.insert(str(e, "id")); });
  each("collections", [&](const json& e) {
    const std::string party = str(e, "party");
    f.collections.insert(str(e, "pi_type") + (party.empty() ? "" : " (" + party + ")"));
  });
  each("findings", [&](const json& e) {
    const std::string party = str(e, "party");
    f.findings.insert(str(e, "rule") + (party.empty() ? "" : " (" + party + ")"));
  });
  return f;
}

void Api::diff(const User& u, int64_t app_id, const httplib::Request& req, httplib::Response& res) {
  store::Store& st = stores_.get();
  auto app = st.app(u, app_id);
  if (!app) return send_error(res, app.error());
  if (!*app) return send_error(res, 404, "no app " + std::to_string(app_id));
  const auto& versions = (*app)->version_list; // newest first
  auto find = [&](int64_t id) -> const store::AppVersionInfo* {
    for (const auto& v : versions) {
      if (v.id == id) return &v;
    }
    return nullptr;
  };
  const store::AppVersionInfo* from = nullptr;
  const store::AppVersionInfo* to = nullptr;
  if (req.has_param("from") || req.has_param("to")) {
    from = find(int_param(req, "from", -1));
    to = find(int_param(req, "to", -1));
    if (!from || !to) return send_error(res, 404, "from and to must be versions of this app");
  } else {
    if (versions.size() < 2) return send_error(res, 400, "the app has only one version");
    to = &versions[0];
    from = &versions[1];
  }
  auto facts = [&](const store::AppVersionInfo& v) -> std::optional<ReportFacts> {
    if (!v.scan_id) return std::nullopt;
    auto s = st.scan(*v.scan_id);
    if (!s || !*s || (*s)->status != store::ScanStatus::kDone) return std::nullopt;
    return facts_of((*s)->report_json);
  };
  auto a = facts(*from);
  auto b = facts(*to);
  if (!a || !b) return send_error(res, 409, "both versions need a finished scan");
  send_json(res, 200,
            json{{"from", version_json(*from)},
                 {"to", version_json(*to)},
                 {"permissions", set_diff(a->permissions, b->permissions, false)},
                 {"sdks", set_diff(a->sdks, b->sdks, false)},
                 {"pi_collections", set_diff(a->collections, b->collections, false)},
                 {"findings", set_diff(a->findings, b->findings, true)}});
}

void Api::stats(const User& u, httplib::Response& res) {
  auto s = stores_.get().stats(u);
  if (!s) return send_error(res, s.error());
  int64_t findings_total = 0;
  for (const auto& [c, n] : s->by_category) findings_total += n;
  json by_category = json::array();
  for (const auto& [c, n] : s->by_category) {
    std::string zh, en;
    for (const auto& p : k_.problem_types()) {
      if (p.id == c) {
        zh = p.name_zh;
        en = p.name_en;
      }
    }
    by_category.push_back(
        json{{"category", c},
             {"name_zh", zh},
             {"name_en", en},
             {"count", n},
             {"share", findings_total ? double(n) / double(findings_total) : 0.0}});
  }
  json by_sdk = json::array();
  for (const auto& [id, n] : s->by_sdk) {
    std::string name;
    for (const auto& sdk : k_.sdks()) {
      if (sdk.id == id) name = sdk.name_zh.empty() ? sdk.name_en : sdk.name_zh;
    }
    by_sdk.push_back(json{{"sdk", id}, {"name", name}, {"count", n}});
  }
  json by_distributor = json::array();
  for (const auto& [d, n] : s->by_distributor) {
    by_distributor.push_back(json{{"distributor", d}, {"count", n}});
  }
  std::map<std::string, std::array<int64_t, 3>> months;
  for (int64_t t : s->scan_times) ++months[month_of(t)][0];
  for (int64_t t : s->finding_times) ++months[month_of(t)][1];
  for (int64_t t : s->case_times) ++months[month_of(t)][2];
  json by_month = json::array();
  for (const auto& [m, c] : months) {
    by_month.push_back(json{{"month", m}, {"scans", c[0]}, {"findings", c[1]}, {"cases", c[2]}});
  }
  send_json(res, 200,
            json{{"apps_tested", s->apps_tested},
                 {"ordered_to_rectify", s->ordered_to_rectify},
                 {"publicly_notified", s->publicly_notified},
                 {"taken_down", s->taken_down},
                 {"findings", findings_total},
                 {"by_category", by_category},
                 {"by_sdk", by_sdk},
                 {"by_distributor", by_distributor},
                 {"by_month", by_month}});
}

/// 序号, 应用名称, 应用开发者, 应用来源, 应用版本, 所涉问题 — one row per notified or taken-down
/// case, oldest first.
std::vector<std::vector<std::string>> Api::notice_rows(const User& u, Error& err) {
  store::Store& st = stores_.get();
  std::vector<store::CaseInfo> cases;
  for (const char* status : {"notified", "taken_down"}) {
    int64_t total = 0;
    auto r = st.list_cases(u, status, std::nullopt, {500, 0}, total);
    if (!r) {
      err = r.error();
      return {};
    }
    for (auto& c : *r) cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(),
            [](const store::CaseInfo& a, const store::CaseInfo& b) { return a.id < b.id; });
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : cases) {
    std::string version, sources;
    if (auto s = st.scan_info(u, c.scan_id); s && *s) version = (*s)->version_name;
    if (auto a = st.app(u, c.app_id); a && *a) {
      for (const auto& d : (*a)->distributors) sources += (sources.empty() ? "" : "、") + d.name;
    }
    std::vector<std::string> problems;
    for (const auto& f : c.findings) {
      std::string title = finding_json(f)["title"].get<std::string>();
      if (title.empty()) title = f.rule;
      if (std::find(problems.begin(), problems.end(), title) == problems.end()) {
        problems.push_back(title);
      }
    }
    std::string problem_text;
    for (const auto& p : problems) problem_text += (problem_text.empty() ? "" : "；") + p;
    rows.push_back({std::to_string(rows.size() + 1), c.label.empty() ? c.package : c.label,
                    c.enterprise ? c.enterprise->name : "", sources, version, problem_text});
  }
  return rows;
}

void Api::export_notice(const User& u, bool xlsx, httplib::Response& res) {
  Error err;
  err.code = Errc::kIo;
  err.message.clear();
  auto rows = notice_rows(u, err);
  if (!err.message.empty()) return send_error(res, err);
  static const char* kHead[] = {"序号",     "应用名称", "应用开发者",
                                "应用来源", "应用版本", "所涉问题"};
  if (!xlsx) {
    std::string html =
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>"
        "侵害用户权益行为的App通报</title><style>table{border-collapse:collapse}td,th{border:1px "
        "solid #999;padding:4px 8px}</style></head><body><h1>侵害用户权益行为的App通报</h1>"
        "<table><thead><tr>";
    for (const char* h : kHead) html += std::string("<th>") + h + "</th>";
    html += "</tr></thead><tbody>";
    for (const auto& r : rows) {
      html += "<tr>";
      for (const auto& cell : r) html += "<td>" + html_escape(cell) + "</td>";
      html += "</tr>";
    }
    html += "</tbody></table></body></html>\n";
    res.set_content(html, "text/html; charset=utf-8");
    return;
  }
  char tmpl[] = "/tmp/appaudit-notice-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) return send_error(res, 500, "cannot create a temporary file");
  ::close(fd);
  lxw_workbook* wb = workbook_new(tmpl);
  lxw_worksheet* ws = workbook_add_worksheet(wb, "通报");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  for (int c = 0; c < 6; ++c)
    worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), kHead[c], bold);
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < rows[r].size(); ++c) {
      worksheet_write_string(ws, static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c),
                             rows[r][c].c_str(), nullptr);
    }
  }
  worksheet_set_column(ws, 1, 5, 24, nullptr);
  const lxw_error rc = workbook_close(wb);
  std::ifstream in(tmpl, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  ::unlink(tmpl);
  if (rc != LXW_NO_ERROR) return send_error(res, 500, "cannot write the spreadsheet");
  res.set_header("Content-Disposition", "attachment; filename=\"notice.xlsx\"");
  res.set_content(bytes.str(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

void Api::install(httplib::Server& svr) {
  svr.Get("/api/v1/health", [this](const httplib::Request&, httplib::Response& res) {
    auto c = stores_.get().count_scans_by_status();
    if (!c) return send_error(res, c.error());
    send_json(res, 200,
              json{{"status", "ok"},
                   {"queue", json{{"queued", (*c)[0]},
                                  {"running", (*c)[1]},
                                  {"done", (*c)[2]},
                                  {"failed", (*c)[3]}}}});
  });
  svr.Get("/api/v1/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    const auto& files = openapi_files();
    res.set_content(std::string(files.front().content), "application/json; charset=utf-8");
  });
  svr.Get("/api/v1/me", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto u = auth(req, res)) send_json(res, 200, user_json(*u));
  });
  svr.Post("/api/v1/submissions",
           [this](const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader) { submit(req, res, reader); });
  svr.Post("/api/v1/policies",
           [this](const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader) { upload_policy(req, res, reader); });
  svr.Get("/api/v1/scans", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    std::optional<store::ScanStatus> status;
    if (req.has_param("status")) {
      status = store::parse_scan_status(req.get_param_value("status"));
      if (!status) return send_error(res, 400, "status: queued, running, done or failed");
    }
    int64_t total = 0;
    auto r = stores_.get().list_scans(*u, status, page(req), total);
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& s : *r) items.push_back(scan_json(s));
    send_json(res, 200, json{{"items", items}, {"total", total}});
  });
  svr.Get(R"(/api/v1/scans/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    auto s = stores_.get().scan_info(*u, id_of(req));
    if (!s) return send_error(res, s.error());
    if (!*s) return send_error(res, 404, "no scan " + std::to_string(id_of(req)));
    res.set_content(scan_text(**s), "application/json; charset=utf-8");
  });
  svr.Get(R"(/api/v1/scans/(\d+)/findings)",
          [this](const httplib::Request& req, httplib::Response& res) {
            auto u = auth(req, res);
            if (!u) return;
            store::Store& st = stores_.get();
            auto s = st.scan_info(*u, id_of(req));
            if (!s) return send_error(res, s.error());
            if (!*s) return send_error(res, 404, "no scan " + std::to_string(id_of(req)));
            auto f = st.findings(id_of(req));
            if (!f) return send_error(res, f.error());
            json items = json::array();
            for (const auto& x : *f) items.push_back(finding_json(x));
            send_json(res, 200, json{{"items", items}, {"total", items.size()}});
          });
  svr.Post(R"(/api/v1/findings/(\d+)/review)",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto u = auth(req, res);
             if (!u) return;
             store::Store& st = stores_.get();
             auto f = st.finding(*u, id_of(req));
             if (!f) return send_error(res, f.error());
             if (!*f) return send_error(res, 404, "no finding " + std::to_string(id_of(req)));
             if (!regulator_only(*u, res)) return;
             auto body = body_json(req, res);
             if (!body) return;
             const std::string state = text_field(*body, "state");
             const std::string reason = text_field(*body, "reason");
             if (Status s = st.review_finding(id_of(req), state, *u, reason); !s) {
               return send_error(res, s.error());
             }
             auto after = st.finding(*u, id_of(req));
             if (!after || !*after) return send_error(res, 500, "the finding vanished");
             send_json(res, 200, finding_json(**after));
           });
  svr.Get("/api/v1/apps", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    std::optional<int64_t> enterprise;
    if (req.has_param("enterprise_id")) enterprise = int_param(req, "enterprise_id", -1);
    int64_t total = 0;
    auto r = stores_.get().list_apps(*u, req.get_param_value("q"), enterprise, page(req), total);
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& a : *r) items.push_back(app_json(a, false));
    send_json(res, 200, json{{"items", items}, {"total", total}});
  });
  svr.Get(R"(/api/v1/apps/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    store::Store& st = stores_.get();
    auto a = st.app(*u, id_of(req));
    if (!a) return send_error(res, a.error());
    if (!*a) return send_error(res, 404, "no app " + std::to_string(id_of(req)));
    json j = app_json(**a, true);
    json cases = json::array();
    int64_t total = 0;
    if (auto cs = st.list_cases(*u, "", std::nullopt, {500, 0}, total)) {
      for (const auto& c : *cs) {
        if (c.app_id == (*a)->id) cases.push_back(case_json(c, store::now_ms()));
      }
    }
    j["cases"] = cases;
    send_json(res, 200, j);
  });
  svr.Get(R"(/api/v1/apps/(\d+)/diff)",
          [this](const httplib::Request& req, httplib::Response& res) {
            auto u = auth(req, res);
            if (u) diff(*u, id_of(req), req, res);
          });
  auto org_list = [this](bool enterprises) {
    return [this, enterprises](const httplib::Request& req, httplib::Response& res) {
      auto u = auth(req, res);
      if (!u) return;
      store::Store& st = stores_.get();
      auto r = enterprises ? st.enterprises(*u) : st.distributors(*u);
      if (!r) return send_error(res, r.error());
      json items = json::array();
      for (const auto& [o, n] : *r)
        items.push_back(json{{"id", o.id}, {"name", o.name}, {"apps", n}});
      send_json(res, 200, json{{"items", items}, {"total", items.size()}});
    };
  };
  svr.Get("/api/v1/enterprises", org_list(true));
  svr.Get("/api/v1/distributors", org_list(false));
  svr.Post("/api/v1/cases", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u || !regulator_only(*u, res)) return;
    auto body = body_json(req, res);
    if (!body) return;
    std::vector<int64_t> ids;
    if (auto it = body->find("finding_ids"); it != body->end() && it->is_array()) {
      for (const auto& v : *it) {
        if (v.is_number_integer()) ids.push_back(v.get<int64_t>());
      }
    }
    const auto app_id_it = body->find("app_id");
    if (app_id_it == body->end() || !app_id_it->is_number_integer()) {
      return send_error(res, 400, "app_id: an integer is needed");
    }
    const int64_t app_id = app_id_it->get<int64_t>();
    auto c = stores_.get().open_case(*u, app_id, ids, text_field(*body, "note"));
    if (!c) return send_error(res, c.error());
    send_json(res, 201, case_json(*c, store::now_ms()));
  });
  svr.Post(R"(/api/v1/cases/(\d+)/(order|recheck|notify|takedown))",
           [this](const httplib::Request& req, httplib::Response& res) {
             auto u = auth(req, res);
             if (!u) return;
             store::Store& st = stores_.get();
             auto seen = st.case_info(*u, id_of(req));
             if (!seen) return send_error(res, seen.error());
             if (!*seen) return send_error(res, 404, "no case " + std::to_string(id_of(req)));
             if (!regulator_only(*u, res)) return;
             auto body = body_json(req, res);
             if (!body) return;
             std::optional<int64_t> deadline;
             if (auto it = body->find("deadline"); it != body->end() && !it->is_null()) {
               deadline = parse_deadline(*it);
               if (!deadline) {
                 return send_error(res, 400, "deadline: YYYY-MM-DD or milliseconds");
               }
             }
             auto c = st.case_action(*u, id_of(req), req.matches[2].str(),
                                     text_field(*body, "note"), deadline);
             if (!c) return send_error(res, c.error());
             send_json(res, 200, case_json(*c, store::now_ms()));
           });
  svr.Get("/api/v1/cases", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    const std::string status = req.get_param_value("status");
    static const std::set<std::string> kStatuses = {"",          "open",     "rectifying",
                                                    "rectified", "notified", "taken_down"};
    if (!kStatuses.count(status)) {
      return send_error(res, 400, "status: open, rectifying, rectified, notified or taken_down");
    }
    const int64_t now = store::now_ms();
    std::optional<int64_t> overdue;
    if (req.get_param_value("overdue") == "1") overdue = now;
    int64_t total = 0;
    auto r = stores_.get().list_cases(*u, status, overdue, page(req), total);
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& c : *r) items.push_back(case_json(c, now));
    send_json(res, 200, json{{"items", items}, {"total", total}});
  });
  svr.Get(R"(/api/v1/cases/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    auto c = stores_.get().case_info(*u, id_of(req));
    if (!c) return send_error(res, c.error());
    if (!*c) return send_error(res, 404, "no case " + std::to_string(id_of(req)));
    send_json(res, 200, case_json(**c, store::now_ms()));
  });
  svr.Get("/api/v1/notices", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    auto r = stores_.get().notices(*u);
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& n : *r) {
      items.push_back(
          json{{"id", n.id},
               {"case_id", n.case_id},
               {"app", json{{"id", n.app_id}, {"package", n.package}, {"label", n.label}}},
               {"distributor", json{{"id", n.distributor.id}, {"name", n.distributor.name}}},
               {"kind", n.kind},
               {"at", n.at}});
    }
    send_json(res, 200, json{{"items", items}, {"total", items.size()}});
  });
  svr.Get("/api/v1/repeat-offenders", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u) return;
    auto r = stores_.get().repeat_offenders(*u);
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& o : *r) {
      items.push_back(
          json{{"enterprise", json{{"id", o.enterprise.id}, {"name", o.enterprise.name}}},
               {"recurrences", o.recurrences},
               {"apps", o.packages}});
    }
    send_json(res, 200, json{{"items", items}, {"total", items.size()}});
  });
  svr.Get("/api/v1/stats", [this](const httplib::Request& req, httplib::Response& res) {
    if (auto u = auth(req, res)) stats(*u, res);
  });
  svr.Get(R"(/api/v1/exports/notice\.(xlsx|html))",
          [this](const httplib::Request& req, httplib::Response& res) {
            auto u = auth(req, res);
            if (u) export_notice(*u, req.matches[1].str() == "xlsx", res);
          });
  svr.Get("/api/v1/audit", [this](const httplib::Request& req, httplib::Response& res) {
    auto u = auth(req, res);
    if (!u || !regulator_only(*u, res)) return;
    auto r = stores_.get().audit_log(
        static_cast<int>(std::clamp<int64_t>(int_param(req, "limit", 100), 1, 1000)));
    if (!r) return send_error(res, r.error());
    json items = json::array();
    for (const auto& a : *r) {
      items.push_back(json{{"id", a.id},
                           {"at", a.at},
                           {"user_id", opt(a.user_id)},
                           {"actor", a.actor},
                           {"action", a.action},
                           {"object", a.object},
                           {"detail", a.detail}});
    }
    send_json(res, 200, json{{"items", items}, {"total", items.size()}});
  });
}

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

/// The dashboard's built files: --web-dir, else web/dist beside the source tree of this build
/// (build/bin/appaudit → web/dist), else share/appaudit/web beside an installed binary.
std::string find_web_dir(const std::string& given) {
  if (!given.empty()) return given;
  const std::filesystem::path exe = self_exe();
  for (const auto& c :
       {exe.parent_path() / "../../web/dist", exe.parent_path() / "../share/appaudit/web"}) {
    std::error_code ec;
    if (std::filesystem::exists(c / "index.html", ec))
      return std::filesystem::weakly_canonical(c, ec).string();
  }
  return {};
}

/// Removes leftovers of a previous run killed mid-upload or mid-scan (partial blobs, reports
/// and error files of scans that will run again).
void sweep_tmp(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const auto ext = e.path().extension();
    if (ext == ".part" || ext == ".json" || ext == ".err") std::filesystem::remove(e.path(), ec);
  }
}

} // namespace

int serve(const ServeOptions& o) {
  auto fail = [](const std::string& m) {
    std::fprintf(stderr, "appaudit: %s\n", m.c_str());
    return 2;
  };
  if (::mkdir(o.data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail(o.data_dir + ": cannot create the data folder");
  }
  const std::string data_dir = o.data_dir;
  const std::string db = o.db;
  if (!db.empty() && !store::is_postgres_uri(db)) {
    return fail("--db " + db +
                ": not a postgresql:// URI (the SQLite database lives in --data-dir)");
  }
  // The database: PostgreSQL when --db names one, else SQLite in the data folder (blobs stay
  // in the data folder either way).
  std::function<Expected<std::unique_ptr<store::Store>>()> opener = [data_dir, db]() {
    return store::open_store(db.empty() ? data_dir : db);
  };
  StorePool stores;
  if (Status s = stores.open(opener, std::max(1, std::min(o.http_threads, 8))); !s) {
    return fail(s.error().to_string());
  }
  store::BlobStore blobs(o.data_dir + "/blobs");
  sweep_tmp(o.data_dir + "/blobs/tmp");
  sweep_tmp(o.data_dir + "/work");
  knowledge::Knowledge k;
  try {
    k = knowledge::Knowledge::load_embedded();
  } catch (const std::exception& e) {
    return fail(std::string("knowledge: ") + e.what());
  }
  WorkerOptions wo;
  wo.workers = std::max(0, o.workers);
  wo.scanner = o.scanner.empty() ? self_exe() : o.scanner;
  wo.work_dir = o.data_dir + "/work";
  wo.limits = o.limits;
  wo.lease_ms = int64_t{o.lease_seconds} * 1000;
  WorkerPool workers(opener, blobs, wo);

  // SIGINT/SIGTERM go to one thread that stops the server; every other thread blocks them.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  if (Status s = workers.start(); !s) return fail(s.error().to_string());

  httplib::Server svr;
  const uint64_t max_upload =
      std::min<uint64_t>(static_cast<uint64_t>(o.max_upload_mb) << 20, limits::kMaxApkUploadSize);
  // The API checks the limit itself (413 after draining); httplib only stops the absurd.
  svr.set_payload_max_length(static_cast<size_t>(max_upload + (128ull << 20)));
  svr.set_read_timeout(60, 0);
  // Small JSON answers: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms to each one.
  svr.set_tcp_nodelay(true);
  const int threads = std::max(2, o.http_threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr) { send_error(res, 500, "internal error"); });
  Api api(stores, blobs, workers, k, max_upload);
  api.install(svr);
  const std::string web_dir = find_web_dir(o.web_dir);
  if (!web_dir.empty()) {
    svr.set_mount_point("/", web_dir);
  } else {
    svr.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          "<!DOCTYPE html><meta charset=utf-8><title>appaudit</title><p>The dashboard "
          "is not built (cd web &amp;&amp; npm ci &amp;&amp; npm run build). The API "
          "is at <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>",
          "text/html; charset=utf-8");
    });
  }
  int port = o.port;
  if (port == 0) {
    port = svr.bind_to_any_port(o.host);
    if (port < 0) return fail("cannot listen on " + o.host);
  } else if (!svr.bind_to_port(o.host, port)) {
    return fail("cannot listen on " + o.host + ":" + std::to_string(port));
  }

  // Sample apps for a first look (README's main command).
  if (!o.samples.empty()) {
    store::Store& st = stores.get();
    // The demo regulator's token is kept in DIR/demo-token (mode 0600) so that a restarted
    // demo can print it again; real users' tokens are never written anywhere.
    const std::string token_file = o.data_dir + "/demo-token";
    auto demo = st.find_user("demo");
    std::optional<User> who;
    std::string token;
    if (demo && *demo) {
      who = **demo;
      std::ifstream in(token_file);
      std::getline(in, token);
    } else if (auto nu = st.add_user("demo", Role::kRegulator, "")) {
      who = nu->user;
      token = nu->token;
      const int fd = ::open(token_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd >= 0) {
        const std::string line = token + "\n";
        (void)!::write(fd, line.data(), line.size());
        ::close(fd);
      }
    }
    if (!token.empty()) std::printf("appaudit: demo regulator token %s\n", token.c_str());
    for (const auto& path : o.samples) {
      auto b = blobs.put_file(path, max_upload);
      if (!b) {
        std::fprintf(stderr, "appaudit: sample %s: %s\n", path.c_str(), b.error().message.c_str());
        continue;
      }
      store::SubmitMetadata meta;
      meta.source_channel = "sample";
      (void)st.submit(b->sha256, static_cast<int64_t>(b->size), meta, who, false);
    }
    workers.notify();
  }

  std::thread stopper([&svr, sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    svr.stop();
  });
  std::printf("appaudit: serving http://%s:%d (data %s%s)\n", o.host.c_str(), port,
              o.data_dir.c_str(), web_dir.empty() ? ", no dashboard build" : "");
  std::fflush(stdout);
  svr.listen_after_bind();
  // Stopped by a signal (or the listener failed): wake the signal thread if it still waits.
  ::kill(::getpid(), SIGTERM);
  stopper.join();
  workers.stop();
  return 0;
}

} // namespace appaudit::server
