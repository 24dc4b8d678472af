#include "analysis/sdk_detect.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "analysis/apk_contents.hpp"
#include "support/test_support.hpp"

namespace appaudit::analysis {
namespace {

namespace fs = std::filesystem;
using knowledge::Knowledge;

// --- A small hand-written catalog --------------------------------------------------------

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", \"" : "\"") + items[i] + "\"";
  return out + "]";
}

struct SdkSpec {
  std::string id;
  std::vector<std::string> packages, components, meta, libs;
};

struct PackerSpec {
  std::string id;
  std::vector<std::string> classes, libs, assets;
};

const char* kEnvelopeSources = R"("sources": {"s": {"title": "T", "url": "https://example.org"}})";

/// Entries must be given sorted by id (the loader checks it).
Knowledge make_knowledge(const std::vector<SdkSpec>& sdks, const std::vector<PackerSpec>& packers) {
  std::string s = std::string(R"({"schema": "appaudit.knowledge.sdks/1", )") + kEnvelopeSources +
                  R"(, "entries": [)";
  for (size_t i = 0; i < sdks.size(); ++i) {
    const SdkSpec& e = sdks[i];
    s += (i ? ", " : "") + std::string(R"({"id": ")") + e.id +
         R"(", "name_zh": "x", "name_en": "x", "vendor": "v", "category": "other", )"
         R"("region": "cn", "packages": )" +
         json_list(e.packages) + R"(, "components": )" + json_list(e.components) +
         R"(, "meta_data_keys": )" + json_list(e.meta) + R"(, "native_libs": )" +
         json_list(e.libs) +
         R"(, "hosts": [], "privacy_policy_url": null, "collects": [], "sources": ["s"]})";
  }
  s += "]}";
  std::string p = std::string(R"({"schema": "appaudit.knowledge.packers/1", )") + kEnvelopeSources +
                  R"(, "entries": [)";
  for (size_t i = 0; i < packers.size(); ++i) {
    const PackerSpec& e = packers[i];
    p += (i ? ", " : "") + std::string(R"({"id": ")") + e.id +
         R"(", "name_zh": "x", "name_en": "x", "vendor": "v", "classes": )" + json_list(e.classes) +
         R"(, "native_libs": )" + json_list(e.libs) + R"(, "assets": )" + json_list(e.assets) +
         R"(, "sources": ["s"]})";
  }
  p += "]}";
  std::vector<knowledge::KnowledgeFile> files = {{"sdks/test.json", s}};
  if (!packers.empty()) files.push_back({"packers.json", p});
  // The views above must stay alive while loading only.
  return Knowledge::load(files);
}

const Knowledge& test_knowledge() {
  static const Knowledge k = make_knowledge(
      {
          {"bugly", {"com.tencent.bugly"}, {}, {"BUGLY_APPID"}, {"libBugly.so"}},
          {"bugly_beta",
           {"com.tencent.bugly.beta"},
           {"com.tencent.bugly.beta.ui.BetaActivity"},
           {"BUGLY_APPID"},
           {}},
          {"jcore", {"cn.jiguang"}, {}, {"JPUSH_APPKEY"}, {"libjcore*.so"}},
          {"jpush",
           {"cn.jpush.android"},
           {"cn.jpush.android.service.PushService", "cn.jpush.android.ui.PushActivity"},
           {"JPUSH_APPKEY"},
           {}},
          {"jshare", {"cn.jiguang.share"}, {}, {"JPUSH_APPKEY"}, {}},
          {"keyonly", {"com.keyonly"}, {}, {"UMENG_APPKEY"}, {}},
          {"tencent_any", {"com.tencent"}, {}, {}, {}},
          {"tinker", {"com.tencent.tinker"}, {"com.tencent.tinker.app.TinkerApp"}, {}, {}},
          {"umeng", {"com.umeng", "com.umeng.commonsdk"}, {}, {"UMENG_APPKEY"}, {}},
      },
      {
          {"globby", {"com.foo.*Shell"}, {}, {}},
          {"stubby", {"com.stub.StubApp", "com.wrap"}, {"libstub*.so"}, {"assets/stub.dat"}},
      });
  return k;
}

const SdkMatcher& test_matcher() {
  static const SdkMatcher m(test_knowledge());
  return m;
}

std::string owner(std::string_view descriptor) {
  const knowledge::Sdk* s = test_matcher().owner_of_class(descriptor);
  return s != nullptr ? s->id : "";
}

// --- SdkMatcher -----------------------------------------------------------------------------

