// The store on SQLite and on PostgreSQL: migrations, users and tokens, submissions, audit log;
// hostile SQLite files; PostgreSQL connection errors; the CI gate for the PostgreSQL variants.
#include "store/store.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "store/backend.hpp"
#include "store/blob_store.hpp"
#include "store/db.hpp"
#include "store/schema.hpp"
#include "store/temp_dir.hpp"
#include "support/test_support.hpp"

namespace appaudit::store {
namespace {

using test::Backend;
using test::BackendTest;
using test::TempDir;

std::unique_ptr<Store> open_or_die(const std::string& dir) {
  auto s = open_sqlite_store(dir);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
  return s ? std::move(*s) : nullptr;
}

/// Rows of a one-column query, read with the sqlite3 library directly (not through Store).
std::vector<std::string> query(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const auto* t = sqlite3_column_text(st, 0);
        out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string sha_of(const std::string& s) { return sha256_hex(s); }

/// The store tests, once on SQLite and once on PostgreSQL.
class StoreTest : public BackendTest {};
APPAUDIT_ON_BOTH_BACKENDS(StoreTest);

TEST_P(StoreTest, MigratesAnEmptyDatabaseAndReopensIdempotently) {
  // SQLite: a data folder that does not exist yet is created.
  const std::string spec = postgres() ? db().spec() : db().dir() + "/data";
  {
    auto s = open_store(spec);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
  }
  auto raw = [&](const std::string& sql) {
    if (postgres()) return db().query(sql);
    return query(sqlite_path(spec), sql);
  };
  EXPECT_EQ(raw("SELECT version FROM schema_migrations ORDER BY version"),
            (std::vector<std::string>{"1", "2"}));
  if (!postgres()) {
    EXPECT_EQ(raw("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  }
  const auto tables = raw(postgres() ? "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                     : "SELECT name FROM sqlite_master WHERE type = 'table'");
  for (const char* t : {"app_versions", "apps", "audit_log", "distributors", "enterprises",
                        "findings", "scans", "schema_migrations", "submissions", "users", "cases",
                        "case_findings", "case_events", "notices", "app_distributors"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), t), tables.end()) << t;
  }
  // Re-opening applies nothing twice and keeps the data.
  {
    auto s = open_store(spec);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    ASSERT_TRUE((*s)->add_user("ann", Role::kRegulator, "").has_value());
  }
  auto s = open_store(spec);
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  EXPECT_EQ(raw("SELECT COUNT(*) FROM schema_migrations"), std::vector<std::string>{"2"});
  auto u = (*s)->find_user("ann");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->has_value());
}

TEST_P(StoreTest, ConcurrentOpenersMigrateOnce) {
  // Several connections open a fresh database at once; the migration runs once (PostgreSQL:
  // the advisory lock; SQLite: BEGIN IMMEDIATE).
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto s = open_store(db().spec());
      if (!s) {
        ADD_FAILURE() << s.error().to_string();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(db().query("SELECT COUNT(*) FROM schema_migrations"), std::vector<std::string>{"2"});
}

TEST_P(StoreTest, ForeignKeysAreEnforced) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto c = s->claim_scan("w", now_ms(), 1000, 3);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->has_value());
  // A scan naming a submission that does not exist is refused by the database itself.
  EXPECT_FALSE(
      db().exec("INSERT INTO scans (submission_id, status, created_at) VALUES (999, 'queued', 0)"));
  EXPECT_TRUE(db().exec("SELECT 1")); // the helper itself works
}

TEST(Store, SchemaIsPortable) {
  // One DDL for both databases: nothing SQLite-only survives into the PostgreSQL rendering.
  for (const auto& m : migrations(postgres_dialect())) {
    for (const char* bad : {"AUTOINCREMENT", "INTEGER PRIMARY KEY", "{id}", "BLOB", "DATETIME",
                            "WITHOUT ROWID", "PRAGMA"}) {
      EXPECT_EQ(m.sql.find(bad), std::string::npos) << "migration " << m.version << ": " << bad;
    }
    EXPECT_NE(m.sql.find("GENERATED BY DEFAULT AS IDENTITY"), std::string::npos);
  }
  const auto lite = migrations(sqlite_dialect());
  ASSERT_FALSE(lite.empty());
  EXPECT_EQ(lite.front().version, 1);
  for (size_t i = 1; i < lite.size(); ++i) EXPECT_EQ(lite[i].version, lite[i - 1].version + 1);
}

TEST_P(StoreTest, UsersAuthenticateByTokenStoredOnlyAsHash) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto reg = s->add_user("regina", Role::kRegulator, "");
  ASSERT_TRUE(reg.has_value()) << reg.error().to_string();
  auto ent = s->add_user("eve", Role::kEnterprise, "Acme Ltd");
  ASSERT_TRUE(ent.has_value()) << ent.error().to_string();
  auto dis = s->add_user("dan", Role::kDistributor, "AppStore X");
  ASSERT_TRUE(dis.has_value());
  EXPECT_EQ(reg->token.size(), 64u);
  EXPECT_NE(reg->token, ent->token);
  EXPECT_TRUE(is_sha256_hex(reg->token));

  auto who = s->authenticate(ent->token);
  ASSERT_TRUE(who.has_value());
  ASSERT_TRUE(who->has_value());
  EXPECT_EQ((*who)->name, "eve");
  EXPECT_EQ((*who)->role, Role::kEnterprise);
  EXPECT_EQ((*who)->enterprise, "Acme Ltd");
  auto d = s->authenticate(dis->token);
  ASSERT_TRUE(d.has_value() && d->has_value());
  EXPECT_EQ((*d)->distributor, "AppStore X");

  // Wrong, truncated, empty tokens: nobody.
  std::string wrong = ent->token;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string& t :
       {wrong, ent->token.substr(0, 63), std::string(), sha_of(ent->token)}) {
    auto r = s->authenticate(t);
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->has_value()) << t;
  }

