// Manifest model: the hello fixture, and parity with `aapt dump badging` over every APK of the
// shared corpus (package, versions, SDK levels, permissions, labels, launchable activities).
#include "apk/manifest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace appaudit::apk {
namespace {

using test::run_command;

std::string quote(const std::string& path) {
  std::string out = "'";
  for (char c : path) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::vector<uint8_t> unzip_entry(const std::string& apk, const std::string& entry) {
  int rc = 0;
  std::string out = run_command("unzip -p " + quote(apk) + " " + entry + " 2>/dev/null", &rc);
  return {out.begin(), out.end()};
}

ByteView view(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

/// aapt's ResTable::normalizeForOutput: escapes backslash, newline and double quote, and
/// stops at the first NUL (it works on C strings).
std::string normalize(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\0') break;
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// Text between `open` and the next `close` in `line` (nullopt when `open` is missing).
std::optional<std::string> between(const std::string& line, const std::string& open,
                                   const std::string& close) {
  size_t a = line.find(open);
  if (a == std::string::npos) return std::nullopt;
  a += open.size();
  size_t b = close.empty() ? line.size() : line.find(close, a);
  if (b == std::string::npos) b = line.size();
  return line.substr(a, b - a);
}

/// What `aapt dump badging` printed, in the fields we compare.
struct Badging {
  std::string package, version_code, version_name;
  std::optional<std::string> sdk, target_sdk;
  std::vector<std::string> permissions, permissions_sdk23;
  std::optional<std::string> label, label_zh_cn;
  std::vector<std::string> launchable;
};

Badging parse_badging(const std::string& text) {
  Badging b;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> implied;
  while (std::getline(in, line)) {
    if (line.rfind("package: ", 0) == 0) {
      b.package = between(line, "name='", "' versionCode='").value_or("");
      b.version_code = between(line, "versionCode='", "'").value_or("");
      if (size_t a = line.find("versionName='"); a != std::string::npos) {
        a += 13;
        size_t e = line.rfind('\'');
        for (const char* next : {"' platformBuildVersion", "' compileSdkVersion"}) {
          e = std::min(e, line.find(next, a));
        }
        if (e < a) e = a;
        b.version_name = line.substr(a, e - a);
      }
    } else if (line.rfind("sdkVersion:'", 0) == 0) {
      b.sdk = line.substr(12, line.size() - 13);
    } else if (line.rfind("targetSdkVersion:'", 0) == 0) {
      b.target_sdk = line.substr(18, line.size() - 19);
    } else if (line.rfind("uses-permission: name='", 0) == 0) {
      std::string name = *between(line, "name='", "'");
      if (auto max = between(line, "maxSdkVersion='", "'")) name += " max=" + *max;
      b.permissions.push_back(name);
    } else if (line.rfind("uses-permission-sdk-23: name='", 0) == 0) {
      std::string name = *between(line, "name='", "'");
      if (auto max = between(line, "maxSdkVersion='", "'")) name += " max=" + *max;
      b.permissions_sdk23.push_back(name);
    } else if (line.rfind("uses-implied-permission: name='", 0) == 0) {
      std::string name = *between(line, "name='", "'");
      if (auto max = between(line, "maxSdkVersion='", "'")) name += " max=" + *max;
      implied.push_back(name);
    } else if (line.rfind("application-label:'", 0) == 0) {
      b.label = line.substr(19, line.size() - 20);
    } else if (line.rfind("application-label-zh-CN:'", 0) == 0) {
      b.label_zh_cn = line.substr(25, line.size() - 26);
    } else if (line.rfind("launchable-activity:", 0) == 0) {
      b.launchable.push_back(between(line, " name='", "'  label='").value_or(""));
    }
  }
  // Implied permissions are printed as uses-permission lines after the declared ones; our
  // model lists them too (UsesPermission::implied), so both sides keep them. Every implied
  // line must correspond to one of those uses-permission lines.
  for (const auto& name : implied) {
    if (std::find(b.permissions.begin(), b.permissions.end(), name) == b.permissions.end()) {
      b.permissions.push_back("implied-without-uses-permission:" + name);
    }
  }
  return b;
}

/// Our model printed in the same shape.
Badging badging_of(const Manifest& m) {
  Badging b;
  b.package = normalize(m.package);
  int32_t code = static_cast<int32_t>(static_cast<uint32_t>(m.version_code & 0xffffffff));
  b.version_code = code > 0 ? std::to_string(code) : "";
  b.version_name = normalize(m.version_name);
  if (m.min_sdk) b.sdk = normalize(m.min_sdk->text());
  if (m.target_sdk) b.target_sdk = normalize(m.target_sdk->text());
  for (const auto& p : m.uses_permissions) {
    std::string name = normalize(p.name);
    if (p.max_sdk) name += " max=" + std::to_string(*p.max_sdk);
    (p.sdk23 ? b.permissions_sdk23 : b.permissions).push_back(name);
  }
  if (m.label && !m.label->empty()) b.label = normalize(*m.label);
  if (m.label_zh_cn && !m.label_zh_cn->empty()) b.label_zh_cn = normalize(*m.label_zh_cn);
  for (const auto& a : m.launcher_activities) b.launchable.push_back(normalize(a));
  return b;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::vector<std::string> corpus_apks() {
  std::string out = run_command("find " + quote(test::corpus_dir()) + " -name '*.apk' | sort");
  std::vector<std::string> apks;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) apks.push_back(line);
  }
  return apks;
}

TEST(ManifestParity, MatchesAaptDumpBadgingOnCorpus) {
  const std::vector<std::string> apks = corpus_apks();
  ASSERT_GT(apks.size(), 100u) << "corpus not found under " << test::corpus_dir();
  int compared = 0;
  int labels = 0;
  int labels_zh = 0;
  std::vector<std::string> mismatches;
  for (const auto& apk : apks) {
    int rc = 0;
    const std::string text = run_command("aapt dump badging " + quote(apk) + " 2>/dev/null", &rc);
    if (rc != 0) continue;
    ++compared;
    const Badging want = parse_badging(text);
    const std::vector<uint8_t> xml = unzip_entry(apk, "AndroidManifest.xml");
    const std::vector<uint8_t> arsc = unzip_entry(apk, "resources.arsc");
    Diagnostics diags;
    std::optional<ResourceTable> table;
    if (!arsc.empty()) {
      auto t = ResourceTable::parse(view(arsc), diags);
      if (t) table = std::move(*t);
    }
    auto m = parse_manifest(view(xml), table ? &*table : nullptr, diags);
    if (!m) {
      mismatches.push_back(apk + ": parse failed: " + m.error().to_string());
      continue;
    }
    const Badging got = badging_of(*m);
    auto check = [&](const char* what, const std::string& w, const std::string& g) {
      if (w != g) mismatches.push_back(apk + ": " + what + " aapt='" + w + "' ours='" + g + "'");
    };
    auto opt = [](const std::optional<std::string>& s) { return s ? "'" + *s + "'" : "<none>"; };
    check("package", want.package, got.package);
    check("versionCode", want.version_code, got.version_code);
    check("versionName", want.version_name, got.version_name);
    check("sdkVersion", opt(want.sdk), opt(got.sdk));
    check("targetSdkVersion", opt(want.target_sdk), opt(got.target_sdk));
    check("uses-permission", join(want.permissions), join(got.permissions));
    check("uses-permission-sdk-23", join(want.permissions_sdk23), join(got.permissions_sdk23));
    if (want.label) {
      ++labels;
      check("application-label", *want.label, got.label.value_or("<none>"));
    }
    if (want.label_zh_cn) {
      ++labels_zh;
      check("application-label-zh-CN", *want.label_zh_cn, got.label_zh_cn.value_or("<none>"));
    }
    check("launchable-activity", join(want.launchable), join(got.launchable));
  }
  std::string report;
  for (const auto& s : mismatches) report += "  " + s + "\n";
  std::printf("aapt parity: %d APKs compared (%d labels, %d zh-CN labels), %zu mismatches\n",
              compared, labels, labels_zh, mismatches.size());
  EXPECT_GT(compared, 500);
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches:\n" << report;
}

// ---------------------------------------------------------------------------------------------
// The hello fixture (tests/fixtures/apps/hello).

class ManifestHello : public ::testing::Test {
 protected:
  void SetUp() override {
    apk_ = test::fixtures_dir() + "/apk/hello.apk";
    xml_ = unzip_entry(apk_, "AndroidManifest.xml");
    arsc_ = unzip_entry(apk_, "resources.arsc");
    ASSERT_FALSE(xml_.empty()) << apk_;
    ASSERT_FALSE(arsc_.empty()) << apk_;
    auto t = ResourceTable::parse(view(arsc_), diags_);
    ASSERT_TRUE(t) << t.error().to_string();
    table_ = std::move(*t);
    auto m = parse_manifest(view(xml_), &*table_, diags_);
    ASSERT_TRUE(m) << m.error().to_string();
    m_ = std::move(*m);
  }
  const Component* find(const std::string& name) const {
    for (const auto& c : m_.components) {
      if (c.name == name) return &c;
    }
    return nullptr;
  }
  std::string apk_;
  std::vector<uint8_t> xml_, arsc_;
  Diagnostics diags_;
  std::optional<ResourceTable> table_;
  Manifest m_;
};

TEST_F(ManifestHello, Identity) {
  EXPECT_EQ(m_.package, "com.example.hello");
  EXPECT_EQ(m_.version_code, 42);
  EXPECT_EQ(m_.version_name, "1.2.3");
  ASSERT_TRUE(m_.min_sdk);
  EXPECT_EQ(m_.min_sdk->api, 21);
  ASSERT_TRUE(m_.target_sdk);
  EXPECT_EQ(m_.target_sdk->api, 30);
  EXPECT_EQ(m_.effective_target_sdk, 30);
  EXPECT_EQ(m_.label, "Hello Audit");
  EXPECT_EQ(m_.label_zh_cn, "你好审计");
  ASSERT_TRUE(m_.application.label);
  EXPECT_TRUE(m_.application.label->is_reference);
  EXPECT_EQ(m_.application.label->resource_name, "string/app_name");
  EXPECT_EQ(m_.application.name, "com.example.hello.App");
  EXPECT_EQ(m_.application.allow_backup, true);
  EXPECT_EQ(m_.application.uses_cleartext_traffic, true);
  EXPECT_FALSE(m_.application.debuggable.has_value());
}

TEST_F(ManifestHello, Permissions) {
  ASSERT_EQ(m_.uses_permissions.size(), 4u);
  EXPECT_EQ(m_.uses_permissions[0].name, "android.permission.INTERNET");
  EXPECT_EQ(m_.uses_permissions[2].name, "android.permission.ACCESS_FINE_LOCATION");
  EXPECT_EQ(m_.uses_permissions[2].max_sdk, 28);
  EXPECT_FALSE(m_.uses_permissions[0].max_sdk.has_value());
  EXPECT_EQ(m_.uses_permissions[3].name, "android.permission.READ_CONTACTS");
  EXPECT_TRUE(m_.uses_permissions[3].sdk23);
  EXPECT_FALSE(m_.uses_permissions[0].sdk23);
  ASSERT_EQ(m_.permissions.size(), 1u);
  EXPECT_EQ(m_.permissions[0].name, "com.example.hello.permission.C2D");
  EXPECT_EQ(m_.permissions[0].protection_level, "signature");
}

TEST_F(ManifestHello, Components) {
  ASSERT_EQ(m_.components.size(), 4u);
  const Component* main = find("com.example.hello.MainActivity");
  ASSERT_NE(main, nullptr);
  EXPECT_EQ(main->kind, ComponentKind::kActivity);
  EXPECT_FALSE(main->exported.has_value());
  EXPECT_TRUE(main->effective_exported);
  EXPECT_EQ(main->exported_reason, ExportedReason::kIntentFilter);
  const Component* sync = find("com.example.hello.SyncService");
  ASSERT_NE(sync, nullptr);
  EXPECT_EQ(sync->kind, ComponentKind::kService);
  EXPECT_EQ(sync->exported, false);
  EXPECT_EQ(sync->exported_reason, ExportedReason::kExplicit);
  EXPECT_EQ(sync->process, ":sync");
  const Component* boot = find("com.example.hello.BootReceiver");
  ASSERT_NE(boot, nullptr);
  EXPECT_EQ(boot->kind, ComponentKind::kReceiver);
  EXPECT_TRUE(boot->effective_exported);
  EXPECT_EQ(boot->exported_reason, ExportedReason::kIntentFilter);
  ASSERT_EQ(boot->intent_filters.size(), 1u);
  EXPECT_EQ(boot->intent_filters[0].actions,
            std::vector<std::string>{"android.intent.action.BOOT_COMPLETED"});
  const Component* prov = find("com.example.hello.InitProvider");
  ASSERT_NE(prov, nullptr);
  EXPECT_EQ(prov->kind, ComponentKind::kProvider);
  EXPECT_EQ(prov->authorities, std::vector<std::string>{"com.example.hello.init"});
  EXPECT_FALSE(prov->effective_exported);
  EXPECT_EQ(m_.launcher_activities, std::vector<std::string>{"com.example.hello.MainActivity"});
}

TEST_F(ManifestHello, MetaDataAndQueries) {
  ASSERT_EQ(m_.application.meta_data.size(), 1u);
  const MetaData& md = m_.application.meta_data[0];
  EXPECT_EQ(md.name, "UMENG_APPKEY");
  ASSERT_TRUE(md.value);
  EXPECT_EQ(md.value->raw, "5f0000000000000000000001");
  EXPECT_EQ(md.value->resolved, "5f0000000000000000000001");
  EXPECT_FALSE(md.resource.has_value());
  EXPECT_EQ(m_.queries.packages, std::vector<std::string>{"com.tencent.mm"});
}

TEST(Manifest, QualifyClassName) {
  EXPECT_EQ(qualify_class_name("a.b", ".Foo"), "a.b.Foo");
  EXPECT_EQ(qualify_class_name("a.b", "Foo"), "a.b.Foo");
  EXPECT_EQ(qualify_class_name("a.b", "x.Foo"), "x.Foo");
  EXPECT_EQ(qualify_class_name("a.b", ""), "");
}

XmlAttribute int_attr(uint32_t id, const char* name, uint32_t v, uint8_t type = 0x10) {
  XmlAttribute a;
  a.ns = std::string(kAndroidNs);
  a.name = name;
  a.resource_id = id;
  a.value = {type, v};
  return a;
}

XmlAttribute str_attr(uint32_t id, const char* name, const char* v) {
  XmlAttribute a;
  a.ns = id != 0 ? std::string(kAndroidNs) : std::string();
  a.name = name;
  a.resource_id = id;
  a.value = {0x03, 0};
  a.raw = v;
  return a;
}

XmlElement element(const char* name, std::vector<XmlAttribute> attrs,
                   std::vector<XmlElement> children = {}) {
  XmlElement e;
  e.name = name;
  e.attributes = std::move(attrs);
  e.children = std::move(children);
  return e;
}

/// A manifest with the given targetSdkVersion, one provider, one activity with a filter and one
/// service without.
XmlDocument exported_doc(uint32_t target_sdk) {
  XmlDocument doc;
  XmlElement filter = element("intent-filter", {},
                              {element("action", {str_attr(attr::kName, "name", "x.ACTION")})});
  doc.roots.push_back(element(
      "manifest", {str_attr(0, "package", "p.q")},
      {element("uses-sdk", {int_attr(attr::kMinSdkVersion, "minSdkVersion", 9),
                            int_attr(attr::kTargetSdkVersion, "targetSdkVersion", target_sdk)}),
       element("application", {},
               {element("provider", {str_attr(attr::kName, "name", ".P"),
                                     str_attr(attr::kAuthorities, "authorities", "a;b")}),
                element("activity", {str_attr(attr::kName, "name", "A")}, {filter}),
                element("service", {str_attr(attr::kName, "name", "x.S")}),
                element("receiver",
                        {str_attr(attr::kName, "name", ".R"),
                         int_attr(attr::kExported, "exported", 0, 0x12)},
                        {filter})})}));
  return doc;
}

TEST(Manifest, ExportedDefaultsFollowTargetSdk) {
  for (uint32_t target : {16u, 17u, 30u, 31u}) {
    Diagnostics diags;
    auto m = build_manifest(exported_doc(target), nullptr, diags);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->components.size(), 4u);
    const Component& provider = m->components[0];
    EXPECT_EQ(provider.name, "p.q.P");
    EXPECT_EQ(provider.authorities, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(provider.effective_exported, target <= 16) << target;
    EXPECT_EQ(provider.exported_reason,
              target <= 16 ? ExportedReason::kProviderLegacy : ExportedReason::kDefault);
    const Component& activity = m->components[1];
    EXPECT_EQ(activity.name, "p.q.A");
    EXPECT_TRUE(activity.effective_exported);
    EXPECT_EQ(activity.exported_reason, ExportedReason::kIntentFilter);
    const Component& service = m->components[2];
    EXPECT_EQ(service.name, "x.S");
    EXPECT_FALSE(service.effective_exported);
    EXPECT_EQ(service.exported_reason, ExportedReason::kDefault);
    const Component& receiver = m->components[3];
    EXPECT_EQ(receiver.exported, false);
    EXPECT_FALSE(receiver.effective_exported);
    EXPECT_EQ(receiver.exported_reason, ExportedReason::kExplicit);
    bool required_diag = false;
    for (const auto& d : diags.items()) required_diag |= d.code == "manifest.exported_required";
    EXPECT_EQ(required_diag, target >= 31) << target;
  }
}

TEST(Manifest, TargetDefaultsToMinAndCodenames) {
  XmlDocument doc = exported_doc(16);
  auto& sdk = doc.roots[0].children[0];
  sdk.attributes.resize(1); // only minSdkVersion=9
  Diagnostics diags;
  auto m = build_manifest(doc, nullptr, diags);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->target_sdk.has_value()); // aapt prints no targetSdkVersion
  EXPECT_EQ(m->effective_target_sdk, 9);
  EXPECT_TRUE(m->components[0].effective_exported); // provider, target 9 <= 16
  sdk.attributes[0] = str_attr(attr::kMinSdkVersion, "minSdkVersion", "Q");
  auto q = build_manifest(doc, nullptr, diags);
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->min_sdk);
  EXPECT_EQ(q->min_sdk->text(), "Q");
  EXPECT_EQ(q->effective_target_sdk, 10000);
}

TEST(Manifest, TruncatedManifestNeverCrashes) {
  const std::string apk = test::fixtures_dir() + "/apk/hello.apk";
  const std::vector<uint8_t> xml = unzip_entry(apk, "AndroidManifest.xml");
  ASSERT_GT(xml.size(), 100u);
  int ok = 0;
  for (size_t n = 0; n <= xml.size(); ++n) {
    std::vector<uint8_t> cut(xml.begin(), xml.begin() + static_cast<std::ptrdiff_t>(n));
    Diagnostics diags;
    auto m = parse_manifest(view(cut), nullptr, diags);
    if (m) {
      ++ok;
      if (n < xml.size()) {
        EXPECT_FALSE(diags.empty()) << "no diagnostic at length " << n;
      }
    }
  }
  EXPECT_GT(ok, 0);
  Diagnostics diags;
  auto full = parse_manifest(view(xml), nullptr, diags);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->package, "com.example.hello");
}

} // namespace
} // namespace appaudit::apk
