#pragma once
/// The platform's state: users and their API tokens, enterprises, distributors, apps and
/// versions, submissions, scans (which double as the job table of queue::StoreJobQueue),
/// findings with their review state, and the audit log.
///
/// `Store` is written once in SQL (sql_store.cpp) over SQLite or PostgreSQL (docs/platform.md):
/// both share the migrations in store/schema.hpp. Every method is safe to call from several
/// threads; several processes may open the same database at once (SQLite: WAL, busy timeout,
/// writes in BEGIN IMMEDIATE transactions; PostgreSQL: row locks, FOR UPDATE SKIP LOCKED). Times
/// are milliseconds since the Unix epoch. Database problems are values (`Error`, code kIo;
/// kMalformed for a file that is not an appaudit database), never exceptions.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace appaudit::store {

enum class Role { kRegulator, kEnterprise, kDistributor };
/// "regulator", "enterprise", "distributor".
const char* to_string(Role role);
std::optional<Role> parse_role(std::string_view text);

enum class ScanStatus { kQueued, kRunning, kDone, kFailed };
/// "queued", "running", "done", "failed".
const char* to_string(ScanStatus status);
std::optional<ScanStatus> parse_scan_status(std::string_view text);

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kRegulator;
  std::optional<int64_t> enterprise_id;  ///< set for role enterprise
  std::string enterprise;                ///< its name
  std::optional<int64_t> distributor_id; ///< set for role distributor
  std::string distributor;               ///< its name
  int64_t created_at = 0;
};

/// A user just created, with the only copy of its API token (the store keeps its SHA-256).
struct NewUser {
  User user;
  std::string token; ///< 64 hex digits (32 random bytes)
};

/// What a submitter says about an upload besides the bytes.
struct SubmitMetadata {
  std::string app_type;       ///< necessary-PI app type id, or empty
  std::string source_channel; ///< e.g. "upload", "store-feed:xyz", or empty
  /// Enterprise the app belongs to; an enterprise user's own enterprise when unset.
  std::optional<int64_t> enterprise_id;
  /// Distributor (app store) that sent the app; a distributor user's own when unset.
  std::optional<int64_t> distributor_id;
  /// The privacy policy submitted with the app (a blob), or empty: the scan then looks for the
  /// policy inside the APK. Part of what makes two submissions "the same".
  std::string policy_sha256;
};

struct SubmitResult {
  int64_t submission_id = 0;
  int64_t scan_id = 0;
  bool existing = false; ///< the same bytes were already scanned or queued: no new scan
};

struct Submission {
  int64_t id = 0;
  std::string sha256;
  int64_t size = 0;
  std::string app_type;
  std::string source_channel;
  std::optional<int64_t> enterprise_id;
  std::optional<int64_t> submitted_by;
  bool recheck = false;
  int64_t created_at = 0;
  std::optional<int64_t> distributor_id;
  std::string policy_sha256;
};

struct Scan {
  int64_t id = 0;
  int64_t submission_id = 0;
  std::string sha256; ///< of the submission's bytes
  ScanStatus status = ScanStatus::kQueued;
  std::string error;       ///< set when failed
  std::string report_json; ///< set when done: exactly the CLI's JSON report
  int attempts = 0;        ///< how many times a worker claimed it
  std::string worker;      ///< holder of the lease while running
  std::optional<int64_t> lease_until;
  int64_t created_at = 0;
  std::optional<int64_t> started_at;
  std::optional<int64_t> finished_at;
};

/// One finding of a scan, as a row: the report's finding JSON plus the fields the dashboard
/// filters on, and its review.
struct FindingRecord {
  int64_t id = 0;
  int64_t scan_id = 0;
  std::string rule;
  std::string category; ///< the 164 notice problem type
  std::string severity;
  std::string party;        ///< "app" or an SDK id
  std::string json;         ///< the finding as in the JSON report
  std::string review_state; ///< "", "confirmed", "false_positive" or "waived"
  std::optional<int64_t> reviewed_by;
  std::string reviewed_by_name; ///< read only: the reviewer's user name
  std::string review_reason;
  std::optional<int64_t> reviewed_at;
};

struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;                 ///< set by the store when 0
  std::optional<int64_t> user_id; ///< who, when a user did it
  std::string actor;              ///< who, readable: a user name, "cli", "worker:NAME"
  std::string action;             ///< e.g. "user.add", "submission.create"
  std::string object;             ///< e.g. "user:3", "scan:12"
  std::string detail;             ///< free text or JSON
};

/// A scan handed to a worker (queue layer). `attempt` fences the lease: only the holder of
/// the current attempt may heartbeat or finish it.
struct ClaimedScan {
  int64_t scan_id = 0;
  int64_t submission_id = 0;
  std::string sha256;
  int attempt = 0;
  int64_t lease_until = 0;
};

/// What a worker read from a finished report, stored with it in one transaction.
struct ScanOutcome {
  std::string package; ///< empty when the input had no manifest (a bare DEX)
  std::string label;
  int64_t version_code = 0;
  std::string version_name;
  std::vector<FindingRecord> findings; ///< rule, category, severity, party, json
};

/// One version of an app and the newest scan of its bytes.
struct AppVersionInfo {
  int64_t id = 0;
  int64_t version_code = 0;
  std::string version_name;
  std::string sha256;
  int64_t created_at = 0;
  std::optional<int64_t> scan_id;
  std::string status; ///< of that scan
  int64_t findings = 0;
};

struct NamedId {
  int64_t id = 0;
  std::string name;
};

struct AppInfo {
  int64_t id = 0;
  std::string package;
  std::string label;
  std::optional<NamedId> enterprise;
  int64_t versions = 0;
  std::optional<AppVersionInfo> latest;
  int64_t open_cases = 0; ///< cases still in progress: open, rectifying or notified
  // Filled by app() only:
  std::vector<AppVersionInfo> version_list; ///< newest first
  std::vector<NamedId> distributors;
};

/// A scan with the app its bytes belong to (once a worker has read the report).
struct ScanInfo {
  Scan scan;
  std::optional<int64_t> app_id;
  std::string package;
  std::string label;
  int64_t version_code = 0;
  std::string version_name;
  int64_t findings = 0;
};

struct CaseEvent {
  int64_t at = 0;
  std::string actor;
  std::string action; ///< open, order, recheck, rectified, notify, takedown
  std::string note;
};

/// A regulator's case on an app: open → rectifying (责令整改, with a deadline) → rectified |
/// notified (通报) → taken_down (下架).
struct CaseInfo {
  int64_t id = 0;
  int64_t app_id = 0;
  std::string package;
  std::string label;
  std::optional<NamedId> enterprise;
  std::string status;
  std::optional<int64_t> deadline;
  std::string note;
  int64_t scan_id = 0; ///< the scan whose findings opened the case
  std::vector<FindingRecord> findings;
  std::vector<CaseEvent> history;
  std::optional<int64_t> recheck_scan_id;
  std::string recheck_json; ///< {"scan_id","remaining":[rule],"fixed":[rule]} or empty
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<int64_t> closed_at;
};

struct Notice {
  int64_t id = 0;
  int64_t case_id = 0;
  int64_t app_id = 0;
  std::string package;
  std::string label;
  NamedId distributor;
  std::string kind; ///< "takedown"
  int64_t at = 0;
};

struct RepeatOffender {
  NamedId enterprise;
  int64_t recurrences = 0; ///< rectified cases whose rules came back in a later scan
  std::vector<std::string> packages;
};

/// Raw figures for the regulator's statistics; the server names and shares them.
struct Stats {
  int64_t apps_tested = 0;
  int64_t ordered_to_rectify = 0;
  int64_t publicly_notified = 0;
  int64_t taken_down = 0;
  /// Findings of each app's newest finished scan, by category / by party (SDK id) / by the
  /// distributors that carry the app.
  std::vector<std::pair<std::string, int64_t>> by_category;
  std::vector<std::pair<std::string, int64_t>> by_sdk;
  std::vector<std::pair<std::string, int64_t>> by_distributor;
  /// Times of finished scans, of findings' scans and of cases, for per-month counts.
  std::vector<int64_t> scan_times;
  std::vector<int64_t> finding_times;
  std::vector<int64_t> case_times;
};

