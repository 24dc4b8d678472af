// The SQLite connection behind Db: WAL journal, foreign keys on, synchronous=FULL, a busy
// timeout, and BEGIN IMMEDIATE write transactions so that concurrent writers (threads with
// their own connection, or processes) queue on the database lock instead of failing half-way.
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "store/db.hpp"

namespace appaudit::store {

bool Row::null(size_t c) const {
  return c >= cells_.size() || cells_[c].kind == Value::Kind::kNull;
}

int64_t Row::i64(size_t c) const {
  if (c >= cells_.size()) return 0;
  const Value& v = cells_[c];
  if (v.kind == Value::Kind::kInt) return v.i;
  if (v.kind == Value::Kind::kNull) return 0;
  int64_t out = 0;
  bool neg = false;
  size_t i = 0;
  if (!v.s.empty() && v.s[0] == '-') {
    neg = true;
    i = 1;
  }
  for (; i < v.s.size() && v.s[i] >= '0' && v.s[i] <= '9'; ++i) out = out * 10 + (v.s[i] - '0');
  return neg ? -out : out;
}

std::optional<int64_t> Row::opt(size_t c) const {
  if (null(c)) return std::nullopt;
  return i64(c);
}

std::string Row::text(size_t c) const {
  if (c >= cells_.size()) return {};
  const Value& v = cells_[c];
  if (v.kind == Value::Kind::kInt) return std::to_string(v.i);
  return v.s;
}

namespace {

constexpr int kBusyTimeoutMs = 10'000;

class SqliteDb final : public Db {
 public:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteDb() override { sqlite3_close_v2(db_); }

  const Dialect& dialect() const override { return sqlite_dialect(); }
  const std::string& where() const override { return path_; }

  Status exec(std::string_view sql) override {
    char* msg = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return {};
    std::string m = msg ? msg : sqlite3_errstr(rc);
    sqlite3_free(msg);
    return error(rc, m);
  }

  Expected<Result> query(std::string_view sql, const std::vector<Value>& params) override {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(st);
      return error(rc, sqlite3_errmsg(db_));
    }
    if (static_cast<size_t>(sqlite3_bind_parameter_count(st)) != params.size()) {
      // A programming error, caught here for both backends' sake (PostgreSQL refuses it too).
      const std::string msg = "statement has " + std::to_string(sqlite3_bind_parameter_count(st)) +
                              " parameters, " + std::to_string(params.size()) + " given";
      sqlite3_finalize(st);
      return make_error(Errc::kIo, msg, path_);
    }
    int i = 1;
    for (const Value& p : params) {
      switch (p.kind) {
        case Value::Kind::kNull: sqlite3_bind_null(st, i); break;
        case Value::Kind::kInt: sqlite3_bind_int64(st, i, p.i); break;
        case Value::Kind::kText:
          sqlite3_bind_text(st, i, p.s.data(), static_cast<int>(p.s.size()), SQLITE_TRANSIENT);
          break;
      }
      ++i;
    }
    Result out;
    const int columns = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      std::vector<Value> cells(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        Value& v = cells[static_cast<size_t>(c)];
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_NULL: break;
          case SQLITE_INTEGER:
            v.kind = Value::Kind::kInt;
            v.i = sqlite3_column_int64(st, c);
            break;
          default: {
            const auto* p = sqlite3_column_text(st, c);
            v.kind = Value::Kind::kText;
            if (p != nullptr) {
              v.s.assign(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(st, c)));
            }
          }
        }
      }
      out.rows.emplace_back(std::move(cells));
    }
    if (rc != SQLITE_DONE) {
      Error e = error(rc, sqlite3_errmsg(db_));
      sqlite3_finalize(st);
      return e;
    }
    out.changes = sqlite3_changes(db_);
    sqlite3_finalize(st);
    return out;
  }

  Status begin() override { return exec("BEGIN IMMEDIATE"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  Error error(int rc, const std::string& msg) const {
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
      return make_error(Errc::kMalformed, "not a usable appaudit database: " + msg, path_);
    }
    return make_error(Errc::kIo, msg, path_);
  }

  sqlite3* db_;
  std::string path_;
};

} // namespace

Expected<std::unique_ptr<Db>> open_sqlite_db(const std::string& path) {
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
  // Switching a fresh file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY to
  // a connection racing another for it without calling the busy handler (several processes
  // opening a new data folder at once): retry for up to the busy timeout.
  for (int waited = 0; waited < kBusyTimeoutMs; waited += 10) {
    const int busy = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if ((busy & 0xff) != SQLITE_BUSY && (busy & 0xff) != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto out = std::make_unique<SqliteDb>(db, path);
  // The first statements read the file header: a non-database fails here, clearly.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=FULL"}) {
    if (Status s = out->exec(pragma); !s) return s.error();
  }
  return std::unique_ptr<Db>(std::move(out));
}

} // namespace appaudit::store
