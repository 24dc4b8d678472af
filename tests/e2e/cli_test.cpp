// End-to-end tests of the `appaudit` command on fixtures built from source
// (tests/fixtures/apps/hello: manifest + resources + two DEX files, signed v1+v2+v3).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/test_support.hpp"
#include "core/diagnostics.hpp"
#include "dex/dex_file.hpp"

namespace appaudit {
namespace {

using nlohmann::json;

std::string bin() { return test::appaudit_bin(); }
std::string hello() { return test::fixtures_dir() + "/apk/hello.apk"; }

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun run(const std::string& args) {
  std::string err_file = ::testing::TempDir() + "/appaudit_stderr.txt";
  CliRun r;
  r.out = test::run_command(bin() + " " + args + " 2>" + err_file, &r.code);
  auto e = test::read_file(err_file);
  r.err.assign(e.begin(), e.end());
  return r;
}

TEST(Cli, ScanApkJsonHasTheContractFields) {
  CliRun r = run("scan " + hello());
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema_version"], "1.0");
  EXPECT_EQ(j["input"]["kind"], "apk");
  EXPECT_EQ(j["input"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["app"]["package"], "com.example.hello");
  EXPECT_EQ(j["app"]["version_code"], 42); // an integer, not a string
  EXPECT_EQ(j["app"]["version_name"], "1.2.3");
  EXPECT_EQ(j["app"]["min_sdk"], 21);
  EXPECT_EQ(j["app"]["target_sdk"], 30);
  EXPECT_EQ(j["app"]["label"], "Hello Audit");
  EXPECT_EQ(j["app"]["label_zh_cn"], "你好审计");

  std::vector<std::string> perms;
  for (const auto& p : j["permissions"]) perms.push_back(p["name"]);
  EXPECT_EQ(perms,
            (std::vector<std::string>{
                "android.permission.INTERNET", "android.permission.READ_PHONE_STATE",
                "android.permission.ACCESS_FINE_LOCATION", "android.permission.READ_CONTACTS"}));
  EXPECT_EQ(j["permissions"][2]["max_sdk"], 28);
  EXPECT_EQ(j["permissions"][3]["tag"], "uses-permission-sdk-23");

  std::map<std::string, json> comps;
  for (const auto& c : j["components"]) comps[c["name"]] = c;
  ASSERT_EQ(comps.size(), 4u);
  EXPECT_EQ(comps["com.example.hello.MainActivity"]["exported"], true);
  EXPECT_EQ(comps["com.example.hello.BootReceiver"]["kind"], "receiver");
  EXPECT_EQ(comps["com.example.hello.BootReceiver"]["exported"], true); // implied by filter
  EXPECT_EQ(comps["com.example.hello.SyncService"]["exported"], false);
  EXPECT_EQ(comps["com.example.hello.SyncService"]["process"], ":sync");
  EXPECT_EQ(comps["com.example.hello.InitProvider"]["authorities"],
            json({"com.example.hello.init"}));
  EXPECT_EQ(j["app"]["launcher_activities"][0], "com.example.hello.MainActivity");

  ASSERT_EQ(j["signers"].size(), 1u);
  EXPECT_EQ(j["signers"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["signing"]["verified"], true);
  EXPECT_EQ(j["signing"]["schemes"], json({"v1", "v2", "v3"}));

  ASSERT_EQ(j["dex"].size(), 2u);
  EXPECT_EQ(j["dex"][0]["name"], "classes.dex");
  EXPECT_EQ(j["dex"][0]["classes"], 5);
  EXPECT_EQ(j["dex"][1]["name"], "classes2.dex");
  EXPECT_EQ(j["dex"][1]["classes"], 1);
  EXPECT_EQ(j["dex"][1]["methods"], 2); // twice (direct) + hello (virtual); no <init> declared
  EXPECT_TRUE(j["native_libs"].is_array());
  EXPECT_TRUE(j["diagnostics"].is_array());
  EXPECT_FALSE(j.contains("timings"));
}

TEST(Cli, OddManifestImpliedPermissionsNativeLibsAndV1Only) {
  CliRun r = run("scan " + test::fixtures_dir() + "/apk/odd.apk");
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["app"]["package"], "org.example.odd");
  EXPECT_EQ(j["app"]["version_name"], nullptr);
  EXPECT_EQ(j["app"]["launcher_activities"], json({"org.example.odd.Launcher"}));
  // Declared (with a duplicate, as written), then implied: as aapt dump badging lists them.
  std::vector<std::string> names;
  for (const auto& p : j["permissions"]) names.push_back(p["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "android.permission.WRITE_EXTERNAL_STORAGE", "android.permission.READ_CONTACTS",
                "android.permission.READ_CONTACTS", "android.permission.READ_EXTERNAL_STORAGE",
                "android.permission.READ_CALL_LOG"}));
  EXPECT_EQ(j["permissions"][3]["implied"], true);
  EXPECT_EQ(j["permissions"][3]["max_sdk"], 18);
  EXPECT_EQ(j["permissions"][4]["implied_reason"],
            "targetSdkVersion < 16 and requested READ_CONTACTS");
  std::map<std::string, json> comps;
  for (const auto& c : j["components"]) comps[c["name"]] = c;
  EXPECT_EQ(comps["a.Main"]["exported"], false);
  EXPECT_EQ(comps["org.example.odd.Data"]["exported"], true); // provider, targetSdk 15
  EXPECT_EQ(comps["org.example.odd.Data"]["exported_reason"], "provider-target-sdk<=16");
  EXPECT_EQ(comps["org.example.odd.Data"]["authorities"],
            json({"org.example.odd.data", "org.example.odd.more"}));
  EXPECT_EQ(comps["org.example.odd.Boot"]["exported"], false);
  EXPECT_EQ(comps["org.example.odd.Boot"]["enabled"], false);
  EXPECT_EQ(comps["org.example.odd.Boot"]["intent_filters"][0]["priority"], 999);
  EXPECT_EQ(j["meta_data"][0]["name"], "JPUSH_APPKEY");
  EXPECT_EQ(j["meta_data"][0]["value"], "0123456789abcdef01234567");
  EXPECT_EQ(j["meta_data"][1]["resource"], "xml/network_security_config");
  EXPECT_EQ(j["application"]["network_security_config"], "xml/network_security_config");
  EXPECT_EQ(j["application"]["debuggable"], true);
  EXPECT_EQ(j["application"]["uses_cleartext_traffic"], nullptr);
  EXPECT_EQ(j["signing"]["schemes"], json({"v1"}));
  EXPECT_EQ(j["signing"]["verified"], true);
  ASSERT_EQ(j["native_libs"].size(), 2u);
  bool mismatch_reported = false;
  for (const auto& d : j["diagnostics"]) mismatch_reported |= d["code"] == "apk.abi_mismatch";
  EXPECT_TRUE(mismatch_reported);
  for (const auto& l : j["native_libs"]) EXPECT_EQ(l["elf_machine"], "x86_64");
  bool asset = false;
  for (const auto& f : j["files"])
    asset |= f["path"] == "assets/web/privacy.html" && f["kind"] == "asset";
  EXPECT_TRUE(asset);
}

TEST(Cli, OutputIsReproducible) {
  CliRun a = run("scan " + hello());
  CliRun b = run("scan " + hello());
  ASSERT_EQ(a.code, 0);
  EXPECT_EQ(a.out, b.out);
}

TEST(Cli, AnalysisOfARealAppIsReproducible) {
  // Hash maps are used throughout the analysis; none of their orders may leak into reports.
  const std::string apk = test::corpus_dir() + "/bugly/apks/BuglyHotfixDemo-tinker1.9.14.apk";
  CliRun a = run("scan " + apk);
  CliRun b = run("scan " + apk);
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  json j = json::parse(a.out);
  ASSERT_TRUE(j["analysis"].is_object());
  EXPECT_GT(j["analysis"]["reachable_methods"].get<int>(), 0);
  std::vector<std::string> ids;
  for (const auto& s : j["sdks"]) ids.push_back(s["id"].get<std::string>());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "tencent_bugly"), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), "tencent_tinker"), ids.end());
  // The demo's own package, com.tencent.bugly.hotfix, lies under Bugly's prefix but is the
  // app's code; Bugly's own code collects (by caller) from Application start-up.
  size_t bugly_by_caller = 0;
  for (const auto& c : j["collections"]) {
    const std::string caller = c["caller"].get<std::string>();
    if (caller.rfind("Lcom/tencent/bugly/hotfix/", 0) == 0) {
      EXPECT_EQ(c["party"], "app") << caller;
    }
    if (c["party"] == "tencent_bugly" && c["party_by"] == "caller" && c["pre_consent"] == true) {
      ++bugly_by_caller;
    }
  }
  EXPECT_GT(bugly_by_caller, 0u);
}

