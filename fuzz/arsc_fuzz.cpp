// Fuzz target: resources.arsc reader, lookups, reference chains and names.
#include <cstddef>
#include <cstdint>

#include "apk/arsc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  appaudit::ByteView bytes(data, size);
  appaudit::Diagnostics diags;
  auto table = appaudit::apk::ResourceTable::parse(bytes, diags);
  if (!table) return 0;
  const appaudit::apk::ResConfig configs[] = {appaudit::apk::ResConfig::device(""),
                                              appaudit::apk::ResConfig::device("zh-CN")};
  (void)table->locales();
  for (const auto& [pkg, name] : table->packages()) {
    for (uint32_t type = 1; type <= 4; ++type) {
      for (uint32_t entry = 0; entry < 8; ++entry) {
        const uint32_t id = (pkg << 24) | (type << 16) | entry;
        (void)table->name_of(id);
        for (const auto& c : configs) (void)table->resolve_string(id, c);
      }
    }
  }
  return 0;
}
