// Scan workers (see worker.hpp). The scan runs in a child process: fork, set the limits,
// exec the appaudit binary; the parent waits with a wall-clock deadline, heartbeating the
// lease, and reads the report the child wrote.
#include "server/worker.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace appaudit::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string read_file_capped(const std::string& path, size_t cap) {
  std::ifstream in(path, std::ios::binary);
  std::string out;
  if (!in) return out;
  out.resize(cap);
  in.read(out.data(), static_cast<std::streamsize>(cap));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The first line of the scanner's stderr, without its "appaudit: " prefix.
std::string first_error_line(const std::string& err) {
  std::string line = err.substr(0, err.find('\n'));
  constexpr std::string_view kPrefix = "appaudit: ";
  if (line.rfind(kPrefix, 0) == 0) line.erase(0, kPrefix.size());
  if (line.size() > 500) line.resize(500);
  return line;
}

void set_limit(int resource, uint64_t value) {
  struct rlimit rl {};
  rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(value);
  setrlimit(resource, &rl);
}

} // namespace

IsolatedScan run_isolated_scan(const std::string& scanner, const std::string& apk_path,
                               const std::string& app_type, const std::string& policy_path,
                               const std::string& work_dir, const ScanLimits& limits,
                               const std::function<void()>& tick) {
  IsolatedScan out;
  ::mkdir(work_dir.c_str(), 0755);
  const std::string base = work_dir + "/scan-" + std::to_string(::getpid()) + "-" +
                           std::to_string(reinterpret_cast<uintptr_t>(&out));
  const std::string report_path = base + ".json";
  const std::string err_path = base + ".err";
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = {"appaudit", "scan", apk_path,   "--format",
                                   "json",     "-o",   report_path};
  if (!app_type.empty()) {
    args.push_back("--app-type");
    args.push_back(app_type);
  }
  if (!policy_path.empty()) {
    args.push_back("--policy");
    args.push_back(policy_path);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (err_fd < 0 || null_fd < 0) {
    if (err_fd >= 0) ::close(err_fd);
    if (null_fd >= 0) ::close(null_fd);
    out.error = std::string("cannot prepare the scan process: ") + std::strerror(errno);
    return out;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    // The scan dies with its worker: a server killed with -9 leaves no scan running.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    set_limit(RLIMIT_CPU, static_cast<uint64_t>(limits.cpu_seconds));
    set_limit(RLIMIT_AS, limits.memory_bytes);
    set_limit(RLIMIT_FSIZE, limits.output_bytes);
    set_limit(RLIMIT_CORE, 0);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(scanner.c_str(), argv.data());
    _exit(127);
  }
  ::close(err_fd);
  ::close(null_fd);
  if (pid < 0) {
    out.error = std::string("cannot start the scan process: ") + std::strerror(errno);
    return out;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(limits.wall_seconds);
  int status = 0;
  bool timed_out = false;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (!timed_out && Clock::now() > deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
    }
    if (tick) tick();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string err = read_file_capped(err_path, 64 * 1024);
  ::unlink(err_path.c_str());
  if (timed_out) {
    out.error =
        "the scan took longer than " + std::to_string(limits.wall_seconds) + " s and was stopped";
  } else if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGXCPU || sig == SIGKILL) {
      out.error = "the scan process was stopped by " + std::string(strsignal(sig)) +
                  " (limits: " + std::to_string(limits.cpu_seconds) + " s CPU, " +
                  std::to_string(limits.memory_bytes >> 20) + " MiB memory)";
    } else {
      out.error = "the scan process died of " + std::string(strsignal(sig));
    }
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    out.report_json = slurp(report_path);
    out.ok = !out.report_json.empty();
    if (!out.ok) out.error = "the scan process wrote no report";
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    out.error = "cannot run the scanner " + scanner;
  } else {
    const std::string line = first_error_line(err);
    // Under RLIMIT_AS, running out shows as bad_alloc, the CLI's "out of memory", or a
    // mapping the kernel refused (ENOMEM).
    if (line.find("std::bad_alloc") != std::string::npos ||
        line.find("out of memory") != std::string::npos ||
        line.find("Cannot allocate memory") != std::string::npos) {
      out.error = "the scan ran out of its " + std::to_string(limits.memory_bytes >> 20) +
                  " MiB memory limit (" + line + ")";
    } else {
      out.error = line.empty()
                      ? "the scan process failed (exit " + std::to_string(WEXITSTATUS(status)) + ")"
                      : line;
    }
  }
  ::unlink(report_path.c_str());
  return out;
}

