#pragma once
/// One database connection, as the store's SQL code sees it: statements with `?` parameters,
/// results read whole, write transactions. `SqlStore` (sql_store.cpp) holds all the SQL and
/// runs on any `Db`; SQLite (sqlite_db.cpp) and PostgreSQL (postgres_db.cpp) differ only here
/// and in the schema's `Dialect`. Internal to the store layer.
///
/// Results are small (rows of one page, one report), so they are read whole: no cursor
/// lifetimes leak into the SQL code, and both backends look the same to it.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/schema.hpp"

namespace appaudit::store {

/// A parameter or a result cell: NULL, a 64-bit integer or text.
struct Value {
  enum class Kind { kNull, kInt, kText };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  std::string s;

  Value() = default;
  Value(int64_t v) : kind(Kind::kInt), i(v) {}             // NOLINT
  Value(int v) : kind(Kind::kInt), i(v) {}                 // NOLINT
  Value(std::string_view v) : kind(Kind::kText), s(v) {}   // NOLINT
  Value(const std::string& v) : kind(Kind::kText), s(v) {} // NOLINT
  Value(const char* v) : kind(Kind::kText), s(v) {}        // NOLINT
  Value(const std::optional<int64_t>& v)
      : kind(v ? Kind::kInt : Kind::kNull), i(v.value_or(0)) {} // NOLINT
  Value(std::nullopt_t) {}                                      // NOLINT
  /// Empty text as NULL (optional text columns).
  static Value text_or_null(std::string_view v) { return v.empty() ? Value() : Value(v); }
  static Value flag(bool b) { return Value(int64_t{b ? 1 : 0}); }
};

/// One result row; columns are 0-based. Integers read from text cells are parsed (PostgreSQL
/// returns every value as text), NULL reads as 0 / "" / nullopt.
class Row {
 public:
  explicit Row(std::vector<Value> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool null(size_t c) const;
  int64_t i64(size_t c) const;
  std::optional<int64_t> opt(size_t c) const;
  std::string text(size_t c) const;

 private:
  std::vector<Value> cells_;
};

struct Result {
  std::vector<Row> rows;
  int64_t changes = 0; ///< rows changed by an INSERT/UPDATE/DELETE
  bool empty() const { return rows.empty(); }
  const Row& first() const { return rows.front(); }
};

class Db {
 public:
  virtual ~Db() = default;
  virtual const Dialect& dialect() const = 0;
  /// Runs a script of statements without parameters (DDL, PRAGMAs).
  virtual Status exec(std::string_view sql) = 0;
  /// Runs one statement with `?` parameters and reads every row.
  virtual Expected<Result> query(std::string_view sql, const std::vector<Value>& params) = 0;
  /// A write transaction that serialises writers (SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN,
  /// with row locks where the SQL asks for them).
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  /// What to name in error messages: the database file or the server.
  virtual const std::string& where() const = 0;
};

/// Opens DIR/appaudit.db (created when absent) with WAL, foreign keys, synchronous=FULL and
/// a busy timeout. A file that is not SQLite fails here or on the first statement (kMalformed).
Expected<std::unique_ptr<Db>> open_sqlite_db(const std::string& path);

/// Connects to the PostgreSQL server of a libpq URI (postgresql://user@host:port/db?...), with
/// a 10 s connect timeout unless the URI sets one. Errors name the server as
/// postgresql://user@host:port/db, never the password.
Expected<std::unique_ptr<Db>> open_postgres_db(const std::string& uri);

/// The server and database of a libpq URI as postgresql://user@host:port/db, without the
/// password: what error messages name.
std::string describe_postgres_uri(const std::string& uri);

} // namespace appaudit::store
