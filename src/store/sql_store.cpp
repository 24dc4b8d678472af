// The Store (store.hpp) written once in SQL over a `Db` connection (db.hpp): the same code
// runs on SQLite and on PostgreSQL. One connection per Store, guarded by a mutex; every write
// is one transaction (Db::begin: BEGIN IMMEDIATE on SQLite), so concurrent writers (threads
// with their own Store, or processes) queue on the database lock instead of failing half-way.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "store/blob_store.hpp"
#include "store/db.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"

namespace appaudit::store {
namespace {

constexpr const char* kUserColumns =
    "u.id, u.name, u.role, u.enterprise_id, e.name, u.distributor_id, d.name, u.created_at "
    "FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id "
    "LEFT JOIN distributors d ON d.id = u.distributor_id ";

User read_user(const Row& s) {
  User u;
  u.id = s.i64(0);
  u.name = s.text(1);
  u.role = parse_role(s.text(2)).value_or(Role::kRegulator);
  u.enterprise_id = s.opt(3);
  u.enterprise = s.text(4);
  u.distributor_id = s.opt(5);
  u.distributor = s.text(6);
  u.created_at = s.i64(7);
  return u;
}

constexpr const char* kScanColumns =
    "s.id, s.submission_id, b.sha256, s.status, s.error, s.report_json, s.attempts, s.worker, "
    "s.lease_until, s.created_at, s.started_at, s.finished_at "
    "FROM scans s JOIN submissions b ON b.id = s.submission_id ";

Scan read_scan(const Row& s) {
  Scan r;
  r.id = s.i64(0);
  r.submission_id = s.i64(1);
  r.sha256 = s.text(2);
  r.status = parse_scan_status(s.text(3)).value_or(ScanStatus::kFailed);
  r.error = s.text(4);
  r.report_json = s.text(5);
  r.attempts = static_cast<int>(s.i64(6));
  r.worker = s.text(7);
  r.lease_until = s.opt(8);
  r.created_at = s.i64(9);
  r.started_at = s.opt(10);
  r.finished_at = s.opt(11);
  return r;
}

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

  Status init() { return migrate(); }

  Expected<NewUser> add_user(std::string_view name, Role role,
                             std::string_view organisation) override {
    if (name.empty() || name.size() > 200) {
      return make_error(Errc::kMalformed, "a user name must have 1 to 200 characters");
    }
    if (role != Role::kRegulator && organisation.empty()) {
      return make_error(Errc::kMalformed, std::string("a user with role ") + to_string(role) +
                                              " must name its " + to_string(role));
    }
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    {
      auto r = q("SELECT 1 FROM users WHERE name = ?", {name});
      if (!r) return wrap(r.error(), "cannot look up the user");
      if (!r->empty()) {
        return make_error(Errc::kMalformed, "a user named '" + std::string(name) + "' exists");
      }
    }
    std::optional<int64_t> enterprise_id, distributor_id;
    if (role == Role::kEnterprise) {
      auto id = ensure_org("enterprises", organisation);
      if (!id) return id.error();
      enterprise_id = *id;
    } else if (role == Role::kDistributor) {
      auto id = ensure_org("distributors", organisation);
      if (!id) return id.error();
      distributor_id = *id;
    }
    NewUser out;
    out.token = random_hex(32); // 256 bits: a hash suffices, no KDF needed
    if (out.token.empty()) return make_error(Errc::kIo, "no randomness for a token");
    const int64_t now = now_ms();
    auto r =
        q("INSERT INTO users (name, role, enterprise_id, distributor_id, token_hash, "
          "created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
          {name, to_string(role), enterprise_id, distributor_id, sha256_hex(out.token), now});
    if (!r || r->empty()) return fail(r, "cannot add the user");
    const int64_t id = r->first().i64(0);
    AuditEntry a;
    a.actor = "cli";
    a.action = "user.add";
    a.object = "user:" + std::to_string(id);
    a.detail = std::string(name) + " (" + to_string(role) +
               (organisation.empty() ? "" : ", " + std::string(organisation)) + ")";
    if (Status st = insert_audit(a); !st) return st.error();
    if (Status st = tx.commit(); !st) return st.error();
    out.user.id = id;
    out.user.name = std::string(name);
    out.user.role = role;
    out.user.enterprise_id = enterprise_id;
    out.user.distributor_id = distributor_id;
    if (enterprise_id) out.user.enterprise = std::string(organisation);
    if (distributor_id) out.user.distributor = std::string(organisation);
    out.user.created_at = now;
    return out;
  }

  Expected<std::optional<User>> authenticate(std::string_view token) override {
    if (token.empty()) return std::optional<User>{};
    return user_where("u.token_hash = ?", sha256_hex(token));
  }

  Expected<std::optional<User>> find_user(std::string_view name) override {
    return user_where("u.name = ?", name);
  }

  Expected<int64_t> ensure_enterprise(std::string_view name) override {
    return ensure_org_tx("enterprises", name);
  }
  Expected<int64_t> ensure_distributor(std::string_view name) override {
    return ensure_org_tx("distributors", name);
  }

  Expected<int64_t> record_app_version(std::string_view package, int64_t version_code,
                                       std::string_view version_name, std::string_view sha256,
                                       std::optional<int64_t> enterprise_id) override {
    if (package.empty()) return make_error(Errc::kMalformed, "an app needs a package name");
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    const int64_t now = now_ms();
    int64_t app_id = 0;
    {
      auto r = q("SELECT id FROM apps WHERE package = ?", {package});
      if (!r) return wrap(r.error(), "cannot look up the app");
      if (!r->empty()) app_id = r->first().i64(0);
    }
    if (app_id == 0) {
      auto r =
          q("INSERT INTO apps (package, enterprise_id, created_at) VALUES (?, ?, ?) "
            "RETURNING id",
            {package, enterprise_id, now});
      if (!r || r->empty()) return fail(r, "cannot record the app");
      app_id = r->first().i64(0);
    }
    int64_t version_id = 0;
    {
      auto r = q("SELECT id FROM app_versions WHERE app_id = ? AND sha256 = ?", {app_id, sha256});
      if (!r) return wrap(r.error(), "cannot look up the app version");
      if (!r->empty()) version_id = r->first().i64(0);
    }
    if (version_id == 0) {
      auto r =
          q("INSERT INTO app_versions (app_id, version_code, version_name, sha256, "
            "created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
            {app_id, version_code, version_name, sha256, now});
      if (!r || r->empty()) return fail(r, "cannot record the app version");
      version_id = r->first().i64(0);
    }
    if (Status st = tx.commit(); !st) return st.error();
    return version_id;
  }

