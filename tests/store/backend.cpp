// Test databases on SQLite and PostgreSQL (see backend.hpp).
#include "store/backend.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace appaudit::test {
namespace {

/// Runs `sql` on a libpq connection to `uri`; the first column of each row into `rows` when
/// given. False (and the server's message in `error`) when connecting or the statement failed.
bool pg_run(const std::string& uri, const std::string& sql, std::vector<std::string>* rows,
            std::string* error) {
  PGconn* conn = PQconnectdb(uri.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    PGresult* res = PQexec(conn, sql.c_str());
    const ExecStatusType st = PQresultStatus(res);
    ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (ok && rows != nullptr && st == PGRES_TUPLES_OK) {
      for (int r = 0; r < PQntuples(res); ++r) {
        rows->emplace_back(PQgetisnull(res, r, 0) ? "NULL" : PQgetvalue(res, r, 0));
      }
    }
    if (!ok && error != nullptr) *error = PQresultErrorMessage(res);
    PQclear(res);
  } else if (error != nullptr) {
    *error = PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

bool sqlite_run(const std::string& path, const std::string& sql, std::vector<std::string>* rows) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            nullptr) == SQLITE_OK;
  if (ok) sqlite3_exec(db, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  ok = ok && sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK;
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (rows == nullptr) continue;
    const auto* t = sqlite3_column_text(st, 0);
    rows->emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
  }
  ok = ok && rc == SQLITE_DONE;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return ok;
}

/// `uri` with its database replaced (a later dbname parameter overrides the path's).
std::string with_database(const std::string& uri, const std::string& db) {
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "dbname=" + db;
}

} // namespace

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "sqlite" : "postgres";
}

void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::kSqlite ? "sqlite" : "postgres");
}

std::string pg_test_uri() {
  const char* v = std::getenv("APPAUDIT_TEST_PG");
  return v ? v : "";
}

std::string database_name_for(const std::string& test) {
  std::string out = "t_";
  for (char c : test) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
  }
  if (out.size() > 63) {
    // Keep it unique: a prefix plus a hash (FNV-1a) of the whole name.
    uint32_t h = 2166136261u;
    for (unsigned char c : test) h = (h ^ c) * 16777619u;
    char hex[9];
    std::snprintf(hex, sizeof hex, "%08x", h);
    out = out.substr(0, 54) + "_" + hex;
  }
  return out;
}

TestDb::TestDb(Backend backend) : backend_(backend) {
  if (backend_ == Backend::kSqlite) {
    spec_ = dir_.path();
    return;
  }
  const std::string admin = pg_test_uri();
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  database_ = database_name_for(info ? std::string(info->test_suite_name()) + "_" + info->name()
                                     : std::string("no_test"));
  if (!pg_run(admin, "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)", nullptr, &error_) ||
      !pg_run(admin, "CREATE DATABASE " + database_, nullptr, &error_)) {
    error_ = "cannot create the test database " + database_ + " on " +
             store::store_location(admin) + ": " + error_;
    database_.clear();
    return;
  }
  spec_ = with_database(admin, database_);
}

TestDb::~TestDb() {
  if (!database_.empty()) {
    pg_run(pg_test_uri(), "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)", nullptr,
           nullptr);
  }
}

std::unique_ptr<store::Store> TestDb::open() const {
  auto s = store::open_store(spec_);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().to_string());
  return s ? std::move(*s) : nullptr;
}

std::vector<std::string> TestDb::query(const std::string& sql) const {
  std::vector<std::string> rows;
  const bool ok = postgres() ? pg_run(spec_, sql, &rows, nullptr)
                             : sqlite_run(store::sqlite_path(spec_), sql, &rows);
  if (!ok) rows.clear();
  return rows;
}

bool TestDb::exec(const std::string& sql) const {
  return postgres() ? pg_run(spec_, sql, nullptr, nullptr)
                    : sqlite_run(store::sqlite_path(spec_), sql, nullptr);
}

std::vector<std::string> TestDb::tables() const {
  auto names = query(postgres() ? "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                                : "SELECT name FROM sqlite_master WHERE type = 'table'");
  std::sort(names.begin(), names.end());
  return names;
}

void BackendTest::SetUp() {
  if (postgres() && pg_test_uri().empty()) {
    GTEST_SKIP() << "APPAUDIT_TEST_PG is not set: the PostgreSQL variant needs a server "
                    "(scripts/pg_test_server.sh start DIR prints its URI)";
  }
  db_.emplace(GetParam());
  ASSERT_TRUE(db_->error().empty()) << db_->error();
}

} // namespace appaudit::test
