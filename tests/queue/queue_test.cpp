// The job queue on the store, on SQLite and on PostgreSQL: claims, leases, fencing,
// concurrency, and a worker killed with SIGKILL in the middle of its jobs.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "queue/job_queue.hpp"
#include "store/backend.hpp"
#include "store/blob_store.hpp"
#include "store/store.hpp"

namespace appaudit::queue {
namespace {

using namespace std::chrono_literals;
using store::ScanStatus;
using test::BackendTest;

/// Submits `n` distinct APKs; returns their scan ids.
std::vector<int64_t> submit_n(store::Store& s, int n, const std::string& tag = "apk") {
  std::vector<int64_t> ids;
  for (int i = 0; i < n; ++i) {
    auto r = s.submit(store::sha256_hex(tag + std::to_string(i)), 100 + i, {}, std::nullopt, false);
    EXPECT_TRUE(r.has_value());
    if (r) ids.push_back(r->scan_id);
  }
  return ids;
}

store::Scan get_scan(store::Store& s, int64_t id) {
  auto r = s.scan(id);
  EXPECT_TRUE(r.has_value() && r->has_value());
  return r && r->has_value() ? **r : store::Scan{};
}

struct FakeClock {
  std::atomic<int64_t> now{1'000'000};
  std::function<int64_t()> fn() {
    return [this] { return now.load(); };
  }
};

/// The queue tests, once on SQLite and once on PostgreSQL.
class Queue : public BackendTest {};
APPAUDIT_ON_BOTH_BACKENDS(Queue);

/// A fresh store (SQLite or PostgreSQL) and a queue on it with a fake clock.
class QueueTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    s_ = db().open();
    ASSERT_TRUE(s_);
  }
  std::unique_ptr<JobQueue> queue(int max_attempts = 3) {
    return make_store_queue(*s_, {max_attempts, clock_.fn()});
  }
  std::unique_ptr<store::Store> s_;
  FakeClock clock_;
};
APPAUDIT_ON_BOTH_BACKENDS(QueueTest);

TEST_P(QueueTest, ClaimCompleteFail) {
  auto q = queue();
  auto none = q->claim("w1", 1s);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value()); // empty queue

  const auto ids = submit_n(*s_, 2);
  auto j1 = q->claim("w1", 1s);
  ASSERT_TRUE(j1.has_value() && j1->has_value());
  EXPECT_EQ((*j1)->scan_id, ids[0]); // oldest first
  EXPECT_EQ((*j1)->attempt, 1);
  EXPECT_EQ((*j1)->sha256, store::sha256_hex("apk0"));
  EXPECT_EQ((*j1)->lease_until, clock_.now + 1000);
  auto running = get_scan(*s_, ids[0]);
  EXPECT_EQ(running.status, ScanStatus::kRunning);
  EXPECT_EQ(running.worker, "w1");
  EXPECT_EQ(running.started_at, clock_.now.load());

  auto j2 = q->claim("w2", 1s);
  ASSERT_TRUE(j2.has_value() && j2->has_value());
  EXPECT_EQ((*j2)->scan_id, ids[1]);
  auto empty = q->claim("w3", 1s);
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->has_value()); // both held

  ASSERT_TRUE(q->complete(**j1, R"({"ok":true})"));
  ASSERT_TRUE(q->fail(**j2, "not a ZIP archive"));
  EXPECT_FALSE(q->complete(**j1, "again")); // exactly one result
  EXPECT_FALSE(q->fail(**j2, "again"));

  auto done = get_scan(*s_, ids[0]);
  EXPECT_EQ(done.status, ScanStatus::kDone);
  EXPECT_EQ(done.report_json, R"({"ok":true})");
  EXPECT_TRUE(done.finished_at.has_value());
  auto failed = get_scan(*s_, ids[1]);
  EXPECT_EQ(failed.status, ScanStatus::kFailed);
  EXPECT_EQ(failed.error, "not a ZIP archive");
  EXPECT_TRUE(failed.report_json.empty());
}

TEST_P(QueueTest, ExpiredLeaseIsRequeuedAndTheStaleWorkerFenced) {
  auto q = queue();
  const auto ids = submit_n(*s_, 1);
  auto a = q->claim("slow", 100ms);
  ASSERT_TRUE(a.has_value() && a->has_value());

  clock_.now += 50; // within the lease: nothing to take, nothing to requeue
  auto early = q->claim("other", 100ms);
  ASSERT_TRUE(early.has_value());
  EXPECT_FALSE(early->has_value());
  auto n = q->requeue_expired();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 0);

  clock_.now += 100; // lease over
  auto b = q->claim("other", 100ms);
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_EQ((*b)->scan_id, ids[0]);
  EXPECT_EQ((*b)->attempt, 2);
  // The first worker wakes up: it may neither renew nor finish.
  EXPECT_FALSE(q->heartbeat(**a, 100ms));
  Status late = q->complete(**a, "stale");
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("lease"), std::string::npos);
  ASSERT_TRUE(q->complete(**b, "fresh"));
  auto sc = get_scan(*s_, ids[0]);
  EXPECT_EQ(sc.status, ScanStatus::kDone);
  EXPECT_EQ(sc.report_json, "fresh");
  EXPECT_EQ(sc.attempts, 2);
}

