// Rule engine: every static rule of knowledge/rules.json is implemented, rules fire on the
// facts they name and not on near misses, coverage lists every rule with its status.
#include "rules/rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/test_support.hpp"

namespace appaudit::rules {
namespace {

const knowledge::Knowledge& kb() {
  static const knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  return k;
}

analysis::Collection collection(const std::string& pi, const std::string& party, bool reachable,
                                bool pre) {
  analysis::Collection c;
  c.pi_type = pi;
  c.api = "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;";
  c.caller = "Lcom/x/" + party + ";->m()V";
  c.party = party;
  c.reachable = reachable;
  c.pre_consent = pre;
  c.has_entry = reachable;
  c.entry.kind = "application_start";
  c.path = {"Lcom/x/App;->onCreate()V", c.caller};
  return c;
}

const Coverage& coverage_of(const RulesResult& r, const std::string& rule) {
  auto it = std::find_if(r.coverage.begin(), r.coverage.end(),
                         [&](const Coverage& c) { return c.rule == rule; });
  EXPECT_NE(it, r.coverage.end()) << rule;
  return *it;
}

size_t count(const RulesResult& r, const std::string& rule) {
  return static_cast<size_t>(std::count_if(r.findings.begin(), r.findings.end(),
                                           [&](const Finding& f) { return f.rule == rule; }));
}

TEST(Rules, EveryStaticRuleIsImplemented) {
  EXPECT_TRUE(unimplemented_static_rules(kb()).empty());
  EXPECT_GE(kb().rules().size(), 10u);
}

TEST(Rules, PreConsentCollectionOneFindingPerPartyNotForGatedOnes) {
  analysis::AnalysisResult a;
  a.collections = {collection("device_imei", "app", true, true),
                   collection("device_imei", "umeng_common", true, true),
                   collection("android_id", "umeng_common", true, true),
                   collection("device_imsi", "jpush", true, false)}; // gated: near miss
  apk::Manifest m;
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(count(r, "pre_consent_collection"), 2u);
  EXPECT_EQ(coverage_of(r, "pre_consent_collection").status, "fired");
  for (const auto& f : r.findings) {
    if (f.rule != "pre_consent_collection") continue;
    EXPECT_EQ(f.category, "illegal_collection");
    EXPECT_EQ(f.severity, "high");
    EXPECT_EQ(f.clauses, std::vector<std::string>{"m191.3.1"});
    EXPECT_NE(f.party, "jpush");
    ASSERT_FALSE(f.evidence.empty());
    EXPECT_EQ(f.evidence[0].kind, "collection");
    EXPECT_FALSE(f.evidence[0].path.empty());
  }
}

TEST(Rules, ImmutableIdentifiersOnlyWhenReachable) {
  analysis::AnalysisResult a;
  a.collections = {collection("device_imei", "app", false, false)}; // unreachable: near miss
  apk::Manifest m;
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(count(r, "immutable_device_id"), 0u);
  EXPECT_EQ(coverage_of(r, "immutable_device_id").status, "passed");
  a.collections.push_back(collection("mac_address", "app", true, false));
  r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(count(r, "immutable_device_id"), 1u);
}

TEST(Rules, NecessaryPiNeedsAnAppTypeAndRespectsIt) {
  analysis::AnalysisResult a;
  a.collections = {collection("location_precise", "app", true, false)};
  apk::Manifest m;
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(coverage_of(r, "beyond_necessary_pi").status, "not_applicable");
  const knowledge::AppType* browser = kb().find_app_type("浏览器");
  ASSERT_NE(browser, nullptr);
  r = evaluate({&m, &a, browser}, kb());
  EXPECT_EQ(count(r, "beyond_necessary_pi"), 1u);
  // Location is necessary for map navigation: near miss.
  const knowledge::AppType* maps = kb().find_app_type("map_navigation");
  ASSERT_NE(maps, nullptr);
  r = evaluate({&m, &a, maps}, kb());
  EXPECT_EQ(count(r, "beyond_necessary_pi"), 0u);
}

TEST(Rules, TargetSdkBelow23WithDangerousPermissions) {
  apk::Manifest m;
  m.effective_target_sdk = 22;
  apk::UsesPermission p;
  p.name = "android.permission.READ_PHONE_STATE";
  m.uses_permissions.push_back(p);
  analysis::AnalysisResult a;
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(count(r, "target_sdk_below_23"), 1u);
  m.effective_target_sdk = 23; // near miss
  r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(count(r, "target_sdk_below_23"), 0u);
}

TEST(Rules, UnusedDangerousPermission) {
  apk::Manifest m;
  analysis::AnalysisResult a;
  a.permission_use.push_back({"android.permission.READ_CONTACTS", true, false, ""});
  a.permission_use.push_back({"android.permission.READ_PHONE_STATE", true, true, "x"});
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  ASSERT_EQ(count(r, "unused_dangerous_permission"), 1u);
  for (const auto& f : r.findings) {
    if (f.rule == "unused_dangerous_permission") {
      ASSERT_EQ(f.evidence.size(), 1u);
      EXPECT_NE(f.evidence[0].text.find("READ_CONTACTS"), std::string::npos);
    }
  }
}

TEST(Rules, CoverageListsEveryRuleAndOtherEnginesAsNotApplicable) {
  apk::Manifest m;
  analysis::AnalysisResult a;
  RulesResult r = evaluate({&m, &a, nullptr}, kb());
  EXPECT_EQ(r.coverage.size(), kb().rules().size());
  EXPECT_EQ(coverage_of(r, "no_privacy_policy").status, "not_applicable");
  EXPECT_EQ(coverage_of(r, "collection_frequency").status, "not_applicable");
  // Without code every code rule says why it could not apply.
  r = evaluate({&m, nullptr, nullptr}, kb());
  EXPECT_EQ(coverage_of(r, "pre_consent_collection").status, "not_applicable");
  EXPECT_FALSE(coverage_of(r, "pre_consent_collection").reason.empty());
}

TEST(Rules, EveryRuleIsDocumented) {
  auto bytes = test::read_file(test::source_dir() + "/docs/rules.md");
  const std::string doc(bytes.begin(), bytes.end());
  for (const auto& r : kb().rules()) {
    EXPECT_NE(doc.find("`" + r.id + "`"), std::string::npos) << r.id << " missing in docs/rules.md";
  }
}

TEST(Rules, SeverityOrder) {
  EXPECT_GT(severity_rank("high"), severity_rank("medium"));
  EXPECT_GT(severity_rank("low"), severity_rank("info"));
  EXPECT_EQ(severity_rank("critical"), -1);
}

} // namespace
} // namespace appaudit::rules
