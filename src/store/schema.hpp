#pragma once
/// The database schema, written once for SQLite and PostgreSQL.
///
/// The DDL uses a portable subset (TEXT, INTEGER, BIGINT, CHECK, REFERENCES, UNIQUE, indexes;
/// times as BIGINT milliseconds, JSON as TEXT, flags as INTEGER 0/1). What differs between the
/// two databases is all in `Dialect`: the auto-numbered primary key, and the row-locking
/// clause that lets concurrent PostgreSQL workers skip each other's claims. Statements use `?`
/// placeholders; a PostgreSQL backend rewrites them to $1, $2, ...
///
/// Migrations are numbered; `schema_migrations` records the ones applied. A migration is never
/// edited once released: a change is a new migration appended to the list.

#include <string>
#include <vector>

namespace appaudit::store {

struct Dialect {
  const char* name;
  /// Column definition of an auto-numbered 64-bit primary key.
  const char* id_primary_key;
  /// Appended to the SELECT that picks the next queued scan.
  const char* claim_lock;
};

const Dialect& sqlite_dialect();
const Dialect& postgres_dialect();

struct Migration {
  int version;
  const char* name;
  std::string sql; ///< one or more statements separated by ';', with the dialect applied
};

/// All migrations, lowest version first, rendered for `dialect`.
std::vector<Migration> migrations(const Dialect& dialect);

/// DDL of the table that records applied migrations.
std::string migrations_table_sql();

} // namespace appaudit::store
