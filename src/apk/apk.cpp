/*
 * APK container inventory.
 *
 * DEX loading order (ART, DexFileLoader::GetMultiDexClassesDexName): "classes.dex", then
 * "classes2.dex", "classes3.dex", ... until the first missing name; later classesN.dex are
 * never loaded. Native libraries (PackageManager's NativeLibraryHelper): entries
 * "lib/<abi>/<file>.so" directly inside an ABI directory are extracted for that ABI.
 */
#include "apk/apk.hpp"

#include <algorithm>
#include <set>
#include <string_view>

#include "apk/axml.hpp"
#include "apk/elf.hpp"
#include "core/limits.hpp"

namespace appaudit::apk {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

/// "classes.dex" -> 1, "classesN.dex" (N >= 2, no leading zero) -> N, "classes1.dex" -> 0
/// (a DEX file Android never loads), anything else -> -1.
int64_t dex_number(std::string_view name) {
  if (name.size() < 11 || !starts_with(name, "classes") || !ends_with(name, ".dex")) return -1;
  std::string_view digits = name.substr(7, name.size() - 7 - 4);
  if (digits.empty()) return 1;
  if (digits.size() > 6 || digits.front() == '0') return -1;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n == 1 ? 0 : n;
}

std::string dex_name(int64_t n) {
  return n == 1 ? "classes.dex" : "classes" + std::to_string(n) + ".dex";
}

/// lib/<abi>/<file>.so with exactly three path components.
bool split_native(std::string_view name, std::string_view& abi, std::string_view& file) {
  if (!starts_with(name, "lib/") || !ends_with(name, ".so")) return false;
  std::string_view rest = name.substr(4);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  abi = rest.substr(0, slash);
  file = rest.substr(slash + 1);
  return !file.empty() && file.find('/') == std::string_view::npos;
}

std::string classify(std::string_view name) {
  std::string_view abi;
  std::string_view file;
  if (name == "AndroidManifest.xml") return "manifest";
  if (name == "resources.arsc") return "resources";
  if (dex_number(name) >= 0) return "dex";
  if (split_native(name, abi, file)) return "native_lib";
  if (starts_with(name, "assets/")) return "asset";
  if (starts_with(name, "res/")) return "res";
  if (starts_with(name, "META-INF/")) return "meta_inf";
  return "other";
}

NativeLib read_native(const ZipArchive& zip, const ZipEntry& e, std::string_view abi,
                      std::string_view file, Diagnostics& diags) {
  NativeLib lib;
  lib.path = e.name;
  lib.abi = std::string(abi);
  lib.name = std::string(file);
  lib.size = e.uncompressed_size;
  lib.elf_machine = "not_elf";
  const std::string where = zip.where() + ": " + e.name;
  auto prefix = zip.read_prefix(e, kElfHeaderPrefix);
  if (!prefix) {
    diags.add_error("apk.native_lib_unreadable", prefix.error());
    return lib;
  }
  auto header = parse_elf_header(prefix->data);
  if (!header) {
    diags.add(Severity::kWarning, "apk.native_lib_not_elf", where,
              "native library is not an ELF file: " + header.error().message);
    return lib;
  }
  lib.elf_class = header->elf_class;
  lib.elf_machine = std::string(elf_machine_name(*header));
  std::string_view expected = machine_for_abi(abi);
  if (expected.empty()) {
    diags.add(Severity::kInfo, "apk.unknown_abi", where,
              "ABI directory '" + lib.abi + "' is not one Android knows");
  } else if (expected != lib.elf_machine) {
    diags.add(Severity::kWarning, "apk.abi_mismatch", where,
              "ELF machine " + lib.elf_machine + " in ABI directory " + lib.abi + " (expected " +
                  std::string(expected) + ")");
  }
  return lib;
}

} // namespace

/// True for android:inputType values whose variation is a password (InputType constants:
/// class TEXT 0x1 with variations PASSWORD 0x80, VISIBLE_PASSWORD 0x90, WEB_PASSWORD 0xe0;
/// class NUMBER 0x2 with variation PASSWORD 0x10).
bool password_input_type(uint32_t v) {
  const uint32_t cls = v & 0xf, variation = v & 0xff0;
  return (cls == 1 && (variation == 0x80 || variation == 0x90 || variation == 0xe0)) ||
         (cls == 2 && variation == 0x10);
}

/// android:onClick values and password fields' ids of every element of a compiled XML document.
/// What the layouts say, gathered in sets (deduplicated as read, so hostile repetition costs
/// no memory) and capped.
struct LayoutFacts {
  std::set<std::string> click_handlers, classes;
  std::set<uint32_t> password_ids;
  static constexpr size_t kCap = 100'000;
  void add_handler(std::string v) {
    if (click_handlers.size() < kCap) click_handlers.insert(std::move(v));
  }
  void add_class(std::string v) {
    if (classes.size() < kCap) classes.insert(std::move(v));
  }
};

