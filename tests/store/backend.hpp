#pragma once
// The store and queue tests run on both backends: SQLite in a temporary folder, and PostgreSQL
// in a fresh database named after the test on the server of the libpq URI in APPAUDIT_TEST_PG
// (scripts/pg_test_server.sh starts one; scripts/test.sh does so for ctest). Without that
// variable the PostgreSQL variants are skipped, with a message saying so.
//
// ctest runs every test as its own process, several at once: one database per test keeps them
// independent.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "store/temp_dir.hpp"

namespace appaudit::test {

enum class Backend { kSqlite, kPostgres };

/// "sqlite" or "postgres": the suffix of a parameterised test's name.
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);
/// Prints the backend's name in gtest's messages.
void PrintTo(Backend backend, std::ostream* os);

/// APPAUDIT_TEST_PG, or "" when it is unset.
std::string pg_test_uri();

/// A PostgreSQL database name made from `test` (lower case, [a-z0-9_], at most 63 bytes).
std::string database_name_for(const std::string& test);

/// One test's database: the data folder (SQLite), or a database created for the test on the
/// test server and dropped at the end (PostgreSQL). `dir()` is a fresh folder either way (the
/// data folder for SQLite; blobs or other files for PostgreSQL).
class TestDb {
 public:
  /// For PostgreSQL, creates the database named after the running test; `error()` says why
  /// when that failed.
  explicit TestDb(Backend backend);
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;
  ~TestDb();

  Backend backend() const { return backend_; }
  bool postgres() const { return backend_ == Backend::kPostgres; }
  /// What open_store takes: the data folder or the database's URI.
  const std::string& spec() const { return spec_; }
  const std::string& dir() const { return dir_.path(); }
  const std::string& error() const { return error_; }

  /// Opens a Store on this database (a new connection each time); records a test failure and
  /// returns null when that fails.
  std::unique_ptr<store::Store> open() const;

  /// The first column of every row of `sql`, run directly on the database (sqlite3 or libpq,
  /// not through Store); NULL reads as "NULL". Empty when the statement fails.
  std::vector<std::string> query(const std::string& sql) const;
  /// Runs `sql` directly (foreign keys on, for SQLite); false when the database refused it.
  bool exec(const std::string& sql) const;
  /// The names of the tables, sorted.
  std::vector<std::string> tables() const;

 private:
  Backend backend_;
  TempDir dir_;
  std::string spec_;
  std::string database_; ///< PostgreSQL: the test's database
  std::string error_;
};

/// A test run once per backend; SetUp skips the PostgreSQL variant when APPAUDIT_TEST_PG is
/// unset and makes the test's database.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  TestDb& db() { return *db_; }
  bool postgres() const { return GetParam() == Backend::kPostgres; }

 private:
  std::optional<TestDb> db_;
};

} // namespace appaudit::test

/// Runs the tests of `suite` (a BackendTest) on SQLite and on PostgreSQL.
#define APPAUDIT_ON_BOTH_BACKENDS(suite)                                                           \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      Backends, suite,                                                                             \
      ::testing::Values(::appaudit::test::Backend::kSqlite, ::appaudit::test::Backend::kPostgres), \
      ::appaudit::test::backend_name)
