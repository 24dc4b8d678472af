// Tests for apk/apk (container inventory) and apk/elf: hand-built archives for the DEX
// loading order, and a real multi-ABI APK from the corpus checked against readelf -h.
#include "apk/apk.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../support/test_support.hpp"
#include "apk/elf.hpp"

namespace appaudit::apk {
namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}

/// A minimal stored-only zip writer (APPNOTE 4.3.6, 4.3.12, 4.3.16); CRCs are left 0
/// since the inventory does not check them.
Bytes make_zip(const std::vector<std::pair<std::string, Bytes>>& files) {
  Bytes out;
  std::vector<uint32_t> offsets;
  for (const auto& [name, data] : files) {
    offsets.push_back(static_cast<uint32_t>(out.size()));
    put32(out, 0x04034b50);
    for (int i = 0; i < 5; ++i) put16(out, 0); // version, flags, method, time, date
    put32(out, 0);
    put32(out, static_cast<uint32_t>(data.size()));
    put32(out, static_cast<uint32_t>(data.size()));
    put16(out, static_cast<uint32_t>(name.size()));
    put16(out, 0);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), data.begin(), data.end());
  }
  uint32_t cd = static_cast<uint32_t>(out.size());
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [name, data] = files[i];
    put32(out, 0x02014b50);
    for (int k = 0; k < 6; ++k) put16(out, 0);
    put32(out, 0);
    put32(out, static_cast<uint32_t>(data.size()));
    put32(out, static_cast<uint32_t>(data.size()));
    put16(out, static_cast<uint32_t>(name.size()));
    for (int k = 0; k < 4; ++k) put16(out, 0);
    put32(out, 0);
    put32(out, offsets[i]);
    out.insert(out.end(), name.begin(), name.end());
  }
  uint32_t cd_size = static_cast<uint32_t>(out.size()) - cd;
  put32(out, 0x06054b50);
  put32(out, 0);
  put16(out, static_cast<uint32_t>(files.size()));
  put16(out, static_cast<uint32_t>(files.size()));
  put32(out, cd_size);
  put32(out, cd);
  put16(out, 0);
  return out;
}

/// A 64-byte ELF header with the given class and machine (little endian).
Bytes elf(uint8_t cls, uint16_t machine) {
  Bytes b(64, 0);
  b[0] = 0x7f;
  b[1] = 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = cls == 64 ? 2 : 1;
  b[5] = 1;
  b[16] = 3;
  b[18] = static_cast<uint8_t>(machine);
  b[19] = static_cast<uint8_t>(machine >> 8);
  return b;
}

bool has_diag(const Diagnostics& d, std::string_view code, std::string_view where_part = {}) {
  return std::any_of(d.items().begin(), d.items().end(), [&](const Diagnostic& x) {
    return x.code == code && x.where.find(where_part) != std::string::npos;
  });
}

const FileInfo* file(const ApkInventory& inv, std::string_view path) {
  for (const auto& f : inv.files)
    if (f.path == path) return &f;
  return nullptr;
}

} // namespace