void collect_layout_facts(const XmlElement& e, LayoutFacts& inv, int depth) {
  constexpr uint32_t kOnClickAttr = 0x0101026f;   // android:onClick
  constexpr uint32_t kIdAttr = 0x010100d0;        // android:id
  constexpr uint32_t kInputTypeAttr = 0x01010220; // android:inputType
  constexpr uint32_t kPasswordAttr = 0x0101015c;  // android:password
  if (const XmlAttribute* a = e.find_android(kOnClickAttr, "onClick")) {
    std::string v = a->text();
    if (!v.empty() && v.size() < 256) inv.add_handler(std::move(v));
  }
  const XmlAttribute* input = e.find_android(kInputTypeAttr, "inputType");
  const XmlAttribute* password = e.find_android(kPasswordAttr, "password");
  const bool is_password =
      (input != nullptr && input->value.is_int() && password_input_type(input->value.data)) ||
      (password != nullptr && password->value.type == 0x12 /*boolean*/ &&
       password->value.data != 0);
  if (is_password) {
    const XmlAttribute* id = e.find_android(kIdAttr, "id");
    if (id != nullptr && id->value.is_reference() && id->value.data != 0) {
      if (inv.password_ids.size() < LayoutFacts::kCap) inv.password_ids.insert(id->value.data);
    }
  }
  if (e.name.find('.') != std::string::npos && e.name.size() < 512) {
    inv.add_class(e.name);
  }
  if (e.name == "fragment" || e.name == "view" ||
      e.name == "androidx.fragment.app.FragmentContainerView") {
    constexpr uint32_t kNameAttr = 0x01010003; // android:name
    const XmlAttribute* n = e.find_android(kNameAttr, "name");
    if (n == nullptr) n = e.find_by_name("", "class");
    if (n != nullptr) {
      std::string v = n->text();
      if (!v.empty() && v.size() < 512) inv.add_class(std::move(v));
    }
  }
  if (depth > 256) return;
  for (const XmlElement& c : e.children) collect_layout_facts(c, inv, depth + 1);
}

void layout_facts(const ZipArchive& zip, ApkInventory& out) {
  LayoutFacts inv;
  size_t parsed = 0;
  for (const ZipEntry& e : zip.entries()) {
    if (!starts_with(e.name, "res/") || !ends_with(e.name, ".xml")) continue;
    if (e.uncompressed_size > limits::kMaxResourceXmlBytes) continue;
    if (++parsed > limits::kMaxResourceXmlFiles) break;
    auto data = zip.read(e);
    if (!data) continue;
    // Oddities of resource XML are not this scan's subject: parse quietly.
    Diagnostics quiet;
    auto doc = parse_axml(data->data, quiet, e.name);
    if (!doc) continue;
    for (const XmlElement& root : doc->roots) collect_layout_facts(root, inv, 0);
  }
  out.xml_click_handlers.assign(inv.click_handlers.begin(), inv.click_handlers.end());
  out.xml_classes.assign(inv.classes.begin(), inv.classes.end());
  out.password_view_ids.assign(inv.password_ids.begin(), inv.password_ids.end());
}

ApkInventory inventory(const ZipArchive& zip, Diagnostics& diags) {
  ApkInventory inv;
  inv.files.reserve(zip.entries().size());
  std::vector<int64_t> dex_numbers;
  for (const ZipEntry& e : zip.entries()) {
    FileInfo f;
    f.path = e.name;
    f.size = e.uncompressed_size;
    f.compressed_size = e.compressed_size;
    f.method = e.method;
    f.kind = classify(e.name);
    std::string_view abi;
    std::string_view file;
    if (f.kind == "native_lib" && split_native(e.name, abi, file)) {
      inv.native_libs.push_back(read_native(zip, e, abi, file, diags));
    } else if (f.kind == "dex") {
      dex_numbers.push_back(dex_number(e.name));
    } else if (f.kind == "asset" && !ends_with(e.name, "/")) {
      inv.assets.push_back(e.name);
    } else if (starts_with(e.name, "lib/") && ends_with(e.name, ".so")) {
      diags.add(Severity::kInfo, "apk.native_lib_not_extracted", zip.where() + ": " + e.name,
                "not directly inside lib/<abi>/: the installer does not extract it");
    }
    inv.files.push_back(std::move(f));
  }

  layout_facts(zip, inv);

  // Android loads classes.dex, classes2.dex, ... and stops at the first missing one.
  std::sort(dex_numbers.begin(), dex_numbers.end());
  auto has = [&](int64_t n) {
    return std::binary_search(dex_numbers.begin(), dex_numbers.end(), n);
  };
  int64_t next = 1;
  while (has(next) && inv.dex_entries.size() < limits::kMaxDexFiles) {
    inv.dex_entries.push_back(dex_name(next));
    next = next == 1 ? 2 : next + 1;
  }
  // The first number Android does not load: past the first gap (not past our own cap).
  int64_t gap = next;
  while (has(gap)) gap = gap == 1 ? 2 : gap + 1;
  if (inv.dex_entries.size() >= limits::kMaxDexFiles && has(next)) {
    diags.add(Severity::kWarning, "apk.too_many_dex", zip.where(),
              "more than " + std::to_string(limits::kMaxDexFiles) + " DEX files; the rest skipped");
  }
  for (int64_t n : dex_numbers) {
    if (n == 1 || (n >= 2 && n < gap)) continue;
    std::string name = n == 0 ? "classes1.dex" : dex_name(n);
    diags.add(Severity::kWarning, "apk.dex_not_loaded", zip.where() + ": " + name,
              name +
                  " is never loaded: Android loads classes.dex, classes2.dex, ... and stops "
                  "at the first missing number (code hidden from the runtime?)");
  }
  return inv;
}

} // namespace appaudit::apk