  // The token is nowhere in the database; its hash is. SQLite: the bytes of its files;
  // PostgreSQL: every column of every user row, as text.
  s.reset();
  std::string bytes;
  if (postgres()) {
    for (const auto& row : db().query("SELECT u::text FROM users u")) bytes += row + "\n";
  } else {
    for (const char* suffix : {"", "-wal"}) {
      auto b = test::read_file(sqlite_path(db().spec()) + suffix);
      bytes.append(b.begin(), b.end());
    }
  }
  ASSERT_FALSE(bytes.empty());
  for (const auto* nu : {&*reg, &*ent, &*dis}) {
    EXPECT_EQ(bytes.find(nu->token), std::string::npos);
  }
  EXPECT_NE(bytes.find(sha_of(ent->token)), std::string::npos);
}

TEST_P(StoreTest, AddUserRejectsBadInput) {
  auto s = db().open();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->add_user("", Role::kRegulator, "").has_value());
  EXPECT_FALSE(s->add_user("e", Role::kEnterprise, "").has_value());
  EXPECT_FALSE(s->add_user("d", Role::kDistributor, "").has_value());
  ASSERT_TRUE(s->add_user("x", Role::kRegulator, "").has_value());
  auto dup = s->add_user("x", Role::kRegulator, "");
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("exists"), std::string::npos);
  EXPECT_FALSE(parse_role("admin").has_value());
  EXPECT_EQ(parse_role("distributor"), Role::kDistributor);
}

