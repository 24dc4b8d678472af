// The SQLite implementation of Store (see store.hpp): one connection per Store, guarded by a
// mutex; WAL journal, foreign keys on, a busy timeout, and every write in a BEGIN IMMEDIATE
// transaction so that concurrent writers (threads with their own Store, or processes) queue
// on the database lock instead of failing half-way.
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

#include "store/blob_store.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"

namespace appaudit::store {
namespace {

constexpr int kBusyTimeoutMs = 10'000;

/// A prepared statement; binds with 1-based indices, reads with 0-based columns.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(st_); }

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const std::optional<int64_t>& v) {
    if (v) return bind(i, *v);
    sqlite3_bind_null(st_, i);
    return *this;
  }
  /// Empty text is stored as NULL (optional text columns).
  Stmt& bind_text_or_null(int i, std::string_view v) {
    if (!v.empty()) return bind(i, v);
    sqlite3_bind_null(st_, i);
    return *this;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() {
    rc_ = sqlite3_step(st_);
    return rc_;
  }
  int rc() const { return rc_; }
  int64_t i64(int c) const { return sqlite3_column_int64(st_, c); }
  bool null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::optional<int64_t> opt(int c) const {
    if (null(c)) return std::nullopt;
    return i64(c);
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(st_, c);
    if (p == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(st_, c)));
  }

 private:
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
};

constexpr const char* kUserColumns =
    "u.id, u.name, u.role, u.enterprise_id, e.name, u.distributor_id, d.name, u.created_at "
    "FROM users u LEFT JOIN enterprises e ON e.id = u.enterprise_id "
    "LEFT JOIN distributors d ON d.id = u.distributor_id ";

