// The knowledge base: the embedded files load and meet the coverage the issues ask for, and
// the loader rejects broken data with a message naming the file, the entry and the field.
#include "knowledge/knowledge.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace appaudit::knowledge {
namespace {

const Knowledge& kb() {
  static const Knowledge k = Knowledge::load_embedded();
  return k;
}

TEST(Knowledge, EmbeddedFilesLoadAndAreVersioned) {
  EXPECT_EQ(kb().version().size(), 64u);
  EXPECT_FALSE(kb().pi_types().empty());
}

TEST(Knowledge, PiTaxonomySplitsDeviceIdentifiers) {
  for (const char* id : {"device_imei",       "device_meid",
                         "device_imsi",       "device_iccid",
                         "device_serial",     "android_id",
                         "mac_address",       "oaid",
                         "advertising_id",    "location_precise",
                         "location_coarse",   "location_cell",
                         "location_wifi",     "installed_apps",
                         "running_apps",      "contacts",
                         "call_log",          "sms",
                         "calendar",          "camera",
                         "microphone",        "photos_media",
                         "clipboard",         "phone_number",
                         "accounts",          "sensors",
                         "bluetooth_devices", "biometric_face"}) {
    EXPECT_NE(kb().find_pi_type(id), nullptr) << id;
  }
  // GB/T 41391-2022 appendix F: IMEI cannot be reset; Android ID and OAID can.
  EXPECT_TRUE(kb().find_pi_type("device_imei")->immutable_device_id);
  EXPECT_FALSE(kb().find_pi_type("android_id")->immutable_device_id);
  EXPECT_FALSE(kb().find_pi_type("oaid")->immutable_device_id);
  // GB/T 35273-2020 appendix B: precise location and biometrics are sensitive PI.
  EXPECT_TRUE(kb().find_pi_type("location_precise")->sensitive);
  EXPECT_TRUE(kb().find_pi_type("biometric_face")->sensitive);
}

TEST(Knowledge, CoverageMeetsTheIssueBars) {
  EXPECT_GE(kb().apis().size(), 200u);
  EXPECT_GE(kb().sdks().size(), 300u);
  size_t cn = 0;
  for (const auto& s : kb().sdks()) cn += s.region == "cn" ? 1 : 0;
  EXPECT_GE(cn, 150u);
  EXPECT_GE(kb().packers().size(), 20u);
  EXPECT_GE(kb().permissions().size(), 60u);
}

TEST(Knowledge, KnownEntries) {
  const Permission* phone = kb().find_permission("android.permission.READ_PHONE_STATE");
  ASSERT_NE(phone, nullptr);
  EXPECT_TRUE(phone->runtime);
  EXPECT_EQ(phone->protection_level, "dangerous");
  const Sdk* bugly = kb().find_sdk("tencent_bugly");
  ASSERT_NE(bugly, nullptr);
  EXPECT_EQ(bugly->region, "cn");
  EXPECT_NE(std::find(bugly->packages.begin(), bugly->packages.end(), "com.tencent.bugly"),
            bugly->packages.end());
  bool device_id = false;
  for (const auto& a : kb().apis()) {
    device_id |=
        a.target == "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;";
  }
  EXPECT_TRUE(device_id);
}

std::string error_of(const std::string& json) {
  try {
    Knowledge::load({{"pi_types.json", json}});
  } catch (const KnowledgeError& e) {
    return e.what();
  }
  return "";
}

const char* kGood = R"({"schema": "appaudit.knowledge.pi_types/1",
  "sources": {"s": {"title": "T", "url": "https://example.org"}},
  "entries": [{"id": "a", "name_zh": "甲", "name_en": "A", "category": "other",
               "sensitive": false, "immutable_device_id": false, "parent": null,
               "sources": ["s"]}]})";

TEST(KnowledgeLoader, AcceptsAValidFile) { EXPECT_EQ(error_of(kGood), ""); }