TEST(Cli, FindingsCiteTheRegulationAndGateWithFailOn) {
  const std::string apk = test::fixtures_dir() + "/apk/an_provider.apk";
  CliRun r = run("scan " + apk);
  ASSERT_EQ(r.code, 0) << r.err; // findings alone never change the exit code
  json j = json::parse(r.out);
  bool pre = false;
  for (const auto& f : j["findings"]) {
    if (f["rule"] == "pre_consent_collection" && f["party"] == "app") {
      pre = true;
      EXPECT_EQ(f["category"], "illegal_collection");
      EXPECT_EQ(f["clauses"], json::array({"m191.3.1"}));
      EXPECT_EQ(f["severity"], "high");
      EXPECT_FALSE(f["evidence"][0]["path"].empty());
    }
  }
  EXPECT_TRUE(pre);
  EXPECT_FALSE(j["rule_coverage"].empty());
  EXPECT_EQ(run("scan " + apk + " --fail-on high").code, 1);
  // The all-gated app, held to a policy, has no high finding unless its type makes something
  // unnecessary; without any policy, no_privacy_policy (high) fires.
  const std::string gated = test::fixtures_dir() + "/apk/an_all_gated.apk";
  const std::string policy = test::source_dir() + "/tests/fixtures/policy/zh_utf8.txt";
  CliRun g = run("scan " + gated + " --policy " + policy + " --fail-on high");
  EXPECT_EQ(g.code, 0) << g.out.substr(0, 2000);
  EXPECT_EQ(run("scan " + gated + " --policy " + policy + " --fail-on high --app-type 浏览器").code,
            1);
  EXPECT_EQ(run("scan " + gated + " --fail-on high").code, 1);
  // A --policy that is missing or not text is a usage error, never a silent fallback.
  CliRun missing = run("scan " + gated + " --policy /nonexistent/policy.txt");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("--policy"), std::string::npos) << missing.err;
  CliRun binary = run("scan " + gated + " --policy " + gated);
  EXPECT_EQ(binary.code, 2);
  EXPECT_NE(binary.err.find("not a text file"), std::string::npos) << binary.err;
}