/// Checks owner_of_class for each (descriptor, expected SDK id or "") row.
void expect_owners(const std::vector<std::pair<std::string_view, std::string>>& rows) {
  for (const auto& [descriptor, id] : rows) EXPECT_EQ(owner(descriptor), id) << descriptor;
}

TEST(SdkMatcher, MatchesWholePackageSegmentsOnly) {
  // "Lcom/umeng;" is the class "umeng" in package "com": not under the prefix "com.umeng".
  expect_owners({
      {"Lcom/umeng/a/B;", "umeng"},
      {"Lcom/umeng/B;", "umeng"},
      {"Lcom/umeng/a/b/c/d/e/F$1;", "umeng"},
      {"Lcom/umengx/C;", ""},
      {"Lcom/umen/C;", ""},
      {"Lcom/umeng;", ""},
      {"Lcom/umeng$Inner;", ""},
  });
  EXPECT_EQ(test_matcher().matched_prefix("Lcom/umeng/a/B;"), "com.umeng");
}

TEST(SdkMatcher, LongestPrefixWins) {
  expect_owners({
      {"Lcn/jiguang/share/wechat/A;", "jshare"},
      {"Lcn/jiguang/share/A;", "jshare"},
      {"Lcn/jiguang/sharex/A;", "jcore"},
      {"Lcn/jiguang/A;", "jcore"},
      {"Lcn/jpush/android/api/JPushInterface;", "jpush"},
      {"Lcn/jpush/A;", ""},
      {"Lcom/tencent/bugly/crashreport/CrashReport;", "bugly"},
      {"Lcom/tencent/bugly/beta/Beta;", "bugly_beta"},
      {"Lcom/tencent/tinker/loader/TinkerLoader;", "tinker"},
      {"Lcom/tencent/mm/opensdk/A;", "tencent_any"},
      {"Lcom/tencent/A;", "tencent_any"},
  });
  // Two prefixes of one SDK: the longer is the one reported.
  EXPECT_EQ(test_matcher().matched_prefix("Lcom/umeng/commonsdk/UMConfigure;"),
            "com.umeng.commonsdk");
  EXPECT_EQ(test_matcher().matched_prefix("Lcom/tencent/bugly/beta/Beta;"),
            "com.tencent.bugly.beta");
}

TEST(SdkMatcher, OddDescriptorsMatchNothing) {
  for (std::string_view d : {"", "L", ";", "L;", "LB;", "I", "V", "J", "[I", "[Lcom/umeng/a/B;",
                             "[[Lcom/umeng/a/B;", "Lcom/umeng/a/B", "com/umeng/a/B;",
                             "Lcom.umeng.a.B;", "L/com/umeng/B;", "Lcom//umeng/B;"}) {
    EXPECT_EQ(test_matcher().owner_of_class(d), nullptr) << d;
    EXPECT_EQ(test_matcher().matched_prefix(d), "") << d;
  }
}

TEST(SdkMatcher, MovedFromMatcherMatchesNothing) {
  SdkMatcher a(test_knowledge());
  SdkMatcher b(std::move(a));
  EXPECT_EQ(b.owner_of_class("Lcom/umeng/a/B;")->id, "umeng");
  EXPECT_EQ(a.owner_of_class("Lcom/umeng/a/B;"), nullptr); // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.matched_prefix("Lcom/umeng/a/B;"), "");      // NOLINT(bugprone-use-after-move)
}

TEST(SdkMatcher, RealCatalogNesting) {
  Knowledge k = Knowledge::load_embedded();
  SdkMatcher m(k);
  auto id = [&](std::string_view d) {
    const knowledge::Sdk* s = m.owner_of_class(d);
    return s != nullptr ? s->id : std::string();
  };
  EXPECT_EQ(id("Lcn/jpush/android/api/JPushInterface;"), "jpush");
  EXPECT_EQ(id("Lcn/jiguang/api/JCoreInterface;"), "jiguang_jcore");
  EXPECT_EQ(id("Lcn/jiguang/share/android/api/JShareInterface;"), "jiguang_share");
  EXPECT_EQ(id("Lcom/tencent/bugly/crashreport/CrashReport;"), "tencent_bugly");
  EXPECT_EQ(id("Lcom/tencent/bugly/beta/Beta;"), "tencent_bugly_upgrade");
  EXPECT_EQ(id("Lcom/tencent/tinker/loader/TinkerLoader;"), "tencent_tinker");
  EXPECT_EQ(id("Landroid/app/Activity;"), "");
  EXPECT_EQ(id("Ljava/lang/Object;"), "");
}