TEST_P(StoreTest, SubmitDedupesSameBytesUnlessRecheck) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto eve = s->add_user("eve", Role::kEnterprise, "Acme");
  ASSERT_TRUE(eve.has_value());
  const std::string a = sha_of("apk A"), b = sha_of("apk B");
  SubmitMetadata meta;
  meta.app_type = "browser";
  meta.source_channel = "upload";

  auto first = s->submit(a, 5, meta, eve->user, false);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_FALSE(first->existing);
  auto again = s->submit(a, 5, meta, eve->user, false);
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->scan_id, first->scan_id);
  EXPECT_EQ(again->submission_id, first->submission_id);
  auto recheck = s->submit(a, 5, meta, eve->user, true);
  ASSERT_TRUE(recheck.has_value());
  EXPECT_FALSE(recheck->existing);
  EXPECT_NE(recheck->scan_id, first->scan_id);
  auto other = s->submit(b, 5, {}, std::nullopt, false);
  ASSERT_TRUE(other.has_value());
  EXPECT_FALSE(other->existing);

  // After a recheck, a plain resubmission returns the newest scan.
  auto third = s->submit(a, 5, meta, eve->user, false);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->scan_id, recheck->scan_id);

  auto sc = s->scan(first->scan_id);
  ASSERT_TRUE(sc.has_value() && sc->has_value());
  EXPECT_EQ((*sc)->status, ScanStatus::kQueued);
  EXPECT_EQ((*sc)->sha256, a);
  auto sub = s->submission(recheck->submission_id);
  ASSERT_TRUE(sub.has_value() && sub->has_value());
  EXPECT_TRUE((*sub)->recheck);
  EXPECT_EQ((*sub)->app_type, "browser");
  EXPECT_EQ((*sub)->enterprise_id, eve->user.enterprise_id); // an enterprise user's own
  EXPECT_EQ((*sub)->submitted_by, eve->user.id);
  auto missing = s->scan(424242);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());

  auto counts = s->count_scans_by_status();
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ((*counts)[static_cast<size_t>(ScanStatus::kQueued)], 3);

  EXPECT_FALSE(s->submit("not-a-sha", 1, {}, std::nullopt, false).has_value());
}

TEST_P(StoreTest, DistributorSubmissionIsItsOwn) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto dan = s->add_user("dan", Role::kDistributor, "AppStore X");
  ASSERT_TRUE(dan.has_value());
  auto r = s->submit(sha_of("apk D"), 5, {}, dan->user, false);
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  auto sub = s->submission(r->submission_id);
  ASSERT_TRUE(sub.has_value() && sub->has_value());
  EXPECT_EQ((*sub)->distributor_id, dan->user.distributor_id); // a distributor user's own
  auto seen = s->scan_info(dan->user, r->scan_id);
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->has_value()) << "a distributor must see the scan of its own submission";
}

TEST_P(StoreTest, FailedScanIsNotReusedBySameBytes) {
  auto s = db().open();
  ASSERT_TRUE(s);
  const std::string a = sha_of("flaky");
  auto first = s->submit(a, 1, {}, std::nullopt, false);
  ASSERT_TRUE(first.has_value());
  auto c = s->claim_scan("w", now_ms(), 10'000, 3);
  ASSERT_TRUE(c.has_value() && c->has_value());
  ASSERT_TRUE(s->finish_scan((*c)->scan_id, (*c)->attempt, ScanStatus::kFailed, "boom", now_ms()));
  auto again = s->submit(a, 1, {}, std::nullopt, false);
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->existing);
  EXPECT_NE(again->scan_id, first->scan_id);
}

TEST_P(StoreTest, AuditLogRecordsStateChanges) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto reg = s->add_user("regina", Role::kRegulator, "");
  ASSERT_TRUE(reg.has_value());
  ASSERT_TRUE(s->submit(sha_of("x"), 1, {}, reg->user, false).has_value());
  AuditEntry e;
  e.user_id = reg->user.id;
  e.actor = "regina";
  e.action = "finding.review";
  e.object = "finding:7";
  e.detail = "false_positive: test code";
  ASSERT_TRUE(s->record_audit(e));
  auto log = s->audit_log(10);
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].action, "finding.review");
  EXPECT_EQ((*log)[0].user_id, reg->user.id);
  EXPECT_GT((*log)[0].at, 0);
  EXPECT_EQ((*log)[1].action, "submission.create");
  EXPECT_EQ((*log)[1].actor, "regina");
  EXPECT_EQ((*log)[2].action, "user.add");
}

