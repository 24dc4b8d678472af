#include "analysis/app_type.hpp"

#include <gtest/gtest.h>

namespace appaudit::analysis {
namespace {

const knowledge::Knowledge& kb() {
  static const knowledge::Knowledge k = knowledge::Knowledge::load_embedded();
  return k;
}

apk::Manifest manifest(const std::string& package, const std::string& label) {
  apk::Manifest m;
  m.package = package;
  if (!label.empty()) m.label = label;
  return m;
}

TEST(AppType, NothingMatchedMeansNoCandidate) {
  apk::Manifest m = manifest("com.example.time", "Clock"); // "ime" is a segment keyword only
  AppTypeInference r = infer_app_type(&m, {}, kb());
  EXPECT_TRUE(r.candidates.empty());
  EXPECT_EQ(r.chosen(), nullptr);
}

TEST(AppType, LongPackageKeywordsMatchInsideASegment) {
  apk::Manifest m = manifest("com.sohu.inputmethod.sogou", "");
  AppTypeInference r = infer_app_type(&m, {}, kb());
  ASSERT_FALSE(r.candidates.empty());
  EXPECT_EQ(r.candidates[0].type->id, "input_method");
  EXPECT_NEAR(r.candidates[0].confidence, 0.6, 1e-9);
}

TEST(AppType, AnInputMethodServiceIsDecisive) {
  apk::Manifest m = manifest("com.example.keys", "");
  apk::Component ime;
  ime.kind = apk::ComponentKind::kService;
  ime.name = "com.example.keys.Ime";
  ime.permission = "android.permission.BIND_INPUT_METHOD";
  apk::IntentFilter f;
  f.actions.push_back("android.view.InputMethod");
  ime.intent_filters.push_back(f);
  m.components.push_back(ime);
  AppTypeInference r = infer_app_type(&m, {}, kb());
  ASSERT_NE(r.chosen(), nullptr);
  EXPECT_EQ(r.chosen()->type->id, "input_method");
  EXPECT_NEAR(r.chosen()->score, 1 - 0.05 * 0.10, 1e-9);
  ASSERT_EQ(r.chosen()->hits.size(), 2u);
  EXPECT_EQ(r.chosen()->hits[0].where, "service com.example.keys.Ime android:permission");
}

TEST(AppType, ConflictingHintsLowerTheConfidence) {
  apk::Manifest m = manifest("com.example.a", "地图浏览器");
  AppTypeInference r = infer_app_type(&m, {}, kb());
  ASSERT_EQ(r.candidates.size(), 2u);
  EXPECT_EQ(r.candidates[0].type->id, "browser");
  EXPECT_NEAR(r.candidates[0].confidence, 0.85 * (1 - 0.65 / 2), 1e-9);
  EXPECT_NEAR(r.candidates[1].confidence, 0.65 * (1 - 0.85 / 2), 1e-9);
  EXPECT_EQ(r.chosen(), nullptr); // 0.574 < 0.6
}

TEST(AppType, AppCategoryAndGameEngine) {
  apk::Manifest m = manifest("com.example.a", "");
  m.application.app_category = 0; // game
  apk::ApkInventory inv;
  apk::NativeLib lib;
  lib.path = "lib/arm64-v8a/libunity.so";
  lib.name = "libunity.so";
  inv.native_libs.push_back(lib);
  AppTypeInference r = infer_app_type(&m, inv, kb());
  ASSERT_NE(r.chosen(), nullptr);
  EXPECT_EQ(r.chosen()->type->id, "online_game");
  EXPECT_NEAR(r.chosen()->confidence, 1 - 0.3 * 0.4, 1e-9);
  // An out-of-range category value matches nothing.
  m.application.app_category = 42;
  r = infer_app_type(&m, {}, kb());
  EXPECT_TRUE(r.candidates.empty());
}

TEST(AppType, ViewFilterForOneHostIsNotABrowser) {
  apk::Manifest m = manifest("com.example.a", "");
  apk::Component a;
  a.kind = apk::ComponentKind::kActivity;
  a.name = "com.example.a.Link";
  apk::IntentFilter f;
  f.actions.push_back("android.intent.action.VIEW");
  apk::IntentData d;
  d.scheme = "http";
  d.host = "example.com";
  f.data.push_back(d);
  a.intent_filters.push_back(f);
  m.components.push_back(a);
  EXPECT_TRUE(infer_app_type(&m, {}, kb()).candidates.empty());
  m.components[0].intent_filters[0].data[0].host.clear();
  AppTypeInference r = infer_app_type(&m, {}, kb());
  ASSERT_EQ(r.candidates.size(), 1u);
  EXPECT_EQ(r.candidates[0].type->id, "browser");
}

} // namespace
} // namespace appaudit::analysis