TEST(KnowledgeLoader, RejectsUnknownFieldsNamingFileEntryAndField) {
  std::string bad = kGood;
  bad.replace(bad.find("\"sources\": [\"s\"]"), 16, "\"sources\": [\"s\"], \"colour\": 1");
  std::string e = error_of(bad);
  EXPECT_NE(e.find("knowledge/pi_types.json"), std::string::npos) << e;
  EXPECT_NE(e.find("entry 'a'"), std::string::npos) << e;
  EXPECT_NE(e.find("'colour' is not part of the schema"), std::string::npos) << e;
}

TEST(KnowledgeLoader, RejectsBrokenReferencesTypesAndOrder) {
  std::string unknown_source = kGood;
  unknown_source.replace(unknown_source.find("[\"s\"]}]"), 5, "[\"x\"]");
  EXPECT_NE(error_of(unknown_source).find("unknown source 'x'"), std::string::npos);

  std::string unknown_parent = kGood;
  unknown_parent.replace(unknown_parent.find("null"), 4, "\"nope\"");
  EXPECT_NE(error_of(unknown_parent).find("unknown PI type 'nope'"), std::string::npos);

  std::string wrong_type = kGood;
  wrong_type.replace(wrong_type.find("\"sensitive\": false"), 18, "\"sensitive\": \"no\"");
  EXPECT_NE(error_of(wrong_type).find("must be true or false"), std::string::npos);

  std::string dup = kGood;
  std::string entry = dup.substr(dup.find("{\"id\""), dup.rfind('}') - dup.find("{\"id\"") - 1);
  dup.insert(dup.rfind(']'), ", " + entry);
  EXPECT_NE(error_of(dup).find("duplicate or out of order"), std::string::npos) << error_of(dup);

  EXPECT_NE(error_of("{").find("invalid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"schema": "x", "sources": {}, "entries": []})").find("schema"),
            std::string::npos);
}

} // namespace
} // namespace appaudit::knowledge

namespace appaudit::knowledge {
namespace {

TEST(Knowledge, NoPackagePrefixOrComponentClaimedByTwoSdks) {
  // Attribution needs one owner per exact prefix (nested prefixes are fine: longest wins).
  std::map<std::string, std::string> owner;
  std::vector<std::string> clashes;
  for (const auto& s : kb().sdks()) {
    for (const auto& key : s.packages) {
      auto [it, fresh] = owner.emplace("pkg:" + key, s.id);
      if (!fresh) clashes.push_back(key + " (" + it->second + ", " + s.id + ")");
    }
    for (const auto& key : s.components) {
      auto [it, fresh] = owner.emplace("cmp:" + key, s.id);
      if (!fresh) clashes.push_back(key + " (" + it->second + ", " + s.id + ")");
    }
  }
  EXPECT_TRUE(clashes.empty()) << ::testing::PrintToString(clashes);
}

TEST(Knowledge, EveryPiTypeIsReachableFromSomeApiOrPermission) {
  std::set<std::string> used;
  for (const auto& a : kb().apis()) used.insert(a.pi_types.begin(), a.pi_types.end());
  for (const auto& p : kb().permissions()) used.insert(p.pi_types.begin(), p.pi_types.end());
  std::vector<std::string> unused;
  for (const auto& t : kb().pi_types()) {
    bool child_used = false;
    for (const auto& c : kb().pi_types()) child_used |= c.parent == t.id && used.count(c.id) > 0;
    if (used.count(t.id) == 0 && !child_used) unused.push_back(t.id);
  }
  // Categories named by the standards without an API of their own (identity documents,
  // financial accounts, ...) are declared in policies, not collected through one call.
  for (const auto& id : unused) {
    const PiType* t = kb().find_pi_type(id);
    EXPECT_TRUE(t->category == "other" || t->category == "account" || t->sensitive) << id;
  }
}

} // namespace
} // namespace appaudit::knowledge