TEST_P(StoreTest, AppVersionsAreRecordedOnce) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto ent = s->ensure_enterprise("Acme");
  ASSERT_TRUE(ent.has_value());
  auto again = s->ensure_enterprise("Acme");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*ent, *again);
  auto v1 = s->record_app_version("com.acme.app", 1, "1.0", sha_of("v1"), *ent);
  auto v1b = s->record_app_version("com.acme.app", 1, "1.0", sha_of("v1"), *ent);
  auto v2 = s->record_app_version("com.acme.app", 2, "1.1", sha_of("v2"), *ent);
  ASSERT_TRUE(v1.has_value() && v1b.has_value() && v2.has_value());
  EXPECT_EQ(*v1, *v1b);
  EXPECT_NE(*v1, *v2);
  EXPECT_EQ(db().query("SELECT COUNT(*) FROM apps"), std::vector<std::string>{"1"});
  EXPECT_EQ(db().query("SELECT COUNT(*) FROM app_versions"), std::vector<std::string>{"2"});
}

TEST_P(StoreTest, ListAppsShowsEachAppsNewestVersionAndItsScan) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto reg = s->add_user("regina", Role::kRegulator, "");
  ASSERT_TRUE(reg.has_value());
  auto ent = s->ensure_enterprise("Acme");
  ASSERT_TRUE(ent.has_value());
  // Version 2 is recorded before version 1: "newest" is by version code, not by row id.
  ASSERT_TRUE(s->record_app_version("com.acme.app", 2, "2.0", sha_of("v2"), *ent).has_value());
  ASSERT_TRUE(s->record_app_version("com.acme.app", 1, "1.0", sha_of("v1"), *ent).has_value());
  ASSERT_TRUE(s->record_app_version("com.other.app", 5, "5.0", sha_of("o5"), *ent).has_value());
  auto old = s->submit(sha_of("v2"), 3, {}, reg->user, false);
  auto sub = s->submit(sha_of("v2"), 3, {}, reg->user, true); // a re-check: the newest scan
  auto v1 = s->submit(sha_of("v1"), 3, {}, reg->user, false);
  ASSERT_TRUE(old.has_value() && sub.has_value() && v1.has_value());
  ASSERT_NE(old->scan_id, sub->scan_id);
  FindingRecord f;
  f.rule = "pre_consent_collection";
  f.json = "{}";
  ASSERT_TRUE(s->add_findings(sub->scan_id, {f, f}));
  ASSERT_TRUE(s->add_findings(v1->scan_id, {f}));
  int64_t total = 0;
  auto apps = s->list_apps(reg->user, "", std::nullopt, PageQuery{}, total);
  ASSERT_TRUE(apps.has_value()) << apps.error().to_string();
  EXPECT_EQ(total, 2);
  ASSERT_EQ(apps->size(), 2u);
  const AppInfo& other = (*apps)[0]; // newest app first
  const AppInfo& acme = (*apps)[1];
  EXPECT_EQ(other.package, "com.other.app");
  ASSERT_TRUE(other.latest.has_value());
  EXPECT_EQ(other.latest->version_code, 5);
  EXPECT_FALSE(other.latest->scan_id.has_value()); // never submitted
  EXPECT_EQ(other.latest->findings, 0);
  EXPECT_EQ(acme.package, "com.acme.app");
  EXPECT_EQ(acme.versions, 2);
  ASSERT_TRUE(acme.latest.has_value());
  EXPECT_EQ(acme.latest->version_code, 2);
  EXPECT_EQ(acme.latest->version_name, "2.0");
  EXPECT_EQ(acme.latest->sha256, sha_of("v2"));
  EXPECT_EQ(acme.latest->scan_id, sub->scan_id);
  EXPECT_EQ(acme.latest->findings, 2);
  // The app page lists every version the same way, newest first.
  auto page = s->app(reg->user, acme.id);
  ASSERT_TRUE(page.has_value() && page->has_value());
  ASSERT_EQ((*page)->version_list.size(), 2u);
  EXPECT_EQ((*page)->version_list[0].scan_id, sub->scan_id);
  EXPECT_EQ((*page)->version_list[1].version_code, 1);
  EXPECT_EQ((*page)->version_list[1].scan_id, v1->scan_id);
  EXPECT_EQ((*page)->version_list[1].findings, 1);
  // A search and a page past the end.
  apps = s->list_apps(reg->user, "other", std::nullopt, PageQuery{}, total);
  ASSERT_TRUE(apps.has_value());
  EXPECT_EQ(total, 1);
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ((*apps)[0].package, "com.other.app");
  apps = s->list_apps(reg->user, "", std::nullopt, PageQuery{50, 2}, total);
  ASSERT_TRUE(apps.has_value());
  EXPECT_TRUE(apps->empty());
}