  Expected<SubmitResult> submit(std::string_view sha256, int64_t size,
                                const SubmitMetadata& metadata, const std::optional<User>& user,
                                bool recheck) override {
    if (!is_sha256_hex(sha256)) {
      return make_error(Errc::kMalformed, "a submission needs a lower-case hex SHA-256");
    }
    if (size < 0) return make_error(Errc::kMalformed, "negative size");
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    std::optional<int64_t> enterprise_id = metadata.enterprise_id;
    if (!enterprise_id && user && user->role == Role::kEnterprise) {
      enterprise_id = user->enterprise_id;
    }
    std::optional<int64_t> distributor_id = metadata.distributor_id;
    if (!distributor_id && user && user->role == Role::kDistributor) {
      distributor_id = user->distributor_id;
    }
    if (!recheck) {
      // The newest scan of these bytes that did not fail: queued, running or done.
      auto r =
          q("SELECT s.submission_id, s.id FROM scans s JOIN submissions b "
            "ON b.id = s.submission_id WHERE b.sha256 = ? AND COALESCE(b.policy_sha256, '') = ? "
            "AND s.status <> 'failed' ORDER BY s.id DESC LIMIT 1",
            {sha256, metadata.policy_sha256});
      if (!r) return wrap(r.error(), "cannot look up earlier scans");
      if (!r->empty()) {
        const SubmitResult found{r->first().i64(0), r->first().i64(1), true};
        // Known bytes from a distributor still tell that the distributor carries the app.
        if (distributor_id) {
          auto l =
              q("INSERT INTO app_distributors (app_id, distributor_id, created_at) "
                "SELECT DISTINCT v.app_id, ?, ? FROM app_versions v WHERE v.sha256 = ? AND "
                "NOT EXISTS (SELECT 1 FROM app_distributors ad WHERE ad.app_id = v.app_id "
                "AND ad.distributor_id = ?)",
                {*distributor_id, now_ms(), sha256, *distributor_id});
          if (!l) return wrap(l.error(), "cannot record the app's distributor");
          if (Status st = tx.commit(); !st) return st.error();
        }
        return found;
      }
    }
    const int64_t now = now_ms();
    SubmitResult out;
    {
      auto r =
          q("INSERT INTO submissions (sha256, size, app_type, source_channel, enterprise_id, "
            "submitted_by, recheck, created_at, distributor_id, policy_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "RETURNING id",
            {sha256, size, Value::text_or_null(metadata.app_type),
             Value::text_or_null(metadata.source_channel), enterprise_id,
             user ? std::optional<int64_t>(user->id) : std::nullopt, Value::flag(recheck), now,
             distributor_id, Value::text_or_null(metadata.policy_sha256)});
      if (!r || r->empty()) return fail(r, "cannot record the submission");
      out.submission_id = r->first().i64(0);
    }
    {
      auto r =
          q("INSERT INTO scans (submission_id, status, created_at) VALUES (?, 'queued', ?) "
            "RETURNING id",
            {out.submission_id, now});
      if (!r || r->empty()) return fail(r, "cannot queue the scan");
      out.scan_id = r->first().i64(0);
    }
    AuditEntry a;
    a.user_id = user ? std::optional<int64_t>(user->id) : std::nullopt;
    a.actor = user ? user->name : "anonymous";
    a.action = recheck ? "submission.recheck" : "submission.create";
    a.object = "submission:" + std::to_string(out.submission_id);
    a.detail = "sha256 " + std::string(sha256) + ", scan " + std::to_string(out.scan_id);
    if (Status st = insert_audit(a); !st) return st.error();
    if (Status st = tx.commit(); !st) return st.error();
    return out;
  }

  Expected<std::optional<Scan>> scan(int64_t id) override {
    std::lock_guard lock(mu_);
    auto r = q(std::string("SELECT ") + kScanColumns + "WHERE s.id = ?", {id});
    if (!r) return wrap(r.error(), "cannot read scan " + std::to_string(id));
    if (r->empty()) return std::optional<Scan>{};
    return std::optional<Scan>(read_scan(r->first()));
  }

  Expected<std::optional<Submission>> submission(int64_t id) override {
    std::lock_guard lock(mu_);
    auto r =
        q("SELECT id, sha256, size, app_type, source_channel, enterprise_id, submitted_by, "
          "recheck, created_at, distributor_id, policy_sha256 FROM submissions WHERE id = ?",
          {id});
    if (!r) return wrap(r.error(), "cannot read submission " + std::to_string(id));
    if (r->empty()) return std::optional<Submission>{};
    const Row& s = r->first();
    Submission out;
    out.id = s.i64(0);
    out.sha256 = s.text(1);
    out.size = s.i64(2);
    out.app_type = s.text(3);
    out.source_channel = s.text(4);
    out.enterprise_id = s.opt(5);
    out.submitted_by = s.opt(6);
    out.recheck = s.i64(7) != 0;
    out.created_at = s.i64(8);
    out.distributor_id = s.opt(9);
    out.policy_sha256 = s.text(10);
    return std::optional<Submission>(std::move(out));
  }

  Expected<std::vector<int64_t>> count_scans_by_status() override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out(4, 0);
    auto r = q("SELECT status, COUNT(*) FROM scans GROUP BY status");
    if (!r) return wrap(r.error(), "cannot count scans");
    for (const Row& row : r->rows) {
      if (auto st = parse_scan_status(row.text(0))) out[static_cast<size_t>(*st)] = row.i64(1);
    }
    return out;
  }