TEST(Apk, KindsDexOrderAndGaps) {
  Bytes zip_bytes = make_zip({{"AndroidManifest.xml", {1}},
                              {"classes3.dex", {3}},
                              {"resources.arsc", {2}},
                              {"classes.dex", {1}},
                              {"classes2.dex", {2}},
                              {"classes5.dex", {5}},
                              {"classes1.dex", {1}},
                              {"classes02.dex", {1}},
                              {"assets/", {}},
                              {"assets/config.json", {'{', '}'}},
                              {"res/layout/main.xml", {0}},
                              {"META-INF/MANIFEST.MF", {0}},
                              {"lib/x86/sub/libnested.so", {0}},
                              {"kotlin/kotlin.kotlin_builtins", {0}}});
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  ApkInventory inv = inventory(*zip, d);
  EXPECT_EQ(inv.dex_entries,
            (std::vector<std::string>{"classes.dex", "classes2.dex", "classes3.dex"}));
  EXPECT_TRUE(has_diag(d, "apk.dex_not_loaded", "classes5.dex"));
  EXPECT_TRUE(has_diag(d, "apk.dex_not_loaded", "classes1.dex"));
  EXPECT_FALSE(has_diag(d, "apk.dex_not_loaded", "classes3.dex"));
  EXPECT_EQ(inv.assets, std::vector<std::string>{"assets/config.json"});
  ASSERT_EQ(inv.files.size(), 14u);
  EXPECT_EQ(inv.files[0].kind, "manifest");
  EXPECT_EQ(file(inv, "resources.arsc")->kind, "resources");
  EXPECT_EQ(file(inv, "classes5.dex")->kind, "dex");
  EXPECT_EQ(file(inv, "classes02.dex")->kind, "other");
  EXPECT_EQ(file(inv, "res/layout/main.xml")->kind, "res");
  EXPECT_EQ(file(inv, "META-INF/MANIFEST.MF")->kind, "meta_inf");
  EXPECT_EQ(file(inv, "lib/x86/sub/libnested.so")->kind, "other");
  EXPECT_EQ(file(inv, "kotlin/kotlin.kotlin_builtins")->kind, "other");
  EXPECT_EQ(file(inv, "assets/config.json")->size, 2u);
  EXPECT_TRUE(inv.native_libs.empty());
  EXPECT_TRUE(has_diag(d, "apk.native_lib_not_extracted"));
}

TEST(Apk, NoClassesDexMeansNoDexLoaded) {
  Bytes zip_bytes = make_zip({{"classes2.dex", {2}}});
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  ApkInventory inv = inventory(*zip, d);
  EXPECT_TRUE(inv.dex_entries.empty());
  EXPECT_TRUE(has_diag(d, "apk.dex_not_loaded", "classes2.dex"));
}

TEST(Apk, NativeLibsMachineAndAbiMismatch) {
  Bytes zip_bytes = make_zip({{"lib/arm64-v8a/libok.so", elf(64, 183)},
                              {"lib/armeabi-v7a/libwrong.so", elf(64, 62)},
                              {"lib/x86/libtext.so", {'h', 'i'}},
                              {"lib/mips64/libm.so", elf(64, 8)},
                              {"lib/riscv64/libr.so", elf(64, 243)},
                              {"lib/sparc/libs.so", elf(64, 43)}});
  Diagnostics d;
  auto zip = ZipArchive::open(zip_bytes, d);
  ASSERT_TRUE(zip.has_value());
  ApkInventory inv = inventory(*zip, d);
  ASSERT_EQ(inv.native_libs.size(), 6u);
  EXPECT_EQ(inv.native_libs[0].abi, "arm64-v8a");
  EXPECT_EQ(inv.native_libs[0].name, "libok.so");
  EXPECT_EQ(inv.native_libs[0].elf_machine, "aarch64");
  EXPECT_EQ(inv.native_libs[0].elf_class, 64);
  EXPECT_EQ(inv.native_libs[1].elf_machine, "x86_64");
  EXPECT_TRUE(has_diag(d, "apk.abi_mismatch", "libwrong.so"));
  EXPECT_FALSE(has_diag(d, "apk.abi_mismatch", "libok.so"));
  EXPECT_EQ(inv.native_libs[2].elf_machine, "not_elf");
  EXPECT_EQ(inv.native_libs[2].elf_class, 0);
  EXPECT_TRUE(has_diag(d, "apk.native_lib_not_elf", "libtext.so"));
  EXPECT_EQ(inv.native_libs[3].elf_machine, "mips64");
  EXPECT_EQ(inv.native_libs[4].elf_machine, "riscv64");
  EXPECT_EQ(inv.native_libs[5].elf_machine, "unknown");
  EXPECT_TRUE(has_diag(d, "apk.unknown_abi", "libs.so"));
}