/// Listing window; `total` is set to the number of matches.
struct PageQuery {
  int64_t limit = 50;
  int64_t offset = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- users and organisations ---
  /// Creates a user with a fresh token. `organisation` names the enterprise (role enterprise,
  /// required) or the distributor (role distributor, required); it is created when new. Fails
  /// (kMalformed) on an empty or taken name or a missing organisation.
  virtual Expected<NewUser> add_user(std::string_view name, Role role,
                                     std::string_view organisation) = 0;
  /// The user holding `token`, or nullopt for an unknown token.
  virtual Expected<std::optional<User>> authenticate(std::string_view token) = 0;
  virtual Expected<std::optional<User>> find_user(std::string_view name) = 0;
  /// Id of the enterprise (distributor) called `name`, created when new.
  virtual Expected<int64_t> ensure_enterprise(std::string_view name) = 0;
  virtual Expected<int64_t> ensure_distributor(std::string_view name) = 0;

  // --- apps ---
  /// Records that bytes `sha256` are version (code, name) of app `package`; returns the
  /// app_versions id (the existing one when already recorded).
  virtual Expected<int64_t> record_app_version(std::string_view package, int64_t version_code,
                                               std::string_view version_name,
                                               std::string_view sha256,
                                               std::optional<int64_t> enterprise_id) = 0;

  // --- submissions and scans ---
  /// Accepts bytes already in the blob store. Creates a submission and a queued scan in one
  /// transaction — unless `recheck` is false and the same bytes have a scan that did not fail,
  /// in which case that scan is returned with `existing` set and nothing is written.
  virtual Expected<SubmitResult> submit(std::string_view sha256, int64_t size,
                                        const SubmitMetadata& metadata,
                                        const std::optional<User>& user, bool recheck) = 0;
  virtual Expected<std::optional<Scan>> scan(int64_t id) = 0;
  virtual Expected<std::optional<Submission>> submission(int64_t id) = 0;
  /// Number of scans in each status (index by ScanStatus).
  virtual Expected<std::vector<int64_t>> count_scans_by_status() = 0;

  // --- findings ---
  /// Stores the findings of a scan (review fields are ignored: new findings are unreviewed).
  virtual Status add_findings(int64_t scan_id, const std::vector<FindingRecord>& findings) = 0;
  /// The findings of a scan, in the order they were added.
  virtual Expected<std::vector<FindingRecord>> findings(int64_t scan_id) = 0;
  /// Sets a finding's review (state confirmed, false_positive or waived; a reason is
  /// required) and writes it to the audit log, in one transaction.
  virtual Status review_finding(int64_t finding_id, std::string_view state, const User& reviewer,
                                std::string_view reason) = 0;

  // --- the server's views (every read is limited to what `who` may see: a regulator sees
  //     everything, an enterprise user its enterprise's apps, a distributor the apps it
  //     carries; what is out of sight reads as absent) ---
  /// Ends a running scan held at `attempt` as done, and in the same transaction records the
  /// app and version the report names, the distributor that sent it, the findings, and
  /// re-checks any case of that app that waits for rectification.
  virtual Status complete_scan(int64_t scan_id, int attempt, std::string_view report_json,
                               const ScanOutcome& outcome, int64_t now) = 0;
  virtual Expected<std::vector<AppInfo>> list_apps(const User& who, std::string_view search,
                                                   std::optional<int64_t> enterprise_id,
                                                   PageQuery page, int64_t& total) = 0;
  virtual Expected<std::optional<AppInfo>> app(const User& who, int64_t id) = 0;
  virtual Expected<std::vector<ScanInfo>> list_scans(const User& who,
                                                     std::optional<ScanStatus> status,
                                                     PageQuery page, int64_t& total) = 0;
  virtual Expected<std::optional<ScanInfo>> scan_info(const User& who, int64_t id) = 0;
  virtual Expected<std::optional<FindingRecord>> finding(const User& who, int64_t id) = 0;
  /// Enterprises (distributors) with how many apps each has (carries).
  virtual Expected<std::vector<std::pair<NamedId, int64_t>>> enterprises(const User& who) = 0;
  virtual Expected<std::vector<std::pair<NamedId, int64_t>>> distributors(const User& who) = 0;

