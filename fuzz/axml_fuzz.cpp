// Fuzz target: binary XML reader and the manifest model built on it.
#include <cstddef>
#include <cstdint>

#include "apk/axml.hpp"
#include "apk/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  appaudit::ByteView bytes(data, size);
  appaudit::Diagnostics diags;
  auto doc = appaudit::apk::parse_axml(bytes, diags);
  if (doc) {
    (void)appaudit::apk::to_xml_string(*doc);
    auto m = appaudit::apk::build_manifest(*doc, nullptr, diags);
    (void)m;
  }
  return 0;
}