TEST_P(QueueTest, HeartbeatKeepsTheLease) {
  auto q = queue();
  submit_n(*s_, 1);
  auto a = q->claim("w", 1s);
  ASSERT_TRUE(a.has_value() && a->has_value());
  Job job = **a;
  for (int i = 0; i < 5; ++i) {
    clock_.now += 900;
    ASSERT_TRUE(q->heartbeat(job, 1s));
    EXPECT_EQ(job.lease_until, clock_.now + 1000);
    auto n = q->requeue_expired();
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 0);
  }
  clock_.now += 1001;
  auto n = q->requeue_expired();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 1);
}

TEST_P(QueueTest, PoisonJobFailsAfterMaxAttempts) {
  auto q = queue(2);
  const auto ids = submit_n(*s_, 1);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto j = q->claim("doomed", 100ms);
    ASSERT_TRUE(j.has_value() && j->has_value());
    EXPECT_EQ((*j)->attempt, attempt);
    clock_.now += 200; // the worker dies every time
  }
  auto j = q->claim("next", 100ms);
  ASSERT_TRUE(j.has_value());
  EXPECT_FALSE(j->has_value());
  auto sc = get_scan(*s_, ids[0]);
  EXPECT_EQ(sc.status, ScanStatus::kFailed);
  EXPECT_NE(sc.error.find("lost 2 times"), std::string::npos) << sc.error;
}

TEST_P(Queue, EnqueueRequeuesFinishedScans) {
  auto s = db().open();
  ASSERT_TRUE(s);
  auto q = make_store_queue(*s);
  const auto ids = submit_n(*s, 1);
  EXPECT_TRUE(q->enqueue(ids[0])); // already queued: no-op
  auto j = q->claim("w", 10s);
  ASSERT_TRUE(j.has_value() && j->has_value());
  EXPECT_FALSE(q->enqueue(ids[0])); // running
  ASSERT_TRUE(q->complete(**j, "{}"));
  ASSERT_TRUE(q->enqueue(ids[0]));
  auto again = q->claim("w", 10s);
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ((*again)->attempt, 2);
  EXPECT_FALSE(q->enqueue(987654)); // no such scan
}

