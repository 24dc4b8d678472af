#pragma once
/// Scan workers: threads that claim queued scans, run each in a separate process with CPU,
/// memory and wall-clock limits (a hostile APK can kill only its own scan), heartbeat the
/// lease while it runs, and record the report, the app, its version and the findings through
/// Store::complete_scan — or the failure with its reason.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "queue/job_queue.hpp"
#include "store/blob_store.hpp"
#include "store/store.hpp"

namespace appaudit::server {

struct ScanLimits {
  int cpu_seconds = 300;                ///< RLIMIT_CPU of the scan process
  uint64_t memory_bytes = 4ull << 30;   ///< RLIMIT_AS of the scan process
  int wall_seconds = 600;               ///< killed after this long, whatever it does
  uint64_t output_bytes = 512ull << 20; ///< RLIMIT_FSIZE: the report file
};

struct IsolatedScan {
  bool ok = false;
  std::string report_json; ///< when ok
  std::string error;       ///< when not: what happened, for the scan's `error`
};

/// Runs `scanner scan APK --format json -o OUT [--app-type T] [--policy FILE]` in a child
/// process under `limits`, calling `tick` about every 100 ms while it runs (for heartbeats).
/// Never throws.
IsolatedScan run_isolated_scan(const std::string& scanner, const std::string& apk_path,
                               const std::string& app_type, const std::string& policy_path,
                               const std::string& work_dir, const ScanLimits& limits,
                               const std::function<void()>& tick);

/// What a report says about the app and its findings, for the store.
Expected<store::ScanOutcome> read_outcome(const std::string& report_json);

struct WorkerOptions {
  int workers = 1;
  std::string scanner;  ///< the appaudit binary that runs scans
  std::string work_dir; ///< for reports in progress
  ScanLimits limits;
  int64_t lease_ms = 60'000;
  std::string name = "worker"; ///< prefix of the worker ids in the queue
};

/// A pool of worker threads, each with its own store connection.
class WorkerPool {
 public:
  /// `open_store` opens one connection per worker; `blobs` holds the submitted bytes.
  WorkerPool(std::function<Expected<std::unique_ptr<store::Store>>()> open_store,
             const store::BlobStore& blobs, WorkerOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  Status start();
  /// Wakes idle workers at once (a submission arrived).
  void notify();
  void stop();

 private:
  void run(int index, std::unique_ptr<store::Store> store);
  void process(store::Store& store, queue::JobQueue& queue, queue::Job& job);

  std::function<Expected<std::unique_ptr<store::Store>>()> open_store_;
  const store::BlobStore& blobs_;
  WorkerOptions options_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;
};

} // namespace appaudit::server
