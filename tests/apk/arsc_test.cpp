// resources.arsc reader: lookups for default and zh-CN configurations, names, compact entries.
#include "apk/arsc.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace appaudit::apk {
namespace {

ByteView view(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

std::vector<uint8_t> unzip_entry(const std::string& apk, const std::string& entry) {
  std::string out = test::run_command("unzip -p '" + apk + "' " + entry + " 2>/dev/null");
  return {out.begin(), out.end()};
}

TEST(Arsc, HelloLabelPerLocale) {
  const std::vector<uint8_t> arsc =
      unzip_entry(test::fixtures_dir() + "/apk/hello.apk", "resources.arsc");
  ASSERT_FALSE(arsc.empty());
  Diagnostics diags;
  auto t = ResourceTable::parse(view(arsc), diags);
  ASSERT_TRUE(t) << t.error().to_string();
  auto pkgs = t->packages();
  ASSERT_EQ(pkgs.size(), 1u);
  EXPECT_EQ(pkgs[0].first, 0x7fu);
  EXPECT_EQ(pkgs[0].second, "com.example.hello");
  // Find the id of string/app_name by scanning the string type.
  uint32_t id = 0;
  for (uint32_t type = 1; type < 16 && id == 0; ++type) {
    for (uint32_t e = 0; e < 16; ++e) {
      uint32_t candidate = 0x7f000000u | (type << 16) | e;
      if (t->name_of(candidate) == "string/app_name") id = candidate;
    }
  }
  ASSERT_NE(id, 0u);
  EXPECT_EQ(t->resolve_string(id, ResConfig::device("")), "Hello Audit");
  EXPECT_EQ(t->resolve_string(id, ResConfig::device("zh-CN")), "你好审计");
  EXPECT_EQ(t->resolve_string(id, ResConfig::device("zh")), "Hello Audit");
  EXPECT_EQ(t->resolve_string(id, ResConfig::device("fr-FR")), "Hello Audit");
  const auto locales = t->locales();
  EXPECT_NE(std::find(locales.begin(), locales.end(), "zh-CN"), locales.end());
  EXPECT_FALSE(t->name_of(0x7f7f0000).has_value());
  EXPECT_FALSE(t->resolve_string(0x01020000, ResConfig::device("")).has_value());
}

TEST(Arsc, ConfigSelection) {
  ResConfig def;
  ResConfig zh;
  zh.language[0] = 'z';
  zh.language[1] = 'h';
  ResConfig zh_cn = zh;
  zh_cn.country[0] = 'C';
  zh_cn.country[1] = 'N';
  ResConfig zh_tw = zh;
  zh_tw.country[0] = 'T';
  zh_tw.country[1] = 'W';
  const ResConfig req = ResConfig::device("zh-CN");
  EXPECT_TRUE(def.matches(req));
  EXPECT_TRUE(zh.matches(req));
  EXPECT_TRUE(zh_cn.matches(req));
  EXPECT_FALSE(zh_tw.matches(req));
  EXPECT_TRUE(zh_cn.is_better_than(zh, req));
  EXPECT_TRUE(zh.is_better_than(def, req));
  EXPECT_FALSE(def.is_better_than(zh, req));
  EXPECT_FALSE(zh.matches(ResConfig::device("")));
  EXPECT_EQ(zh_cn.locale(), "zh-CN");
  EXPECT_EQ(zh_cn.to_string(), "zh-rCN");
  ResConfig v21;
  v21.sdk_version = 21;
  EXPECT_TRUE(v21.is_better_than(def, req));
  EXPECT_EQ(v21.to_string(), "v21");
}

TEST(Arsc, CompactEntries) {
  // androguard's compact-entry.apk uses FLAG_COMPACT entries (aapt2 --enable-compact-entries).
  const std::string apk = test::corpus_dir() + "/androguard/data/AXML/compact-entry.apk";
  const std::vector<uint8_t> arsc = unzip_entry(apk, "resources.arsc");
  ASSERT_FALSE(arsc.empty());
  Diagnostics diags;
  auto t = ResourceTable::parse(view(arsc), diags);
  ASSERT_TRUE(t) << t.error().to_string();
  // Debian's aapt/aapt2 predate compact entries ("ResTable_entry size 0x0 is too small");
  // androguard reads the label as below.
  EXPECT_EQ(t->resolve_string(0x7f010000, ResConfig::device("")), "erev0s.com-CompactEntry");
  EXPECT_EQ(t->name_of(0x7f010000), "string/app_name");
  ASSERT_EQ(t->packages().size(), 1u);
  EXPECT_EQ(t->packages()[0].second, "com.erev0s");
}

TEST(Arsc, TruncationNeverCrashes) {
  const std::vector<uint8_t> arsc =
      unzip_entry(test::fixtures_dir() + "/apk/hello.apk", "resources.arsc");
  ASSERT_FALSE(arsc.empty());
  for (size_t n = 0; n <= arsc.size(); ++n) {
    Diagnostics diags;
    auto t = ResourceTable::parse(ByteView(arsc.data(), n), diags);
    if (t) {
      for (uint32_t id = 0x7f010000; id < 0x7f010004; ++id) {
        (void)t->resolve_string(id, ResConfig::device("zh-CN"));
        (void)t->name_of(id);
      }
    }
  }
}

} // namespace
} // namespace appaudit::apk
