// The `appaudit` command.
//
//   appaudit scan INPUT [--format json|text|sarif|xlsx|html] [-o FILE] [--timings]
//                       [--app-type ID] [--policy FILE] [--fail-on SEVERITY] [--lang zh-CN|en]
//   appaudit policy FILE [--format json|text] [--with-text] [-o FILE]
//                                         read a privacy policy (text or HTML; UTF-8, UTF-16,
//                                         GB18030/GBK) and report what it declares
//   appaudit knowledge [--dir DIR]        validate and summarise the knowledge base
//   appaudit user add NAME --role regulator|enterprise|distributor [--enterprise NAME]
//                    [--distributor NAME] [--data-dir DIR] [--db URI]
//                                         create a platform user; its API token is the last
//                                         line of stdout (only its hash is stored)
//   appaudit serve [--data-dir DIR] [--listen HOST:PORT] [--workers N] [--sample APK]...
//                                         the platform: HTTP API, dashboard, scan workers
//
// Exit codes: 0 scanned (the report may carry diagnostics); 2 the input is not usable or the
// command line is wrong, with one line on stderr saying which file, what and where.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "engine/scan.hpp"
#include "knowledge/knowledge.hpp"
#include "policy/policy.hpp"
#include "policy/text.hpp"
#include "report/html_report.hpp"
#include "report/json_report.hpp"
#include "report/policy_json.hpp"
#include "report/sarif_report.hpp"
#include "report/text_report.hpp"
#include "report/xlsx_report.hpp"
#include "rules/rules.hpp"
#include "server/server.hpp"
#include "store/store.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnusable = 2;

/// One line on stderr: newlines in messages (from hostile names) are flattened.
int fail(const std::string& message) {
  std::string line = "appaudit: " + message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  return kExitUnusable;
}

int write_output(const std::string& text, const std::string& out_path) {
  if (out_path.empty() || out_path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
      return fail("<stdout>: cannot write the report");
    }
    return kExitOk;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) return fail(out_path + ": cannot write the report");
  return kExitOk;
}

int print_knowledge(const std::string& dir) {
  using appaudit::knowledge::Knowledge;
  try {
    Knowledge k = dir.empty() ? Knowledge::load_embedded() : Knowledge::load_dir(dir);
    std::map<std::string, int> by_category;
    int cn = 0;
    for (const auto& s : k.sdks()) {
      ++by_category[s.category];
      cn += s.region == "cn" ? 1 : 0;
    }
    std::printf("knowledge %s (%s)\n", k.version().c_str(), dir.empty() ? "embedded" : dir.c_str());
    std::printf("  pi_types           %zu\n  permissions        %zu\n  apis               %zu\n",
                k.pi_types().size(), k.permissions().size(), k.apis().size());
    std::printf("  sdks               %zu (%d cn, %zu intl)\n", k.sdks().size(), cn,
                k.sdks().size() - static_cast<size_t>(cn));
    for (const auto& [category, n] : by_category)
      std::printf("    %-20s %d\n", category.c_str(), n);
    std::printf("  packers            %zu\n", k.packers().size());
    std::printf("  framework_classes  %zu\n", k.framework_classes().size());
    std::map<std::string, int> by_callback_kind;
    for (const auto& c : k.callbacks()) ++by_callback_kind[to_string(c.kind)];
    std::printf("  callbacks          %zu\n", k.callbacks().size());
    for (const auto& [kind, n] : by_callback_kind) std::printf("    %-20s %d\n", kind.c_str(), n);
    std::printf("  component_starts   %zu\n", k.component_starts().size());
    int boot = 0;
    for (const auto& b : k.system_broadcasts()) boot += b.boot ? 1 : 0;
    std::printf("  system_broadcasts  %zu (%d at boot)\n", k.system_broadcasts().size(), boot);
    std::map<std::string, int> by_consent_kind;
    for (const auto& c : k.consent_signals()) ++by_consent_kind[to_string(c.kind)];
    std::printf("  consent            %zu\n", k.consent_signals().size());
    for (const auto& [kind, n] : by_consent_kind) std::printf("    %-20s %d\n", kind.c_str(), n);
    size_t categories = 0;
    for (const auto& item : k.regulation_items()) categories += item.category ? 1 : 0;
    size_t no_pi = 0;
    for (const auto& t : k.app_types()) no_pi += t.no_pi_needed ? 1 : 0;
    std::printf("  regulations\n");
    std::printf("    problem_types        %zu (164 notice)\n", k.problem_types().size());
    std::printf("    identification items %zu categories, %zu items (191 method)\n", categories,
                k.regulation_items().size() - categories);
    std::printf("    app_types            %zu (%zu need no PI)\n", k.app_types().size(), no_pi);
    std::printf(
        "    gbt41391             %zu appendices, %zu immutable device ids, %zu "
        "low-relevance permission sets\n",
        k.gbt41391_appendices().size(), k.immutable_device_ids().size(),
        k.low_relevance_permissions().size());
    std::printf("    thresholds           %zu\n", k.thresholds().size());
    std::printf("  app_type_signals   %zu\n", k.app_type_signals().size());
    std::printf("  policy_terms       %zu\n", k.policy_terms().size());
    if (const appaudit::knowledge::PolicyTagger* t = k.policy_tagger()) {
      std::printf("  policy_tagger      %zu weights, threshold %.2f, trained on %s, %s (%s)\n",
                  t->weights.size(), t->threshold, t->training.corpus.c_str(),
                  t->training.split.c_str(), t->training.date.c_str());
    }
    std::printf("  rules              %zu\n", k.rules().size());
    std::printf("  sources            %zu\n", k.sources().size());
    return kExitOk;
  } catch (const appaudit::knowledge::KnowledgeError& e) {
    return fail(e.what());
  }
}