TEST_P(StoreTest, FindingsAreStoredAndReviewedWithAnAuditEntry) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto reg = s->add_user("regina", Role::kRegulator, "");
  ASSERT_TRUE(reg.has_value());
  auto sub = s->submit(sha_of("app"), 3, {}, reg->user, false);
  ASSERT_TRUE(sub.has_value());
  FindingRecord f;
  f.rule = "pre_consent_collection";
  f.category = "illegal_collection";
  f.severity = "high";
  f.party = "com.umeng";
  f.json = R"({"rule":"pre_consent_collection"})";
  FindingRecord g = f;
  g.rule = "no_privacy_policy";
  g.party = "app";
  ASSERT_TRUE(s->add_findings(sub->scan_id, {f, g}));
  auto rows = s->findings(sub->scan_id);
  ASSERT_TRUE(rows.has_value());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].rule, "pre_consent_collection");
  EXPECT_EQ((*rows)[0].json, f.json);
  EXPECT_EQ((*rows)[1].party, "app");
  EXPECT_TRUE((*rows)[0].review_state.empty());

  EXPECT_FALSE(s->review_finding((*rows)[0].id, "ignored", reg->user, "why"));
  EXPECT_FALSE(s->review_finding((*rows)[0].id, "waived", reg->user, ""));
  EXPECT_FALSE(s->review_finding(99999, "waived", reg->user, "why"));
  ASSERT_TRUE(s->review_finding((*rows)[0].id, "false_positive", reg->user, "test code only"));
  rows = s->findings(sub->scan_id);
  ASSERT_TRUE(rows.has_value());
  EXPECT_EQ((*rows)[0].review_state, "false_positive");
  EXPECT_EQ((*rows)[0].reviewed_by, reg->user.id);
  EXPECT_EQ((*rows)[0].review_reason, "test code only");
  EXPECT_TRUE((*rows)[0].reviewed_at.has_value());
  auto log = s->audit_log(1);
  ASSERT_TRUE(log.has_value() && !log->empty());
  EXPECT_EQ((*log)[0].action, "finding.review");
  EXPECT_EQ((*log)[0].actor, "regina");
  // The database refuses a finding of a scan that does not exist (foreign keys are on).
  EXPECT_FALSE(s->add_findings(424242, {f}));
}

// --- hostile database files: a clear error, never a crash ---

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(StoreHostile, GarbageFileIsNotADatabase) {
  TempDir dir;
  std::string junk(8192, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) & 0xff);
  write_file(sqlite_path(dir.path()), junk);
  auto s = open_sqlite_store(dir.path());
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, Errc::kMalformed);
  EXPECT_NE(s.error().to_string().find("not a usable appaudit database"), std::string::npos)
      << s.error().to_string();
  EXPECT_NE(s.error().to_string().find("appaudit.db"), std::string::npos);
}