TEST(Cli, SarifHasEveryRuleAndResultsInClassMethodTerms) {
  const std::string apk = test::fixtures_dir() + "/apk/an_boot.apk";
  CliRun r = run("scan --format sarif " + apk);
  ASSERT_EQ(r.code, 0) << r.err;
  json s = json::parse(r.out);
  EXPECT_EQ(s["version"], "2.1.0");
  ASSERT_EQ(s["runs"].size(), 1u);
  const json& run0 = s["runs"][0];
  const json& rules = run0["tool"]["driver"]["rules"];
  std::vector<std::string> ids;
  for (const auto& rule : rules) {
    ids.push_back(rule["id"].get<std::string>());
    EXPECT_FALSE(rule["help"]["text"].get<std::string>().empty());
  }
  EXPECT_NE(std::find(ids.begin(), ids.end(), "pre_consent_collection"), ids.end());
  ASSERT_FALSE(run0["results"].empty());
  bool flow = false;
  for (const auto& res : run0["results"]) {
    const std::string id = res["ruleId"].get<std::string>();
    const size_t index = res["ruleIndex"].get<size_t>();
    ASSERT_LT(index, ids.size());
    EXPECT_EQ(ids[index], id);
    const std::string level = res["level"].get<std::string>();
    EXPECT_TRUE(level == "error" || level == "warning" || level == "note") << level;
    ASSERT_FALSE(res["locations"].empty());
    if (id == "pre_consent_collection") {
      const json& logical = res["locations"][0]["logicalLocations"][0];
      EXPECT_EQ(logical["kind"], "function");
      EXPECT_EQ(logical["fullyQualifiedName"].get<std::string>().rfind("com.appaudit.fx.boot.", 0),
                0u);
      flow = res.contains("codeFlows");
    }
  }
  EXPECT_TRUE(flow) << "pre-consent findings carry the witness path as a code flow";
}

TEST(Cli, BadRuleOptionsAreExplained) {
  CliRun t = run("scan " + hello() + " --app-type nonsense");
  EXPECT_EQ(t.code, 2);
  EXPECT_NE(t.err.find("browser"), std::string::npos) << t.err; // lists the valid ids
  EXPECT_NE(t.err.find("浏览器类"), std::string::npos) << t.err;
  CliRun s = run("scan " + hello() + " --fail-on critical");
  EXPECT_EQ(s.code, 2);
  EXPECT_NE(s.err.find("high, medium, low or info"), std::string::npos) << s.err;
  CliRun ok = run("scan " + hello() + " --app-type browser");
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(json::parse(ok.out)["app_type"]["id"], "browser");
}

TEST(Cli, TextReportSummarisesTheAnalysis) {
  CliRun r = run("scan --format text " + test::fixtures_dir() + "/apk/an_provider.apk");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("before consent"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("PRE-CONSENT device_imei by app"), std::string::npos) << r.out;
}