  // --- cases ---
  /// Opens a case on app `app_id` from confirmed findings of one of its scans (regulator).
  virtual Expected<CaseInfo> open_case(const User& who, int64_t app_id,
                                       const std::vector<int64_t>& finding_ids,
                                       std::string_view note) = 0;
  /// Advances a case: "order" (open → rectifying, needs a deadline), "recheck" (compares the
  /// case's rules with the app's newest finished scan; rectified when none remain), "notify"
  /// (rectifying → notified), "takedown" (notified → taken_down; a notice to every
  /// distributor of the app). Wrong transitions fail with kMalformed.
  virtual Expected<CaseInfo> case_action(const User& who, int64_t case_id, std::string_view action,
                                         std::string_view note,
                                         std::optional<int64_t> deadline) = 0;
  virtual Expected<std::optional<CaseInfo>> case_info(const User& who, int64_t id) = 0;
  /// Cases by status (empty: all); `overdue_at` set: only rectifying cases past their
  /// deadline at that time.
  virtual Expected<std::vector<CaseInfo>> list_cases(const User& who, std::string_view status,
                                                     std::optional<int64_t> overdue_at,
                                                     PageQuery page, int64_t& total) = 0;
  virtual Expected<std::vector<Notice>> notices(const User& who) = 0;
  virtual Expected<std::vector<RepeatOffender>> repeat_offenders(const User& who) = 0;
  virtual Expected<Stats> stats(const User& who) = 0;

  // --- audit log ---
  virtual Status record_audit(const AuditEntry& entry) = 0;
  /// The newest `limit` entries, newest first.
  virtual Expected<std::vector<AuditEntry>> audit_log(int limit) = 0;

  // --- job state, for queue::StoreJobQueue (see docs/platform.md, "Crash safety") ---
  /// Atomically moves scans whose lease ran out back to queued (or to failed once they were
  /// claimed `max_attempts` times), then claims the oldest queued scan for `worker` until
  /// now + lease_ms. Never hands one scan to two callers, across threads and processes.
  virtual Expected<std::optional<ClaimedScan>> claim_scan(std::string_view worker, int64_t now,
                                                          int64_t lease_ms, int max_attempts) = 0;
  /// Extends the lease of a running scan still held at `attempt`.
  virtual Status extend_lease(int64_t scan_id, int attempt, int64_t lease_until) = 0;
  /// Ends a running scan held at `attempt` as done (text = report JSON) or failed (text =
  /// error). Fails when the lease was lost: the scan then has, or will get, its one result
  /// from another attempt.
  virtual Status finish_scan(int64_t scan_id, int attempt, ScanStatus status, std::string_view text,
                             int64_t now) = 0;
  /// The expiry half of claim_scan on its own; returns how many scans were moved.
  virtual Expected<int64_t> requeue_expired(int64_t now, int max_attempts) = 0;
  /// Puts a scan that is not running back in the queue (a no-op for a queued one).
  virtual Status requeue_scan(int64_t scan_id) = 0;
};

/// Opens (creating when absent) DIR/appaudit.db, applies pending migrations, and returns the
/// store. Fails with a clear message when the file is not an SQLite database, is corrupt, or
/// was written by a newer appaudit.
Expected<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir);

/// Opens the store named by `spec`: a `postgresql://` or `postgres://` URI (libpq syntax) opens
/// that PostgreSQL database, anything else is a data directory holding an SQLite database (as
/// open_sqlite_store). Pending migrations are applied either way; on PostgreSQL concurrent
/// openers take turns (an advisory lock) so that each migration runs once.
Expected<std::unique_ptr<Store>> open_store(const std::string& spec);

/// Whether `spec` is a PostgreSQL URI rather than a data directory.
bool is_postgres_uri(std::string_view spec);

/// What to call the store of `spec` in messages: the data directory, or the PostgreSQL URI as
/// postgresql://user@host:port/db (without the password).
std::string store_location(const std::string& spec);

/// The database file inside a data directory.
std::string sqlite_path(const std::string& data_dir);

/// Milliseconds since the Unix epoch, from the system clock.
int64_t now_ms();

} // namespace appaudit::store
