// The PostgreSQL connection behind Db (libpq). The store's SQL is written with `?` placeholders;
// they are rewritten here to $1, $2, ... (outside quoted literals and identifiers). Parameters
// go as text with a type: integers as INT8, text as TEXT, NULL as "unknown" so the server infers
// it from the column. Typed parameters keep the SQL portable: `LIMIT ?`, `attempts = ?` on an
// INTEGER column and `COALESCE(started_at, ?)` all resolve without casts in the SQL.
//
// Transactions are plain BEGIN (READ COMMITTED). The one place where two writers could pick the
// same row, the claim of a queued scan, locks its row with the dialect's FOR UPDATE SKIP LOCKED
// (sql_store.cpp), so concurrent claimers skip each other instead of waiting or double-claiming.
//
// Error messages name the server as postgresql://user@host:port/db, never the password.
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace appaudit::store {
namespace {

// Built-in type OIDs (catalog/pg_type.dat; stable across PostgreSQL versions).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kUnknownOid = 0;

/// One line: libpq's messages end in newlines and may have a tab-indented hint line.
std::string one_line(const char* msg) {
  std::string out;
  for (const char* p = msg ? msg : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += *p;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

/// The password of a URI (userinfo `user:password@` or a `password=` parameter), or "".
std::vector<std::string> passwords_in(const std::string& uri) {
  std::vector<std::string> out;
  const size_t scheme = uri.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = uri.find_first_of("/?", start);
    const std::string authority = uri.substr(start, end == std::string::npos ? end : end - start);
    const size_t at = authority.rfind('@');
    if (at != std::string::npos) {
      const std::string userinfo = authority.substr(0, at);
      const size_t colon = userinfo.find(':');
      if (colon != std::string::npos && colon + 1 < userinfo.size()) {
        out.push_back(userinfo.substr(colon + 1));
      }
    }
  }
  for (size_t pos = uri.find("password="); pos != std::string::npos;
       pos = uri.find("password=", pos + 1)) {
    const size_t start = pos + 9;
    const size_t end = uri.find_first_of("& ", start);
    std::string p = uri.substr(start, end == std::string::npos ? end : end - start);
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

/// `text` with every occurrence of a password of `uri` replaced by "***".
std::string redact(std::string text, const std::string& uri) {
  for (const std::string& p : passwords_in(uri)) {
    for (size_t pos = text.find(p); pos != std::string::npos; pos = text.find(p, pos + 3)) {
      text.replace(pos, p.size(), "***");
    }
  }
  return text;
}

/// The statement with `?` rewritten to $1, $2, ...; `?` inside '...' literals, "..." identifiers
/// and -- comments is left alone. Returns the number of parameters in `count`.
std::string number_placeholders(std::string_view sql, size_t* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  size_t n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // Copy through the closing quote; a doubled quote is an escaped one and stays inside.
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  *count = n;
  return out;
}

class PostgresDb final : public Db {
 public:
  PostgresDb(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}
  ~PostgresDb() override { PQfinish(conn_); }

  const Dialect& dialect() const override { return postgres_dialect(); }
  const std::string& where() const override { return where_; }

  Status exec(std::string_view sql) override {
    // PQexec runs a script of several statements (the migrations) in one call.
    const std::string text(sql);
    reconnect_if_lost();
    PGresult* res = PQexec(conn_, text.c_str());
    if (!in_tx_ && PQstatus(conn_) == CONNECTION_BAD) {
      // As in query(): outside a transaction (BEGIN included) the call is sent again once.
      PQclear(res);
      reconnect_if_lost();
      res = PQexec(conn_, text.c_str());
    }
    Status out = check(res);
    PQclear(res);
    return out;
  }

  Expected<Result> query(std::string_view sql, const std::vector<Value>& params) override {
    size_t count = 0;
    const std::string text = number_placeholders(sql, &count);
    if (count != params.size()) {
      return make_error(Errc::kIo,
                        "statement has " + std::to_string(count) + " parameters, " +
                            std::to_string(params.size()) + " given",
                        where_);
    }
    std::vector<Oid> types(params.size());
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& p = params[i];
      switch (p.kind) {
        case Value::Kind::kNull:
          types[i] = kUnknownOid;
          values[i] = nullptr;
          break;
        case Value::Kind::kInt:
          types[i] = kInt8Oid;
          storage[i] = std::to_string(p.i);
          values[i] = storage[i].c_str();
          break;
        case Value::Kind::kText:
          types[i] = kTextOid;
          values[i] = p.s.c_str();
          break;
      }
    }
    reconnect_if_lost();
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), nullptr, nullptr, 0);
    if (!in_tx_ && PQstatus(conn_) == CONNECTION_BAD) {
      // Lost the connection outside a transaction (the server restarted, or an administrator
      // ended the session): a statement on its own is safe to send again once reconnected.
      PQclear(res);
      reconnect_if_lost();
      res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), types.data(),
                         values.data(), nullptr, nullptr, 0);
    }
    if (Status st = check(res); !st) {
      PQclear(res);
      return st.error();
    }
    Result out;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
      const int rows = PQntuples(res);
      const int columns = PQnfields(res);
      out.rows.reserve(static_cast<size_t>(rows));
      for (int r = 0; r < rows; ++r) {
        std::vector<Value> cells(static_cast<size_t>(columns));
        for (int c = 0; c < columns; ++c) {
          if (PQgetisnull(res, r, c)) continue;
          Value& v = cells[static_cast<size_t>(c)];
          v.kind = Value::Kind::kText; // Row parses integers from text
          v.s.assign(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c)));
        }
        out.rows.emplace_back(std::move(cells));
      }
    }
    const char* changed = PQcmdTuples(res);
    out.changes = changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
    PQclear(res);
    return out;
  }

  // A transaction cut by a lost connection fails as a whole (the caller gets the error, the
  // server rolled it back); the next transaction starts on a fresh connection.
  Status begin() override {
    Status st = exec("BEGIN");
    in_tx_ = st.ok();
    return st;
  }
  Status commit() override {
    Status st = exec("COMMIT");
    in_tx_ = false;
    return st;
  }
  void rollback() override {
    in_tx_ = false;
    if (PQstatus(conn_) == CONNECTION_BAD) return;
    PQclear(PQexec(conn_, "ROLLBACK"));
  }

 private:
  /// kIo with the server's message (and its SQLSTATE), or success.
  Status check(PGresult* res) const {
    const ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return {};
    std::string msg = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (msg.empty()) msg = one_line(PQerrorMessage(conn_));
    if (res != nullptr) {
      if (const char* code = PQresultErrorField(res, PG_DIAG_SQLSTATE)) {
        msg += std::string(" (SQLSTATE ") + code + ")";
      }
    }
    if (PQstatus(conn_) == CONNECTION_BAD) msg = "lost the connection: " + msg;
    return make_error(Errc::kIo, msg, where_);
  }

  /// Outside a transaction, a connection found broken is re-opened with the same parameters
  /// (PQreset). If the server is still away, the statement that follows fails with its error.
  void reconnect_if_lost() {
    if (in_tx_ || PQstatus(conn_) != CONNECTION_BAD) return;
    PQreset(conn_);
  }

  PGconn* conn_;
  std::string where_;
  bool in_tx_ = false;
};