TEST(Cli, TextFormatAndOutputFile) {
  std::string out = ::testing::TempDir() + "/hello_report.txt";
  CliRun r = run("scan " + hello() + " --format text -o " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  auto bytes = test::read_file(out);
  std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("com.example.hello"), std::string::npos);
  EXPECT_NE(text.find("android.permission.READ_PHONE_STATE"), std::string::npos);
  EXPECT_NE(text.find("classes2.dex"), std::string::npos);
}

TEST(Cli, TimingsOnRequest) {
  CliRun r = run("scan --timings " + hello());
  ASSERT_EQ(r.code, 0);
  json j = json::parse(r.out);
  ASSERT_TRUE(j.contains("timings"));
  EXPECT_GE(j["timings"].size(), 5u);
}

TEST(Cli, LooseDexIsScanned) {
  std::string dex = test::corpus_dir() + "/androguard/data/APK/FieldsTest.dex";
  if (test::read_file(dex).empty()) GTEST_SKIP() << "corpus not present";
  CliRun r = run("scan " + dex);
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["input"]["kind"], "dex");
  EXPECT_FALSE(j.contains("app"));
  ASSERT_EQ(j["dex"].size(), 1u);
  EXPECT_EQ(j["dex"][0]["name"], "FieldsTest.dex");
  EXPECT_EQ(j["dex"][0]["classes"], 1); // dexdump: Class #0 only

  CliRun timed = run("scan --timings " + dex);
  ASSERT_EQ(timed.code, 0);
  std::vector<std::string> stages;
  const json timings = json::parse(timed.out)["timings"];
  for (const auto& t : timings) stages.push_back(t["stage"]);
  EXPECT_NE(std::find(stages.begin(), stages.end(), "dex"), stages.end());
}

TEST(Cli, SharedClassDataIsWalkedOnceNotPerClass) {
  // Every class def of a real 5 MB DEX is pointed at the class data of the class with the
  // most methods: counts follow the references (as dexdump lists them), but the work must
  // stay linear (each class_data_item and code_item decoded once), not classes x methods.
  std::string src = test::corpus_dir() + "/large/dc4b1bb9d58daa82f29e60f79d5662f731a3351f.37.dex";
  std::vector<uint8_t> bytes = test::read_file(src);
  if (bytes.empty()) GTEST_SKIP() << "corpus not present";
  Diagnostics diags;
  auto dex = dex::DexFile::open(bytes, "in", &diags);
  ASSERT_TRUE(dex.has_value());
  uint32_t best_off = 0;
  uint64_t best_methods = 0;
  for (uint32_t i = 0; i < dex->class_defs_size(); ++i) {
    auto def = dex->class_def(dex::ClassDefIdx(i));
    ASSERT_TRUE(def.has_value());
    auto r = dex->class_data_reader(*def);
    if (!r) continue;
    uint64_t m = uint64_t{r->direct_methods_size()} + r->virtual_methods_size();
    if (m > best_methods) {
      best_methods = m;
      best_off = def->class_data_off;
    }
  }
  ASSERT_GT(best_methods, 10u);
  const uint32_t n = dex->class_defs_size();
  const uint32_t defs_off = dex->header().class_defs_off;
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t* field = bytes.data() + defs_off + 32u * i + 24u; // class_def_item.class_data_off
    for (int b = 0; b < 4; ++b) field[b] = static_cast<uint8_t>(best_off >> (8 * b));
  }
  std::string patched = ::testing::TempDir() + "/shared-class-data.dex";
  std::ofstream(patched, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  const auto t0 = std::chrono::steady_clock::now();
  CliRun r = run("scan " + patched);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["dex"][0]["classes"], n);
  EXPECT_EQ(j["dex"][0]["methods"].get<uint64_t>(), uint64_t{n} * best_methods);
  EXPECT_LE(j["dex"][0]["code_items"].get<uint64_t>(), best_methods);
  EXPECT_LT(secs, 20.0) << "work multiplied by shared class data";
}

TEST(Cli, UnusableInputsExitTwoWithOneLineNamingTheFile) {
  std::string junk = ::testing::TempDir() + "/junk-input.apk";
  {
    std::ofstream f(junk, std::ios::binary);
    f << "this is not an apk, not a zip and not a dex file";
  }
  for (const std::string& path : {junk, std::string("/nonexistent/x.apk")}) {
    CliRun r = run("scan " + path);
    EXPECT_EQ(r.code, 2) << path;
    EXPECT_TRUE(r.out.empty());
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err; // exactly one line
    EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  }
}

TEST(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(run("scan").code, 2);
  EXPECT_EQ(run("scan " + hello() + " --format pdf").code, 2);
  EXPECT_EQ(run("frobnicate").code, 2);
  EXPECT_EQ(run("--version").code, 0);
}

} // namespace
} // namespace appaudit