// --- detect_sdks ----------------------------------------------------------------------------

apk::NativeLib lib(std::string abi, std::string name) {
  apk::NativeLib l;
  l.path = "lib/" + abi + "/" + name;
  l.abi = std::move(abi);
  l.name = std::move(name);
  return l;
}

apk::MetaData meta_data(std::string name) {
  apk::MetaData m;
  m.name = std::move(name);
  return m;
}

apk::Component component(apk::ComponentKind kind, std::string name,
                         std::vector<std::string> meta = {}) {
  apk::Component c;
  c.kind = kind;
  c.name = std::move(name);
  for (auto& m : meta) c.meta_data.push_back(meta_data(std::move(m)));
  return c;
}

std::string describe(const std::vector<Evidence>& evidence) {
  std::string out;
  for (const Evidence& e : evidence) {
    out += (out.empty() ? "" : " ") + e.kind + ":" + e.value + "=" + std::to_string(e.count);
  }
  return out;
}

const std::string& id_of(const DetectedSdk& d) { return d.sdk->id; }
const std::string& id_of(const DetectedPacker& d) { return d.packer->id; }

/// id → described evidence, for DetectedSdk or DetectedPacker results.
template <typename Detected>
std::map<std::string, std::string> by_id(const std::vector<Detected>& found) {
  std::map<std::string, std::string> out;
  for (const auto& d : found) out[id_of(d)] = describe(d.evidence);
  return out;
}

TEST(DetectSdks, CollectsEvidenceOfEveryKind) {
  std::vector<std::string_view> classes = {
      "Lcom/umeng/a/B;", "Lcom/umeng/B;",          "Lcom/umeng/commonsdk/C;",
      "Lcom/umengx/C;",  "Lcn/jiguang/share/A;",   "Lcn/jiguang/share/b/C;",
      "Lcn/jiguang/D;",  "Lcom/example/app/Main;", "[Lcom/tencent/bugly/X;",
  };
  apk::Manifest manifest;
  manifest.application.name = "com.tencent.tinker.app.TinkerApp";
  manifest.application.meta_data.push_back(meta_data("JPUSH_APPKEY"));
  manifest.application.meta_data.push_back(meta_data("UMENG_APPKEY"));
  manifest.components.push_back(
      component(apk::ComponentKind::kService, "cn.jpush.android.service.PushService"));
  manifest.components.push_back(component(apk::ComponentKind::kActivity,
                                          "cn.jpush.android.ui.PushActivity", {"JPUSH_APPKEY"}));
  manifest.components.push_back(
      component(apk::ComponentKind::kActivity, "com.example.app.Main", {"BUGLY_APPID"}));
  apk::ApkInventory inventory;
  inventory.native_libs = {lib("arm64-v8a", "libjcore221.so"), lib("armeabi-v7a", "libjcore221.so"),
                           lib("arm64-v8a", "libother.so")};

  auto found = detect_sdks(test_knowledge(), test_matcher(), classes, &manifest, inventory);
  std::map<std::string, std::string> expected = {
      {"jcore", "package:cn.jiguang=1 meta_data:JPUSH_APPKEY=2 native_lib:libjcore221.so=2"},
      {"jpush",
       "component:cn.jpush.android.service.PushService=1 "
       "component:cn.jpush.android.ui.PushActivity=1 meta_data:JPUSH_APPKEY=2"},
      {"jshare", "package:cn.jiguang.share=2 meta_data:JPUSH_APPKEY=2"},
      {"tinker", "component:com.tencent.tinker.app.TinkerApp=1"},
      {"umeng", "package:com.umeng=2 package:com.umeng.commonsdk=1 meta_data:UMENG_APPKEY=1"},
  };
  EXPECT_EQ(by_id(found), expected);
  // Sorted by id; meta-data alone (keyonly: UMENG_APPKEY; bugly: BUGLY_APPID) is not enough.
  ASSERT_EQ(found.size(), 5u);
  EXPECT_TRUE(std::is_sorted(found.begin(), found.end(),
                             [](const auto& a, const auto& b) { return a.sdk->id < b.sdk->id; }));
}

TEST(DetectSdks, NativeLibraryAloneIsEnoughAndNullManifestIsFine) {
  apk::ApkInventory inventory;
  inventory.native_libs = {lib("armeabi", "libBugly.so"), lib("x86", "libBugly.so"),
                           lib("x86_64", "libBugly.so"), lib("x86", "libBuglyX.so")};
  auto found = detect_sdks(test_knowledge(), test_matcher(), {}, nullptr, inventory);
  EXPECT_EQ(by_id(found),
            (std::map<std::string, std::string>{{"bugly", "native_lib:libBugly.so=3"}}));
}

