// The Store (store.hpp) written once in SQL over a `Db` connection (db.hpp): the same code
// runs on SQLite and on PostgreSQL. One connection per Store, guarded by a mutex; every write
// is one transaction (Db::begin: BEGIN IMMEDIATE on SQLite), so concurrent writers (threads
// with their own Store, or processes) queue on the database lock instead of failing half-way.
#include <sys/stat.h>

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
    if (!recheck) {
      // The newest scan of these bytes that did not fail: queued, running or done.
      auto r =
          q("SELECT s.submission_id, s.id FROM scans s JOIN submissions b "
            "ON b.id = s.submission_id WHERE b.sha256 = ? AND s.status <> 'failed' "
            "ORDER BY s.id DESC LIMIT 1",
            {sha256});
      if (!r) return wrap(r.error(), "cannot look up earlier scans");
      if (!r->empty()) return SubmitResult{r->first().i64(0), r->first().i64(1), true};
    }
    std::optional<int64_t> enterprise_id = metadata.enterprise_id;
    if (!enterprise_id && user && user->role == Role::kEnterprise) {
      enterprise_id = user->enterprise_id;
    }
    const int64_t now = now_ms();
    SubmitResult out;
    {
      auto r =
          q("INSERT INTO submissions (sha256, size, app_type, source_channel, enterprise_id, "
            "submitted_by, recheck, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            {sha256, size, Value::text_or_null(metadata.app_type),
             Value::text_or_null(metadata.source_channel), enterprise_id,
             user ? std::optional<int64_t>(user->id) : std::nullopt, Value::flag(recheck), now});
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
          "recheck, created_at FROM submissions WHERE id = ?",
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
    auto r =
        q("SELECT id, scan_id, rule, category, severity, party, json, review_state, "
          "reviewed_by, review_reason, reviewed_at FROM findings WHERE scan_id = ? "
          "ORDER BY id",
          {scan_id});
    if (!r) return wrap(r.error(), "cannot read the findings");
    for (const Row& s : r->rows) {
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
      out.push_back(std::move(f));
    }
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
