#pragma once
/// The scan job queue: workers claim scans with a lease, renew it while they work, and end
/// each scan as done (with the report) or failed (with an error).
///
/// `JobQueue` is the interface the server and the workers use, so that the queue can move
/// from the store's scans table (`make_store_queue`, the one-machine default) to Redis
/// Streams (consumer groups, XAUTOCLAIM for expired leases) when workers run on many machines,
/// without touching them. Semantics every implementation keeps (docs/platform.md):
///  - at most one worker holds a job at a time (a claim is atomic);
///  - a job whose lease runs out (its worker died or hung) is claimed again, up to
///    `max_attempts` claims, after which it ends as failed;
///  - a job ends in exactly one result: complete/fail succeed only for the current holder
///    (the attempt number fences stale workers).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace appaudit::store {
class Store;
}

namespace appaudit::queue {

struct Job {
  int64_t scan_id = 0;
  int64_t submission_id = 0;
  std::string sha256; ///< the APK's blob name
  int attempt = 0;    ///< 1 on the first claim; fences complete/fail/heartbeat
  std::string worker;
  int64_t lease_until = 0; ///< milliseconds since the Unix epoch
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;
  /// Makes sure scan `scan_id` waits for a worker (a no-op when it already does; a finished
  /// scan is queued again; a running one is an error).
  virtual Status enqueue(int64_t scan_id) = 0;
  /// The oldest waiting job, now held by `worker_id` for `lease`, or nullopt when none waits.
  /// Jobs whose lease ran out are requeued first.
  virtual Expected<std::optional<Job>> claim(std::string_view worker_id,
                                             std::chrono::milliseconds lease) = 0;
  /// Extends the lease of a held job (`job.lease_until` is updated).
  virtual Status heartbeat(Job& job, std::chrono::milliseconds lease) = 0;
  /// Ends a held job as done with its report. Fails if the lease was lost.
  virtual Status complete(const Job& job, std::string_view report_json) = 0;
  /// Ends a held job as failed with an error message. Fails if the lease was lost.
  virtual Status fail(const Job& job, std::string_view error) = 0;
  /// Requeues (or fails, past max_attempts) jobs whose lease ran out; returns how many.
  virtual Expected<int64_t> requeue_expired() = 0;
};

struct QueueOptions {
  /// Claims of one job before an expired lease ends it as failed (a poison APK that kills its
  /// worker every time must not loop forever).
  int max_attempts = 3;
  /// Milliseconds since the Unix epoch; the system clock when empty (tests inject their own).
  std::function<int64_t()> clock;
};

/// The queue on the store's scans table (status, attempts, worker, lease_until). Jobs are the
/// scans Store::submit creates. The store must outlive the queue.
std::unique_ptr<JobQueue> make_store_queue(store::Store& store, QueueOptions options = {});

} // namespace appaudit::queue