Expected<store::ScanOutcome> read_outcome(const std::string& report_json) {
  nlohmann::json r = nlohmann::json::parse(report_json, nullptr, false);
  if (r.is_discarded() || !r.is_object()) {
    return make_error(Errc::kMalformed, "the scan's report is not JSON");
  }
  store::ScanOutcome o;
  const auto text = [](const nlohmann::json& j, const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto app = r.find("app"); app != r.end() && app->is_object()) {
    o.package = text(*app, "package");
    o.label = text(*app, "label_zh_cn");
    if (o.label.empty()) o.label = text(*app, "label");
    o.version_name = text(*app, "version_name");
    if (auto vc = app->find("version_code"); vc != app->end() && vc->is_number_integer()) {
      o.version_code = vc->get<int64_t>();
    }
  }
  if (auto fs = r.find("findings"); fs != r.end() && fs->is_array()) {
    for (const auto& f : *fs) {
      if (!f.is_object()) continue;
      store::FindingRecord rec;
      rec.rule = text(f, "rule");
      rec.category = text(f, "category");
      rec.severity = text(f, "severity");
      rec.party = text(f, "party");
      if (rec.party.empty()) rec.party = "app";
      rec.json = f.dump();
      o.findings.push_back(std::move(rec));
    }
  }
  return o;
}

WorkerPool::WorkerPool(std::function<Expected<std::unique_ptr<store::Store>>()> open_store,
                       const store::BlobStore& blobs, WorkerOptions options)
    : open_store_(std::move(open_store)), blobs_(blobs), options_(std::move(options)) {}

WorkerPool::~WorkerPool() { stop(); }

Status WorkerPool::start() {
  for (int i = 0; i < options_.workers; ++i) {
    auto s = open_store_();
    if (!s) return s.error();
    threads_.emplace_back([this, i, st = std::move(*s)]() mutable { run(i, std::move(st)); });
  }
  return {};
}

void WorkerPool::notify() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

void WorkerPool::stop() {
  stop_ = true;
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::run(int index, std::unique_ptr<store::Store> store) {
  auto queue = queue::make_store_queue(*store);
  const std::string id =
      options_.name + "-" + std::to_string(::getpid()) + "-" + std::to_string(index);
  while (!stop_) {
    uint64_t seen;
    {
      std::lock_guard lock(mu_);
      seen = wakeups_;
    }
    auto job = queue->claim(id, std::chrono::milliseconds(options_.lease_ms));
    if (job && *job) {
      process(*store, *queue, **job);
      continue;
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(job ? 500 : 2000),
                 [&] { return stop_.load() || wakeups_ != seen; });
  }
}

void WorkerPool::process(store::Store& store, queue::JobQueue& queue, queue::Job& job) {
  const std::string path = blobs_.path_of(job.sha256);
  if (path.empty() || !blobs_.contains(job.sha256)) {
    (void)queue.fail(job, "the submitted bytes are missing from the blob store");
    return;
  }
  std::string app_type, policy_path;
  if (auto sub = store.submission(job.submission_id); sub && *sub) {
    app_type = (*sub)->app_type;
    if (!(*sub)->policy_sha256.empty()) {
      policy_path = blobs_.path_of((*sub)->policy_sha256);
      if (policy_path.empty() || !blobs_.contains((*sub)->policy_sha256)) {
        (void)queue.fail(job, "the submitted privacy policy is missing from the blob store");
        return;
      }
    }
  }
  auto last_beat = Clock::now();
  const auto beat_every = std::chrono::milliseconds(std::max<int64_t>(options_.lease_ms / 3, 100));
  IsolatedScan result = run_isolated_scan(
      options_.scanner, path, app_type, policy_path, options_.work_dir, options_.limits, [&] {
        if (Clock::now() - last_beat < beat_every) return;
        last_beat = Clock::now();
        (void)queue.heartbeat(job, std::chrono::milliseconds(options_.lease_ms));
      });
  if (!result.ok) {
    (void)queue.fail(job, result.error);
    return;
  }
  auto outcome = read_outcome(result.report_json);
  if (!outcome) {
    (void)queue.fail(job, outcome.error().message);
    return;
  }
  if (Status st = store.complete_scan(job.scan_id, job.attempt, result.report_json, *outcome,
                                      store::now_ms());
      !st) {
    // Lost the lease (another attempt owns the scan now) or the database failed: either way
    // this attempt's result is dropped; an unfinished scan is claimed again after its lease.
    return;
  }
}

} // namespace appaudit::server