  Status add_findings(int64_t scan_id, const std::vector<FindingRecord>& findings) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    for (const auto& f : findings) {
      auto r =
          q("INSERT INTO findings (scan_id, rule, category, severity, party, json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            {scan_id, f.rule, Value::text_or_null(f.category), Value::text_or_null(f.severity),
             Value::text_or_null(f.party), f.json});
      if (!r) return wrap(r.error(), "cannot store the findings");
    }
    return tx.commit();
  }

  Expected<std::vector<FindingRecord>> findings(int64_t scan_id) override {
    std::lock_guard lock(mu_);
    std::vector<FindingRecord> out;
    auto r = q(std::string("SELECT ") + kFindingColumns +
                   "FROM findings f WHERE f.scan_id = ? ORDER BY f.id",
               {scan_id});
    if (!r) return wrap(r.error(), "cannot read the findings");
    for (const Row& row : r->rows) out.push_back(read_finding(row));
    return out;
  }

  Status review_finding(int64_t finding_id, std::string_view state, const User& reviewer,
                        std::string_view reason) override {
    if (state != "confirmed" && state != "false_positive" && state != "waived") {
      return make_error(Errc::kMalformed, "review state " + std::string(state) +
                                              ": use confirmed, false_positive or waived");
    }
    if (reason.empty()) return make_error(Errc::kMalformed, "a review needs a reason");
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    const int64_t now = now_ms();
    auto r =
        q("UPDATE findings SET review_state = ?, reviewed_by = ?, review_reason = ?, "
          "reviewed_at = ? WHERE id = ?",
          {state, reviewer.id, reason, now, finding_id});
    if (!r) return wrap(r.error(), "cannot review the finding");
    if (r->changes != 1) {
      return make_error(Errc::kNotFound, "no finding " + std::to_string(finding_id));
    }
    AuditEntry a;
    a.at = now;
    a.user_id = reviewer.id;
    a.actor = reviewer.name;
    a.action = "finding.review";
    a.object = "finding:" + std::to_string(finding_id);
    a.detail = std::string(state) + ": " + std::string(reason);
    if (Status st = insert_audit(a); !st) return st;
    return tx.commit();
  }

  Status record_audit(const AuditEntry& entry) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    if (Status st = insert_audit(entry); !st) return st;
    return tx.commit();
  }

  Expected<std::vector<AuditEntry>> audit_log(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<AuditEntry> out;
    auto r =
        q("SELECT id, at, user_id, actor, action, object, detail FROM audit_log "
          "ORDER BY id DESC LIMIT ?",
          {int64_t{limit}});
    if (!r) return wrap(r.error(), "cannot read the audit log");
    for (const Row& s : r->rows) {
      AuditEntry a;
      a.id = s.i64(0);
      a.at = s.i64(1);
      a.user_id = s.opt(2);
      a.actor = s.text(3);
      a.action = s.text(4);
      a.object = s.text(5);
      a.detail = s.text(6);
      out.push_back(std::move(a));
    }
    return out;
  }

  Expected<std::optional<ClaimedScan>> claim_scan(std::string_view worker, int64_t now,
                                                  int64_t lease_ms, int max_attempts) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    if (auto n = expire_locked(now, max_attempts); !n) return n.error();
    // One statement picks and takes the oldest queued scan. Under SQLite the write lock of
    // BEGIN IMMEDIATE serialises claimers; under PostgreSQL the dialect's FOR UPDATE SKIP
    // LOCKED does, and `status = 'queued'` in the outer WHERE guards both.
    const std::string sql =
        std::string(
            "UPDATE scans SET status = 'running', worker = ?, lease_until = ?, "
            "attempts = attempts + 1, started_at = COALESCE(started_at, ?) "
            "WHERE status = 'queued' AND id = (SELECT id FROM scans WHERE status = 'queued' "
            "ORDER BY id LIMIT 1") +
        db_->dialect().claim_lock + ") RETURNING id, submission_id, attempts, lease_until";
    ClaimedScan c;
    {
      auto r = q(sql, {worker, now + lease_ms, now});
      if (!r) return wrap(r.error(), "cannot claim a scan");
      if (r->empty()) {
        if (Status st = tx.commit(); !st) return st.error();
        return std::optional<ClaimedScan>{};
      }
      const Row& s = r->first();
      c.scan_id = s.i64(0);
      c.submission_id = s.i64(1);
      c.attempt = static_cast<int>(s.i64(2));
      c.lease_until = s.i64(3);
    }
    {
      auto r = q("SELECT sha256 FROM submissions WHERE id = ?", {c.submission_id});
      if (!r || r->empty()) return fail(r, "claimed scan has no submission");
      c.sha256 = r->first().text(0);
    }
    if (Status st = tx.commit(); !st) return st.error();
    return std::optional<ClaimedScan>(std::move(c));
  }

  Status extend_lease(int64_t scan_id, int attempt, int64_t lease_until) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto r =
        q("UPDATE scans SET lease_until = ? WHERE id = ? AND status = 'running' AND "
          "attempts = ?",
          {lease_until, scan_id, int64_t{attempt}});
    if (!r) return wrap(r.error(), "cannot extend the lease");
    if (r->changes != 1) return lease_lost(scan_id, attempt);
    return tx.commit();
  }

  Status finish_scan(int64_t scan_id, int attempt, ScanStatus status, std::string_view text,
                     int64_t now) override {
    if (status != ScanStatus::kDone && status != ScanStatus::kFailed) {
      return make_error(Errc::kMalformed, "a scan finishes as done or failed");
    }
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    const bool done = status == ScanStatus::kDone;
    auto r = q(std::string("UPDATE scans SET status = ?, ") + (done ? "report_json" : "error") +
                   " = ?, finished_at = ?, lease_until = NULL "
                   "WHERE id = ? AND status = 'running' AND attempts = ?",
               {to_string(status), text, now, scan_id, int64_t{attempt}});
    if (!r) return wrap(r.error(), "cannot record the scan result");
    if (r->changes != 1) return lease_lost(scan_id, attempt);
    return tx.commit();
  }

  Expected<int64_t> requeue_expired(int64_t now, int max_attempts) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto n = expire_locked(now, max_attempts);
    if (!n) return n.error();
    if (Status st = tx.commit(); !st) return st.error();
    return *n;
  }

  Status requeue_scan(int64_t scan_id) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto r = q("SELECT status FROM scans WHERE id = ?", {scan_id});
    if (!r) return wrap(r.error(), "cannot read the scan");
    if (r->empty()) return make_error(Errc::kNotFound, "no scan " + std::to_string(scan_id));
    const std::string status = r->first().text(0);
    if (status == "running") {
      return make_error(Errc::kMalformed,
                        "scan " + std::to_string(scan_id) + " is running; it cannot be queued");
    }
    if (status != "queued") {
      auto u =
          q("UPDATE scans SET status = 'queued', error = NULL, report_json = NULL, "
            "worker = NULL, lease_until = NULL, finished_at = NULL WHERE id = ?",
            {scan_id});
      if (!u) return wrap(u.error(), "cannot queue the scan");
    }
    return tx.commit();
  }

  Status complete_scan(int64_t scan_id, int attempt, std::string_view report_json,
                       const ScanOutcome& outcome, int64_t now) override {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    {
      auto r =
          q("UPDATE scans SET status = 'done', report_json = ?, finished_at = ?, "
            "lease_until = NULL WHERE id = ? AND status = 'running' AND attempts = ?",
            {report_json, now, scan_id, int64_t{attempt}});
      if (!r) return wrap(r.error(), "cannot record the scan result");
      if (r->changes != 1) return lease_lost(scan_id, attempt);
    }
    auto sub =
        q("SELECT b.sha256, b.enterprise_id, b.distributor_id FROM scans s "
          "JOIN submissions b ON b.id = s.submission_id WHERE s.id = ?",
          {scan_id});
    if (!sub || sub->empty()) return fail(sub, "cannot read the scan's submission");
    const std::string sha256 = sub->first().text(0);
    const std::optional<int64_t> enterprise_id = sub->first().opt(1);
    const std::optional<int64_t> distributor_id = sub->first().opt(2);
    std::optional<int64_t> app_id;
    if (!outcome.package.empty()) {
      auto a = q("SELECT id, enterprise_id FROM apps WHERE package = ?", {outcome.package});
      if (!a) return wrap(a.error(), "cannot look up the app");
      if (a->empty()) {
        auto r =
            q("INSERT INTO apps (package, label, enterprise_id, created_at) "
              "VALUES (?, ?, ?, ?) RETURNING id",
              {outcome.package, Value::text_or_null(outcome.label), enterprise_id, now});
        if (!r || r->empty()) return fail(r, "cannot record the app");
        app_id = r->first().i64(0);
      } else {
        app_id = a->first().i64(0);
        // The newest label wins; an app without an owner takes the submitter's enterprise.
        auto r =
            q("UPDATE apps SET label = COALESCE(?, label), "
              "enterprise_id = COALESCE(enterprise_id, ?) WHERE id = ?",
              {Value::text_or_null(outcome.label), enterprise_id, *app_id});
        if (!r) return wrap(r.error(), "cannot update the app");
      }
      auto v = q("SELECT id FROM app_versions WHERE app_id = ? AND sha256 = ?", {*app_id, sha256});
      if (!v) return wrap(v.error(), "cannot look up the app version");
      if (v->empty()) {
        auto r =
            q("INSERT INTO app_versions (app_id, version_code, version_name, sha256, "
              "created_at) VALUES (?, ?, ?, ?, ?)",
              {*app_id, outcome.version_code, outcome.version_name, sha256, now});
        if (!r) return wrap(r.error(), "cannot record the app version");
      }
      if (distributor_id) {
        auto r = q("SELECT 1 FROM app_distributors WHERE app_id = ? AND distributor_id = ?",
                   {*app_id, *distributor_id});
        if (!r) return wrap(r.error(), "cannot read the app's distributors");
        if (r->empty()) {
          auto w =
              q("INSERT INTO app_distributors (app_id, distributor_id, created_at) "
                "VALUES (?, ?, ?)",
                {*app_id, *distributor_id, now});
          if (!w) return wrap(w.error(), "cannot record the app's distributor");
        }
      }
    }
    for (const auto& f : outcome.findings) {
      auto r =
          q("INSERT INTO findings (scan_id, rule, category, severity, party, json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            {scan_id, f.rule, Value::text_or_null(f.category), Value::text_or_null(f.severity),
             Value::text_or_null(f.party), f.json});
      if (!r) return wrap(r.error(), "cannot store the findings");
    }
    AuditEntry a;
    a.at = now;
    a.actor = "worker";
    a.action = "scan.done";
    a.object = "scan:" + std::to_string(scan_id);
    a.detail = (outcome.package.empty() ? std::string("no package") : outcome.package) + ", " +
               std::to_string(outcome.findings.size()) + " findings";
    if (Status st = insert_audit(a); !st) return st;
    if (app_id) {
      // A new version of an app under a rectification order is re-checked at once.
      auto c = q("SELECT id FROM cases WHERE app_id = ? AND status = 'rectifying' AND scan_id < ?",
                 {*app_id, scan_id});
      if (!c) return wrap(c.error(), "cannot read the app's cases");
      for (const Row& row : c->rows) {
        if (Status st = recheck_locked(row.i64(0), scan_id, std::nullopt, "worker", "", now); !st) {
          return st;
        }
      }
    }
    return tx.commit();
  }

  Expected<std::vector<AppInfo>> list_apps(const User& who, std::string_view search,
                                           std::optional<int64_t> enterprise_id, PageQuery page,
                                           int64_t& total) override {
    std::lock_guard lock(mu_);
    const std::string pattern = "%" + lower_ascii(search) + "%";
    std::vector<Value> params = app_scope(who);
    params.insert(params.end(), {Value(search), pattern, pattern, Value(enterprise_id.value_or(-1)),
                                 Value(enterprise_id.value_or(-1))});
    const std::string where = std::string(" WHERE ") + kAppVisible +
                              " AND (? = '' OR LOWER(a.package) LIKE ? OR LOWER(COALESCE(a.label, "
                              "'')) LIKE ?) AND (? = -1 OR a.enterprise_id = ?)";
    {
      auto r = q("SELECT COUNT(*) FROM apps a" + where, params);
      if (!r || r->empty()) return fail(r, "cannot count the apps");
      total = r->first().i64(0);
    }
    params.push_back(clamp_limit(page.limit));
    params.push_back(std::max<int64_t>(0, page.offset));
    // One query: each app with its newest version (and that version's newest scan) joined.
    auto r = q(std::string("SELECT ") + kAppColumns + ", " + kVersionColumns +
                   "FROM apps a LEFT JOIN enterprises e ON e.id = a.enterprise_id "
                   "LEFT JOIN app_versions v ON v.id = (SELECT v2.id FROM app_versions v2 "
                   "WHERE v2.app_id = a.id ORDER BY v2.version_code DESC, v2.id DESC LIMIT 1) " +
                   kVersionScanJoin + where + " ORDER BY a.id DESC LIMIT ? OFFSET ?",
               params);
    if (!r) return wrap(r.error(), "cannot list the apps");
    std::vector<AppInfo> out;
    for (const Row& row : r->rows) {
      AppInfo app = read_app(row);
      if (!row.null(kAppColumnCount)) app.latest = read_version(row, kAppColumnCount);
      out.push_back(std::move(app));
    }
    return out;
  }

  Expected<std::optional<AppInfo>> app(const User& who, int64_t id) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = app_scope(who);
    params.push_back(id);
    auto r = q(std::string("SELECT ") + kAppColumns +
                   "FROM apps a LEFT JOIN enterprises e ON "
                   "e.id = a.enterprise_id WHERE " +
                   kAppVisible + " AND a.id = ?",
               params);
    if (!r) return wrap(r.error(), "cannot read the app");
    if (r->empty()) return std::optional<AppInfo>{};
    AppInfo app = read_app(r->first());
    auto versions = app_versions_locked(app.id, 1000);
    if (!versions) return versions.error();
    app.version_list = std::move(*versions);
    if (!app.version_list.empty()) app.latest = app.version_list.front();
    auto d =
        q("SELECT d.id, d.name FROM app_distributors ad JOIN distributors d "
          "ON d.id = ad.distributor_id WHERE ad.app_id = ? ORDER BY d.name",
          {app.id});
    if (!d) return wrap(d.error(), "cannot read the app's distributors");
    for (const Row& row : d->rows) app.distributors.push_back({row.i64(0), row.text(1)});
    return std::optional<AppInfo>(std::move(app));
  }

  Expected<std::vector<ScanInfo>> list_scans(const User& who, std::optional<ScanStatus> status,
                                             PageQuery page, int64_t& total) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = submission_scope(who);
    params.push_back(status ? Value(to_string(*status)) : Value(""));
    params.push_back(status ? Value(to_string(*status)) : Value(""));
    const std::string where =
        std::string(" WHERE ") + kSubmissionVisible + " AND (? = '' OR s.status = ?)";
    {
      auto r =
          q("SELECT COUNT(*) FROM scans s JOIN submissions b ON b.id = s.submission_id" + where,
            params);
      if (!r || r->empty()) return fail(r, "cannot count the scans");
      total = r->first().i64(0);
    }
    params.push_back(clamp_limit(page.limit));
    params.push_back(std::max<int64_t>(0, page.offset));
    auto r = q(std::string("SELECT ") + kScanInfoColumns(false) + where +
                   " ORDER BY s.id DESC LIMIT ? OFFSET ?",
               params);
    if (!r) return wrap(r.error(), "cannot list the scans");
    std::vector<ScanInfo> out;
    for (const Row& row : r->rows) out.push_back(read_scan_info(row));
    return out;
  }

  Expected<std::optional<ScanInfo>> scan_info(const User& who, int64_t id) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = submission_scope(who);
    params.push_back(id);
    auto r = q(std::string("SELECT ") + kScanInfoColumns(true) + " WHERE " + kSubmissionVisible +
                   " AND s.id = ?",
               params);
    if (!r) return wrap(r.error(), "cannot read scan " + std::to_string(id));
    if (r->empty()) return std::optional<ScanInfo>{};
    return std::optional<ScanInfo>(read_scan_info(r->first()));
  }

  Expected<std::optional<FindingRecord>> finding(const User& who, int64_t id) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = submission_scope(who);
    params.push_back(id);
    auto r = q(std::string("SELECT ") + kFindingColumns +
                   "FROM findings f JOIN scans s ON s.id = f.scan_id JOIN submissions b "
                   "ON b.id = s.submission_id WHERE " +
                   kSubmissionVisible + " AND f.id = ?",
               params);
    if (!r) return wrap(r.error(), "cannot read finding " + std::to_string(id));
    if (r->empty()) return std::optional<FindingRecord>{};
    return std::optional<FindingRecord>(read_finding(r->first()));
  }

  Expected<std::vector<std::pair<NamedId, int64_t>>> enterprises(const User& who) override {
    std::lock_guard lock(mu_);
    auto r =
        q("SELECT e.id, e.name, (SELECT COUNT(*) FROM apps a WHERE a.enterprise_id = e.id) "
          "FROM enterprises e WHERE ? = 1 OR e.id = ? ORDER BY e.name",
          {Value::flag(who.role == Role::kRegulator),
           who.role == Role::kEnterprise ? Value(who.enterprise_id) : Value(int64_t{-1})});
    if (!r) return wrap(r.error(), "cannot list the enterprises");
    std::vector<std::pair<NamedId, int64_t>> out;
    for (const Row& row : r->rows) out.push_back({{row.i64(0), row.text(1)}, row.i64(2)});
    return out;
  }

  Expected<std::vector<std::pair<NamedId, int64_t>>> distributors(const User& who) override {
    std::lock_guard lock(mu_);
    auto r =
        q("SELECT d.id, d.name, (SELECT COUNT(*) FROM app_distributors ad "
          "WHERE ad.distributor_id = d.id) FROM distributors d WHERE ? = 1 OR d.id = ? "
          "ORDER BY d.name",
          {Value::flag(who.role == Role::kRegulator),
           who.role == Role::kDistributor ? Value(who.distributor_id) : Value(int64_t{-1})});
    if (!r) return wrap(r.error(), "cannot list the distributors");
    std::vector<std::pair<NamedId, int64_t>> out;
    for (const Row& row : r->rows) out.push_back({{row.i64(0), row.text(1)}, row.i64(2)});
    return out;
  }

  Expected<CaseInfo> open_case(const User& who, int64_t app_id,
                               const std::vector<int64_t>& finding_ids,
                               std::string_view note) override {
    if (who.role != Role::kRegulator) {
      return make_error(Errc::kUnsupported, "only a regulator opens cases");
    }
    if (finding_ids.empty()) return make_error(Errc::kMalformed, "a case needs findings");
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto a = q("SELECT enterprise_id FROM apps WHERE id = ?", {app_id});
    if (!a) return wrap(a.error(), "cannot read the app");
    if (a->empty()) return make_error(Errc::kNotFound, "no app " + std::to_string(app_id));
    const std::optional<int64_t> enterprise_id = a->first().opt(0);
    int64_t scan_id = 0;
    std::vector<std::pair<int64_t, std::string>> rules;
    for (int64_t fid : finding_ids) {
      auto f =
          q("SELECT f.rule, f.review_state, f.scan_id FROM findings f JOIN scans s "
            "ON s.id = f.scan_id JOIN submissions b ON b.id = s.submission_id "
            "JOIN app_versions v ON v.sha256 = b.sha256 WHERE f.id = ? AND v.app_id = ?",
            {fid, app_id});
      if (!f) return wrap(f.error(), "cannot read the findings");
      if (f->empty()) {
        return make_error(Errc::kMalformed,
                          "finding " + std::to_string(fid) + " is not a finding of this app");
      }
      if (f->first().text(1) != "confirmed") {
        return make_error(Errc::kMalformed,
                          "finding " + std::to_string(fid) + " is not confirmed; review it first");
      }
      scan_id = std::max(scan_id, f->first().i64(2));
      rules.emplace_back(fid, f->first().text(0));
    }
    const int64_t now = now_ms();
    auto c =
        q("INSERT INTO cases (app_id, enterprise_id, status, note, opened_by, scan_id, "
          "created_at, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?) RETURNING id",
          {app_id, enterprise_id, Value::text_or_null(note), who.id, scan_id, now, now});
    if (!c || c->empty()) return fail(c, "cannot open the case");
    const int64_t case_id = c->first().i64(0);
    for (const auto& [fid, rule] : rules) {
      auto r = q("INSERT INTO case_findings (case_id, finding_id, rule) VALUES (?, ?, ?)",
                 {case_id, fid, rule});
      if (!r) return wrap(r.error(), "cannot link the case's findings");
    }
    if (Status st = case_event(case_id, who, "open", note, now); !st) return st.error();
    if (Status st = tx.commit(); !st) return st.error();
    auto out = case_locked(case_id);
    if (!out) return out.error();
    return std::move(**out);
  }

  Expected<CaseInfo> case_action(const User& who, int64_t case_id, std::string_view action,
                                 std::string_view note, std::optional<int64_t> deadline) override {
    if (who.role != Role::kRegulator) {
      return make_error(Errc::kUnsupported, "only a regulator advances cases");
    }
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto c = q("SELECT status, app_id FROM cases WHERE id = ?", {case_id});
    if (!c) return wrap(c.error(), "cannot read the case");
    if (c->empty()) return make_error(Errc::kNotFound, "no case " + std::to_string(case_id));
    const std::string status = c->first().text(0);
    const int64_t app_id = c->first().i64(1);
    const int64_t now = now_ms();
    auto wrong = [&](const char* wanted) {
      return make_error(Errc::kMalformed, "case " + std::to_string(case_id) + " is " + status +
                                              "; '" + std::string(action) + "' needs it " + wanted);
    };
    if (action == "order") {
      if (status != "open") return wrong("open");
      if (!deadline || *deadline <= 0) {
        return make_error(Errc::kMalformed, "a rectification order needs a deadline");
      }
      if (Status st = set_status(case_id, "rectifying", now, deadline); !st) return st.error();
      if (Status st = case_event(case_id, who, "order", note, now); !st) return st.error();
    } else if (action == "recheck") {
      if (status != "rectifying" && status != "notified") return wrong("rectifying or notified");
      auto s =
          q("SELECT MAX(s.id) FROM scans s JOIN submissions b ON b.id = s.submission_id "
            "JOIN app_versions v ON v.sha256 = b.sha256 WHERE v.app_id = ? AND "
            "s.status = 'done' AND s.id > (SELECT scan_id FROM cases WHERE id = ?)",
            {app_id, case_id});
      if (!s || s->empty()) return fail(s, "cannot find the app's newest scan");
      if (s->first().null(0)) {
        return make_error(Errc::kMalformed,
                          "no finished scan of the app newer than the case's; submit the "
                          "rectified version first");
      }
      if (Status st = recheck_locked(case_id, s->first().i64(0), who.id, who.name, note, now);
          !st) {
        return st.error();
      }
    } else if (action == "notify") {
      if (status != "rectifying" && status != "open") return wrong("open or rectifying");
      if (Status st = set_status(case_id, "notified", now, std::nullopt); !st) return st.error();
      if (Status st = case_event(case_id, who, "notify", note, now); !st) return st.error();
    } else if (action == "takedown") {
      if (status != "notified") return wrong("notified");
      if (Status st = set_status(case_id, "taken_down", now, std::nullopt); !st) {
        return st.error();
      }
      auto r =
          q("INSERT INTO notices (case_id, app_id, distributor_id, kind, at) "
            "SELECT ?, ad.app_id, ad.distributor_id, 'takedown', ? FROM app_distributors ad "
            "WHERE ad.app_id = ?",
            {case_id, now, app_id});
      if (!r) return wrap(r.error(), "cannot send the takedown notices");
      const std::string text = std::string(note) + (note.empty() ? "" : "; ") +
                               std::to_string(r->changes) + " distributor(s) notified";
      if (Status st = case_event(case_id, who, "takedown", text, now); !st) return st.error();
    } else {
      return make_error(Errc::kMalformed, "unknown case action '" + std::string(action) +
                                              "': use order, recheck, notify or takedown");
    }
    if (Status st = tx.commit(); !st) return st.error();
    auto out = case_locked(case_id);
    if (!out) return out.error();
    return std::move(**out);
  }

  Expected<std::optional<CaseInfo>> case_info(const User& who, int64_t id) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = app_scope(who);
    params.push_back(id);
    auto r = q(std::string("SELECT c.id FROM cases c JOIN apps a ON a.id = c.app_id WHERE ") +
                   kAppVisible + " AND c.id = ?",
               params);
    if (!r) return wrap(r.error(), "cannot read the case");
    if (r->empty()) return std::optional<CaseInfo>{};
    return case_locked(id);
  }

  Expected<std::vector<CaseInfo>> list_cases(const User& who, std::string_view status,
                                             std::optional<int64_t> overdue_at, PageQuery page,
                                             int64_t& total) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = app_scope(who);
    params.insert(params.end(), {Value(status), Value(status), Value::flag(overdue_at.has_value()),
                                 Value(overdue_at.value_or(0))});
    const std::string where = std::string(" FROM cases c JOIN apps a ON a.id = c.app_id WHERE ") +
                              kAppVisible +
                              " AND (? = '' OR c.status = ?) AND (? = 0 OR (c.status = "
                              "'rectifying' AND c.deadline < ?))";
    {
      auto r = q("SELECT COUNT(*)" + where, params);
      if (!r || r->empty()) return fail(r, "cannot count the cases");
      total = r->first().i64(0);
    }
    params.push_back(clamp_limit(page.limit));
    params.push_back(std::max<int64_t>(0, page.offset));
    auto r = q("SELECT c.id" + where + " ORDER BY c.id DESC LIMIT ? OFFSET ?", params);
    if (!r) return wrap(r.error(), "cannot list the cases");
    std::vector<CaseInfo> out;
    for (const Row& row : r->rows) {
      auto c = case_locked(row.i64(0));
      if (!c) return c.error();
      if (*c) out.push_back(std::move(**c));
    }
    return out;
  }

  Expected<std::vector<Notice>> notices(const User& who) override {
    std::lock_guard lock(mu_);
    std::vector<Value> params = app_scope(who);
    params.push_back(Value::flag(who.role == Role::kDistributor));
    params.push_back(Value(who.distributor_id.value_or(-1)));
    auto r = q(std::string("SELECT n.id, n.case_id, n.app_id, a.package, a.label, d.id, d.name, "
                           "n.kind, n.at FROM notices n JOIN apps a ON a.id = n.app_id "
                           "JOIN distributors d ON d.id = n.distributor_id WHERE ") +
                   kAppVisible + " AND (? = 0 OR n.distributor_id = ?) ORDER BY n.id DESC",
               params);
    if (!r) return wrap(r.error(), "cannot read the notices");
    std::vector<Notice> out;
    for (const Row& row : r->rows) {
      Notice n;
      n.id = row.i64(0);
      n.case_id = row.i64(1);
      n.app_id = row.i64(2);
      n.package = row.text(3);
      n.label = row.text(4);
      n.distributor = {row.i64(5), row.text(6)};
      n.kind = row.text(7);
      n.at = row.i64(8);
      out.push_back(std::move(n));
    }
    return out;
  }

  Expected<std::vector<RepeatOffender>> repeat_offenders(const User& who) override {
    std::lock_guard lock(mu_);
    // A recurrence: a rectified case whose rules show up again in a scan of the same app that
    // finished after the case was closed.
    std::vector<Value> params = app_scope(who);
    auto r = q(std::string("SELECT e.id, e.name, c.id, a.package FROM cases c "
                           "JOIN apps a ON a.id = c.app_id JOIN enterprises e "
                           "ON e.id = c.enterprise_id WHERE ") +
                   kAppVisible +
                   " AND c.status = 'rectified' AND EXISTS (SELECT 1 FROM case_findings cf "
                   "JOIN findings f ON f.rule = cf.rule JOIN scans s ON s.id = f.scan_id "
                   "JOIN submissions b ON b.id = s.submission_id JOIN app_versions v "
                   "ON v.sha256 = b.sha256 WHERE cf.case_id = c.id AND v.app_id = c.app_id "
                   "AND s.status = 'done' AND s.finished_at > c.closed_at) "
                   "ORDER BY e.name, c.id",
               params);
    if (!r) return wrap(r.error(), "cannot find repeat offenders");
    std::vector<RepeatOffender> out;
    for (const Row& row : r->rows) {
      if (out.empty() || out.back().enterprise.id != row.i64(0)) {
        out.push_back({{row.i64(0), row.text(1)}, 0, {}});
      }
      RepeatOffender& o = out.back();
      ++o.recurrences;
      const std::string package = row.text(3);
      if (std::find(o.packages.begin(), o.packages.end(), package) == o.packages.end()) {
        o.packages.push_back(package);
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const RepeatOffender& x, const RepeatOffender& y) {
      return x.recurrences > y.recurrences;
    });
    return out;
  }

  Expected<Stats> stats(const User& who) override {
    std::lock_guard lock(mu_);
    Stats out;
    const std::vector<Value> scope = app_scope(who);
    const std::string visible = std::string(" AND ") + kAppVisible;
    // The newest finished scan of each visible app.
    const std::string latest =
        "SELECT MAX(s.id) FROM scans s JOIN submissions b ON b.id = s.submission_id "
        "JOIN app_versions v ON v.sha256 = b.sha256 JOIN apps a ON a.id = v.app_id "
        "WHERE s.status = 'done'" +
        visible + " GROUP BY v.app_id";
    {
      auto r = q("SELECT COUNT(*) FROM (" + latest + ") t", scope);
      if (!r || r->empty()) return fail(r, "cannot count the tested apps");
      out.apps_tested = r->first().i64(0);
    }
    {
      auto r =
          q("SELECT c.status, COUNT(*) FROM cases c JOIN apps a ON a.id = c.app_id WHERE 1 = 1" +
                visible + " GROUP BY c.status",
            scope);
      if (!r) return wrap(r.error(), "cannot count the cases");
      for (const Row& row : r->rows) {
        const std::string s = row.text(0);
        const int64_t n = row.i64(1);
        if (s != "open") out.ordered_to_rectify += n;
        if (s == "notified" || s == "taken_down") out.publicly_notified += n;
        if (s == "taken_down") out.taken_down += n;
      }
    }
    auto grouped = [&](const std::string& sql,
                       std::vector<std::pair<std::string, int64_t>>& into) -> Status {
      auto r = q(sql, scope);
      if (!r) return wrap(r.error(), "cannot compute the statistics");
      for (const Row& row : r->rows) into.emplace_back(row.text(0), row.i64(1));
      return {};
    };
    const std::string in_latest = " WHERE f.scan_id IN (" + latest + ")";
    if (Status st = grouped("SELECT COALESCE(f.category, ''), COUNT(*) FROM findings f" +
                                in_latest + " GROUP BY f.category ORDER BY COUNT(*) DESC",
                            out.by_category);
        !st) {
      return st.error();
    }
    if (Status st = grouped("SELECT f.party, COUNT(*) FROM findings f" + in_latest +
                                " AND f.party IS NOT NULL AND f.party <> 'app' GROUP BY f.party "
                                "ORDER BY COUNT(*) DESC",
                            out.by_sdk);
        !st) {
      return st.error();
    }
    {
      std::vector<Value> params = scope;
      params.insert(params.end(), scope.begin(), scope.end());
      auto r =
          q("SELECT d.name, COUNT(*) FROM findings f JOIN scans s ON s.id = f.scan_id "
            "JOIN submissions b ON b.id = s.submission_id JOIN app_versions v "
            "ON v.sha256 = b.sha256 JOIN apps a ON a.id = v.app_id JOIN app_distributors ad "
            "ON ad.app_id = v.app_id JOIN distributors d ON d.id = ad.distributor_id "
            "WHERE f.scan_id IN (" +
                latest + ")" + visible + " GROUP BY d.name ORDER BY COUNT(*) DESC",
            params);
      if (!r) return wrap(r.error(), "cannot compute the statistics");
      for (const Row& row : r->rows) out.by_distributor.emplace_back(row.text(0), row.i64(1));
    }
    auto times = [&](const std::string& sql, std::vector<int64_t>& into) -> Status {
      auto r = q(sql, scope);
      if (!r) return wrap(r.error(), "cannot compute the statistics");
      for (const Row& row : r->rows) into.push_back(row.i64(0));
      return {};
    };
    const std::string scan_app =
        " FROM scans s JOIN submissions b ON b.id = s.submission_id "
        "JOIN app_versions v ON v.sha256 = b.sha256 JOIN apps a "
        "ON a.id = v.app_id";
    if (Status st = times("SELECT s.finished_at" + scan_app + " WHERE s.status = 'done'" + visible,
                          out.scan_times);
        !st) {
      return st.error();
    }
    if (Status st =
            times("SELECT s.finished_at" + scan_app +
                      " JOIN findings f ON f.scan_id = s.id WHERE s.status = 'done'" + visible,
                  out.finding_times);
        !st) {
      return st.error();
    }
    if (Status st = times("SELECT c.created_at FROM cases c JOIN apps a ON a.id = c.app_id "
                          "WHERE 1 = 1" +
                              visible,
                          out.case_times);
        !st) {
      return st.error();
    }
    return out;
  }

 private:
  /// A write transaction; rolls back unless committed.
  class Tx {
   public:
    explicit Tx(Db& db) : db_(db) {
      Status st = db_.begin();
      if (st) {
        open_ = true;
      } else {
        error_ = st.error();
      }
    }
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    ~Tx() {
      if (open_) db_.rollback();
    }
    bool ok() const { return open_; }
    const Error& error() const { return error_; }
    Status commit() {
      Status st = db_.commit();
      if (st) open_ = false;
      return st;
    }

   private:
    Db& db_;
    bool open_ = false;
    Error error_;
  };

  Expected<Result> q(std::string_view sql, const std::vector<Value>& params = {}) {
    return db_->query(sql, params);
  }

  /// The database's error, prefixed with what was being done (a damaged database keeps its
  /// own "not a usable appaudit database" message).
  static Error wrap(const Error& e, const std::string& what) {
    Error out = e;
    if (e.code != Errc::kMalformed) out.message = what + ": " + e.message;
    return out;
  }
  /// An error for a query that failed or unexpectedly returned no row.
  Error fail(const Expected<Result>& r, const std::string& what) const {
    if (!r) return wrap(r.error(), what);
    return make_error(Errc::kIo, what + ": no row returned", db_->where());
  }

  // Visibility of an app `a` to a user: params (is_regulator, enterprise or -1, distributor
  // or -1), from app_scope().
  static constexpr const char* kAppVisible =
      "(? = 1 OR a.enterprise_id = ? OR EXISTS (SELECT 1 FROM app_distributors ad "
      "WHERE ad.app_id = a.id AND ad.distributor_id = ?))";
  // Visibility of a submission `b` (and its scans and findings): sent by the user's
  // organisation, or bytes of an app the user may see. Params from submission_scope().
  static constexpr const char* kSubmissionVisible =
      "(? = 1 OR b.enterprise_id = ? OR b.distributor_id = ? OR EXISTS (SELECT 1 FROM "
      "app_versions v2 JOIN apps a2 ON a2.id = v2.app_id WHERE v2.sha256 = b.sha256 AND "
      "(a2.enterprise_id = ? OR EXISTS (SELECT 1 FROM app_distributors ad2 WHERE "
      "ad2.app_id = a2.id AND ad2.distributor_id = ?))))";

  static std::vector<Value> app_scope(const User& who) {
    return {Value::flag(who.role == Role::kRegulator),
            Value(who.role == Role::kEnterprise ? who.enterprise_id.value_or(-1) : -1),
            Value(who.role == Role::kDistributor ? who.distributor_id.value_or(-1) : -1)};
  }
  static std::vector<Value> submission_scope(const User& who) {
    std::vector<Value> v = app_scope(who);
    v.push_back(v[1]);
    v.push_back(v[2]);
    return v;
  }
  static int64_t clamp_limit(int64_t limit) { return std::clamp<int64_t>(limit, 1, 500); }
  static std::string lower_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }

  static constexpr const char* kAppColumns =
      "a.id, a.package, a.label, a.enterprise_id, e.name, "
      "(SELECT COUNT(*) FROM app_versions v1 WHERE v1.app_id = a.id), "
      "(SELECT COUNT(*) FROM cases c WHERE c.app_id = a.id AND c.status IN ('open', 'rectifying', "
      "'notified')) ";
  static constexpr size_t kAppColumnCount = 7;
  /// A version `v` and the newest scan `s` of its bytes (joined with kVersionScanJoin).
  static constexpr const char* kVersionColumns =
      "v.id, v.version_code, v.version_name, v.sha256, v.created_at, s.id, s.status, "
      "(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) ";
  static constexpr const char* kVersionScanJoin =
      "LEFT JOIN scans s ON s.id = (SELECT MAX(s2.id) FROM scans s2 JOIN submissions b2 ON "
      "b2.id = s2.submission_id WHERE b2.sha256 = v.sha256) ";

  static AppVersionInfo read_version(const Row& row, size_t at) {
    AppVersionInfo v;
    v.id = row.i64(at);
    v.version_code = row.i64(at + 1);
    v.version_name = row.text(at + 2);
    v.sha256 = row.text(at + 3);
    v.created_at = row.i64(at + 4);
    v.scan_id = row.opt(at + 5);
    v.status = row.text(at + 6);
    v.findings = row.i64(at + 7);
    return v;
  }

  static AppInfo read_app(const Row& row) {
    AppInfo a;
    a.id = row.i64(0);
    a.package = row.text(1);
    a.label = row.text(2);
    if (!row.null(3)) a.enterprise = NamedId{row.i64(3), row.text(4)};
    a.versions = row.i64(5);
    a.open_cases = row.i64(6);
    return a;
  }

  /// An app's versions, newest first, each with the newest scan of its bytes.
  Expected<std::vector<AppVersionInfo>> app_versions_locked(int64_t app_id, int64_t limit) {
    auto r =
        q(std::string("SELECT ") + kVersionColumns + "FROM app_versions v " + kVersionScanJoin +
              "WHERE v.app_id = ? ORDER BY v.version_code DESC, v.id DESC "
              "LIMIT ?",
          {app_id, limit});
    if (!r) return wrap(r.error(), "cannot read the app's versions");
    std::vector<AppVersionInfo> out;
    for (const Row& row : r->rows) out.push_back(read_version(row, 0));
    return out;
  }

  static std::string kScanInfoColumns(bool with_report) {
    return std::string("s.id, s.submission_id, b.sha256, s.status, s.error, ") +
           (with_report ? "s.report_json" : "NULL") +
           ", s.attempts, s.worker, s.lease_until, s.created_at, s.started_at, s.finished_at, "
           "v.app_id, a.package, a.label, v.version_code, v.version_name, "
           "(SELECT COUNT(*) FROM findings f WHERE f.scan_id = s.id) "
           "FROM scans s JOIN submissions b ON b.id = s.submission_id LEFT JOIN app_versions v "
           "ON v.id = (SELECT MIN(v3.id) FROM app_versions v3 WHERE v3.sha256 = b.sha256) "
           "LEFT JOIN apps a ON a.id = v.app_id";
  }

  static ScanInfo read_scan_info(const Row& row) {
    ScanInfo s;
    s.scan = read_scan(row);
    s.app_id = row.opt(12);
    s.package = row.text(13);
    s.label = row.text(14);
    s.version_code = row.i64(15);
    s.version_name = row.text(16);
    s.findings = row.i64(17);
    return s;
  }

  static constexpr const char* kFindingColumns =
      "f.id, f.scan_id, f.rule, f.category, f.severity, f.party, f.json, f.review_state, "
      "f.reviewed_by, f.review_reason, f.reviewed_at, "
      "(SELECT name FROM users WHERE id = f.reviewed_by) ";

  static FindingRecord read_finding(const Row& s) {
    FindingRecord f;
    f.id = s.i64(0);
    f.scan_id = s.i64(1);
    f.rule = s.text(2);
    f.category = s.text(3);
    f.severity = s.text(4);
    f.party = s.text(5);
    f.json = s.text(6);
    f.review_state = s.text(7);
    f.reviewed_by = s.opt(8);
    f.review_reason = s.text(9);
    f.reviewed_at = s.opt(10);
    f.reviewed_by_name = s.text(11);
    return f;
  }

  /// Inside a transaction: a case event, also written to the audit log.
  Status case_event(int64_t case_id, std::optional<int64_t> user_id, const std::string& actor,
                    std::string_view action, std::string_view note, int64_t now) {
    auto r =
        q("INSERT INTO case_events (case_id, at, user_id, actor, action, note) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {case_id, now, user_id, actor, action, Value::text_or_null(note)});
    if (!r) return wrap(r.error(), "cannot record the case event");
    AuditEntry a;
    a.at = now;
    a.user_id = user_id;
    a.actor = actor;
    a.action = "case." + std::string(action);
    a.object = "case:" + std::to_string(case_id);
    a.detail = std::string(note);
    return insert_audit(a);
  }
  Status case_event(int64_t case_id, const User& who, std::string_view action,
                    std::string_view note, int64_t now) {
    return case_event(case_id, who.id, who.name, action, note, now);
  }

  Status set_status(int64_t case_id, const char* status, int64_t now,
                    std::optional<int64_t> deadline) {
    auto r =
        q("UPDATE cases SET status = ?, updated_at = ?, deadline = COALESCE(?, deadline) "
          "WHERE id = ?",
          {status, now, deadline, case_id});
    if (!r) return wrap(r.error(), "cannot update the case");
    return {};
  }

  /// Inside a transaction: compares the case's rules with the findings of scan `scan_id`;
  /// the case is rectified when none of its rules remain.
  Status recheck_locked(int64_t case_id, int64_t scan_id, std::optional<int64_t> user_id,
                        const std::string& actor, std::string_view note, int64_t now) {
    auto want =
        q("SELECT DISTINCT rule FROM case_findings WHERE case_id = ? ORDER BY rule", {case_id});
    if (!want) return wrap(want.error(), "cannot read the case's rules");
    auto have = q("SELECT DISTINCT rule FROM findings WHERE scan_id = ?", {scan_id});
    if (!have) return wrap(have.error(), "cannot read the re-check's findings");
    std::vector<std::string> found;
    for (const Row& row : have->rows) found.push_back(row.text(0));
    std::vector<std::string> remaining, fixed;
    for (const Row& row : want->rows) {
      const std::string rule = row.text(0);
      const bool still = std::find(found.begin(), found.end(), rule) != found.end();
      (still ? remaining : fixed).push_back(rule);
    }
    auto list = [](const std::vector<std::string>& rules) {
      std::string out = "[";
      for (size_t i = 0; i < rules.size(); ++i) {
        if (i) out += ",";
        out += "\"" + rules[i] + "\""; // rule ids are [a-z0-9_]
      }
      return out + "]";
    };
    const std::string json = "{\"scan_id\":" + std::to_string(scan_id) +
                             ",\"remaining\":" + list(remaining) + ",\"fixed\":" + list(fixed) +
                             "}";
    const bool rectified = remaining.empty();
    auto r =
        q("UPDATE cases SET recheck_scan_id = ?, recheck_json = ?, updated_at = ?, "
          "status = CASE WHEN ? = 1 THEN 'rectified' ELSE status END, "
          "closed_at = CASE WHEN ? = 1 THEN ? ELSE closed_at END WHERE id = ?",
          {scan_id, json, now, Value::flag(rectified), Value::flag(rectified), now, case_id});
    if (!r) return wrap(r.error(), "cannot record the re-check");
    std::string text = "scan " + std::to_string(scan_id) + ": " + std::to_string(remaining.size()) +
                       " rule(s) remain, " + std::to_string(fixed.size()) + " fixed";
    if (!note.empty()) text += "; " + std::string(note);
    if (Status st = case_event(case_id, user_id, actor, "recheck", text, now); !st) return st;
    if (rectified) return case_event(case_id, user_id, actor, "rectified", "", now);
    return {};
  }

  Expected<std::optional<CaseInfo>> case_locked(int64_t id) {
    auto r =
        q("SELECT c.id, c.app_id, a.package, a.label, c.enterprise_id, e.name, c.status, "
          "c.deadline, c.note, c.scan_id, c.recheck_scan_id, c.recheck_json, c.created_at, "
          "c.updated_at, c.closed_at FROM cases c JOIN apps a ON a.id = c.app_id "
          "LEFT JOIN enterprises e ON e.id = c.enterprise_id WHERE c.id = ?",
          {id});
    if (!r) return wrap(r.error(), "cannot read the case");
    if (r->empty()) return std::optional<CaseInfo>{};
    const Row& row = r->first();
    CaseInfo c;
    c.id = row.i64(0);
    c.app_id = row.i64(1);
    c.package = row.text(2);
    c.label = row.text(3);
    if (!row.null(4)) c.enterprise = NamedId{row.i64(4), row.text(5)};
    c.status = row.text(6);
    c.deadline = row.opt(7);
    c.note = row.text(8);
    c.scan_id = row.i64(9);
    c.recheck_scan_id = row.opt(10);
    c.recheck_json = row.text(11);
    c.created_at = row.i64(12);
    c.updated_at = row.i64(13);
    c.closed_at = row.opt(14);
    auto f = q(std::string("SELECT ") + kFindingColumns +
                   "FROM case_findings cf JOIN findings f ON f.id = cf.finding_id "
                   "WHERE cf.case_id = ? ORDER BY f.id",
               {id});
    if (!f) return wrap(f.error(), "cannot read the case's findings");
    for (const Row& fr : f->rows) c.findings.push_back(read_finding(fr));
    auto e =
        q("SELECT at, actor, action, note FROM case_events WHERE case_id = ? ORDER BY id", {id});
    if (!e) return wrap(e.error(), "cannot read the case's history");
    for (const Row& er : e->rows)
      c.history.push_back({er.i64(0), er.text(1), er.text(2), er.text(3)});
    return std::optional<CaseInfo>(std::move(c));
  }

  Error lease_lost(int64_t scan_id, int attempt) const {
    return make_error(Errc::kNotFound, "scan " + std::to_string(scan_id) + " attempt " +
                                           std::to_string(attempt) +
                                           " no longer holds its lease (it expired and the scan "
                                           "was requeued or finished by another attempt)");
  }

  Status migrate() {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    if (Status s = db_->exec(migrations_table_sql()); !s) return s;
    int64_t current = 0;
    {
      auto r = q("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (!r || r->empty()) return fail(r, "cannot read schema_migrations");
      current = r->first().i64(0);
    }
    const auto all = migrations(db_->dialect());
    const int64_t latest = all.empty() ? 0 : all.back().version;
    if (current > latest) {
      return make_error(Errc::kUnsupported,
                        "database schema version " + std::to_string(current) +
                            " is newer than this appaudit knows (" + std::to_string(latest) +
                            "); use a newer appaudit",
                        db_->where());
    }
    for (const auto& m : all) {
      if (m.version <= current) continue;
      if (Status s = db_->exec(m.sql); !s) {
        return make_error(Errc::kIo,
                          "migration " + std::to_string(m.version) + " (" + m.name +
                              ") failed: " + s.error().message,
                          db_->where());
      }
      auto r = q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                 {int64_t{m.version}, m.name, now_ms()});
      if (!r) return wrap(r.error(), "cannot record migration");
    }
    return tx.commit();
  }

  Expected<std::optional<User>> user_where(const char* where, std::string_view value) {
    std::lock_guard lock(mu_);
    auto r = q(std::string("SELECT ") + kUserColumns + "WHERE " + where, {value});
    if (!r) return wrap(r.error(), "cannot look up the user");
    if (r->empty()) return std::optional<User>{};
    return std::optional<User>(read_user(r->first()));
  }

  /// Inside a transaction: id of the organisation called `name` in `table`, created when new.
  Expected<int64_t> ensure_org(const char* table, std::string_view name) {
    if (name.empty() || name.size() > 200) {
      return make_error(Errc::kMalformed, "an organisation name must have 1 to 200 characters");
    }
    {
      auto r = q(std::string("SELECT id FROM ") + table + " WHERE name = ?", {name});
      if (!r) return wrap(r.error(), std::string("cannot read ") + table);
      if (!r->empty()) return r->first().i64(0);
    }
    auto r =
        q(std::string("INSERT INTO ") + table + " (name, created_at) VALUES (?, ?) RETURNING id",
          {name, now_ms()});
    if (!r || r->empty()) return fail(r, std::string("cannot add to ") + table);
    return r->first().i64(0);
  }

  Expected<int64_t> ensure_org_tx(const char* table, std::string_view name) {
    std::lock_guard lock(mu_);
    Tx tx(*db_);
    if (!tx.ok()) return tx.error();
    auto id = ensure_org(table, name);
    if (!id) return id;
    if (Status st = tx.commit(); !st) return st.error();
    return id;
  }

  Status insert_audit(const AuditEntry& a) {
    auto r =
        q("INSERT INTO audit_log (at, user_id, actor, action, object, detail) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {a.at != 0 ? a.at : now_ms(), a.user_id, a.actor, a.action, a.object,
           Value::text_or_null(a.detail)});
    if (!r) return wrap(r.error(), "cannot write the audit log");
    return {};
  }

  /// Inside a transaction: running scans whose lease ran out go back to queued, or to failed
  /// once claimed max_attempts times (a poison APK that kills every worker ends, too).
  Expected<int64_t> expire_locked(int64_t now, int max_attempts) {
    int64_t moved = 0;
    {
      auto r =
          q("UPDATE scans SET status = 'failed', finished_at = ?, lease_until = NULL, "
            "error = 'the worker was lost ' || attempts || ' times (lease expired); "
            "giving up' WHERE status = 'running' AND lease_until < ? AND attempts >= ?",
            {now, now, int64_t{max_attempts}});
      if (!r) return wrap(r.error(), "cannot expire leases");
      moved += r->changes;
    }
    auto r =
        q("UPDATE scans SET status = 'queued', worker = NULL, lease_until = NULL "
          "WHERE status = 'running' AND lease_until < ?",
          {now});
    if (!r) return wrap(r.error(), "cannot expire leases");
    moved += r->changes;
    return moved;
  }

  std::unique_ptr<Db> db_;
  std::mutex mu_;
};

} // namespace