void ignore_notice(void*, const char*) {}

} // namespace

std::string describe_postgres_uri(const std::string& uri) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(uri.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "the PostgreSQL server (an unparsable URI)";
  }
  std::string user, host, hostaddr, port, db;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string k = o->keyword;
    if (k == "user") user = o->val;
    if (k == "host") host = o->val;
    if (k == "hostaddr") hostaddr = o->val;
    if (k == "port") port = o->val;
    if (k == "dbname") db = o->val;
  }
  PQconninfoFree(opts);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  out += host;
  if (!port.empty()) out += ":" + port;
  out += "/" + db;
  return redact(out, uri);
}

Expected<std::unique_ptr<Db>> open_postgres_db(const std::string& uri) {
  const std::string where = describe_postgres_uri(uri);
  // The URI's own settings win over these defaults (they come after in expand_dbname order).
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "appaudit", uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, 1);
  if (conn == nullptr) return make_error(Errc::kIo, "cannot connect: out of memory", where);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = redact(one_line(PQerrorMessage(conn)), uri);
    PQfinish(conn);
    return make_error(Errc::kIo, "cannot connect to PostgreSQL: " + msg, where);
  }
  // Notices ("relation already exists, skipping") are not errors and must not reach stderr.
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  auto db = std::make_unique<PostgresDb>(conn, where);
  // Times are BIGINT milliseconds and text is UTF-8: nothing depends on the session's time zone,
  // but the encoding must be fixed.
  if (Status s = db->exec("SET client_encoding = 'UTF8'"); !s) return s.error();
  return std::unique_ptr<Db>(std::move(db));
}

} // namespace appaudit::store