TEST(Apk, ElfHeaderParsing) {
  Bytes big = elf(32, 0);
  big[5] = 2; // big endian, EM_MIPS = 8
  big[18] = 0;
  big[19] = 8;
  auto h = parse_elf_header(big);
  ASSERT_TRUE(h.has_value());
  EXPECT_FALSE(h->little_endian);
  EXPECT_EQ(h->machine, 8);
  EXPECT_EQ(elf_machine_name(*h), "mips");
  EXPECT_FALSE(parse_elf_header(Bytes{0x7f, 'E', 'L'}).has_value());
  Bytes bad_class = elf(64, 183);
  bad_class[4] = 7;
  EXPECT_EQ(parse_elf_header(bad_class).error().code, Errc::kMalformed);
  EXPECT_EQ(machine_for_abi("armeabi"), "arm");
  EXPECT_EQ(machine_for_abi("arm64-v8a"), "aarch64");
  EXPECT_TRUE(machine_for_abi("sparc").empty());
}

namespace {

/// readelf -h's "Machine:" text, mapped to our names.
std::string machine_from_readelf(const std::string& out) {
  bool is64 = out.find("ELF64") != std::string::npos;
  size_t m = out.find("Machine:");
  if (m == std::string::npos) return "not_elf";
  std::string line = out.substr(m, out.find('\n', m) - m);
  if (line.find("AArch64") != std::string::npos) return "aarch64";
  if (line.find("X86-64") != std::string::npos) return "x86_64";
  if (line.find("80386") != std::string::npos) return "x86";
  if (line.find("MIPS") != std::string::npos) return is64 ? "mips64" : "mips";
  if (line.find("RISC-V") != std::string::npos) return is64 ? "riscv64" : "unknown";
  if (line.find("ARM") != std::string::npos) return "arm";
  return "unknown";
}

} // namespace

TEST(Apk, RealApkNativeLibsMatchReadelf) {
  std::string path = test::corpus_dir() + "/bugly/apks/BuglyHotfixDemo-app-release-old.apk";
  std::vector<uint8_t> bytes = test::read_file(path);
  if (bytes.empty()) GTEST_SKIP() << "corpus APK not found: " << path;
  int rc = 0;
  test::run_command("readelf --version", &rc);
  if (rc != 0) GTEST_SKIP() << "readelf not available";
  Diagnostics d;
  auto zip = ZipArchive::open(bytes, d, path);
  ASSERT_TRUE(zip.has_value()) << zip.error().to_string();
  ApkInventory inv = inventory(*zip, d);
  std::map<std::string, std::string> abis;
  for (const auto& lib : inv.native_libs) abis[lib.abi] = lib.elf_machine;
  EXPECT_EQ(abis.size(), 7u); // arm64-v8a armeabi armeabi-v7a mips mips64 x86 x86_64
  std::string tmp = testing::TempDir() + "/apk_test_lib.so";
  for (const auto& lib : inv.native_libs) {
    SCOPED_TRACE(lib.path);
    test::run_command("unzip -p '" + path + "' '" + lib.path + "' > '" + tmp + "'", &rc);
    ASSERT_EQ(rc, 0);
    std::string out = test::run_command("readelf -h '" + tmp + "'", &rc);
    EXPECT_EQ(lib.elf_machine, machine_from_readelf(out));
    EXPECT_EQ(lib.elf_class, out.find("ELF64") != std::string::npos ? 64 : 32);
    EXPECT_EQ(lib.elf_machine, machine_for_abi(lib.abi));
    EXPECT_EQ(lib.size, std::filesystem::file_size(tmp));
    EXPECT_EQ(lib.name, "libmylib.so");
  }
  std::filesystem::remove(tmp);
  EXPECT_FALSE(has_diag(d, "apk.abi_mismatch"));
  EXPECT_EQ(inv.dex_entries.front(), "classes.dex");
  // Every file is listed, in central-directory order.
  ASSERT_EQ(inv.files.size(), zip->entries().size());
  for (size_t i = 0; i < inv.files.size(); ++i)
    EXPECT_EQ(inv.files[i].path, zip->entries()[i].name);
}

} // namespace appaudit::apk