User read_user(const Stmt& s) {
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

Scan read_scan(const Stmt& s) {
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

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status init() {
    // The first statements read the file header: a non-database fails here, clearly.
    if (Status s = exec("PRAGMA journal_mode=WAL"); !s) return s;
    if (Status s = exec("PRAGMA foreign_keys=ON"); !s) return s;
    if (Status s = exec("PRAGMA synchronous=FULL"); !s) return s;
    return migrate();
  }

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
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    {
      Stmt s(db_, "SELECT 1 FROM users WHERE name = ?");
      s.bind(1, name);
      if (s.step() == SQLITE_ROW) {
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
    Stmt s(db_,
           "INSERT INTO users (name, role, enterprise_id, distributor_id, token_hash, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    s.bind(1, name).bind(2, to_string(role)).bind(3, enterprise_id).bind(4, distributor_id);
    s.bind(5, sha256_hex(out.token)).bind(6, now);
    if (s.step() != SQLITE_ROW) return db_error("cannot add the user");
    const int64_t id = s.i64(0);
    if (s.step() != SQLITE_DONE) return db_error("cannot add the user");
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
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    const int64_t now = now_ms();
    int64_t app_id = 0;
    {
      Stmt s(db_, "SELECT id FROM apps WHERE package = ?");
      s.bind(1, package);
      if (s.step() == SQLITE_ROW) app_id = s.i64(0);
    }
    if (app_id == 0) {
      Stmt s(db_,
             "INSERT INTO apps (package, enterprise_id, created_at) VALUES (?, ?, ?) "
             "RETURNING id");
      s.bind(1, package).bind(2, enterprise_id).bind(3, now);
      if (s.step() != SQLITE_ROW) return db_error("cannot record the app");
      app_id = s.i64(0);
    }
    int64_t version_id = 0;
    {
      Stmt s(db_, "SELECT id FROM app_versions WHERE app_id = ? AND sha256 = ?");
      s.bind(1, app_id).bind(2, sha256);
      if (s.step() == SQLITE_ROW) version_id = s.i64(0);
    }
    if (version_id == 0) {
      Stmt s(db_,
             "INSERT INTO app_versions (app_id, version_code, version_name, sha256, created_at) "
             "VALUES (?, ?, ?, ?, ?) RETURNING id");
      s.bind(1, app_id).bind(2, version_code).bind(3, version_name).bind(4, sha256).bind(5, now);
      if (s.step() != SQLITE_ROW) return db_error("cannot record the app version");
      version_id = s.i64(0);
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
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    if (!recheck) {
      // The newest scan of these bytes that did not fail: queued, running or done.
      Stmt s(db_,
             "SELECT s.submission_id, s.id FROM scans s JOIN submissions b "
             "ON b.id = s.submission_id WHERE b.sha256 = ? AND s.status <> 'failed' "
             "ORDER BY s.id DESC LIMIT 1");
      s.bind(1, sha256);
      if (s.step() == SQLITE_ROW) return SubmitResult{s.i64(0), s.i64(1), true};
      if (s.rc() != SQLITE_DONE) return db_error("cannot look up earlier scans");
    }
    std::optional<int64_t> enterprise_id = metadata.enterprise_id;
    if (!enterprise_id && user && user->role == Role::kEnterprise) {
      enterprise_id = user->enterprise_id;
    }
    const int64_t now = now_ms();
    SubmitResult out;
    {
      Stmt s(db_,
             "INSERT INTO submissions (sha256, size, app_type, source_channel, enterprise_id, "
             "submitted_by, recheck, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
      s.bind(1, sha256).bind(2, size).bind_text_or_null(3, metadata.app_type);
      s.bind_text_or_null(4, metadata.source_channel).bind(5, enterprise_id);
      s.bind(6, user ? std::optional<int64_t>(user->id) : std::nullopt);
      s.bind(7, int64_t{recheck ? 1 : 0}).bind(8, now);
      if (s.step() != SQLITE_ROW) return db_error("cannot record the submission");
      out.submission_id = s.i64(0);
    }
    {
      Stmt s(db_,
             "INSERT INTO scans (submission_id, status, created_at) VALUES (?, 'queued', ?) "
             "RETURNING id");
      s.bind(1, out.submission_id).bind(2, now);
      if (s.step() != SQLITE_ROW) return db_error("cannot queue the scan");
      out.scan_id = s.i64(0);
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
    Stmt s(db_, std::string("SELECT ") + kScanColumns + "WHERE s.id = ?");
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<Scan>(read_scan(s));
    if (rc == SQLITE_DONE) return std::optional<Scan>{};
    return db_error("cannot read scan " + std::to_string(id));
  }

  Expected<std::optional<Submission>> submission(int64_t id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT id, sha256, size, app_type, source_channel, enterprise_id, submitted_by, "
           "recheck, created_at FROM submissions WHERE id = ?");
    s.bind(1, id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Submission>{};
    if (rc != SQLITE_ROW) return db_error("cannot read submission " + std::to_string(id));
    Submission r;
    r.id = s.i64(0);
    r.sha256 = s.text(1);
    r.size = s.i64(2);
    r.app_type = s.text(3);
    r.source_channel = s.text(4);
    r.enterprise_id = s.opt(5);
    r.submitted_by = s.opt(6);
    r.recheck = s.i64(7) != 0;
    r.created_at = s.i64(8);
    return std::optional<Submission>(std::move(r));
  }

  Expected<std::vector<int64_t>> count_scans_by_status() override {
    std::lock_guard lock(mu_);
    std::vector<int64_t> out(4, 0);
    Stmt s(db_, "SELECT status, COUNT(*) FROM scans GROUP BY status");
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (auto st = parse_scan_status(s.text(0))) out[static_cast<size_t>(*st)] = s.i64(1);
    }
    if (rc != SQLITE_DONE) return db_error("cannot count scans");
    return out;
  }

  Status add_findings(int64_t scan_id, const std::vector<FindingRecord>& findings) override {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    for (const auto& f : findings) {
      Stmt s(db_,
             "INSERT INTO findings (scan_id, rule, category, severity, party, json) "
             "VALUES (?, ?, ?, ?, ?, ?)");
      s.bind(1, scan_id).bind(2, f.rule).bind_text_or_null(3, f.category);
      s.bind_text_or_null(4, f.severity).bind_text_or_null(5, f.party).bind(6, f.json);
      if (s.step() != SQLITE_DONE) return db_error("cannot store the findings");
    }
    return tx.commit();
  }

  Expected<std::vector<FindingRecord>> findings(int64_t scan_id) override {
    std::lock_guard lock(mu_);
    std::vector<FindingRecord> out;
    Stmt s(db_,
           "SELECT id, scan_id, rule, category, severity, party, json, review_state, "
           "reviewed_by, review_reason, reviewed_at FROM findings WHERE scan_id = ? ORDER BY id");
    s.bind(1, scan_id);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
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
    if (rc != SQLITE_DONE) return db_error("cannot read the findings");
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
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    const int64_t now = now_ms();
    Stmt s(db_,
           "UPDATE findings SET review_state = ?, reviewed_by = ?, review_reason = ?, "
           "reviewed_at = ? WHERE id = ?");
    s.bind(1, state).bind(2, reviewer.id).bind(3, reason).bind(4, now).bind(5, finding_id);
    if (s.step() != SQLITE_DONE) return db_error("cannot review the finding");
    if (sqlite3_changes(db_) != 1) {
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
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    if (Status st = insert_audit(entry); !st) return st;
    return tx.commit();
  }

  Expected<std::vector<AuditEntry>> audit_log(int limit) override {
    std::lock_guard lock(mu_);
    std::vector<AuditEntry> out;
    Stmt s(db_,
           "SELECT id, at, user_id, actor, action, object, detail FROM audit_log "
           "ORDER BY id DESC LIMIT ?");
    s.bind(1, int64_t{limit});
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
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
    if (rc != SQLITE_DONE) return db_error("cannot read the audit log");
    return out;
  }

  Expected<std::optional<ClaimedScan>> claim_scan(std::string_view worker, int64_t now,
                                                  int64_t lease_ms, int max_attempts) override {
    std::lock_guard lock(mu_);
    Tx tx(this);
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
        sqlite_dialect().claim_lock + ") RETURNING id, submission_id, attempts, lease_until";
    ClaimedScan c;
    {
      Stmt s(db_, sql);
      s.bind(1, worker).bind(2, now + lease_ms).bind(3, now);
      const int rc = s.step();
      if (rc == SQLITE_DONE) {
        if (Status st = tx.commit(); !st) return st.error();
        return std::optional<ClaimedScan>{};
      }
      if (rc != SQLITE_ROW) return db_error("cannot claim a scan");
      c.scan_id = s.i64(0);
      c.submission_id = s.i64(1);
      c.attempt = static_cast<int>(s.i64(2));
      c.lease_until = s.i64(3);
      if (s.step() != SQLITE_DONE) return db_error("cannot claim a scan");
    }
    {
      Stmt s(db_, "SELECT sha256 FROM submissions WHERE id = ?");
      s.bind(1, c.submission_id);
      if (s.step() != SQLITE_ROW) return db_error("claimed scan has no submission");
      c.sha256 = s.text(0);
    }
    if (Status st = tx.commit(); !st) return st.error();
    return std::optional<ClaimedScan>(std::move(c));
  }

  Status extend_lease(int64_t scan_id, int attempt, int64_t lease_until) override {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    Stmt s(db_,
           "UPDATE scans SET lease_until = ? WHERE id = ? AND status = 'running' AND "
           "attempts = ?");
    s.bind(1, lease_until).bind(2, scan_id).bind(3, int64_t{attempt});
    if (s.step() != SQLITE_DONE) return db_error("cannot extend the lease");
    if (sqlite3_changes(db_) != 1) return lease_lost(scan_id, attempt);
    return tx.commit();
  }

  Status finish_scan(int64_t scan_id, int attempt, ScanStatus status, std::string_view text,
                     int64_t now) override {
    if (status != ScanStatus::kDone && status != ScanStatus::kFailed) {
      return make_error(Errc::kMalformed, "a scan finishes as done or failed");
    }
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    const bool done = status == ScanStatus::kDone;
    Stmt s(db_, std::string("UPDATE scans SET status = ?, ") + (done ? "report_json" : "error") +
                    " = ?, finished_at = ?, lease_until = NULL "
                    "WHERE id = ? AND status = 'running' AND attempts = ?");
    s.bind(1, to_string(status)).bind(2, text).bind(3, now).bind(4, scan_id);
    s.bind(5, int64_t{attempt});
    if (s.step() != SQLITE_DONE) return db_error("cannot record the scan result");
    if (sqlite3_changes(db_) != 1) return lease_lost(scan_id, attempt);
    return tx.commit();
  }

  Expected<int64_t> requeue_expired(int64_t now, int max_attempts) override {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    auto n = expire_locked(now, max_attempts);
    if (!n) return n.error();
    if (Status st = tx.commit(); !st) return st.error();
    return *n;
  }

  Status requeue_scan(int64_t scan_id) override {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    Stmt s(db_, "SELECT status FROM scans WHERE id = ?");
    s.bind(1, scan_id);
    if (s.step() != SQLITE_ROW) {
      return make_error(Errc::kNotFound, "no scan " + std::to_string(scan_id));
    }
    const std::string status = s.text(0);
    if (status == "running") {
      return make_error(Errc::kMalformed,
                        "scan " + std::to_string(scan_id) + " is running; it cannot be queued");
    }
    if (status != "queued") {
      Stmt u(db_,
             "UPDATE scans SET status = 'queued', error = NULL, report_json = NULL, "
             "worker = NULL, lease_until = NULL, finished_at = NULL WHERE id = ?");
      u.bind(1, scan_id);
      if (u.step() != SQLITE_DONE) return db_error("cannot queue the scan");
    }
    return tx.commit();
  }

 private:
  /// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed.
  class Tx {
   public:
    explicit Tx(SqliteStore* s) : s_(s) {
      Status st = s_->exec("BEGIN IMMEDIATE");
      if (st) {
        open_ = true;
      } else {
        error_ = st.error();
      }
    }
    Tx(const Tx&) = delete;
    Tx& operator=(const Tx&) = delete;
    ~Tx() {
      if (open_) sqlite3_exec(s_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    bool ok() const { return open_; }
    const Error& error() const { return error_; }
    Status commit() {
      Status st = s_->exec("COMMIT");
      if (st) open_ = false;
      return st;
    }

   private:
    SqliteStore* s_;
    bool open_ = false;
    Error error_;
  };

  Error db_error(const std::string& what) const {
    const int code = sqlite3_extended_errcode(db_);
    const int primary = code & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      return make_error(Errc::kMalformed,
                        "not a usable appaudit database: " + std::string(sqlite3_errmsg(db_)),
                        path_);
    }
    return make_error(Errc::kIo, what + ": " + sqlite3_errmsg(db_), path_);
  }

  Error lease_lost(int64_t scan_id, int attempt) const {
    return make_error(Errc::kNotFound, "scan " + std::to_string(scan_id) + " attempt " +
                                           std::to_string(attempt) +
                                           " no longer holds its lease (it expired and the scan "
                                           "was requeued or finished by another attempt)");
  }

  Status exec(const std::string& sql) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return {};
    std::string text = msg ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      return make_error(Errc::kMalformed, "not a usable appaudit database: " + text, path_);
    }
    return make_error(Errc::kIo, text, path_);
  }

  Status migrate() {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    if (Status s = exec(migrations_table_sql()); !s) return s;
    int64_t current = 0;
    {
      Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      if (s.step() != SQLITE_ROW) return db_error("cannot read schema_migrations");
      current = s.i64(0);
    }
    const auto all = migrations(sqlite_dialect());
    const int64_t latest = all.empty() ? 0 : all.back().version;
    if (current > latest) {
      return make_error(Errc::kUnsupported,
                        "database schema version " + std::to_string(current) +
                            " is newer than this appaudit knows (" + std::to_string(latest) +
                            "); use a newer appaudit",
                        path_);
    }
    for (const auto& m : all) {
      if (m.version <= current) continue;
      if (Status s = exec(m.sql); !s) {
        return make_error(Errc::kIo,
                          "migration " + std::to_string(m.version) + " (" + m.name +
                              ") failed: " + s.error().message,
                          path_);
      }
      Stmt s(db_, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      s.bind(1, int64_t{m.version}).bind(2, m.name).bind(3, now_ms());
      if (s.step() != SQLITE_DONE) return db_error("cannot record migration");
    }
    return tx.commit();
  }

  Expected<std::optional<User>> user_where(const char* where, std::string_view value) {
    std::lock_guard lock(mu_);
    Stmt s(db_, std::string("SELECT ") + kUserColumns + "WHERE " + where);
    s.bind(1, value);
    const int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<User>(read_user(s));
    if (rc == SQLITE_DONE) return std::optional<User>{};
    return db_error("cannot look up the user");
  }

  /// Inside a transaction: id of the organisation called `name` in `table`, created when new.
  Expected<int64_t> ensure_org(const char* table, std::string_view name) {
    if (name.empty() || name.size() > 200) {
      return make_error(Errc::kMalformed, "an organisation name must have 1 to 200 characters");
    }
    {
      Stmt s(db_, std::string("SELECT id FROM ") + table + " WHERE name = ?");
      s.bind(1, name);
      if (s.step() == SQLITE_ROW) return s.i64(0);
    }
    Stmt s(db_,
           std::string("INSERT INTO ") + table + " (name, created_at) VALUES (?, ?) RETURNING id");
    s.bind(1, name).bind(2, now_ms());
    if (s.step() != SQLITE_ROW) return db_error(std::string("cannot add to ") + table);
    return s.i64(0);
  }

  Expected<int64_t> ensure_org_tx(const char* table, std::string_view name) {
    std::lock_guard lock(mu_);
    Tx tx(this);
    if (!tx.ok()) return tx.error();
    auto id = ensure_org(table, name);
    if (!id) return id;
    if (Status st = tx.commit(); !st) return st.error();
    return id;
  }

  Status insert_audit(const AuditEntry& a) {
    Stmt s(db_,
           "INSERT INTO audit_log (at, user_id, actor, action, object, detail) "
           "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, a.at != 0 ? a.at : now_ms()).bind(2, a.user_id).bind(3, a.actor);
    s.bind(4, a.action).bind(5, a.object).bind_text_or_null(6, a.detail);
    if (s.step() != SQLITE_DONE) return db_error("cannot write the audit log");
    return {};
  }

  /// Inside a transaction: running scans whose lease ran out go back to queued, or to failed
  /// once claimed max_attempts times (a poison APK that kills every worker ends, too).
  Expected<int64_t> expire_locked(int64_t now, int max_attempts) {
    int64_t moved = 0;
    {
      Stmt s(db_,
             "UPDATE scans SET status = 'failed', finished_at = ?, lease_until = NULL, "
             "error = 'the worker was lost ' || attempts || ' times (lease expired); giving up' "
             "WHERE status = 'running' AND lease_until < ? AND attempts >= ?");
      s.bind(1, now).bind(2, now).bind(3, int64_t{max_attempts});
      if (s.step() != SQLITE_DONE) return db_error("cannot expire leases");
      moved += sqlite3_changes(db_);
    }
    Stmt s(db_,
           "UPDATE scans SET status = 'queued', worker = NULL, lease_until = NULL "
           "WHERE status = 'running' AND lease_until < ?");
    s.bind(1, now);
    if (s.step() != SQLITE_DONE) return db_error("cannot expire leases");
    moved += sqlite3_changes(db_);
    return moved;
  }

  sqlite3* db_;
  std::string path_;
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
  const std::string path = sqlite_path(data_dir);
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return make_error(Errc::kIo, "cannot open the database: " + msg, path);
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  auto store = std::make_unique<SqliteStore>(db, path);
  if (Status st = store->init(); !st) return st.error();
  return std::unique_ptr<Store>(std::move(store));
}

} // namespace appaudit::store