/// Reads a whole (regular) file, refusing files over `limit` bytes before reading them.
appaudit::Expected<std::vector<uint8_t>> read_small_file(const std::string& path, uint64_t limit) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return appaudit::make_error(appaudit::Errc::kIo, "cannot read: " + ec.message(), path);
  if (size > limit) {
    return appaudit::make_error(
        appaudit::Errc::kLimit,
        "file is " + std::to_string(size) + " bytes; the limit is " + std::to_string(limit), path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return appaudit::make_error(appaudit::Errc::kIo, "cannot open", path);
  std::vector<uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    return appaudit::make_error(appaudit::Errc::kIo, "short read", path);
  }
  return bytes;
}

int run_policy(const std::string& path, const std::string& format, bool with_text, bool timings,
               const std::string& out_path) {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  const auto t0 = Clock::now();
  auto bytes = read_small_file(path, appaudit::policy::kMaxPolicyBytes);
  if (!bytes) return fail(bytes.error().to_string());
  appaudit::Diagnostics diags;
  const std::string name = std::filesystem::path(path).filename().string();
  auto text = appaudit::policy::read_policy_text(appaudit::ByteView(*bytes), path, diags);
  if (!text) return fail(text.error().to_string());
  const auto t1 = Clock::now();
  const appaudit::knowledge::Knowledge k = appaudit::knowledge::Knowledge::load_embedded();
  const appaudit::policy::PolicyReader reader(k);
  const auto t2 = Clock::now();
  appaudit::policy::PolicyReport report = reader.analyze(*text);
  const auto t3 = Clock::now();
  appaudit::report::PolicyInput input{name, bytes->size(), text->bom, text->replaced};
  std::string out = format == "text" ? appaudit::report::render_policy_text(report, input, diags)
                                     : appaudit::report::render_policy_json(report, input, *text,
                                                                            diags, with_text);
  if (timings) {
    // Wall-clock, on stderr so that the report stays reproducible.
    std::fprintf(stderr, "timings_ms read_decode=%.3f knowledge=%.3f analyze=%.3f\n", ms(t0, t1),
                 ms(t1, t2), ms(t2, t3));
  }
  return write_output(out, out_path);
}

