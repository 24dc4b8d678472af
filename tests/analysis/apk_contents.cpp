#include "analysis/apk_contents.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include "apk/arsc.hpp"
#include "apk/zip.hpp"
#include "core/mapped_file.hpp"
#include "dex/dex_file.hpp"

namespace appaudit::test {

struct ApkContents::Storage {
  std::unique_ptr<MappedFile> file;
  std::optional<apk::ZipArchive> zip;
  dex::DexSet dex;
};

std::optional<ApkContents> open_apk_contents(const std::string& path) {
  ApkContents out;
  out.storage = std::make_shared<ApkContents::Storage>();
  ApkContents::Storage& s = *out.storage;
  auto mapped = MappedFile::open(path);
  if (!mapped) return std::nullopt;
  s.file = std::move(*mapped);
  Diagnostics diags;
  auto zip = apk::ZipArchive::open(s.file->bytes(), diags, path);
  if (!zip) return std::nullopt;
  s.zip = std::move(*zip);
  const apk::ZipArchive& archive = *s.zip;
  out.inventory = apk::inventory(archive, diags);

  std::optional<apk::EntryData> arsc_data;
  std::optional<apk::ResourceTable> table;
  if (const apk::ZipEntry* e = archive.find("resources.arsc")) {
    if (auto data = archive.read(*e)) {
      arsc_data = std::move(*data);
      if (auto parsed = apk::ResourceTable::parse(arsc_data->data, diags)) {
        table = std::move(*parsed);
      }
    }
  }
  if (const apk::ZipEntry* e = archive.find("AndroidManifest.xml")) {
    if (auto data = archive.read(*e)) {
      if (auto manifest = apk::parse_manifest(data->data, table ? &*table : nullptr, diags)) {
        out.manifest = std::move(*manifest);
      }
    }
  }

  // DEX files in loading order; stored ones are used in place, deflated ones are owned.
  for (const std::string& name : out.inventory.dex_entries) {
    const apk::ZipEntry* e = archive.find(name);
    if (e == nullptr) continue;
    auto data = archive.read(*e);
    if (!data) continue;
    if (data->owned.empty()) {
      (void)s.dex.add_view(name, data->data, &diags);
    } else {
      (void)s.dex.add(name, std::move(data->owned), &diags);
    }
  }
  std::unordered_set<std::string_view> seen;
  for (const dex::DexFile& file : s.dex) {
    for (uint32_t i = 0; i < file.class_defs_size(); ++i) {
      auto def = file.class_def(dex::ClassDefIdx(i));
      if (!def) continue;
      std::string_view d = file.class_descriptor(*def);
      if (seen.insert(d).second) out.classes.push_back(d);
    }
  }
  return out;
}

std::vector<std::string> find_apks(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".apk") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace appaudit::test
