#pragma once
/// `appaudit serve`: the platform in one process — the HTTP API under /api/v1 (described by
/// /api/v1/openapi.json), the web dashboard's files, and a pool of scan workers that run each
/// scan in its own limited process. State lives in the store (SQLite in the data folder by
/// default) and the blob store (DIR/blobs). See docs/platform.md.

#include <cstdint>
#include <string>
#include <vector>

#include "server/worker.hpp"

namespace appaudit::server {

struct ServeOptions {
  std::string data_dir = "appaudit-data";
  std::string db; ///< a postgresql:// URI, or empty for SQLite in data_dir
  std::string host = "127.0.0.1";
  int port = 8080; ///< 0: any free port (printed at start)
  int workers = 1; ///< scan worker processes at once
  int http_threads = 8;
  std::string web_dir; ///< built dashboard; empty: found next to the binary
  std::string scanner; ///< binary that runs scans; empty: this one
  ScanLimits limits;
  int max_upload_mb = 2048; ///< largest accepted upload
  int lease_seconds = 60;   ///< a claimed scan without heartbeat is taken over after this
  /// APKs submitted at start by a "demo" regulator (README's main command), with their
  /// source channel "sample".
  std::vector<std::string> samples;
};

/// Runs until SIGINT or SIGTERM. Prints "appaudit: serving http://HOST:PORT" on stdout once
/// it accepts connections. Returns the process exit code (2 with a message on stderr when it
/// cannot start).
int serve(const ServeOptions& options);

} // namespace appaudit::server