TEST(StoreHostile, CorruptPagesGiveAnError) {
  TempDir dir;
  {
    auto s = open_or_die(dir.path());
    ASSERT_TRUE(s);
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(s->add_user("user" + std::to_string(i), Role::kRegulator, "").has_value());
    }
  }
  // Checkpoint the WAL into the main file, then overwrite every page after the header page.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(sqlite_path(dir.path()).c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE", nullptr,
                 nullptr, nullptr);
    sqlite3_close(db);
  }
  auto bytes = test::read_file(sqlite_path(dir.path()));
  ASSERT_GT(bytes.size(), 8192u);
  for (size_t i = 4096 + 100; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);
  write_file(sqlite_path(dir.path()), std::string(bytes.begin(), bytes.end()));
  auto s = open_sqlite_store(dir.path());
  if (!s) {
    EXPECT_FALSE(s.error().to_string().empty());
    return;
  }
  // The header page survived, so opening may work; reading the damaged tables must fail.
  auto u = (*s)->find_user("user150");
  auto a = (*s)->add_user("new", Role::kRegulator, "");
  EXPECT_TRUE(!u.has_value() || !a.has_value() || !u->has_value());
  if (!a.has_value()) {
    EXPECT_FALSE(a.error().to_string().empty());
  }
}

TEST_P(StoreTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(db().open()); }
  ASSERT_TRUE(db().exec("INSERT INTO schema_migrations VALUES (999, 'future', 0)"));
  auto s = open_store(db().spec());
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().to_string();
}

TEST_P(StoreTest, ForeignTablesInTheWayGiveAClearError) {
  // A database that already has a table of the schema's names, not made by appaudit: the
  // migration fails as a whole, with its number, and leaves nothing half-done.
  ASSERT_TRUE(db().exec("CREATE TABLE scans (x TEXT)"));
  auto s = open_store(db().spec());
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("migration 1 (initial schema) failed"), std::string::npos)
      << s.error().to_string();
  // DDL is transactional on both: even schema_migrations is gone again.
  EXPECT_EQ(db().tables(), std::vector<std::string>{"scans"});
}

TEST(StoreHostile, DataDirThatIsAFile) {
  TempDir dir;
  write_file(dir.path() + "/file", "x");
  auto s = open_sqlite_store(dir.path() + "/file");
  ASSERT_FALSE(s.has_value());
  EXPECT_FALSE(s.error().to_string().empty());
}

// --- PostgreSQL: connection errors, placeholders, and the CI gate ---

TEST(StorePostgres, UnreachableServerIsAClearErrorWithoutThePassword) {
  // Nothing listens on port 1: refused at once, no server needed for this test.
  const std::string uri = "postgresql://alice:s3cr3t-pw@127.0.0.1:1/appdb?connect_timeout=3";
  EXPECT_TRUE(is_postgres_uri(uri));
  EXPECT_TRUE(is_postgres_uri("postgres://h/db"));
  EXPECT_FALSE(is_postgres_uri("./appaudit-data"));
  auto s = open_store(uri);
  ASSERT_FALSE(s.has_value());
  const std::string e = s.error().to_string();
  EXPECT_EQ(s.error().code, Errc::kIo);
  EXPECT_NE(e.find("postgresql://alice@127.0.0.1:1/appdb"), std::string::npos) << e;
  EXPECT_NE(e.find("cannot connect to PostgreSQL"), std::string::npos) << e;
  EXPECT_EQ(e.find("s3cr3t"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
  EXPECT_EQ(store_location(uri), "postgresql://alice@127.0.0.1:1/appdb");
  // A password given as a parameter is not shown either.
  auto p = open_store("postgresql://127.0.0.1:1/appdb?password=hunter2&connect_timeout=3");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().to_string().find("hunter2"), std::string::npos) << p.error().to_string();
}

class PostgresDbTest : public BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, PostgresDbTest, ::testing::Values(Backend::kPostgres),
                         test::backend_name);