TEST(DetectSdks, NothingFoundInAnAppWithoutSdks) {
  apk::Manifest manifest;
  manifest.application.name = "com.example.App";
  manifest.application.meta_data.push_back(meta_data("UMENG_APPKEY"));
  manifest.components.push_back(component(apk::ComponentKind::kActivity, "com.example.Main"));
  std::vector<std::string_view> classes = {"Lcom/example/App;", "Lcom/example/Main;",
                                           "Landroid/support/v4/app/Fragment;"};
  EXPECT_TRUE(detect_sdks(test_knowledge(), test_matcher(), classes, &manifest, {}).empty());
}

// --- detect_packers -------------------------------------------------------------------------

TEST(DetectPackers, ClassesMatchByNameNestingPackageOrGlob) {
  std::vector<std::string_view> classes = {
      "Lcom/stub/StubApp;", "Lcom/stub/StubApp$1;", "Lcom/stub/StubAppX;", "Lcom/wrap/a/B;",
      "Lcom/wrapper/C;",    "Lcom/foo/MyShell;",    "Lcom/foo/Shellfish;", "[Lcom/stub/StubApp;",
  };
  auto found = detect_packers(test_knowledge(), classes, {});
  EXPECT_EQ(by_id(found), (std::map<std::string, std::string>{
                              {"globby", "class:com.foo.*Shell=1"},
                              {"stubby", "class:com.stub.StubApp=2 class:com.wrap=1"},
                          }));
}

TEST(DetectPackers, AssetAloneCountsOnlyWhenSpecific) {
  const Knowledge& k = test_knowledge();
  apk::ApkInventory inventory;
  inventory.assets = {"assets/stub.dat"};
  EXPECT_TRUE(detect_packers(k, {}, inventory).empty()); // one plain asset: not enough
  inventory.native_libs = {lib("armeabi-v7a", "libstub2.so")};
  EXPECT_EQ(by_id(detect_packers(k, {}, inventory)),
            (std::map<std::string, std::string>{
                {"stubby", "native_lib:libstub2.so=1 asset:assets/stub.dat=1"}}));
}

TEST(DetectPackers, RealCatalogJiagu360) {
  Knowledge k = Knowledge::load_embedded();
  apk::ApkInventory inventory;
  inventory.native_libs = {lib("armeabi-v7a", "libjiagu.so"), lib("arm64-v8a", "libjiagu_a64.so")};
  inventory.assets = {"assets/libjiagu.so", "assets/libjiagu_a64.so", "assets/ic_launcher.png"};
  std::vector<std::string_view> classes = {"Lcom/stub/StubApp;", "Lcom/qihoo/util/Configuration;"};
  auto found = by_id(detect_packers(k, classes, inventory));
  EXPECT_EQ(found["jiagu_360"],
            "class:com.stub.StubApp=1 native_lib:libjiagu.so=1 native_lib:libjiagu_a64.so=1 "
            "asset:assets/libjiagu.so=1 asset:assets/libjiagu_a64.so=1");
  EXPECT_EQ(found["qihoo_360_legacy"], "class:com.qihoo.util=1");
  EXPECT_EQ(found.size(), 2u);

  // The loader only as an asset (not extracted by the installer) is specific on its own.
  apk::ApkInventory assets_only;
  assets_only.assets = {"assets/libjiagu.so"};
  EXPECT_EQ(by_id(detect_packers(k, {}, assets_only)),
            (std::map<std::string, std::string>{{"jiagu_360", "asset:assets/libjiagu.so=1"}}));

  // Ordinary asset names some catalog entries list are not enough alone...
  apk::ApkInventory ordinary;
  ordinary.assets = {"assets/high_resolution.png", "assets/sign.bin", "assets/appguard"};
  EXPECT_TRUE(detect_packers(k, {}, ordinary).empty());
  // ... but a protector's own asset directory is.
  ordinary.assets.push_back("assets/appguard/x.bin");
  EXPECT_EQ(
      by_id(detect_packers(k, {}, ordinary)),
      (std::map<std::string, std::string>{{"appguard_nprotect", "asset:assets/appguard/=1"}}));
}

// --- The corpus -----------------------------------------------------------------------------

