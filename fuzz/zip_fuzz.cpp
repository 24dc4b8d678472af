// Fuzz target for apk/zip and apk/apk: open the archive, read every entry (whole and as a
// prefix), build the inventory. Must never crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>

#include "apk/apk.hpp"
#include "apk/zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace appaudit;
  Diagnostics diags;
  auto zip = apk::ZipArchive::open(ByteView(data, size), diags, "fuzz");
  if (!zip) return 0;
  for (const apk::ZipEntry& e : zip->entries()) {
    auto whole = zip->read(e);
    if (whole && whole->data.size() != e.uncompressed_size) __builtin_trap();
    auto prefix = zip->read_prefix(e, 64);
    if (prefix && prefix->data.size() > 64) __builtin_trap();
    if (zip->find(e.name) != &e) __builtin_trap();
    (void)zip->data_offset(e);
  }
  apk::ApkInventory inv = apk::inventory(*zip, diags);
  if (inv.files.size() != zip->entries().size()) __builtin_trap();
  return 0;
}
