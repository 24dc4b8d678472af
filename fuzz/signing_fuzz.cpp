// Fuzz target for apk/signing. The input is used three ways:
//  1. as a whole APK (ZipArchive::open, then read_signatures: v1 + APK Signing Block);
//  2. as "signing block + 22-byte EOCD": find_signing_block / read_block_signatures with the
//     central directory assumed to start 22 bytes before the end;
//  3. as the value of a v2, v3 and v3.1 pair, wrapped into a synthetic APK Signing Block, so
//     the signer parsers are reached without the fuzzer having to find a valid block.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "apk/signing.hpp"
#include "apk/zip.hpp"
#include "core/diagnostics.hpp"

namespace {

using appaudit::ByteView;
using appaudit::Diagnostics;
namespace apk = appaudit::apk;

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v));
  put32(b, static_cast<uint32_t>(v >> 32));
}

void wrapped(const uint8_t* data, size_t size, uint32_t id) {
  std::vector<uint8_t> b;
  uint64_t block_size = 8 + 4 + size + 8 + 16;
  put64(b, block_size);
  put64(b, 4 + size);
  put32(b, id);
  b.insert(b.end(), data, data + size);
  put64(b, block_size);
  for (char c : std::string_view("APK Sig Block 42")) b.push_back(static_cast<uint8_t>(c));
  uint64_t cd = b.size();
  const uint8_t eocd[22] = {0x50, 0x4b, 0x05, 0x06};
  b.insert(b.end(), eocd, eocd + sizeof eocd);
  Diagnostics diags;
  (void)apk::read_block_signatures(ByteView(b), {cd, 0, cd}, diags);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView bytes(data, size);
  {
    Diagnostics diags;
    auto zip = apk::ZipArchive::open(bytes, diags, "fuzz.apk");
    if (zip) (void)apk::read_signatures(*zip, diags);
  }
  if (size >= 22) {
    Diagnostics diags;
    uint64_t cd = size - 22;
    (void)apk::find_signing_block(bytes, cd);
    (void)apk::read_block_signatures(bytes, {cd, 0, cd}, diags);
  }
  if (size <= (1u << 20)) {
    wrapped(data, size, apk::kV2BlockId);
    wrapped(data, size, apk::kV3BlockId);
  }
  return 0;
}
