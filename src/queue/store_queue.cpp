// JobQueue on the store's scans table (see job_queue.hpp). All the atomicity lives in the
// store's claim_scan / finish_scan / extend_lease transactions; this class adds the clock,
// the attempt limit and the Job shape.
#include "queue/job_queue.hpp"
#include "store/store.hpp"

namespace appaudit::queue {
namespace {

class StoreJobQueue final : public JobQueue {
 public:
  StoreJobQueue(store::Store& s, QueueOptions options) : store_(s), options_(std::move(options)) {
    if (!options_.clock) options_.clock = [] { return store::now_ms(); };
    if (options_.max_attempts < 1) options_.max_attempts = 1;
  }

  Status enqueue(int64_t scan_id) override { return store_.requeue_scan(scan_id); }

  Expected<std::optional<Job>> claim(std::string_view worker_id,
                                     std::chrono::milliseconds lease) override {
    auto c = store_.claim_scan(worker_id, options_.clock(), lease.count(), options_.max_attempts);
    if (!c) return c.error();
    if (!c->has_value()) return std::optional<Job>{};
    const store::ClaimedScan& s = **c;
    Job job;
    job.scan_id = s.scan_id;
    job.submission_id = s.submission_id;
    job.sha256 = s.sha256;
    job.attempt = s.attempt;
    job.worker = std::string(worker_id);
    job.lease_until = s.lease_until;
    return std::optional<Job>(std::move(job));
  }

  Status heartbeat(Job& job, std::chrono::milliseconds lease) override {
    const int64_t until = options_.clock() + lease.count();
    Status st = store_.extend_lease(job.scan_id, job.attempt, until);
    if (st) job.lease_until = until;
    return st;
  }

  Status complete(const Job& job, std::string_view report_json) override {
    return store_.finish_scan(job.scan_id, job.attempt, store::ScanStatus::kDone, report_json,
                              options_.clock());
  }

  Status fail(const Job& job, std::string_view error) override {
    return store_.finish_scan(job.scan_id, job.attempt, store::ScanStatus::kFailed, error,
                              options_.clock());
  }

  Expected<int64_t> requeue_expired() override {
    return store_.requeue_expired(options_.clock(), options_.max_attempts);
  }

 private:
  store::Store& store_;
  QueueOptions options_;
};

} // namespace

std::unique_ptr<JobQueue> make_store_queue(store::Store& store, QueueOptions options) {
  return std::make_unique<StoreJobQueue>(store, std::move(options));
}

} // namespace appaudit::queue
