// The schema: portable DDL plus the dialect table (see schema.hpp).
#include "store/schema.hpp"

#include <string_view>

namespace appaudit::store {
namespace {

// {id} is the dialect's auto-numbered primary key. Nothing else here may be dialect-specific.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE enterprises (
  id {id},
  name TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE TABLE distributors (
  id {id},
  name TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL
);
CREATE TABLE users (
  id {id},
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('regulator', 'enterprise', 'distributor')),
  enterprise_id BIGINT REFERENCES enterprises (id),
  distributor_id BIGINT REFERENCES distributors (id),
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  CHECK (role <> 'enterprise' OR enterprise_id IS NOT NULL),
  CHECK (role <> 'distributor' OR distributor_id IS NOT NULL)
);
CREATE TABLE apps (
  id {id},
  package TEXT NOT NULL UNIQUE,
  enterprise_id BIGINT REFERENCES enterprises (id),
  created_at BIGINT NOT NULL
);
CREATE TABLE app_versions (
  id {id},
  app_id BIGINT NOT NULL REFERENCES apps (id),
  version_code BIGINT NOT NULL,
  version_name TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (app_id, sha256)
);
CREATE TABLE submissions (
  id {id},
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  app_type TEXT,
  source_channel TEXT,
  enterprise_id BIGINT REFERENCES enterprises (id),
  submitted_by BIGINT REFERENCES users (id),
  recheck INTEGER NOT NULL DEFAULT 0 CHECK (recheck IN (0, 1)),
  created_at BIGINT NOT NULL
);
CREATE INDEX submissions_sha256 ON submissions (sha256);
CREATE TABLE scans (
  id {id},
  submission_id BIGINT NOT NULL REFERENCES submissions (id),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  error TEXT,
  report_json TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  worker TEXT,
  lease_until BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT
);
CREATE INDEX scans_status ON scans (status, id);
CREATE INDEX scans_submission ON scans (submission_id);
CREATE TABLE findings (
  id {id},
  scan_id BIGINT NOT NULL REFERENCES scans (id),
  rule TEXT NOT NULL,
  category TEXT,
  severity TEXT,
  party TEXT,
  json TEXT NOT NULL,
  review_state TEXT CHECK (review_state IS NULL OR
                           review_state IN ('confirmed', 'false_positive', 'waived')),
  reviewed_by BIGINT REFERENCES users (id),
  review_reason TEXT,
  reviewed_at BIGINT
);
CREATE INDEX findings_scan ON findings (scan_id);
CREATE TABLE audit_log (
  id {id},
  at BIGINT NOT NULL,
  user_id BIGINT REFERENCES users (id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
)sql";

// Migration 2: what the server's API and the regulator's workflow need. Apps get their label
// and the distributors that carry them; submissions remember the distributor that sent them;
// a submission may come with a privacy policy (a blob, by SHA-256); cases hold the findings
// they were opened on, their events, and the takedown notices.
constexpr std::string_view kV2 = R"sql(
ALTER TABLE apps ADD COLUMN label TEXT;
ALTER TABLE submissions ADD COLUMN distributor_id BIGINT REFERENCES distributors (id);
ALTER TABLE submissions ADD COLUMN policy_sha256 TEXT;
CREATE TABLE app_distributors (
  app_id BIGINT NOT NULL REFERENCES apps (id),
  distributor_id BIGINT NOT NULL REFERENCES distributors (id),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (app_id, distributor_id)
);
CREATE INDEX app_versions_sha256 ON app_versions (sha256);
CREATE INDEX findings_rule ON findings (rule);
CREATE TABLE cases (
  id {id},
  app_id BIGINT NOT NULL REFERENCES apps (id),
  enterprise_id BIGINT REFERENCES enterprises (id),
  status TEXT NOT NULL CHECK (status IN ('open', 'rectifying', 'rectified', 'notified',
                                         'taken_down')),
  deadline BIGINT,
  note TEXT,
  opened_by BIGINT REFERENCES users (id),
  scan_id BIGINT NOT NULL REFERENCES scans (id),
  recheck_scan_id BIGINT REFERENCES scans (id),
  recheck_json TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  closed_at BIGINT
);
CREATE INDEX cases_app ON cases (app_id);
CREATE INDEX cases_status ON cases (status);
CREATE TABLE case_findings (
  case_id BIGINT NOT NULL REFERENCES cases (id),
  finding_id BIGINT NOT NULL REFERENCES findings (id),
  rule TEXT NOT NULL,
  PRIMARY KEY (case_id, finding_id)
);
CREATE TABLE case_events (
  id {id},
  case_id BIGINT NOT NULL REFERENCES cases (id),
  at BIGINT NOT NULL,
  user_id BIGINT REFERENCES users (id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  note TEXT
);
CREATE INDEX case_events_case ON case_events (case_id);
CREATE TABLE notices (
  id {id},
  case_id BIGINT NOT NULL REFERENCES cases (id),
  app_id BIGINT NOT NULL REFERENCES apps (id),
  distributor_id BIGINT NOT NULL REFERENCES distributors (id),
  kind TEXT NOT NULL CHECK (kind IN ('takedown')),
  at BIGINT NOT NULL
);
CREATE INDEX notices_distributor ON notices (distributor_id);
)sql";

std::string render(std::string_view ddl, const Dialect& dialect) {
  std::string out;
  out.reserve(ddl.size() + 256);
  constexpr std::string_view kId = "{id}";
  size_t pos = 0;
  while (true) {
    const size_t hit = ddl.find(kId, pos);
    if (hit == std::string_view::npos) break;
    out.append(ddl.substr(pos, hit - pos));
    out.append(dialect.id_primary_key);
    pos = hit + kId.size();
  }
  out.append(ddl.substr(pos));
  return out;
}

} // namespace

const Dialect& sqlite_dialect() {
  // INTEGER PRIMARY KEY is SQLite's 64-bit rowid alias: numbered automatically.
  static const Dialect d{"sqlite", "INTEGER PRIMARY KEY", ""};
  return d;
}

const Dialect& postgres_dialect() {
  static const Dialect d{"postgresql", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                         " FOR UPDATE SKIP LOCKED"};
  return d;
}

std::vector<Migration> migrations(const Dialect& dialect) {
  std::vector<Migration> out;
  out.push_back({1, "initial schema", render(kV1, dialect)});
  out.push_back({2, "apps api, cases, notices", render(kV2, dialect)});
  return out;
}

std::string migrations_table_sql() {
  return "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
         "name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
}

} // namespace appaudit::store