TEST_P(Queue, ConcurrentWorkersProcessEachJobOnce) {
  constexpr int kThreads = 6;
  constexpr int kJobsPerThread = 25;
  auto s = db().open();
  ASSERT_TRUE(s);
  const auto ids = submit_n(*s, kThreads * kJobsPerThread);
  std::mutex mu;
  std::map<int64_t, int> completions;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the workers have their own connection (like separate processes), half share one.
      std::unique_ptr<store::Store> own;
      if (t % 2 == 0) own = db().open();
      store::Store& st = own ? *own : *s;
      auto q = make_store_queue(st);
      const std::string name = "worker" + std::to_string(t);
      while (true) {
        auto j = q->claim(name, 30s);
        if (!j) {
          ++errors;
          return;
        }
        if (!j->has_value()) return;
        if (!q->complete(**j, name)) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        ++completions[(*j)->scan_id];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(completions.size(), ids.size());
  for (int64_t id : ids) {
    EXPECT_EQ(completions[id], 1) << "scan " << id;
    auto sc = get_scan(*s, id);
    EXPECT_EQ(sc.status, ScanStatus::kDone);
    EXPECT_EQ(sc.attempts, 1);
  }
}

/// PostgreSQL only: claims skip rows that another transaction holds (FOR UPDATE SKIP LOCKED)
/// instead of waiting for it. SQLite has one writer at a time, so there is no such case.
class QueuePostgres : public BackendTest {};
INSTANTIATE_TEST_SUITE_P(Backends, QueuePostgres, ::testing::Values(test::Backend::kPostgres),
                         test::backend_name);

TEST_P(QueuePostgres, ClaimSkipsAScanLockedByAnotherTransaction) {
  // A claim that waited for the lock would run into lock_timeout and fail instead of hanging.
  auto s = store::open_store(db().spec() + "&options=-c%20lock_timeout%3D3000");
  ASSERT_TRUE(s.has_value()) << s.error().to_string();
  const auto ids = submit_n(**s, 2);
  PGconn* other = PQconnectdb(db().spec().c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  PQclear(PQexec(other, "BEGIN"));
  PGresult* lock = PQexec(
      other, ("SELECT id FROM scans WHERE id = " + std::to_string(ids[0]) + " FOR UPDATE").c_str());
  ASSERT_EQ(PQresultStatus(lock), PGRES_TUPLES_OK) << PQresultErrorMessage(lock);
  PQclear(lock);
  auto q = make_store_queue(**s);
  auto j = q->claim("w", 10s);
  ASSERT_TRUE(j.has_value()) << j.error().to_string();
  ASSERT_TRUE(j->has_value());
  EXPECT_EQ((*j)->scan_id, ids[1]); // the oldest unlocked one
  auto none = q->claim("w2", 10s);
  ASSERT_TRUE(none.has_value()) << none.error().to_string();
  EXPECT_FALSE(none->has_value()); // the locked one is skipped, not waited for
  PQclear(PQexec(other, "ROLLBACK"));
  PQfinish(other);
  auto again = q->claim("w2", 10s);
  ASSERT_TRUE(again.has_value() && again->has_value());
  EXPECT_EQ((*again)->scan_id, ids[0]);
}

// A worker process claims jobs and completes them one by one, telling the parent through a
// pipe; the parent SIGKILLs it in the middle of a job. After the lease runs out the parent
// requeues and finishes the rest: every scan ends done, exactly once.
class QueueCrash : public BackendTest {};
APPAUDIT_ON_BOTH_BACKENDS(QueueCrash);

TEST_P(QueueCrash, KilledWorkerJobsAreRequeuedAndFinishedOnce) {
  constexpr int kJobs = 12;
  std::vector<int64_t> ids;
  {
    auto s = db().open();
    ASSERT_TRUE(s);
    ids = submit_n(*s, kJobs);
  } // no connection crosses fork()
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto s = store::open_store(db().spec());
    if (!s) ::_exit(3);
    auto q = make_store_queue(**s);
    while (true) {
      auto j = q->claim("child", 2s);
      if (!j || !j->has_value()) break;
      char line[64];
      int n = std::snprintf(line, sizeof line, "C %lld\n", static_cast<long long>((*j)->scan_id));
      if (::write(fds[1], line, static_cast<size_t>(n)) != n) ::_exit(4);
      if ((*j)->scan_id == ids[4]) ::pause(); // mid-job: the parent kills us here
      if (!q->complete(**j, "child")) ::_exit(5);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  // Wait until the child has claimed the fifth job, then kill it.
  std::string got;
  char buf[256];
  const std::string marker = "C " + std::to_string(ids[4]) + "\n";
  while (got.find(marker) == std::string::npos) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the child ended early";
    got.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ::close(fds[0]);

  auto s = db().open(); // "restart"
  ASSERT_TRUE(s);
  // Before the lease runs out the killed worker's job stays with it.
  auto sc4 = get_scan(*s, ids[4]);
  EXPECT_EQ(sc4.status, ScanStatus::kRunning);
  EXPECT_EQ(sc4.worker, "child");
  // Later (the clock moved past the lease): requeued, claimed again, finished by the parent.
  FakeClock later;
  later.now = store::now_ms() + 60'000;
  auto q = make_store_queue(*s, {3, later.fn()});
  auto requeued = q->requeue_expired();
  ASSERT_TRUE(requeued.has_value());
  EXPECT_EQ(*requeued, 1);
  std::set<int64_t> parent_done;
  while (true) {
    auto j = q->claim("parent", 2s);
    ASSERT_TRUE(j.has_value());
    if (!j->has_value()) break;
    ASSERT_TRUE(q->complete(**j, "parent"));
    EXPECT_TRUE(parent_done.insert((*j)->scan_id).second);
  }
  EXPECT_TRUE(parent_done.count(ids[4]));
  int by_child = 0;
  for (int64_t id : ids) {
    auto sc = get_scan(*s, id);
    EXPECT_EQ(sc.status, ScanStatus::kDone) << "scan " << id;
    if (sc.report_json == "child") {
      ++by_child;
      EXPECT_FALSE(parent_done.count(id)) << "scan " << id << " finished twice";
    } else {
      EXPECT_EQ(sc.report_json, "parent");
    }
  }
  EXPECT_EQ(by_child, 4); // ids[0..3]
  EXPECT_EQ(by_child + static_cast<int>(parent_done.size()), kJobs);
  EXPECT_EQ(get_scan(*s, ids[4]).attempts, 2);
  auto counts = s->count_scans_by_status();
  ASSERT_TRUE(counts.has_value());
  EXPECT_EQ((*counts)[static_cast<size_t>(ScanStatus::kDone)], kJobs);
}

} // namespace
} // namespace appaudit::queue