/// `appaudit user add`: checks the arguments, creates the user in the store (the PostgreSQL
/// database `db`, or the SQLite database in the data directory when `db` is empty) and prints
/// its token as the last line of stdout.
int run_user_add(const std::string& name, const std::string& role_text,
                 const std::string& enterprise, const std::string& distributor,
                 const std::string& data_dir, const std::string& db) {
  using appaudit::store::Role;
  const auto role = appaudit::store::parse_role(role_text);
  if (!role) {
    return fail("usage: --role " + role_text +
                ": unknown role; use regulator, enterprise or "
                "distributor");
  }
  if (name.empty()) return fail("usage: user add: the user name is empty");
  std::string organisation;
  if (*role == Role::kEnterprise) {
    if (enterprise.empty()) {
      return fail(
          "usage: --role enterprise needs --enterprise NAME (the company the user "
          "belongs to)");
    }
    if (!distributor.empty()) return fail("usage: --distributor is for role distributor");
    organisation = enterprise;
  } else if (*role == Role::kDistributor) {
    if (!enterprise.empty()) {
      return fail(
          "usage: --enterprise is for role enterprise; a distributor user names its "
          "app store with --distributor NAME");
    }
    organisation = distributor.empty() ? name : distributor;
  } else if (!enterprise.empty() || !distributor.empty()) {
    return fail(
        "usage: a regulator belongs to no enterprise or distributor; drop --enterprise "
        "and --distributor");
  }
  if (!db.empty() && !appaudit::store::is_postgres_uri(db)) {
    return fail("usage: --db " + db +
                ": not a postgresql:// URI (the SQLite database lives in --data-dir)");
  }
  auto store = appaudit::store::open_store(db.empty() ? data_dir : db);
  if (!store) return fail(store.error().to_string());
  auto created = (*store)->add_user(name, *role, organisation);
  if (!created) return fail(created.error().to_string());
  const auto& u = created->user;
  std::string who = "created user " + u.name + " (role " + appaudit::store::to_string(u.role);
  if (u.enterprise_id) who += ", enterprise " + u.enterprise;
  if (u.distributor_id) who += ", distributor " + u.distributor;
  who += ") in " + appaudit::store::store_location(db.empty() ? data_dir : db) +
         "; its API token, shown only now:\n";
  return write_output(who + created->token + "\n", "");
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "appaudit: checks Android apps for unlawful collection and use of personal "
      "information"};
  app.set_version_flag("--version", "appaudit 0.1.0 (report schema " +
                                        std::string(appaudit::report::kSchemaVersion) + ")");
  app.require_subcommand(1);

  std::string input;
  std::string format = "json";
  std::string out_path;
  bool timings = false;
  CLI::App* scan = app.add_subcommand("scan", "Scan an APK or a DEX file and report its contents");
  scan->add_option("input", input, "APK or DEX file")->required();
  scan->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"json", "text", "sarif", "xlsx", "html"}))
      ->capture_default_str();
  scan->add_option("-o,--output", out_path, "Write the report to FILE instead of stdout");
  scan->add_flag("--timings", timings,
                 "Add per-stage wall-clock timings (the report is then not reproducible)");
  std::string app_type;
  scan->add_option("--app-type", app_type,
                   "App type for the necessary-PI rule: an id or Chinese name of the 39 types of "
                   "the necessary-PI rule (e.g. browser, 浏览器)");
  std::string policy_path;
  scan->add_option("--policy", policy_path,
                   "Privacy policy (text or HTML) to hold the app to; without it the policy is "
                   "looked for inside the APK");
  std::string lang = "zh-CN";
  scan->add_option("--lang", lang, "Language of the HTML report")
      ->check(CLI::IsMember({"zh-CN", "en"}))
      ->capture_default_str();
  std::string fail_on;
  scan->add_option("--fail-on", fail_on,
                   "Exit 1 when a finding at or above SEVERITY exists (high|medium|low|info)");

  std::string policy_file;
  std::string policy_format = "json";
  bool with_text = false;
  CLI::App* policy_cmd = app.add_subcommand(
      "policy",
      "Read a privacy policy (text or HTML) and report the personal information it "
      "mentions, its SDK list, negations, purposes, rights and channels");
  policy_cmd->add_option("file", policy_file, "Policy file: text or HTML; UTF-8, UTF-16, GB18030")
      ->required();
  policy_cmd->add_option("--format", policy_format, "Output format")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  policy_cmd->add_flag("--with-text", with_text,
                       "Add the text the offsets refer to (the reduced text for HTML)");
  policy_cmd->add_option("-o,--output", out_path, "Write the report to FILE instead of stdout");
  bool policy_timings = false;
  policy_cmd->add_flag("--timings", policy_timings,
                       "Print wall-clock timings of decoding, loading knowledge and analysis to "
                       "stderr");

  std::string knowledge_dir;
  CLI::App* knowledge_cmd = app.add_subcommand(
      "knowledge", "Validate the knowledge base (embedded, or --dir) and print a summary");
  knowledge_cmd->add_option("--dir", knowledge_dir,
                            "Load the knowledge/ folder DIR instead of the embedded copy");

  std::string user_name, user_role, user_enterprise, user_distributor;
  std::string data_dir = "./appaudit-data";
  std::string db_uri;
  CLI::App* user_cmd = app.add_subcommand("user", "Manage the platform's users");
  user_cmd->require_subcommand(1);
  CLI::App* user_add = user_cmd->add_subcommand(
      "add", "Create a user and print its API token (the last line of stdout)");
  user_add->add_option("name", user_name, "User name (unique)")->required();
  user_add->add_option("--role", user_role, "regulator, enterprise or distributor")->required();
  user_add->add_option("--enterprise", user_enterprise,
                       "The enterprise an enterprise user belongs to (created when new)");
  user_add->add_option("--distributor", user_distributor,
                       "The distributor (app store) a distributor user belongs to (created "
                       "when new; default: the user name)");
  user_add->add_option("--data-dir", data_dir, "The platform's data folder")->capture_default_str();
  user_add->add_option("--db", db_uri,
                       "A PostgreSQL database (postgresql://user@host:port/db) instead of the "
                       "SQLite database in the data folder");

  appaudit::server::ServeOptions serve_opts;
  std::string listen = "127.0.0.1:8080";
  int scan_memory_mb = static_cast<int>(serve_opts.limits.memory_bytes >> 20);
  CLI::App* serve_cmd = app.add_subcommand(
      "serve", "Run the platform: HTTP API under /api/v1, the dashboard, and scan workers");
  serve_cmd->add_option("--data-dir", serve_opts.data_dir, "Data folder (database, APK blobs)")
      ->capture_default_str();
  serve_cmd->add_option("--db", serve_opts.db,
                        "A PostgreSQL database (postgresql://user@host:port/db) instead of the "
                        "SQLite database in the data folder");
  serve_cmd->add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option("--workers", serve_opts.workers, "Scans run at once")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  serve_cmd->add_option("--http-threads", serve_opts.http_threads, "Threads answering requests")
      ->check(CLI::Range(2, 256))
      ->capture_default_str();
  serve_cmd->add_option("--web-dir", serve_opts.web_dir,
                        "The dashboard's built files (default: web/dist of this build)");
  serve_cmd
      ->add_option("--scan-cpu-seconds", serve_opts.limits.cpu_seconds,
                   "CPU-time limit of one scan process")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve_cmd->add_option("--scan-memory-mb", scan_memory_mb, "Memory limit of one scan process")
      ->check(CLI::Range(16, 1 << 20))
      ->capture_default_str();
  serve_cmd
      ->add_option("--scan-timeout", serve_opts.limits.wall_seconds,
                   "Wall-clock limit of one scan, seconds")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  serve_cmd
      ->add_option("--lease-seconds", serve_opts.lease_seconds,
                   "How long a scan stays claimed without a heartbeat before another "
                   "worker takes it over (after a crash)")
      ->check(CLI::Range(2, 3600))
      ->capture_default_str();
  serve_cmd->add_option("--max-upload-mb", serve_opts.max_upload_mb, "Largest accepted upload")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  serve_cmd->add_option("--sample", serve_opts.samples,
                        "APK to submit at start as a demo regulator's (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(std::string("usage: ") + e.what() + " (see appaudit --help)");
  }

  if (knowledge_cmd->parsed()) return print_knowledge(knowledge_dir);
  if (serve_cmd->parsed()) {
    const size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return fail("usage: --listen HOST:PORT");
    serve_opts.host = listen.substr(0, colon);
    try {
      serve_opts.port = std::stoi(listen.substr(colon + 1));
    } catch (const std::exception&) {
      return fail("usage: --listen HOST:PORT: the port is not a number");
    }
    if (serve_opts.port < 0 || serve_opts.port > 65535) return fail("usage: --listen: bad port");
    serve_opts.limits.memory_bytes = static_cast<uint64_t>(scan_memory_mb) << 20;
    return appaudit::server::serve(serve_opts);
  }
  if (user_add->parsed()) {
    return run_user_add(user_name, user_role, user_enterprise, user_distributor, data_dir, db_uri);
  }
  if (policy_cmd->parsed()) {
    try {
      return run_policy(policy_file, policy_format, with_text, policy_timings, out_path);
    } catch (const std::bad_alloc&) {
      return fail(policy_file + ": out of memory while reading the policy");
    } catch (const std::exception& e) {
      return fail(policy_file + ": internal error: " + e.what());
    }
  }

  if (format == "xlsx" && out_path.empty()) {
    return fail("usage: --format xlsx writes a spreadsheet: give -o FILE.xlsx");
  }
  if (!fail_on.empty() && appaudit::rules::severity_rank(fail_on) < 0) {
    return fail("usage: --fail-on " + fail_on +
                ": unknown severity; use high, medium, low or info");
  }
  std::string text;
  bool gate_hit = false;
  try {
    appaudit::engine::ScanOptions scan_options;
    if (!app_type.empty()) {
      const auto& k = appaudit::engine::knowledge_for(scan_options);
      if (k.find_app_type(app_type) == nullptr) {
        std::string valid;
        for (const auto& t : k.app_types()) valid += "\n  " + t.id + "  " + t.name_zh;
        return fail("usage: --app-type " + app_type +
                    ": unknown app type; valid ids and names:" + valid);
      }
      scan_options.app_type = app_type;
    }
    if (!policy_path.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(policy_path, ec)) {
        return fail("usage: --policy " + policy_path + ": not a readable file");
      }
      scan_options.policy_path = policy_path;
    }
    auto result = appaudit::engine::scan_file(input, scan_options);
    if (!result) return fail(result.error().to_string());
    if (!policy_path.empty() && (!result->policy || result->policy->source != "cli")) {
      // The given policy could not be read as text: say why rather than fall back silently.
      std::string why = "cannot be read as a policy";
      for (const auto& d : result->diagnostics.items()) {
        if (d.code.rfind("policy.", 0) == 0) why = d.message;
      }
      return fail("--policy " + policy_path + ": " + why);
    }
    if (!fail_on.empty() && result->rules) {
      const int bar = appaudit::rules::severity_rank(fail_on);
      for (const auto& f : result->rules->findings) {
        if (appaudit::rules::severity_rank(f.severity) >= bar) gate_hit = true;
      }
    }
    if (format == "xlsx") {
      appaudit::Status st = appaudit::report::write_xlsx(*result, out_path);
      if (!st) return fail(st.error().to_string());
      return gate_hit ? 1 : 0;
    }
    if (format == "text") {
      text = appaudit::report::render_text(*result, timings);
    } else if (format == "html") {
      text = appaudit::report::render_html(*result, appaudit::engine::knowledge_for(scan_options),
                                           lang);
    } else if (format == "sarif") {
      text = appaudit::report::render_sarif(*result, appaudit::engine::knowledge_for(scan_options));
    } else {
      appaudit::report::JsonOptions options;
      options.include_timings = timings;
      text = appaudit::report::render_json(*result, options);
      text += '\n';
    }
  } catch (const std::bad_alloc&) {
    return fail(input + ": out of memory while scanning");
  } catch (const std::exception& e) {
    return fail(input + ": internal error: " + e.what());
  }
  const int written = write_output(text, out_path);
  if (written != 0) return written;
  return gate_hit ? 1 : 0;
}