TEST_P(PostgresDbTest, PlaceholdersAndTypedParameters) {
  auto conn = open_postgres_db(db().spec());
  ASSERT_TRUE(conn.has_value()) << conn.error().to_string();
  Db& d = **conn;
  // `?` inside literals and identifiers stays; the others become $1, $2, ... in order.
  auto r = d.query("SELECT '?''?' || ?, \"?x\" FROM (SELECT ? AS \"?x\") t -- a ? comment\n",
                   {"a", int64_t{5}});
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(r->first().text(0), "?'?a");
  EXPECT_EQ(r->first().i64(1), 5);
  // Integers are INT8, so LIMIT ?, arithmetic and comparisons with BIGINT need no casts; NULL
  // takes the column's type.
  auto l = d.query("SELECT g, ? + g, ?::text IS NULL FROM generate_series(1, 10) g LIMIT ?",
                   {int64_t{1} << 40, std::nullopt, int64_t{3}});
  ASSERT_TRUE(l.has_value()) << l.error().to_string();
  ASSERT_EQ(l->rows.size(), 3u);
  EXPECT_EQ(l->rows[2].i64(1), (int64_t{1} << 40) + 3);
  EXPECT_EQ(l->rows[0].text(2), "t");
  EXPECT_TRUE(d.query("SELECT ?", {"x", "y"}).has_value() == false); // count mismatch
  // changes from the command tag; errors carry the SQLSTATE and name the server.
  ASSERT_TRUE(
      d.exec("CREATE TABLE t (id BIGINT PRIMARY KEY, n INTEGER); "
             "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)"));
  auto u = d.query("UPDATE t SET n = n + 1 WHERE id >= ?", {int64_t{2}});
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->changes, 2);
  auto dup = d.query("INSERT INTO t VALUES (?, ?)", {int64_t{1}, int64_t{1}});
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("23505"), std::string::npos) << dup.error().to_string();
  EXPECT_NE(dup.error().where.find("postgresql://"), std::string::npos);
}

TEST_P(PostgresDbTest, ReconnectsAfterTheConnectionIsLost) {
  // The server ends the store's session (as after a restart): the next call reconnects.
  auto s = open_store(db().spec());
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  ASSERT_TRUE((*s)->add_user("before", Role::kRegulator, "").has_value());
  auto admin = open_postgres_db(db().spec());
  ASSERT_TRUE(admin.has_value()) << admin.error().to_string();
  auto kill_others = [&] {
    auto k = (*admin)->query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND pid <> pg_backend_pid()",
        {});
    ASSERT_TRUE(k.has_value()) << k.error().to_string();
    ASSERT_EQ(k->rows.size(), 1u) << "the store's one connection";
  };
  kill_others();
  // A write transaction (BEGIN is sent again on a new connection) ...
  auto after = (*s)->add_user("after", Role::kRegulator, "");
  ASSERT_TRUE(after.has_value()) << after.error().to_string();
  kill_others();
  // ... and a read on its own.
  auto found = (*s)->find_user("before");
  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_TRUE(found->has_value());
}

TEST(PostgresCi, TheTestServerIsThereUnderCi) {
  // Under CI the PostgreSQL variants must run, not skip: scripts/test.sh starts the server
  // (scripts/pg_test_server.sh) and exports APPAUDIT_TEST_PG. This test fails when it did not.
  const char* ci = std::getenv("CI");
  const bool under_ci = ci != nullptr && std::string(ci) == "true";
  const std::string uri = test::pg_test_uri();
  if (uri.empty()) {
    if (under_ci)
      FAIL() << "CI=true but APPAUDIT_TEST_PG is unset: the PostgreSQL tests would "
                "all be skipped (run the tests through scripts/test.sh)";
    GTEST_SKIP() << "APPAUDIT_TEST_PG is not set (not under CI, so the PostgreSQL variants skip)";
  }
  PGconn* conn = PQconnectdb(uri.c_str());
  const bool up = PQstatus(conn) == CONNECTION_OK;
  const std::string why = up ? "" : PQerrorMessage(conn);
  const int version = up ? PQserverVersion(conn) : 0;
  PQfinish(conn);
  ASSERT_TRUE(up) << "APPAUDIT_TEST_PG names " << store_location(uri)
                  << ", which is unreachable: " << why;
  EXPECT_GE(version, 150000) << "PostgreSQL 15 or newer";
}

} // namespace
} // namespace appaudit::store