// The four hot-fix demos carry Bugly and Tinker. The upgrade demo carries Bugly (with its
// upgrade module) but not Tinker: its com.tencent.bugly.beta.tinker glue only references
// Tinker's types (compiled against it, not packaged), so no class of Tinker is defined.
TEST(SdkDetectCorpus, BuglyDemosCarryBuglyAndTinker) {
  auto apks = test::find_apks(test::corpus_dir() + "/bugly/apks");
  if (apks.empty()) GTEST_SKIP() << "corpus not found under " << test::corpus_dir();
  EXPECT_EQ(apks.size(), 5u);
  Knowledge k = Knowledge::load_embedded();
  SdkMatcher matcher(k);
  for (const std::string& path : apks) {
    SCOPED_TRACE(path);
    auto apk = test::open_apk_contents(path);
    ASSERT_TRUE(apk);
    ASSERT_GT(apk->classes.size(), 100u);
    auto found = detect_sdks(k, matcher, apk->classes, apk->manifest ? &*apk->manifest : nullptr,
                             apk->inventory);
    std::map<std::string, const DetectedSdk*> ids;
    for (const auto& d : found) ids[d.sdk->id] = &d;
    ASSERT_TRUE(ids.count("tencent_bugly"));
    // By its code, with many classes.
    const Evidence& bugly = ids["tencent_bugly"]->evidence.front();
    EXPECT_EQ(bugly.kind, "package");
    EXPECT_EQ(bugly.value, "com.tencent.bugly");
    EXPECT_GT(bugly.count, 20u);
    EXPECT_TRUE(ids.count("tencent_bugly_upgrade"));

    size_t tinker_classes =
        std::count_if(apk->classes.begin(), apk->classes.end(),
                      [](std::string_view d) { return d.starts_with("Lcom/tencent/tinker/"); });
    bool hotfix = fs::path(path).filename().string().starts_with("BuglyHotfixDemo");
    if (hotfix) {
      ASSERT_TRUE(ids.count("tencent_tinker"));
      const Evidence& tinker = ids["tencent_tinker"]->evidence.front();
      EXPECT_EQ(tinker.kind, "package");
      EXPECT_EQ(tinker.value, "com.tencent.tinker");
      EXPECT_EQ(tinker.count, tinker_classes);
      EXPECT_GT(tinker.count, 20u);
    } else {
      EXPECT_EQ(tinker_classes, 0u);
      EXPECT_FALSE(ids.count("tencent_tinker"));
    }
    // No packer in these release builds.
    EXPECT_TRUE(detect_packers(k, apk->classes, apk->inventory).empty());
  }
}

// DroidBench apps are small test apps without third-party SDKs. One exception is real:
// EmulatorDetection/PlayStore2 calls GooglePlayServicesUtil and so links the monolithic
// google-play-services library, which packages the code of every Google API (Maps, Games,
// AdMob, Cast, ...). Those SDKs are present (whether they are called is for the call graph),
// so for that app every piece of evidence must be Google code.
TEST(SdkDetectCorpus, DroidBenchAppsCarryNoThirdPartySdk) {
  auto apks = test::find_apks(test::corpus_dir() + "/droidbench/apk");
  if (apks.empty()) GTEST_SKIP() << "corpus not found under " << test::corpus_dir();
  Knowledge k = Knowledge::load_embedded();
  SdkMatcher matcher(k);
  size_t opened = 0;
  size_t google_sdks = 0;
  for (const std::string& path : apks) {
    auto apk = test::open_apk_contents(path);
    if (!apk) continue;
    ++opened;
    auto found = detect_sdks(k, matcher, apk->classes, apk->manifest ? &*apk->manifest : nullptr,
                             apk->inventory);
    bool monolithic_gms = path.ends_with("/EmulatorDetection/PlayStore2.apk");
    for (const auto& d : found) {
      bool google_code = std::all_of(d.evidence.begin(), d.evidence.end(), [](const Evidence& e) {
        return e.kind == "package" && e.value.starts_with("com.google.");
      });
      if (monolithic_gms && google_code) {
        ++google_sdks;
        continue;
      }
      ADD_FAILURE() << path << ": " << d.sdk->id << " " << describe(d.evidence);
    }
    for (const auto& d : detect_packers(k, apk->classes, apk->inventory)) {
      ADD_FAILURE() << path << ": packer " << d.packer->id << " " << describe(d.evidence);
    }
  }
  EXPECT_GT(opened, 100u);
  EXPECT_GT(google_sdks, 10u); // Maps, Games, AdMob, ... all found in PlayStore2
}

} // namespace
} // namespace appaudit::analysis