namespace {

// Names of the enum values, in enum order: one table serves to_string and parsing.
constexpr const char* kRoleNames[] = {"regulator", "enterprise", "distributor"};
constexpr const char* kStatusNames[] = {"queued", "running", "done", "failed"};

template <class E, size_t N>
std::optional<E> parse_name(const char* const (&names)[N], std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

} // namespace

const char* to_string(Role role) { return kRoleNames[static_cast<size_t>(role)]; }

std::optional<Role> parse_role(std::string_view text) { return parse_name<Role>(kRoleNames, text); }

const char* to_string(ScanStatus status) { return kStatusNames[static_cast<size_t>(status)]; }

std::optional<ScanStatus> parse_scan_status(std::string_view text) {
  return parse_name<ScanStatus>(kStatusNames, text);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sqlite_path(const std::string& data_dir) { return data_dir + "/appaudit.db"; }

Expected<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir) {
  if (::mkdir(data_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return make_error(
        Errc::kIo, std::string("cannot create the data folder: ") + std::strerror(errno), data_dir);
  }
  auto db = open_sqlite_db(sqlite_path(data_dir));
  if (!db) return db.error();
  auto store = std::make_unique<SqlStore>(std::move(*db));
  if (Status st = store->init(); !st) return st.error();
  return std::unique_ptr<Store>(std::move(store));
}

bool is_postgres_uri(std::string_view spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

std::string store_location(const std::string& spec) {
  return is_postgres_uri(spec) ? describe_postgres_uri(spec) : spec;
}

Expected<std::unique_ptr<Store>> open_store(const std::string& spec) {
  if (!is_postgres_uri(spec)) return open_sqlite_store(spec);
  auto db = open_postgres_db(spec);
  if (!db) return db.error();
  // Processes opening a fresh database at once take turns, so that each migration (and the
  // CREATE TABLE of schema_migrations) runs once. A session lock: released at disconnect too.
  Db* conn = db->get();
  constexpr int64_t kMigrationLock = 0x61707061756469; // "appaudi"
  if (auto r = conn->query("SELECT pg_advisory_lock(?)", {kMigrationLock}); !r) {
    return r.error();
  }
  auto store = std::make_unique<SqlStore>(std::move(*db));
  if (Status st = store->init(); !st) return st.error();
  if (auto r = conn->query("SELECT pg_advisory_unlock(?)", {kMigrationLock}); !r) {
    return r.error();
  }
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace appaudit::store
