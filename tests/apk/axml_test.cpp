// Binary XML reader: androguard's anti-analysis AXML corpus (values checked against what
// `androguard axml` and androguard's own tests report), hostile truncations, string pools.
#include "apk/axml.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace appaudit::apk {
namespace {

std::string axml_dir() { return test::corpus_dir() + "/androguard/data/AXML"; }

ByteView view(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

XmlDocument parse_file(const std::string& name, Diagnostics& diags) {
  const std::vector<uint8_t> bytes = test::read_file(axml_dir() + "/" + name);
  EXPECT_FALSE(bytes.empty()) << name;
  auto doc = parse_axml(view(bytes), diags, name);
  EXPECT_TRUE(doc) << name << ": " << (doc ? "" : doc.error().to_string());
  return doc ? std::move(*doc) : XmlDocument{};
}

const XmlElement* child(const XmlElement& el, std::string_view name) {
  for (const auto& c : el.children) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string android_attr(const XmlElement& el, uint32_t id) {
  const XmlAttribute* a = el.find_by_id(id);
  return a != nullptr ? a->text() : "<absent>";
}

TEST(Axml, EveryAndroguardFileParses) {
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(axml_dir())) {
    if (e.path().extension() != ".xml") continue;
    ++files;
    const std::vector<uint8_t> bytes = test::read_file(e.path().string());
    Diagnostics diags;
    auto doc = parse_axml(view(bytes), diags, e.path().filename().string());
    ASSERT_TRUE(doc) << e.path() << ": " << doc.error().to_string();
    ASSERT_NE(doc->root(), nullptr);
    const bool layout = e.path().filename().string().rfind("test", 0) == 0;
    EXPECT_EQ(doc->root()->name, layout ? "LinearLayout" : "manifest") << e.path();
    EXPECT_FALSE(to_xml_string(*doc).empty());
  }
  EXPECT_GE(files, 20);
}

// What `androguard axml FILE` prints for each file: package, versionCode, versionName (nullptr:
// not compared, androguard replaces invalid characters) and the number of <activity> elements.
struct AndroguardExpectation {
  const char* file;
  const char* package;
  const char* version_code;
  const char* version_name;
  int activities;
};

int count_elements(const XmlElement& el, std::string_view name) {
  int n = el.name == name ? 1 : 0;
  for (const auto& c : el.children) n += count_elements(c, name);
  return n;
}

TEST(Axml, ManifestValuesMatchAndroguard) {
  const AndroguardExpectation kExpected[] = {
      {"AndroidManifest-Chinese.xml", "com.hotel", "8", "1.7.2", 34},
      {"AndroidManifest-xmlns.xml", "com.real.RealPlayer", "8", "0.0.0.61", 40},
      {"AndroidManifest.xml", "org.t0t0.androguard.TC", "1", "1.0", 1},
      {"AndroidManifestDoubleNamespace.xml", "com.tencent.weread", "10122117", "2.0.1", 24},
      {"AndroidManifestExtraNamespace.xml", "com.shopgate.android.app13182", "507000", "5.7.0", 5},
      {"AndroidManifestLiapp.xml", "kc.dotoritv.android.air", "6", "4.0.4", 28},
      {"AndroidManifestMaskingNamespace.xml", "com.primedia.apartmentguide", "572", "7.1.1", 27},
      {"AndroidManifestNonZeroStyle.xml", "co.download.video", "1", "1.0", 1},
      {"AndroidManifestNullbytes.xml", "com.ditc.automobilityxxxxxxxxxxxx", "2", "0.0", 2},
      {"AndroidManifestTextChunksXML.xml", "com.tslstudio.tsladsudoku", "358", "3.58", 9},
      {"AndroidManifestUTF8Strings.xml", "com.easylocker.bbottles.zt", "5", "1.2.1", 2},
      {"AndroidManifestWithComment.xml", "com.zxfxxx660.sucruri", "98", "5.5.464", 3},
      {"AndroidManifest_InvalidCharsInAttribute.xml", "com.chaozhuo.gameassistant", "9999", nullptr,
       143},
      {"AndroidManifest_NamespaceInAttributeName.xml", "jyiaivi.ohduxbbylb", "1", "1.0", 1},
      {"AndroidManifest_NamespaceInAttributeName2.xml", "com.car2go", "129215", "3.25.2", 50},
      {"AndroidManifest_WrongChunkStart.xml", "com.zxfxxx160.sucruri55633254", "98", "5.5.496", 3},
  };
  for (const auto& e : kExpected) {
    Diagnostics diags;
    XmlDocument doc = parse_file(e.file, diags);
    ASSERT_NE(doc.root(), nullptr) << e.file;
    const XmlAttribute* p = doc.root()->find_by_name("", "package");
    ASSERT_NE(p, nullptr) << e.file;
    EXPECT_EQ(p->text(), e.package) << e.file;
    EXPECT_EQ(android_attr(*doc.root(), 0x0101021b), e.version_code) << e.file;
    if (e.version_name != nullptr) {
      // Compared up to the first NUL: AndroidManifestNullbytes.xml pads strings with NULs,
      // which the model keeps and androguard (and aapt's output) drop.
      EXPECT_STREQ(android_attr(*doc.root(), 0x0101021c).c_str(), e.version_name) << e.file;
    }
    EXPECT_EQ(count_elements(*doc.root(), "activity"), e.activities) << e.file;
  }
}

TEST(Axml, LiappPackerTricks) {
  Diagnostics diags;
  XmlDocument doc = parse_file("AndroidManifestLiapp.xml", diags);
  ASSERT_NE(doc.root(), nullptr);
  const XmlElement* sdk = child(*doc.root(), "uses-sdk");
  ASSERT_NE(sdk, nullptr);
  EXPECT_EQ(android_attr(*sdk, 0x0101020c), "14");
  EXPECT_EQ(android_attr(*sdk, 0x01010270), "23");
}

TEST(Axml, BrokenSizesStillYieldTheManifest) {
  // androguard cannot print these two; Android reads them (the outer size is only a bound).
  for (const char* file :
       {"AndroidManifestWrongFilesize.xml", "AndroidManifest_StringNotTerminated.xml"}) {
    Diagnostics diags;
    XmlDocument doc = parse_file(file, diags);
    ASSERT_NE(doc.root(), nullptr) << file;
    const XmlAttribute* p = doc.root()->find_by_name("", "package");
    ASSERT_NE(p, nullptr) << file;
    EXPECT_EQ(p->text(), "com.swampy.sexpos") << file;
    EXPECT_EQ(android_attr(*doc.root(), 0x0101021b), "162") << file;
  }
}

TEST(Axml, WrongOuterSizeAndChunkStartAreTolerated) {
  for (const char* file :
       {"AndroidManifestWrongFilesize.xml", "AndroidManifest_WrongChunkStart.xml"}) {
    Diagnostics diags;
    XmlDocument doc = parse_file(file, diags);
    ASSERT_NE(doc.root(), nullptr) << file;
    EXPECT_FALSE(doc.root()->children.empty()) << file;
    EXPECT_FALSE(diags.empty()) << file << ": the oddity should be reported";
  }
}

TEST(Axml, TruncationAtEveryLengthNeverCrashes) {
  const std::vector<uint8_t> bytes = test::read_file(axml_dir() + "/AndroidManifest.xml");
  ASSERT_GT(bytes.size(), 100u);
  for (size_t n = 0; n <= bytes.size(); ++n) {
    Diagnostics diags;
    auto doc = parse_axml(ByteView(bytes.data(), n), diags);
    if (doc && n < bytes.size()) {
      EXPECT_FALSE(diags.empty()) << n;
    }
  }
}

TEST(Axml, FormatValue) {
  EXPECT_EQ(format_value({0x10, 42}), "42");
  EXPECT_EQ(format_value({0x10, 0xffffffff}), "-1");
  EXPECT_EQ(format_value({0x11, 0x10}), "0x00000010");
  EXPECT_EQ(format_value({0x12, 0xffffffff}), "true");
  EXPECT_EQ(format_value({0x12, 0}), "false");
  EXPECT_EQ(format_value({0x01, 0x7f010000}), "@0x7f010000");
  EXPECT_EQ(format_value({0x1c, 0xff00ff00}), "#ff00ff00");
}

} // namespace
} // namespace appaudit::apk
